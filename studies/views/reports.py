"""The public pages of a study report: the version in force, the history, any version, what changed.

The protocol's version pages, reused (`studies.views.protocol`: URLs of the routes, decision links,
previous/next navigation, the word-diff partial): a version is rendered from its own revision, with
the figures frozen in it. Quotes are the exception to « as published »: their consent is asked on
every render (`studies.reports.parts`). Each version has a « Citer ce rapport » line with the SHA-256
of what was published. Bounded queries whatever the number of blocks.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from commons import page_cache
from commons.models.governance import ProposalKind

from .. import permissions
from ..models import ReportVersion, StudyReportPage
from ..reports import diff_revisions, parts, report_body
from .protocol import (
    _base_context,
    _decision_links,
    _diff_page,
    _edit_url,
    _get_version,
    _last_number,
    _nav,
    _readable,
    _Urls,
)


def _citation(
    request: HttpRequest, bureau, title: str, version: ReportVersion | None, url: str
) -> dict | None:
    if version is None:
        return None
    return {
        "bureau": bureau.title,
        "title": title,
        "version": version.label,
        "date": version.published_at,
        "url": request.build_absolute_uri(url),
        "sha256": version.sha256,
    }


def _report_context(request, page, urls, *, version, title, summary, body, frozen, last, live=False) -> dict:
    context = _base_context(request, page, urls)
    _decision_links(context["bureau"], [version])
    number = version.number if version else None
    url = urls.version(number) if number else urls.base
    shown = parts(request, context["study"], body, frozen or {}, live=live)
    _mark_figures_before_erasure(page, shown)
    context.update(
        {
            "version": version,
            "is_report": True,
            "published_title": title,
            "summary": summary,
            "parts": shown,
            "is_current": version is not None and version.number == last,
            "citation": _citation(request, context["bureau"], title, version, url),
            "absolute_url": request.build_absolute_uri(url),
            **_nav(urls, number, last),
        }
    )
    return context


def _mark_figures_before_erasure(page, shown) -> None:
    """« Chiffres antérieurs à un retrait »: figures frozen before an erasure that concerned this
    report keep their adopted numbers (aggregates, no personal data) and say so. One query."""
    from ..models import ErasureRecord

    if not page.pk or not any(part.extra.get("date") for part in shown):
        return
    last = (
        ErasureRecord.objects.filter(reports=page).order_by("-erased_at").values_list("erased_at", flat=True)
    )
    last = last.first()
    if last is None:
        return
    for part in shown:
        computed = part.extra.get("date")
        if computed is not None and computed <= timezone.localtime(last).date():
            part.extra["before_withdrawal"] = True


@permissions.public
@page_cache.cacheable(quotes=True)
def current(request: HttpRequest, page: StudyReportPage) -> HttpResponse:
    """The report in force: the live page (in the admin's preview, the draft being edited)."""
    urls = _Urls(request, page)
    preview = bool(getattr(request, "is_preview", False))
    version = (
        ReportVersion.objects.filter(report=page).select_related("decision").order_by("-number").first()
        if page.pk
        else None
    )
    context = _report_context(
        request,
        page,
        urls,
        version=version,
        title=page.title,
        summary=page.summary,
        body=page.body,
        frozen=page.frozen_figures,
        last=version.number if version else 0,
        live=preview,
    )
    context["is_preview"] = preview
    context["edit_url"] = _edit_url(request, page) if not preview else None
    return render(request, StudyReportPage.template, context)


@permissions.public
@page_cache.cacheable(quotes=True)
def history(request: HttpRequest, page: StudyReportPage) -> HttpResponse:
    """Every version, newest first: number, date, summary, the decision that adopted it."""
    urls = _Urls(request, page)
    context = _base_context(request, page, urls)
    versions = list(ReportVersion.objects.filter(report=page).select_related("decision").order_by("-number"))
    _decision_links(context["bureau"], versions)
    for item in versions:
        item.url = urls.version(item.number)
        item.diff_url = urls.diff(item.number)
    context.update(
        {"versions": versions, "last_number": versions[0].number if versions else 0, "is_report": True}
    )
    return render(request, "studies/reports/history.html", context)


@permissions.public
@page_cache.cacheable(quotes=True)
def version(request: HttpRequest, page: StudyReportPage, number: int) -> HttpResponse:
    """Version `number` as it was published, with the figures voted then."""
    found = _get_version(page, number)
    content = found.revision.content
    urls = _Urls(request, page)
    context = _report_context(
        request,
        page,
        urls,
        version=found,
        title=content.get("title") or page.title,
        summary=content.get("summary") or "",
        body=report_body(content.get("body")),
        frozen=content.get("frozen_figures"),
        last=_last_number(page),
    )
    return render(request, StudyReportPage.template, context)


def _diff_context(old, new) -> dict:
    sections = [_readable(section) for section in diff_revisions(old, new)]
    changed = [section for section in sections if section.changed]
    return {
        "changed_sections": changed,
        "unchanged_sections": [section for section in sections if not section.changed],
        "words_added": sum(section.words_added for section in changed),
        "words_removed": sum(section.words_removed for section in changed),
        "initial": old is None,
        "is_report": True,
    }


@permissions.public
@page_cache.cacheable(quotes=True)
def version_diff(request: HttpRequest, page: StudyReportPage, number: int) -> HttpResponse:
    """What version `number` changed from the one before it, text and figures (v1: the initial text)."""
    return _diff_page(request, page, number, _diff_context, "studies/reports/diff.html")


def proposal_changes(request: HttpRequest, proposal) -> SafeString | None:
    """On a « Publication » proposal about a report: its text and figures against the published version."""
    if proposal.kind != ProposalKind.PUBLICATION:
        return None
    from commons.workflow import submission_for

    state = submission_for(proposal)
    if state is None or state.revision is None:
        return None
    revision = state.revision
    if revision.content_type_id != ContentType.objects.get_for_model(StudyReportPage).pk:
        return None
    page = StudyReportPage.objects.filter(pk=revision.object_id).first()
    if page is None:
        return None
    live = state.live_revision
    study = page.get_parent().specific
    context = {
        **_diff_context(live, revision),
        "heading_level": 3,
        "report_url": page.get_url(request) if page.live else None,
        "live_version": ReportVersion.objects.filter(revision=live).only("number").first() if live else None,
        "parts": parts(
            request,
            study,
            report_body(revision.content.get("body")),
            revision.content.get("frozen_figures") or {},
        ),
        "in_proposal": True,
    }
    return render_to_string("studies/reports/proposal_changes.html", context, request=request)


__all__ = ["current", "history", "proposal_changes", "version", "version_diff"]
