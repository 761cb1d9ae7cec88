"""Keep Wagtail groups in step with bureaus and memberships."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .groups import ensure_bureau_groups, sync_user_groups
from .models import BureauPage, Membership

#: Sent after a proposal is closed and its decision recorded: kwargs `proposal`, `decision`.
#: Later apps (the protocol workflow) act on adopted proposals through it.
proposal_decided = Signal()

#: Sent when a draft or running proposal is withdrawn: kwargs `proposal`, `by`.
proposal_withdrawn = Signal()


@receiver(post_save, sender=BureauPage)
def create_bureau_groups(sender, instance: BureauPage, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or not instance.pk:
        return
    if not (instance.members_group_id and instance.coordinators_group_id):
        ensure_bureau_groups(instance)
    if not instance.decision_workflow_id:
        from .workflow import ensure_bureau_workflow

        ensure_bureau_workflow(instance)


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def membership_changed(sender, instance: Membership, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    sync_user_groups(instance.user, instance.bureau)
