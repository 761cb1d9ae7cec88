"""The confirmation step of destructive actions: a GET shows « Are you sure? », the POST acts.

A plain page with a form, so it works without JavaScript; the action's own view keeps its guard
and does the work only on POST.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..models import BureauPage


def confirm_page(
    request: HttpRequest,
    bureau: BureauPage,
    *,
    title: str,
    consequence: str,
    confirm_label: str,
    cancel_url: str,
    hidden: tuple[tuple[str, str], ...] = (),
) -> HttpResponse:
    """The page asking before a destructive action, posting back to the same address."""
    context = {
        "page": bureau,
        "self": bureau,
        "title": title,
        "consequence": consequence,
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
        "action": request.path,
        "hidden": hidden,
    }
    return render(request, "commons/confirm.html", context)
