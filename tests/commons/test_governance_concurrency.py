"""Concurrent votes and closes on PostgreSQL: row locks keep one ballot per member and one decision
per proposal, and serialise a bureau's chain.

Real threads, each with its own database connection, so these tests commit for real
(`transaction=True`); `serialized_rollback=True` restores the home page that the data migration
created once the table flush at the end of each test has removed it.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from wagtail.models import ModelLogEntry

from commons import actions
from commons.models import Ballot, BallotChange, Decision, DecisionRule, Proposal, Role
from commons.signals import proposal_decided

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are only exercised on PostgreSQL"),
]

VOTERS = 50
CASTS_PER_VOTER = 4


def run_concurrently(targets) -> list:
    """Start one thread per callable, release them together, return their results in order."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    errors: list[BaseException] = []

    def work(index: int, target) -> None:
        try:
            connection.ensure_connection()  # connect first, so that the work itself overlaps
            barrier.wait(timeout=30)
            results[index] = target()
        except BaseException as error:  # noqa: BLE001 - reported in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    assert errors == []
    return results


def open_vote(bureau, author, rule) -> Proposal:
    proposal = actions.create_proposal(bureau, author, title="Adopter le protocole", body="Texte.", rule=rule)
    return actions.open_proposal(proposal, author, closes_at=timezone.now() + timedelta(hours=1))


def make_due(proposal: Proposal) -> None:
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def rule(bureau) -> DecisionRule:
    return DecisionRule.objects.create(bureau=bureau, name="Majorité", method="majority")


def test_concurrent_ballots_and_changes_keep_one_ballot_per_member(bureau, make_person, rule):
    members = [make_person(bureau, Role.MEMBER if i else Role.COORDINATOR) for i in range(VOTERS)]
    # One member of the electorate never votes, so the vote does not end when everyone has voted
    # (that path has its own tests): here every voter changes their ballot several times.
    make_person(bureau, Role.MEMBER)
    proposal = open_vote(bureau, members[0], rule)
    plans = {
        member.pk: [random.Random(member.pk * 31 + n).choice(("for", "against", "abstain"))
                    for n in range(CASTS_PER_VOTER)]
        for member in members
    }

    def voter(member):
        def cast_all():
            for choice in plans[member.pk]:
                actions.cast_ballot(proposal, member, choice=choice)
        return cast_all

    run_concurrently([voter(member) for member in members])

    ballots = dict(Ballot.objects.filter(proposal=proposal).values_list("voter_id", "choice"))
    assert len(ballots) == Ballot.objects.filter(proposal=proposal).count() == VOTERS
    assert ballots == {pk: plan[-1] for pk, plan in plans.items()}  # everyone's last word counts
    assert BallotChange.objects.filter(proposal=proposal).count() == VOTERS * CASTS_PER_VOTER

    last_change = {}
    for voter_id, choice in BallotChange.objects.filter(proposal=proposal).order_by("at", "pk").values_list(
        "voter_id", "choice"
    ):
        last_change[voter_id] = choice
    recount = Counter(last_change.values())
    assert actions.tally(proposal) == {c: recount[c] for c in ("for", "against", "abstain", "block")}
    for pk, plan in plans.items():
        history = list(BallotChange.objects.filter(proposal=proposal, voter_id=pk).order_by("at", "pk")
                       .values_list("choice", flat=True))
        assert history == plan


def test_one_due_proposal_closed_by_eight_workers_gets_one_decision(bureau, make_person, rule):
    coordinator = make_person(bureau, Role.COORDINATOR)
    member = make_person(bureau, Role.MEMBER)
    proposal = open_vote(bureau, coordinator, rule)
    actions.cast_ballot(proposal, coordinator, choice="for")
    actions.cast_ballot(proposal, member, choice="against")
    make_due(proposal)

    signals = []
    lock = threading.Lock()

    def receiver(sender, proposal, decision, **kwargs):
        with lock:
            signals.append(decision.pk)

    proposal_decided.connect(receiver)
    try:
        results = run_concurrently([lambda: actions.close_proposal(proposal.pk)] * 8)
    finally:
        proposal_decided.disconnect(receiver)

    decision = Decision.objects.get()
    assert {result.pk for result in results} == {decision.pk}
    assert signals == [decision.pk]
    assert decision.counts == {"for": 1, "against": 1, "abstain": 0, "block": 0}
    assert (decision.sequence, decision.outcome) == (1, "rejected")
    assert ModelLogEntry.objects.for_instance(proposal).filter(action="bec.proposal.decide").count() == 1


def test_due_proposals_of_one_bureau_closed_at_once_chain_in_order(bureau, make_person):
    coordinator = make_person(bureau, Role.COORDINATOR)
    # One rule each: `select_for_update().select_related("rule")` also locks the rule's row, which
    # would serialise the closes by itself and hide a missing lock on the bureau's chain.
    rules = [DecisionRule.objects.create(bureau=bureau, name=f"Règle {n}", method="majority") for n in range(4)]
    proposals = [open_vote(bureau, coordinator, rule) for rule in rules]
    for proposal in proposals:
        actions.cast_ballot(proposal, coordinator, choice="for")
        make_due(proposal)

    results = run_concurrently([lambda pk=p.pk: actions.close_proposal(pk) for p in proposals])

    chain = list(Decision.objects.filter(bureau=bureau).order_by("sequence"))
    assert [d.sequence for d in chain] == [1, 2, 3, 4]
    assert sorted(d.proposal_id for d in chain) == sorted(p.pk for p in proposals)
    assert sorted(r.pk for r in results) == sorted(d.pk for d in chain)
    assert actions.verify_chain(chain) is None


def test_ballots_racing_the_close_are_all_counted_or_all_refused(bureau, make_person, rule):
    """Voters keep changing their ballots up to the deadline while a worker closes as soon as it can:
    the decision counts exactly the ballots that were accepted, and none lands after it."""
    members = [make_person(bureau, Role.MEMBER if i else Role.COORDINATOR) for i in range(10)]
    make_person(bureau, Role.MEMBER)  # never votes: the close comes from the deadline, as this test means
    proposal = open_vote(bureau, members[0], rule)
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() + timedelta(seconds=1))

    def voter(member):
        def cast_until_refused():
            for n in itertools.count():
                try:
                    actions.cast_ballot(proposal, member, choice=("for", "against")[n % 2])
                except actions.GovernanceError:
                    return n
        return cast_until_refused

    def closer():
        while (decision := actions.close_proposal(proposal.pk)) is None:
            time.sleep(0.005)
        return decision

    *casts, decision = run_concurrently([voter(member) for member in members] + [closer])

    assert all(n > 0 for n in casts)
    assert BallotChange.objects.filter(proposal=proposal).count() == sum(casts)
    assert not BallotChange.objects.filter(proposal=proposal, at__gte=decision.closed_at).exists()
    assert decision.counts == actions.tally(proposal)
    assert decision.ballots_cast == len(members)
