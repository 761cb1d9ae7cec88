"""Documents: texts brought in from another analysis tool (a REFI-QDA project), the third codable source.

A document has no party who consented to it through this site: it is the team's material, imported
by a coordinator who answers for it, and it is shown to the study team only. Its `plain_text` is
stored exactly as imported (no Markdown step), because the imported selections point into it by
character offsets; `origin` says where it came from (the file and the tool), for the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .sources import CodableSource


class DocumentQuerySet(models.QuerySet):
    """`consented()` keeps the signature of the other sources' querysets: a document has no party
    whose consent could lapse (team material), so every document of the study is shown."""

    def consented(self, at=None, scope: str | None = None):
        return self


class Document(CodableSource):
    """An imported text, coded with the same views as observations and interviews."""

    study = models.ForeignKey("studies.StudyPage", on_delete=models.CASCADE, related_name="documents")
    origin = models.CharField(_("origin"), max_length=300, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["study", "title"])]

    def save(self, *args, **kwargs) -> None:
        # The plain text is the source itself (imported selections point into it): no Markdown step.
        models.Model.save(self, *args, **kwargs)
