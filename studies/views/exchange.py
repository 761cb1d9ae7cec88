"""The study's « Échanges » page: the team takes its material out, and brings other tools' in (REFI-QDA).

Routes (declared on `StudyPage`): ``exchange/`` (the page) and ``exchange/<table>/<csv|xlsx>/``
(one download per table of `studies.exports.TABLES` and format). The whole team may download,
observers included: like the analysis downloads, the spreadsheets hold consented material and
pseudonyms only.

Downloads stream: a CSV is sent as its rows are read from the database (chunk by chunk); an XLSX,
which is a zip archive complete only at its end, is built in a temporary file and then sent. Either
way the memory stays bounded whatever the study's size (`bench/exports.py` measures it).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_safe

from commons.spreadsheets import csv_streaming_response, xlsx_streaming_response

from .. import permissions
from ..exports import TABLES
from ..forms import RefiImportForm
from ..models import Code, Interview, Observation, StudyPage
from ..sources import consented_excerpt_count


@permissions.team_required
@require_safe
def exchange_page(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The export buttons, with how many rows each table holds (consented material only)."""
    counts = {
        "observations": Observation.objects.consented().filter(study=study).count(),
        "coded-segments": consented_excerpt_count(study),
        "codebook": Code.objects.filter(study=study).count(),
        "interviews": Interview.objects.consented().filter(study=study).count(),
    }
    tables = [
        {
            "slug": slug,
            "title": table.title,
            "description": table.description,
            "count": counts[slug],
            "csv_route": f"exchange_{slug.replace('-', '_')}_csv",
            "xlsx_route": f"exchange_{slug.replace('-', '_')}_xlsx",
        }
        for slug, table in TABLES.items()
    ]
    context = {
        "page": study,
        "self": study,
        "study": study,
        "bureau": study.bureau,
        "tables": tables,
        # The REFI-QDA panel (studies/refi/_panel.html): exports for the team, the import for coordinators.
        "can_import": permissions.can_import_exchange(request.user, study),
        "form": RefiImportForm(),
    }
    return render(request, "studies/exchange/index.html", context)


@permissions.team_required
@require_safe
def download(request: HttpRequest, study: StudyPage, table: str, fmt: str) -> HttpResponse:
    """One table as CSV or XLSX, streamed (see the module's docstring)."""
    if table not in TABLES or fmt not in ("csv", "xlsx"):
        raise Http404
    header, rows = TABLES[table].header_and_rows(study)
    filename = f"{study.slug}-{table}-{timezone.localdate().isoformat()}.{fmt}"

    language = translation.get_language()

    def lines():
        # Rows are made while the response is sent, after this view returns: labels (legal forms,
        # purposes) stay in the language of the request.
        with translation.override(language):
            yield header
            yield from rows

    if fmt == "xlsx":
        return xlsx_streaming_response(filename, lines(), title=str(TABLES[table].title))
    return csv_streaming_response(filename, lines())
