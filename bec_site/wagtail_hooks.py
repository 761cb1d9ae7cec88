"""The admin's account page sends email and password changes to allauth.

Wagtail's own email field and password panel are switched off (`WAGTAIL_EMAIL_MANAGEMENT_ENABLED`,
`WAGTAIL_PASSWORD_MANAGEMENT_ENABLED`): they changed `User.email` at once, unverified, and a
password without notice. The "More actions" tab links to allauth's pages instead, which verify a new
address, tell the old one, rate-limit and ask for the password again.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks


@hooks.register("register_account_menu_item")
def email_addresses_item(request: HttpRequest) -> dict[str, str]:
    return {
        "url": reverse("account_email"),
        "label": _("Email addresses"),
        "help_text": _("Add an address, verify it, make it your main one."),
    }


@hooks.register("register_account_menu_item")
def password_item(request: HttpRequest) -> dict[str, str]:
    return {
        "url": reverse("account_change_password"),
        "label": _("Password"),
        "help_text": _("Change your password: your email address is told of the change."),
    }


@hooks.register("register_account_menu_item")
def two_factor_item(request: HttpRequest) -> dict[str, str]:
    return {
        "url": reverse("mfa_index"),
        "label": _("Two-factor authentication"),
        "help_text": _("An authenticator app asks for a code at each sign-in."),
    }
