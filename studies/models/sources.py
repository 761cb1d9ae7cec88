"""What observations and interviews share as codable sources: consent-filtered querysets, and a
Markdown text kept with the plain text that excerpts point into (character offsets)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class ConsentedQuerySet(models.QuerySet):
    """`consented()`: the one place that hides a source whose party no longer consents.

    Subclasses name the consent scope and the field pointing at the consenting party: a collective
    for observations, an informant for interviews — and an informant's material needs their
    collective's consent too (`ConsentRecord.objects.given_for`, the rule's one home).
    """

    consent_scope: ClassVar[str]
    #: The foreign key to the party, named as on `ConsentRecord`: ``"collective"`` or ``"informant"``.
    consent_party: ClassVar[str]

    def consented(self, at=None, scope: str | None = None):
        """Only rows whose party consents to `scope` (default `consent_scope`) at `at` (default now).

        Every list, count and page goes through this, so a withdrawal removes the material
        everywhere at once (the rows stay until erased). Chained with another scope
        (``consented().consented(scope="recording")``) it asks for both.
        """
        return self.filter(self.consent_q(at=at, scope=scope))

    def consent_q(self, prefix: str = "", at=None, scope: str | None = None) -> models.Q:
        """The filter `consented()` applies, for rows reached through `prefix` (``"observation__"``
        from an excerpt): one rule, usable in a join as well as on the sources' own table."""
        from participants.models import ConsentRecord

        party = {self.consent_party: f"{prefix}{self.consent_party}"}
        return ConsentRecord.objects.given_for(scope or self.consent_scope, at, **party)


class CodableSource(index.Indexed, models.Model):
    """A titled Markdown text that is coded: `plain_text` is derived from `text_field` at save.

    `version` is an optimistic-lock counter: a save built on an older version is refused instead of
    silently overwriting a colleague's edit.
    """

    #: Name of the MarkdownField holding the source text.
    text_field: ClassVar[str]
    #: The column naming the consenting party (``"collective_id"``, ``"informant_id"``), or None.
    party_field: ClassVar[str | None] = None

    title = models.CharField(_("title"), max_length=200)
    #: The source's identity in exchanges (REFI-QDA `guid`): created once, written the same on every
    #: export, so that a file coming back is matched by identity rather than by title.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    plain_text = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    updated_at = models.DateTimeField(auto_now=True)

    search_fields = [
        index.SearchField("title"),
        index.SearchField("plain_text"),
        index.FilterField("study_id"),
    ]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        from commons.markup import plain_text

        self.plain_text = plain_text(getattr(self, self.text_field))
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember the party as loaded: a source given to another party has its codes recounted in
        the codebook's tallies (`studies.tallies`), and this spares a query on every save."""
        instance = super().from_db(db, field_names, values)
        if cls.party_field is not None and cls.party_field in instance.__dict__:
            instance._loaded_party = instance.__dict__[cls.party_field]
        return instance
