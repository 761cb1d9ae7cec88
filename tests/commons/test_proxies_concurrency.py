"""Concurrent proxies and ballots on PostgreSQL, with real threads: no member counted twice, no
holder over the limit (the row locks of `actions.give_proxy` and `actions.cast_ballot`)."""

from __future__ import annotations

import pytest
from django.db import connection

from commons import actions
from commons.models import Ballot, DecisionRule, Proposal, Proxy, Role

from .test_governance_concurrency import make_due, open_vote, run_concurrently

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are only exercised on PostgreSQL"
    ),
]

GIVERS = 12


def _attempt(function):
    def run():
        try:
            return function()
        except actions.GovernanceError as error:
            return error

    return run


@pytest.fixture
def rule(bureau) -> DecisionRule:
    return DecisionRule.objects.create(
        bureau=bureau, name="Majorité", method="majority", is_default=True, max_proxies_per_holder=2
    )


def test_concurrent_proxies_to_one_holder_never_pass_the_limit(bureau, make_person, rule):
    holder = make_person(bureau, Role.COORDINATOR)
    givers = [make_person(bureau, Role.MEMBER) for _ in range(GIVERS)]
    results = run_concurrently([_attempt(lambda g=g: actions.give_proxy(bureau, g, holder)) for g in givers])
    assert sum(isinstance(r, Proxy) for r in results) == 2
    assert Proxy.objects.active().filter(holder=holder).count() == 2


def test_concurrent_ballots_by_holder_and_members_count_each_member_once(bureau, make_person, rule):
    holders = [make_person(bureau, Role.COORDINATOR) for _ in range(3)]
    givers = [make_person(bureau, Role.MEMBER) for _ in range(6)]
    make_person(bureau, Role.MEMBER)  # never votes: the vote does not end by itself
    DecisionRule.objects.filter(pk=rule.pk).update(max_proxies_per_holder=10)
    for index, giver in enumerate(givers):
        actions.give_proxy(bureau, giver, holders[index % 3])
    DecisionRule.objects.filter(pk=rule.pk).update(max_proxies_per_holder=1)  # limit lowered afterwards
    proposal = open_vote(bureau, holders[0], rule)
    targets = []
    for index, giver in enumerate(givers):
        holder = holders[index % 3]
        for _ in range(3):
            targets.append(
                _attempt(
                    lambda h=holder, g=giver: actions.cast_ballot(proposal, h, choice="for", on_behalf_of=g)
                )
            )
        targets.append(_attempt(lambda g=giver: actions.cast_ballot(proposal, g, choice="against")))
    run_concurrently(targets)

    ballots = list(Ballot.objects.filter(proposal=proposal).values_list("voter_id", "cast_by_id", "choice"))
    voters = [voter for voter, _, _ in ballots]
    assert len(voters) == len(set(voters)) == len(givers)  # each member once
    # Every member voted themselves in the end: their own ballot replaced any proxy ballot.
    assert all(cast_by is None and choice == "against" for _, cast_by, choice in ballots)

    second = open_vote(bureau, holders[0], rule)
    targets = [
        _attempt(lambda h=holders[i % 3], g=g: actions.cast_ballot(second, h, choice="for", on_behalf_of=g))
        for i, g in enumerate(givers)
    ]
    run_concurrently(targets)
    per_holder = {h.pk: Ballot.objects.filter(proposal=second, cast_by=h).count() for h in holders}
    assert per_holder == {h.pk: 1 for h in holders}  # the rule's limit at the vote, whatever the race
    make_due(second)
    decision = actions.close_proposal(second.pk)
    assert decision.ballots_cast == 3 and decision.proxies["used"] == 3
    assert Proposal.objects.get(pk=second.pk).status == "adopted"
