"""People: the member profile that goes with every account."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StakeholderCategory(models.TextChoices):
    RESEARCHER = "researcher", _("researcher")
    SOCIAL_ENTREPRENEUR = "social_entrepreneur", _("social entrepreneur")
    ARTIST = "artist", _("artist")
    MAKER = "maker", _("maker")
    VOLUNTEER = "volunteer", _("volunteer")
    PARTNER = "partner", _("partner")


class MemberProfile(models.Model):
    """What the bureau knows of a member, beyond the login: the name others see, who they are."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bec_profile"
    )
    display_name = models.CharField(_("display name"), max_length=120)
    category = models.CharField(
        _("stakeholder category"),
        max_length=32,
        choices=StakeholderCategory.choices,
        default=StakeholderCategory.VOLUNTEER,
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    bio = models.TextField(_("bio"), blank=True, max_length=2000)
    email_notifications = models.BooleanField(
        _("email notifications"),
        default=True,
        help_text=_(
            "Receive an email when a vote opens, before it closes if you have not voted, and when "
            "it is decided."
        ),
    )

    #: The member's identity in exchanges (REFI-QDA `User` guid): a coder keeps it on every export.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    #: Set on the stand-in account of a member who left (`participants.leaving`): « membre parti·e
    #: n° N » is shown wherever their ballots, writing and proposals appear. Nothing else is kept.
    departed_number = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("member profile")
        verbose_name_plural = _("member profiles")
        ordering = ["display_name"]

    def __str__(self) -> str:
        if self.departed_number:
            return str(departed_label(self.departed_number))
        return self.display_name


def departed_label(number: int) -> str:
    """The pseudonymous label of a member who left: the same number wherever their traces stay."""
    return _("departed member no. %(number)s") % {"number": number}


def display_name(user) -> str:
    """The name to show for a user: profile display name, else full name, else the email's local part.

    A departed member's stand-in account shows « membre parti·e n° N » (from its profile, so that
    lists already selecting the profile pay no extra query).
    Callers that list many users should `select_related("bec_profile")` (or "user__bec_profile").
    """
    try:
        profile = user.bec_profile
    except MemberProfile.DoesNotExist:
        profile = None
    if profile and profile.departed_number:
        return str(departed_label(profile.departed_number))
    if profile and profile.display_name:
        return profile.display_name
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or (user.email or "").split("@")[0] or str(user)
