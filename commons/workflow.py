"""The bureau's vote as a Wagtail workflow step (`CollectiveDecisionTask`).

Wagtail runs the moderation pipeline; the bureau decides. When a revision is submitted, the task
opens a `Proposal` in the page's bureau, under the rule its table gives the page's kind,
targeting the submitted revision.
The rest follows the proposal:

- adopted (`proposal_decided`) → the task is approved and *the revision that was voted on* is
  published (`publish_voted_revision`, Wagtail's finish action; Wagtail's own publishes the latest
  revision, which may have been edited since the submission);
- rejected → the task is rejected and the page goes back to « needs changes »; Wagtail emails the
  submitter (its rejection notice carries the task's comment, which names the decision);
- the editor cancels the workflow (or restarts it with a new revision) → the proposal is withdrawn;
  a proposal withdrawn on the proposals page cancels the workflow.

Pages opt in by being under a bureau and by their class's `get_workflow` (see `ProtocolPage`);
`ensure_bureau_workflow` gives each bureau its workflow when it is created. What the vote is about
(title, body, the readable diff) is asked of the page class: `commons` knows nothing of protocols.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override
from wagtail.models import Page, TaskState, Workflow, WorkflowState, WorkflowTask
from wagtail.workflows import publish_workflow_state

from . import actions
from .models import BureauPage, CollectiveDecisionTask, CollectiveDecisionTaskState, DecisionRule, Proposal
from .models.governance import PROPOSAL_TITLE_MAX, ProposalKind, Status
from .rules import rule_for

logger = logging.getLogger(__name__)


def bureau_of(page: Page) -> BureauPage | None:
    """The bureau a page belongs to (itself or its nearest bureau ancestor)."""
    return BureauPage.objects.ancestor_of(page, inclusive=True).order_by("-depth").first()


def ensure_bureau_workflow(bureau: BureauPage) -> Workflow:
    """The bureau's « collective decision » workflow, created once with its single task."""
    if bureau.decision_workflow_id:
        return bureau.decision_workflow
    with override(settings.LANGUAGE_CODE):
        name = _("Collective decision — %(bureau)s") % {"bureau": bureau.title}
    name = name[:255]
    with transaction.atomic():
        workflow = Workflow.objects.create(name=name)
        task = CollectiveDecisionTask.objects.create(name=name)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        BureauPage.objects.filter(pk=bureau.pk).update(decision_workflow=workflow)
    bureau.decision_workflow = workflow
    return workflow


# --- The task's life ------------------------------------------------------------------------------


def open_vote_for(task_state: CollectiveDecisionTaskState, user) -> Proposal | None:
    """Open the bureau's vote on the submitted revision (called by `CollectiveDecisionTask.start`).

    If the vote cannot open (no voting member, members without a college under a weighted rule),
    the proposal stays a draft that coordinators open from the proposals page once fixed: the
    submission itself never fails half-way.
    """
    page = task_state.revision.content_object.specific
    bureau = bureau_of(page)
    if bureau is None:
        raise ValueError(f"{page!r} is not under a bureau: it cannot be decided by vote.")
    kind = getattr(page, "proposal_kind", ProposalKind.PUBLICATION)
    # The rule follows from the kind, as the bureau's table says (a protocol change: 2/3 by default).
    rule = rule_for(bureau, kind) or DecisionRule.objects.filter(bureau=bureau, is_default=True).first()
    live_revision = page.live_revision if page.live else None
    describe = getattr(page, "describe_submission", None)
    # Stored text, read by the whole bureau: written in the site's language, not the submitter's.
    with override(settings.LANGUAGE_CODE):
        if describe is not None:
            title, body = describe(task_state.revision, live_revision)
        else:
            title = _("Publish « %(title)s »") % {"title": page.get_admin_display_title()}
            body = _("Publication of the page « %(title)s », submitted for the bureau's decision.") % {
                "title": page.get_admin_display_title()
            }
    proposal = actions.create_proposal(
        bureau,
        user,
        title=title[:PROPOSAL_TITLE_MAX],
        body=body,
        rule=rule,
        kind=kind,
        target=task_state.revision,
    )
    task_state.proposal = proposal
    task_state.live_revision = live_revision
    task_state.save(update_fields=["proposal", "live_revision"])
    try:
        actions.open_proposal(proposal, by=user)
    except actions.GovernanceError as error:
        logger.warning("Vote on %s left as a draft: %s", page, error)
    return proposal


