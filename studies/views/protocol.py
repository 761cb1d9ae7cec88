"""The public pages of a protocol: the version in force, the history, any version, what changed.

Every publication of a protocol is a version (`ProtocolVersion`); these pages show them to
everyone (a published protocol version is public, see `studies.permissions`). A past version is
rendered from its own revision, so it reads as it was published then, whatever came after. The diff
page compares a version with the one before it, section by section, words added and removed marked
(`studies.diffing`); the same partial shows the changes put to the vote on the proposal page
(`proposal_changes`, registered as the `bec_proposal_changes` hook: `commons` never imports
`studies`). A version's text is read from its revision's content (`studies.versions.revision_body`,
the body `revision.as_object()` would give, without rebuilding the page).

Every page costs a bounded number of queries whatever the number of versions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from wagtail.models import TaskState

from commons import page_cache
from commons import permissions as commons_permissions
from commons.models import BureauPage, CollectiveDecisionTaskState, Decision
from commons.models.governance import ProposalKind
from commons.views.decisions import decision_url
from commons.views.proposals import detail_url

from .. import permissions
from ..blocks import SECTION_ORDER, FieldType, grid_definitions, guide_questions
from ..diffing import SectionDiff, Segment, diff_bodies, section_labels
from ..models import ProtocolPage, ProtocolVersion, StudyPage
from ..versions import revision_body, revision_title

#: Sections whose text is prose: their paragraphs are spaced out in the diff (one line = one paragraph).
_STRUCTURED = ("observation_grid", "interview_guide")


# --- The protocol as text ------------------------------------------------------------------------


@dataclass
class Section:
    """One section of a protocol as the templates show it."""

    key: str
    label: str
    kind: str  # "text" | "grid" | "guide"
    texts: list = field(default_factory=list)  # RichText values of a prose section
    fields: list[dict] = field(default_factory=list)  # observation grid rows
    questions: list[dict] = field(default_factory=list)  # interview guide questions


def cite_sections(sections: list[Section], bureau) -> SafeString:
    """Format the ``[@key]`` citations of the prose sections in place; return the reference list.

    One query when the protocol cites, none otherwise. The sections' rich text is Wagtail's; only the
    citations are added, through `commons.markup` (the one place that marks text safe).
    """
    from commons.library.citations import Citer
    from commons.markup import cite_rich_text, render_references

    texts = [str(text) for section in sections if section.kind == "text" for text in section.texts]
    if not any("[@" in text for text in texts):
        return render_references(None)
    citer = Citer.for_bureau(bureau, texts)
    for section in sections:
        if section.kind == "text":
            section.texts = [cite_rich_text(text, citer) for text in section.texts]
    return render_references(citer)


def body_sections(body) -> list[Section]:
    """The sections present in a protocol body, in `SECTION_ORDER`, with their labels."""
    labels = section_labels()
    values: dict[str, list] = {}
    for child in body or ():
        values.setdefault(child.block_type, []).append(child.value)
    types = dict(FieldType.CHOICES)
    sections = []
    for key in SECTION_ORDER:
        if key not in values:
            continue
        label = labels.get(key, key)
        if key == "observation_grid":
            rows = [
                {**row, "type_label": types.get(row["type"], row["type"])} for row in grid_definitions(body)
            ]
            sections.append(Section(key, label, "grid", fields=rows))
        elif key == "interview_guide":
            sections.append(Section(key, label, "guide", questions=guide_questions(body)))
        else:
            sections.append(Section(key, label, "text", texts=values[key]))
    return sections


def diff_context(old_body, new_body) -> dict:
    """What the diff partial (`studies/protocol/_diff.html`) shows: changed and unchanged sections, totals."""
    sections = [_readable(section) for section in diff_bodies(old_body, new_body)]
    changed = [section for section in sections if section.changed]
    return {
        "changed_sections": changed,
        "unchanged_sections": [section for section in sections if not section.changed],
        "words_added": sum(section.words_added for section in changed),
        "words_removed": sum(section.words_removed for section in changed),
        "initial": old_body is None,
    }


@dataclass
class Mark:
    """A piece of a section's diff as shown: equal text, or words inserted / deleted."""

    op: str  # "equal" | "insert" | "delete"
    text: str
    after_change: bool = False  # right after another change (a replaced word): spaced out from it


#: Spaces at the edges of a change, and line breaks with the indentation around them.
_LAYOUT = re.compile(r"(^\s+|\s+$|[^\S\n]*\n\s*)")


def _marks(segments: list[Segment], prose: bool) -> list[Mark]:
    """Only words are marked: the spaces, line breaks and indentation around and inside a change are
    laid out as plain text, so a marked run never starts or ends with a blank, and each changed
    line of the grid or the guide is marked on its own. A change of spacing alone shows nothing."""
    marks = []
    for segment in segments:
        text = segment.text.replace("\n", "\n\n") if prose else segment.text
        if segment.op == "equal" or not text.strip():
            if segment.op != "delete":
                marks.append(Mark("equal", text))
            continue
        for piece in _LAYOUT.split(text):
            if piece:
                op = "equal" if not piece.strip() else segment.op
                after_change = op != "equal" and bool(marks) and marks[-1].op not in ("equal", op)
                marks.append(Mark(op, piece, after_change))
    return marks


