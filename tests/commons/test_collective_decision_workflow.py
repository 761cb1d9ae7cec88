"""The protocol's workflow: the bureau's vote, not a reviewer, publishes the next version."""

from __future__ import annotations

import html
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override
from wagtail.models import TaskState, WorkflowState

from commons import actions
from commons.models import CollectiveDecisionTask, CollectiveDecisionTaskState, Proposal, Role
from commons.models.governance import Method, ProposalKind, Status
from commons.rules import ensure_default_rules, rule_for
from studies.models import ProtocolPage, ProtocolVersion
from tests.conftest import protocol_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def protocol(bureau, study, people, make_protocol):
    ensure_default_rules(bureau)
    return make_protocol(study, user=people["coordinator"])


def submit(page: ProtocolPage, user, objectives: str = "Comprendre les usages et la souveraineté.",
           summary: str = "Ajout de la souveraineté des données.") -> WorkflowState:
    page = ProtocolPage.objects.get(pk=page.pk)
    page.body = protocol_body(objectives=objectives)
    page.change_summary = summary
    page.save_revision(user=user)
    state = page.get_workflow().start(page, user)
    return WorkflowState.objects.get(pk=state.pk)


def vote_and_close(proposal: Proposal, ballots: dict) -> None:
    for user, choice in ballots.items():
        actions.cast_ballot(proposal, user, choice=choice)
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    actions.close_proposal(proposal.pk)


def test_a_bureau_gets_a_workflow_with_the_collective_task(bureau, protocol):
    bureau.refresh_from_db()
    workflow = bureau.decision_workflow
    assert workflow is not None and workflow.active
    tasks = [task.specific for task in workflow.tasks]
    assert len(tasks) == 1 and isinstance(tasks[0], CollectiveDecisionTask)
    assert protocol.get_workflow() == workflow
    assert protocol.workflowpage.workflow == workflow  # visible in the admin's workflow pages


def test_submission_opens_a_protocol_amendment_vote_with_the_diff(bureau, protocol, people):
    state = submit(protocol, people["member"])
    task_state = state.current_task_state.specific
    proposal = task_state.proposal
    assert isinstance(task_state, CollectiveDecisionTaskState)
    assert proposal.bureau_id == bureau.pk and proposal.kind == ProposalKind.PROTOCOL
    assert proposal.status == Status.OPEN
    # The rule follows from the kind, as the bureau's table says: protocol changes need two thirds.
    assert proposal.rule == rule_for(bureau, ProposalKind.PROTOCOL)
    assert proposal.rule.method == Method.QUALIFIED and proposal.rule.threshold == "2/3"
    assert proposal.author == people["member"]
    assert proposal.target == task_state.revision
    assert task_state.live_revision == protocol.live_revision
    assert "v2" in proposal.title and "souveraineté" in proposal.title
    assert "**Objectifs**" in proposal.body  # the changed section, named in French


def test_adoption_publishes_the_voted_revision_as_the_next_version(bureau, protocol, people):
    state = submit(protocol, people["member"])
    task_state = state.current_task_state.specific
    voted = task_state.revision
    vote_and_close(task_state.proposal, {people["member"]: "for", people["coordinator"]: "for"})
    state.refresh_from_db()
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_APPROVED
    assert state.status == WorkflowState.STATUS_APPROVED
    page = ProtocolPage.objects.get(pk=protocol.pk)
    assert page.live_revision == voted
    assert "souveraineté" in str(page.body[0].value)
    v2 = ProtocolVersion.objects.get(protocol=page, number=2)
    assert v2.revision == voted
    assert v2.decision == task_state.proposal.decision and v2.decision.adopted
    assert v2.summary == "Ajout de la souveraineté des données."
    assert list(ProtocolVersion.objects.filter(protocol=page).values_list("number", flat=True)) == [1, 2]


