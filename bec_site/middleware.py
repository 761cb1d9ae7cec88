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
