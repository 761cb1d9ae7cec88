"""Proxies end to end: giving, refusing, voting for a member, cancelling by voting oneself, the
decision's record (hashed, old decisions still verifying), the register and the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from commons import actions
from commons.models import Ballot, BallotChange, Decision, DecisionRule, Elector, Proposal, Proxy, Role
from commons.models.governance import Method
from tests.conftest import client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The actions' messages are matched in English; pages answer in French (the site's default)."""
    with override("en"):
        yield


@pytest.fixture
def rule(bureau) -> DecisionRule:
    return DecisionRule.objects.create(
        bureau=bureau, name="Majorité pondérée", method=Method.MAJORITY, use_colleges=True, is_default=True
    )


@pytest.fixture
def cast(bureau, make_person):
    """giver, holder, third (college 1), stranger (college 2), observer."""
    first, second = list(bureau.colleges.all())[:2]
    return {
        "giver": make_person(bureau, Role.MEMBER, college=first),
        "holder": make_person(bureau, Role.COORDINATOR, college=first),
        "third": make_person(bureau, Role.MEMBER, college=first),
        "stranger": make_person(bureau, Role.MEMBER, college=second),
        "observer": make_person(bureau, Role.OBSERVER),
    }


def open_vote(bureau, author, rule, title="Adopter la grille") -> Proposal:
    proposal = actions.create_proposal(bureau, author, title=title, body="Texte.", rule=rule)
    return actions.open_proposal(proposal, author, timezone.now() + timedelta(days=3))


def close_now(proposal: Proposal) -> Decision:
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now())
    return actions.close_proposal(proposal.pk)


# --- Giving: the refusals ---------------------------------------------------------------------


def test_refusals_another_college_oneself_a_non_voter_and_over_the_limit(bureau, rule, cast, make_person):
    with pytest.raises(actions.GovernanceError, match="your own college"):
        actions.give_proxy(bureau, cast["giver"], cast["stranger"])
    with pytest.raises(actions.GovernanceError, match="yourself"):
        actions.give_proxy(bureau, cast["giver"], cast["giver"])
    with pytest.raises(actions.GovernanceError, match="not a voting member"):
        actions.give_proxy(bureau, cast["giver"], cast["observer"])
    with pytest.raises(actions.GovernanceError, match="Only a voting member"):
        actions.give_proxy(bureau, cast["observer"], cast["holder"])
    outsider = make_person()
    with pytest.raises(actions.GovernanceError, match="not a voting member"):
        actions.give_proxy(bureau, cast["giver"], outsider)
    actions.give_proxy(bureau, cast["giver"], cast["holder"])
    with pytest.raises(actions.GovernanceError, match="already carries 1 proxies"):
        actions.give_proxy(bureau, cast["third"], cast["holder"])
    assert Proxy.objects.active().count() == 1
    # The limit is the rule's: two proxies per holder under a rule that allows them.
    DecisionRule.objects.filter(pk=rule.pk).update(max_proxies_per_holder=2)
    actions.give_proxy(bureau, cast["third"], cast["holder"])
    assert Proxy.objects.active().filter(holder=cast["holder"]).count() == 2
    DecisionRule.objects.filter(pk=rule.pk).update(max_proxies_per_holder=0)
    with pytest.raises(actions.GovernanceError, match="allows no proxy"):
        actions.give_proxy(bureau, cast["holder"], cast["third"])


def test_a_new_proxy_replaces_the_members_previous_one_and_revoking_is_the_givers(bureau, rule, cast):
    first = actions.give_proxy(bureau, cast["giver"], cast["holder"])
    second = actions.give_proxy(bureau, cast["giver"], cast["third"])
    first.refresh_from_db()
    assert first.revoked_at is not None and second.is_active
    with pytest.raises(actions.GovernanceError, match="Only the member who gave"):
        actions.revoke_proxy(second, cast["third"])
    actions.revoke_proxy(second, cast["giver"])
    with pytest.raises(actions.GovernanceError, match="already revoked"):
        actions.revoke_proxy(second, cast["giver"])


# --- Using a proxy ------------------------------------------------------------------------------