def publish_voted_revision(workflow_state: WorkflowState, user=None) -> None:
    """Wagtail's finish action (`WAGTAIL_FINISH_WORKFLOW_ACTION`): publish what was approved.

    For a collective decision that is the revision the bureau voted on; for any other workflow,
    Wagtail's default (the latest revision).
    """
    approved = (
        CollectiveDecisionTaskState.objects.filter(
            workflow_state=workflow_state, status=TaskState.STATUS_APPROVED
        )
        .order_by("-finished_at", "-pk")
        .select_related("revision")
        .first()
    )
    if approved is None:  # another workflow: Wagtail's own finish action
        publish_workflow_state(workflow_state, user=user)
        return
    # The bureau decided: the submitter publishes on its behalf, whatever their own page permissions.
    approved.revision.publish(user=user or workflow_state.requested_by, skip_permission_checks=True)


def _settle(task_state: CollectiveDecisionTaskState, decision) -> None:
    with override(settings.LANGUAGE_CODE):
        if decision.adopted:
            comment = _("Adopted by the bureau: decision no. %(n)s.") % {"n": decision.sequence}
        else:
            comment = _("Rejected by the bureau: decision no. %(n)s.") % {"n": decision.sequence}
    with transaction.atomic():
        # Lock the task state: a lazy close and a closing pass may settle the same vote at once.
        task_state = (
            CollectiveDecisionTaskState.objects.select_for_update(of=("self",))
            .select_related("workflow_state")
            .get(pk=task_state.pk)
        )
        if task_state.status != TaskState.STATUS_IN_PROGRESS:
            return
        if decision.adopted:
            task_state.approve(user=None, comment=comment)
        else:
            task_state.reject(user=None, comment=comment)


def follow_the_vote(proposal: Proposal, decision) -> None:
    """Approve (and so publish) or reject the task whose vote just closed.

    The decision is already recorded: a failure here (a page that no longer validates, say) must
    not turn the closing visit into an error page nor stop `close_due_proposals`. It is logged, and
    `settle_decided_submissions` (run after every closing pass) applies the outcome later.
    """
    task_state = (
        CollectiveDecisionTaskState.objects.filter(proposal=proposal, status=TaskState.STATUS_IN_PROGRESS)
        .select_related("workflow_state")
        .first()
    )
    if task_state is None:
        return
    try:
        _settle(task_state, decision)
    except Exception:
        logger.exception("The outcome of vote %s could not be applied to its workflow yet.", proposal.pk)


def settle_decided_submissions() -> int:
    """Apply the outcome of every decided vote whose workflow task is still waiting (idempotent)."""
    settled = 0
    waiting = (
        CollectiveDecisionTaskState.objects.filter(
            status=TaskState.STATUS_IN_PROGRESS, proposal__status__in=(Status.ADOPTED, Status.REJECTED)
        )
        .select_related("workflow_state", "proposal__decision")
        .order_by("pk")
    )
    for task_state in waiting:
        try:
            _settle(task_state, task_state.proposal.decision)
            settled += 1
        except Exception:
            logger.exception("Vote %s: outcome not applied to its workflow.", task_state.proposal_id)
    return settled


def withdraw_on_cancel(task_state: CollectiveDecisionTaskState, user=None) -> None:
    """The editor cancelled (or restarted) the workflow: the vote on that revision stops."""
    proposal = task_state.proposal
    if proposal is None:
        return
    proposal.refresh_from_db(fields=["status", "closes_at"])
    if proposal.can_be_withdrawn:
        actions.withdraw_proposal(proposal, by=user)


def cancel_on_withdrawal(proposal: Proposal, by=None) -> None:
    """A proposal withdrawn on the proposals page cancels the workflow it was voting for."""
    task_state = (
        CollectiveDecisionTaskState.objects.filter(proposal=proposal, status=TaskState.STATUS_IN_PROGRESS)
        .select_related("workflow_state")
        .first()
    )
    if task_state is not None and task_state.workflow_state.status == WorkflowState.STATUS_IN_PROGRESS:
        task_state.workflow_state.cancel(user=by)


def submission_for(proposal: Proposal) -> CollectiveDecisionTaskState | None:
    """The workflow submission a proposal votes on, if any."""
    return (
        CollectiveDecisionTaskState.objects.filter(proposal=proposal)
        .select_related("revision", "live_revision")
        .first()
    )

