"""Interviews of a study: the list, adding one, and its page (the transcript, coded like a note).

Team pages: access rules come from `studies.permissions` (anonymous visitors go to the login page,
outsiders get 404, team observers read but get 403 on writes). Every query starts from
`Interview.objects.consented()` (through `studies.sources.INTERVIEWS`), so an informant who
withdraws their `interview` consent disappears from the list and their interviews cannot be opened
or coded (404). The interview's page and its coding routes are the generic coding views
(`studies.views.coding`); this module adds what only an interview has: the guide of the protocol
version it followed, shown beside the transcript, and the recording — a Wagtail document in the
bureau's collection, linked for the team only while the informant's `recording` consent is in force
(Wagtail's own document URL is guarded too: `studies.wagtail_hooks`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.documents import get_document_model
from wagtail.models import Collection

from commons.queries import count_of
from participants.models import display_name

from .. import permissions
from ..forms import InterviewForm
from ..models import Excerpt, Interview, StudyPage
from ..sources import INTERVIEWS
from ..uploads import recording_formats, recording_max_bytes

PER_PAGE = 25


def interviews_url(study: StudyPage) -> str:
    return study.url + study.reverse_subpage("interview_list")


_OBSERVERS_READ = gettext_lazy("Observers read the interviews; they do not add them.")


# --- The list -----------------------------------------------------------------------------------


@permissions.team_required
def interview_list(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """Consented interviews, newest first, a page at a time: three queries whatever their number."""
    rows = (
        INTERVIEWS.consented(study)
        .select_related("informant__collective", "interviewer__bec_profile", "protocol_version")
        .defer(
            "transcript", "transcript_html", "plain_text", "protocol_version__grid", "protocol_version__guide"
        )
        .annotate(excerpt_count=count_of(Excerpt.objects.filter(interview=OuterRef("pk")), "interview"))
        .order_by("-conducted_on", "-pk")
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    base_url = interviews_url(study)
    for interview in page.object_list:
        interviewer = interview.interviewer
        interview.interviewer_name = display_name(interviewer) if interviewer else _("former member")
        interview.url = f"{base_url}{interview.pk}/"
    context = {
        "page": study,
        "self": study,
        "interviews": page,
        "can_contribute": permissions.can_contribute(request.user, study),
    }
    return render(request, "studies/interviews/list.html", context)


# --- Adding one ---------------------------------------------------------------------------------


def recordings_collection(bureau) -> Collection:
    """The bureau's private collection of recordings, created on first use.

    It sits at the top level, outside the bureau's own collection, and no group is given any
    permission on it: members cannot list, edit or replace a recording in the admin (that would
    bypass the consent and format checks). Recordings are reached only through the interview page
    and Wagtail's document view, where `can_hear_recording` applies. Found by the bureau's id in
    its name, so renaming the bureau does not lose it.
    """
    root = Collection.get_first_root_node()
    suffix = f"(#{bureau.pk})"
    found = root.get_children().filter(name__endswith=suffix).exclude(name=bureau.title).first()
    if found is not None:
        return found
    name = _("Interview recordings (private) — %(bureau)s") % {"bureau": bureau.title}
    return root.add_child(name=f"{name[: 250 - len(suffix)]} {suffix}")


def _store_recording(study: StudyPage, title: str, upload, user):
    """A Wagtail document holding the uploaded recording, in the bureau's collection."""
    document = get_document_model()(
        title=(_("Recording: %(title)s") % {"title": title})[:255],
        file=upload,
        collection=recordings_collection(study.bureau),
        uploaded_by_user=user,
    )
    document._set_document_file_metadata()
    document.save()
    return document


def _render_form(request: HttpRequest, study: StudyPage, form: InterviewForm, *, status: int = 200):
    context = {
        "page": study,
        "self": study,
        "form": form,
        "protocol_version": form.protocol_version,
        "recording_formats": ", ".join(recording_formats()),
        "recording_max_bytes": recording_max_bytes(),
    }
    return render(request, "studies/interviews/form.html", context, status=status)


@permissions.contributor_required(_OBSERVERS_READ)
def interview_create(request: HttpRequest, study: StudyPage) -> HttpResponse:
    if request.method != "POST":
        return _render_form(request, study, InterviewForm(study=study))
    form = InterviewForm(request.POST, request.FILES, study=study)
    if not form.is_valid():
        return _render_form(request, study, form, status=400)
    with transaction.atomic():
        interview = form.save(commit=False)
        interview.study = study
        interview.interviewer = request.user
        if upload := form.cleaned_data.get("recording"):
            interview.recording = _store_recording(study, interview.title, upload, request.user)
        interview.save()
    messages.success(request, _("Interview saved."))
    return redirect(INTERVIEWS.url(study, interview.pk))


# --- Its page -----------------------------------------------------------------------------------


# The interview's page is the generic coding page (`studies.views.coding.source_detail`, routed on
# `StudyPage`); this is its own part.


def detail_context(request: HttpRequest, study: StudyPage, interview: Interview, context: dict) -> dict:
    """The interview page's own part (see `SourceKind.page_context`): facts, guide, recording."""
    version = interview.protocol_version
    hear = permissions.can_hear_recording(request.user, study, interview)
    interviewer = interview.interviewer
    return {
        "interview": interview,
        "informant": interview.informant,
        "interviewer_name": display_name(interviewer) if interviewer else _("former member"),
        "protocol_version": version,
        "guide": list(version.guide) if version is not None else [],
        "recording": interview.recording if hear else None,
        "recording_withheld": interview.recording_id is not None and not hear,
    }
