"""The demo report « Premiers constats »: adopted by the bureau's vote (v1), a second revision under vote."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.management import call_command
from django.test import Client

from commons.models import Proposal
from commons.models.governance import ProposalKind, Status
from participants.models import Collective
from studies.models import ReportVersion, StudyReportPage

pytestmark = pytest.mark.django_db


def test_the_demo_report_went_through_the_vote():
    call_command("bec_demo")
    page = StudyReportPage.objects.get(slug="premiers-constats")
    (v1,) = ReportVersion.objects.filter(report=page)
    assert v1.decision is not None and v1.decision.adopted and v1.decision.kind == ProposalKind.PUBLICATION
    assert page.live_revision == v1.revision and page.workflow_in_progress
    assert Proposal.objects.filter(kind=ProposalKind.PUBLICATION, status=Status.OPEN).count() == 1
    kinds = [child.block_type for child in page.body]
    assert kinds.count("figure") == 2 and kinds.count("quote") == 3 and kinds.count("text") >= 3
    html = unescape(Client().get(page.url).content.decode())
    assert html.count('class="report-quote"') == 3
    assert f"adopté par la décision n° {v1.decision.sequence}" in html
    for name in Collective.objects.values_list("name", flat=True):
        assert name not in html
    # Idempotent.
    call_command("bec_demo")
    assert StudyReportPage.objects.count() == 1 and ReportVersion.objects.count() == 1
