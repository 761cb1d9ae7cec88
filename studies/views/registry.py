"""The public face of a study: its page (public part + the team's part) and the AI systems registry.

Public: the study's question and context; the registry of AI systems (`studies.registry`): every
tool's facts, counts of this study's consented observations only (a collective that withdraws its
consent leaves the counts at once), quotes already published in adopted reports, CSV and JSON
downloads. The team also sees the links to its pages and the bureau's collectives with their
consent; outsiders never see a real name.
"""

from __future__ import annotations

from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from commons import page_cache
from commons.spreadsheets import csv_response
from participants.models import Collective, ConsentScope

from .. import permissions, registry
from ..models import AITool, Hosting, Interview, Observation, ProtocolPage, StudyPage
from ..models.observations import Purpose


@permissions.public
@page_cache.cacheable(quotes=True)
def ai_tools(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The public registry: every tool's facts and its count of the study's consented observations,
    filtered by hosting, openness and purpose (an unknown filter is reported and left out)."""
    filters, errors = registry.Filters.from_query(request.GET)
    tools = registry.tools(study, filters)
    context = {
        "page": study,
        "self": study,
        "tools": tools,
        "filters": filters,
        "filter_errors": errors,
        "hosting_choices": Hosting.choices,
        "purpose_choices": Purpose.choices,
        "total": sum(tool.mentions for tool in tools),
    }
    return render(request, "studies/registry.html", context)


@permissions.public
@page_cache.cacheable(quotes=True)
def ai_tool_detail(request: HttpRequest, study: StudyPage, tool_id: int) -> HttpResponse:
    """One system's page: its facts, the study's consented observations of it by purpose and by kind
    of collective, and the quotes of the study's adopted reports that concern it."""
    tool = get_object_or_404(AITool, pk=tool_id)
    tool.mentions = registry.consented_observations(study).filter(ai_tools=tool).count()
    context = {
        "page": study,
        "self": study,
        "tool": tool,
        "by_purpose": registry.by_purpose(study, [tool.pk]).get(tool.pk, []),
        "by_kind": registry.by_collective_kind(study, [tool.pk]).get(tool.pk, []),
        "quotes": registry.published_quotes(study, tool, request),
    }
    return render(request, "studies/registry_tool.html", context)


def _filename(study: StudyPage, extension: str) -> str:
    return f"registre-ia-{slugify(study.slug) or study.pk}.{extension}"


@permissions.public
def ai_tools_csv(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The registry as CSV (through `commons.spreadsheets`), with the filters of the page."""
    filters, _errors = registry.Filters.from_query(request.GET)
    return csv_response(_filename(study, "csv"), registry.csv_rows(study, filters))


@permissions.public
def ai_tools_json(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The registry as JSON, with the filters of the page."""
    filters, _errors = registry.Filters.from_query(request.GET)
    data = {
        "study": study.title,
        "note": gettext(
            "Counts of the study's observations whose collective consents today; no observation itself."
        ),
        "filters": {k: v for k, v in (("hosting", filters.hosting), ("openness", filters.openness),
                                      ("purpose", filters.purpose)) if v},  # fmt: skip
        "tools": registry.records(study, filters),
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{_filename(study, "json")}"'
    return response


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
