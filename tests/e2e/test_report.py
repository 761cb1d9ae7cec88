"""End to end in Chromium: a published report reads well at 390 px and prints as a clean document."""

from __future__ import annotations

import pytest

from commons.rules import ensure_default_rules
from studies.models import StudyReportPage
from tests.studies.report_helpers import code, coded_note, figure, make_report, quote

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def report_url(live_server, bureau, make_study, make_person, make_collective):
    """A published report with a figure and a quote (the database is filled before the browser starts)."""
    from commons.models import Role

    ensure_default_rules(bureau)
    member = make_person(bureau, Role.MEMBER)
    study = make_study(bureau, "Usages de l'IA générative")
    tag = code(study)
    excerpt = coded_note(study, make_collective(bureau, "Nom réel", sector="culture"), member, tag)
    report = make_report(
        study, [{"type": "text", "value": "Des constats."}, figure(), quote(excerpt)], user=member
    )
    StudyReportPage.objects.get(pk=report.pk).latest_revision.publish(skip_permission_checks=True)
    return live_server.url + report.url


def test_the_report_at_390_px_and_in_print(report_url, chromium_page):
    from playwright.sync_api import expect

    page = chromium_page
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(report_url)
    expect(page.locator("figure.report-figure img.chart-image")).to_be_visible()
    expect(page.locator("figure.report-quote")).to_contain_text("C-01")
    # Nothing wider than the screen: tables scroll inside their box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".version-nav")).to_be_hidden()
    expect(page.locator("figure.report-figure img.chart-image")).to_be_visible()
    expect(page.locator("#cite")).to_be_visible()
