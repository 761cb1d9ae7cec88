"""Tests for commons.voting: worked examples computed by hand, error cases, and properties.

The expected values in the worked examples are derived in the comments so that a reviewer can
check them with pen and paper, independently of the implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from commons.voting import (
    CHOICES,
    METHODS,
    REASONS,
    Ballot,
    Outcome,
    allows_block,
    decide,
    majority_grade,
    majority_judgment,
)

SCIC = {"chercheurs": 30, "structures": 40, "benevoles": 30}
SCALE = ["excellent", "good", "fair", "poor"]


def make_ballots(for_: int = 0, against: int = 0, abstain: int = 0, block: int = 0) -> list[Ballot]:
    """Anonymous ballots, voters numbered in order; colleges are irrelevant here."""
    choices = ["for"] * for_ + ["against"] * against + ["abstain"] * abstain + ["block"] * block
    return [Ballot(f"v{i}", choice) for i, choice in enumerate(choices)]


def college_ballots(tallies: Mapping[str, tuple[int, int, int]]) -> list[Ballot]:
    """Ballots from ``{college: (for, against, abstain)}``, with globally unique voters."""
    ballots = []
    for college, (for_, against, abstain) in tallies.items():
        choices = ["for"] * for_ + ["against"] * against + ["abstain"] * abstain
        ballots += [Ballot(f"{college}-{i}", choice, college) for i, choice in enumerate(choices)]
    return ballots


# --------------------------------------------------------------------------- majority


def test_majority_adopts_with_more_for_than_against() -> None:
    outcome = decide("majority", make_ballots(for_=6, against=4), electorate_size=10)
    assert outcome.adopted
    assert outcome.reason == "adopted"
    assert outcome.share == Fraction(6, 10)
    assert outcome.score == pytest.approx(0.6)
    assert outcome.counts == {"for": 6, "against": 4, "abstain": 0, "block": 0}


def test_majority_tie_is_rejected() -> None:
    # 5 / (5 + 5) = 1/2 exactly; an absolute majority must be strictly above one half.
    outcome = decide("majority", make_ballots(for_=5, against=5), electorate_size=10)
    assert not outcome.adopted
    assert outcome.reason == "share_too_low"
    assert outcome.share == Fraction(1, 2)


def test_majority_ignores_abstentions() -> None:
    # 3 for, 2 against, 10 abstain: 3/5 of the expressed ballots, even though 3/15 of all.
    outcome = decide("majority", make_ballots(for_=3, against=2, abstain=10), electorate_size=15)
    assert outcome.adopted
    assert outcome.share == Fraction(3, 5)
    assert outcome.counts == {"for": 3, "against": 2, "abstain": 10, "block": 0}


def test_majority_with_only_abstentions_adopts_nothing() -> None:
    outcome = decide("majority", make_ballots(abstain=4), electorate_size=4)
    assert outcome.quorum_reached
    assert not outcome.adopted
    assert outcome.reason == "no_expressed"
    assert outcome.score is None
    assert outcome.share is None


# --------------------------------------------------------------------------- qualified


def test_qualified_boundary_is_exact() -> None:
    # 6 / (6 + 3) = 2/3 exactly meets a two-thirds threshold, whatever its numeric type.
    ballots = make_ballots(for_=6, against=3)
    for threshold in (Fraction(2, 3), 2 / 3, 0.6666666666666666):
        outcome = decide("qualified", ballots, electorate_size=9, threshold=threshold)
        assert outcome.adopted, threshold
        assert outcome.share == Fraction(2, 3)


def test_qualified_decimal_threshold_is_taken_literally() -> None:
    # Decimals are exact numbers, unlike floats, so they are not snapped: Decimal(2) / Decimal(3)
    # rounds up to 0.666...667, which 2/3 does not reach, while Decimal("0.6") is met.
    ballots = make_ballots(for_=6, against=3)
    assert not decide("qualified", ballots, 9, threshold=Decimal(2) / Decimal(3)).adopted
    assert decide("qualified", ballots, 9, threshold=Decimal("0.6")).adopted


def test_qualified_below_threshold_is_rejected() -> None:
    # 5 / 8 = 0.625 < 2/3.
    outcome = decide(
        "qualified", make_ballots(for_=5, against=3), electorate_size=8, threshold=Fraction(2, 3)
    )
    assert not outcome.adopted
    assert outcome.reason == "share_too_low"


def test_qualified_threshold_just_above_two_thirds_is_not_rounded_down() -> None:
    # 0.6667 means 6667/10000, which 2/3 does not reach; only 0.666... snaps to 2/3.
    outcome = decide("qualified", make_ballots(for_=6, against=3), electorate_size=9, threshold=0.6667)
    assert not outcome.adopted


def test_qualified_threshold_one_requires_unanimity_of_expressed() -> None:
    assert decide("qualified", make_ballots(for_=9, abstain=1), 10, threshold=1).adopted
    assert not decide("qualified", make_ballots(for_=9, against=1), 10, threshold=1).adopted


# --------------------------------------------------------------------------- consent / consensus


def test_consent_adopts_despite_against_without_block() -> None:
    outcome = decide("consent", make_ballots(for_=1, against=5), electorate_size=6)
    assert outcome.adopted
    assert outcome.reason == "adopted"
    assert outcome.share == Fraction(1, 6)  # reported, but not what decides under consent


def test_consent_single_block_rejects() -> None:
    outcome = decide("consent", make_ballots(for_=9, block=1), electorate_size=10)
    assert not outcome.adopted
    assert outcome.reason == "blocked"
    assert outcome.counts == {"for": 9, "against": 0, "abstain": 0, "block": 1}


def test_consent_is_absence_of_objection() -> None:
    # Consent asks "does anyone object?": with the quorum met and no block, it passes.
    outcome = decide("consent", make_ballots(abstain=3), electorate_size=3, quorum=0.5)
    assert outcome.adopted
    assert outcome.score is None


def test_consensus_single_against_rejects() -> None:
    outcome = decide("consensus", make_ballots(for_=9, against=1), electorate_size=10)
    assert not outcome.adopted
    assert outcome.reason == "opposed"


def test_consensus_single_block_rejects() -> None:
    outcome = decide("consensus", make_ballots(for_=9, block=1), electorate_size=10)
    assert not outcome.adopted
    assert outcome.reason == "blocked"


def test_consensus_adopts_with_for_and_abstentions_only() -> None:
    assert decide("consensus", make_ballots(for_=7, abstain=2), electorate_size=9).adopted


# --------------------------------------------------------------------------- quorum


def test_exactly_at_quorum_passes() -> None:
    outcome = decide("majority", make_ballots(for_=5), electorate_size=10, quorum=0.5)
    assert outcome.quorum_reached
    assert outcome.participation == Fraction(1, 2)
    assert outcome.adopted


def test_just_below_quorum_fails() -> None:
    outcome = decide("majority", make_ballots(for_=4), electorate_size=10, quorum=0.5)
    assert not outcome.quorum_reached
    assert not outcome.adopted
    assert outcome.reason == "no_quorum"


def test_quorum_float_noise_does_not_deny_an_exact_quorum() -> None:
    # 0.1 * 3 == 0.30000000000000004 > 3/10 in floating point; the statutes mean 30 %.
    outcome = decide("majority", make_ballots(for_=3), electorate_size=10, quorum=0.1 * 3)
    assert outcome.quorum_reached
    assert outcome.adopted


def test_quorum_accepts_fraction_and_decimal() -> None:
    ballots = make_ballots(for_=2)
    assert decide("majority", ballots, 3, quorum=Fraction(2, 3)).quorum_reached
    assert decide("majority", ballots, 4, quorum=Decimal("0.5")).quorum_reached
    assert not decide("majority", ballots, 4, quorum=Decimal("0.51")).quorum_reached


def test_abstentions_and_blocks_count_towards_quorum() -> None:
    # 1 for + 1 abstain + 1 block = 3 ballots out of 6: exactly the 50 % quorum.
    outcome = decide("consent", make_ballots(for_=1, abstain=1, block=1), electorate_size=6, quorum=0.5)
    assert outcome.quorum_reached
    assert outcome.participation == Fraction(1, 2)
    assert outcome.reason == "blocked"
    outcome = decide("majority", make_ballots(for_=1, abstain=2), electorate_size=6, quorum=0.5)
    assert outcome.quorum_reached
    assert outcome.adopted


@pytest.mark.parametrize("method", METHODS)
def test_no_quorum_rejects_even_a_unanimous_vote(method: str) -> None:
    outcome = decide(method, make_ballots(for_=10), electorate_size=100, quorum=0.25, threshold=0.5)
    assert not outcome.quorum_reached
    assert not outcome.adopted
    assert outcome.reason == "no_quorum"
    assert outcome.share == 1  # the result is still reported


def test_empty_electorate() -> None:
    outcome = decide("majority", [], electorate_size=0)
    assert outcome.quorum_reached  # a zero quorum is trivially met...
    assert not outcome.adopted  # ...but nothing is adopted without an expressed ballot
    assert outcome.counts == {"for": 0, "against": 0, "abstain": 0, "block": 0}
    assert outcome.participation == 0
    assert not decide("consent", [], electorate_size=0, quorum=0.1).quorum_reached


# --------------------------------------------------------------------------- college weights (SCIC)


def test_weighted_vote_adopts_what_headcount_rejects() -> None:
    tallies = {"chercheurs": (2, 0, 0), "structures": (3, 1, 0), "benevoles": (1, 6, 0)}
    ballots = college_ballots(tallies)
    # Headcount: 6 for, 7 against -> 6/13 < 1/2.
    headcount = decide("majority", ballots, electorate_size=13)
    assert headcount.share == Fraction(6, 13)
    assert not headcount.adopted
    # Weighted: (30 * 2/2 + 40 * 3/4 + 30 * 1/7) / 100 = (30 + 30 + 30/7) / 100 = 450/700 = 9/14.
    expected = (30 * Fraction(2, 2) + 40 * Fraction(3, 4) + 30 * Fraction(1, 7)) / 100
    assert expected == Fraction(9, 14)
    weighted = decide("majority", ballots, electorate_size=13, college_weights=SCIC)
    assert weighted.share == expected
    assert weighted.score == pytest.approx(9 / 14)
    assert weighted.adopted
    assert weighted.counts == headcount.counts  # weights change the score, never the tally


def test_weighted_vote_rejects_what_headcount_adopts() -> None:
    tallies = {"chercheurs": (0, 2, 0), "structures": (1, 3, 0), "benevoles": (8, 1, 0)}
    ballots = college_ballots(tallies)
    # Headcount: 9 for, 6 against -> 9/15 = 3/5 > 1/2.
    headcount = decide("majority", ballots, electorate_size=15)
    assert headcount.share == Fraction(3, 5)
    assert headcount.adopted
    # Weighted: (30 * 0 + 40 * 1/4 + 30 * 8/9) / 100 = (10 + 80/3) / 100 = 11/30.
    weighted = decide("majority", ballots, electorate_size=15, college_weights=SCIC)
    assert weighted.share == Fraction(11, 30)
    assert not weighted.adopted
    assert weighted.reason == "share_too_low"


def test_weighted_qualified_uses_weighted_score() -> None:
    # Same assembly as above: 9/14 ~ 0.643 misses 2/3 but meets 3/5.
    ballots = college_ballots({"chercheurs": (2, 0, 0), "structures": (3, 1, 0), "benevoles": (1, 6, 0)})
    assert not decide("qualified", ballots, 13, threshold=Fraction(2, 3), college_weights=SCIC).adopted
    assert decide("qualified", ballots, 13, threshold=Fraction(3, 5), college_weights=SCIC).adopted


def test_college_without_expressed_ballot_drops_out() -> None:
    # structures only abstains, so it drops out and the 30 + 30 remaining weights renormalise:
    # (30 * 1/2 + 30 * 3/3) / 60 = 45/60 = 3/4.  Dividing by all 100 would give 45/100 and reject.
    ballots = college_ballots({"chercheurs": (1, 1, 0), "structures": (0, 0, 4), "benevoles": (3, 0, 0)})
    outcome = decide("majority", ballots, electorate_size=9, college_weights=SCIC)
    assert outcome.share == Fraction(3, 4)
    assert outcome.adopted


def test_weighted_score_is_none_without_any_expressed_ballot() -> None:
    ballots = college_ballots({"chercheurs": (0, 0, 2), "benevoles": (0, 0, 1)})
    outcome = decide("majority", ballots, electorate_size=3, college_weights=SCIC)
    assert outcome.score is None
    assert outcome.reason == "no_expressed"


def test_consent_ignores_weights_but_reports_score() -> None:
    # A single block in the college of volunteers is enough, however large the weighted support.
    ballots = college_ballots({"chercheurs": (3, 0, 0), "structures": (4, 0, 0)})
    ballots.append(Ballot("benevole-0", "block", "benevoles"))
    outcome = decide("consent", ballots, electorate_size=8, college_weights=SCIC)
    assert outcome.reason == "blocked"
    assert outcome.share == 1
    ballots[-1] = Ballot("benevole-0", "against", "benevoles")
    # Consensus: the one against, though diluted to (30 + 40 + 0) / 100 = 7/10, still rejects.
    outcome = decide("consensus", ballots, electorate_size=8, college_weights=SCIC)
    assert outcome.reason == "opposed"
    assert outcome.share == Fraction(7, 10)
    assert decide("consent", ballots, electorate_size=8, college_weights=SCIC).adopted


def test_colleges_are_ignored_without_weights() -> None:
    ballots = college_ballots({"chercheurs": (0, 2, 0), "structures": (1, 3, 0), "benevoles": (8, 1, 0)})
    assert decide("majority", ballots, 15).share == Fraction(9, 15)


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "plurality"}, "unknown method"),
        ({"ballots": [Ballot("a", "maybe")]}, "unknown choice"),
        ({"ballots": [Ballot("a", "for"), Ballot("a", "against")]}, "one ballot per voter"),
        ({"ballots": make_ballots(for_=3), "electorate_size": 2}, "3 ballots for an electorate of 2"),
        ({"electorate_size": -1}, ">= 0"),
        ({"ballots": make_ballots(block=1)}, "block"),
        ({"method": "qualified", "ballots": make_ballots(block=1), "threshold": 0.5}, "block"),
        ({"quorum": -0.1}, "quorum"),
        ({"quorum": 1.01}, "quorum"),
        ({"quorum": float("nan")}, "quorum"),
        ({"quorum": Decimal("NaN")}, "quorum"),
        ({"method": "qualified"}, "requires a threshold"),
        ({"method": "qualified", "threshold": 0}, "threshold"),
        ({"method": "qualified", "threshold": -0.5}, "threshold"),
        ({"method": "qualified", "threshold": Fraction(3, 2)}, "threshold"),
        ({"ballots": [Ballot("a", "for", "inconnus")], "college_weights": SCIC}, "unknown college"),
        ({"ballots": [Ballot("a", "for")], "college_weights": SCIC}, "unknown college"),
        ({"college_weights": {"chercheurs": 0}}, "positive integer weight"),
        ({"college_weights": {"chercheurs": -3}}, "positive integer weight"),
        ({"college_weights": {"chercheurs": 1.5}}, "positive integer weight"),
    ],
)
def test_invalid_input_raises_value_error(kwargs: dict, message: str) -> None:
    arguments = {"method": "majority", "ballots": [], "electorate_size": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        decide(**arguments)


@pytest.mark.parametrize("bad", ["0.5", None, True])
def test_non_numeric_quorum_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        decide("majority", [], 10, quorum=bad)  # type: ignore[arg-type]


def test_block_is_accepted_under_consent_methods_only() -> None:
    for method in ("consent", "consensus"):
        assert decide(method, make_ballots(block=1), 1).reason == "blocked"


# --------------------------------------------------------------------------- majority judgment


def test_majority_judgment_clear_winner() -> None:
    grades = {
        "budget": ["poor", "fair", "poor"],  # sorted: fair, poor, poor -> median poor
        "atelier": ["excellent", "excellent", "good"],  # median excellent
        "charte": ["good", "fair", "good"],  # median good
    }
    assert majority_judgment(grades, SCALE) == ["atelier", "charte", "budget"]


def test_majority_judgment_even_count_uses_lower_middle_grade() -> None:
    # "polar": excellent, excellent, poor, poor -> middle grades excellent and poor; the lower is poor,
    # which 3 voters out of 4 grant (the upper one, excellent, only 2 out of 4 would).
    # "steady": good x4 -> good. With the upper middle grade polar would win instead.
    grades = {"polar": ["excellent", "poor", "excellent", "poor"], "steady": ["good"] * 4}
    assert majority_judgment(grades, SCALE) == ["steady", "polar"]


def test_majority_judgment_tie_broken_by_removing_majority_grades() -> None:
    # alpha sorted: excellent, good, good, poor  -> majority grade (index 2) good
    # zeta  sorted: good, good, good, fair       -> good: tied.
    # Remove one good from each: alpha excellent, good, poor -> good; zeta good, good, fair -> good: tied.
    # Remove again: alpha excellent, poor -> lower middle poor; zeta good, fair -> fair. zeta wins,
    # against alphabetical order.
    grades = {
        "alpha": ["good", "poor", "excellent", "good"],
        "zeta": ["fair", "good", "good", "good"],
    }
    assert majority_judgment(grades, SCALE) == ["zeta", "alpha"]


def test_majority_judgment_first_removal_can_settle_the_tie() -> None:
    # a: excellent, good, fair -> good; b: good, good, poor -> good: tied.
    # Remove good: a excellent, fair -> fair; b good, poor -> poor. a wins.
    grades = {"b": ["good", "poor", "good"], "a": ["fair", "excellent", "good"]}
    assert majority_judgment(grades, SCALE) == ["a", "b"]


def test_majority_judgment_missing_grades_count_as_worst() -> None:
    # "rare" was graded by 2 voters out of 5: excellent, excellent, poor, poor, poor -> poor.
    # Ignoring the missing grades would give it excellent and the win.
    grades = {"rare": ["excellent", "excellent"], "known": ["good"] * 5}
    assert majority_judgment(grades, SCALE) == ["known", "rare"]


def test_majority_judgment_identical_grades_sorted_by_name() -> None:
    grades = {"c": ["good", "fair"], "a": ["fair", "good"], "b": ["excellent", "excellent"]}
    assert majority_judgment(grades, SCALE) == ["b", "a", "c"]
    assert majority_judgment({"y": [], "x": []}, SCALE) == ["x", "y"]


def test_majority_judgment_empty() -> None:
    assert majority_judgment({}, SCALE) == []


def test_majority_judgment_rejects_unknown_grade() -> None:
    with pytest.raises(ValueError, match="'superb'"):
        majority_judgment({"a": ["good", "superb"]}, SCALE)


def test_majority_judgment_rejects_duplicate_scale() -> None:
    with pytest.raises(ValueError, match="twice"):
        majority_judgment({"a": ["good"]}, ["good", "fair", "good"])


# --------------------------------------------------------------------------- properties

COLLEGES = sorted(SCIC)
fractions_0_1 = st.fractions(min_value=0, max_value=1, max_denominator=12)
thresholds = st.fractions(min_value=0, max_value=1, max_denominator=12).filter(bool)
weights = st.dictionaries(st.sampled_from(COLLEGES), st.integers(1, 50), min_size=len(COLLEGES))


@st.composite
def scenarios(draw: st.DrawFn, methods: tuple[str, ...] = METHODS) -> dict:
    """Keyword arguments for a valid ``decide`` call."""
    method = draw(st.sampled_from(methods))
    choices = CHOICES if method in ("consent", "consensus") else ("for", "against", "abstain")
    specs = draw(st.lists(st.tuples(st.sampled_from(choices), st.sampled_from(COLLEGES)), max_size=25))
    ballots = [Ballot(f"v{i}", choice, college) for i, (choice, college) in enumerate(specs)]
    return {
        "method": method,
        "ballots": ballots,
        "electorate_size": len(ballots) + draw(st.integers(0, 10)),
        "quorum": draw(fractions_0_1),
        "threshold": draw(thresholds) if method == "qualified" else None,
        "college_weights": draw(st.none() | weights),
    }


@given(scenarios(), st.data())
def test_ballot_order_never_matters(kwargs: dict, data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(kwargs["ballots"]))
    assert decide(**kwargs) == decide(**kwargs | {"ballots": shuffled})


@given(scenarios())
def test_outcome_is_consistent(kwargs: dict) -> None:
    outcome = decide(**kwargs)
    assert isinstance(outcome, Outcome)
    assert outcome.reason in REASONS
    assert outcome.adopted == (outcome.reason == "adopted")
    assert sum(outcome.counts.values()) == len(kwargs["ballots"])
    assert outcome.adopted <= outcome.quorum_reached
    if outcome.share is not None:
        assert 0 <= outcome.share <= 1
        assert outcome.score == float(outcome.share)


@given(scenarios(methods=("majority", "qualified")), st.sampled_from(COLLEGES))
def test_an_extra_for_never_hurts(kwargs: dict, college: str) -> None:
    before = decide(**kwargs)
    # The newcomer joins the electorate, so participation can only rise.
    ballots = [*kwargs["ballots"], Ballot("newcomer", "for", college)]
    after = decide(**kwargs | {"ballots": ballots, "electorate_size": kwargs["electorate_size"] + 1})
    assert after.adopted >= before.adopted
    assert after.share >= (before.share or 0)


@given(scenarios(), st.sampled_from(COLLEGES))
def test_an_extra_abstention_changes_nothing_without_quorum(kwargs: dict, college: str) -> None:
    kwargs["quorum"] = 0
    before = decide(**kwargs)
    ballots = [*kwargs["ballots"], Ballot("newcomer", "abstain", college)]
    after = decide(**kwargs | {"ballots": ballots, "electorate_size": kwargs["electorate_size"] + 1})
    assert after.adopted == before.adopted
    assert after.share == before.share


@given(scenarios().filter(lambda kwargs: kwargs["college_weights"]), st.integers(2, 1000))
def test_scaling_all_weights_changes_nothing(kwargs: dict, factor: int) -> None:
    scaled = {college: factor * weight for college, weight in kwargs["college_weights"].items()}
    assert decide(**kwargs) == decide(**kwargs | {"college_weights": scaled})


@given(scenarios(), st.integers(1, 100))
def test_a_single_college_is_a_headcount(kwargs: dict, weight: int) -> None:
    ballots = [Ballot(ballot.voter, ballot.choice, "tous") for ballot in kwargs["ballots"]]
    headcount = decide(**kwargs | {"ballots": ballots, "college_weights": None})
    assert decide(**kwargs | {"ballots": ballots, "college_weights": {"tous": weight}}) == headcount


GRADE_SCALE = ["excellent", "very good", "good", "fair", "poor", "reject"]
grade_lists = st.lists(st.sampled_from(GRADE_SCALE), max_size=9)
polls = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), grade_lists, max_size=6)


@given(polls, st.data())
def test_majority_judgment_ranks_every_option_once_whatever_the_order(
    grades: dict[str, list[str]], data: st.DataObject
) -> None:
    ranking = majority_judgment(grades, GRADE_SCALE)
    assert sorted(ranking) == sorted(grades)
    reordered = {
        option: data.draw(st.permutations(grades[option]))
        for option in data.draw(st.permutations(list(grades)))
    }
    assert majority_judgment(reordered, GRADE_SCALE) == ranking


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=9),
    polls,
)
def test_a_dominating_option_is_never_ranked_below(
    pairs: list[tuple[int, int]], others: dict[str, list[str]]
) -> None:
    # Pair each of B's grades with one of A's that is at least as good (lower index is better).
    better = [GRADE_SCALE[min(i, j)] for i, j in pairs]
    worse = [GRADE_SCALE[max(i, j)] for i, j in pairs]
    assume(sorted(better) != sorted(worse))  # identical grades are tied and ordered by name
    grades = others | {"zz-dominant": better, "aa-dominated": worse}
    ranking = majority_judgment(grades, GRADE_SCALE)
    assert ranking.index("zz-dominant") < ranking.index("aa-dominated")


# --- One home for the rules the pages show -----------------------------------------------------------


def test_only_consent_and_consensus_allow_a_block() -> None:
    assert {method for method in METHODS if allows_block(method)} == {"consent", "consensus"}
    assert not allows_block("majority_judgment") and not allows_block("")


def test_majority_grade_is_the_lower_median_of_a_merit_profile() -> None:
    # 4 grades best first: excellent, excellent, poor, poor -> index 2 (the lower middle): poor.
    assert majority_grade({"excellent": 2, "poor": 2}, SCALE) == "poor"
    # 3 grades: excellent, good, fair -> index 1: good.
    assert majority_grade({"excellent": 1, "good": 1, "fair": 1}, SCALE) == "good"
    assert majority_grade({}, SCALE) is None
    assert majority_grade({"good": 0, "unknown": 5}, SCALE) is None  # grades outside the scale are ignored


@given(polls.filter(lambda grades: any(grades.values())))
def test_majority_grade_is_the_grade_majority_judgment_ranks_first_by(grades: dict[str, list[str]]) -> None:
    """The grade the pages show is the one the ranking sorts by first."""
    profiles = {option: {g: values.count(g) for g in GRADE_SCALE} for option, values in grades.items()}
    voters = max(len(values) for values in grades.values())
    # majority_judgment counts a missing grade as the worst: so does the profile the pages show.
    for option, values in grades.items():
        profiles[option][GRADE_SCALE[-1]] += voters - len(values)
    shown = {option: majority_grade(profile, GRADE_SCALE) for option, profile in profiles.items()}
    ranks = [GRADE_SCALE.index(shown[option]) for option in majority_judgment(grades, GRADE_SCALE)]
    assert ranks == sorted(ranks)  # the ranking never puts a worse majority grade above a better one
