"""Leaving the platform: the member's request, kept until a confirmation erases the account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LeaveRequest(models.Model):
    """A member has asked to leave and be forgotten; the bureaus' coordinators have been told.

    One per account; deleted with the account when the erasure runs (it names nobody else), or when
    the member withdraws the request.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leave_request"
    )
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("request to leave")
        verbose_name_plural = _("requests to leave")

    def __str__(self) -> str:
        return f"{self.user_id} ({self.asked_at:%Y-%m-%d})"
