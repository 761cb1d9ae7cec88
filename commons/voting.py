"""Decision rules for commons-governed assemblies (pure Python, no Django).

A Bureau d'Études en Communs takes decisions in assemblies whose rules vary: simple majority,
qualified majority, consent (sociocracy: adopted unless someone blocks) or consensus (nobody
against). Cooperative societies (SCIC) also weigh *colleges* of members (researchers,
partner structures, volunteers...) so that the most numerous college cannot outvote the others.

Why this module is pure and uses :class:`fractions.Fraction` everywhere:

* Decisions are legally binding, so boundaries must be exact. With floats, ``6 / 9 >= 2 / 3``
  and ``3 / 10 >= 0.1 * 3`` can flip on rounding; with fractions, "exactly at the threshold"
  always means what the statutes say.
* Keeping the rules free of the ORM lets them be tested exhaustively (property-based tests) and
  reused by views, management commands and exports alike.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "CHOICES",
    "METHODS",
    "REASONS",
    "Ballot",
    "Outcome",
    "ProxyBallot",
    "allows_block",
    "decide",
    "majority_grade",
    "majority_judgment",
    "resolve_proxies",
]

FOR = "for"
AGAINST = "against"
ABSTAIN = "abstain"
BLOCK = "block"
#: Every ballot choice; ``counts`` in an :class:`Outcome` always has exactly these keys.
CHOICES: tuple[str, ...] = (FOR, AGAINST, ABSTAIN, BLOCK)

MAJORITY = "majority"
QUALIFIED = "qualified"
CONSENT = "consent"
CONSENSUS = "consensus"
METHODS: tuple[str, ...] = (MAJORITY, QUALIFIED, CONSENT, CONSENSUS)
#: A block is a principled objection, a notion that only exists in consent-based methods.
_METHODS_WITH_BLOCK = frozenset({CONSENT, CONSENSUS})

REASON_ADOPTED = "adopted"
REASON_NO_QUORUM = "no_quorum"
REASON_NO_EXPRESSED = "no_expressed"
REASON_SHARE_TOO_LOW = "share_too_low"
REASON_BLOCKED = "blocked"
REASON_OPPOSED = "opposed"
REASONS: tuple[str, ...] = (
    REASON_ADOPTED,
    REASON_NO_QUORUM,
    REASON_NO_EXPRESSED,
    REASON_SHARE_TOO_LOW,
    REASON_BLOCKED,
    REASON_OPPOSED,
)

_HALF = Fraction(1, 2)
#: Floats typed in a form (0.6666666666666666, 0.1 * 3) are meant as simple ratios; snapping them
#: to the nearest fraction with a small denominator recovers the ratio the user had in mind.
_MAX_DENOMINATOR = 10**6

Rational = int | float | Fraction | Decimal


@dataclass(frozen=True)
class Ballot:
    """One member's vote. ``college`` only matters when the decision weighs colleges."""

    voter: str
    choice: str
    college: str | None = None


@dataclass(frozen=True)
class ProxyBallot:
    """A ballot cast by ``holder`` for the member ``voter``, who gave them a proxy.

    ``college`` is the represented member's; a proxy only passes within one college.
    """

    voter: str
    holder: str
    choice: str
    college: str | None = None
    holder_college: str | None = None


@dataclass(frozen=True)
class Outcome:
    """Result of :func:`decide`.

    ``share`` is the exact (possibly college-weighted) proportion of ``for`` among expressed
    ballots; ``score`` is the same value as a float for display. Both are ``None`` when nobody
    expressed ``for`` or ``against``. ``reason`` is one of :data:`REASONS`, the first rule that
    decided the outcome (quorum is checked first).
    """

    method: str
    adopted: bool
    quorum_reached: bool
    # Excluded from the hash so an Outcome stays hashable despite holding a dict.
    counts: dict[str, int] = field(hash=False)
    score: float | None
    share: Fraction | None
    participation: Fraction
    reason: str


def decide(
    method: str,
    ballots: Sequence[Ballot],
    electorate_size: int,
    quorum: Rational = 0.0,
    threshold: Rational | None = None,
    college_weights: Mapping[str, int] | None = None,
) -> Outcome:
    """Apply the decision ``method`` to ``ballots`` cast by an electorate of ``electorate_size``.

    ``quorum`` is the minimal participation (ballots cast, abstentions and blocks included, over
    the electorate). ``threshold`` is the minimal share of ``for`` required by ``qualified``.
    Both accept int, float, Fraction or Decimal. ``college_weights`` maps each college to its
    positive integer weight; when given, the share of ``for`` is computed per college and
    averaged by weight.

    Raises ValueError on any inconsistent input rather than guessing: a wrong tally of a binding
    vote is worse than an error page.
    """
    _check_method(method)
    _check_electorate(electorate_size, len(ballots))
    _check_ballots(method, ballots)
    quorum_f = _ratio(quorum, "quorum")
    if not 0 <= quorum_f <= 1:
        raise ValueError(f"quorum must be between 0 and 1, got {quorum!r}")
    threshold_f = _check_threshold(method, threshold)
    if college_weights is not None:
        _check_colleges(ballots, college_weights)

    counts = _count(ballots)
    participation = Fraction(len(ballots), electorate_size) if electorate_size else Fraction(0)
    quorum_reached = participation >= quorum_f
    if college_weights is None:
        share = _headcount_share(counts)
    else:
        share = _weighted_share(ballots, college_weights)
    reason = _reason(method, quorum_reached, counts, share, threshold_f)
    return Outcome(
        method=method,
        adopted=reason == REASON_ADOPTED,
        quorum_reached=quorum_reached,
        counts=counts,
        score=None if share is None else float(share),
        share=share,
        participation=participation,
        reason=reason,
    )


