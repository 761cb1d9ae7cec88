"""Codable sources: what the coding machinery needs to know about an observation, an interview, an
imported document or a reading of a reference (the literature review).

Excerpts and memos point at exactly one source (``Excerpt.observation`` / ``Excerpt.interview``,
same on ``Memo``). The coding views (`studies.views.coding`) are written once, against a
:class:`SourceKind`: how to find a consented source of a study (else 404), the text excerpts point
into (``plain_text``), the keyword arguments that tie an excerpt or a memo to it, its page's
routes and template, and the few sentences that name it (« the note », « the transcript »).

A kind is plain data plus small methods; the page-specific part of each page (the observation's
whole-note codes, the interview's guide and recording) is a function named by ``page_context``
(a dotted path, imported when a page is rendered, so this module stays free of views).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DOCUMENTS",
    "INTERVIEWS",
    "KINDS",
    "OBSERVATIONS",
    "READINGS",
    "SourceKind",
    "consented_excerpt_count",
    "consented_excerpts_q",
    "kind_of",
]


@dataclass(frozen=True)
class SourceKind:
    """One kind of codable source (see the module docstring)."""

    #: Registry key and URL segment on the study page: ``observations/<id>/``.
    slug: str
    #: The foreign key naming the source on `Excerpt` and `Memo`.
    field: str
    #: ``app_label.ModelName``; the model has `study`, `title`, `plain_text`, `version`, an
    #: `excerpts` and a `memos` relation, and a `consented()` queryset method.
    model_label: str
    #: Route names on `StudyPage`: ``detail``, ``excerpt_create``, ``excerpt_delete``, ``memo``.
    routes: Mapping[str, str]
    #: The template of the source's page, and the dotted path of the function adding its own context.
    template: str
    page_context: str
    #: What the source's page shows along with it (``select_related``).
    related: tuple[str, ...]
    #: Sentences naming the source in forms, messages and the coding partials.
    wording: Mapping[str, Any]

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.model_label)

    def consented(self, study) -> QuerySet:
        """The study's sources that may be shown: consent in force (withdrawal hides them at once)."""
        return self.model.objects.consented().filter(study=study)

    def get(self, study, source_id: int):
        """The study's consented source `source_id`, with what its page shows, else 404."""
        source = self.consented(study).filter(pk=source_id).select_related(*self.related).first()
        if source is None:
            raise Http404(self.wording["missing"])
        return source

    def of(self, source) -> dict[str, Any]:
        """Keyword arguments tying an excerpt or a memo to `source` (filters and creations alike)."""
        return {self.field: source}

    def plain_text(self, source) -> str:
        return source.plain_text or ""

    def url(self, study, source_id: int, anchor: str = "") -> str:
        """The source's page, optionally at `#anchor`."""
        url = study.url + study.reverse_subpage(self.routes["detail"], args=[source_id])
        return f"{url}#{anchor}" if anchor else url


OBSERVATIONS = SourceKind(
    slug="observations",
    field="observation",
    model_label="studies.Observation",
    routes={
        "detail": "observation_detail",
        "excerpt_create": "excerpt_create",
        "excerpt_delete": "excerpt_delete",
        "memo": "observation_memo",
    },
    template="studies/observations/detail.html",
    page_context="studies.views.coding.observation_context",
    related=("collective", "observer", "observer__bec_profile", "protocol_version"),
    wording={
        "missing": _("No such observation in this study."),
        "no_excerpt": _("No such excerpt in this observation."),
        "start_required": _("Select a passage of the note (its start is missing)."),
        "end_required": _("Select a passage of the note (its end is missing)."),
        "out_of_range": _("The passage goes past the end of the note (%(length)s characters)."),
        "stale": _("The note changed since you opened this page: select the passage again."),
        "legend_label": _("Codes used in this note"),
        "nothing_coded": _("No passage of this note is coded yet."),
        "show_in_text": _("Show in the note"),
        "review_flag": _(
            "the note was edited and this text is no longer found as coded; the highlight shows where it was."
        ),
        "select_prompt": _("Select a passage in the note."),
        "offsets_label": _("Position in the note (characters)"),
        "offsets_help": _(
            "Selecting text fills these in. Without it: the first character is 0, the note has "
            "%(length)s characters, the end is not included."
        ),
        "no_memo": _("No memo on this observation yet."),
    },
)

INTERVIEWS = SourceKind(
    slug="interviews",
    field="interview",
    model_label="studies.Interview",
    routes={
        "detail": "interview_detail",
        "excerpt_create": "interview_excerpt_create",
        "excerpt_delete": "interview_excerpt_delete",
        "memo": "interview_memo",
    },
    template="studies/interviews/detail.html",
    page_context="studies.views.interviews.detail_context",
    related=(
        "informant",
        "informant__collective",
        "interviewer",
        "interviewer__bec_profile",
        "protocol_version",
        "recording",
    ),
    wording={
        "missing": _("No such interview in this study."),
        "no_excerpt": _("No such excerpt in this interview."),
        "start_required": _("Select a passage of the transcript (its start is missing)."),
        "end_required": _("Select a passage of the transcript (its end is missing)."),
        "out_of_range": _("The passage goes past the end of the transcript (%(length)s characters)."),
        "stale": _("The transcript changed since you opened this page: select the passage again."),
        "legend_label": _("Codes used in this transcript"),
        "nothing_coded": _("No passage of this transcript is coded yet."),
        "show_in_text": _("Show in the transcript"),
        "review_flag": _(
            "the transcript was edited and this text is no longer found as coded; the highlight shows "
            "where it was."
        ),
        "select_prompt": _("Select a passage in the transcript."),
        "offsets_label": _("Position in the transcript (characters)"),
        "offsets_help": _(
            "Selecting text fills these in. Without it: the first character is 0, the transcript has "
            "%(length)s characters, the end is not included."
        ),
        "no_memo": _("No memo on this interview yet."),
    },
)

