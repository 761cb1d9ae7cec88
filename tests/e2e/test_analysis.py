"""End to end: a member opens the co-occurrence table, clicks a cell and lands on the coded segments of both codes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from commons.models import Role
from tests.conftest import PASSWORD
from tests.studies.analysis_data import build_study

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def analysis_setup(live_server, bureau, make_study, make_person, make_collective):
    """The database is filled before the browser (and its event loop) starts."""
    make_person(bureau, Role.MEMBER, email="analyste@example.org")
    study = make_study(bureau, "Usages de l'IA générative")
    world = build_study(bureau, study, make_person, make_collective, observations=12)
    return {"study": study, "world": world, "url": study.url + study.reverse_subpage("analysis_cooccurrence")}


def test_a_cooccurrence_cell_opens_the_segments_of_both_codes(live_server, analysis_setup, chromium_page):
    from playwright.sync_api import expect

    page, base, setup = chromium_page, live_server.url, analysis_setup
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name='login']", "analyste@example.org")
    page.fill("input[name='password']", PASSWORD)
    page.locator("main form button[type='submit']").first.click()
    expect(page.locator("header a[href='/accounts/logout/']")).to_be_visible()

    page.goto(f"{base}{setup['url']}")
    expect(page.locator("table.heatmap")).to_be_visible()
    cell = page.locator("table.heatmap td:not(.diagonal)[data-count]:not([data-count='0'])").first
    row, column, count = (cell.get_attribute(name) for name in ("data-row", "data-column", "data-count"))
    assert row != column and int(count) > 0
    cell.locator("a").click()

    page.wait_for_url("**/analysis/segments/**")
    query = parse_qs(urlparse(page.url).query)
    assert sorted(query["codes"]) == sorted([row, column]) and query["match"] == ["overlap"]
    expect(page.locator("h1")).to_contain_text("Segments codés")
    # The segments behind the cell: as many as the cell counts, each carrying one of the two codes,
    # and both codes are on the page.
    assert page.locator(".result-count").get_attribute("data-total") == count
    segments = page.locator("li.segment")
    assert segments.count() == int(count)
    seen = set()
    for index in range(segments.count()):
        codes = set(segments.nth(index).locator(".code-chip").evaluate_all("els => els.map(e => e.dataset.code)"))
        assert codes & {row, column}
        seen |= codes
    assert {row, column} <= seen
    # The filter form shows both codes selected.
    selected = page.locator("select[name='codes'] option:checked").evaluate_all("els => els.map(e => e.value)")
    assert sorted(selected) == sorted([row, column])
