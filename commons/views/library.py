"""The bureau's library: its references (list, filters, detail), the import with a preview, the export.

Members read it (observers included: `permissions.library_required`); coordinators and members import
(`permissions.library_writer_required`). The import is the command's (`manage.py import_references`)
in a page: a file is read and planned (`commons.library.importing`), the preview says what would be
added, skipped as a duplicate or renamed, and where the file could not be read; nothing is written
until the team confirms, and then all or nothing.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import page_cache, permissions
from ..forms import (
    CitationStyleForm,
    LibraryFilterForm,
    ReferenceConfirmForm,
    ReferenceForm,
    ReferenceImportForm,
)
from ..library.importing import (
    LibraryImportError,
    apply_import,
    check_size,
    export,
    plan_import,
    read_file,
)
from ..library.usage import citing_texts
from ..models import BureauPage, Reference
from .confirm import confirm_page

PER_PAGE = 25
#: Export formats: the route's name -> (format, content type, extension).
EXPORTS = {
    "bibtex": ("bibtex", "application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("ris", "application/x-research-info-systems; charset=utf-8", "ris"),
    "csl-json": ("csl-json", "application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}


def _library_url(bureau: BureauPage) -> str:
    return bureau.url + bureau.reverse_subpage("library")


@permissions.library_required
@require_safe
def library(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """The references by key, filtered and paginated: a fixed number of queries whatever their number."""
    form = LibraryFilterForm(request.GET or None)
    rows = Reference.objects.filter(bureau=bureau).defer("abstract")
    if form.is_valid():
        data = form.cleaned_data
        if data.get("q"):
            q = data["q"]
            rows = rows.filter(Q(title__icontains=q) | Q(key__icontains=q) | Q(authors__icontains=q))
        if data.get("kind"):
            rows = rows.filter(kind=data["kind"])
        if data.get("year"):
            rows = rows.filter(year=data["year"])
    rows = rows.annotate(reading_count=Count("readings")).order_by("key", "pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    base = _library_url(bureau)
    for reference in page.object_list:
        reference.url = f"{base}{reference.pk}/"
    context = {
        "page": bureau,
        "self": bureau,
        "form": form,
        "references": page,
        "total": Reference.objects.filter(bureau=bureau).count(),
        "can_import": permissions.can_manage_library(request.user, bureau),
        "style_form": (CitationStyleForm(initial={"citation_style": bureau.citation_style})
                       if permissions.can_manage_members(request.user, bureau) else None),
        "exports": [(name, bureau.url + bureau.reverse_subpage(f"library_export_{ext}")) for name, (
            _fmt, _type, ext) in EXPORTS.items()],
    }
    return render(request, "commons/library/list.html", context)


@permissions.library_required
@require_safe
def reference_detail(request: HttpRequest, bureau: BureauPage, reference_id: int) -> HttpResponse:
    """One reference: its record, and each study's reading of it with the codes used there."""
    reference = Reference.objects.filter(bureau=bureau, pk=reference_id).first()
    if reference is None:
        raise Http404(_("No such reference in this library."))
    # The readings are the studies' (`studies.Reading`); commons names them by label, never imports them.
    readings = list(reference.readings.select_related("study").annotate(excerpt_count=Count("excerpts")))
    codes: dict[int, list[str]] = {}
    if readings:
        code_model = apps.get_model("studies", "Code")
        pairs = (
            code_model.objects.filter(excerpts__reading__in=[r.pk for r in readings])
            .values_list("excerpts__reading", "name")
            .distinct()
            .order_by("name")
        )
        for reading_id, name in pairs:
            codes.setdefault(reading_id, []).append(name)
    for reading in readings:
        reading.codes = codes.get(reading.pk, [])
        reading.url = reading.study.url + reading.study.reverse_subpage("reading_detail", args=[reading.pk])
    context = {
        "page": bureau,
        "self": bureau,
        "reference": reference,
        "readings": readings,
        "can_edit": permissions.can_manage_library(request.user, bureau),
    }
    return render(request, "commons/library/detail.html", context)


