"""The confirmation step of destructive actions: a GET shows « Are you sure? », the POST acts.

A plain page with a form, so it works without JavaScript; the action's own view keeps its guard
and does the work only on POST.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from wagtail.models import Page


def confirm_page(
    request: HttpRequest,
    page: Page,
    *,
    title: str,
    consequence: str,
    confirm_label: str,
    cancel_url: str,
    hidden: tuple[tuple[str, str], ...] = (),
) -> HttpResponse:
    """The page asking before a destructive action, posting back to the same address.

    `page` is the bureau or study the action belongs to (the breadcrumb's last link).
    """
    context = {
        "page": page,
        "self": page,
        "title": title,
        "consequence": consequence,
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
        "action": request.path,
        "hidden": hidden,
    }
    return render(request, "commons/confirm.html", context)
