"""Inter-coder agreement: Cohen's kappa over characters, computed without the ORM.

The unit is the character
-------------------------
Two coders, A and B, are compared over the observations that *both* coded (each of them has at
least one excerpt in it). For one code ``c``, every character of such an observation's plain text
is a unit, rated twice:

- A's rating is 1 when the character lies inside one of A's excerpts carrying ``c``, else 0;
- B's rating likewise with B's excerpts.

Overlapping or touching excerpts of one coder count once (their spans are merged first). Summed
over those observations, the ratings give a 2×2 table per code::

                  B = 1    B = 0
        A = 1      a11      a10
        A = 0      a01      a00          n = a11 + a10 + a01 + a00 characters

- observed agreement ``p_o = (a11 + a00) / n``;
- chance agreement ``p_e = pA·pB + (1 − pA)(1 − pB)`` with ``pA = (a11 + a10) / n`` and
  ``pB = (a11 + a01) / n`` (each coder's own proportion of coded characters);
- **Cohen's kappa** ``κ = (p_o − p_e) / (1 − p_e)``: 1 is perfect agreement, 0 is what chance
  alone gives, below 0 is worse than chance.

When ``p_e = 1`` — both coders rated every character 0 (or every character 1) — kappa is 0/0:
it is **undefined** and reported as ``None``; the raw agreement ``p_o`` is still reported.

The overall kappa is **pooled**: the per-code 2×2 tables are added cell by cell and kappa is
computed once on the summed table (rather than averaging per-code kappas, which would give a
rarely used code as much weight as a frequent one). Only the codes that at least one of the two
coders applied on those observations take part: a code neither used would only add characters
both rated 0, so the overall figure would otherwise change whenever an unrelated code is added to
the codebook. Such codes are listed apart (``Report.unused_codes``).

Per observation, the **disagreement score** is the number of (character, code) pairs on which
the coders differ, divided by ``length × number of codes taken into account``; the report lists
the observations where it is highest.

Arithmetic is exact (``fractions.Fraction``); floats only come out for display. Spans are handled
as intervals (sort, merge, intersect with two pointers): the cost depends on the number of
excerpts, never on the number of characters.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

Span = tuple[int, int]
Table = tuple[int, int, int, int]

#: How many observations the report lists as the largest disagreements.
TOP_DISAGREEMENTS = 10


# --- Interval arithmetic ---------------------------------------------------------------------------


def merge_spans(spans: Iterable[Span], length: int | None = None) -> list[Span]:
    """Sorted, disjoint half-open spans covering the same characters as ``spans``.

    Overlapping and touching spans are joined; with ``length``, spans are clipped to
    ``[0, length)`` and those left empty are dropped.
    """
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if length is not None:
            start, end = max(start, 0), min(end, length)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def covered(merged: Sequence[Span]) -> int:
    """Characters covered by disjoint spans."""
    return sum(end - start for start, end in merged)


def intersection_length(first: Sequence[Span], second: Sequence[Span]) -> int:
    """Characters covered by both lists of sorted, disjoint spans (two pointers, linear)."""
    i = j = total = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if end > start:
            total += end - start
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return total


def character_table(length: int, spans_a: Iterable[Span], spans_b: Iterable[Span]) -> Table:
    """The 2×2 table ``(a11, a10, a01, a00)`` of one code over one text of ``length`` characters.

    ``spans_a`` / ``spans_b``: the half-open ``(start, end)`` spans where coder A / B applied the
    code. A coder's overlapping spans count once; spans are clipped to the text.
    """
    merged_a = merge_spans(spans_a, length)
    merged_b = merge_spans(spans_b, length)
    both = intersection_length(merged_a, merged_b)
    only_a = covered(merged_a) - both
    only_b = covered(merged_b) - both
    return both, only_a, only_b, max(length, 0) - both - only_a - only_b


def add_tables(tables: Iterable[Table]) -> Table:
    a11 = a10 = a01 = a00 = 0
    for t11, t10, t01, t00 in tables:
        a11, a10, a01, a00 = a11 + t11, a10 + t10, a01 + t01, a00 + t00
    return a11, a10, a01, a00


# --- Kappa -----------------------------------------------------------------------------------------


def observed_agreement(a11: int, a10: int, a01: int, a00: int) -> Fraction | None:
    """``p_o``: the share of units on which the coders agree (None for an empty table)."""
    total = a11 + a10 + a01 + a00
    return Fraction(a11 + a00, total) if total else None


def kappa_from_table(a11: int, a10: int, a01: int, a00: int) -> Fraction | None:
    """Cohen's kappa of a 2×2 table, exactly; None when undefined (empty table or ``p_e == 1``)."""
    total = a11 + a10 + a01 + a00
    if total <= 0:
        return None
    p_o = Fraction(a11 + a00, total)
    p_a = Fraction(a11 + a10, total)
    p_b = Fraction(a11 + a01, total)
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    if p_e == 1:
        return None
    return (p_o - p_e) / (1 - p_e)


