"""Co-occurrence of codes: how often two codes meet, on overlapping excerpts or in the same source.

Units
-----
- ``excerpt``: the excerpts carrying A or B that overlap (share at least one character with) an
  excerpt of the same source carrying the other code — an excerpt carrying both counts, and so do
  two excerpts of different coders on the same passage. The diagonal is the number of excerpts
  carrying the code. Jaccard = co-occurrences / excerpts carrying A or B.
- ``source``: the sources (observations, interviews) with an excerpt carrying A and an excerpt
  carrying B. The diagonal is the number of sources coded with the code. Jaccard = co-occurrences
  / sources coded with A or B.

The segments behind a cell are exactly the filter « codes A and B, matched on overlapping excerpts
(or in the same source) » of the coded segments page, so a cell's count is the number of segments
(or of their distinct sources) its link lists.

One query: a self-join of the (excerpt, code) links of the filtered excerpts, grouped by code
pair, in SQL written once for SQLite and PostgreSQL (CASE instead of LEAST/GREATEST); the filtered
excerpts come in as the ORM's own sub-query, so consent and every filter apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db import connection

from ..models import Code, Excerpt
from .filters import MATCH_OVERLAP, MATCH_SOURCE, Scope

UNITS = ("excerpt", "source")
DEFAULT_LIMIT = 15
#: Colour classes of the heat map (`heat-0` … `heat-5`), by Jaccard index.
HEAT_STEPS = 5


def match_for(unit: str) -> str:
    """The segments filter behind a cell of this unit."""
    return MATCH_SOURCE if unit == "source" else MATCH_OVERLAP


def counts(scope: Scope, unit: str) -> tuple[dict[int, int], dict[tuple[int, int], tuple[int, int]]]:
    """(units per code, ``(co-occurrences, excerpts carrying both)`` per pair ``(low id, high id)``).

    One SQL query. For the excerpt unit, a code paired with itself counts the excerpts carrying it
    (an excerpt overlaps itself), and ``both`` is needed for the union of a Jaccard index.
    """
    excerpt_sql, params = scope.excerpts().values("pk").query.sql_with_params()
    quote = connection.ops.quote_name
    excerpts = quote(Excerpt._meta.db_table)
    links = quote(Excerpt.codes.through._meta.db_table)
    links_cte = f"""
        links AS (
            SELECT e.id AS id, COALESCE(e.observation_id, -e.interview_id) AS src,
                   e.{quote("start")} AS start_, e.{quote("end")} AS end_, l.code_id AS code_id
            FROM {excerpts} e JOIN {links} l ON l.excerpt_id = e.id
            WHERE e.id IN ({excerpt_sql})
        )"""
    low_high = """
        CASE WHEN a.code_id < b.code_id THEN a.code_id ELSE b.code_id END AS low,
        CASE WHEN a.code_id < b.code_id THEN b.code_id ELSE a.code_id END AS high"""
    if unit == "excerpt":
        sql = f"""
            WITH {links_cte}
            SELECT {low_high}, COUNT(DISTINCT a.id), COUNT(DISTINCT CASE WHEN a.id = b.id THEN a.id END)
            FROM links a JOIN links b ON a.src = b.src AND a.start_ < b.end_ AND b.start_ < a.end_
            GROUP BY 1, 2
        """
    else:  # (source, code) pairs made distinct first: the join and the count then need no DISTINCT
        sql = f"""
            WITH {links_cte},
            coded AS (SELECT DISTINCT src, code_id FROM links)
            SELECT {low_high}, COUNT(*), 0
            FROM coded a JOIN coded b ON a.src = b.src AND a.code_id <= b.code_id
            GROUP BY 1, 2
        """
    # identifiers are the models' own table names; every value is a parameter
    diagonal: dict[int, int] = {}
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for low, high, count, both in cursor.fetchall():
            if low == high:
                diagonal[low] = count
            else:
                pairs[low, high] = (count, both)
    return diagonal, pairs


@dataclass(frozen=True)
class Cell:
    row: Code
    column: Code
    count: int
    jaccard: Fraction | None
    heat: int  # 0 … HEAT_STEPS

    @property
    def jaccard_float(self) -> float | None:
        return None if self.jaccard is None else float(self.jaccard)

    @property
    def diagonal(self) -> bool:
        return self.row.pk == self.column.pk


@dataclass(frozen=True)
class Matrix:
    unit: str
    codes: list[Code]  # rows and columns, most frequent first
    cells: list[list[Cell]]
    hidden: int  # codes left out by the limit
    max_count: int


def heat(jaccard: Fraction | None) -> int:
    """The colour step of a Jaccard index: 0 for none, then 1 … HEAT_STEPS by fifths."""
    if not jaccard:
        return 0
    return min(HEAT_STEPS, int(jaccard * HEAT_STEPS) + 1) if jaccard < 1 else HEAT_STEPS


def jaccard(unit: str, a: int, b: int, diagonal: dict[int, int], pairs: dict) -> tuple[int, Fraction | None]:
    """(co-occurrences, Jaccard index) of codes `a` and `b` (None when neither is used)."""
    count, both = pairs.get((min(a, b), max(a, b)), (0, 0))
    # Units carrying A or B: excerpts carrying both are in both diagonals; sources coded with both
    # are exactly the co-occurrences.
    union = diagonal.get(a, 0) + diagonal.get(b, 0) - (both if unit == "excerpt" else count)
    return count, (Fraction(count, union) if union else None)


def matrix(scope: Scope, unit: str = "excerpt", limit: int = DEFAULT_LIMIT) -> Matrix:
    """The code × code matrix of the `limit` most frequent codes (ties: tree order)."""
    diagonal, pairs = counts(scope, unit)
    order = {pk: position for position, pk in enumerate(scope.codes)}
    used = sorted((pk for pk in diagonal if pk in scope.codes), key=lambda pk: (-diagonal[pk], order[pk]))
    shown = [scope.codes[pk] for pk in used[:limit]]
    cells = []
    for row in shown:
        line = []
        for column in shown:
            if row.pk == column.pk:
                line.append(Cell(row, column, diagonal.get(row.pk, 0), None, 0))
            else:
                count, index = jaccard(unit, row.pk, column.pk, diagonal, pairs)
                line.append(Cell(row, column, count, index, heat(index)))
        cells.append(line)
    return Matrix(
        unit=unit,
        codes=shown,
        cells=cells,
        hidden=max(len(used) - limit, 0),
        max_count=max((count for count, _both in pairs.values()), default=0),
    )


HEADER = ("code_a", "code_b", "cooccurrences", "jaccard", "units_a", "units_b")


def rows(scope: Scope, unit: str) -> list[tuple]:
    """Every pair of codes that co-occur (the whole matrix, no limit), for downloads."""
    diagonal, pairs = counts(scope, unit)
    out = []
    for a, b in sorted(pairs, key=lambda pair: -pairs[pair][0]):
        if a in scope.codes and b in scope.codes:
            count, index = jaccard(unit, a, b, diagonal, pairs)
            out.append(
                (
                    scope.codes[a].path,
                    scope.codes[b].path,
                    count,
                    None if index is None else round(float(index), 4),
                    diagonal.get(a, 0),
                    diagonal.get(b, 0),
                )
            )
    return out
