"""Tests for studies.agreement: Cohen's kappa over characters, checked against hand computations.

Each worked example writes its 2×2 table and its kappa out by hand in the comments:

                  B = 1    B = 0
        A = 1      a11      a10
        A = 0      a01      a00

    p_o = (a11 + a00) / n        pA = (a11 + a10) / n        pB = (a11 + a01) / n
    p_e = pA·pB + (1 − pA)(1 − pB)                            κ = (p_o − p_e) / (1 − p_e)
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studies.agreement import (
    ObsData,
    agreement,
    character_table,
    intersection_length,
    kappa_from_table,
    landis_koch,
    merge_spans,
    observed_agreement,
)

A, B, C = 1, 2, 3  # coder ids
X, Y, Z = 10, 20, 30  # code ids


# --- kappa_from_table -------------------------------------------------------------------------------


def test_perfect_agreement_is_one():
    # a11=4 a10=0 a01=0 a00=6, n=10: p_o = 10/10 = 1; pA = pB = 4/10
    # p_e = 0.4·0.4 + 0.6·0.6 = 0.16 + 0.36 = 0.52; κ = (1 − 0.52) / (1 − 0.52) = 1
    assert kappa_from_table(4, 0, 0, 6) == 1


def test_total_disagreement_is_minus_one():
    # a11=0 a10=5 a01=5 a00=0, n=10: p_o = 0; pA = pB = 1/2
    # p_e = 1/4 + 1/4 = 1/2; κ = (0 − 1/2) / (1 − 1/2) = −1
    assert kappa_from_table(0, 5, 5, 0) == -1


def test_textbook_example():
    # a11=20 a10=5 a01=10 a00=15, n=50: p_o = 35/50 = 7/10; pA = 25/50 = 1/2; pB = 30/50 = 3/5
    # p_e = 1/2·3/5 + 1/2·2/5 = 3/10 + 2/10 = 1/2; κ = (7/10 − 1/2) / (1/2) = (1/5)·2 = 2/5
    kappa = kappa_from_table(20, 5, 10, 15)
    assert kappa == Fraction(2, 5)
    assert isinstance(kappa, Fraction)
    assert observed_agreement(20, 5, 10, 15) == Fraction(7, 10)


def test_a_second_hand_example_with_negative_kappa():
    # a11=1 a10=4 a01=4 a00=1, n=10: p_o = 2/10 = 1/5; pA = pB = 5/10 = 1/2
    # p_e = 1/4 + 1/4 = 1/2; κ = (1/5 − 1/2) / (1/2) = (−3/10)·2 = −3/5
    assert kappa_from_table(1, 4, 4, 1) == Fraction(-3, 5)


@pytest.mark.parametrize(
    "table",
    [
        (0, 0, 0, 10),  # nobody used the code: pA = pB = 0, p_e = 0·0 + 1·1 = 1 → 0/0
        (10, 0, 0, 0),  # both coded everything: pA = pB = 1, p_e = 1·1 + 0·0 = 1 → 0/0
        (0, 0, 0, 0),  # no unit at all
    ],
)
def test_undefined_kappa_is_none(table):
    assert kappa_from_table(*table) is None


def test_undefined_kappa_still_reports_raw_agreement():
    assert observed_agreement(0, 0, 0, 10) == 1
    assert observed_agreement(0, 0, 0, 0) is None


def test_one_coder_everything_the_other_nothing_is_zero_not_undefined():
    # a11=0 a10=10 a01=0 a00=0: pA = 1, pB = 0; p_e = 1·0 + 0·1 = 0; p_o = 0; κ = (0 − 0) / 1 = 0
    assert kappa_from_table(0, 10, 0, 0) == 0


# --- character_table and interval arithmetic ------------------------------------------------------


def test_character_table_of_the_textbook_example():
    # 50 characters; A codes [0, 25); B codes [0, 20) and [25, 35).
    # both: [0, 20) = 20; A only: [20, 25) = 5; B only: [25, 35) = 10; neither: [35, 50) = 15
    assert character_table(50, [(0, 25)], [(0, 20), (25, 35)]) == (20, 5, 10, 15)


def test_overlapping_spans_of_one_coder_count_once():
    # A: [0,4) ∪ [2,6) ∪ [6,8) = [0,8) (overlap and contact merged) → 8 characters, not 4+4+2 = 10
    # B: [0,8). Table over 10 characters: (8, 0, 0, 2)
    assert merge_spans([(6, 8), (0, 4), (2, 6)]) == [(0, 8)]
    assert character_table(10, [(0, 4), (2, 6), (6, 8)], [(0, 8)]) == (8, 0, 0, 2)
    # a span repeated (two excerpts on the same text) also counts once
    assert character_table(10, [(3, 5), (3, 5)], []) == (0, 2, 0, 8)


def test_spans_are_clipped_to_the_text():
    # A's span runs past the end of a 10-character text: only [8, 10) counts
    assert merge_spans([(8, 15), (-3, 1), (12, 20)], 10) == [(0, 1), (8, 10)]
    assert character_table(10, [(8, 15)], []) == (0, 2, 0, 8)


def test_intersection_of_many_spans():
    # [0,3) [5,9) [12,20) ∩ [2,6) [8,13) [19,25) = [2,3) [5,6) [8,9) [12,13) [19,20) → 5
    assert intersection_length([(0, 3), (5, 9), (12, 20)], [(2, 6), (8, 13), (19, 25)]) == 5


def test_character_table_does_not_walk_characters():
    # a billion-character text with two spans is instant: the cost follows the spans, not the length
    assert character_table(10**9, [(0, 10**8)], [(5 * 10**7, 2 * 10**8)]) == (
        5 * 10**7, 5 * 10**7, 10**8, 10**9 - 2 * 10**8
    )


# --- landis_koch -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kappa", "key"),
    [
        (None, "undefined"),
        (Fraction(-1, 100), "poor"),
        (0, "slight"),
        (Fraction(1, 5), "slight"),
        (Fraction(21, 100), "fair"),
        (Fraction(2, 5), "fair"),
        (Fraction(41, 100), "moderate"),
        (Fraction(3, 5), "moderate"),
        (Fraction(61, 100), "substantial"),
        (Fraction(4, 5), "substantial"),
        (Fraction(81, 100), "almost_perfect"),
        (1, "almost_perfect"),
        (0.4, "fair"),
        (Fraction(2049, 10000), "slight"),  # shown as 0.20
        (Fraction(205, 1000), "fair"),  # shown as 0.21 (half rounded up)
        (Fraction(-4, 1000), "slight"),  # shown as 0.00
        (Fraction(-5, 1000), "poor"),  # shown as -0.01
    ],
)
def test_landis_koch_bands(kappa, key):
    assert landis_koch(kappa)[0] == key
    assert str(landis_koch(kappa)[1])


# --- agreement() -----------------------------------------------------------------------------------


def obs(pk, length, *excerpts, title=None, collective="C-01"):
    return ObsData(id=pk, title=title or f"Observation {pk}", length=length, excerpts=list(excerpts),
                   collective=collective)


def test_report_per_code_and_pooled_overall():
    # One observation of 50 characters.
    # Code X: A [0,25); B [0,20) + [25,35) → (20, 5, 10, 15), κ = 2/5 (textbook example above).
    # Code Y: A [40,44); B [40,44) → (4, 0, 0, 46): p_o = 1 → κ = 1.
    # Pooled table = (24, 5, 10, 61), n = 100: p_o = 85/100; pA = 29/100; pB = 34/100
    #   p_e = 0.29·0.34 + 0.71·0.66 = 0.0986 + 0.4686 = 0.5672
    #   κ = (0.85 − 0.5672) / (1 − 0.5672) = 0.2828 / 0.4328 = 2828/4328 = 707/1082 ≈ 0.653
    # (not the mean of 2/5 and 1, which would be 0.7)
    data = [
        obs(1, 50, (A, 0, 25, [X]), (B, 0, 20, [X]), (B, 25, 35, [X]), (A, 40, 44, [Y]), (B, 40, 44, [Y]))
    ]
    report = agreement(data, A, B, [X, Y, Z])
    assert report.observations == 1 and report.characters == 50
    rows = {row.code_id: row for row in report.codes}
    assert rows[X].table == (20, 5, 10, 15) and rows[X].kappa == Fraction(2, 5)
    assert (rows[X].coded_by_a, rows[X].coded_by_b, rows[X].coded_by_both) == (25, 30, 20)
    assert rows[Y].table == (4, 0, 0, 46) and rows[Y].kappa == 1
    assert report.table == (24, 5, 10, 61)
    assert report.kappa == Fraction(707, 1082)
    assert report.observed == Fraction(85, 100)
    assert report.kappa_float == pytest.approx(0.6534, abs=1e-4)
    assert report.band[0] == "substantial"
    # Z was used by neither: left out, so that it does not inflate the pooled table
    assert report.unused_codes == (Z,)
    assert [row.code_id for row in report.codes] == [X, Y]


def test_tables_add_up_over_observations():
    # Obs 1 (10 chars): X: A [0,5), B [0,5) → (5, 0, 0, 5)
    # Obs 2 (10 chars): A and B only coded Y there; X absent → (0, 0, 0, 10) for X
    #   Y: A [0,10), B [0,5) → (5, 5, 0, 0)
    # X total = (5, 0, 0, 15): p_o = 1 → κ = 1
    # Y total: obs 1 (0, 0, 0, 10) + obs 2 (5, 5, 0, 0) = (5, 5, 0, 10), n = 20
    #   p_o = 15/20 = 3/4; pA = 10/20 = 1/2; pB = 5/20 = 1/4; p_e = 1/8 + 3/8 = 1/2
    #   κ = (3/4 − 1/2) / (1/2) = 1/2
    data = [
        obs(1, 10, (A, 0, 5, [X]), (B, 0, 5, [X])),
        obs(2, 10, (A, 0, 10, [Y]), (B, 0, 5, [Y])),
    ]
    report = agreement(data, A, B, [X, Y])
    rows = {row.code_id: row for row in report.codes}
    assert rows[X].table == (5, 0, 0, 15) and rows[X].kappa == 1
    assert rows[Y].table == (5, 5, 0, 10) and rows[Y].kappa == Fraction(1, 2)


def test_spans_never_cross_observation_boundaries():
    # Obs 1 has 10 characters; A's excerpt claims [8, 15): only [8, 10) of obs 1 counts.
    # Obs 2: B codes [0, 5). Laid end to end, A's [8,15) would overlap B's [10,15): it must not.
    # X over obs 1: A 2 chars, B 0 → (0, 2, 0, 8); over obs 2: A 0, B 5 → (0, 0, 5, 5)
    # total (0, 2, 5, 13), n = 20: p_o = 13/20; pA = 2/20; pB = 5/20
    #   p_e = 1/10·1/4 + 9/10·3/4 = 1/40 + 27/40 = 28/40 = 7/10
    #   κ = (13/20 − 14/20) / (3/10) = (−1/20)·(10/3) = −1/6
    data = [
        obs(1, 10, (A, 8, 15, [X]), (B, 0, 1, [])),
        obs(2, 10, (A, 0, 1, []), (B, 0, 5, [X])),
    ]
    report = agreement(data, A, B, [X])
    assert report.codes[0].table == (0, 2, 5, 13)
    assert report.kappa == Fraction(-1, 6)


def test_only_observations_both_coded_count():
    # Obs 2 coded by A only, obs 3 by B only, obs 4 by a third coder only: all left out.
    data = [
        obs(1, 10, (A, 0, 5, [X]), (B, 0, 5, [X])),
        obs(2, 10, (A, 0, 10, [X])),
        obs(3, 10, (B, 0, 10, [X])),
        obs(4, 10, (C, 0, 10, [X])),
    ]
    report = agreement(data, A, B, [X])
    assert report.observations == 1 and report.characters == 10
    assert report.codes[0].table == (5, 0, 0, 5)


def test_an_excerpt_without_codes_still_makes_the_observation_coded():
    # B coded obs 1 with an excerpt carrying no code: the observation is compared, and A's X
    # there is a disagreement: (0, 4, 0, 6); pA = 2/5, pB = 0; p_e = 0 + 3/5·1 = 3/5; p_o = 3/5 → κ = 0
    data = [obs(1, 10, (A, 0, 4, [X]), (B, 5, 6, []))]
    report = agreement(data, A, B, [X])
    assert report.observations == 1
    assert report.codes[0].table == (0, 4, 0, 6)
    assert report.kappa == 0


def test_third_coders_and_foreign_codes_are_ignored():
    data = [obs(1, 10, (A, 0, 5, [X, 99]), (B, 0, 5, [X]), (C, 5, 10, [X]))]
    report = agreement(data, A, B, [X])
    assert [row.code_id for row in report.codes] == [X]
    assert report.codes[0].table == (5, 0, 0, 5)


def test_undefined_everywhere_gives_none():
    # Both coded obs 1, but with codes outside the list: every considered table is empty.
    data = [obs(1, 10, (A, 0, 5, [99]), (B, 0, 5, [99]))]
    report = agreement(data, A, B, [X])
    assert report.observations == 1
    assert report.codes == () and report.unused_codes == (X,)
    assert report.kappa is None and report.observed is None and report.band[0] == "undefined"


def test_same_coder_twice_compares_nothing():
    data = [obs(1, 10, (A, 0, 5, [X]))]
    report = agreement(data, A, A, [X])
    assert report.observations == 0 and report.kappa is None


def test_disagreement_scores_and_order():
    # Codes considered: X and Y (both used somewhere).
    # Obs 1 (10 chars): X: A [0,4), B [2,6) → differ on [0,2) and [4,6) = 4
    #                   Y: A [0,10), B nothing → differ on 10
    #   score = (4 + 10) / (10 × 2) = 14/20 = 7/10; per code: Y 10 (10/10), then X 4 (4/10)
    # Obs 2 (20 chars): X identical for both → score 0: not listed
    # Obs 3 (4 chars): X: A [0,1), B [0,1) → 0; Y: B [0,1), A nothing → 1; score 1 / (4 × 2) = 1/8
    data = [
        obs(3, 4, (A, 0, 1, [X]), (B, 0, 1, [X]), (B, 0, 1, [Y]), collective="C-03"),
        obs(2, 20, (A, 0, 20, [X]), (B, 0, 20, [X])),
        obs(1, 10, (A, 0, 4, [X]), (A, 0, 10, [Y]), (B, 2, 6, [X]), title="La réunion", collective="C-07"),
    ]
    report = agreement(data, A, B, [X, Y])
    assert [item.id for item in report.disagreements] == [1, 3]
    first, second = report.disagreements
    assert (first.title, first.collective, first.characters, first.score) == ("La réunion", "C-07", 14,
                                                                               Fraction(7, 10))
    assert [(part.code_id, part.characters, part.share) for part in first.per_code] == [
        (Y, 10, 1), (X, 4, Fraction(2, 5))
    ]
    assert second.score == Fraction(1, 8) and second.score_percent == 12.5
    assert [(part.code_id, part.characters) for part in second.per_code] == [(Y, 1)]


def test_only_the_top_ten_disagreements_are_listed():
    # Observation k (length 10) has A coding [0, k) with X and B nothing else: k differing characters.
    data = [obs(k, 10, (A, 0, k, [X]), (B, 9, 10, [])) for k in range(1, 11)]
    data += [obs(11, 10, (A, 0, 10, [X]), (B, 0, 1, [X])), obs(12, 10, (A, 0, 10, [X]), (B, 0, 2, [X]))]
    report = agreement(data, A, B, [X])
    # differences: obs k ≤ 10 → k; obs 11 → 9; obs 12 → 8. Top ten: 10, then 9 (ties by id: 9, 11),
    # 8 (8, 12), 7, 6, 5, 4, 3
    assert [item.id for item in report.disagreements] == [10, 9, 11, 8, 12, 7, 6, 5, 4, 3]


# --- Properties ------------------------------------------------------------------------------------

lengths = st.integers(min_value=0, max_value=60)


@st.composite
def text_and_spans(draw):
    length = draw(lengths)

    def spans():
        if length == 0:
            return st.just([])
        return st.lists(
            st.tuples(st.integers(0, length - 1), st.integers(1, length)).filter(lambda s: s[0] < s[1]),
            max_size=6,
        )

    return length, draw(spans()), draw(spans())


def brute_force(length, spans_a, spans_b):
    """The definition, character by character (only for these tiny property tests)."""
    in_a = {i for start, end in spans_a for i in range(start, end)}
    in_b = {i for start, end in spans_b for i in range(start, end)}
    cells = [0, 0, 0, 0]
    for i in range(length):
        cells[(0 if i in in_a else 2) + (0 if i in in_b else 1)] += 1
    return tuple(cells)


@given(text_and_spans())
def test_character_table_matches_the_definition(case):
    length, spans_a, spans_b = case
    table = character_table(length, spans_a, spans_b)
    assert table == brute_force(length, spans_a, spans_b)
    assert sum(table) == length and min(table) >= 0


@given(text_and_spans())
def test_kappa_is_symmetric_in_the_coders(case):
    length, spans_a, spans_b = case
    assert kappa_from_table(*character_table(length, spans_a, spans_b)) == kappa_from_table(
        *character_table(length, spans_b, spans_a)
    )


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_kappa_is_between_minus_one_and_one(a11, a10, a01, a00):
    kappa = kappa_from_table(a11, a10, a01, a00)
    if kappa is not None:
        assert -1 <= kappa <= 1
        assert kappa == kappa_from_table(a11, a01, a10, a00)  # transposing the table changes nothing
        if a10 == a01 == 0:
            assert kappa == 1


@given(text_and_spans())
def test_identical_spans_give_one_unless_undefined(case):
    length, spans, _other = case
    kappa = kappa_from_table(*character_table(length, spans, list(reversed(spans))))
    assert kappa in (1, None)
    if kappa is None:  # only when the code covers nothing or everything
        assert sum(e - s for s, e in merge_spans(spans, length)) in (0, length)


@given(st.lists(text_and_spans(), min_size=1, max_size=5))
def test_report_is_symmetric_and_consistent(cases):
    data = [
        obs(pk, length, (A, 0, 1, []), (B, 0, 1, []),
            *[(A, s, e, [X]) for s, e in spans_a], *[(B, s, e, [Y if pk % 2 else X]) for s, e in spans_b])
        for pk, (length, spans_a, spans_b) in enumerate(cases, start=1)
    ]
    forward, backward = agreement(data, A, B, [X, Y]), agreement(data, B, A, [X, Y])
    assert forward.kappa == backward.kappa
    assert [row.kappa for row in forward.codes] == [row.kappa for row in backward.codes]
    assert [item.id for item in forward.disagreements] == [item.id for item in backward.disagreements]
    assert forward.characters == sum(length for length, _a, _b in cases)
    for row in forward.codes:
        assert sum(row.table) == forward.characters
    assert sum(forward.table) == forward.characters * len(forward.codes)