def test_adoption_publishes_what_was_voted_even_if_edited_since(protocol, people):
    state = submit(protocol, people["member"], objectives="Texte soumis au vote.")
    task_state = state.current_task_state.specific
    later = ProtocolPage.objects.get(pk=protocol.pk)
    later.body = protocol_body(objectives="Texte modifié pendant le vote.")
    later.save_revision(user=people["coordinator"])
    vote_and_close(task_state.proposal, {people["member"]: "for", people["coordinator"]: "for"})
    page = ProtocolPage.objects.get(pk=protocol.pk)
    assert "Texte soumis au vote." in str(page.body[0].value)
    assert ProtocolVersion.objects.get(protocol=page, number=2).revision == task_state.revision


def test_rejection_rejects_the_task_and_tells_the_submitter(protocol, people):
    state = submit(protocol, people["member"])
    task_state = state.current_task_state.specific
    mail.outbox.clear()
    vote_and_close(task_state.proposal, {people["member"]: "against", people["coordinator"]: "against"})
    state.refresh_from_db()
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_REJECTED
    assert str(task_state.proposal.decision.sequence) in task_state.comment
    assert "n°" in task_state.comment or "no. " in task_state.comment
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    page = ProtocolPage.objects.get(pk=protocol.pk)
    assert "souveraineté" not in str(page.body[0].value)
    assert ProtocolVersion.objects.filter(protocol=page).count() == 1
    # Wagtail's rejection notice goes to the submitter only.
    to_submitter = [m for m in mail.outbox if m.to == [people["member"].email] and "Protocole" in m.subject]
    assert len(to_submitter) == 1
    assert not [m for m in mail.outbox if "Protocole" in m.subject and m.to != [people["member"].email]]


def test_cancelling_the_workflow_withdraws_the_proposal(protocol, people):
    state = submit(protocol, people["member"])
    proposal = state.current_task_state.specific.proposal
    state.cancel(user=people["member"])
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 1


def test_withdrawing_the_proposal_cancels_the_workflow(protocol, people):
    state = submit(protocol, people["member"])
    proposal = state.current_task_state.specific.proposal
    actions.withdraw_proposal(proposal, by=people["member"])
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_CANCELLED
    assert state.current_task_state.status == TaskState.STATUS_CANCELLED


def test_resubmitting_after_rejection_opens_a_new_vote(protocol, people):
    state = submit(protocol, people["member"])
    first = state.current_task_state.specific.proposal
    vote_and_close(first, {people["member"]: "against", people["coordinator"]: "against"})
    state.refresh_from_db()
    state.resume(user=people["member"])
    state.refresh_from_db()
    second = state.current_task_state.specific.proposal
    assert second.pk != first.pk and second.status == Status.OPEN


def test_nobody_can_approve_or_reject_by_hand(protocol, people, make_person):
    superuser = make_person(is_superuser=True, is_staff=True)
    state = submit(protocol, people["member"])
    task_state = state.current_task_state.specific
    task = task_state.task.specific
    page = ProtocolPage.objects.get(pk=protocol.pk)
    for user in (superuser, people["coordinator"], people["member"]):
        assert task.get_actions(page, user) == []
        with pytest.raises(PermissionDenied):
            task.on_action(task_state, user, "approve")
        with pytest.raises(PermissionDenied):
            task.on_action(task_state, user, "reject")
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS


def test_the_admin_refuses_a_forged_approval(client, protocol, people, make_person):
    superuser = make_person(is_superuser=True, is_staff=True)
    state = submit(protocol, people["member"])
    task_state = state.current_task_state.specific
    client.force_login(superuser)
    url = reverse("wagtailadmin_pages:workflow_action", args=(protocol.pk, "approve", task_state.pk))
    response = client.post(url, {"comment": "je publie"})
    # The task offers « approve » to nobody: Wagtail's view refuses it (its admin answers a refusal
    # with the dashboard and a message), although the workflow is in progress.
    assert (response.status_code, response.url) == (302, reverse("wagtailadmin_home"))
    with override("fr"):  # the site's language, in which the request ran
        shown = [html.unescape(str(m)).strip() for m in get_messages(response.wsgi_request)]  # Wagtail's HTML
        assert shown == [gettext("Sorry, you do not have permission to access this area.")]
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 1


