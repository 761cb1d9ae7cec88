"""Coded segments: every excerpt passing the filters, with its codes, source, collective and coder.

Paginated by key (« the 50 excerpts after id N », newest first) rather than by OFFSET: the page
costs the same at page 1 and page 1,000 (an index range scan on the primary key), and a new
excerpt coded meanwhile does not shift the pages. A page is three queries: the excerpts with their
source, collective, version and coder (one join), their codes (one prefetch), and the total count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from participants.models import display_name

from ..models import Code, Excerpt
from .filters import Scope

PER_PAGE = 50

#: What a segment row reads of its source; the long texts of the source are never loaded.
_RELATED = (
    "coder__bec_profile",
    "observation__collective",
    "observation__protocol_version",
    "interview__informant__collective",
    "interview__protocol_version",
    "reading",
)
_DEFERRED = (
    "observation__body",
    "observation__body_html",
    "observation__plain_text",
    "observation__grid_answers",
    "interview__transcript",
    "interview__transcript_html",
    "interview__plain_text",
    "reading__notes",
    "reading__notes_html",
    "reading__plain_text",
)


@dataclass(frozen=True)
class Segment:
    """One row of the coded segments table: pseudonyms only (collective code, informant pseudonym)."""

    id: int
    text: str
    codes: tuple[Code, ...]
    kind: str  # "observations" | "interviews"
    source_id: int
    source_title: str
    collective: str  # the pseudonym code
    informant: str  # the informant's pseudonym (interviews)
    legal_form: str
    sector: str
    size_band: str
    territory: str
    coder: str
    memo: str
    date: date | None
    version: str
    start: int
    end: int


def queryset(scope: Scope) -> QuerySet:
    """The filtered excerpts with everything a row shows, newest first (codes prefetched)."""
    codes = Code.objects.filter(study=scope.study).only("pk", "name", "colour", "parent_id")
    return (
        scope.excerpts()
        .select_related(*_RELATED)
        .defer(*_DEFERRED)
        .prefetch_related(Prefetch("codes", queryset=codes))
        .order_by("-pk")
    )


def row(excerpt: Excerpt, scope: Scope) -> Segment:
    source = excerpt.observation or excerpt.interview or excerpt.reading
    if excerpt.reading_id:
        kind, collective, informant, when = "readings", None, "", None
    elif excerpt.observation_id:
        kind, collective, informant, when = "observations", source.collective, "", source.observed_on
    else:
        kind, informant, when = "interviews", source.informant.pseudonym, source.conducted_on
        collective = source.informant.collective
    codes = list(excerpt.codes.all())
    for code in codes:
        known = scope.codes.get(code.pk)
        code.path = known.path if known is not None else code.name
    codes = tuple(sorted(codes, key=lambda code: code.path.lower()))
    return Segment(
        id=excerpt.pk,
        text=excerpt.text,
        codes=codes,
        kind=kind,
        source_id=source.pk,
        source_title=source.title,
        collective=collective.code if collective else "",
        informant=informant,
        legal_form=collective.get_legal_form_display() if collective else "",
        sector=collective.sector if collective else "",
        size_band=collective.get_size_band_display() if collective and collective.size_band else "",
        territory=collective.territory if collective else "",
        coder=display_name(excerpt.coder) if excerpt.coder_id else "",
        memo=excerpt.memo,
        date=when,
        version=source.protocol_version.label if getattr(source, "protocol_version_id", None) else "",
        start=excerpt.start,
        end=excerpt.end,
    )


@dataclass(frozen=True)
class Page:
    segments: list[Segment]
    total: int
    next_after: int | None  # the `after` key of the next page
    previous_before: int | None  # the `before` key of the previous page
    first: bool


def page(scope: Scope, *, after: int | None = None, before: int | None = None, size: int = PER_PAGE) -> Page:
    """One page of segments: those with an id below `after` (next pages) or above `before` (back)."""
    rows = queryset(scope)
    if before is not None:
        items = list(rows.filter(pk__gt=before).order_by("pk")[: size + 1])
        more_before = len(items) > size
        items = items[:size][::-1]
        has_next = True
        first = not more_before
    else:
        if after is not None:
            rows = rows.filter(pk__lt=after)
        items = list(rows[: size + 1])
        has_next = len(items) > size
        items = items[:size]
        first = after is None
    segments = [row(item, scope) for item in items]
    return Page(
        segments=segments,
        total=scope.excerpts().count(),
        next_after=segments[-1].id if segments and has_next else None,
        previous_before=segments[0].id if segments and not first else None,
        first=first,
    )


HEADER = (
    "id",
    "text",
    "codes",
    "source",
    "source_id",
    "title",
    "collective",
    "informant",
    "legal_form",
    "sector",
    "size",
    "territory",
    "coder",
    "memo",
    "date",
    "protocol_version",
    "start",
    "end",
)


def rows(scope: Scope) -> Iterator[tuple]:
    """Every filtered segment as a download row (streamed in chunks)."""
    for excerpt in queryset(scope).iterator(chunk_size=500):
        item = row(excerpt, scope)
        yield (
            item.id,
            item.text,
            "; ".join(code.path for code in item.codes),
            item.kind,
            item.source_id,
            item.source_title,
            item.collective,
            item.informant,
            item.legal_form,
            item.sector,
            item.size_band,
            item.territory,
            item.coder,
            item.memo,
            item.date,
            item.version,
            item.start,
            item.end,
        )
