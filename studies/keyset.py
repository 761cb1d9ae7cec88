"""Keyset pagination of the observation list: pages reached by a cursor, never by an OFFSET.

With `?page=N`, the database reads and throws away the N-1 pages before the one shown, and counts
every matching row to number the pages: at 100,000 observations, page 50 costs five times page 1.
Here a page is « the 25 rows after (or before) this one » in the list's order
(`-observed_on, -pk`): the cursor is the sort key of the last (or first) row shown, written
``<YYYY-MM-DD>.<id>``, and the query is a range condition on the `(study, observed_on)` index, as
cheap on page 5,000 as on page 1. Rows added or removed meanwhile never make a row appear twice or
go missing across the pages, which an offset does.

A cursor is only a position: it names no observation the reader must be allowed to see, so a
forged cursor shows at worst an empty page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

#: The largest id a cursor may carry (PostgreSQL's bigint): beyond, the database would refuse it.
MAX_ID = 2**63 - 1


class BadCursor(ValueError):
    """The cursor of a link is not ``<YYYY-MM-DD>.<id>`` (edited by hand, truncated...)."""


@dataclass(frozen=True)
class Cursor:
    observed_on: datetime.date
    pk: int

    def __str__(self) -> str:
        return f"{self.observed_on.isoformat()}.{self.pk}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """``2026-03-01.42`` -> Cursor; anything else raises `BadCursor` (never another error)."""
        day, dot, number = text.strip().partition(".")
        if not dot or not number.isascii() or not number.isdigit() or len(number) > 19:
            raise BadCursor(text)
        try:
            observed_on = datetime.date.fromisoformat(day)
        except ValueError as error:
            raise BadCursor(text) from error
        pk = int(number)
        if pk > MAX_ID or len(day) != 10:
            raise BadCursor(text)
        return cls(observed_on, pk)

    @classmethod
    def of(cls, row: Any) -> Cursor:
        return cls(row.observed_on, row.pk)


@dataclass
class KeysetPage:
    """One page of rows, in the list's order, and the cursors of the pages around it."""

    object_list: list = field(default_factory=list)
    next_cursor: Cursor | None = None
    previous_cursor: Cursor | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _after(cursor: Cursor) -> Q:
    """Rows shown after `cursor` in the order `-observed_on, -pk`.

    The redundant `observed_on <= date` gives the planner a bound to start the `(study,
    observed_on)` index scan at; the OR alone would be a filter on every row from the top.
    """
    day = cursor.observed_on
    return Q(observed_on__lte=day) & (Q(observed_on__lt=day) | Q(observed_on=day, pk__lt=cursor.pk))


def _before(cursor: Cursor) -> Q:
    day = cursor.observed_on
    return Q(observed_on__gte=day) & (Q(observed_on__gt=day) | Q(observed_on=day, pk__gt=cursor.pk))


def keyset_page(
    rows: QuerySet, per_page: int, *, after: Cursor | None = None, before: Cursor | None = None
) -> KeysetPage:
    """The page of `rows` (any order is replaced by `-observed_on, -pk`) after or before a cursor.

    One query of `per_page + 1` rows: the extra row only says whether there is a page further on.
    A page reached by « after » has a page before it (the one the reader came from); a page
    reached by « before » has one after it. The first page has no previous page.
    """
    if before is not None:
        found = list(rows.filter(_before(before)).order_by("observed_on", "pk")[: per_page + 1])
        more = len(found) > per_page
        shown = found[:per_page][::-1]
        if not shown:  # nothing before: the reader is back at the top
            return keyset_page(rows, per_page)
        return KeysetPage(shown, Cursor.of(shown[-1]), Cursor.of(shown[0]) if more else None)
    if after is not None:
        rows = rows.filter(_after(after))
    found = list(rows.order_by("-observed_on", "-pk")[: per_page + 1])
    shown = found[:per_page]
    next_cursor = Cursor.of(shown[-1]) if len(found) > per_page else None
    previous_cursor = Cursor.of(shown[0]) if after is not None and shown else None
    return KeysetPage(shown, next_cursor, previous_cursor)
