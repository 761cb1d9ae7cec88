"""The allauth account adapter: sign-up is by invitation only.

A stranger who opens the sign-up page is told it is closed. Someone who followed a valid
invitation link may sign up, with the invited address only; the account, its profile and the
membership are created in one transaction, and the invitation is used up. Because the link
was emailed to that address, following it proves the address: the adapter stashes it as
verified (allauth's own mechanism for invitation flows). Every other address — an email
change, an account created by an administrator — must still be verified before login.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import invitations
from .emails import render_text, site_url
from .models import Invitation


class InvitationAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if invitations.pending_invitation(request) is not None:
            return True
        token = request.session.get(invitations.SESSION_KEY)
        if token:
            # This browser followed an invitation that has since been used, withdrawn or has expired
            # (e.g. while the form was being filled in): say so, rather than "sign-up is closed".
            # Only the sign-up views call this method, so raising here cannot disturb other pages.
            message = invitations.status_message(Invitation.find(token))
            raise ImmediateHttpResponse(
                render(request, "commons/invitation_invalid.html", {"message": message}, status=409)
            )
        return False

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        request = getattr(self, "request", None)
        # Only sign-up is bound to the invited address. allauth also cleans the address a member
        # adds, or asks a password reset for: a pending invitation in the session must not block those.
        match = getattr(request, "resolver_match", None)
        signing_up = match is not None and match.url_name == "account_signup"
        invitation = invitations.pending_invitation(request) if signing_up else None
        if invitation is not None and invitation.email.casefold() != email.casefold():
            raise forms.ValidationError(
                _(
                    "This invitation was sent to %(email)s. Sign up with that address, or ask for a new "
                    "invitation."
                )
                % {"email": invitation.email}
            )
        return email

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        # The invitation is checked again under a row lock: it may have been used in another tab
        # or withdrawn since the form was shown. Raising inside the atomic block rolls the new
        # account back, and allauth's middleware renders the response we raise.
        invitation = invitations.pending_invitation(request)
        try:
            if invitation is None:
                raise invitations.InvitationError(_("Sign-up is by invitation only."))
            with transaction.atomic():
                user = super().save_user(request, user, form, commit=commit)
                if commit:
                    invitations.accept(invitation.pk, user)
        except invitations.InvitationError as error:
            raise ImmediateHttpResponse(
                render(request, "commons/invitation_invalid.html", {"message": str(error)}, status=409)
            ) from error
        request.session.pop(invitations.SESSION_KEY, None)
        return user

    # --- Emails: plain-text subjects, links from the site's configured root (`commons.emails`). ---

    def render_mail(self, template_prefix: str, email, context: dict, headers=None):
        """allauth's emails, rendered like every other email of the site: autoescape off, so a site or
        person name with « & » or an apostrophe reads as typed, and every link on the configured root."""
        from django.core.mail import EmailMessage
        from django.template import TemplateDoesNotExist

        def on_site_root(key: str, value):
            is_link = key.endswith("_url") and isinstance(value, str) and "://" in value
            return site_url(value) if is_link else value

        context = {key: on_site_root(key, value) for key, value in context.items()}
        subject = " ".join(render_text(f"{template_prefix}_subject.txt", context).splitlines()).strip()
        subject = self.format_email_subject(subject)
        try:
            body = render_text(f"{template_prefix}_message.txt", context).strip()
        except TemplateDoesNotExist:
            # No text body: allauth's own rendering (an HTML-only email, escaped as HTML should be).
            return super().render_mail(template_prefix, email, context, headers=headers)
        to = [email] if isinstance(email, str) else email
        return EmailMessage(subject, body, self.get_from_email(), to, headers=headers)

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return site_url(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return site_url(super().get_reset_password_from_key_url(key))
