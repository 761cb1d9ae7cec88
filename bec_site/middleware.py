"""French first: the site speaks French unless the visitor chose another language with the switcher.

Django's LocaleMiddleware would follow the browser's Accept-Language header, so most
visitors with an English-language browser would get English. Our users are French
associations whose members often use borrowed or English-configured machines; the choice is
explicit instead (the language cookie set by the switcher).
"""

from __future__ import annotations

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
