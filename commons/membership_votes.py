"""Membership by vote: invitations and exclusions as proposals of kind « membership ».

When the bureau's table has a line for « membership » (`changes.is_governed`), the members page
no longer invites nor ends a membership at once: a coordinator proposes it, carrying the exact
change, and adoption applies it (`actions.close_proposal` -> `apply`):

- an invitation `{"op": "invite", "email", "role", "college"}` is sent only once adopted;
- an exclusion `{"op": "exclude", "membership", "concerned_user", "name"}` ends the membership.

The person an exclusion is about (`concerned_user`) is told when the vote opens, may comment, is
left out of the electorate snapshot and cannot vote on it (`actions.open_proposal`, `cast_ballot`).
Each change is checked when proposed and again at adoption: an address that joined meanwhile, a
membership already ended or a last coordinator make the change « not applicable », never an error.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from participants.models import display_name

from . import changes
from .models import BureauPage, College, Membership, Proposal
from .models.governance import ProposalKind
from .models.membership import Role

INVITE, EXCLUDE = "invite", "exclude"


def _coordinator(bureau: BureauPage, author) -> None:
    from .permissions import can_manage_members

    if author is None or not can_manage_members(author, bureau):
        raise changes.ChangeError(_("Only the bureau's coordinators propose an invitation or an exclusion."))


def _college(bureau_id: int, college_id) -> College | None:
    if college_id in (None, ""):
        return None
    college = College.objects.filter(bureau_id=bureau_id, pk=college_id).first()
    if college is None:
        raise changes.ChangeError(_("This college no longer exists in the bureau."))
    return college


def _check_invite(bureau_id: int, payload: dict) -> dict:
    email = (payload.get("email") or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise changes.ChangeError(_("Enter a valid email address.")) from None
    role = payload.get("role")
    if role not in Role.values:
        raise changes.ChangeError(_("Unknown role."))
    college = _college(bureau_id, payload.get("college"))
    if Membership.objects.active().filter(bureau_id=bureau_id, user__email__iexact=email).exists():
        raise changes.ChangeError(_("%(email)s is already a member of the bureau.") % {"email": email})
    return {"op": INVITE, "email": email, "role": role, "college": college.pk if college else None}


def _active_membership(bureau_id: int, membership_id) -> Membership:
    membership = (
        Membership.objects.active()
        .filter(bureau_id=bureau_id, pk=membership_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise changes.ChangeError(_("This person is no longer a member of the bureau."))
    if membership.is_last_coordinator():
        raise changes.ChangeError(_("The bureau needs at least one coordinator."))
    return membership


def check(bureau: BureauPage, author, payload: dict) -> dict:
    """A proposed invitation or exclusion, checked and cleaned (what the proposal will carry)."""
    _coordinator(bureau, author)
    op = payload.get("op")
    if op == INVITE:
        return _check_invite(bureau.pk, payload)
    if op == EXCLUDE:
        membership = _active_membership(bureau.pk, payload.get("membership"))
        return {
            "op": EXCLUDE,
            "membership": membership.pk,
            "concerned_user": membership.user_id,
            "name": display_name(membership.user),
        }
    raise changes.ChangeError(_("Unknown membership change."))


def apply(proposal: Proposal) -> str:
    """Apply an adopted invitation or exclusion, checked again against the bureau as it is now."""
    from .invitations import send_invitation

    payload = proposal.payload
    if payload.get("op") == INVITE:
        cleaned = _check_invite(proposal.bureau_id, payload)
        bureau = BureauPage.objects.get(pk=proposal.bureau_id)
        send_invitation(
            bureau,
            cleaned["email"],
            cleaned["role"],
            _college(proposal.bureau_id, cleaned["college"]),
            inviter=proposal.author,
            after_commit=True,
        )
        return _("Invitation sent to %(email)s.") % {"email": cleaned["email"]}
    if payload.get("op") == EXCLUDE:
        membership = _active_membership(proposal.bureau_id, payload.get("membership"))
        membership.left_at = timezone.now()
        membership.save(update_fields=["left_at"])
        return _("%(name)s has left the bureau.") % {"name": display_name(membership.user)}
    raise changes.ChangeError(_("Unknown membership change."))


def describe(proposal: Proposal):
    """The change as the proposal page shows it (under « Proposed changes »)."""
    payload = proposal.payload
    if payload.get("op") == INVITE:
        college = College.objects.filter(pk=payload.get("college")).first()
        rows = [
            (_("Change"), _("Invite into the bureau (the invitation is sent once adopted)")),
            (_("Email address"), payload.get("email", "")),
            (_("Role"), Role(payload["role"]).label if payload.get("role") in Role.values else "—"),
            (_("College"), college.name if college else "—"),
        ]
    elif payload.get("op") == EXCLUDE:
        rows = [
            (_("Change"), _("End the membership (on adoption)")),
            (_("Member"), payload.get("name", "")),
        ]
    else:
        return None
    body = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", rows)
    return format_html('<table class="facts change-facts"><tbody>{}</tbody></table>', body)


def register() -> None:
    changes.register(ProposalKind.MEMBERSHIP, check=check, apply=apply)