def resolve_proxies(
    own: Sequence[Ballot], by_proxy: Sequence[ProxyBallot], max_per_holder: int | None = None
) -> list[Ballot]:
    """The ballots to tally once proxies are resolved: each member once, under their own college.

    A member's own ballot cancels their proxy for the vote (the proxy ballot is dropped); a proxy
    ballot becomes the represented member's ballot, so it weighs exactly like their own (same
    voter, same college). Raises ValueError, like :func:`decide`, on what no vote may hold: a
    member represented twice, a proxy across colleges or to oneself, a holder over the limit.
    """
    voters = {ballot.voter for ballot in own}
    resolved = list(own)
    represented: set[str] = set()
    carried: Counter[str] = Counter()
    for ballot in by_proxy:
        if ballot.holder == ballot.voter:
            raise ValueError(f"{ballot.voter!r} cannot hold their own proxy")
        if ballot.college != ballot.holder_college:
            raise ValueError(f"proxy of {ballot.voter!r} held outside their college")
        if ballot.voter in represented:
            raise ValueError(f"{ballot.voter!r} is represented twice")
        represented.add(ballot.voter)
        if ballot.voter in voters:
            continue  # the member voted themselves: their proxy is cancelled for this vote
        carried[ballot.holder] += 1
        if max_per_holder is not None and carried[ballot.holder] > max_per_holder:
            raise ValueError(f"{ballot.holder!r} carries more than {max_per_holder} proxies")
        resolved.append(Ballot(voter=ballot.voter, choice=ballot.choice, college=ballot.college))
    return resolved


