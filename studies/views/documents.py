"""Documents of a study: texts imported from another analysis tool (REFI-QDA), listed and coded.

Team pages (`studies.permissions`). A document's page and coding routes are the generic coding views
(`studies.views.coding`); this module adds the list and what only a document has: where it came
from (`origin`) and who imported it.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from commons.queries import count_of
from participants.models import display_name

from .. import permissions
from ..models import Document, Excerpt, StudyPage
from ..sources import DOCUMENTS

PER_PAGE = 25


@permissions.team_required
def document_list(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The study's documents by title, a page at a time: three queries whatever their number."""
    rows = (
        DOCUMENTS.consented(study)
        .select_related("imported_by__bec_profile")
        .defer("plain_text")
        .annotate(excerpt_count=count_of(Excerpt.objects.filter(document=OuterRef("pk")), "document"))
        .order_by("title", "pk")
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    base_url = study.url + study.reverse_subpage("document_list")
    for document in page.object_list:
        document.url = f"{base_url}{document.pk}/"
        document.importer_name = display_name(document.imported_by) if document.imported_by else "—"
    context = {
        "page": study,
        "self": study,
        "documents": page,
        "can_import": permissions.can_import_exchange(request.user, study),
    }
    return render(request, "studies/documents/list.html", context)


def detail_context(request: HttpRequest, study: StudyPage, document: Document, context: dict) -> dict:
    """The document page's own part (see `SourceKind.page_context`): its origin and importer."""
    importer = document.imported_by
    return {
        "document": document,
        "importer_name": display_name(importer) if importer else _("former member"),
    }
