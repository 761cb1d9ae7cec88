"""Interviews: an informant's words, under informed consent, pinned to the protocol version (its guide).

An interview is a codable source like an observation (`studies.sources`): excerpts point into its
`plain_text` by character offsets and carry the study's codes. Consent is enforced in one place,
`Interview.objects.consented()`: without the current `interview` consent of the informant *and* of
their collective, the interview leaves every list, count and page at once. The recording is shown
to the team only, and only while both also consent to `recording`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commons.fields import MarkdownField, html_field
from participants.models import ConsentScope

from .sources import CodableSource, ConsentedQuerySet


class InterviewMode(models.TextChoices):
    IN_PERSON = "in_person", _("in person")
    VIDEO = "video", _("video call")
    PHONE = "phone", _("phone")


class InterviewQuerySet(ConsentedQuerySet):
    """`consented()`: the informant and their collective both have an `interview` consent in force."""

    consent_scope = ConsentScope.INTERVIEW
    consent_party = "informant"


class Interview(CodableSource):
    text_field = "transcript"
    party_field = "informant_id"

    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="interviews")
    informant = models.ForeignKey(
        "participants.Informant",
        verbose_name=_("informant"),
        on_delete=models.PROTECT,
        related_name="interviews",
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="interviews"
    )
    conducted_on = models.DateField(_("date"), default=timezone.localdate)
    mode = models.CharField(
        _("mode"), max_length=20, choices=InterviewMode.choices, default=InterviewMode.IN_PERSON
    )
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True)
    protocol_version = models.ForeignKey(
        "studies.ProtocolVersion",
        verbose_name=_("protocol version"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="interviews",
    )
    transcript = MarkdownField(_("transcript"), html_field="transcript_html", help_text=_("Markdown."))
    transcript_html = html_field()
    recording = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("recording"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InterviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-conducted_on", "-pk"]
        indexes = [models.Index(fields=["study", "conducted_on"])]