def _readable(section: SectionDiff) -> SectionDiff:
    """Give the section its `marks` (what the template shows); prose sections get a blank line
    between paragraphs (the diff keeps one line per paragraph)."""
    section.marks = _marks(section.segments, prose=section.key not in _STRUCTURED)
    return section


# --- Shared context --------------------------------------------------------------------------------


def _lineage(page: ProtocolPage) -> tuple[StudyPage, BureauPage]:
    """The study and the bureau above the protocol (two queries), cached on the page."""
    study = StudyPage.objects.parent_of(page).first()
    bureau = BureauPage.objects.parent_of(study).first()
    study.bureau = bureau  # the models' cached properties, filled without their extra queries
    page.study = study
    return study, bureau


class _Urls:
    """The URLs of the protocol's routes, built from the page URL once."""

    def __init__(self, request: HttpRequest, page: ProtocolPage):
        self.page = page
        self.base = page.get_url(request) or "/"  # ends with a slash; subpage paths do not start with one

    def route(self, name: str, *args) -> str:
        return self.base + self.page.reverse_subpage(name, args=args)

    def version(self, number: int) -> str:
        return self.route("version", number)

    def diff(self, number: int) -> str:
        return self.route("version_diff", number)


def _pending_vote(request: HttpRequest, page: ProtocolPage, bureau: BureauPage) -> dict | None:
    """A newer revision under the bureau's vote: the notice, with the proposal's link for those who see it."""
    state = (
        CollectiveDecisionTaskState.objects.for_instance(page)
        .filter(status=TaskState.STATUS_IN_PROGRESS)
        .select_related("proposal")
        .first()
    )
    if state is None:
        return None
    proposal = state.proposal
    url = None
    if proposal is not None and commons_permissions.can_view_proposal(request.user, bureau, proposal):
        url = detail_url(bureau, proposal)
    return {"proposal_url": url}


def _decision_links(bureau: BureauPage, versions) -> None:
    """Set `decision_url` on each version adopted by a decision (one query for all of them)."""
    decided = [version for version in versions if version is not None and version.decision_id]
    newest = Decision.objects.filter(bureau=bureau).count() if decided else 0
    for version in versions:
        if version is not None:
            version.decision_url = (
                decision_url(bureau, version.decision.sequence, newest) if version.decision_id else None
            )


def _nav(urls: _Urls, number: int | None, last: int) -> dict:
    """Previous / next version and « what changed » links around version `number`."""
    if number is None:
        return {}
    return {
        "previous_url": urls.version(number - 1) if number > 1 else None,
        "previous_number": number - 1,
        "next_url": urls.version(number + 1) if number < last else None,
        "next_number": number + 1,
        "diff_url": urls.diff(number),
        "version_url": urls.version(number),
        "last_number": last,
    }


def _base_context(request: HttpRequest, page: ProtocolPage, urls: _Urls) -> dict:
    study, bureau = _lineage(page)
    return {
        "page": page,
        "self": page,
        "study": study,
        "bureau": bureau,
        "current_url": urls.base,
        "history_url": urls.route("versions"),
        "pending_vote": _pending_vote(request, page, bureau),
    }


def _edit_url(request: HttpRequest, page: ProtocolPage) -> str | None:
    """The admin editor, for those whose bureau group may edit the protocol (members, coordinators)."""
    from django.urls import reverse

    if not request.user.is_authenticated or not page.permissions_for_user(request.user).can_edit():
        return None
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def _versions(page):
    """The recorded versions of a page decided by vote (a protocol or a report: `page.version_model`)."""
    model = page.version_model
    return model.objects.filter(**{model.page_field: page})


def _last_number(page) -> int:
    return _versions(page).aggregate(n=Max("number"))["n"] or 0


def _missing(page, number: int) -> Http404:
    if getattr(page, "proposal_kind", None) == ProposalKind.PROTOCOL:
        return Http404(_("This protocol has no version %(n)s.") % {"n": number})
    return Http404(_("This report has no version %(n)s.") % {"n": number})


def _get_version(page, number: int):
    version = _versions(page).filter(number=number).select_related("revision", "decision").first()
    if version is None:
        raise _missing(page, number)
    return version


def _diff_page(
    request: HttpRequest, page, number: int, diff: Callable[..., dict], template: str, *, defer=()
) -> HttpResponse:
    """The « what version `number` changed » page of a protocol or a report; `diff(old, new)` gives
    the diff's context from the two versions' revisions (`None` for v1's missing predecessor)."""
    pair = {
        found.number: found
        for found in _versions(page).filter(number__in=[number - 1, number])
        .select_related("revision", "decision")
        .defer(*defer)
    }
    if number not in pair:
        raise _missing(page, number)
    this, previous = pair[number], pair.get(number - 1)
    urls = _Urls(request, page)
    context = _base_context(request, page, urls)
    last = _last_number(page)
    _decision_links(context["bureau"], [this])
    context.update(
        {
            "version": this,
            "previous": previous,
            "is_current": this.number == last,
            "previous_diff_url": urls.diff(number - 1) if previous is not None and number > 1 else None,
            "next_diff_url": urls.diff(number + 1) if number < last else None,
            **_nav(urls, this.number, last),
            **diff(previous.revision if previous is not None else None, this.revision),
            "heading_level": 2,
        }
    )
    return render(request, template, context)


