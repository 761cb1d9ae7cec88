"""Issue 11, governance: the rule follows the kind (the bureau's table), votes that can end early.

Item 1: the table « kind → rule » is set at creation, shown on the bureau page, used by the
new-proposal page and the workflow, and changed only by an adopted « change of the decision rules ».
Item 2: a vote ends when the whole electorate has voted; a coordinator closes it early with a reason
(recorded in the register) only after the rule's minimum period.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from commons import actions
from commons.models import Decision, DecisionRule, KindRule, Proposal, Role
from commons.models.governance import Method, ProposalKind, Status
from commons.rules import ensure_default_rules, kind_table, rule_for
from participants.models import display_name
from tests.conftest import client_for


@pytest.fixture
def voters(bureau, make_person):
    ensure_default_rules(bureau)
    return [
        make_person(bureau, Role.COORDINATOR),
        make_person(bureau, Role.MEMBER),
        make_person(bureau, Role.MEMBER),
    ]


def _open(bureau, author, kind=ProposalKind.FREE, **kwargs):
    proposal = actions.create_proposal(bureau, author, title="Essai", body="Texte", kind=kind, **kwargs)
    return actions.open_proposal(proposal, author)


# --- Item 1: the table ----------------------------------------------------------------------------


def test_default_table_follows_the_charter(bureau):
    ensure_default_rules(bureau)
    table = kind_table(bureau)
    assert table[ProposalKind.PROTOCOL].method == Method.QUALIFIED
    assert table[ProposalKind.PROTOCOL].threshold == "2/3"
    assert table[ProposalKind.PUBLICATION].method == Method.CONSENT
    # The codebook and memberships start free (issue 17): no line, no vote, until a rules change.
    assert ProposalKind.CODEBOOK not in table and ProposalKind.MEMBERSHIP not in table
    assert table[ProposalKind.FREE].is_default
    assert table[ProposalKind.CHOICE].method == Method.MAJORITY_JUDGMENT
    assert table[ProposalKind.RULES].method == Method.QUALIFIED
    ensure_default_rules(bureau)  # idempotent
    assert KindRule.objects.filter(bureau=bureau).count() == len(table)


def test_bureau_page_shows_the_table_the_votes_apply(client, bureau):
    ensure_default_rules(bureau)
    body = client.get(bureau.url).content.decode()
    assert 'id="rules"' in body
    for row in KindRule.objects.filter(bureau=bureau).select_related("rule"):
        assert row.rule.name in body


def test_service_takes_the_rule_from_the_kind(bureau, voters):
    proposal = actions.create_proposal(bureau, voters[0], title="P", body="B", kind=ProposalKind.PUBLICATION)
    assert proposal.rule == rule_for(bureau, ProposalKind.PUBLICATION)
    assert proposal.rule.method == Method.CONSENT


def test_new_proposal_page_pairs_kind_and_rule(client, bureau, voters):
    client = client_for(client, voters[1])
    page = client.get(f"{bureau.url}proposals/new/")
    assert "rule" not in page.context["form"].fields
    response = client.post(
        f"{bureau.url}proposals/new/",
        {
            "title": "Changer la grille",
            "body": "Texte",
            "kind": ProposalKind.PROTOCOL,
            "rule": DecisionRule.objects.get(bureau=bureau, is_default=True).pk,
        },
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(title="Changer la grille")
    assert proposal.rule.method == Method.QUALIFIED  # the 2/3 rule, whatever was posted


def test_rules_change_applies_the_new_table_only_when_adopted(bureau, voters):
    consent = rule_for(bureau, ProposalKind.PUBLICATION)
    with pytest.raises(actions.GovernanceError):  # no table: refused
        actions.create_proposal(bureau, voters[0], title="R", body="B", kind=ProposalKind.RULES)
    with pytest.raises(actions.GovernanceError):  # a graded rule for a yes/no kind: refused
        actions.create_proposal(
            bureau,
            voters[0],
            title="R",
            body="B",
            kind=ProposalKind.RULES,
            proposed_rules={ProposalKind.CODEBOOK: rule_for(bureau, ProposalKind.CHOICE).pk},
        )
    proposal = _open(
        bureau, voters[0], ProposalKind.RULES, proposed_rules={ProposalKind.CODEBOOK: consent.pk}
    )
    assert rule_for(bureau, ProposalKind.CODEBOOK) is None  # not before the decision: the codebook is free
    for voter in voters:
        actions.cast_ballot(proposal, voter, choice="for")
    decision = actions.close_proposal(proposal.pk)
    assert decision is not None and decision.adopted
    assert rule_for(bureau, ProposalKind.CODEBOOK) == consent


def test_rejected_rules_change_leaves_the_table(bureau, voters):
    consent = rule_for(bureau, ProposalKind.PUBLICATION)
    proposal = _open(
        bureau, voters[0], ProposalKind.RULES, proposed_rules={ProposalKind.CODEBOOK: consent.pk}
    )
    for voter in voters:
        actions.cast_ballot(proposal, voter, choice="against")
    assert not actions.close_proposal(proposal.pk).adopted
    assert rule_for(bureau, ProposalKind.CODEBOOK) is None


def test_the_table_is_not_editable_in_the_admin():
    from django.urls import NoReverseMatch

    for name in ("kindrule:index", "kindrule:edit"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1] if name.endswith("edit") else [])


# --- Item 2: votes that end -------------------------------------------------------------------------


def test_vote_ends_when_everyone_has_voted(client, bureau, voters):
    proposal = _open(bureau, voters[0])
    actions.cast_ballot(proposal, voters[0], choice="for")
    actions.cast_ballot(proposal, voters[1], choice="for")
    proposal.refresh_from_db()
    assert proposal.accepts_ballots
    client = client_for(client, voters[2])
    client.post(f"{bureau.url}proposals/{proposal.pk}/vote/", {"choice": "against"})
    proposal.refresh_from_db()
    assert proposal.status == Status.ADOPTED
    decision = Decision.objects.get(proposal=proposal)
    assert decision.early_close["how"] == "everyone_voted"
    assert decision.counts["for"] == 2 and decision.counts["against"] == 1
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau))) is None


def test_coordinator_closes_early_with_a_reason_after_the_minimum(client, bureau, voters):
    proposal = _open(bureau, voters[0])
    actions.cast_ballot(proposal, voters[1], choice="for")
    url = f"{bureau.url}proposals/{proposal.pk}/close/"
    client = client_for(client, voters[0])
    response = client.post(url, {"reason": "Urgence"})  # too early: the rule says 2 days
    assert response.status_code == 400
    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN
    later = timezone.now() + timedelta(days=proposal.rule.min_days_before_early_close, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.post(url, {"reason": ""}).status_code == 400  # a reason is required
        response = client.post(url, {"reason": "Le lieu ferme : décision nécessaire avant."})
    assert response.status_code == 302
    decision = Decision.objects.get(proposal=proposal)
    assert decision.early_close["how"] == "coordinator"
    assert decision.early_close["reason"] == "Le lieu ferme : décision nécessaire avant."
    # Chain format 2: who closed it is not hashed (a name), it is read from the proposal.
    assert "by" not in decision.early_close
    register = client.get(f"{bureau.url}decisions/").content.decode()
    assert "Le lieu ferme" in register
    assert display_name(voters[0]) in register


def test_member_cannot_close_early(client, bureau, voters):
    proposal = _open(bureau, voters[0])
    later = timezone.now() + timedelta(days=30)
    with mock.patch("django.utils.timezone.now", return_value=later - timedelta(days=25)):
        response = client_for(client, voters[1]).post(
            f"{bureau.url}proposals/{proposal.pk}/close/", {"reason": "x"}
        )
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN


# --- Item 5: destructive actions ask first ------------------------------------------------------------


def test_withdrawing_asks_first_and_the_get_changes_nothing(client, bureau, voters):
    proposal = _open(bureau, voters[0])
    client = client_for(client, voters[0])
    url = f"{bureau.url}proposals/{proposal.pk}/withdraw/"
    detail = client.get(f"{bureau.url}proposals/{proposal.pk}/").content.decode()
    assert f'href="{url}"' in detail  # a link to the confirmation page, not a one-click form
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f'action="{url}"' in body and 'method="post"' in body
    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN
    assert client.post(url).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN


def test_ending_a_membership_and_revoking_an_invitation_ask_first(client, bureau, voters):
    from commons.models import Invitation, Membership

    client = client_for(client, voters[0])
    target = Membership.objects.get(user=voters[1], bureau=bureau)
    url = f"{bureau.url}members/{target.pk}/remove/"
    members = client.get(f"{bureau.url}members/").content.decode()
    assert f'href="{url}"' in members
    assert client.get(url).status_code == 200
    target.refresh_from_db()
    assert target.left_at is None
    assert client.post(url).status_code == 302
    target.refresh_from_db()
    assert target.left_at is not None

    invitation, _token = Invitation.issue(email="x@example.org", bureau=bureau, role=Role.MEMBER)
    url = f"{bureau.url}invitations/{invitation.pk}/revoke/"
    assert "x@example.org" in client.get(url).content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    client.post(url)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


# --- Item 6: authors manage their drafts ----------------------------------------------------------------


def test_author_edits_then_deletes_their_draft(client, bureau, voters):
    author, other = voters[1], voters[0]
    draft = actions.create_proposal(bureau, author, title="Brouillon", body="Texte", kind=ProposalKind.FREE)
    edit, delete = f"{bureau.url}proposals/{draft.pk}/edit/", f"{bureau.url}proposals/{draft.pk}/delete/"
    coordinator = client_for(client.__class__(), other)
    assert coordinator.get(edit).status_code == 403  # a coordinator sees the draft but is not its author
    author_client = client_for(client, author)
    assert f'href="{edit}"' in author_client.get(f"{bureau.url}proposals/{draft.pk}/").content.decode()
    response = author_client.post(
        edit, {"title": "Brouillon revu", "body": "Autre", "kind": ProposalKind.PUBLICATION}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.kind) == ("Brouillon revu", ProposalKind.PUBLICATION)
    assert draft.rule == rule_for(bureau, ProposalKind.PUBLICATION)  # the rule follows the new kind
    assert author_client.get(delete).status_code == 200
    assert Proposal.objects.filter(pk=draft.pk).exists()
    assert author_client.post(delete).status_code == 302
    assert not Proposal.objects.filter(pk=draft.pk).exists()


def test_an_opened_proposal_can_no_longer_be_edited(client, bureau, voters):
    proposal = _open(bureau, voters[1])
    client = client_for(client, voters[1])
    response = client.post(
        f"{bureau.url}proposals/{proposal.pk}/edit/", {"title": "Changé", "body": "x", "kind": "free"}
    )
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.title == "Essai"
    with pytest.raises(actions.GovernanceError):
        actions.delete_draft(proposal, voters[1])


# --- Item 4: results explain themselves -------------------------------------------------------------------


def test_adopted_by_college_weights_against_the_headcount_says_so(client, bureau, make_person):
    ensure_default_rules(bureau)
    research, structures, volunteers = bureau.colleges.order_by("sort_order")
    people = [
        (make_person(bureau, Role.COORDINATOR, college=research), "against"),
        (make_person(bureau, Role.MEMBER, college=research), "against"),
        (make_person(bureau, Role.MEMBER, college=structures), "for"),
        (make_person(bureau, Role.MEMBER, college=volunteers), "for"),
        (make_person(bureau, Role.MEMBER, college=volunteers), "against"),
    ]
    proposal = _open(bureau, people[0][0])
    assert proposal.rule.use_colleges and proposal.rule.results_visibility == "after_close"
    for person, choice in people:
        actions.cast_ballot(proposal, person, choice=choice)
    decision = actions.close_proposal(proposal.pk)  # everyone voted: the vote has ended
    assert decision.adopted and decision.counts["for"] == 2 and decision.counts["against"] == 3
    body = client_for(client, people[0][0]).get(f"{bureau.url}proposals/{proposal.pk}/").content.decode()
    assert 'data-results="against-headcount"' in body
    assert "55 %" in body  # (0·30 + 1·40 + ½·30) / 100
    assert 'data-results="colleges"' in body and structures.name in body and "100 %" in body
    # After the close, the sidebar no longer says the results are hidden until the close.
    assert "Masqués jusqu" not in body and "hidden until the close" not in body


def _tally_bars(body: str) -> dict[str, tuple[str, str]]:
    """Each result row's drawn bar width and written share, by choice."""
    rows = re.findall(
        r'<tr class="choice-(\w+)">.*?<td class="bar">(.*?)</td><td class="num share">([^<]*)</td></tr>', body, re.S
    )
    bars = {}
    for key, bar, share in rows:
        width = re.search(r'class="fill" style="width: (\d+)%"', bar)
        bars[key] = (width.group(1) if width else None, share.strip())
    return bars


