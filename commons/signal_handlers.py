"""Receivers of the commons, connected once from `CommonsConfig.ready()` (Wagtail's pattern).

Each receiver is a thin adapter: it filters the events it cares about and hands over to the module
that owns the rule (`commons.groups` for Wagtail groups, `commons.workflow` for the collective
decision task), so the rules stay callable, and testable, without a signal.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.signals import task_cancelled

from . import groups, page_cache, workflow
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


def connect_page_cache() -> None:
    """Public pages in the cache are out of date when a page, its access, a decision, the bureau's
    members and rules, its library (the protocol cites it per view), or anyone's consent changes
    (`commons.page_cache`; studies adds its own)."""
    from wagtail.models import PageViewRestriction, Site, get_page_models
    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    from participants.models import Collective, ConsentForm, ConsentRecord, Informant

    from .models import College, Decision, DecisionRule, KindRule, Reference, Resource, ResourceTheme

    for signal, name in (
        (page_published, "published"),
        (page_unpublished, "unpublished"),
        (post_page_move, "moved"),
        (page_slug_changed, "slug"),
        (proposal_decided, "decided"),
    ):
        signal.connect(page_cache.changed, dispatch_uid=f"commons.page_cache.{name}")
    for model in get_page_models():
        post_delete.connect(
            page_cache.changed,
            sender=model,
            dispatch_uid=f"commons.page_cache.{model._meta.label_lower}.delete",
        )
    watched = (PageViewRestriction, Site, Decision, Proposal, Membership, College, KindRule, DecisionRule,
               ConsentRecord, ConsentForm, Collective, Informant, Reference, Resource,
               ResourceTheme)  # fmt: skip
    for model in watched:
        uid = f"commons.page_cache.{model._meta.label_lower}"
        post_save.connect(page_cache.changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(page_cache.changed, sender=model, dispatch_uid=f"{uid}.delete")


def register_signal_handlers() -> None:
    """Connect every receiver of the app (idempotent: each has a `dispatch_uid`)."""
    connect_page_cache()
    post_save.connect(create_bureau_groups, sender=BureauPage, dispatch_uid="commons.create_bureau_groups")
    post_save.connect(membership_changed, sender=Membership, dispatch_uid="commons.membership_saved")
    post_delete.connect(membership_changed, sender=Membership, dispatch_uid="commons.membership_deleted")
    proposal_decided.connect(follow_the_vote, dispatch_uid="commons.follow_the_vote")
    proposal_withdrawn.connect(cancel_on_withdrawal, dispatch_uid="commons.cancel_on_withdrawal")
    task_cancelled.connect(
        withdraw_on_cancel, sender=CollectiveDecisionTaskState, dispatch_uid="commons.withdraw_on_cancel"
    )