@permissions.library_writer_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_references(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """Upload → preview (nothing written) → confirm (everything written, or nothing)."""
    context: dict = {"page": bureau, "self": bureau}
    if request.method != "POST":
        context["form"] = ReferenceImportForm()
        return render(request, "commons/library/import.html", context)
    if "confirm" in request.POST:
        confirm = ReferenceConfirmForm(request.POST)
        if not confirm.is_valid():
            context["form"] = ReferenceImportForm()
            context["error"] = _("The previewed file did not come back: choose it again.")
            return render(request, "commons/library/import.html", context, status=400)
        name, text = confirm.cleaned_data["name"], confirm.cleaned_data["text"]
        try:
            fmt, text = read_file(name, text.encode("utf-8"))
            plan = plan_import(bureau, fmt, text)
            added = apply_import(bureau, plan, request.user)
        except LibraryImportError as error:
            context["form"] = ReferenceImportForm()
            context["error"] = str(error)
            return render(request, "commons/library/import.html", context, status=400)
        messages.success(
            request,
            _("%(added)s reference(s) imported; %(duplicates)s duplicate(s) skipped; "
              "%(renamed)s key(s) renamed.")
            % {"added": len(added), "duplicates": len(plan.duplicates), "renamed": len(plan.renamed)},
        )
        return redirect(_library_url(bureau))
    form = ReferenceImportForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "commons/library/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        check_size(upload.size)  # before reading it
        fmt, text = read_file(upload.name, upload.read())
        plan = plan_import(bureau, fmt, text)
    except LibraryImportError as error:
        context["error"] = str(error)
        return render(request, "commons/library/import.html", context, status=400)
    context["plan"] = plan
    context["confirm"] = ReferenceConfirmForm(initial={"name": upload.name, "text": text})
    return render(request, "commons/library/import.html", context)


@permissions.library_writer_required
@require_http_methods(["GET", "HEAD", "POST"])
def reference_edit(request: HttpRequest, bureau: BureauPage, reference_id: int | None = None) -> HttpResponse:
    """Add a reference by hand, or correct one (its key too: texts citing the old key show it unknown)."""
    reference = None
    if reference_id is not None:
        reference = Reference.objects.filter(bureau=bureau, pk=reference_id).first()
        if reference is None:
            raise Http404(_("No such reference in this library."))
    form = ReferenceForm(request.POST or None, instance=reference, bureau=bureau)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.bureau = bureau
        if reference is None:
            saved.added_by = request.user
        saved.save()
        messages.success(request, _("Reference saved: cite it as [@%(key)s].") % {"key": saved.key})
        return redirect(f"{_library_url(bureau)}{saved.pk}/")
    status = 400 if request.method == "POST" else 200
    context = {"page": bureau, "self": bureau, "form": form, "reference": reference}
    return render(request, "commons/library/form.html", context, status=status)


@permissions.library_writer_required
@require_http_methods(["GET", "HEAD", "POST"])
def reference_delete(request: HttpRequest, bureau: BureauPage, reference_id: int) -> HttpResponse:
    """Delete a reference after « Are you sure? », naming the texts that cite it.

    Refused while a study's reading of it holds coded excerpts: deleting the reference would delete
    the reading and the study's coding with it. Readings without excerpts go with the reference.
    """
    reference = Reference.objects.filter(bureau=bureau, pk=reference_id).first()
    if reference is None:
        raise Http404(_("No such reference in this library."))
    detail_url = f"{_library_url(bureau)}{reference.pk}/"
    coded = list(
        reference.readings.annotate(excerpt_count=Count("excerpts"))
        .filter(excerpt_count__gt=0)
        .select_related("study")
    )
    if coded:
        messages.error(
            request,
            _("This reference cannot be deleted: its reading in %(studies)s holds coded excerpts. "
              "Nothing was changed.")
            % {"studies": ", ".join(f"« {reading.study.title} »" for reading in coded)},
        )
        return redirect(detail_url)
    if request.method != "POST":
        citing = citing_texts(bureau, reference.key)
        consequence = _("The reference will be deleted from the library, with the studies' readings of it "
                        "(%(readings)s), which hold no coded excerpt. This cannot be undone.") % {
            "readings": reference.readings.count()}
        if citing:
            consequence += " " + _("These texts cite [@%(key)s] and will then show it as an unknown "
                                   "reference: %(texts)s.") % {
                "key": reference.key, "texts": "; ".join(label for label, _url in citing)}
        else:
            consequence += " " + _("No text of the bureau cites [@%(key)s].") % {"key": reference.key}
        return confirm_page(
            request,
            bureau,
            title=_("Delete the reference [@%(key)s]") % {"key": reference.key},
            consequence=consequence,
            confirm_label=_("Yes, delete the reference"),
            cancel_url=detail_url,
        )
    key = reference.key
    reference.delete()
    messages.success(request, _("Reference [@%(key)s] deleted.") % {"key": key})
    return redirect(_library_url(bureau))


@permissions.coordinator_required
@require_POST
def citation_style(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """Change the bureau's citation style (coordinators), without re-rendering anything stored.

    A proposal's or report's HTML is what was voted or published: it keeps its citations as they
    were. The live page row is updated, and so is its latest revision (the admin's draft), so that
    the next publication from the admin neither reverts the style nor publishes a pending draft.
    """
    form = CitationStyleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the offered citation styles; nothing was changed."))
        return redirect(_library_url(bureau))
    style = form.cleaned_data["citation_style"]
    BureauPage.objects.filter(pk=bureau.pk).update(citation_style=style)
    revision = bureau.latest_revision
    if revision is not None and isinstance(revision.content, dict):
        revision.content["citation_style"] = style
        revision.save(update_fields=["content"])
    page_cache.changed()  # protocol pages format their citations when shown
    bureau.citation_style = style
    messages.success(
        request,
        _("Citation style: %(style)s. Texts saved from now on and the protocols use it; texts already "
          "stored (proposals, reports) keep their citations as adopted.")
        % {"style": bureau.get_citation_style_display()},
    )
    return redirect(_library_url(bureau))


@permissions.library_required
@require_safe
def export_references(request: HttpRequest, bureau: BureauPage, fmt: str) -> HttpResponse:
    """The whole library as a BibTeX, RIS or CSL-JSON file."""
    fmt, content_type, ext = EXPORTS[fmt]
    response = HttpResponse(export(bureau, fmt), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{bureau.slug}-references.{ext}"'
    return response