def test_the_holder_votes_for_the_member_and_it_counts_once_as_theirs(bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    actions.give_proxy(bureau, cast["giver"], cast["holder"], proposal)
    actions.cast_ballot(proposal, cast["holder"], choice="for")
    ballot = actions.cast_ballot(proposal, cast["holder"], choice="against", on_behalf_of=cast["giver"])
    assert (ballot.voter, ballot.cast_by, ballot.choice) == (cast["giver"], cast["holder"], "against")
    change = BallotChange.objects.get(proposal=proposal, voter=cast["giver"])
    assert change.cast_by == cast["holder"]
    # A changed mind of the holder changes the member's ballot, still one row.
    actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    assert Ballot.objects.filter(proposal=proposal).count() == 2
    decision = close_now(proposal)
    assert decision.ballots_cast == 2 and decision.electorate_size == 4
    assert decision.counts["for"] == 2
    assert decision.proxies == {"given": 1, "used": 1}
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau))) is None
    assert '"proxies":{"given":1,"used":1}' in actions.canonical_payload(decision).decode()


def test_a_member_who_votes_themselves_cancels_the_proxy_for_that_vote(bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    actions.give_proxy(bureau, cast["giver"], cast["holder"])  # standing
    actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    actions.cast_ballot(proposal, cast["giver"], choice="against")
    ballot = Ballot.objects.get(proposal=proposal, voter=cast["giver"])
    assert (ballot.choice, ballot.cast_by) == ("against", None)
    with pytest.raises(actions.GovernanceError, match="has voted themselves"):
        actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    with pytest.raises(actions.GovernanceError, match="voted yourself"):
        actions.give_proxy(bureau, cast["giver"], cast["third"], proposal)
    decision = close_now(proposal)
    assert decision.counts == {"for": 0, "against": 1, "abstain": 0, "block": 0}
    assert decision.proxies == {"given": 1, "used": 0}


def test_using_a_proxy_one_does_not_hold_another_college_or_over_the_limit_is_refused(bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    with pytest.raises(actions.GovernanceError, match="hold no proxy"):
        actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    actions.give_proxy(bureau, cast["giver"], cast["holder"])
    with pytest.raises(actions.GovernanceError, match="hold no proxy"):
        actions.cast_ballot(proposal, cast["third"], choice="for", on_behalf_of=cast["giver"])
    # A proxy given before a college change no longer passes between colleges.
    Proxy.objects.create(bureau=bureau, giver=cast["third"], holder=cast["stranger"], proposal=proposal)
    with pytest.raises(actions.GovernanceError, match="within one college"):
        actions.cast_ballot(proposal, cast["stranger"], choice="for", on_behalf_of=cast["third"])
    # Two proxies slipped past the limit (rule lowered after they were given): only one is used.
    Proxy.objects.filter(giver=cast["third"]).update(holder=cast["holder"])
    actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    with pytest.raises(actions.GovernanceError, match="at most 1 proxies"):
        actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["third"])
    assert not Ballot.objects.filter(voter=cast["third"]).exists()


def test_a_proxy_for_one_vote_wins_over_the_standing_one(bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    actions.give_proxy(bureau, cast["giver"], cast["holder"])
    actions.give_proxy(bureau, cast["giver"], cast["third"], proposal)
    with pytest.raises(actions.GovernanceError, match="hold no proxy"):
        actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    actions.cast_ballot(proposal, cast["third"], choice="for", on_behalf_of=cast["giver"])


def test_decisions_without_proxies_hash_as_before(bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    actions.cast_ballot(proposal, cast["holder"], choice="for")
    decision = close_now(proposal)
    assert decision.proxies == {}
    assert "proxies" not in actions.canonical_payload(decision).decode()


# --- Pages --------------------------------------------------------------------------------------


def _url(bureau, name, *args):
    return bureau.url + bureau.reverse_subpage(name, args=args)


def test_the_holders_ballot_page_shows_whose_vote_they_cast_and_lets_them_cast_it(client, bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    actions.give_proxy(bureau, cast["giver"], cast["holder"], proposal)
    client_for(client, cast["holder"])
    page = client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    assert f'data-proxy-for="{cast["giver"].pk}"' in page and "Personne" in page
    response = client.post(
        _url(bureau, "proposal_vote", proposal.pk), {"choice": "against", "on_behalf_of": cast["giver"].pk}
    )
    assert response.status_code == 302
    assert Ballot.objects.get(voter=cast["giver"]).cast_by == cast["holder"]
    page = client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    assert "contre" in page.split(f'data-proxy-for="{cast["giver"].pk}"')[1][:800]
    # The member sees who voted for them; a forged or foreign id is a clear refusal.
    client_for(client, cast["giver"])
    assert "data-cast-by" in client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    client_for(client, cast["third"])
    response = client.post(_url(bureau, "proposal_vote", proposal.pk), {"choice": "for", "on_behalf_of": "x"})
    assert response.status_code == 400
    response = client.post(
        _url(bureau, "proposal_vote", proposal.pk), {"choice": "for", "on_behalf_of": cast["giver"].pk}
    )
    assert response.status_code == 400
    assert Ballot.objects.get(voter=cast["giver"]).choice == "against"


def test_giving_and_revoking_from_the_pages(client, bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    client_for(client, cast["giver"])
    page = client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    assert 'id="proxy-holder"' in page and f'value="{cast["stranger"].pk}"' not in page
    response = client.post(_url(bureau, "proxies"), {"holder": cast["stranger"].pk, "proposal": proposal.pk})
    assert response.status_code == 400 and "propre collège" in response.content.decode()
    response = client.post(_url(bureau, "proxies"), {"holder": cast["holder"].pk, "proposal": proposal.pk})
    assert response.status_code == 302
    response = client.post(_url(bureau, "proxies"), {"holder": cast["third"].pk})
    assert response.status_code == 302
    page = client.get(_url(bureau, "proxies")).content.decode()
    assert "data-standing" in page and "Adopter la grille" in page
    standing = Proxy.objects.active().get(giver=cast["giver"], proposal=None)
    assert client.get(_url(bureau, "proxy_revoke", standing.pk)).status_code == 200  # asks first
    assert Proxy.objects.get(pk=standing.pk).is_active
    assert client.post(_url(bureau, "proxy_revoke", standing.pk)).status_code == 302
    assert not Proxy.objects.get(pk=standing.pk).is_active
    client_for(client, cast["third"])
    assert client.post(_url(bureau, "proxy_revoke", standing.pk)).status_code == 404
    response = client.post(_url(bureau, "proxies"), {"holder": "999999"})
    assert response.status_code == 400


def test_the_register_shows_proxies_given_and_used(client, bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    actions.give_proxy(bureau, cast["giver"], cast["holder"], proposal)
    actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    close_now(proposal)
    page = client.get(_url(bureau, "decision_register")).content.decode()
    assert "data-proxies" in page and "1 procuration donnée, 1 utilisée" in page


def test_the_proposal_page_costs_the_same_queries_with_more_proxies(client, bureau, rule, cast, make_person):
    DecisionRule.objects.filter(pk=rule.pk).update(max_proxies_per_holder=10)
    proposal = open_vote(bureau, cast["holder"], rule)
    client_for(client, cast["holder"])
    url = _url(bureau, "proposal_detail", proposal.pk)

    def held(n: int) -> int:
        first = bureau.colleges.first()
        for _ in range(n):
            giver = make_person(bureau, Role.MEMBER, college=first)
            Elector.objects.create(proposal=proposal, user=giver, college=first.name)
            actions.give_proxy(bureau, giver, cast["holder"], proposal)
            actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=giver)
        return count_queries(client, url)

    small = held(1)
    assert held(6) == small


def test_my_proxies_page_costs_the_same_queries_with_more_proxies(client, bureau, rule, cast, make_person):
    DecisionRule.objects.filter(pk=rule.pk).update(max_proxies_per_holder=10)
    client_for(client, cast["holder"])
    url = _url(bureau, "proxies")
    first = bureau.colleges.first()

    def held(n: int) -> int:
        for _ in range(n):
            actions.give_proxy(bureau, make_person(bureau, Role.MEMBER, college=first), cast["holder"])
        return count_queries(client, url)

    small = held(1)
    assert held(5) == small


def test_a_member_who_voted_is_not_offered_to_give_a_proxy(client, bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    client_for(client, cast["giver"])
    assert 'id="proxy-holder"' in client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    actions.cast_ballot(proposal, cast["giver"], choice="for")
    assert (
        'id="proxy-holder"' not in client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    )


def test_a_decided_vote_shows_the_proxy_ballots_cast_not_the_forms(client, bureau, rule, cast):
    proposal = open_vote(bureau, cast["holder"], rule)
    actions.give_proxy(bureau, cast["giver"], cast["holder"])
    actions.cast_ballot(proposal, cast["holder"], choice="for", on_behalf_of=cast["giver"])
    close_now(proposal)
    client_for(client, cast["holder"])
    page = client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    assert f'data-proxy-for="{cast["giver"].pk}"' in page and 'name="on_behalf_of"' not in page
    assert "1 bulletin déposé par procuration" in page
    client_for(client, cast["giver"])
    page = client.get(_url(bureau, "proposal_detail", proposal.pk)).content.decode()
    assert "data-cast-by" in page and "data-my-proxy" not in page and 'id="proxy-holder"' not in page
