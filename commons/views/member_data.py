"""« Mes données »: a signed-in member downloads the archive of everything held about them.

Only the person themselves: the view takes no identifier, it exports `request.user` and nobody
else. Building reads every section (bounded, see `participants.data_export`), so it happens on a
POST, counted by a per-member rate limit; each export is logged in Wagtail's audit log, without its
content. The archive is built in a spooled temporary file and sent in blocks — or, for a large
account (`data_export.is_large`), by a background task that emails a signed link to `download`.
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from participants.data_export import allow_export, max_rows, sections

from .. import data_export, tasks

#: Archives up to this size stay in memory; larger ones spill to a temporary file on disk.
SPOOL_BYTES = 8 * 1024 * 1024


def _context(**extra) -> dict:
    """What the page says the archive holds and how it is built (from the settings in force)."""
    return {
        "sections": [section.name for section in sections()],
        "max_rows": max_rows(),
        "link_hours": data_export.link_hours(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def member_data(request: HttpRequest) -> HttpResponse:
    """GET: what the archive holds and the button; POST: the ZIP (or 429 past the rate limit)."""
    context = _context()
    if request.method == "GET":
        return render(request, "commons/member_data.html", context)
    if not allow_export(request.user):
        context["error"] = _(
            "You have asked for your data several times in the last hour. Please try again later."
        )
        return render(request, "commons/member_data.html", context, status=429)
    if data_export.is_large(request.user):
        tasks.member_data_task.enqueue(request.user.pk)
        messages.success(
            request,
            _("Your archive is being built: a link to download it will be sent to %(email)s.")
            % {"email": request.user.email},
        )
        return redirect("member_data")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    data_export.build_member_archive(request.user, spool, by=request.user, via="web")
    spool.seek(0)
    filename = f"mes-donnees-{timezone.localdate():%Y-%m-%d}.zip"
    response = FileResponse(spool, content_type="application/zip", as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    """An archive built in the background, by its emailed link: only for the member it was built for.

    A link that is not valid, not this member's, expired or whose file is gone answers 410 with the
    page to ask again — the same answer for each, so a link says nothing about anyone else.
    """
    path = data_export.archive_for_link(token, request.user)
    if path is None:
        context = _context(error=_("This download link is no longer valid. Ask for your data again below."))
        return render(request, "commons/member_data.html", context, status=410)
    response = FileResponse(
        path.open("rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=f"mes-donnees-{timezone.localdate():%Y-%m-%d}.zip",
    )
    response["Cache-Control"] = "no-store"
    return response
