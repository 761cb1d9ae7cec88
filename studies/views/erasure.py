"""Erasure pages: the record of past erasures (the team), what retention makes due and the erasure of
an informant or a collective (coordinators), on the study page and in the admin.

Routes on `StudyPage`: ``erasures/`` (the list) and ``erasures/<collective|informant>/<id>/`` (GET:
what will go, counted; POST with ``confirm=erase``: the erasure, `studies.erasure.erase`). The same
confirmation is served in the admin (``/admin/erase/<kind>/<id>/``, linked from the collectives' and
informants' listings) for the coordinators of the party's bureau. A POST without the confirmation
field is a 400 and changes nothing; a failed erasure is a 409 that says why, the data intact.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from participants.models import Collective, ConsentForm, Informant

from .. import erasure, permissions
from ..models import ErasureReason, ErasureRecord, StudyPage

_COORDINATORS_ERASE = _("Only the bureau's coordinators erase an informant or a collective.")
CONFIRM_VALUE = "erase"


@permissions.team_required
@require_safe
def erasure_list(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """Past erasures of the bureau (the whole team); for coordinators, what retention makes due and
    every party with its « Effacer… » link."""
    bureau = study.bureau
    records = list(
        ErasureRecord.objects.filter(bureau_id=bureau.pk).select_related("erased_by__bec_profile")[:200]
    )
    for record in records:
        record.labelled = [(label, n) for label, n in erasure.labelled(record.counts) if n]
    can_erase = permissions.can_erase(request.user, study)
    context = {
        "page": study,
        "self": study,
        "study": study,
        "bureau": bureau,
        "records": records,
        "can_erase": can_erase,
        # What each consent form states, for the whole team: the periods the erasures follow.
        "consent_forms": list(ConsentForm.objects.filter(bureau_id=bureau.pk).order_by("title", "-version")),
    }
    if can_erase:
        context["due"] = erasure.retention_due([bureau.pk])
        # Codes only: a real name is never read for a team page (the admin shows it to coordinators).
        collectives = Collective.objects.filter(bureau_id=bureau.pk).only("pk", "code").order_by("code")
        context["collectives"] = list(collectives)
        context["informants"] = list(
            Informant.objects.filter(collective__bureau_id=bureau.pk)
            .select_related("collective")
            .order_by("collective__code", "pseudonym")
        )
    return render(request, "studies/erasure/list.html", context)


@permissions.contributor_required(_COORDINATORS_ERASE, policy=permissions.can_erase)
@require_http_methods(["GET", "HEAD", "POST"])
def erase_party(request: HttpRequest, study: StudyPage, kind: str, party_id: int) -> HttpResponse:
    """« Effacer… »: the counts of what will go, then the erasure on POST."""
    party = erasure.find_party(kind, party_id, [study.bureau.pk])
    if party is None:
        raise Http404
    done = study.url + study.reverse_subpage("erasure_list")
    context = {"page": study, "self": study, "study": study, "bureau": study.bureau, "cancel_url": done}
    return confirm_or_erase(request, party, "studies/erasure/confirm.html", context, done)


def confirm_or_erase(
    request: HttpRequest, party, template: str, context: dict, done_url: str
) -> HttpResponse:
    """The confirmation page (GET, or a POST without the confirmation: 400), or the erasure (POST)."""
    status = 200
    if request.method == "POST":
        if request.POST.get("confirm") != CONFIRM_VALUE:
            status = 400
            context["error"] = _("Confirm the erasure with its button: nothing was erased.")
        else:
            reason = request.POST.get("reason")
            if reason not in ErasureReason.values:
                reason = ErasureReason.REQUEST
            try:
                record = erasure.erase(party, by=request.user, reason=reason)
            except erasure.ErasureError as error:
                status = 409
                context["error"] = str(error)
            else:
                gone = " ; ".join(f"{label} : {n}" for label, n in erasure.labelled(record.counts) if n)
                messages.success(
                    request,
                    _("Erased: %(what)s. The erasure record keeps no personal data.")
                    % {"what": gone or _("no material")},
                )
                return HttpResponseRedirect(done_url)
    found = erasure.plan(party)
    context.update(
        party=party,
        party_label=erasure.party_label(party),
        kind=found.kind,
        counts=erasure.labelled(found.counts()),
        reasons=ErasureReason.choices,
        reason=request.GET.get("reason") or ErasureReason.REQUEST,
        confirm_value=CONFIRM_VALUE,
        action=request.path,
    )
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def admin_erase_party(request: HttpRequest, kind: str, party_id: int) -> HttpResponse:
    """The same confirmation in the Wagtail admin, for the coordinators of the party's bureau (404 for
    anyone else, like an unknown id: the admin does not say which parties exist elsewhere)."""
    party = erasure.find_party(kind, party_id)
    if party is None:
        raise Http404
    bureau_id = party.bureau_id if isinstance(party, Collective) else party.collective.bureau_id
    if not permissions.can_erase_party_of(request.user, bureau_id):
        raise Http404
    from django.urls import reverse

    done = reverse(f"wagtailsnippets_participants_{kind}:list")
    context = {"cancel_url": done}
    return confirm_or_erase(request, party, "studies/erasure/admin_confirm.html", context, done)
