"""Frozen registrations of protocol versions (like a preregistration) and forks of protocols.

A registration is the bureau's public, permanent commitment to one protocol version: recorded when
a proposal of kind « registration » is adopted (`studies.registrations.register_adopted`, inside
the closing transaction), with the full text as rendered then, its SHA-256, the date and the
decision. Like a decision, it is never changed or deleted: `save()` on an existing row, `delete()`
and the queryset's `update()` / `delete()` raise, and the admin shows it read-only. A later version
is a new registration.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from commons.models.governance import ImmutableError


class RegistrationQuerySet(models.QuerySet):
    """Bulk writes are refused too: only raw SQL could alter a registration, and its hash shows it."""

    def update(self, **kwargs):
        raise ImmutableError("A registration is never changed.")

    def delete(self):
        raise ImmutableError("A registration is never withdrawn.")


def content_sha256(content_html: str) -> str:
    """The SHA-256 a registration certifies: of its text exactly as stored and shown (UTF-8)."""
    return hashlib.sha256(content_html.encode("utf-8")).hexdigest()


class Registration(models.Model):
    """A protocol version registered by the bureau's decision: public and permanent."""

    protocol = models.ForeignKey(
        "studies.ProtocolPage", on_delete=models.PROTECT, related_name="registrations", editable=False
    )
    version = models.OneToOneField(
        "studies.ProtocolVersion", on_delete=models.PROTECT, related_name="registration", editable=False
    )
    number = models.PositiveIntegerField(_("version"), editable=False)
    title = models.CharField(_("title"), max_length=255)  # editable only so the admin has a form field
    study_title = models.CharField(_("study"), max_length=255, editable=False)
    #: The full text as rendered at registration (the site's protocol template over the version's
    #: revision): what the SHA-256 covers, shown as stored whatever the templates become.
    content_html = models.TextField(_("text"), editable=False)
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, editable=False)
    registered_at = models.DateTimeField(_("registered on"), editable=False)
    decision = models.OneToOneField(
        "commons.Decision",
        verbose_name=_("decision"),
        on_delete=models.PROTECT,
        related_name="registration",
        editable=False,
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["protocol", "number"]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("A registration is never changed once recorded.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A registration is never withdrawn.")

    @property
    def intact(self) -> bool:
        """Whether the stored text still has the hash recorded with it."""
        return content_sha256(self.content_html) == self.sha256

    @property
    def url(self) -> str:
        page = self.protocol
        return (page.url or "") + page.reverse_subpage("registration", args=[self.number])