def _ratio(value: object, name: str) -> Fraction:
    """Convert a user-supplied ratio to an exact Fraction (see ``_MAX_DENOMINATOR`` for floats)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Rational, float, Decimal)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return Fraction(value).limit_denominator(_MAX_DENOMINATOR)
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value!r}")
    return Fraction(value)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def _check_electorate(electorate_size: int, ballot_count: int) -> None:
    """The electorate bounds the ballots: more ballots than voters means a stuffed ballot box."""
    if isinstance(electorate_size, bool) or not isinstance(electorate_size, int):
        raise TypeError("electorate_size must be an int")
    if electorate_size < 0:
        raise ValueError(f"electorate_size must be >= 0, got {electorate_size}")
    if electorate_size < ballot_count:
        raise ValueError(f"{ballot_count} ballots for an electorate of {electorate_size}")


def _check_ballots(method: str, ballots: Sequence[Ballot]) -> None:
    seen: set[str] = set()
    for ballot in ballots:
        if ballot.choice not in CHOICES:
            raise ValueError(f"unknown choice {ballot.choice!r}; expected one of {', '.join(CHOICES)}")
        if ballot.choice == BLOCK and not allows_block(method):
            raise ValueError(f"'block' is only allowed under consent or consensus, not {method!r}")
        if ballot.voter in seen:
            raise ValueError(f"one ballot per voter: {ballot.voter!r} voted twice")
        seen.add(ballot.voter)


def _check_threshold(method: str, threshold: Rational | None) -> Fraction | None:
    """Validate ``threshold``; it is mandatory for ``qualified`` and unused by other methods."""
    if threshold is None:
        if method == QUALIFIED:
            raise ValueError("the qualified method requires a threshold")
        return None
    threshold_f = _ratio(threshold, "threshold")
    # A zero threshold would adopt a text nobody supports; above 1 nothing could ever pass.
    if not 0 < threshold_f <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    return threshold_f


def _check_colleges(ballots: Sequence[Ballot], college_weights: Mapping[str, int]) -> None:
    for college, weight in college_weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or weight <= 0:
            raise ValueError(f"college {college!r} must have a positive integer weight, got {weight!r}")
    for ballot in ballots:
        if ballot.college not in college_weights:
            raise ValueError(f"ballot of {ballot.voter!r} has unknown college {ballot.college!r}")


def _count(ballots: Sequence[Ballot]) -> dict[str, int]:
    tally = Counter(ballot.choice for ballot in ballots)
    return {choice: tally[choice] for choice in CHOICES}


def _headcount_share(counts: Mapping[str, int]) -> Fraction | None:
    """Share of ``for`` among expressed ballots; abstentions and blocks express no preference."""
    expressed = counts[FOR] + counts[AGAINST]
    return Fraction(counts[FOR], expressed) if expressed else None


def _weighted_share(ballots: Sequence[Ballot], college_weights: Mapping[str, int]) -> Fraction | None:
    """Weighted mean of each college's share.

    A college where nobody expressed a preference drops out and the others are renormalised:
    counting it as 0 % would turn its abstention into a vote against.
    """
    per_college: dict[str, Counter[str]] = {}
    for ballot in ballots:
        per_college.setdefault(ballot.college, Counter())[ballot.choice] += 1  # type: ignore[index]
    total = Fraction(0)
    total_weight = 0
    for college, tally in per_college.items():
        share = _headcount_share(tally)
        if share is not None:
            weight = college_weights[college]
            total += weight * share
            total_weight += weight
    return total / total_weight if total_weight else None


def _reason(
    method: str,
    quorum_reached: bool,
    counts: Mapping[str, int],
    share: Fraction | None,
    threshold: Fraction | None,
) -> str:
    """Return the reason code that settles the decision; ``"adopted"`` when it passes."""
    if not quorum_reached:
        return REASON_NO_QUORUM
    if allows_block(method):
        # Consent-based methods ignore weights on purpose: one objection anywhere is enough.
        if counts[BLOCK]:
            return REASON_BLOCKED
        if method == CONSENSUS and counts[AGAINST]:
            return REASON_OPPOSED
        return REASON_ADOPTED
    if share is None:
        return REASON_NO_EXPRESSED
    passes = share > _HALF if method == MAJORITY else share >= threshold  # type: ignore[operator]
    return REASON_ADOPTED if passes else REASON_SHARE_TOO_LOW


def allows_block(method: str) -> bool:
    """Whether a ballot may block under `method`: consent and consensus only.

    The one statement of the rule: the ballot form offers « block » by it, the actions refuse a
    block by it, and the proposal page and the register show a block column by it.
    """
    return method in _METHODS_WITH_BLOCK


def majority_grade(distribution: Mapping[str, int], scale: Sequence[str]) -> str | None:
    """The majority grade of one option's merit profile ``{grade: count}``, or None if ungraded.

    The lower median grade (best first, index n // 2), the same grade :func:`majority_judgment`
    ranks by: the register, the proposal page and the CSV show it from the recorded counts, so it
    is computed here, once. Grades outside `scale` are ignored.
    """
    counts = [max(int(distribution.get(grade, 0) or 0), 0) for grade in scale]
    total = sum(counts)
    if not total:
        return None
    seen = 0
    for grade, count in zip(scale, counts, strict=True):
        seen += count
        if seen > total // 2:
            return grade
    raise AssertionError("unreachable")  # pragma: no cover


def majority_judgment(grades: Mapping[str, Sequence[str]], scale: Sequence[str]) -> list[str]:
    """Rank options best first by majority judgment (Balinski & Laraki).

    Each option's *majority grade* is its median grade; with an even number of grades we take the
    lower (worse) middle grade, because the majority grade must be one that a majority of voters
    judges the option to deserve *at least*: with 4 grades, 3 voters grant the worse middle one.
    Ties are broken by removing one majority grade from each tied option and comparing again;
    this amounts to comparing the options' full "majority value" sequences lexicographically.

    An option graded by fewer voters than the most-graded option gets the worst grade for each
    missing judgment, so that not being evaluated is never an advantage. Options whose grades are
    identical can never be separated and are ordered by name, to keep the result deterministic.
    """
    rank = _scale_ranks(scale)
    if not grades:
        return []
    voters = max(len(given) for given in grades.values())
    worst = len(scale) - 1

    def key(option: str) -> tuple[tuple[int, ...], str]:
        given = grades[option]
        ranks = [_grade_rank(rank, grade, option) for grade in given]
        ranks += [worst] * (voters - len(ranks))
        return _majority_value(ranks), option

    return sorted(grades, key=key)


def _scale_ranks(scale: Sequence[str]) -> dict[str, int]:
    """Map each grade to its rank, 0 being the best."""
    rank = {grade: index for index, grade in enumerate(scale)}
    if len(rank) != len(scale):
        raise ValueError("the grading scale lists a grade twice")
    return rank


def _grade_rank(rank: Mapping[str, int], grade: str, option: str) -> int:
    try:
        return rank[grade]
    except KeyError:
        raise ValueError(f"grade {grade!r} given to {option!r} is not in the scale") from None


def _majority_value(ranks: Sequence[int]) -> tuple[int, ...]:
    """Successive majority grades (as ranks, lower is better) obtained by removing each in turn.

    In a best-first sorted list of n grades, index n // 2 is the median for odd n and the worse
    of the two middle grades for even n, hence a single formula.
    """
    remaining = sorted(ranks)
    sequence = []
    while remaining:
        sequence.append(remaining.pop(len(remaining) // 2))
    return tuple(sequence)
