"""Readings: a study's notes on a reference of the bureau's library, coded like the field material.

Why a study-level row: the library is the bureau's (`commons.Reference`), but codes belong to a
study's codebook, so a literature review is coded study by study. A reading's text is the team's
Markdown notes, started from the reference's abstract (quoted) so that the abstract can be coded
too; excerpts and memos point into its plain text like any codable source (`studies.sources.READINGS`).
Like documents, a reading is the team's material: no party's consent applies, and it is shown to the
study team only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from commons.fields import MarkdownField, html_field

from .sources import CodableSource


class ReadingQuerySet(models.QuerySet):
    """`consented()` keeps the sources' signature: a reading has no party whose consent could lapse."""

    def consented(self, at=None, scope: str | None = None):
        return self


class Reading(CodableSource):
    """A study's reading of one reference: notes (Markdown) that the coding views code."""

    text_field = "notes"

    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="readings")
    reference = models.ForeignKey("commons.Reference", on_delete=models.CASCADE, related_name="readings")
    notes = MarkdownField(_("reading notes"), html_field="notes_html", help_text=_("Markdown."))
    notes_html = html_field()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["study", "reference"], name="one_reading_per_reference")
        ]

    def citation_bureau(self):
        """Reading notes may cite the library too (`commons.fields.MarkdownField`)."""
        return self.reference.bureau if self.reference_id else None


def starting_notes(reference) -> str:
    """The notes a new reading starts from: the reference's abstract, quoted, then room for the team."""
    abstract = " ".join((reference.abstract or "").split())
    return f"> {abstract}\n\n" if abstract else ""
