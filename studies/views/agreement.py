"""The `agreement/` page of a study: Cohen's kappa and Krippendorff's alpha between coders
(see `studies.agreement`).

Team only (observers read it too). Whatever the data size the page costs a fixed number of
queries: every figure is a sum of the agreement summaries (`studies.agreement_summaries`, kept
exact by the coding services), grouped in SQL and kept to the consented observations at read time
(`studies.analysis.agreement_sums`); no excerpt is read.

Agreement is measured on observations only: the summaries hold observations' coding, so excerpts
of interview transcripts are left out of the coders' counts and of the comparison.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from commons.models import Membership
from participants.models.profile import display_name

from .. import permissions
from ..analysis.agreement_sums import all_coders_alpha, excerpt_counts, pair_report
from ..forms import CoderPairForm
from ..models import Code, StudyPage
from ..models.coding import safe_colour


def _coders(study: StudyPage) -> list:
    """Active members of the bureau with excerpts in the study's consented observations, most first."""
    members = Membership.objects.active().filter(bureau_id=study.bureau.pk).values("user_id")
    users = get_user_model().objects.filter(pk__in=members)
    counted = excerpt_counts(study, users).select_related("bec_profile")
    coders = list(counted.order_by("-excerpt_count", "pk"))
    for coder in coders:
        coder.name = display_name(coder)
    return coders


@permissions.team_required
def agreement(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """GET: choose two coders (default: the two with the most excerpts) and see their agreement."""
    coders = _coders(study)
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
        context.update(_report_context(request, study, form.cleaned_data, coders))
    return render(request, "studies/agreement.html", context)


def _report_context(request: HttpRequest, study: StudyPage, data: dict, coders: list) -> dict:
    names = {
        pk: (name, safe_colour(colour))
        for pk, name, colour in Code.objects.filter(study=study)
        .order_by("name")
        .values_list("pk", "name", "colour")
    }
    coder_a, coder_b = data["coder_a"], data["coder_b"]
    codes = list(names)
    report, alpha_pair, flagged = pair_report(study, coder_a, coder_b, codes)
    by_pk = {coder.pk: coder for coder in coders}
    # Krippendorff's alpha beside kappa: for the pair on the data kappa used (the observations both
    # coded), and for every coder of the study.
    alpha_all = all_coders_alpha(study, [coder.pk for coder in coders], codes)
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
