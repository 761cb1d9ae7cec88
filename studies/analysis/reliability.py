"""The slow way to the agreement measures (`studies.agreement`): every coder's excerpts loaded.

The agreement page reads the summaries instead (`analysis.agreement_sums`); this is the reference
it is tested against (same reports on random data), and how `agreement_summaries` is explained.

`coded_observations` is the one loader: three queries whatever the data size (the observations with
their text length and collective's code, the coders' excerpts in them, and the excerpts' codes).
Excerpts flagged for review are left out (their text changed since they were coded).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Length

from ..agreement import AlphaReport, ObsData, Report, agreement, alpha
from ..models import Excerpt, StudyPage


def coded_observations(study: StudyPage, observations: QuerySet, coders: list[int]) -> list[ObsData]:
    """`observations` (a queryset of the study's) with the usable excerpts of `coders`, as `ObsData`."""
    rows = list(
        observations.annotate(length=Length("plain_text"))
        .order_by()
        .values_list("pk", "title", "length", "collective__code")
    )
    excerpts = Excerpt.objects.filter(
        observation__in=[row[0] for row in rows], coder_id__in=coders, needs_review=False
    )
    codes_of: dict[int, list[int]] = defaultdict(list)
    for excerpt_id, code_id in Excerpt.codes.through.objects.filter(
        excerpt__in=excerpts.values("pk"), code__study=study
    ).values_list("excerpt_id", "code_id"):
        codes_of[excerpt_id].append(code_id)
    by_observation: dict[int, list] = defaultdict(list)
    for pk, observation_id, coder_id, start, end in excerpts.order_by().values_list(
        "pk", "observation_id", "coder_id", "start", "end"
    ):
        by_observation[observation_id].append((coder_id, start, end, codes_of.get(pk, ())))
    return [
        ObsData(id=pk, title=title, length=length or 0, excerpts=by_observation.get(pk, ()), collective=code)
        for pk, title, length, code in rows
    ]


def coded_for_alpha(study: StudyPage, consented, coders: list[int]) -> list[ObsData]:
    """The `consented` observations that two of `coders` or more coded, with their usable excerpts."""
    usable = Q(excerpts__needs_review=False, excerpts__coder_id__in=coders)
    observations = consented.annotate(raters=Count("excerpts__coder", filter=usable, distinct=True)).filter(
        raters__gte=2
    )
    return coded_observations(study, observations, coders)


def slow_pair_report(
    study: StudyPage, consented: QuerySet, coder_a: int, coder_b: int, codes: list[int]
) -> tuple[Report, AlphaReport, int]:
    """Kappa and alpha of two coders and their flagged excerpts, from their excerpts
    (`pair_report`'s oracle)."""
    usable = Excerpt.objects.filter(needs_review=False, observation=OuterRef("pk"))
    both = consented.filter(Exists(usable.filter(coder_id=coder_a)), Exists(usable.filter(coder_id=coder_b)))
    data = coded_observations(study, both, [coder_a, coder_b])
    flagged = Excerpt.objects.filter(
        observation__in=consented.values("pk"), coder_id__in=(coder_a, coder_b), needs_review=True
    ).count()
    return agreement(data, coder_a, coder_b, codes), alpha(data, [coder_a, coder_b], codes), flagged


def slow_all_coders_alpha(
    study: StudyPage, consented: QuerySet, coders: list[int], codes: list[int]
) -> AlphaReport:
    """Alpha among `coders`, from their excerpts (`all_coders_alpha`'s oracle)."""
    return alpha(coded_for_alpha(study, consented, coders), coders, codes)
