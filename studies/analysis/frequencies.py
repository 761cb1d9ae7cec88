"""Code frequencies: per code, and rolled up per family, the excerpts, sources, collectives and coders.

Two queries whatever the data size (one more per further level of families): one GROUP BY code
over the (excerpt, code) links of the filtered excerpts, one GROUP BY family for the codes that
have sub-codes (a parent counts the distinct excerpts, sources… of its whole subtree: distinct
counts cannot be added up). The
share of sources is over the filtered sources (two COUNTs, one per kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce

from ..models import Code, Excerpt
from .filters import PATHS, READING_PATHS, Scope

METRICS = ("excerpts", "sources", "collectives", "coders")
SORTS = ("tree", "name", *METRICS)


@dataclass
class Counts:
    excerpts: int = 0
    observations: int = 0
    interviews: int = 0
    readings: int = 0
    collectives: int = 0
    coders: int = 0

    @property
    def sources(self) -> int:
        return self.observations + self.interviews + self.readings


@dataclass
class Row:
    code: Code
    own: Counts
    rolled: Counts | None  # with the descendants; None for a code without sub-codes
    share: Fraction | None = None  # share of the filtered sources coded with it
    rolled_share: Fraction | None = None  # the same, with its sub-codes
    children: list[int] = field(default_factory=list)

    @property
    def total(self) -> Counts:
        return self.rolled or self.own

    @property
    def share_percent(self) -> float | None:
        return None if self.share is None else float(self.share * 100)

    @property
    def rolled_share_percent(self) -> float | None:
        return None if self.rolled_share is None else float(self.rolled_share * 100)


def _aggregates(prefix: str = "", condition: Q | None = None) -> dict:
    def count(path: str, expression=None) -> Count:
        return Count(expression if expression is not None else path, distinct=True, filter=condition)

    collective = Coalesce(
        f"excerpt__observation__{PATHS['observations'].collective}",
        f"excerpt__interview__{PATHS['interviews'].collective}",
    )
    return {
        f"{prefix}excerpts": count("excerpt"),
        f"{prefix}observations": count("excerpt__observation"),
        f"{prefix}interviews": count("excerpt__interview"),
        f"{prefix}readings": count("excerpt__reading"),
        f"{prefix}collectives": count("", collective),
        f"{prefix}coders": count("excerpt__coder"),
    }


def table(scope: Scope, sort: str = "tree") -> tuple[list[Row], int]:
    """The rows (every code of the study, zero rows included) and the number of filtered sources."""
    links = Excerpt.codes.through.objects.filter(excerpt__in=scope.excerpts().values("pk"))
    own = {
        item.pop("code"): Counts(**item) for item in links.order_by().values("code").annotate(**_aggregates())
    }
    # Families: the codes with sub-codes. Those at one depth have disjoint subtrees, so one GROUP BY
    # on « the family of this link's code » counts them all (five distinct counts per level of the
    # tree, where one conditional aggregate per family took five each).
    parents = [code for code in scope.codes.values() if len(code.subtree) > 1]
    levels: dict[int, list[Code]] = {}
    for code in parents:
        levels.setdefault(code.depth, []).append(code)
    found: dict[int, Counts] = {}
    for level in levels.values():
        family = Case(
            *(When(code__in=sorted(code.subtree), then=Value(code.pk)) for code in level),
            default=None,
            output_field=IntegerField(),
        )
        grouped = links.annotate(family=family).filter(family__isnull=False).order_by().values("family")
        found.update({item.pop("family"): Counts(**item) for item in grouped.annotate(**_aggregates())})
    rolled = {code.pk: found.get(code.pk, Counts()) for code in parents}
    sources = sum(scope.sources(paths).count() for paths in (*PATHS.values(), READING_PATHS))
    rows = []
    for code in scope.codes.values():
        item = Row(code=code, own=own.get(code.pk, Counts()), rolled=rolled.get(code.pk))
        if sources:
            item.share = Fraction(item.own.sources, sources)
            item.rolled_share = Fraction(item.rolled.sources, sources) if item.rolled else None
        rows.append(item)
    if sort in METRICS:
        rows.sort(key=lambda item: (-getattr(item.total, sort), item.code.path.lower()))
    elif sort == "name":
        rows.sort(key=lambda item: item.code.name.lower())
    return rows, sources


HEADER = (
    "code",
    "path",
    "level",
    "excerpts",
    "sources",
    "observations",
    "interviews",
    "collectives",
    "coders",
    "share_of_sources",
    "excerpts_with_subcodes",
    "sources_with_subcodes",
    "collectives_with_subcodes",
    "coders_with_subcodes",
    "share_of_sources_with_subcodes",
)


def rows(table_rows: list[Row]) -> list[tuple]:
    out = []
    for item in table_rows:
        own, rolled = item.own, item.rolled
        out.append(
            (
                item.code.name,
                item.code.path,
                item.code.depth,
                own.excerpts,
                own.sources,
                own.observations,
                own.interviews,
                own.collectives,
                own.coders,
                None if item.share is None else round(float(item.share), 4),
                *(
                    (
                        rolled.excerpts,
                        rolled.sources,
                        rolled.collectives,
                        rolled.coders,
                        None if item.rolled_share is None else round(float(item.rolled_share), 4),
                    )
                    if rolled
                    else ("",) * 5
                ),
            )
        )
    return out
