"""End to end through the HTTP views: a revision is submitted in the admin, the bureau votes on the
proposals page, and at the close the new version is live, numbered, linked to its decision, with a
readable diff. Rejection and cancellation paths too."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import WorkflowState

from commons.models import Proposal
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules
from studies.models import ProtocolPage, ProtocolVersion
from tests.studies.test_protocol_admin import edit_data, edit_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def protocol(bureau, study, people, make_protocol):
    ensure_default_rules(bureau)
    return make_protocol(study, user=people["coordinator"], objectives="Comprendre les usages.")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit_in_admin(protocol, user, objectives: str, summary: str) -> Proposal:
    response = logged_in(user).post(
        edit_url(protocol), edit_data(protocol, objectives=objectives, summary=summary, **{"action-submit": "1"})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Proposal.objects.get(kind=ProposalKind.PROTOCOL, status=Status.OPEN)


def vote(bureau, proposal, user, choice: str) -> None:
    url = f"{bureau.url}proposals/{proposal.pk}/vote/"
    response = logged_in(user).post(url, {"choice": choice, "reason": ""})
    assert response.status_code == 302


def reach_the_deadline(bureau, proposal, user) -> None:
    """The deadline passes; the next visit of the proposal page closes the vote (lazily)."""
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    assert logged_in(user).get(f"{bureau.url}proposals/{proposal.pk}/").status_code == 200


def test_submit_vote_close_publish(bureau, protocol, people):
    proposal = submit_in_admin(protocol, people["member"], "Comprendre les usages et la souveraineté.",
                               "Ajout de la souveraineté")
    # Members see the proposal, with the changes to vote on.
    page = logged_in(people["member"]).get(f"{bureau.url}proposals/{proposal.pk}/")
    html = unescape(page.content.decode())
    assert proposal.title in html and "souveraineté" in html
    vote(bureau, proposal, people["member"], "for")
    # Nothing is published before the close.
    public = Client()
    assert "souveraineté" not in unescape(public.get(protocol.url).content.decode())
    # The last elector votes: everyone has voted, so the vote ends now (no need to wait the deadline).
    vote(bureau, proposal, people["coordinator"], "for")
    proposal.refresh_from_db()
    assert proposal.status == Status.ADOPTED

    v2 = ProtocolVersion.objects.get(protocol=protocol, number=2)
    assert v2.decision == proposal.decision
    live = unescape(public.get(protocol.url).content.decode())
    assert "souveraineté" in live and "v2" in live
    history = unescape(public.get(f"{protocol.url}versions/").content.decode())
    assert "Ajout de la souveraineté" in history and f"decision-{proposal.decision.sequence}" in history
    diff = public.get(f"{protocol.url}v/2/diff/")
    assert diff.status_code == 200
    text = unescape(diff.content.decode())
    assert "<ins" in text and "souveraineté" in text
    old = unescape(public.get(f"{protocol.url}v/1/").content.decode())
    assert "Comprendre les usages." in old and "souveraineté" not in old.split("<main", 1)[-1].split("</main>")[0]


def test_rejected_by_the_vote(bureau, protocol, people):
    proposal = submit_in_admin(protocol, people["member"], "Texte refusé.", "Proposition refusée")
    vote(bureau, proposal, people["member"], "against")
    vote(bureau, proposal, people["coordinator"], "against")
    reach_the_deadline(bureau, proposal, people["member"])
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED
    page = ProtocolPage.objects.get(pk=protocol.pk)
    assert page.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 1
    assert "Texte refusé." not in unescape(Client().get(protocol.url).content.decode())
    assert Client().get(f"{protocol.url}v/2/").status_code == 404


def test_cancelled_by_the_editor(bureau, protocol, people):
    proposal = submit_in_admin(protocol, people["member"], "Finalement non.", "Annulée")
    response = logged_in(people["member"]).post(
        edit_url(protocol), edit_data(protocol, objectives="Finalement non.", **{"action-cancel-workflow": "1"})
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN
    assert not ProtocolPage.objects.get(pk=protocol.pk).workflow_in_progress
    # The withdrawn vote takes no more ballots.
    url = f"{bureau.url}proposals/{proposal.pk}/vote/"
    logged_in(people["coordinator"]).post(url, {"choice": "for"})
    assert not proposal.ballots.exists()


def test_members_reach_the_editor_from_the_protocol_page(protocol, people):
    edit = f"/admin/pages/{protocol.pk}/edit/"
    for who in ("member", "coordinator"):
        assert edit in logged_in(people[who]).get(protocol.url).content.decode(), who
    for who in ("observer", "outsider", "other_member"):
        assert edit not in logged_in(people[who]).get(protocol.url).content.decode(), who
    assert edit not in Client().get(protocol.url).content.decode()


def test_a_long_summary_gives_a_title_cut_at_a_word_boundary_and_the_whole_summary_in_the_body(bureau, protocol,
                                                                                                 people):
    """Issue 11 item 14: the register's titles are never cut mid-word; the full text is kept in the body."""
    from commons.models.governance import PROPOSAL_TITLE_MAX

    summary = ("Le champ « Outil hébergé » de la grille devient une liste de choix, avec les hébergeurs "
               "européens, associatifs et auto-hébergés, et une question sur la durée de conservation des données "
               "par les outils hébergés hors de l'Union européenne")
    proposal = submit_in_admin(protocol, people["member"], "Comprendre les usages.", summary)
    assert len(proposal.title) <= PROPOSAL_TITLE_MAX and proposal.title.endswith("…")
    shown = proposal.title[:-1]
    full = proposal.title.split(" — ", 1)[0] + " — " + summary
    assert full.startswith(shown) and full[len(shown)] == " ", "cut between two words"
    assert summary in proposal.body


def test_shorten_at_word():
    from participants.text import shorten_at_word

    assert shorten_at_word("Outil  hébergé\nen Europe", 100) == "Outil hébergé en Europe"
    assert shorten_at_word("du champ « Outil hébergé »", 20) == "du champ « Outil…"
    assert shorten_at_word("anticonstitutionnellement", 10) == "anticonst…"
    for limit in range(5, 40):
        short = shorten_at_word("Le champ « Outil hébergé » de la grille devient une liste", limit)
        assert len(short) <= limit
