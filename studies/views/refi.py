"""REFI-QDA exchange pages of a study: the project and codebook downloads, the import with its preview.

Routes (on `StudyPage`): ``exchange/refi/qdpx/`` and ``exchange/refi/qdc/`` (GET, the study team:
consented material under pseudonyms only, see `studies.exchange.writing`), ``exchange/refi/import/``
(coordinators only: GET the form; POST ``action=preview`` uploads a file and shows the dry run's
report; POST ``action=import`` imports the previewed file and shows the report). The uploaded file
waits between the two steps in a private temporary folder, named by a random token kept in the
session: nobody else can confirm it, and a bad token is a clear error, never a 500.

The export panel and the import form are also a partial (`studies/refi/_panel.html`) for the
study's « Échanges » page.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from .. import permissions
from ..exchange.errors import ExchangeError
from ..exchange.importing import import_file
from ..exchange.writing import codebook_xml, write_project
from ..forms import RefiImportForm
from ..models import StudyPage

_COORDINATORS_IMPORT = gettext_lazy("Only the bureau's coordinators import material into a study.")
_SESSION_KEY = "bec_refi_uploads"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")


def _filename(study: StudyPage, suffix: str) -> str:
    return f"{slugify(study.title) or 'etude'}{suffix}"


@permissions.team_required
@require_safe
def export_project(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The study as a `.qdpx`, written to a temporary file (not memory) then streamed from it."""
    spool = tempfile.TemporaryFile()
    write_project(study, spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=_filename(study, ".qdpx"), content_type="application/zip"
    )


@permissions.team_required
@require_safe
def export_codebook(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The study's codebook as a `.qdc`."""
    response = HttpResponse(codebook_xml(study), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(study, ".qdc")}"'
    return response


def _upload_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "bec-refi-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _render(request, study, *, form=None, report=None, token="", filename="", error=None, status=200):
    return render(
        request,
        "studies/refi/import.html",
        {
            "page": study,
            "self": study,
            "study": study,
            "form": form or RefiImportForm(),
            "report": report,
            "token": token,
            "filename": filename,
            "error": error,
        },
        status=status,
    )


@permissions.contributor_required(_COORDINATORS_IMPORT, team_reads=False,
                                  policy=permissions.can_import_exchange)
def import_page(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The import form; its preview (dry run) and, once confirmed, the import and its report."""
    if request.method != "POST":
        return _render(request, study)
    action = request.POST.get("action")
    if action == "preview":
        return _preview(request, study)
    if action == "import":
        return _confirm(request, study)
    messages.error(request, _("Unknown action."))
    return _render(request, study, status=400)


def _preview(request: HttpRequest, study: StudyPage) -> HttpResponse:
    form = RefiImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, study, form=form, status=400)
    upload = form.cleaned_data["file"]
    token = secrets.token_urlsafe(24)
    path = _upload_dir() / f"{token}.upload"
    with path.open("wb") as stream:
        for chunk in upload.chunks():
            stream.write(chunk)
    try:
        with path.open("rb") as stream:
            report = import_file(study, stream, filename=upload.name, user=request.user, dry_run=True)
    except ExchangeError as error:
        path.unlink(missing_ok=True)
        return _render(request, study, form=form, error=error, filename=upload.name, status=400)
    uploads = request.session.get(_SESSION_KEY, {})
    uploads[token] = {"study": study.pk, "name": upload.name}
    request.session[_SESSION_KEY] = uploads
    return _render(request, study, report=report, token=token, filename=upload.name)


def _confirm(request: HttpRequest, study: StudyPage) -> HttpResponse:
    token = request.POST.get("token", "")
    uploads = request.session.get(_SESSION_KEY, {})
    entry = uploads.get(token) if _TOKEN.fullmatch(token) else None
    path = _upload_dir() / f"{token}.upload" if entry else None
    if entry is None or entry.get("study") != study.pk or not path.is_file():
        messages.error(request, _("This preview is no longer available: choose the file again."))
        return _render(request, study, status=400)
    try:
        with path.open("rb") as stream:
            report = import_file(study, stream, filename=entry["name"], user=request.user)
    except ExchangeError as error:
        return _render(request, study, error=error, filename=entry["name"], status=400)
    finally:
        path.unlink(missing_ok=True)
        uploads.pop(token, None)
        request.session[_SESSION_KEY] = uploads
    messages.success(request, _("The file was imported."))
    return _render(request, study, report=report, filename=entry["name"])
