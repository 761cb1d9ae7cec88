"""Requests carrying a NUL character are refused with 400, before any view reads them.

Why: PostgreSQL cannot store or compare text containing NUL (U+0000): psycopg raises
``ValueError`` as soon as such a value reaches a query (a search, a filter, a slug lookup while
Wagtail routes the path, a form being saved), so every view would need its own guard. No form of
this site expects NUL, and no browser sends one unless told to: one check here covers the path,
the query string and the posted fields, names and values alike.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(data) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def carries_nul(request: HttpRequest) -> bool:
    """True if the path, a query-string parameter or a posted field (name or value) contains NUL."""
    if NUL in request.path or _has_nul(request.GET):
        return True
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        # Django's CSRF check reads request.POST on every POST anyway; uploaded files stay untouched.
        return _has_nul(request.POST)
    return False


class RejectNulMiddleware:
    """Answer 400 to a request carrying NUL (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if carries_nul(request):
            return HttpResponseBadRequest(
                _("The request contains a NUL character, which no field of this site accepts."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
