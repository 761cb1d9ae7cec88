"""The erasure record: what stays once an informant or a collective has been erased.

An erasure deletes a party's material everywhere (`studies.erasure`); the bureau must still be able
to say that it happened, when, on whose decision and how much went — without keeping anything of
what went. So the record holds the kind of party, the reason, the date, the person who erased (a
member of the team, not the erased party), the counts, and the studies and reports it touched: no
name, no pseudonym, no code, no text. The reports it touched show « chiffres antérieurs à un
retrait » beside their frozen figures (`erased_after`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    INFORMANT = "informant", _("interviewed person")
    COLLECTIVE = "collective", _("collective")


class ErasureReason(models.TextChoices):
    REQUEST = "request", _("at the party's request")
    RETENTION = "retention", _("retention period over")


class ErasureRecord(models.Model):
    """One erasure of an informant or a collective: counts and dates, no personal data."""

    bureau = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    party_kind = models.CharField(_("party"), max_length=20, choices=PartyKind.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=ErasureReason.choices, default=ErasureReason.REQUEST
    )
    erased_at = models.DateTimeField(_("erased on"), default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: {label key: count}, the keys of `studies.erasure.COUNT_LABELS` (observations, interviews…).
    counts = models.JSONField(_("what went"), default=dict)
    studies = models.ManyToManyField("studies.StudyPage", blank=True, related_name="study_erasures")
    #: Reports whose revisions lost a quote, or whose frozen figures counted the erased material.
    reports = models.ManyToManyField("studies.StudyReportPage", blank=True, related_name="report_erasures")

    class Meta:
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")
        ordering = ["-erased_at", "-pk"]
        indexes = [models.Index(fields=["bureau", "erased_at"])]

    def __str__(self) -> str:
        return f"{self.get_party_kind_display()} — {self.erased_at:%Y-%m-%d}"
