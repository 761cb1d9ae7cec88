"""The public face of a study: its page (public part + the team's part) and the AI tool registry.

Public: the study's question and context, and for every AI tool of the registry the number of
this study's observations mentioning it — counts only, and only of consented observations (a
collective that withdraws its consent leaves the counts at once). The team also sees the links to
its pages and the bureau's collectives with their consent; outsiders never see a real name.
"""

from __future__ import annotations

from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from participants.models import Collective, ConsentScope

from .. import permissions
from ..models import AITool, Interview, Observation, ProtocolPage, StudyPage


@permissions.public
def ai_tools(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """Every tool of the registry with its count of the study's consented observations (counts only)."""
    consented = Observation.objects.consented().filter(study=study).values("pk")
    tools = AITool.objects.annotate(
        mentions=Count("observations", filter=Q(observations__in=consented), distinct=True)
    ).order_by("name")
    context = {"page": study, "self": study, "tools": tools}
    return render(request, "studies/registry.html", context)


def _consent_states(collective: Collective, now) -> list[tuple[str, str]]:
    """(scope label, state) for every scope; state is `given`, `withdrawn` or `none`."""
    states = []
    for scope, label in ConsentScope.choices:
        records = [record for record in collective.consents.all() if scope in record.scopes]
        if any(
            record.given_at <= now and (record.withdrawn_at is None or record.withdrawn_at > now)
            for record in records
        ):
            state = "given"
        elif any(record.withdrawn_at is not None and record.withdrawn_at <= now for record in records):
            state = "withdrawn"
        else:
            state = "none"
        states.append((label, state))
    return states


def _live_protocol(study: StudyPage) -> ProtocolPage | None:
    """The study's published protocol (public pages), with `version_number`: the version in force."""
    return (
        ProtocolPage.objects.child_of(study)
        .live()
        .annotate(version_number=Max("protocol_versions__number"))
        .first()
    )


@permissions.public
def study_page(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The study's page: public; the team also gets its links and the collectives' consent states."""
    return study.render(request, context_overrides=study_page_context(request, study))


def study_page_context(request: HttpRequest, study: StudyPage) -> dict:
    """What the study page adds to Wagtail's context: the team's links and collectives, team only."""
    team = permissions.is_team(request.user, study)
    context = {
        "is_team": team,
        "can_contribute": team and permissions.can_contribute(request.user, study),
        "show_identities": team and permissions.can_see_identities(request.user, study),
        "protocol": _live_protocol(study),
        "reports": published_reports(study),
    }
    if team:
        now = timezone.now()
        collectives = list(Collective.objects.filter(bureau_id=study.bureau.pk).prefetch_related("consents"))
        for collective in collectives:
            collective.consent_states = _consent_states(collective, now)
        context["collectives"] = collectives
        context["consent_scopes"] = [label for _scope, label in ConsentScope.choices]
        context["observation_count"] = Observation.objects.consented().filter(study=study).count()
        context["interview_count"] = Interview.objects.consented().filter(study=study).count()
    return context


def published_reports(study: StudyPage) -> list:
    """The study's published reports, newest version first, each with `version_number` and
    `published_at` of its version in force (one query)."""
    from django.db.models import Max

    from ..models import StudyReportPage

    return list(
        StudyReportPage.objects.child_of(study)
        .live()
        .annotate(
            version_number=Max("report_versions__number"), published_at=Max("report_versions__published_at")
        )
        .order_by("-published_at", "-pk")
    )
