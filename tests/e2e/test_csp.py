"""End to end, in chromium: the Content-Security-Policy stops an injected inline script, lets the
site's own scripts run, and leaves the Wagtail admin working (its inline scripts are allowed there).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from commons.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

INJECTION = (
    '<script>window.__injected = "script";</script>'
    '<img src="/static/bec_site/favicon.svg" onload="window.__injected = \'handler\'">'
    '<a id="injected-link" href="javascript:window.__injected=\'link\'">x</a>'
)


def _session_cookie(live_server, user) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}


@pytest.fixture
def editor(live_server, bureau, make_person):
    """A bureau member with a session, made before the browser (and its event loop) starts."""
    user = make_person(bureau, Role.COORDINATOR, email="editor@example.org")
    return {"cookie": _session_cookie(live_server, user), "bureau": bureau}


def _watch(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def test_injected_inline_script_does_not_run_on_the_public_site(home, live_server, chromium_page):
    page = chromium_page
    messages = _watch(page)

    def inject(route):
        response = route.fetch()
        body = response.text().replace("</main>", INJECTION + "</main>")
        route.fulfill(response=response, body=body)  # the server's own headers, CSP included

    page.route("**/accounts/login/", inject)
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("#injected-link")
    page.wait_for_timeout(300)

    assert page.evaluate("window.__injected") is None
    assert any("Content Security Policy" in text for text in messages), messages

    # The site's own script (static file) does run: the language switcher submits on change.
    from playwright.sync_api import expect

    page.unroute("**/accounts/login/")
    with page.expect_navigation():
        page.select_option("select#language", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_admin_pages_work_under_the_admin_policy(editor, live_server, chromium_page):
    page = chromium_page
    page.context.add_cookies([editor["cookie"]])
    messages = _watch(page)

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#wagtail-sidebar, [data-wagtail-sidebar], aside.sidebar").count() >= 1
    page.goto(f"{live_server.url}/admin/pages/{editor['bureau'].pk}/edit/")
    page.wait_for_load_state("networkidle")
    assert page.locator("form#page-edit-form").count() == 1
    page.goto(f"{live_server.url}/admin/account/")
    page.wait_for_load_state("networkidle")

    blocked = [text for text in messages if "Content Security Policy" in text or text.startswith("pageerror")]
    assert not blocked, blocked