def test_coordinators_see_the_vote_in_the_admin_workflow_views(client, protocol, people):
    state = submit(protocol, people["member"])
    task = state.current_task_state.task.specific
    assert [s.pk for s in task.get_task_states_user_can_moderate(people["coordinator"])] == [
        state.current_task_state.pk
    ]
    assert not task.get_task_states_user_can_moderate(people["other_member"]).exists()
    assert not task.get_task_states_user_can_moderate(people["member"]).exists()
    client.force_login(people["coordinator"])
    response = client.get("/admin/")
    assert response.status_code == 200
    assert protocol.title in response.content.decode()
    report = client.get("/admin/reports/workflow/")
    assert report.status_code == 200


def test_a_vote_that_cannot_open_stays_a_draft_and_the_submission_holds(bureau, protocol, people):
    # Under the default rule (weighted by college) a voting member without a college blocks the opening.
    from commons.models import Membership

    Membership.objects.filter(user=people["member"]).update(college=None)
    state = submit(protocol, people["coordinator"])
    proposal = state.current_task_state.specific.proposal
    assert proposal.status == Status.DRAFT
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert Role.MEMBER  # the draft is opened from the proposals page once colleges are set


def test_a_failed_publication_does_not_break_the_close_and_is_settled_later(protocol, people, monkeypatch):
    from commons import workflow

    state = submit(protocol, people["member"])
    task_state = state.current_task_state.specific
    proposal = task_state.proposal

    def broken(*args, **kwargs):
        raise RuntimeError("the page no longer validates")

    monkeypatch.setattr(workflow, "_settle", broken)
    vote_and_close(proposal, {people["member"]: "for", people["coordinator"]: "for"})  # no exception
    proposal.refresh_from_db()
    task_state.refresh_from_db()
    assert proposal.status == Status.ADOPTED and task_state.status == TaskState.STATUS_IN_PROGRESS
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 1

    monkeypatch.undo()
    assert actions.close_due_proposals() == 0  # the action only closes votes: it never reaches the workflow
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    out = StringIO()
    call_command("close_due_proposals", stdout=out)  # the closing pass settles the waiting task
    assert out.getvalue().startswith("0 decision(s) recorded")
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_APPROVED
    assert ProtocolVersion.objects.get(protocol=protocol, number=2).decision == proposal.decision


def test_the_dashboard_of_a_superuser_coordinator_lists_the_vote(client, protocol, people):
    """Wagtail ORs every task's reviewable states together: ours must combine with the others'."""
    from commons.models import Membership

    people["coordinator"].is_superuser = True
    people["coordinator"].save()
    assert Membership.objects.filter(user=people["coordinator"]).exists()
    submit(protocol, people["member"])
    client.force_login(people["coordinator"])
    response = client.get("/admin/")
    assert response.status_code == 200
    assert protocol.title in response.content.decode()


def test_the_protocol_never_falls_back_to_hand_approval(bureau, protocol, people):
    from wagtail.models import Workflow

    assert Workflow.objects.exclude(pk=bureau.decision_workflow_id).filter(active=True).exists()  # Moderators
    bureau.refresh_from_db()
    bureau.decision_workflow.deactivate(user=None)
    assert ProtocolPage.objects.get(pk=protocol.pk).get_workflow() is None


def test_settling_twice_approves_once(protocol, people):
    from commons import workflow

    state = submit(protocol, people["member"])
    task_state = state.current_task_state.specific
    vote_and_close(task_state.proposal, {people["member"]: "for", people["coordinator"]: "for"})
    task_state.refresh_from_db()
    decision = task_state.proposal.decision
    workflow._settle(task_state, decision)  # a second attempt changes nothing
    assert workflow.settle_decided_submissions() == 0
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 2
