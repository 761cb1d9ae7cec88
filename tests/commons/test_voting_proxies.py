"""Proxies resolved into ballots before the tally (`commons.voting.resolve_proxies`), pure.

The property the issue asks for: a ballot cast by proxy weighs exactly like the member's own, under
every method, quorum, threshold and college weighting; and a member who votes themselves is counted
once, with their own choice.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commons.voting import Ballot, ProxyBallot, decide, resolve_proxies

from .test_voting import COLLEGES, scenarios


@st.composite
def with_proxies(draw: st.DrawFn) -> tuple[dict, set[int]]:
    """A `decide` scenario, and which of its ballots were cast by proxy (by another voter of the same
    college, the holder being `h<i>`: holders carry at most one proxy here)."""
    kwargs = draw(scenarios())
    indexes = draw(st.sets(st.integers(0, max(len(kwargs["ballots"]) - 1, 0))))
    return kwargs, {i for i in indexes if i < len(kwargs["ballots"])}


def _split(ballots: list[Ballot], by_proxy: set[int]) -> tuple[list[Ballot], list[ProxyBallot]]:
    own = [b for i, b in enumerate(ballots) if i not in by_proxy]
    proxies = [
        ProxyBallot(
            voter=b.voter, holder=f"h{i}", choice=b.choice, college=b.college, holder_college=b.college
        )
        for i, b in enumerate(ballots)
        if i in by_proxy
    ]
    return own, proxies


@given(with_proxies())
def test_a_proxy_ballot_weighs_exactly_like_the_members_own(scenario) -> None:
    kwargs, by_proxy = scenario
    own, proxies = _split(kwargs["ballots"], by_proxy)
    resolved = resolve_proxies(own, proxies, max_per_holder=1)
    assert sorted(resolved, key=lambda b: b.voter) == sorted(kwargs["ballots"], key=lambda b: b.voter)
    assert decide(**kwargs | {"ballots": resolved}) == decide(**kwargs)


@given(scenarios(), st.data())
def test_a_member_who_votes_themselves_is_counted_once_with_their_own_choice(kwargs, data) -> None:
    """Proxy ballots for members who also voted are dropped: the outcome is that of the own ballots."""
    ballots = kwargs["ballots"]
    overridden = data.draw(st.sets(st.sampled_from([b.voter for b in ballots]))) if ballots else set()
    proxies = [
        ProxyBallot(
            voter=b.voter,
            holder=f"h-{b.voter}",
            choice="abstain",
            college=b.college,
            holder_college=b.college,
        )
        for b in ballots
        if b.voter in overridden
    ]
    resolved = resolve_proxies(ballots, proxies, max_per_holder=1)
    assert len(resolved) == len(ballots)
    assert decide(**kwargs | {"ballots": resolved}) == decide(**kwargs)


def test_refusals_a_proxy_across_colleges_to_oneself_twice_or_over_the_limit() -> None:
    a, b = COLLEGES[:2]
    with pytest.raises(ValueError, match="outside their college"):
        resolve_proxies([], [ProxyBallot("v1", "v2", "for", a, b)])
    with pytest.raises(ValueError, match="their own proxy"):
        resolve_proxies([], [ProxyBallot("v1", "v1", "for", a, a)])
    with pytest.raises(ValueError, match="represented twice"):
        resolve_proxies([], [ProxyBallot("v1", "v2", "for", a, a), ProxyBallot("v1", "v3", "for", a, a)])
    with pytest.raises(ValueError, match="more than 1"):
        resolve_proxies([], [ProxyBallot("v1", "v3", "for", a, a), ProxyBallot("v2", "v3", "for", a, a)], 1)
    two = resolve_proxies([], [ProxyBallot("v1", "v3", "for", a, a), ProxyBallot("v2", "v3", "for", a, a)], 2)
    assert [ballot.voter for ballot in two] == ["v1", "v2"]