#: Landis & Koch (1977): (upper bound included, key, label). Below 0 is « poor ».
_BANDS = (
    (Fraction(1, 5), "slight", _("slight agreement")),
    (Fraction(2, 5), "fair", _("fair agreement")),
    (Fraction(3, 5), "moderate", _("moderate agreement")),
    (Fraction(4, 5), "substantial", _("substantial agreement")),
)


def landis_koch(kappa: Fraction | float | None) -> tuple[str, str]:
    """The Landis & Koch band of a kappa: ``(key, translatable label)``; ``("undefined", …)`` for None.

    < 0 poor · 0–0.20 slight · 0.21–0.40 fair · 0.41–0.60 moderate · 0.61–0.80 substantial ·
    0.81–1 almost perfect — applied to the kappa rounded to two decimals.
    """
    if kappa is None:
        return "undefined", _("undefined")
    # Judged on the value shown (two decimals, halves away from zero, like `floatformat`), so that
    # a kappa displayed as 0.20 never reads « fair ».
    hundredths = abs(Fraction(kappa)) * 100
    rounded = math.floor(hundredths + Fraction(1, 2))
    kappa = Fraction(-rounded if kappa < 0 else rounded, 100)
    if kappa < 0:
        return "poor", _("poor agreement")
    for bound, key, label in _BANDS:
        if kappa <= bound:
            return key, label
    return "almost_perfect", _("almost perfect agreement")


# --- The report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObsData:
    """What the computation needs of one observation.

    ``excerpts``: ``(coder_id, start, end, code_ids)`` tuples, offsets into the plain text.
    ``collective``: the collective's pseudonym code, only carried through for display.
    """

    id: int
    title: str
    length: int
    excerpts: Sequence[tuple[int, int, int, Sequence[int]]]
    collective: str = ""


def _as_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


class _TableMeasures:
    """Kappa, observed agreement and their display forms, read from a 2×2 ``table``."""

    table: Table

    @property
    def kappa(self) -> Fraction | None:
        return kappa_from_table(*self.table)

    @property
    def observed(self) -> Fraction | None:
        return observed_agreement(*self.table)

    @property
    def kappa_float(self) -> float | None:
        return _as_float(self.kappa)

    @property
    def observed_float(self) -> float | None:
        return _as_float(self.observed)

    @property
    def observed_percent(self) -> float | None:
        return _as_float(None if self.observed is None else self.observed * 100)

    @property
    def band(self) -> tuple[str, str]:
        return landis_koch(self.kappa)


@dataclass(frozen=True)
class CodeAgreement(_TableMeasures):
    """Agreement on one code: its pooled 2×2 table over the observations both coded."""

    code_id: int
    table: Table

    @property
    def coded_by_a(self) -> int:
        return self.table[0] + self.table[1]

    @property
    def coded_by_b(self) -> int:
        return self.table[0] + self.table[2]

    @property
    def coded_by_both(self) -> int:
        return self.table[0]


@dataclass(frozen=True)
class CodeDisagreement:
    code_id: int
    characters: int
    share: Fraction

    @property
    def share_float(self) -> float:
        return float(self.share)

    @property
    def share_percent(self) -> float:
        return float(self.share * 100)


@dataclass(frozen=True)
class ObservationDisagreement:
    """How much two coders differ on one observation, overall and code by code."""

    id: int
    title: str
    collective: str
    length: int
    characters: int  # (character, code) pairs on which the coders differ
    score: Fraction  # characters / (length × codes taken into account)
    per_code: tuple[CodeDisagreement, ...]  # codes with some disagreement, largest first

    @property
    def score_float(self) -> float:
        return float(self.score)

    @property
    def score_percent(self) -> float:
        return float(self.score * 100)


@dataclass(frozen=True)
class Report(_TableMeasures):
    coder_a: int
    coder_b: int
    observations: int  # observations coded by both
    characters: int  # their total length
    codes: tuple[CodeAgreement, ...]  # codes taken into account, in the order given
    unused_codes: tuple[int, ...]  # codes neither coder applied on those observations
    table: Table  # the pooled table
    disagreements: tuple[ObservationDisagreement, ...] = field(default=())


