"""Krippendorff's alpha (nominal) in `studies.agreement.alpha`: against the `krippendorff` package on
seeded random data with 2 to 5 coders, and on examples computed by hand."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest

krippendorff = pytest.importorskip("krippendorff")

from studies.agreement import ObsData, agreement, alpha  # noqa: E402


def reliability_matrix(sources: list[ObsData], coders: list[int], codes: list[int]) -> np.ndarray:
    """Coders × units, one unit per (code, character of a source at least two coders coded), NaN = no rating."""
    columns = []
    used = {c for s in sources for coder, _s, _e, cs in s.excerpts if coder in coders for c in cs if c in codes}
    for code in [c for c in codes if c in used]:
        for source in sources:
            raters = {coder for coder, *_rest in source.excerpts if coder in coders}
            if len(raters) < 2:
                continue
            for position in range(source.length):
                column = []
                for coder in coders:
                    if coder not in raters:
                        column.append(np.nan)
                    else:
                        inside = any(c == coder and s <= position < e and code in cs
                                     for c, s, e, cs in source.excerpts)
                        column.append(1.0 if inside else 0.0)
                columns.append(column)
    return np.array(columns, dtype=float).T


def random_sources(rng: random.Random, coders: list[int], codes: list[int]) -> list[ObsData]:
    sources = []
    for index in range(rng.randint(2, 6)):
        length = rng.randint(5, 30)
        excerpts = []
        for coder in coders:
            if rng.random() < 0.25:
                continue  # this coder did not code this source: no rating there
            for _ in range(rng.randint(1, 3)):
                start = rng.randrange(0, length)
                end = rng.randint(start + 1, length)
                excerpts.append((coder, start, end, rng.sample(codes, rng.randint(0, len(codes)))))
        sources.append(ObsData(id=index, title=f"s{index}", length=length, excerpts=excerpts))
    return sources


@pytest.mark.parametrize("seed", range(40))
def test_alpha_equals_the_krippendorff_package(seed):
    rng = random.Random(seed)
    coders = list(range(1, rng.randint(2, 5) + 1))
    codes = [10, 11, 12]
    sources = random_sources(rng, coders, codes)
    report = alpha(sources, coders, codes)
    for code in codes:
        data = reliability_matrix(sources, coders, [code])
        ours = report.codes.get(code)
        if data.size == 0 or code in report.unused_codes:
            assert ours is None
            continue
        values = data[~np.isnan(data)]
        if len(set(values)) < 2:
            assert ours is None
            continue
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert ours is not None and math.isclose(float(ours), expected, rel_tol=1e-9, abs_tol=1e-12), (code, ours, expected)
    pooled = reliability_matrix(sources, coders, codes)
    if report.pooled is not None:
        expected = krippendorff.alpha(reliability_data=pooled, level_of_measurement="nominal")
        assert math.isclose(float(report.pooled), expected, rel_tol=1e-9, abs_tol=1e-12)
    assert isinstance(report.pooled, Fraction | None)


def test_perfect_agreement_is_one_and_a_code_nobody_used_is_undefined():
    source = ObsData(1, "a", 10, [(1, 0, 4, [7]), (2, 0, 4, [7]), (3, 0, 4, [7])])
    report = alpha([source], [1, 2, 3], [7, 8])
    assert report.codes == {7: 1} and report.pooled == 1 and report.unused_codes == (8,)
    assert (report.sources, report.characters) == (1, 10)


def test_hand_computed_two_coders():
    # 4 characters: A codes [0,2), B codes [1,3). Ratings per character (A, B): (1,0) (1,1) (0,1) (0,0).
    # Coincidences: o01 = 2 units × 1·1/1 = 2; n1 = 4, n0 = 4, n = 8: alpha = 1 − 7·2/16 = 1/8.
    source = ObsData(1, "a", 4, [(1, 0, 2, [5]), (2, 1, 3, [5])])
    assert alpha([source], [1, 2], [5]).codes[5] == Fraction(1, 8)


def test_hand_computed_three_coders_with_a_missing_rater():
    # Source 1 (3 characters) coded by 1, 2, 3: coder 1 codes [0,3), coder 2 [0,3), coder 3 nothing.
    #   each character: m=3, k=2 → o01 += 2·1/2 = 1 per character → 3; n1 = 6, n0 = 3.
    # Source 2 (2 characters) coded by 1 and 2 only (coder 3 absent): both code [0,1).
    #   character 0: m=2, k=2; character 1: m=2, k=0 → o01 += 0; n1 = 2, n0 = 2.
    # Totals: o01 = 3, n1 = 8, n0 = 5, n = 13 → alpha = 1 − 12·3/40 = 1/10.
    first = ObsData(1, "a", 3, [(1, 0, 3, [5]), (2, 0, 3, [5]), (3, 0, 1, [])])
    second = ObsData(2, "b", 2, [(1, 0, 1, [5]), (2, 0, 1, [5])])
    report = alpha([first, second], [1, 2, 3], [5])
    assert report.codes[5] == Fraction(1, 10) and report.sources == 2


def test_a_source_coded_by_one_coder_has_no_unit():
    alone = ObsData(1, "a", 50, [(1, 0, 50, [5])])
    pair = ObsData(2, "b", 4, [(1, 0, 2, [5]), (2, 1, 3, [5])])
    assert alpha([alone, pair], [1, 2], [5]).codes[5] == Fraction(1, 8)
    assert alpha([alone], [1, 2], [5]).pooled is None


def test_two_coders_alpha_is_close_to_kappa_on_the_same_units():
    rng = random.Random(3)
    sources = random_sources(rng, [1, 2], [10, 11])
    report = alpha(sources, [1, 2], [10, 11])
    kappa = agreement(sources, 1, 2, [10, 11]).kappa
    n = sum(s.length for s in sources if len({c for c, *_r in s.excerpts}) == 2) * 2
    if kappa is not None and report.pooled is not None and n > 20:
        # For two coders alpha = kappa-like with a small-sample correction: they differ by O(1/n).
        assert abs(float(report.pooled) - float(kappa)) < 0.2
