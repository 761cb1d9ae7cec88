"""The `agreement/` page of a study: Cohen's kappa between two coders (see `studies.agreement`).

Team only (observers read it too). Whatever the data size the page costs a fixed number of
queries: the coders, the codes, the observations both coded, their excerpts and the excerpts'
codes are each one query; the arithmetic runs in Python on interval spans.

Agreement is measured on observations only: every query here goes through `Excerpt.observation`,
so excerpts of interview transcripts (`Excerpt.interview`, observation NULL) are left out of the
coders' counts and of the comparison.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from commons.models import Membership
from participants.models.profile import display_name

from .. import permissions
from ..agreement import ObsData, Report, alpha
from ..agreement import agreement as compare
from ..analysis.reliability import coded_for_alpha, coded_observations
from ..forms import CoderPairForm
from ..models import Code, Excerpt, Observation, StudyPage
from ..models.coding import safe_colour


def _coders(study: StudyPage, consented) -> list:
    """Active members of the bureau with excerpts in the study's consented observations, most first."""
    members = Membership.objects.active().filter(bureau_id=study.bureau.pk).values("user_id")
    coders = list(
        get_user_model()
        .objects.filter(pk__in=members, excerpts__observation__in=consented.values("pk"))
        .annotate(excerpt_count=Count("excerpts"))
        .select_related("bec_profile")
        .order_by("-excerpt_count", "pk")
    )
    for coder in coders:
        coder.name = display_name(coder)
    return coders


def compute(
    study: StudyPage,
    consented,
    coder_a: int,
    coder_b: int,
    codes: list[int],
    loaded: list[ObsData] | None = None,
) -> tuple[Report, list[ObsData], int]:
    """The report for two coders, the data it was computed on, and how many of their excerpts were
    left out as needing review.

    Four queries: the observations both coded (`coded_observations`: three) and the count of their
    excerpts flagged for review. With `loaded` (the observations two coders or more coded, with every
    coder's usable excerpts: `coded_for_alpha`), the pair's data is taken from it instead of
    being read again: the same observations and excerpts, one query.
    """
    if loaded is None:
        usable = Excerpt.objects.filter(needs_review=False, observation=OuterRef("pk"))
        both = consented.filter(
            Exists(usable.filter(coder_id=coder_a)), Exists(usable.filter(coder_id=coder_b))
        )
        data = coded_observations(study, both, [coder_a, coder_b])
    else:
        data = pair_data(loaded, coder_a, coder_b)
    flagged = Excerpt.objects.filter(
        observation__in=consented.values("pk"), coder_id__in=(coder_a, coder_b), needs_review=True
    ).count()
    return compare(data, coder_a, coder_b, codes), data, flagged


def pair_data(loaded: list[ObsData], coder_a: int, coder_b: int) -> list[ObsData]:
    """The observations both coders coded, with their two sets of excerpts only, from data loaded
    for more coders (a superset: any observation two coders coded is in it)."""
    pair = {coder_a, coder_b}
    data = []
    for item in loaded:
        excerpts = [excerpt for excerpt in item.excerpts if excerpt[0] in pair]
        if {excerpt[0] for excerpt in excerpts} == pair:
            data.append(replace(item, excerpts=excerpts))
    return data


@permissions.team_required
def agreement(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """GET: choose two coders (default: the two with the most excerpts) and see their agreement."""
    consented = Observation.objects.consented().filter(study=study)
    coders = _coders(study, consented)
    context: dict = {"page": study, "self": study, "coders": coders}
    if {"coder_a", "coder_b"} & set(request.GET):
        form = CoderPairForm(request.GET, coders=coders)
    elif len(coders) >= 2:
        form = CoderPairForm({"coder_a": coders[0].pk, "coder_b": coders[1].pk}, coders=coders)
    else:
        form = CoderPairForm(coders=coders)
    context["form"] = form
    if form.is_bound and not form.is_valid():
        return render(request, "studies/agreement.html", context, status=400)
    if form.is_bound:
        context.update(_report_context(request, study, consented, form.cleaned_data, coders))
    return render(request, "studies/agreement.html", context)


def _report_context(request: HttpRequest, study: StudyPage, consented, data: dict, coders: list) -> dict:
    names = {
        pk: (name, safe_colour(colour))
        for pk, name, colour in Code.objects.filter(study=study)
        .order_by("name")
        .values_list("pk", "name", "colour")
    }
    coder_a, coder_b = data["coder_a"], data["coder_b"]
    # Every coder's observations are read once: alpha for all coders uses them, and the pair's kappa
    # and alpha take their part of them (`pair_data`).
    everyone = [coder.pk for coder in coders]
    loaded = coded_for_alpha(study, consented, everyone)
    report, data, flagged = compute(study, consented, coder_a, coder_b, list(names), loaded=loaded)
    by_pk = {coder.pk: coder for coder in coders}
    # Krippendorff's alpha beside kappa: for the pair on the data kappa used (the observations both
    # coded are those two of the pair coded), and for every coder of the study.
    alpha_pair = alpha(data, [coder_a, coder_b], list(names))
    alpha_all = alpha(loaded, everyone, list(names))
    return {
        "alpha_pair": alpha_pair,
        "alpha_all": alpha_all,
        "report": report,
        "flagged": flagged,
        "coder_a": by_pk[coder_a],
        "coder_b": by_pk[coder_b],
        "code_rows": [(row, *names[row.code_id], alpha_pair.codes.get(row.code_id)) for row in report.codes],
        "unused_codes": [names[pk][0] for pk in report.unused_codes],
        "disagreements": [
            (item, [(part, *names[part.code_id]) for part in item.per_code]) for item in report.disagreements
        ],
        "observations_url": study.get_url(request) + study.reverse_subpage("observation_list"),
    }