# --- The views ------------------------------------------------------------------------------------


@permissions.public
@page_cache.cacheable(quotes=False)
def current(request: HttpRequest, page: ProtocolPage) -> HttpResponse:
    """The protocol in force: the live page (in the admin's preview, the draft being edited)."""
    urls = _Urls(request, page)
    context = _base_context(request, page, urls)
    version = (
        ProtocolVersion.objects.filter(protocol=page)
        .select_related("decision")
        .defer("grid", "guide")
        .order_by("-number")
        .first()
        if page.pk
        else None  # the preview of a protocol being created
    )
    preview = bool(getattr(request, "is_preview", False))
    _decision_links(context["bureau"], [version])
    context["edit_url"] = _edit_url(request, page) if not preview else None
    context.update(
        {
            "version": version,
            "is_current": True,
            "is_preview": preview,
            "sections": body_sections(page.body),
            **_nav(urls, version.number if version else None, version.number if version else 0),
        }
    )
    context["references"] = cite_sections(context["sections"], context["bureau"])
    if not preview and page.pk:
        from .registrations import commitments

        context.update(commitments(request, page, version, context["bureau"]))
    return render(request, ProtocolPage.template, context)


@permissions.public
@page_cache.cacheable(quotes=False)
def history(request: HttpRequest, page: ProtocolPage) -> HttpResponse:
    """Every version, newest first: number, date, summary, the decision that adopted it."""
    urls = _Urls(request, page)
    context = _base_context(request, page, urls)
    versions = list(
        ProtocolVersion.objects.filter(protocol=page)
        .select_related("decision")
        .defer("grid", "guide")
        .order_by("-number")
    )
    _decision_links(context["bureau"], versions)
    for version in versions:
        version.url = urls.version(version.number)
        version.diff_url = urls.diff(version.number)
    context.update({"versions": versions, "last_number": versions[0].number if versions else 0})
    return render(request, "studies/protocol/history.html", context)


@permissions.public
@page_cache.cacheable(quotes=False)
def version(request: HttpRequest, page: ProtocolPage, number: int) -> HttpResponse:
    """Version `number` as it was published."""
    found = _get_version(page, number)
    urls = _Urls(request, page)
    context = _base_context(request, page, urls)
    last = _last_number(page)
    _decision_links(context["bureau"], [found])
    context.update(
        {
            "version": found,
            "published_title": revision_title(found.revision) or page.title,
            "is_current": found.number == last,
            "sections": body_sections(revision_body(found.revision)),
            **_nav(urls, found.number, last),
        }
    )
    context["references"] = cite_sections(context["sections"], context["bureau"])
    from .registrations import commitments

    context.update(commitments(request, page, found, context["bureau"]))
    return render(request, "studies/protocol/version.html", context)


@permissions.public
@page_cache.cacheable(quotes=False)
def version_diff(request: HttpRequest, page: ProtocolPage, number: int) -> HttpResponse:
    """What version `number` changed from the one before it (v1: the initial text)."""

    def diff(old, new) -> dict:
        return diff_context(revision_body(old) if old is not None else None, revision_body(new))

    return _diff_page(request, page, number, diff, "studies/protocol/diff.html", defer=("grid", "guide"))


# --- The proposal page's « proposed changes » (hook `bec_proposal_changes`) -------------------------


def proposal_changes(request: HttpRequest, proposal) -> SafeString | None:
    """The word diff a protocol proposal puts to the vote (live version → submitted revision), else None."""
    if proposal.kind != ProposalKind.PROTOCOL:
        return None  # no query for the other proposals
    from commons.workflow import submission_for

    state = submission_for(proposal)
    if state is None or state.revision is None:
        return None
    revision = state.revision
    if revision.content_type_id != ContentType.objects.get_for_model(ProtocolPage).pk:
        return None
    page = ProtocolPage.objects.filter(pk=revision.object_id).first()
    if page is None:
        return None
    live = state.live_revision
    live_version = ProtocolVersion.objects.filter(revision=live).only("number").first() if live else None
    context = {
        **diff_context(revision_body(live) if live else None, revision_body(revision)),
        "heading_level": 3,
        "protocol_url": page.get_url(request) if page.live else None,
        "live_version": live_version,
        "in_proposal": True,
    }
    return render_to_string("studies/protocol/proposal_changes.html", context, request=request)


__all__ = [
    "body_sections",
    "current",
    "diff_context",
    "history",
    "proposal_changes",
    "version",
    "version_diff",
]