def _ranking(first: tuple, second: tuple) -> int:
    """Order ``(differing, length, id, …)`` candidates: higher share first (exact cross product), then
    more differing characters, then lower id."""
    d1, l1, id1 = first[:3]
    d2, l2, id2 = second[:3]
    return (d2 * l1 - d1 * l2) or (d2 - d1) or (id1 - id2)


def agreement(
    observations: Iterable[ObsData],
    coder_a: int,
    coder_b: int,
    codes: Iterable[int],
    *,
    top: int = TOP_DISAGREEMENTS,
) -> Report:
    """Compare ``coder_a`` and ``coder_b`` over ``observations`` for ``codes`` (see the module doc).

    Excerpts of other coders, and code ids not in ``codes``, are ignored. Observations that one of
    the two did not code (no excerpt at all) are left out. One pass over the observations; per
    code, only the three "someone coded it" cells are summed (``a00`` is the rest of the characters,
    which also covers observations where neither applied the code).
    """
    code_ids = list(dict.fromkeys(codes))
    wanted = set(code_ids)
    sums: dict[int, list[int]] = {}  # code -> [a11, a10, a01]
    candidates: list[tuple[int, int, int, ObsData, dict[int, int]]] = []
    compared = characters = 0
    for observation in observations:
        spans: dict[tuple[int, int], list[Span]] = defaultdict(list)
        seen_a = seen_b = False
        for coder, start, end, excerpt_codes in observation.excerpts:
            if coder == coder_a:
                seen_a = True
            elif coder == coder_b:
                seen_b = True
            else:
                continue
            for code in excerpt_codes:
                if code in wanted:
                    spans[coder, code].append((start, end))
        if not (seen_a and seen_b):  # also when coder_a == coder_b: nobody is compared with themselves
            continue
        compared += 1
        length = max(observation.length, 0)
        characters += length
        differing: dict[int, int] = {}
        for code in {code for _coder, code in spans}:
            a11, a10, a01, _a00 = character_table(
                length, spans.get((coder_a, code), ()), spans.get((coder_b, code), ())
            )
            if a11 or a10 or a01:
                cells = sums.setdefault(code, [0, 0, 0])
                cells[0] += a11
                cells[1] += a10
                cells[2] += a01
            if a10 or a01:
                differing[code] = a10 + a01
        if differing:
            candidates.append((sum(differing.values()), length, observation.id, observation, differing))

    considered = [code for code in code_ids if code in sums]
    code_rows = tuple(
        CodeAgreement(code, (a11, a10, a01, characters - a11 - a10 - a01))
        for code in considered
        for a11, a10, a01 in [sums[code]]
    )
    worst = heapq.nsmallest(top, candidates, key=functools.cmp_to_key(_ranking)) if top > 0 else []
    disagreements = tuple(
        ObservationDisagreement(
            id=observation.id,
            title=observation.title,
            collective=observation.collective,
            length=length,
            characters=total,
            score=Fraction(total, length * len(considered)),
            per_code=tuple(
                CodeDisagreement(code, count, Fraction(count, length))
                for code, count in sorted(differing.items(), key=lambda item: (-item[1], item[0]))
            ),
        )
        for total, length, _id, observation, differing in worst
    )
    return Report(
        coder_a=coder_a,
        coder_b=coder_b,
        observations=compared,
        characters=characters,
        codes=code_rows,
        unused_codes=tuple(code for code in code_ids if code not in sums),
        table=add_tables(row.table for row in code_rows),
        disagreements=disagreements,
    )


# --- Krippendorff's alpha (nominal), two coders or more --------------------------------------------
#
# Same units as kappa: for one code, every character of every source that at least two of the
# chosen coders coded (each has an excerpt in it). A coder who coded the source rates each of its
# characters 1 when it lies inside one of their excerpts carrying the code, else 0; a coder who did
# not code the source gives no rating there. The pooled alpha concatenates the units of the codes
# taken into account (those some chosen coder applied on those sources, as for the pooled kappa).
#
# With two values, the coincidence matrix reduces to three sums over the units u, m_u being the
# number of ratings of u and k_u its ratings of 1:
#     o01 = Σ k_u (m_u − k_u) / (m_u − 1),   n1 = Σ k_u,   n0 = Σ (m_u − k_u),   n = n0 + n1
# and alpha = 1 − D_o / D_e = 1 − (n − 1) · o01 / (n0 · n1), undefined (None) when n0 · n1 = 0
# (every rating is the same value). Characters between two consecutive span boundaries share their
# ratings, so each stretch is added at once (cost: the excerpts, not the characters). Exact
# arithmetic (Fraction), like kappa.


