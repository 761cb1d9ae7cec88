"""Issue 11 item 16: the demo (DEBUG on) shows the site's own French 404 and 500 pages."""

from __future__ import annotations

from html import unescape

import pytest
from django.utils.translation import gettext, override

pytestmark = pytest.mark.django_db


def _french(msgid: str) -> str:
    with override("fr"):
        return gettext(msgid)


def test_missing_page_with_debug_shows_the_sites_french_404(client, settings, home):
    settings.DEBUG = True
    settings.SITE_ERROR_PAGES_IN_DEBUG = True
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = unescape(response.content.decode())
    assert _french("This page does not exist, or it is not public.") in html
    assert 'lang="fr"' in html and "technical" not in html.lower() and "URLconf" not in html


def test_developers_can_still_ask_for_the_technical_page(client, settings, home):
    settings.DEBUG = True
    settings.SITE_ERROR_PAGES_IN_DEBUG = False
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert _french("This page does not exist, or it is not public.") not in unescape(response.content.decode())


def test_demo_settings_turn_it_on():
    import importlib

    dev = importlib.import_module("bec_site.settings.dev")
    assert dev.DEBUG and dev.SITE_ERROR_PAGES_IN_DEBUG
    assert "bec_site.middleware.SiteErrorPagesMiddleware" in dev.MIDDLEWARE
