"""Crosstabs: sources counted by two dimensions (codes, AI tools, purposes, collective attributes,
protocol version, observer, month).

The unit is the source (an observation or an interview). A dimension can hold several values
for one source (a note mentions several AI tools, is coded with several codes): the source is
counted in every cell it belongs to, so a row's cells may add up to more than the row's total.
Row and column totals count each source once, and percentages are of those totals (« of the
notes mentioning ChatGPT, 40 % were for writing »). A dimension that a kind of source does not
have (AI tools and purposes on interviews) leaves that kind out of the table.

Each kind is counted with a bounded number of GROUP BY queries (cells, row totals, column totals,
grand total); a dimension is a column path, grouped on; purposes (a JSON list) are grouped on
the list and shared out among its purposes in Python (see `_count`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from itertools import product
from typing import Any

from django.db.models import Count, F
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from participants.models import Collective, display_name
from participants.models.collectives import LegalForm, SizeBand

from ..models import AITool, ProtocolVersion, Purpose
from .filters import PATHS, KindPaths, Scope, month_bounds


@dataclass(frozen=True)
class Dimension:
    key: str
    label: Any
    #: The path (or expression) grouped on, per kind; None: that kind has no such value.
    path: Callable[[KindPaths], Any]
    #: Filter parameters selecting one value (for the links of cells).
    params: Callable[[Any], dict[str, list[str]]]
    #: For a flag dimension (a JSON list), its values; None for a grouped one.
    flags: tuple[str, ...] | None = None

    def expression(self, paths: KindPaths):
        path = self.path(paths)
        return F(path) if isinstance(path, str) else path

    def __reduce__(self):
        # Pickled by name (tables are cached, `studies.analysis.cache`): its functions are lambdas.
        return (dimension, (self.key,))


def dimension(key: str) -> Dimension:
    return DIMENSIONS[key]


def _attribute(name: str) -> Callable[[KindPaths], str]:
    return lambda paths: f"{paths.collective}__{name}"


def _month(paths: KindPaths):
    return TruncMonth(paths.date)


def _month_params(value: date) -> dict[str, list[str]]:
    first, last = month_bounds(value)
    return {"date_from": [first.isoformat()], "date_to": [last.isoformat()]}


DIMENSIONS: dict[str, Dimension] = {
    dimension.key: dimension
    for dimension in (
        Dimension("code", _("code"), lambda paths: "excerpts__codes", lambda v: {"codes": [str(v)]}),
        Dimension("ai_tool", _("AI tool"), lambda paths: paths.ai_tools, lambda v: {"ai_tools": [str(v)]}),
        Dimension(
            "purpose",
            _("purpose"),
            lambda paths: paths.purposes,
            lambda v: {"purposes": [v]},
            flags=tuple(Purpose.values),
        ),
        Dimension("legal_form", _("legal form"), _attribute("legal_form"), lambda v: {"legal_forms": [v]}),
        Dimension("sector", _("sector"), _attribute("sector"), lambda v: {"sectors": [v]}),
        Dimension("size_band", _("size"), _attribute("size_band"), lambda v: {"size_bands": [v]}),
        Dimension("territory", _("territory"), _attribute("territory"), lambda v: {"territories": [v]}),
        Dimension(
            "collective", _("collective"), lambda paths: paths.collective, lambda v: {"collectives": [str(v)]}
        ),
        Dimension(
            "version",
            _("protocol version"),
            lambda paths: "protocol_version",
            lambda v: {"versions": [str(v)]},
        ),
        Dimension("observer", _("observer"), lambda paths: paths.person, lambda v: {"observers": [str(v)]}),
        Dimension("month", _("month"), _month, _month_params),
    )
}

#: Ready-made tables for the study's question: (rows, columns, title).
PRESETS = (
    ("ai_tool", "purpose", _("AI tools × purposes")),
    ("code", "legal_form", _("Codes × legal form")),
)


def _applies(dimension: Dimension, paths: KindPaths) -> bool:
    return dimension.path(paths) is not None


def _count(queryset, dimensions: list[Dimension], paths: KindPaths, distinct: bool) -> dict[tuple, int]:
    """Sources per combination of values of `dimensions` (values None are dropped).

    `distinct`: a source can appear on several rows of one group (codes go through its excerpts);
    without it (AI tools, attributes, month…) a plain COUNT is exact and much cheaper.

    A flag dimension (purposes, a JSON list) is grouped on the list itself — a few dozen distinct
    lists — and each group's count goes to every flag of its list here. A source has one list, so
    the groups split the sources and the sums are exact; testing every flag in every row in SQL
    (``purposes::text LIKE …`` eight times) cost far more. Every combination of flags of a group
    is reported, zeros included, as the totals list every flag.
    """
    keys = {f"g{index}": d.expression(paths) for index, d in enumerate(dimensions)}
    grouped = [index for index, d in enumerate(dimensions) if d.flags is None]
    result: dict[tuple, int] = {}
    seen: set[tuple] = set()
    for item in queryset.values(**keys).annotate(n=Count("pk", distinct=distinct)).order_by():
        group = tuple(item[f"g{index}"] for index in grouped)
        if any(value is None or value == "" for value in group):
            continue
        seen.add(group)
        choices = []
        for index, dimension in enumerate(dimensions):
            value = item[f"g{index}"]
            if dimension.flags is None:
                choices.append((value,))
            else:
                present = set(value) if isinstance(value, list) else set()
                choices.append(tuple(flag for flag in dimension.flags if flag in present))
        for combo in product(*choices):
            result[combo] = result.get(combo, 0) + item["n"]
    if len(grouped) < len(dimensions):
        flagged = [d.flags for d in dimensions if d.flags is not None]
        for group in seen or ([()] if not grouped else []):
            for flags in product(*flagged):
                result.setdefault(_merge(dimensions, group, flags), 0)
    return result


def _merge(dimensions: list[Dimension], group: tuple, combo: tuple) -> tuple:
    """The values in the order of `dimensions`, from the grouped ones and the flag ones."""
    group_values, flag_values = iter(group), iter(combo)
    return tuple(next(flag_values) if d.flags is not None else next(group_values) for d in dimensions)


@dataclass(frozen=True)
class Cell:
    row: Any
    column: Any
    count: int
    row_share: Fraction | None
    column_share: Fraction | None

    @property
    def row_percent(self) -> float | None:
        return None if self.row_share is None else float(self.row_share * 100)

    @property
    def column_percent(self) -> float | None:
        return None if self.column_share is None else float(self.column_share * 100)


@dataclass(frozen=True)
class Table:
    rows: Dimension
    columns: Dimension
    row_values: list[tuple[Any, str]]  # (value, label)
    column_values: list[tuple[Any, str]]
    cells: list[list[Cell]]
    row_totals: list[int]
    column_totals: list[int]
    total: int
    hidden_rows: int
    hidden_columns: int


def table(scope: Scope, rows: str, columns: str, limit: int = 20, row_limit: int | None = None) -> Table:
    """The crosstab of `rows` × `columns` over the filtered sources (the most frequent values first)."""
    row_dim, column_dim = DIMENSIONS[rows], DIMENSIONS[columns]
    cells: dict[tuple, int] = defaultdict(int)
    row_totals: dict[Any, int] = defaultdict(int)
    column_totals: dict[Any, int] = defaultdict(int)
    total = 0
    for paths in PATHS.values():
        if not (_applies(row_dim, paths) and _applies(column_dim, paths)):
            continue
        sources = scope.sources(paths)
        codes = "code" in (row_dim.key, column_dim.key)
        joined = codes and scope.codes_filtered()
        if joined:
            # Codes of the source's passing excerpts only (a coder filter, a text filter…).
            sources = sources.filter(excerpts__in=scope.excerpts().values("pk"))
        for key, count in _count(sources, [row_dim, column_dim], paths, codes).items():
            cells[key] += count
        for (value,), count in _count(sources, [row_dim], paths, joined or row_dim.key == "code").items():
            row_totals[value] += count
        column_counts = _count(sources, [column_dim], paths, joined or column_dim.key == "code")
        for (value,), count in column_counts.items():
            column_totals[value] += count
        total += scope.sources(paths).count()
    row_order = _order(row_totals, row_dim, scope)
    column_order = _order(column_totals, column_dim, scope)
    labels = _labels(scope, {row_dim.key: list(row_totals), column_dim.key: list(column_totals)})
    row_limit = limit if row_limit is None else row_limit
    shown_rows, shown_columns = row_order[:row_limit], column_order[:limit]
    grid = [
        [
            Cell(
                row,
                column,
                cells.get((row, column), 0),
                Fraction(cells.get((row, column), 0), row_totals[row]) if row_totals[row] else None,
                Fraction(cells.get((row, column), 0), column_totals[column])
                if column_totals[column]
                else None,
            )
            for column in shown_columns
        ]
        for row in shown_rows
    ]
    return Table(
        rows=row_dim,
        columns=column_dim,
        row_values=[(value, labels[row_dim.key].get(value, str(value))) for value in shown_rows],
        column_values=[(value, labels[column_dim.key].get(value, str(value))) for value in shown_columns],
        cells=grid,
        row_totals=[row_totals[value] for value in shown_rows],
        column_totals=[column_totals[value] for value in shown_columns],
        total=total,
        hidden_rows=max(len(row_order) - row_limit, 0),
        hidden_columns=max(len(column_order) - limit, 0),
    )


def _order(totals: dict[Any, int], dimension: Dimension, scope: Scope) -> list:
    """Months in time order, codes most used first (then tree order), anything else most frequent first."""
    if dimension.key == "month":
        return sorted(totals)
    if dimension.key == "code":
        position = {pk: index for index, pk in enumerate(scope.codes)}
        return sorted(totals, key=lambda pk: (-totals[pk], position.get(pk, 0)))
    return sorted(totals, key=lambda value: (-totals[value], str(value)))


def _labels(scope: Scope, wanted: dict[str, list]) -> dict[str, dict]:
    """Labels of the values shown, by dimension (at most one small query per dimension)."""
    out: dict[str, dict] = {}
    for key, values in wanted.items():
        if key == "code":
            out[key] = {pk: code.path for pk, code in scope.codes.items()}
        elif key == "ai_tool":
            out[key] = dict(AITool.objects.filter(pk__in=values).values_list("pk", "name"))
        elif key == "purpose":
            out[key] = {value: str(label) for value, label in Purpose.choices}
        elif key == "legal_form":
            out[key] = {value: str(label) for value, label in LegalForm.choices}
        elif key == "size_band":
            out[key] = {value: str(label) for value, label in SizeBand.choices}
        elif key == "collective":  # pseudonyms only
            out[key] = dict(Collective.objects.filter(pk__in=values).values_list("pk", "code"))
        elif key == "version":
            out[key] = {
                pk: f"v{n}"
                for pk, n in ProtocolVersion.objects.filter(pk__in=values).values_list("pk", "number")
            }
        elif key == "observer":
            from django.contrib.auth import get_user_model

            users = get_user_model().objects.filter(pk__in=values).select_related("bec_profile")
            out[key] = {user.pk: display_name(user) for user in users}
        elif key == "month":
            out[key] = {value: value.strftime("%Y-%m") for value in values}
        else:
            out[key] = {value: str(value) for value in values}
    return out


def rows(result: Table) -> list[tuple]:
    """The table as download rows: header, one row per value, the column totals."""
    header = (
        f"{result.rows.label} \\ {result.columns.label}",
        *(label for _v, label in result.column_values),
        "total",
    )
    lines = [header]
    for (_value, label), line, row_total in zip(
        result.row_values, result.cells, result.row_totals, strict=True
    ):
        lines.append((label, *(cell.count for cell in line), row_total))
    lines.append(("total", *result.column_totals, result.total))
    return lines
