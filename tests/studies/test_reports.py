"""Study reports: blocks, frozen figures, consented quotes, publication by the bureau's vote."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client

from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules, rule_for
from studies.models import ReportVersion, StudyReportPage
from tests.studies.report_helpers import (
    NO_QUOTATION,
    code,
    coded_note,
    figure,
    make_report,
    quote,
    submit,
    withdraw,
)

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vote_all(bureau, proposal, people) -> None:
    for key in ("member", "coordinator"):
        response = logged_in(people[key]).post(
            f"{bureau.url}proposals/{proposal.pk}/vote/", {"choice": "for", "reason": ""}
        )
        assert response.status_code == 302


@pytest.fixture
def material(bureau, study, people, make_collective):
    ensure_default_rules(bureau)
    tag = code(study)
    quoted_party = make_collective(bureau, "Le Vrai Nom Secret", sector="culture")
    silent_party = make_collective(bureau, "Autre Nom Réel", scopes=NO_QUOTATION)
    quoted = coded_note(study, quoted_party, people["member"], tag, "Nous traduisons nos affiches avec l'IA.")
    unquotable = coded_note(study, silent_party, people["member"], tag, "Texte qui ne doit jamais sortir.")
    return {"code": tag, "quoted": quoted, "unquotable": unquotable, "party": quoted_party}


def test_submit_vote_publish_frozen_figures_and_live_consent(bureau, study, people, material):
    report = make_report(
        study,
        [
            {"type": "heading", "value": "Ce que nous voyons"},
            {"type": "text", "value": "Les collectifs **traduisent**."},
            figure(),
            quote(material["quoted"], "Un usage typique."),
        ],
        user=people["member"],
    )
    proposal = submit(report, people["member"], summary="Premier rapport")
    assert proposal.kind == ProposalKind.PUBLICATION
    assert proposal.rule == rule_for(bureau, ProposalKind.PUBLICATION)
    page = unescape(logged_in(people["member"]).get(f"{bureau.url}proposals/{proposal.pk}/").content.decode())
    assert "Extraits par code" in page and "traduction" in page
    public = Client()
    assert public.get(report.url).status_code == 404  # not published before the vote
    vote_all(bureau, proposal, people)
    proposal.refresh_from_db()
    assert proposal.status == Status.ADOPTED
    version = ReportVersion.objects.get(report=report, number=1)
    assert version.decision == proposal.decision and len(version.sha256) == 64
    html = unescape(public.get(report.url).content.decode())
    assert "Nous traduisons nos affiches" in html
    assert "Le Vrai Nom Secret" not in html and "Texte qui ne doit jamais sortir" not in html
    assert f"décision n° {proposal.decision.sequence}" in html.replace("\xa0", " ")
    assert version.sha256 in html
    frozen = StudyReportPage.objects.get(pk=report.pk).frozen_figures
    (figure_data,) = [value for value in frozen.values() if value.get("table") == "codes"]
    assert figure_data["rows"] == [["traduction", 2, 2, 2]]

    # Coding goes on: the analysis page changes, the published figure does not.
    coded_note(study, material["party"], people["member"], material["code"], "Encore un usage.")
    analysis = unescape(logged_in(people["member"]).get(study.url + "analysis/codes/").content.decode())
    assert ">3<" in analysis.replace(" ", "")
    html = unescape(public.get(report.url).content.decode())
    assert '<td class="number">2</td>' in html and '<td class="number">3</td>' not in html

    # The quoted party withdraws its consent: the quote leaves the public page at once.
    withdraw(material["party"])
    html = unescape(public.get(report.url).content.decode())
    assert "Nous traduisons nos affiches" not in html
    assert "n'y consent plus" in html


def test_nobody_publishes_a_report_by_hand(bureau, study, people, material, django_user_model):
    report = make_report(study, [figure()], user=people["coordinator"])
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    for user in (people["coordinator"], admin):
        assert not report.permissions_for_user(user).can_publish()
