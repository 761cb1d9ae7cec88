"""French first: the site speaks French unless the visitor chose another language with the switcher.

Django's LocaleMiddleware would follow the browser's Accept-Language header, so most
visitors with an English-language browser would get English. Our users are French
associations whose members often use borrowed or English-configured machines; the choice is
explicit instead (the language cookie set by the switcher).
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        available = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (`CONTENT_SECURITY_POLICY`) on every page, relaxed only under the admin.

    Why the exception: Wagtail's admin still writes inline scripts (inline panels, date choosers)
    and many inline styles, so `/admin/` also allows `'unsafe-inline'` (settings
    `BEC_ADMIN_CSP_UPDATE`); it is reached only by signed-in editors, and every other directive
    (no plugins, no foreign sources, no framing by other sites, forms post to this site) still holds.
    The public site, where visitors' text is shown, allows no inline script at all.
    """

    def get_policy_parts(self, request: HttpRequest, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and request.path_info.startswith(settings.BEC_ADMIN_CSP_PREFIX):
            parts.update = {**settings.BEC_ADMIN_CSP_UPDATE, **(parts.update or {})}
        return parts


class SiteErrorPagesMiddleware:
    """With ``SITE_ERROR_PAGES_IN_DEBUG``, a missing page or a crash shows the site's own French
    404 and 500 pages even when ``DEBUG`` is on, instead of Django's technical pages.

    Why: the demo runs with ``DEBUG`` (development settings) and is walked by people who are not
    developers; a mistyped address must look like the site, in French. The exception is still
    logged with its traceback, and developers turn this off (``SITE_ERROR_PAGES_IN_DEBUG=0``) to
    see the technical pages. Without ``DEBUG``, Django already serves these templates.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        import logging

        from django.core.exceptions import PermissionDenied
        from django.http import Http404
        from django.shortcuts import render

        if not (settings.DEBUG and getattr(settings, "SITE_ERROR_PAGES_IN_DEBUG", False)):
            return None
        if isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        if isinstance(exception, PermissionDenied):
            return None  # Django renders the site's 403 page whatever DEBUG says
        logging.getLogger("django.request").exception("Server error at %s", request.path, exc_info=exception)
        return render(request, "500.html", status=500)
