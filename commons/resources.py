"""The public inventory of resources: proposing, publishing (directly or by vote), withdrawing.

Members propose; a resource is public once published. Who publishes is the bureau's table
(« kind → rule », `changes.is_governed`): without a line for « publication of a resource », a
coordinator publishes at once; with one, the coordinator's « publish » opens a proposal carrying the
resource (`actions.propose_change`) and adoption publishes it (`apply`, run by
`actions.close_proposal`). Checked when proposed and again at adoption: a resource deleted or
already published meanwhile makes the change « not applicable », never an error.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import changes
from .models import BureauPage, Proposal, Resource
from .models.governance import ProposalKind, Status
from .models.resources import ResourceStatus

#: Why a member who neither proposed a resource nor coordinates the bureau may not change it.
NOT_YOURS = gettext_lazy("Only the member who proposed this resource or a coordinator can change it.")


class ResourceError(Exception):
    """A refused action on a resource; the message is meant for people."""


def by_vote(bureau: BureauPage) -> bool:
    """Whether this bureau publishes resources by vote (its table has a line for the kind)."""
    return changes.is_governed(bureau.pk, ProposalKind.RESOURCE)


def pending_proposal(resource: Resource) -> Proposal | None:
    """The draft or running vote that would publish `resource`, if any."""
    return (
        Proposal.objects.filter(
            bureau_id=resource.bureau_id,
            kind=ProposalKind.RESOURCE,
            status__in=(Status.DRAFT, Status.OPEN),
            payload__resource=resource.pk,
        )
        .order_by("-pk")
        .first()
    )


def _publish_now(resource: Resource) -> None:
    resource.status = ResourceStatus.PUBLISHED
    resource.published_at = timezone.now()
    resource.save(update_fields=["status", "published_at"])


@transaction.atomic
def publish(resource: Resource, by) -> Proposal | None:
    """Publish `resource` (a coordinator), or open the vote that will: returns that proposal, if any."""
    from . import actions
    from .permissions import can_run_votes

    bureau = BureauPage.objects.get(pk=resource.bureau_id)
    if by is None or not can_run_votes(by, bureau):
        raise ResourceError(_("This is for the bureau's coordinators."))
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if resource.is_published:
        raise ResourceError(_("This resource is already published."))
    if not by_vote(bureau):
        _publish_now(resource)
        return None
    if pending_proposal(resource) is not None:
        raise ResourceError(_("A vote on this resource is already under way."))
    try:
        return actions.propose_change(
            bureau,
            by,
            kind=ProposalKind.RESOURCE,
            payload={"resource": resource.pk},
            title=_("Publish the resource « %(title)s »") % {"title": resource.title},
        )
    except actions.GovernanceError as error:
        raise ResourceError(str(error)) from error


@transaction.atomic
def unpublish(resource: Resource, by) -> None:
    """Take a resource off the public pages (a coordinator): back to « proposed »."""
    from .permissions import can_run_votes

    bureau = BureauPage.objects.get(pk=resource.bureau_id)
    if by is None or not can_run_votes(by, bureau):
        raise ResourceError(_("This is for the bureau's coordinators."))
    resource.status = ResourceStatus.PROPOSED
    resource.published_at = None
    resource.save(update_fields=["status", "published_at"])


def can_change(user, resource: Resource, bureau: BureauPage | None = None) -> bool:
    """Coordinators change any resource of their bureau (published ones included); the member who
    proposed a resource changes or withdraws it while it is not published."""
    from .permissions import can_propose, can_run_votes

    if user is None or not user.is_authenticated:
        return False
    bureau = bureau or BureauPage.objects.get(pk=resource.bureau_id)
    if can_run_votes(user, bureau):
        return True
    return not resource.is_published and resource.proposed_by_id == user.pk and can_propose(user, bureau)


def check_change(resource: Resource, by, bureau: BureauPage | None = None) -> None:
    """Refuse (ResourceError) a change by someone who may not make it, or during a vote on it:
    the voters must decide on what they read."""
    if not can_change(by, resource, bureau):
        raise ResourceError(str(NOT_YOURS))
    if not resource.is_published and pending_proposal(resource) is not None:
        raise ResourceError(
            _("The bureau is voting on publishing this resource: it cannot change until the vote is over.")
        )


@transaction.atomic
def withdraw(resource: Resource, by) -> None:
    """Delete a resource that is not published (its proposer or a coordinator); a published one
    is first taken off the public pages."""
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    check_change(resource, by)
    if resource.is_published:
        raise ResourceError(_("Unpublish this resource before withdrawing it."))
    resource.delete()


# --- The change a « publication of a resource » proposal carries (`commons.changes`) ------------


def _proposed_resource(bureau_id: int, resource_id) -> Resource:
    resource = (
        Resource.objects.filter(bureau_id=bureau_id, pk=resource_id).first()
        if isinstance(resource_id, int)
        else None
    )
    if resource is None:
        raise changes.ChangeError(_("This resource no longer exists in the bureau."))
    if resource.is_published:
        raise changes.ChangeError(_("This resource is already published."))
    return resource


def check(bureau: BureauPage, author, payload: dict) -> dict:
    """A proposed publication, checked and cleaned (what the proposal carries)."""
    from .permissions import can_run_votes

    if author is None or not can_run_votes(author, bureau):
        raise changes.ChangeError(_("This is for the bureau's coordinators."))
    resource = _proposed_resource(bureau.pk, payload.get("resource"))
    return {"resource": resource.pk, "title": resource.title, "url": resource.url}


def apply(proposal: Proposal) -> str:
    """An adopted publication: the resource becomes public, if it still can."""
    resource = _proposed_resource(proposal.bureau_id, proposal.payload.get("resource"))
    _publish_now(resource)
    return _("« %(title)s » is published in the bureau's resources.") % {"title": resource.title}


def describe(proposal: Proposal):
    """The change as the proposal page shows it (under « Proposed changes »)."""
    payload = proposal.payload
    rows = [
        (_("Change"), _("Publish in the bureau's public resources (on adoption)")),
        (_("Resource"), payload.get("title", "")),
        (_("Link"), payload.get("url", "")),
    ]
    body = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", rows)
    return format_html('<table class="facts change-facts"><tbody>{}</tbody></table>', body)


def register() -> None:
    changes.register(ProposalKind.RESOURCE, check=check, apply=apply)
