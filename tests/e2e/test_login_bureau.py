"""End to end: a demo member signs in, opens the demo bureau and reads its list of members."""

from __future__ import annotations

import re
import shutil

import pytest

from bec_site.models import HomePage
from commons import demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOT_COPY = "/tmp/e2e-members.png"


@pytest.fixture
def demo_bureau(live_server):
    """The demo data, built before the browser (and its event loop) starts."""
    return demo.build(HomePage.objects.get())["bureau"]


def test_member_signs_in_and_sees_the_bureau_members(demo_bureau, live_server, chromium_page, tmp_path):
    from playwright.sync_api import expect

    page = chromium_page
    base = live_server.url

    # 1. Sign in with the email and password of a demo member.
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name='login']", "lea.dubois@bec-demo.fr")
    page.fill("input[name='password']", demo.DEMO_PASSWORD)
    page.locator("main form button[type='submit']").first.click()

    # 2. Signed in: the header offers the profile and the sign-out links.
    expect(page.locator("header a[href='/accounts/logout/']")).to_be_visible()
    expect(page.locator("header a[href='/accounts/profile/']")).to_be_visible()

    # 3. The home page speaks French and lists the bureau; open it.
    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("link", name=demo_bureau.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("BEC IA générative & ESS")
    members_link = page.locator(f"a[href$='/{demo.BUREAU_SLUG}/members/']")
    expect(members_link).to_be_visible()
    members_link.click()

    # 4. The members page lists the members, with a coordinator badge.
    expect(page).to_have_url(re.compile(rf"/{demo.BUREAU_SLUG}/members/$"))
    table = page.locator("table.members")
    expect(table).to_contain_text("Camille Martin")
    expect(table).to_contain_text("Karim Benali")
    expect(table).to_contain_text("Léa Dubois")
    expect(table.locator(".badge.role-coordinator").first).to_be_visible()

    screenshot = tmp_path / "members.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    shutil.copyfile(screenshot, SCREENSHOT_COPY)
