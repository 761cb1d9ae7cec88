"""Readings of a study: the team's notes on references of the bureau's library, listed and coded.

Team pages (`studies.permissions`). A reading's page and coding routes are the generic coding views
(`studies.views.coding`); this module adds the list, the creation (a reference of the library, the
notes starting from its abstract) and the edit of the notes, which re-anchors the excerpts like an
observation's edit (`studies.anchoring`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commons.markup import render_markdown
from commons.queries import count_of
from participants.models import display_name

from .. import permissions
from ..forms.readings import ReadingEditForm, ReadingForm
from ..models import Excerpt, Reading, StudyPage
from ..models.readings import starting_notes
from ..sources import READINGS

PER_PAGE = 25
_OBSERVERS_READ = gettext_lazy("Observers read the readings; only members and coordinators write them.")


@permissions.team_required
def reading_list(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The study's readings by title, a page at a time: three queries whatever their number."""
    rows = (
        READINGS.consented(study)
        .select_related("reference")
        .defer("plain_text", "notes", "notes_html", "reference__abstract")
        .annotate(excerpt_count=count_of(Excerpt.objects.filter(reading=OuterRef("pk")), "reading"))
        .order_by("title", "pk")
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    base_url = study.url + study.reverse_subpage("reading_list")
    for reading in page.object_list:
        reading.url = f"{base_url}{reading.pk}/"
    context = {
        "page": study,
        "self": study,
        "readings": page,
        "can_write": permissions.can_contribute(request.user, study),
    }
    return render(request, "studies/readings/list.html", context)


@permissions.contributor_required(_OBSERVERS_READ)
def reading_create(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """A new reading of a library reference; its notes start from the reference's abstract."""
    form = ReadingForm(request.POST or None, study=study)
    if request.method == "POST" and form.is_valid():
        reading = form.save(commit=False)
        reading.study = study
        reading.title = str(reading.reference)[:200]
        reading.notes = reading.notes or starting_notes(reading.reference)
        reading.added_by = request.user
        reading.save()
        messages.success(request, _("Reading added: select passages of the notes to code them."))
        return redirect(READINGS.url(study, reading.pk))
    status = 400 if request.method == "POST" else 200
    context = {"page": study, "self": study, "form": form, "creating": True}
    return render(request, "studies/readings/form.html", context, status=status)


@permissions.contributor_required(_OBSERVERS_READ)
def reading_edit(request: HttpRequest, study: StudyPage, reading_id: int) -> HttpResponse:
    """Edit the notes (compare-and-swap on `version`; excerpts re-anchored in the new text)."""
    reading = Reading.objects.filter(study=study, pk=reading_id).select_related("reference").first()
    if reading is None:
        raise Http404(READINGS.wording["missing"])
    form = ReadingEditForm(request.POST or None, instance=reading)
    context = {"page": study, "self": study, "form": form, "reading": reading}
    if request.method == "POST" and "preview" in request.POST:
        context["preview"] = render_markdown(request.POST.get("notes", ""))
        return render(request, "studies/readings/form.html", context)
    if request.method != "POST":
        return render(request, "studies/readings/form.html", context)
    if not form.is_valid():
        return render(request, "studies/readings/form.html", context, status=400)
    posted = form.cleaned_data["version"]
    with transaction.atomic():
        claimed = Reading.objects.filter(pk=reading.pk, version=posted).update(version=posted + 1)
        if claimed:
            old_text = Reading.objects.values_list("plain_text", flat=True).get(pk=reading.pk)
            edited = form.save(commit=False)
            edited.version = posted + 1
            edited.save()
            from ..anchoring import reanchor_excerpts

            result = reanchor_excerpts(edited, old_text) or {}
    if not claimed:
        context["conflict"] = _(
            "Someone saved these notes since you opened them: yours were not saved. Copy your text, "
            "reload the page and apply your changes again."
        )
        return render(request, "studies/readings/form.html", context, status=409)
    if flagged := result.get("flagged", 0):
        messages.warning(
            request, _("Notes saved. %(n)s coded excerpt(s) no longer match and are flagged for review.")
            % {"n": flagged}
        )
    else:
        messages.success(request, _("Notes saved."))
    return redirect(READINGS.url(study, reading.pk))


def detail_context(request: HttpRequest, study: StudyPage, reading: Reading, context: dict) -> dict:
    """The reading page's own part (see `SourceKind.page_context`): the reference and who added it."""
    reader = reading.added_by
    return {
        "reading": reading,
        "reference": reading.reference,
        "reader_name": display_name(reader) if reader else _("former member"),
        "can_edit": permissions.can_contribute(request.user, study),
    }
