"""Receivers of the commons, connected once from `CommonsConfig.ready()` (Wagtail's pattern).

Each receiver is a thin adapter: it filters the events it cares about and hands over to the module
that owns the rule (`commons.groups` for Wagtail groups, `commons.workflow` for the collective
decision task), so the rules stay callable, and testable, without a signal.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.signals import task_cancelled

from . import groups, workflow
from .models import BureauPage, CollectiveDecisionTaskState, Membership, Proposal
from .signals import proposal_decided, proposal_withdrawn


def create_bureau_groups(sender, instance: BureauPage, created: bool, raw: bool = False, **kwargs) -> None:
    """A saved bureau has its Wagtail groups, collection and collective-decision workflow."""
    if raw or not instance.pk:
        return
    if not (instance.members_group_id and instance.coordinators_group_id):
        groups.ensure_bureau_groups(instance)
    if not instance.decision_workflow_id:
        workflow.ensure_bureau_workflow(instance)


def membership_changed(sender, instance: Membership, raw: bool = False, **kwargs) -> None:
    """A membership changed or ended: the person's Wagtail groups follow at once."""
    if raw:
        return
    groups.sync_user_groups(instance.user, instance.bureau)


def follow_the_vote(sender, proposal: Proposal, decision, **kwargs) -> None:
    """A vote closed: approve (and so publish) or reject the workflow task waiting on it."""
    workflow.follow_the_vote(proposal, decision)


def withdraw_on_cancel(sender, instance: CollectiveDecisionTaskState, user=None, **kwargs) -> None:
    """The editor cancelled (or restarted) the workflow: the vote on that revision stops."""
    workflow.withdraw_on_cancel(instance, user)


def cancel_on_withdrawal(sender, proposal: Proposal, by=None, **kwargs) -> None:
    """A proposal withdrawn on the proposals page cancels the workflow it was voting for."""
    workflow.cancel_on_withdrawal(proposal, by)


def register_signal_handlers() -> None:
    """Connect every receiver of the app (idempotent: each has a `dispatch_uid`)."""
    post_save.connect(create_bureau_groups, sender=BureauPage, dispatch_uid="commons.create_bureau_groups")
    post_save.connect(membership_changed, sender=Membership, dispatch_uid="commons.membership_saved")
    post_delete.connect(membership_changed, sender=Membership, dispatch_uid="commons.membership_deleted")
    proposal_decided.connect(follow_the_vote, dispatch_uid="commons.follow_the_vote")
    proposal_withdrawn.connect(cancel_on_withdrawal, dispatch_uid="commons.cancel_on_withdrawal")
    task_cancelled.connect(
        withdraw_on_cancel, sender=CollectiveDecisionTaskState, dispatch_uid="commons.withdraw_on_cancel"
    )