def test_abstentions_are_drawn_like_the_other_choices(client, bureau, voters):
    """Item 4: the abstention row has the same bar as « for » and « against » (a filled share of its
    colour, not the browser's <progress>, which drew grey on grey) and its share written beside it."""
    proposal = _open(bureau, voters[0])
    for person, choice in zip(voters, ("for", "against", "abstain"), strict=True):
        actions.cast_ballot(proposal, person, choice=choice)
    actions.close_proposal(proposal.pk)
    body = client_for(client, voters[0]).get(f"{bureau.url}proposals/{proposal.pk}/").content.decode()
    bars = _tally_bars(body)
    assert bars == {"for": ("33", "33 %"), "against": ("33", "33 %"), "abstain": ("33", "33 %")}
    assert "<progress" not in body
    css = (Path(__file__).resolve().parents[2] / "bec_site/static/bec_site/site.css").read_text()
    assert re.search(r"table\.tally \.choice-abstain \{ --bar: #[0-9a-f]{6}; \}", css)


def test_rules_are_not_changed_in_the_admin_even_by_a_superuser(admin_client, bureau):
    ensure_default_rules(bureau)
    rule = rule_for(bureau, ProposalKind.PROTOCOL)
    edit_url = reverse("decisionrule:edit", args=[rule.pk])
    assert admin_client.get(reverse("decisionrule:inspect", args=[rule.pk])).status_code == 200  # read
    assert admin_client.get(edit_url).status_code in (302, 403)
    admin_client.post(edit_url, {"name": rule.name, "method": "majority", "quorum": "0", "bureau": bureau.pk})
    admin_client.post(reverse("decisionrule:delete", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.method == Method.QUALIFIED
