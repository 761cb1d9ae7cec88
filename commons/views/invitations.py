"""The page an invitation email links to."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .. import invitations
from ..models import Invitation
from ..permissions import forget_memberships


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """Check the token, then send the person to sign up, sign in, or straight into the bureau."""
    invitation = Invitation.find(token)
    message = invitations.status_message(invitation)
    if message:
        status = 404 if invitation is None else 410
        return render(request, "commons/invitation_invalid.html", {"message": message}, status=status)

    if request.user.is_authenticated:
        if request.method != "POST":
            return render(request, "commons/invitation_join.html", {"invitation": invitation})
        try:
            membership = invitations.accept(invitation.pk, request.user)
        except invitations.InvitationError as error:
            return render(request, "commons/invitation_invalid.html", {"message": str(error)}, status=409)
        forget_memberships(request.user)
        messages.success(request, _("Welcome to %(bureau)s!") % {"bureau": membership.bureau.title})
        return redirect(membership.bureau.url)

    request.session[invitations.SESSION_KEY] = token
    # Only a verified address counts: anyone can add an unverified address to their own account,
    # and that must not divert the invited person away from sign-up.
    User = get_user_model()
    has_account = (
        EmailAddress.objects.filter(email__iexact=invitation.email, verified=True).exists()
        or User.objects.filter(email__iexact=invitation.email).exists()
    )
    if has_account:
        messages.info(
            request,
            _("You already have an account: sign in to join %(bureau)s.")
            % {"bureau": invitation.bureau.title},
        )
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
    # The link was emailed to this address: following it proves the address (see commons.accounts).
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")
