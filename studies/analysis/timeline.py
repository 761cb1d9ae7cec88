"""Over time: sources and coded segments per month, optionally split by purpose, AI tool or code.

Sources per month (split or not) are a crosstab with the month as rows (`crosstab.table`), so they
follow the same rules; coded segments per month are one GROUP BY over the filtered excerpts, by
the month of their source's date. Months without material are shown with zeros, so a line chart
does not join distant points as if they were neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count
from django.db.models.functions import Coalesce

from . import crosstab
from .filters import PATHS, Scope

SPLITS = ("", "purpose", "ai_tool", "code")


@dataclass(frozen=True)
class Timeline:
    months: list[date]
    sources: list[int]  # per month, observations and interviews
    segments: list[int]  # per month
    split: str
    series: list[tuple[str, list[int]]]  # (label, sources per month) when split


def _months(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (
            current.replace(year=current.year + 1, month=1)
            if current.month == 12
            else current.replace(month=current.month + 1)
        )
    return months


def _add(months: dict[date, int], day: date | None, count: int) -> None:
    if day is not None:
        month = day.replace(day=1)
        months[month] = months.get(month, 0) + count


def timeline(scope: Scope, split: str = "", limit: int = 8) -> Timeline:
    # Grouped by day in SQL (a few hundred rows a year) and by month here: truncating every row's
    # date to its month in the database cost more than the grouping itself.
    sources: dict[date, int] = {}
    for paths in PATHS.values():
        for day, count in scope.sources(paths).values_list(paths.date).annotate(n=Count("pk")).order_by():
            _add(sources, day, count)
    when = Coalesce("observation__" + PATHS["observations"].date, "interview__" + PATHS["interviews"].date)
    segments: dict[date, int] = {}
    for day, count in scope.excerpts().annotate(day=when).values_list("day").annotate(n=Count("pk")):
        _add(segments, day, count)
    known = [month for month in (*sources, *segments) if month is not None]
    months = _months(min(known), max(known)) if known else []
    series = []
    if split in crosstab.DIMENSIONS and split:
        table = crosstab.table(scope, "month", split, limit=limit, row_limit=len(months))
        by_month = {value: line for (value, _label), line in zip(table.row_values, table.cells, strict=True)}
        for index, (_value, label) in enumerate(table.column_values):
            series.append(
                (label, [by_month[month][index].count if month in by_month else 0 for month in months])
            )
    return Timeline(
        months=months,
        sources=[sources.get(month, 0) for month in months],
        segments=[segments.get(month, 0) for month in months],
        split=split if split in SPLITS else "",
        series=series,
    )


def rows(result: Timeline) -> list[tuple]:
    header = ("month", "sources", "coded_segments", *(label for label, _values in result.series))
    lines = [header]
    for index, month in enumerate(result.months):
        lines.append(
            (
                month.strftime("%Y-%m"),
                result.sources[index],
                result.segments[index],
                *(values[index] for _label, values in result.series),
            )
        )
    return lines