DOCUMENTS = SourceKind(
    slug="documents",
    field="document",
    model_label="studies.Document",
    routes={
        "detail": "document_detail",
        "excerpt_create": "document_excerpt_create",
        "excerpt_delete": "document_excerpt_delete",
        "memo": "document_memo",
    },
    template="studies/documents/detail.html",
    page_context="studies.views.documents.detail_context",
    related=("imported_by", "imported_by__bec_profile"),
    wording={
        "missing": _("No such document in this study."),
        "no_excerpt": _("No such excerpt in this document."),
        "start_required": _("Select a passage of the document (its start is missing)."),
        "end_required": _("Select a passage of the document (its end is missing)."),
        "out_of_range": _("The passage goes past the end of the document (%(length)s characters)."),
        "stale": _("The document changed since you opened this page: select the passage again."),
        "legend_label": _("Codes used in this document"),
        "nothing_coded": _("No passage of this document is coded yet."),
        "show_in_text": _("Show in the document"),
        "review_flag": _(
            "the document was edited and this text is no longer found as coded; the highlight shows "
            "where it was."
        ),
        "select_prompt": _("Select a passage in the document."),
        "offsets_label": _("Position in the document (characters)"),
        "offsets_help": _(
            "Selecting text fills these in. Without it: the first character is 0, the document has "
            "%(length)s characters, the end is not included."
        ),
        "no_memo": _("No memo on this document yet."),
    },
)

READINGS = SourceKind(
    slug="readings",
    field="reading",
    model_label="studies.Reading",
    routes={
        "detail": "reading_detail",
        "excerpt_create": "reading_excerpt_create",
        "excerpt_delete": "reading_excerpt_delete",
        "memo": "reading_memo",
    },
    template="studies/readings/detail.html",
    page_context="studies.views.readings.detail_context",
    related=("reference", "added_by", "added_by__bec_profile"),
    wording={
        "missing": _("No such reading in this study."),
        "no_excerpt": _("No such excerpt in this reading."),
        "start_required": _("Select a passage of the reading notes (its start is missing)."),
        "end_required": _("Select a passage of the reading notes (its end is missing)."),
        "out_of_range": _("The passage goes past the end of the reading notes (%(length)s characters)."),
        "stale": _("The reading notes changed since you opened this page: select the passage again."),
        "legend_label": _("Codes used in these reading notes"),
        "nothing_coded": _("No passage of these reading notes is coded yet."),
        "show_in_text": _("Show in the reading notes"),
        "review_flag": _(
            "the reading notes were edited and this text is no longer found as coded; the highlight "
            "shows where it was."
        ),
        "select_prompt": _("Select a passage in the reading notes."),
        "offsets_label": _("Position in the reading notes (characters)"),
        "offsets_help": _(
            "Selecting text fills these in. Without it: the first character is 0, the notes have "
            "%(length)s characters, the end is not included."
        ),
        "no_memo": _("No memo on this reading yet."),
    },
)

KINDS: dict[str, SourceKind] = {
    source_kind.slug: source_kind for source_kind in (OBSERVATIONS, INTERVIEWS, DOCUMENTS, READINGS)
}


def kind_of(source: Model) -> SourceKind:
    """The kind of a source instance."""
    label = source._meta.label
    for source_kind in KINDS.values():
        if source_kind.model_label == label:
            return source_kind
    raise LookupError(f"{label} is not a codable source.")


def consented_excerpts_q(study, prefix: str = "") -> Q:
    """Excerpts (reached through `prefix`, e.g. ``"excerpt__"``) of any consented source of `study`.

    One ``IN (subquery)`` per kind, OR-ed: counts built on it stay a single SQL query. Imported
    documents are not part of the analysis tables yet (their SQL reads observations and interviews
    only), so they are left out here.
    """
    condition = Q()
    for source_kind in (OBSERVATIONS, INTERVIEWS):
        condition |= Q(**{f"{prefix}{source_kind.field}__in": source_kind.consented(study).values("pk")})
    return condition


def consented_excerpts_join_q(study, prefix: str = "") -> Q:
    """The same excerpts as `consented_excerpts_q`, written as joins to their sources.

    For reading every excerpt in order (the coded-segments spreadsheet): the database walks the
    excerpts by id and checks each one's source and consent. The ``IN (subquery)`` form suits
    counts and aggregates, but read in order it makes SQLite hold the list of consented sources,
    the set of matching excerpts and a sort of all of them (+11 MB at 200,000 excerpts; +2.5 MB
    this way, as fast). Same rule: each kind's `consent_q`, the one `consented()` applies.
    """
    condition = Q()
    for source_kind in (OBSERVATIONS, INTERVIEWS):
        path = f"{prefix}{source_kind.field}__"
        condition |= Q(**{f"{path}study": study}) & source_kind.model.objects.consent_q(path)
    return condition


def consented_excerpt_count(study) -> int:
    """How many excerpts `consented_excerpts_q(study)` keeps, counted kind by kind from the sources.

    Same rows, another plan: counting from each kind's consented sources joins their excerpts, where
    the ``IN (subquery)`` form makes SQLite hold the list of every consented source and the set of
    every matching excerpt in memory (about 6 MB at 100,000 observations, kept by the process after
    the « Échanges » page: issue 14 measures the process's peak while it exports).
    """
    return sum(
        source_kind.consented(study).aggregate(count=Count("excerpts"))["count"] or 0
        for source_kind in (OBSERVATIONS, INTERVIEWS)
    )
