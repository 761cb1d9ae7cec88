"""The agreement page's figures read from the summaries (`studies.agreement_summaries`), in SQL.

Why: reading every coded observation's excerpts on each view cost 784 ms at 10,000 observations
(issue 15). Here each figure is a sum of indexed rows, grouped in the database: the pair's
observations and characters, the characters each coder covered per code, those both covered, the
largest disagreements (top N by a stored score), and for alpha the same sums grouped by how many
coders rated each observation. Every query reads one study's rows and keeps those whose
collective's consent is in force (`_rows`: the consent rule of the observations,
`Observation.objects.consent_q()`, applied to the rows' own collective column at read time: a
withdrawal applies at once, and no observation is joined). The arithmetic stays in
`studies.agreement` (`report_from_sums`, `alpha_from_sums`), which gives the same reports as the slow
way (`analysis.reliability`: tested on random data).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum

from ..agreement import (
    TOP_DISAGREEMENTS,
    AlphaReport,
    Disagreeing,
    Report,
    alpha_from_sums,
    report_from_sums,
)
from ..models import CoderCoverage, CoderOverlap, CoderPair, Observation, ObservationCoder, StudyPage


def _rows(model: type, study: StudyPage) -> QuerySet:
    """`model`'s rows of `study` whose observation's collective consents to observation, now."""
    return model.objects.filter(Observation.objects.consent_q(), study=study)


def excerpt_counts(study: StudyPage, coders: QuerySet) -> QuerySet:
    """`coders` (users) annotated with ``excerpt_count``, their excerpts in the study's consented
    observations; those with none left out."""
    totals = (
        _rows(ObservationCoder, study)
        .filter(coder=OuterRef("pk"))
        .order_by()
        .values("coder")
        .annotate(total=Sum("excerpts"))
        .values("total")
    )
    return coders.annotate(excerpt_count=Subquery(totals, output_field=IntegerField())).filter(
        excerpt_count__gt=0
    )


def pair_report(
    study: StudyPage, coder_a: int, coder_b: int, codes: list[int], *, top: int = TOP_DISAGREEMENTS
) -> tuple[Report, AlphaReport, int]:
    """Kappa and alpha of two coders, and how many of their excerpts are flagged for review.

    Seven queries whatever the data size: the pair's observations (count, characters), the flagged
    excerpts, the characters covered per code and coder, those both covered per code, the top
    disagreements, and their per-code characters (covered, and covered by both).
    """
    low, high = sorted((coder_a, coder_b))
    pairs = _rows(CoderPair, study).filter(coder_a=low, coder_b=high)
    totals = pairs.aggregate(n=Count("pk"), characters=Sum("length"))
    observations, characters = totals["n"], totals["characters"] or 0
    flagged = (
        _rows(ObservationCoder, study).filter(coder__in=(coder_a, coder_b)).aggregate(
            n=Sum("flagged")
        )["n"]
        or 0
    )
    both_coded = pairs.values("observation")
    covered_by: dict[tuple[int, int], int] = {}
    used: set[int] = set()
    if observations:
        grouped = (
            CoderCoverage.objects.filter(study=study, coder__in=(coder_a, coder_b))
            .filter(observation__in=both_coded)
            .order_by()
            .values_list("code", "coder")
            .annotate(total=Sum("characters"))
        )
        for code, coder, total in grouped:
            covered_by[code, coder] = total
            used.add(code)
    both: dict[int, int] = {}
    if used:  # overlap rows only exist where both coded: the consent filter is enough
        grouped = (
            _rows(CoderOverlap, study).filter(coder_a=low, coder_b=high)
            .order_by()
            .values_list("code")
            .annotate(total=Sum("characters"))
        )
        both = dict(grouped)
    worst = _worst(pairs, coder_a, coder_b, low, high, top) if used and top > 0 else []
    report = report_from_sums(
        coder_a,
        coder_b,
        observations=observations,
        characters=characters,
        covered_by=covered_by,
        both=both,
        codes=codes,
        worst=worst,
    )
    per_code = {
        code: [
            (2, covered_by.get((code, coder_a), 0) + covered_by.get((code, coder_b), 0), both.get(code, 0))
        ]
        for code in used
    }
    pair_alpha = alpha_from_sums(
        [coder_a, coder_b],
        sources=observations,
        characters=characters,
        ratings=2 * characters,
        per_code=per_code,
        codes=codes,
    )
    return report, pair_alpha, flagged


def _worst(pairs: QuerySet, coder_a: int, coder_b: int, low: int, high: int, top: int) -> list[Disagreeing]:
    """The `top` observations where the pair differs most (share, then characters, then id), from the
    pair rows' index, with their characters of disagreement code by code."""
    rows = list(
        pairs.filter(differing__gt=0)
        .order_by("-share", "-differing", "observation_id")
        .values_list("observation_id", "observation__title", "observation__collective__code", "length")[:top]
    )
    if not rows:
        return []
    ids = [row[0] for row in rows]
    differing: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for observation, code, characters in CoderCoverage.objects.filter(
        coder__in=(coder_a, coder_b), observation__in=ids
    ).values_list("observation_id", "code_id", "characters"):
        differing[observation][code] += characters
    for observation, code, characters in CoderOverlap.objects.filter(
        coder_a=low, coder_b=high, observation__in=ids
    ).values_list("observation_id", "code_id", "characters"):
        differing[observation][code] -= 2 * characters
    return [
        Disagreeing(
            id=pk, title=title, collective=collective or "", length=length, per_code=dict(differing[pk])
        )
        for pk, title, collective, length in rows
    ]