@dataclass(frozen=True)
class AlphaSums:
    """The three sums alpha is read from (see above); they add up across units, sources and codes."""

    o01: Fraction = Fraction(0)
    n0: int = 0
    n1: int = 0

    def __add__(self, other: AlphaSums) -> AlphaSums:
        return AlphaSums(self.o01 + other.o01, self.n0 + other.n0, self.n1 + other.n1)

    @property
    def alpha(self) -> Fraction | None:
        n = self.n0 + self.n1
        if self.n0 == 0 or self.n1 == 0:
            return None
        return 1 - (n - 1) * self.o01 / (self.n0 * self.n1)


@dataclass(frozen=True)
class AlphaReport:
    coders: tuple[int, ...]
    sources: int  # sources that at least two of the coders coded
    characters: int  # their total length
    codes: dict[int, Fraction | None]  # per code taken into account, in the order given
    unused_codes: tuple[int, ...]
    pooled: Fraction | None

    @property
    def pooled_float(self) -> float | None:
        return _as_float(self.pooled)

    @property
    def band(self) -> tuple[str, str]:
        return landis_koch(self.pooled)


def _stretch_sums(length: int, spans_by_coder: Sequence[Sequence[Span]]) -> AlphaSums:
    """Sums of one code over one source: ``spans_by_coder`` holds one list per rating coder."""
    m = len(spans_by_coder)
    events: dict[int, int] = defaultdict(int)  # position -> change in the number of coders rating 1
    for spans in spans_by_coder:
        for start, end in merge_spans(spans, length):
            events[start] += 1
            events[end] -= 1
    disagreeing = 0  # the sum of stretch · c · (m − c), divided by m − 1 once at the end
    ones = 0
    covered_by = 0
    previous = 0
    for position in sorted(events):
        stretch = position - previous
        if stretch and covered_by:
            ones += stretch * covered_by
            disagreeing += stretch * covered_by * (m - covered_by)
        covered_by += events[position]
        previous = position
    return AlphaSums(Fraction(disagreeing, m - 1), m * length - ones, ones)


def alpha(observations: Iterable[ObsData], coders: Iterable[int], codes: Iterable[int]) -> AlphaReport:
    """Krippendorff's alpha (nominal) of `coders` on `codes`, per code and pooled (see above).

    Takes the same `ObsData` items as `agreement()`; excerpts of other coders and other codes are
    ignored; a source that fewer than two of the coders coded has no unit.
    """
    chosen = list(dict.fromkeys(coders))
    wanted_coders = set(chosen)
    code_ids = list(dict.fromkeys(codes))
    wanted = set(code_ids)
    sums: dict[int, AlphaSums] = {}
    used: set[int] = set()
    sources = characters = 0
    per_source: list[tuple[int, list[int], dict[tuple[int, int], list[Span]]]] = []
    for observation in observations:
        raters: list[int] = []
        spans: dict[tuple[int, int], list[Span]] = defaultdict(list)
        for coder, start, end, excerpt_codes in observation.excerpts:
            if coder not in wanted_coders:
                continue
            if coder not in raters:
                raters.append(coder)
            for code in excerpt_codes:
                if code in wanted:
                    spans[coder, code].append((start, end))
        if len(raters) < 2:
            continue
        length = max(observation.length, 0)
        sources += 1
        characters += length
        used.update(code for _coder, code in spans)
        per_source.append((length, raters, spans))
    considered = [code for code in code_ids if code in used]
    # A code none of a source's raters applied there adds (0, m · length, 0): every rating is 0 and
    # nobody disagrees. So only the codes present in a source are walked, and the others get their
    # share at once, from the total of m · length (as many codes as the study has, cost per excerpt).
    all_ratings = sum(len(raters) * length for length, raters, _spans in per_source)
    present_ratings: dict[int, int] = defaultdict(int)
    for length, raters, spans in per_source:
        for code in dict.fromkeys(code for _coder, code in spans):
            part = _stretch_sums(length, [spans.get((coder, code), ()) for coder in raters])
            sums[code] = sums.get(code, AlphaSums()) + part
            present_ratings[code] += len(raters) * length
    for code in considered:
        sums[code] = sums.get(code, AlphaSums()) + AlphaSums(n0=all_ratings - present_ratings[code])
    pooled = AlphaSums()
    for code in considered:
        pooled = pooled + sums[code]
    return AlphaReport(
        coders=tuple(chosen),
        sources=sources,
        characters=characters,
        codes={code: sums[code].alpha for code in considered},
        unused_codes=tuple(code for code in code_ids if code not in used),
        pooled=pooled.alpha if considered else None,
    )


