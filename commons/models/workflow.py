"""`CollectiveDecisionTask`: a Wagtail workflow step decided by the bureau's vote, not by a reviewer.

The task's behaviour (opening the proposal, following its outcome) is in `commons.workflow`; these
models only hold the link between a task state (one revision submitted for moderation) and the
proposal the bureau votes on.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.locks import WorkflowLock
from wagtail.models import Task, TaskState


class CollectiveDecisionLock(WorkflowLock):
    """The page is under the bureau's vote: say so, when it ends, and how to propose another change.

    Wagtail's own notice says that « only reviewers can edit »: here there are no reviewers, the
    bureau votes; another change waits for the close, or the vote is withdrawn first.
    """

    def _proposal(self):
        state = self.object.current_workflow_state
        task_state = state.current_task_state.specific if state and state.current_task_state else None
        return getattr(task_state, "proposal", None)

    def get_message(self, user):
        # Shown to everyone who opens the editor, locked or not: the vote concerns them all.
        proposal = self._proposal()
        if proposal is None:
            return gettext(
                "This page is submitted to the bureau's vote: it stays as submitted until the vote closes."
            )
        bureau = proposal.bureau
        url = bureau.url + bureau.reverse_subpage("proposal_detail", args=[proposal.pk])
        closes = (
            date_format(timezone.localtime(proposal.closes_at), "DATETIME_FORMAT")
            if proposal.closes_at
            else "—"
        )
        return format_html(
            gettext(
                "The bureau is voting on this change until {closes}; the version put to the vote does not "
                "change (edits saved meanwhile stay a draft). To propose another change, wait for the close, "
                'or withdraw the vote first (coordinators, on <a href="{url}">the proposal page</a>), then '
                "submit again."
            ),
            closes=closes,
            url=url,
        )

    def get_locked_by(self, user, can_lock=False):
        return gettext("Under the bureau's vote")

    def get_description(self, user, can_lock=False):
        return gettext("The bureau is voting on this version: it stays as submitted until the vote closes.")


class CollectiveDecisionTaskState(TaskState):
    """One submission to the vote: the revision under vote, the live revision it is compared with."""

    proposal = models.OneToOneField(
        "commons.Proposal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="task_state",
        verbose_name=_("proposal"),
    )
    live_revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The published revision the submitted one was compared with."),
    )

    class Meta:
        verbose_name = _("collective decision task state")
        verbose_name_plural = _("collective decision task states")

    def get_comment(self) -> str:
        return self.comment


class CollectiveDecisionTask(Task):
    """Opens a proposal in the page's bureau; only the vote's outcome approves or rejects it.

    `get_actions` offers nothing to anybody, superusers included, and `on_action` refuses approve
    and reject: there is no button, form or URL that decides in place of the bureau.
    """

    task_state_class = CollectiveDecisionTaskState
    lock_class = CollectiveDecisionLock

    class Meta:
        verbose_name = _("collective decision task")
        verbose_name_plural = _("collective decision tasks")

    @classmethod
    def get_description(cls) -> str:
        return _(
            "Opens a vote of the page's bureau under the rule its table gives this kind of proposal; "
            "the page is published if the proposal is adopted and sent back if it is rejected."
        )

    def start(self, workflow_state, user=None):
        from ..workflow import open_vote_for

        task_state = super().start(workflow_state, user=user)
        open_vote_for(task_state, user)
        return task_state

    def on_action(self, task_state, user, action_name, **kwargs):
        raise PermissionDenied(_("Only the bureau's vote decides this step."))

    def get_actions(self, obj, user) -> list:
        return []

    def user_can_access_editor(self, obj, user) -> bool:
        return False

    def get_task_states_user_can_moderate(self, user, **kwargs):
        """The bureau's coordinators see the votes in progress in the admin (without any action)."""
        from ..permissions import coordinated_bureau_ids

        bureau_ids = coordinated_bureau_ids(user)  # a subquery: no query of its own
        # A plain TaskState queryset: Wagtail ORs every task's states together (`reviewable_by`),
        # and a queryset of the subclass cannot be combined with the others'.
        states = CollectiveDecisionTaskState.objects.filter(
            task=self, status=TaskState.STATUS_IN_PROGRESS, proposal__bureau_id__in=bureau_ids
        )
        return TaskState.objects.filter(pk__in=states.values("pk"))
