"""Governance services: the electorate snapshot, ballots, deadlines, extending, withdrawing, closing.

Every refusal is checked twice: it raises `GovernanceError` *and* it leaves the database as it was.
Server time is moved with `mock.patch("django.utils.timezone.now")`, which the services and the
models both read, so deadlines are tested the way they are enforced: by the clock, not by a job.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import timedelta
from fractions import Fraction
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django.utils.translation import override
from django_tasks import TaskResultStatus
from wagtail.models import ModelLogEntry

from commons import actions, voting
from commons.actions import GovernanceError
from commons.models import (
    Ballot,
    BallotChange,
    Decision,
    DecisionRule,
    Elector,
    Membership,
    Proposal,
    Role,
)
from commons.models.governance import GRADE_SCALE, ImmutableError, Method, Status
from commons.signals import proposal_decided
from commons.tasks import close_due_proposals_task

_names = itertools.count(1)


# --- helpers --------------------------------------------------------------------------------------


@contextmanager
def at(moment):
    """Run the block with the server clock set to `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def make_rule(bureau, method=Method.MAJORITY, **fields) -> DecisionRule:
    return DecisionRule.objects.create(bureau=bureau, name=f"Règle {next(_names)}", method=method, **fields)


def draft(bureau, author, rule=None, *, title=None, options=()) -> Proposal:
    return actions.create_proposal(
        bureau,
        author,
        title=title or f"Proposition {next(_names)}",
        body="Adopter la **charte**.",
        rule=rule or make_rule(bureau),
        options=options,
    )


def open_vote(bureau, author, rule=None, *, hours=48, **kwargs) -> Proposal:
    proposal = draft(bureau, author, rule, **kwargs)
    return actions.open_proposal(proposal, author, closes_at=timezone.now() + timedelta(hours=hours))


def after_deadline(proposal: Proposal):
    return at(proposal.closes_at + timedelta(seconds=1))


def close_when_due(proposal: Proposal) -> Decision | None:
    with after_deadline(proposal):
        return actions.close_proposal(proposal.pk)


def vote_state() -> tuple[int, int]:
    return Ballot.objects.count(), BallotChange.objects.count()


def refused(function, *args, **kwargs) -> GovernanceError:
    """Call `function`, expect a GovernanceError and no ballot written."""
    before = vote_state()
    with pytest.raises(GovernanceError) as info:
        function(*args, **kwargs)
    assert vote_state() == before
    return info.value


def log_actions(proposal: Proposal) -> list[str]:
    return list(ModelLogEntry.objects.for_instance(proposal).order_by("timestamp", "pk").values_list("action",
                                                                                                    flat=True))


@pytest.fixture
def voters(bureau, make_person) -> dict:
    """A coordinator, three members (the electorate of 4) and an observer."""
    return {
        "coordinator": make_person(bureau, Role.COORDINATOR),
        "m1": make_person(bureau, Role.MEMBER),
        "m2": make_person(bureau, Role.MEMBER),
        "m3": make_person(bureau, Role.MEMBER),
        "observer": make_person(bureau, Role.OBSERVER),
    }


# --- the electorate snapshot ----------------------------------------------------------------------


def test_opening_freezes_the_voting_members_as_electorate(bureau, voters):
    before = timezone.now()
    proposal = actions.open_proposal(draft(bureau, voters["coordinator"]), voters["coordinator"])

    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN
    assert before <= proposal.opens_at <= timezone.now()
    assert proposal.closes_at - proposal.opens_at == timedelta(days=proposal.rule.default_duration_days)
    electors = set(Elector.objects.filter(proposal=proposal).values_list("user_id", flat=True))
    assert electors == {voters[k].pk for k in ("coordinator", "m1", "m2", "m3")}  # no observer
    assert proposal.college_weights == {}  # the rule ignores colleges


def test_late_joiners_and_observers_cannot_vote(bureau, voters, make_person):
    proposal = open_vote(bureau, voters["coordinator"])
    late = make_person(bureau, Role.MEMBER)
    assert Membership.objects.voting().filter(bureau=bureau, user=late).exists()

    for person in (late, voters["observer"]):
        with override("en"):
            error = refused(actions.cast_ballot, proposal, person, choice="for")
        assert "not in the electorate" in str(error)
    assert not proposal.electors.filter(user=late).exists()


def test_a_member_who_leaves_after_opening_stays_in_the_electorate(bureau, voters):
    """The electorate is the snapshot taken at opening: leaving changes neither its size nor who may vote.

    Dropping the leaver would lower the quorum's denominator after the fact (and let a departure
    turn a result around), so the snapshot is kept whole, including the leaver's right to vote.
    """
    proposal = open_vote(bureau, voters["coordinator"])
    Membership.objects.filter(bureau=bureau, user=voters["m3"]).update(left_at=timezone.now())

    actions.cast_ballot(proposal, voters["m3"], choice="against")
    actions.cast_ballot(proposal, voters["m1"], choice="for")
    decision = close_when_due(proposal)

    assert decision.electorate_size == 4
    assert decision.ballots_cast == 2
    assert decision.counts == {"for": 1, "against": 1, "abstain": 0, "block": 0}


def test_changing_colleges_after_opening_does_not_change_the_weighting(make_bureau, make_person):
    bureau = make_bureau(colleges=(("A", 70), ("B", 30)))
    college_a, college_b = bureau.colleges.get(name="A"), bureau.colleges.get(name="B")
    a1 = make_person(bureau, Role.COORDINATOR, college=college_a)
    b1 = make_person(bureau, Role.MEMBER, college=college_b)
    b2 = make_person(bureau, Role.MEMBER, college=college_b)
    proposal = open_vote(bureau, a1, make_rule(bureau, use_colleges=True))
    assert proposal.college_weights == {"A": 70, "B": 30}
    assert dict(proposal.electors.values_list("user_id", "college")) == {a1.pk: "A", b1.pk: "B", b2.pk: "B"}

    # After opening: a1 moves to college B and the weights are rebalanced.
    Membership.objects.filter(bureau=bureau, user=a1).update(college=college_b)
    college_a.weight, college_b.weight = 10, 90
    college_a.save()
    college_b.save()

    actions.cast_ballot(proposal, a1, choice="for")
    actions.cast_ballot(proposal, b1, choice="against")
    actions.cast_ballot(proposal, b2, choice="against")
    decision = close_when_due(proposal)

    # Snapshot: A (70) is 100 % for, B (30) is 0 % for -> 7/10. With the new colleges it would be 1/3.
    assert decision.score == str(Fraction(70 * 1 + 30 * 0, 100)) == "7/10"
    assert decision.outcome == "adopted"
    assert decision.rule["college_weights"] == {"A": 70, "B": 30}


# --- opening refusals -----------------------------------------------------------------------------


def _nothing_opened(proposal: Proposal) -> None:
    proposal.refresh_from_db()
    assert proposal.status == Status.DRAFT
    assert proposal.opens_at is None and proposal.closes_at is None
    assert not proposal.electors.exists()
    assert "bec.proposal.open" not in log_actions(proposal)


def test_only_a_draft_can_be_opened(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"])
    closes_at = proposal.closes_at
    with pytest.raises(GovernanceError):
        actions.open_proposal(proposal, voters["coordinator"], closes_at=closes_at + timedelta(days=3))
    proposal.refresh_from_db()
    assert proposal.closes_at == closes_at
    assert proposal.electors.count() == 4
    assert log_actions(proposal).count("bec.proposal.open") == 1


def test_opening_refuses_a_closing_date_in_the_past(bureau, voters):
    proposal = draft(bureau, voters["coordinator"])
    for closes_at in (timezone.now() - timedelta(minutes=1), timezone.now() - timedelta(days=2)):
        with pytest.raises(GovernanceError):
            actions.open_proposal(proposal, voters["coordinator"], closes_at=closes_at)
    _nothing_opened(proposal)


def test_opening_refuses_a_bureau_without_voting_members(bureau, make_person):
    observer = make_person(bureau, Role.OBSERVER)
    left = make_person(bureau, Role.MEMBER)
    Membership.objects.filter(user=left).update(left_at=timezone.now())
    proposal = draft(bureau, observer)
    with pytest.raises(GovernanceError):
        actions.open_proposal(proposal, observer)
    _nothing_opened(proposal)


def test_opening_with_colleges_names_the_voting_members_without_college(bureau, voters, make_person):
    Membership.objects.filter(user=voters["m2"]).update(college=None)
    Membership.objects.filter(user=voters["observer"]).update(college=None)  # observers do not vote
    proposal = draft(bureau, voters["coordinator"], make_rule(bureau, use_colleges=True))
    with pytest.raises(GovernanceError) as info:
        actions.open_proposal(proposal, voters["coordinator"])
    assert voters["m2"].email in str(info.value)
    assert voters["observer"].email not in str(info.value)
    assert voters["m1"].email not in str(info.value)
    _nothing_opened(proposal)


# --- casting ballots ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [Method.MAJORITY, Method.CONSENT])
def test_unknown_choice_is_refused(bureau, voters, method):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, method))
    for choice in ("maybe", "", "FOR"):
        refused(actions.cast_ballot, proposal, voters["m1"], choice=choice)


def test_a_block_needs_a_reason(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, Method.CONSENT))
    for reason in ("", "   \n"):
        refused(actions.cast_ballot, proposal, voters["m1"], choice="block", reason=reason)
    ballot = actions.cast_ballot(proposal, voters["m1"], choice="block", reason="  Risque RGPD.  ")
    assert (ballot.choice, ballot.reason) == ("block", "Risque RGPD.")


@pytest.mark.parametrize("rule_fields", [{"method": Method.MAJORITY},
                                         {"method": Method.QUALIFIED, "threshold": "2/3"}])
def test_no_block_under_majority_rules(bureau, voters, rule_fields):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, **rule_fields))
    refused(actions.cast_ballot, proposal, voters["m1"], choice="block", reason="Je m'y oppose.")


@pytest.fixture
def mj(bureau, voters) -> Proposal:
    return open_vote(bureau, voters["coordinator"], make_rule(bureau, Method.MAJORITY_JUDGMENT),
                     options=["Atelier", "Enquête", "Podcast"])


def _grades(proposal: Proposal, **by_label) -> dict[str, str]:
    return {str(proposal.options.get(label=label).pk): grade for label, grade in by_label.items()}


def test_majority_judgment_ballots_are_validated(bureau, voters, mj):
    m1 = voters["m1"]
    refused(actions.cast_ballot, mj, m1, grades=_grades(mj, Atelier="good", Enquête="superb", Podcast="poor"))
    refused(actions.cast_ballot, mj, m1, grades=_grades(mj, Atelier="good", Enquête="fair"))  # missing
    refused(actions.cast_ballot, mj, m1, grades={})
    other = open_vote(bureau, voters["coordinator"], make_rule(bureau, Method.MAJORITY_JUDGMENT),
                      options=["Atelier", "Enquête", "Podcast"])
    foreign = _grades(mj, Atelier="good", Enquête="fair") | {str(other.options.get(label="Podcast").pk): "poor"}
    refused(actions.cast_ballot, mj, m1, grades=foreign)
    extra = _grades(mj, Atelier="good", Enquête="fair", Podcast="poor") | {
        str(other.options.get(label="Podcast").pk): "poor"
    }
    refused(actions.cast_ballot, mj, m1, grades=extra)

    ballot = actions.cast_ballot(mj, m1, grades=_grades(mj, Atelier="good", Enquête="fair", Podcast="poor"))
    assert set(ballot.grades.values()) == {"good", "fair", "poor"}
    assert ballot.choice == ""


def test_a_ballot_after_the_deadline_is_refused_before_any_close(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"], hours=1)
    actions.cast_ballot(proposal, voters["m1"], choice="for")
    with at(proposal.closes_at):  # the deadline itself is already too late
        refused(actions.cast_ballot, proposal, voters["m2"], choice="for")
    with after_deadline(proposal):
        refused(actions.cast_ballot, proposal, voters["m2"], choice="for")
        refused(actions.cast_ballot, proposal, voters["m1"], choice="against")  # no late change either
    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN  # nothing closed it: the clock alone refused
    assert Ballot.objects.get(proposal=proposal).choice == "for"


def test_no_ballot_on_a_withdrawn_or_draft_proposal(bureau, voters):
    withdrawn = open_vote(bureau, voters["coordinator"])
    actions.withdraw_proposal(withdrawn, voters["coordinator"])
    refused(actions.cast_ballot, withdrawn, voters["m1"], choice="for")

    still_draft = draft(bureau, voters["coordinator"])
    refused(actions.cast_ballot, still_draft, voters["m1"], choice="for")


def test_changing_a_vote_keeps_one_ballot_and_the_history(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"])
    start = timezone.now()
    times = [start + timedelta(minutes=n) for n in (1, 5, 30)]
    for moment, choice in zip(times, ("for", "against", "abstain"), strict=True):
        with at(moment):
            actions.cast_ballot(proposal, voters["m1"], choice=choice)
    with at(times[-1] + timedelta(minutes=1)):
        actions.cast_ballot(proposal, voters["m2"], choice="for")

    ballot = Ballot.objects.get(proposal=proposal, voter=voters["m1"])
    assert (ballot.choice, ballot.cast_at, ballot.updated_at) == ("abstain", times[0], times[-1])
    history = list(BallotChange.objects.filter(proposal=proposal, voter=voters["m1"]).values_list("choice", "at"))
    assert history == list(zip(("for", "against", "abstain"), times, strict=True))
    assert Ballot.objects.filter(proposal=proposal).count() == 2
    assert BallotChange.objects.filter(proposal=proposal).count() == 4
    assert actions.tally(proposal) == {"for": 1, "against": 0, "abstain": 1, "block": 0}


# --- extending and withdrawing --------------------------------------------------------------------


def test_extending_pushes_the_deadline_and_is_logged(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"], hours=10)
    Proposal.objects.filter(pk=proposal.pk).update(reminder_sent_at=timezone.now())
    previous = proposal.closes_at
    later = previous + timedelta(days=2)

    actions.extend_proposal(proposal, voters["coordinator"], later)

    proposal.refresh_from_db()
    assert proposal.closes_at == later
    assert proposal.reminder_sent_at is None
    entry = ModelLogEntry.objects.for_instance(proposal).get(action="bec.proposal.extend")
    assert entry.user_id == voters["coordinator"].pk
    assert entry.data == {"from": previous.isoformat(), "to": later.isoformat()}
    with at(previous + timedelta(hours=1)):  # the old deadline no longer applies
        actions.cast_ballot(proposal, voters["m1"], choice="for")


def test_extending_only_later_and_only_while_running(bureau, voters):
    coordinator = voters["coordinator"]
    proposal = open_vote(bureau, coordinator, hours=10)
    closes_at = proposal.closes_at
    for when in (closes_at, closes_at - timedelta(hours=1)):
        with pytest.raises(GovernanceError):
            actions.extend_proposal(proposal, coordinator, when)
    with after_deadline(proposal), pytest.raises(GovernanceError):  # due but not closed yet
        actions.extend_proposal(proposal, coordinator, closes_at + timedelta(days=1))
    with pytest.raises(GovernanceError):
        actions.extend_proposal(draft(bureau, coordinator), coordinator, closes_at)
    close_when_due(proposal)
    with pytest.raises(GovernanceError):
        actions.extend_proposal(proposal, coordinator, closes_at + timedelta(days=1))

    proposal.refresh_from_db()
    assert proposal.closes_at == closes_at
    assert "bec.proposal.extend" not in log_actions(proposal)


def _withdraw_and_check(proposal: Proposal, by) -> None:
    actions.withdraw_proposal(proposal, by)
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN
    assert log_actions(proposal)[-1] == "bec.proposal.withdraw"
    with pytest.raises(GovernanceError):  # not twice
        actions.withdraw_proposal(proposal, by)
    assert actions.close_proposal(proposal.pk) is None
    assert not Decision.objects.exists()


def test_withdrawing_a_running_vote(bureau, voters):
    _withdraw_and_check(open_vote(bureau, voters["coordinator"]), voters["coordinator"])


def test_withdrawing_a_draft(bureau, voters):
    _withdraw_and_check(draft(bureau, voters["coordinator"]), voters["coordinator"])


def test_withdrawing_is_refused_once_due_or_decided(bureau, voters):
    coordinator = voters["coordinator"]
    proposal = open_vote(bureau, coordinator)
    with after_deadline(proposal), pytest.raises(GovernanceError):
        actions.withdraw_proposal(proposal, coordinator)
    close_when_due(proposal)
    with pytest.raises(GovernanceError):
        actions.withdraw_proposal(proposal, coordinator)
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED  # nobody voted
    assert "bec.proposal.withdraw" not in log_actions(proposal)


def test_the_lifecycle_is_in_wagtails_audit_log(bureau, voters):
    coordinator = voters["coordinator"]
    proposal = open_vote(bureau, coordinator)
    actions.extend_proposal(proposal, coordinator, proposal.closes_at + timedelta(days=1))
    proposal.refresh_from_db()
    decision = close_when_due(proposal)

    assert log_actions(proposal) == ["bec.proposal.open", "bec.proposal.extend", "bec.proposal.decide"]
    opened = ModelLogEntry.objects.for_instance(proposal).get(action="bec.proposal.open")
    assert opened.user_id == coordinator.pk
    decided = ModelLogEntry.objects.for_instance(proposal).get(action="bec.proposal.decide")
    assert decided.data == {"outcome": decision.outcome, "sequence": decision.sequence}


# --- closing and the register ---------------------------------------------------------------------


def test_closing_before_the_deadline_does_nothing(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"])
    actions.cast_ballot(proposal, voters["m1"], choice="for")
    assert actions.close_proposal(proposal.pk) is None
    with at(proposal.closes_at - timedelta(microseconds=1)):
        assert actions.close_proposal(proposal.pk) is None
    assert actions.close_proposal(draft(bureau, voters["coordinator"]).pk) is None
    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN
    assert not Decision.objects.exists()
    assert "bec.proposal.decide" not in log_actions(proposal)


def test_closing_a_due_proposal_records_one_decision(bureau, voters):
    rule = make_rule(bureau, Method.MAJORITY, quorum="1/2")
    proposal = open_vote(bureau, voters["coordinator"], rule, title="Adopter le protocole v2")
    actions.cast_ballot(proposal, voters["coordinator"], choice="for")
    actions.cast_ballot(proposal, voters["m1"], choice="for")
    actions.cast_ballot(proposal, voters["m2"], choice="against")

    closed_at = proposal.closes_at + timedelta(seconds=1)
    with at(closed_at):
        decision = actions.close_proposal(proposal.pk)
        again = actions.close_proposal(proposal.pk)

    assert Decision.objects.count() == 1
    assert again.pk == decision.pk
    stored = Decision.objects.get()
    assert stored.proposal_id == proposal.pk and stored.bureau_id == bureau.pk
    assert stored.title == "Adopter le protocole v2"
    assert stored.counts == {"for": 2, "against": 1, "abstain": 0, "block": 0}
    assert (stored.outcome, stored.reason, stored.score) == ("adopted", "adopted", "2/3")
    assert (stored.electorate_size, stored.ballots_cast) == (4, 3)
    assert stored.closed_at == proposal.closes_at  # the vote ended at its deadline, not when the job ran
    assert stored.rule["method"] == "majority" and stored.rule["quorum"] == "1/2"
    assert (stored.sequence, stored.previous_hash, stored.ranking) == (1, "", [])
    assert stored.hash == actions.hash_decision(stored)  # the hash survives the database round trip
    proposal.refresh_from_db()
    assert proposal.status == Status.ADOPTED


@pytest.mark.parametrize(
    "rule_fields, choices, outcome, reason, score",
    [
        ({"method": Method.QUALIFIED, "threshold": "2/3"}, ["for", "for", "against"], "adopted", "adopted", "2/3"),
        ({"method": Method.QUALIFIED, "threshold": "3/4"}, ["for", "for", "against"], "rejected", "share_too_low",
         "2/3"),
        ({"method": Method.MAJORITY}, ["for", "against", "abstain"], "rejected", "share_too_low", "1/2"),
        ({"method": Method.MAJORITY, "quorum": "1"}, ["for", "for", "for"], "rejected", "no_quorum", "1"),
        ({"method": Method.MAJORITY}, ["abstain"], "rejected", "no_expressed", ""),
        ({"method": Method.CONSENSUS}, ["for", "against", "for"], "rejected", "opposed", "2/3"),
        ({"method": Method.CONSENT}, ["for", "abstain", "against"], "adopted", "adopted", "1/2"),
    ],
)
def test_outcomes_follow_the_rule(bureau, voters, rule_fields, choices, outcome, reason, score):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, **rule_fields))
    for who, choice in zip(("m1", "m2", "m3"), choices, strict=False):
        actions.cast_ballot(proposal, voters[who], choice=choice)
    decision = close_when_due(proposal)
    assert (decision.outcome, decision.reason, decision.score) == (outcome, reason, score)
    proposal.refresh_from_db()
    assert proposal.status == outcome


def test_consent_with_a_single_block_is_rejected(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, Method.CONSENT))
    for who in ("coordinator", "m1", "m2"):
        actions.cast_ballot(proposal, voters[who], choice="for")
    actions.cast_ballot(proposal, voters["m3"], choice="block", reason="Pas de consentement des enquêté·es.")
    decision = close_when_due(proposal)
    assert decision.counts == {"for": 3, "against": 0, "abstain": 0, "block": 1}
    assert (decision.outcome, decision.reason, decision.score) == ("rejected", "blocked", "1")
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED


def test_college_weighting_can_adopt_what_the_headcount_rejects(bureau, make_person):
    """Colleges Chercheur·es 30, Structures 40, Bénévoles 30 (see conftest): 2 for, 3 against by head."""
    college = {c.name: c for c in bureau.colleges.all()}
    votes = [("Structures", "for"), ("Chercheur·es", "against"), ("Chercheur·es", "against"),
             ("Bénévoles", "for"), ("Bénévoles", "against")]
    people = [(make_person(bureau, Role.MEMBER, college=college[name]), choice) for name, choice in votes]
    proposal = open_vote(bureau, people[0][0], make_rule(bureau, Method.MAJORITY, use_colleges=True))
    for person, choice in people:
        actions.cast_ballot(proposal, person, choice=choice)
    decision = close_when_due(proposal)

    expected = (40 * Fraction(1, 1) + 30 * Fraction(0, 2) + 30 * Fraction(1, 2)) / (40 + 30 + 30)
    assert expected == Fraction(11, 20)
    assert decision.counts == {"for": 2, "against": 3, "abstain": 0, "block": 0}
    assert decision.score == "11/20"
    assert decision.outcome == "adopted"
    assert decision.rule["college_weights"] == {"Chercheur·es": 30, "Structures": 40, "Bénévoles": 30}


def test_majority_judgment_ranks_the_options(bureau, voters, mj):
    ballots = {
        "m1": {"Atelier": "excellent", "Enquête": "good", "Podcast": "poor"},
        "m2": {"Atelier": "fair", "Enquête": "very_good", "Podcast": "good"},
        "m3": {"Atelier": "poor", "Enquête": "good", "Podcast": "excellent"},
    }
    for who, grades in ballots.items():
        actions.cast_ballot(mj, voters[who], grades=_grades(mj, **grades))
    decision = close_when_due(mj)

    # By hand: medians Atelier=fair, Enquête=good, Podcast=good. Tie broken by removing one "good":
    # Enquête keeps (very_good, good) -> lower middle good; Podcast keeps (excellent, poor) -> poor.
    expected = ["Enquête", "Podcast", "Atelier"]
    by_option = {label: [b[label] for b in ballots.values()] for label in expected}
    assert voting.majority_judgment(by_option, GRADE_SCALE) == expected
    assert decision.ranking == expected
    assert (decision.outcome, decision.reason, decision.score) == ("adopted", "adopted", "")
    assert decision.counts["Atelier"] == {g: int(g in ("excellent", "fair", "poor")) for g in GRADE_SCALE}
    assert (decision.electorate_size, decision.ballots_cast) == (4, 3)


def test_majority_judgment_without_quorum_is_rejected_unranked(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"], make_rule(bureau, Method.MAJORITY_JUDGMENT, quorum="1/2"),
                         options=["Atelier", "Enquête"])
    actions.cast_ballot(proposal, voters["m1"], grades=_grades(proposal, Atelier="good", Enquête="poor"))
    decision = close_when_due(proposal)
    assert (decision.outcome, decision.reason, decision.ranking) == ("rejected", "no_quorum", [])
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED


def test_each_bureau_has_its_own_chain(bureau, other_bureau, voters, make_person):
    decisions = [close_when_due(open_vote(bureau, voters["coordinator"])) for _ in range(3)]
    assert [d.sequence for d in decisions] == [1, 2, 3]
    assert [d.previous_hash for d in decisions] == ["", decisions[0].hash, decisions[1].hash]
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau).order_by("sequence"))) is None

    other = make_person(other_bureau, Role.COORDINATOR)
    first_elsewhere = close_when_due(open_vote(other_bureau, other))
    assert (first_elsewhere.sequence, first_elsewhere.previous_hash) == (1, "")
    fourth = close_when_due(open_vote(bureau, voters["coordinator"]))
    assert (fourth.sequence, fourth.previous_hash) == (4, decisions[2].hash)


def test_viewing_a_due_proposal_closes_it(bureau, voters):
    """Lazy closing: deadlines hold even if no scheduler runs."""
    proposal = open_vote(bureau, voters["coordinator"])
    actions.cast_ballot(proposal, voters["m1"], choice="for")
    assert actions.close_if_due(proposal).status == Status.OPEN
    assert not Decision.objects.exists()
    with after_deadline(proposal):
        proposal = actions.close_if_due(proposal)
    assert proposal.status == Status.ADOPTED
    assert Decision.objects.get().proposal_id == proposal.pk


# --- immutability ---------------------------------------------------------------------------------


def test_a_decision_cannot_be_saved_again_or_deleted(bureau, voters):
    decision = close_when_due(open_vote(bureau, voters["coordinator"]))
    decision.title = "Réécrit"
    with pytest.raises(ImmutableError):
        decision.save()
    with pytest.raises(ImmutableError):
        decision.delete()
    assert Decision.objects.get(pk=decision.pk).title != "Réécrit"


def test_queryset_writes_are_refused_and_raw_sql_is_caught_by_the_register_check(bureau, voters):
    """`Decision.objects.update()/.delete()` refuse like `save()`/`delete()`; raw SQL is the only way
    left, and the hash chain makes it visible."""
    decision = close_when_due(open_vote(bureau, voters["coordinator"]))
    call_command("verify_decisions", stdout=StringIO())

    with pytest.raises(ImmutableError):
        Decision.objects.filter(pk=decision.pk).update(title="Réécrit en douce")
    with pytest.raises(ImmutableError):
        Decision.objects.filter(pk=decision.pk).delete()
    assert Decision.objects.get(pk=decision.pk).title == decision.title

    with connection.cursor() as cursor:
        cursor.execute("UPDATE commons_decision SET title = %s WHERE id = %s", ["Réécrit en douce", decision.pk])
    assert actions.verify_chain(list(Decision.objects.filter(bureau=bureau))) == decision
    with pytest.raises(CommandError, match="#1"):
        call_command("verify_decisions", stdout=StringIO())


# --- closing in bulk, from the command and the task; the signal -----------------------------------


@pytest.fixture
def due_and_running(bureau, voters):
    """Two proposals due in one hour and one due in three days."""
    coordinator = voters["coordinator"]
    due = [open_vote(bureau, coordinator, hours=1), open_vote(bureau, coordinator, hours=1)]
    running = open_vote(bureau, coordinator, hours=72)
    actions.cast_ballot(due[0], voters["m1"], choice="for")
    return due, running


def _check_closed(due, running):
    assert sorted(Decision.objects.values_list("proposal_id", flat=True)) == sorted(p.pk for p in due)
    running.refresh_from_db()
    assert running.status == Status.OPEN
    assert {p.status for p in Proposal.objects.filter(pk__in=[p.pk for p in due])} == {"adopted", "rejected"}


def test_close_due_proposals_closes_every_due_one(due_and_running):
    due, running = due_and_running
    assert actions.close_due_proposals() == 0
    with at(timezone.now() + timedelta(hours=2)):
        assert actions.close_due_proposals() == 2
        assert actions.close_due_proposals() == 0
    _check_closed(due, running)


def test_the_close_due_proposals_command(due_and_running):
    due, running = due_and_running
    out = StringIO()
    with at(timezone.now() + timedelta(hours=2)):
        call_command("close_due_proposals", stdout=out)
    assert out.getvalue().startswith("2 decision(s) recorded")
    _check_closed(due, running)


def test_the_close_due_proposals_task(due_and_running):
    due, running = due_and_running
    with at(timezone.now() + timedelta(hours=2)):
        result = close_due_proposals_task.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value == 2
    _check_closed(due, running)


def test_proposal_decided_is_sent_once_with_the_decision(bureau, voters):
    received = []

    def receiver(sender, proposal, decision, **kwargs):
        received.append((sender, proposal.pk, proposal.status, decision.pk))

    proposal_decided.connect(receiver)
    try:
        proposal = open_vote(bureau, voters["coordinator"])
        actions.cast_ballot(proposal, voters["m1"], choice="for")
        assert actions.close_proposal(proposal.pk) is None
        decision = close_when_due(proposal)
        assert close_when_due(proposal) == decision
        actions.close_due_proposals()
    finally:
        proposal_decided.disconnect(receiver)
    assert received == [(Proposal, proposal.pk, Status.ADOPTED, decision.pk)]


@pytest.mark.parametrize("fields", [{"title": "   "}, {"title": "x" * 201}, {"kind": "coup_d_etat"}])
def test_create_proposal_refuses_bad_fields(bureau, voters, fields):
    arguments = {"title": "Titre", "body": "Corps", "rule": make_rule(bureau), "kind": "free"} | fields
    with pytest.raises(GovernanceError):
        actions.create_proposal(bureau, voters["coordinator"], **arguments)
    assert not Proposal.objects.exists()


def test_overlong_ballot_explanation_is_refused(bureau, voters):
    proposal = open_vote(bureau, voters["coordinator"])
    with pytest.raises(GovernanceError):
        actions.cast_ballot(proposal, voters["m1"], choice="against", reason="x" * 4001)
    assert not Ballot.objects.exists() and not BallotChange.objects.exists()