# --- The same reports from summed rows (`studies.agreement_summaries`) -----------------------------
#
# Kappa's per-code table over the observations both coded only needs three sums: the characters A
# covered with the code, those B covered, and those both covered (a11); a10 and a01 follow, and a00
# is the rest of the observations' characters. Alpha too: for one code on one source with m rating
# coders, c_u of them covering character u, Σ_u c_u (m − c_u) = (m − 1) Σ_i cov_i − 2 Σ_{i<j} ov_ij
# (since c_u² = c_u + 2 · #pairs covering u), so o01 = Σ_i cov_i − 2 Σ_{i<j} ov_ij / (m − 1),
# n1 = Σ_i cov_i and n0 = m · length − n1. Summed over the sources grouped by m, that is exact,
# and the functions below give the same `Report` and `AlphaReport` as `agreement()` and `alpha()`.


@dataclass(frozen=True)
class Disagreeing:
    """One observation of the largest disagreements, as the summaries give it."""

    id: int
    title: str
    collective: str
    length: int
    per_code: dict[int, int]  # code -> characters covered by exactly one of the two coders


def report_from_sums(
    coder_a: int,
    coder_b: int,
    *,
    observations: int,
    characters: int,
    covered_by: dict[tuple[int, int], int],
    both: dict[int, int],
    codes: Iterable[int],
    worst: Iterable[Disagreeing] = (),
) -> Report:
    """`agreement()`'s report from sums over the observations both coded: `covered_by[code, coder]`
    the characters each coder covered with each code, `both[code]` those both covered; `worst` the
    observations of largest disagreement, already ranked (`_ranking`'s order)."""
    code_ids = list(dict.fromkeys(codes))
    rows = []
    for code in code_ids:
        a11 = both.get(code, 0)
        a10 = covered_by.get((code, coder_a), 0) - a11
        a01 = covered_by.get((code, coder_b), 0) - a11
        if a11 or a10 or a01:
            rows.append(CodeAgreement(code, (a11, a10, a01, characters - a11 - a10 - a01)))
    considered = len(rows)
    disagreements = []
    for item in worst:
        per_code = {code: count for code, count in item.per_code.items() if count}
        total = sum(per_code.values())
        if not total:
            continue
        disagreements.append(
            ObservationDisagreement(
                id=item.id,
                title=item.title,
                collective=item.collective,
                length=item.length,
                characters=total,
                score=Fraction(total, item.length * considered),
                per_code=tuple(
                    CodeDisagreement(code, count, Fraction(count, item.length))
                    for code, count in sorted(per_code.items(), key=lambda pair: (-pair[1], pair[0]))
                ),
            )
        )
    used = {row.code_id for row in rows}
    return Report(
        coder_a=coder_a,
        coder_b=coder_b,
        observations=observations,
        characters=characters,
        codes=tuple(rows),
        unused_codes=tuple(code for code in code_ids if code not in used),
        table=add_tables(row.table for row in rows),
        disagreements=tuple(disagreements),
    )


def alpha_from_sums(
    coders: Iterable[int],
    *,
    sources: int,
    characters: int,
    ratings: int,
    per_code: dict[int, Iterable[tuple[int, int, int]]],
    codes: Iterable[int],
) -> AlphaReport:
    """`alpha()`'s report from sums over the sources two of `coders` or more coded: `ratings` is
    Σ m · length over them; `per_code[code]` holds ``(m, covered, overlapped)`` per number of rating
    coders m: the characters the raters covered with the code (Σ_i cov_i) and those pairs of them
    covered together (Σ_{i<j} ov_ij). A code is used when it has an entry (even of zero characters)."""
    code_ids = list(dict.fromkeys(codes))
    sums: dict[int, AlphaSums] = {}
    for code in code_ids:
        if code not in per_code:
            continue
        o01, n1 = Fraction(0), 0
        for m, cover, overlap in per_code[code]:
            o01 += cover - Fraction(2 * overlap, m - 1)
            n1 += cover
        sums[code] = AlphaSums(o01, ratings - n1, n1)
    pooled = AlphaSums()
    for part in sums.values():
        pooled = pooled + part
    return AlphaReport(
        coders=tuple(dict.fromkeys(coders)),
        sources=sources,
        characters=characters,
        codes={code: part.alpha for code, part in sums.items()},
        unused_codes=tuple(code for code in code_ids if code not in sums),
        pooled=pooled.alpha if sums else None,
    )
