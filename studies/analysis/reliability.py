"""Loads what Krippendorff's alpha needs (`studies.agreement.alpha`) for any number of coders.

Three queries whatever the data size: the consented observations that at least two of the coders
coded (with their text length), those coders' excerpts in them, and the excerpts' codes. Excerpts
flagged for review are left out, as for kappa (their text changed since they were coded).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import Length

from ..agreement import AlphaReport, ObsData, alpha
from ..models import Excerpt, StudyPage


def alpha_for(study: StudyPage, consented, coders: list[int], codes: list[int]) -> AlphaReport:
    """Alpha of `coders` on `codes` over the `consented` observations of `study` (a queryset)."""
    usable = Q(excerpts__needs_review=False, excerpts__coder_id__in=coders)
    observations = (
        consented.annotate(raters=Count("excerpts__coder", filter=usable, distinct=True))
        .filter(raters__gte=2)
        .annotate(length=Length("plain_text"))
        .order_by()
    )
    rows = list(observations.values_list("pk", "title", "length"))
    excerpts = Excerpt.objects.filter(
        observation__in=[pk for pk, _title, _length in rows], coder_id__in=coders, needs_review=False
    )
    codes_of: dict[int, list[int]] = defaultdict(list)
    for excerpt_id, code_id in Excerpt.codes.through.objects.filter(
        excerpt__in=excerpts.values("pk"), code__study=study
    ).values_list("excerpt_id", "code_id"):
        codes_of[excerpt_id].append(code_id)
    by_source: dict[int, list] = defaultdict(list)
    for pk, observation_id, coder_id, start, end in excerpts.order_by().values_list(
        "pk", "observation_id", "coder_id", "start", "end"
    ):
        by_source[observation_id].append((coder_id, start, end, codes_of.get(pk, ())))
    data = [
        ObsData(id=pk, title=title, length=length or 0, excerpts=by_source.get(pk, ()))
        for pk, title, length in rows
    ]
    return alpha(data, coders, codes)
