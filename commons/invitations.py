"""Issuing, sending and accepting invitations: the rules shared by the views and the account adapter."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .emails import render_email, site_url
from .models import BureauPage, College, Invitation, Membership

SESSION_KEY = "bec_invitation_token"


class InvitationError(Exception):
    """An invitation that cannot be used; the message is shown to the person as is."""


def status_message(invitation: Invitation | None) -> str | None:
    """Why an invitation cannot be used, in words for the invited person (None when it can)."""
    if invitation is None:
        return _("This invitation link is not valid. Check that you copied the whole link from the email.")
    return {
        "accepted": _("This invitation has already been used. Sign in with your account instead."),
        "revoked": _("This invitation has been withdrawn by the bureau's coordinators."),
        "expired": _("This invitation has expired. Ask the bureau's coordinators for a new one."),
    }.get(invitation.status)


def invite(
    request: HttpRequest, bureau: BureauPage, email: str, role: str, college: College | None
) -> Invitation:
    """Issue an invitation (withdrawing any pending one for the same address) and email its link."""
    return send_invitation(bureau, email, role, college, inviter=request.user)


def send_invitation(
    bureau: BureauPage, email: str, role: str, college: College | None, *, inviter, after_commit: bool = False
) -> Invitation:
    """`invite` without a request: also used when a bureau adopts an invitation by vote
    (`commons.membership_votes`, `after_commit`): the email then leaves once the decision is committed,
    never for a rolled-back one."""
    with transaction.atomic():
        Invitation.objects.pending().filter(bureau=bureau, email__iexact=email).update(
            revoked_at=timezone.now()
        )
        invitation, token = Invitation.issue(
            email=email, bureau=bureau, role=role, college=college, invited_by=inviter
        )
    link = site_url(reverse("invitation_accept", args=[token]))
    context = {
        "invitation": invitation,
        "link": link,
        "inviter": inviter,
        "bureau": bureau,
        "privacy_link": site_url(reverse("privacy")),
    }
    subject, body = render_email("commons/email/invitation", context)

    def send() -> None:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[email])

    if after_commit:
        transaction.on_commit(send, robust=True)
    else:
        send()
    return invitation


def pending_invitation(request: HttpRequest) -> Invitation | None:
    """The usable invitation whose token this browser followed, if any."""
    invitation = Invitation.find(request.session.get(SESSION_KEY, ""))
    return invitation if invitation and invitation.is_usable else None


@transaction.atomic
def accept(invitation_id: int, user) -> Membership:
    """Turn an invitation into a membership, once. Locks the row so two tabs cannot both use it."""
    invitation = Invitation.objects.select_for_update().select_related("bureau").get(pk=invitation_id)
    message = status_message(invitation)
    if message:
        raise InvitationError(message)
    if invitation.email.casefold() != (user.email or "").casefold():
        raise InvitationError(_("This invitation was sent to another email address."))
    if Membership.objects.active().filter(user=user, bureau=invitation.bureau).exists():
        raise InvitationError(_("You are already a member of this bureau."))
    membership = Membership.objects.create(
        user=user, bureau=invitation.bureau, role=invitation.role, college=invitation.college
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