def all_coders_alpha(study: StudyPage, coders: list[int], codes: list[int]) -> AlphaReport:
    """Krippendorff's alpha among `coders` over the study's consented observations two of them or
    more coded.

    Alpha's sums are grouped by m, the number of the chosen coders who rated each observation. When
    every coder with usable excerpts in the consented observations is among `coders` (the page
    compares all the bureau's active coders: the usual case), m is the rows' stored `raters` and
    each sum is one grouped query (four in all, with that check). Otherwise (a former member's
    excerpts remain), m is counted per row from the observation's coder rows: the same figures,
    more slowly.
    """
    usable = _rows(ObservationCoder, study).filter(excerpts__gt=F("flagged"))
    everyone = not usable.exclude(coder__in=coders).exists()

    def size(queryset: QuerySet) -> QuerySet:
        if everyone:
            return queryset.annotate(m=F("raters"))
        counted = (
            ObservationCoder.objects.filter(
                observation=OuterRef("observation_id"), coder__in=coders, excerpts__gt=F("flagged")
            )
            .order_by()
            .values("observation")
            .annotate(m=Count("pk"))
            .values("m")
        )
        return queryset.annotate(m=Subquery(counted, output_field=IntegerField()))

    sources = characters = ratings = 0
    by_size = (
        size(usable.filter(coder__in=coders))
        .filter(m__gte=2)
        .order_by()
        .values_list("m")
        .annotate(rows=Count("pk"), lengths=Sum("length"))
    )
    for m, rows, lengths in by_size:
        sources += rows // m
        characters += lengths // m
        ratings += lengths
    per_code: dict[int, dict[int, list[int]]] = defaultdict(dict)
    if sources:
        covered = (
            size(_rows(CoderCoverage, study).filter(coder__in=coders))
            .filter(m__gte=2)
            .order_by()
            .values_list("code", "m")
            .annotate(total=Sum("characters"))
        )
        for code, m, total in covered:
            per_code[code][m] = [total, 0]
        overlapped = (
            size(_rows(CoderOverlap, study).filter(coder_a__in=coders, coder_b__in=coders))
            .order_by()
            .values_list("code", "m")
            .annotate(total=Sum("characters"))
        )
        for code, m, total in overlapped:
            per_code[code][m][1] = total
    return alpha_from_sums(
        coders,
        sources=sources,
        characters=characters,
        ratings=ratings,
        per_code={
            code: [(m, cover, overlap) for m, (cover, overlap) in sizes.items()]
            for code, sizes in per_code.items()
        },
        codes=codes,
    )
