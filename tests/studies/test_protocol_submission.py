"""Issue 11, items 2, 3 and 10: submitting a protocol change from the admin, as a non-developer.

- the action reads « Submit to the bureau's vote », is the main action once the protocol has a
  version, and lands on the proposal with a message saying when the vote closes;
- while the vote runs, the editor's notice says how to propose another change (not « only
  reviewers can edit »), and the dashboard does not list the vote under « awaiting your review »;
- after a withdrawal, the editor offers the version in force, the summary starts empty, and the
  next proposal says which sections hold changes a previous vote did not adopt.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.utils import translation

from commons.models import Proposal
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules
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


def _fr(message: str) -> str:
    with translation.override("fr"):
        return translation.gettext(message)


def _submit(client, protocol, objectives, summary):
    return client.post(
        edit_url(protocol), edit_data(protocol, objectives=objectives, summary=summary, **{"action-submit": "1"})
    )


def test_submit_is_the_main_action_and_lands_on_the_proposal(protocol, people, bureau):
    client = logged_in(people["member"])
    response = client.get(edit_url(protocol))
    editor = unescape(response.content.decode())
    assert _fr("Submit to the bureau's vote") == "Soumettre au vote du bureau"
    assert "Soumettre au vote du bureau" in editor
    # The main (first, always visible) button of the action menu is the submission.
    assert response.context["action_menu"].default_item.name == "action-submit"
    assert "Soumettre à Décision collective" not in editor
    response = _submit(client, protocol, "Avec la souveraineté.", "Souveraineté")
    proposal = Proposal.objects.get(kind=ProposalKind.PROTOCOL, status=Status.OPEN)
    assert response.status_code == 302
    assert response["Location"] == f"{bureau.url}proposals/{proposal.pk}/"
    landed = unescape(client.get(response["Location"]).content.decode())
    assert "modération" not in landed and "moderation" not in landed
    assert proposal.title in landed


def test_the_lock_notice_says_how_to_propose_another_change(protocol, people, bureau):
    _submit(logged_in(people["member"]), protocol, "Avec la souveraineté.", "Souveraineté")
    proposal = Proposal.objects.get(kind=ProposalKind.PROTOCOL, status=Status.OPEN)
    editor = unescape(logged_in(people["member"]).get(edit_url(protocol)).content.decode())
    assert f"{bureau.url}proposals/{proposal.pk}/" in editor  # a link to the vote, where it is withdrawn
    assert "Seuls les" not in editor and "Only reviewers" not in editor
    dashboard = unescape(logged_in(people["coordinator"]).get("/admin/").content.decode())
    assert _fr("Awaiting your review") not in dashboard


def test_a_withdrawn_change_does_not_come_back_unnoticed(protocol, people, bureau):
    client = logged_in(people["member"])
    _submit(client, protocol, "Mener les entretiens seul·e.", "Entretiens seuls")
    first = Proposal.objects.get(kind=ProposalKind.PROTOCOL, status=Status.OPEN)
    response = client.post(
        edit_url(protocol),
        edit_data(protocol, objectives="Mener les entretiens seul·e.", **{"action-cancel-workflow": "1"}),
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == Status.WITHDRAWN
    # The editor: the summary starts empty, and « back to the version in force » is offered.
    editor = client.get(edit_url(protocol))
    assert editor.context["form"]["change_summary"].value() in ("", None)
    html = unescape(editor.content.decode())
    assert _fr("Go back to the version in force") in html
    assert f"/admin/pages/{protocol.pk}/revisions/{protocol.live_revision_id}/revert/" in html
    assert first.title in html  # the draft still holds its changes: named
    # The next submission carries them (the objectives were not reset): its body says so.
    _submit(client, protocol, "Mener les entretiens seul·e.", "Mener les entretiens en binôme")
    second = Proposal.objects.get(kind=ProposalKind.PROTOCOL, status=Status.OPEN)
    assert first.title in second.body
    assert "**" in second.body and "Objecti" in second.body  # the section is named
