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
import time
import uuid
from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from participants.models import Collective, Informant

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


#: A previewed file not confirmed within this delay is deleted (at the next preview).
_ABANDONED_AFTER = 24 * 3600


def _upload_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "bec-refi-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _forget_abandoned(folder: Path) -> None:
    """Delete previews nobody confirmed: an uploaded project must not stay on disk for ever."""
    limit = time.time() - _ABANDONED_AFTER
    for path in folder.glob("*.upload"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _parties(study: StudyPage) -> list[tuple[str, str]]:
    """The choices a case can be mapped to: the bureau's collectives and informants, by pseudonym."""
    collectives = Collective.objects.filter(bureau_id=study.bureau.pk).order_by("code")
    informants = Informant.objects.filter(collective__bureau_id=study.bureau.pk).select_related("collective")
    return [
        *((f"collective:{c.pk}", _("Collective %(code)s") % {"code": c.code}) for c in collectives),
        *(
            (
                f"informant:{i.pk}",
                _("Informant %(pseudonym)s (%(code)s)")
                % {"pseudonym": i.pseudonym, "code": i.collective.code},
            )
            for i in sorted(informants, key=lambda found: (found.collective.code, found.pseudonym))
        ),
    ]


def _case_map(request: HttpRequest, study: StudyPage) -> dict[uuid.UUID, tuple[str, int]]:
    """The cases mapped on the preview (``case-<guid>`` = ``collective:<pk>`` or ``informant:<pk>``).

    Only values offered by `_parties` are kept; anything else is left unmapped (a document).
    """
    offered = {value for value, _label in _parties(study)}
    mapping = {}
    for key, value in request.POST.items():
        if not key.startswith("case-") or value not in offered:
            continue
        try:
            identity = uuid.UUID(key[len("case-") :])
        except ValueError:
            continue
        kind, pk = value.split(":")
        mapping[identity] = (kind, int(pk))
    return mapping


def _render(
    request, study, *, form=None, report=None, token="", filename="", error=None, status=200, chosen=None
):
    if report is not None and report.cases and token:
        chosen = chosen or {}
        cases = [
            {
                "guid": guid,
                "name": name,
                "sources": count,
                "value": "{}:{}".format(*chosen[uuid.UUID(guid)]) if uuid.UUID(guid) in chosen else "",
            }
            for guid, name, count in report.cases
        ]
    else:
        cases = []
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
            "cases": cases,
            "parties": _parties(study) if cases else [],
        },
        status=status,
    )


@permissions.contributor_required(
    _COORDINATORS_IMPORT, team_reads=False, policy=permissions.can_import_exchange
)
def import_page(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The import form; its preview (dry run) and, once confirmed, the import and its report."""
    if request.method != "POST":
        return _render(request, study)
    action = request.POST.get("action")
    if action == "preview":
        return _preview(request, study)
    if action in ("import", "repreview"):
        return _confirm(request, study, dry_run=action == "repreview")
    messages.error(request, _("Unknown action."))
    return _render(request, study, status=400)


def _preview(request: HttpRequest, study: StudyPage) -> HttpResponse:
    form = RefiImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, study, form=form, status=400)
    upload = form.cleaned_data["file"]
    token = secrets.token_urlsafe(24)
    folder = _upload_dir()
    _forget_abandoned(folder)
    path = folder / f"{token}.upload"
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


def _confirm(request: HttpRequest, study: StudyPage, *, dry_run: bool = False) -> HttpResponse:
    token = request.POST.get("token", "")
    uploads = request.session.get(_SESSION_KEY, {})
    entry = uploads.get(token) if _TOKEN.fullmatch(token) else None
    path = _upload_dir() / f"{token}.upload" if entry else None
    if entry is None or entry.get("study") != study.pk or not path.is_file():
        messages.error(request, _("This preview is no longer available: choose the file again."))
        return _render(request, study, status=400)
    chosen = _case_map(request, study)
    if dry_run:  # the preview again, with the cases mapped as chosen; the file waits on
        try:
            with path.open("rb") as stream:
                report = import_file(
                    study, stream, filename=entry["name"], user=request.user, dry_run=True, case_map=chosen
                )
        except ExchangeError as error:
            return _render(request, study, error=error, filename=entry["name"], status=400)
        return _render(request, study, report=report, token=token, filename=entry["name"], chosen=chosen)
    try:
        with path.open("rb") as stream:
            report = import_file(study, stream, filename=entry["name"], user=request.user, case_map=chosen)
    except ExchangeError as error:
        return _render(request, study, error=error, filename=entry["name"], status=400)
    finally:
        path.unlink(missing_ok=True)
        uploads.pop(token, None)
        request.session[_SESSION_KEY] = uploads
    messages.success(request, _("The file was imported."))
    return _render(request, study, report=report, filename=entry["name"])
