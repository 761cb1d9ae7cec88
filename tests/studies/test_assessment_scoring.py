"""The scoring engine (issue 19, item 5): exact fractions from the version's rule, checked against
hand-computed values at and around every threshold, « not applicable » counted both ways on the
same answers, and properties that hold for any rule and answers (hypothesis)."""

from __future__ import annotations

import copy
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studies.assessments import scoring, validation

from .assessment_data import DEMO_FILE, SMALL

SMALL_RULE = validation.load(SMALL)["rule"]
DEMO_RULE = validation.load(DEMO_FILE.read_text())["rule"]


def with_threshold(rule: dict, value: F, prerequisites=()) -> dict:
    rule = copy.deepcopy(rule)
    rule["grades"] = [{"code": "g", "label": "g", "min_score": str(value), "prerequisites": list(prerequisites)}]
    return rule


# --- Hand-computed values -----------------------------------------------------------------------


def test_small_rule_not_applicable_excluded_reaches_the_threshold_exactly():
    answers = {"C1": "present", "C2": "na", "C3": "absent"}
    result = scoring.score(SMALL_RULE, answers)
    assert result.criteria == {"C1": F(2), "C2": None, "C3": F(0)}
    assert result.rubrics["R1"].score == F(1) and result.rubrics["R2"].score == F(0)
    assert result.overall == F(1, 2)  # (1 + 0) / 2, exactly the bronze threshold
    assert result.grade == "bronze" and result.grades["bronze"] == []
    assert result.weakest_rubric == "R2" and result.complete


def test_small_rule_not_applicable_at_half_points_misses_it_on_the_same_answers():
    answers = {"C1": "present", "C2": "na", "C3": "absent"}
    result = scoring.score(SMALL_RULE, answers, not_applicable="1/2")
    assert result.criteria["C2"] == F(1)  # half of the 2 points
    assert result.rubrics["R1"].score == F(3, 4)
    assert result.overall == F(3, 8)
    assert result.grade is None and result.grades["bronze"] == ["overall < 1/2"]


def test_an_essential_rubric_exactly_at_partial_holds_and_just_below_fails():
    at = scoring.score(SMALL_RULE, {"C1": "partial", "C2": "partial", "C3": "present"})
    assert at.rubrics["R1"].score == F(1, 2) and at.overall == F(3, 4) and at.grade == "bronze"
    below = scoring.score(SMALL_RULE, {"C1": "partial", "C2": "absent", "C3": "present"})
    assert below.rubrics["R1"].score == F(1, 4) and below.overall == F(5, 8)
    assert below.grade is None and below.grades["bronze"] == ["R1 < partial"]


DEMO_ANSWERS = {
    "GOV.DEC.1": "present",
    "GOV.DEC.2": "partial",
    "GOV.TRA.1": "na",
    "DAT.PER.1": "present",  # weight 2
    "DAT.PER.2": "absent",
    "DAT.CON.1": "partial",
    "TRA.FOR.1": "partial",
    "TRA.FOR.2": "partial",
    "TRA.EMP.1": "absent",
    "SOB.USA.1": "present",
    "SOB.USA.2": "absent",
    "SOB.FOU.1": "na",
}


def test_the_demo_rule_by_hand_not_applicable_excluded():
    result = scoring.score(DEMO_RULE, DEMO_ANSWERS)
    assert result.rubrics["GOV.DEC"].score == F(3, 4)
    assert result.rubrics["GOV.TRA"].score is None
    assert result.rubrics["DAT.PER"].score == F(4, 6)  # (2×2 + 0) / (2×2 + 2)
    assert result.themes["GOV"].score == F(3, 4)
    assert result.themes["DAT"].score == F(7, 12)
    assert result.themes["TRA"].score == F(1, 4)  # exactly the « confirmed » prerequisite
    assert result.themes["SOB"].score == F(1, 2)
    assert result.overall == F(8, 15)  # (3/4 + 2×7/12 + 1/4 + 1/2) / 5
    assert result.grade == "confirmed" and result.weakest_rubric == "TRA.EMP"
    assert result.grades["exemplary"] == ["overall < 3/4", "GOV.DEC.2 < present", "DAT.PER.2 < present"]


def test_the_demo_rule_by_hand_not_applicable_at_half_points():
    result = scoring.score(DEMO_RULE, DEMO_ANSWERS, not_applicable="1/2")
    assert result.rubrics["GOV.TRA"].score == F(1, 2)
    assert result.themes["GOV"].score == F(5, 8)
    assert result.overall == F(61, 120)
    assert result.grade == "confirmed"


def test_a_theme_just_below_its_prerequisite_drops_a_grade():
    answers = dict(DEMO_ANSWERS, **{"TRA.FOR.2": "absent"})
    result = scoring.score(DEMO_RULE, answers)
    assert result.themes["TRA"].score == F(1, 8)
    assert result.grade == "engaged" and result.grades["confirmed"] == ["TRA < 1/4"]


def test_grades_are_a_ladder():
    rule = copy.deepcopy(SMALL_RULE)
    rule["grades"] = [
        {"code": "one", "min_score": "1/2", "prerequisites": [{"target": "criteria", "scope": "all", "min_level": "present"}]},
        {"code": "two", "min_score": "1/4", "prerequisites": []},
    ]
    result = scoring.score(rule, {"C1": "partial", "C2": "partial", "C3": "partial"})
    assert result.grades["two"] == [] and result.grade is None  # « two » needs « one » first


def test_unanswered_criteria_count_zero_and_are_listed():
    result = scoring.score(SMALL_RULE, {"C1": "present"})
    assert result.missing == ["C2", "C3"] and not result.complete
    assert result.overall == F(1, 4)  # R1 = 2/4, R2 = 0


def test_answers_the_rule_does_not_allow_are_refused():
    with pytest.raises(scoring.ScoringError):
        scoring.score(SMALL_RULE, {"C1": "na"})  # C1 does not allow « not applicable »
    with pytest.raises(scoring.ScoringError):
        scoring.score(SMALL_RULE, {"C1": "brilliant"})


def test_the_result_freezes_as_text_fractions():
    frozen = scoring.score(SMALL_RULE, {"C1": "present", "C2": "na", "C3": "partial"}).as_json()
    assert frozen["overall"] == "3/4" and frozen["rubrics"]["R2"] == "1/2" and frozen["criteria"]["C2"] is None


def test_the_checksum_changes_with_any_part_of_the_rule():
    changed = copy.deepcopy(SMALL_RULE)
    changed["not_applicable"] = "1/2"
    assert scoring.rule_checksum(changed) != scoring.rule_checksum(SMALL_RULE)
    assert scoring.rule_checksum(copy.deepcopy(SMALL_RULE)) == scoring.rule_checksum(SMALL_RULE)


# --- Properties ---------------------------------------------------------------------------------

LEVELS = ["absent", "partial", "present", "na"]


@st.composite
def rules_and_answers(draw):
    themes = []
    answers = {}
    n = 0
    for t in range(draw(st.integers(1, 3))):
        rubrics = []
        for r in range(draw(st.integers(1, 3))):
            criteria = []
            for _k in range(draw(st.integers(1, 4))):
                n += 1
                code = f"K{n}"
                criteria.append({"code": code, "weight": str(draw(st.integers(1, 5))), "na": True})
                answers[code] = draw(st.sampled_from(LEVELS))
            rubrics.append(
                {"code": f"R{t}.{r}", "weight": str(draw(st.integers(1, 3))), "essential": draw(st.booleans()), "criteria": criteria}
            )
        themes.append({"code": f"T{t}", "weight": str(draw(st.integers(1, 3))), "rubrics": rubrics})
    rule = {
        "levels": copy.deepcopy(SMALL_RULE["levels"]),
        "not_applicable": draw(st.sampled_from(["excluded", "1/2", "0", "1", "1/3"])),
        "grades": [],
        "themes": themes,
    }
    return rule, answers


@given(rules_and_answers())
def test_scores_are_fractions_between_0_and_1(case):
    rule, answers = case
    result = scoring.score(rule, answers)
    for value in [result.overall, *(p.score for p in result.rubrics.values()), *(p.score for p in result.themes.values())]:
        assert value is None or (isinstance(value, F) and 0 <= value <= 1)


@given(rules_and_answers(), st.data())
def test_raising_one_answer_never_lowers_a_score(case, data):
    rule, answers = case
    code = data.draw(st.sampled_from(sorted(answers)))
    if answers[code] in ("na", "present"):
        return
    before = scoring.score(rule, answers)
    raised = dict(answers, **{code: "present" if answers[code] == "partial" else "partial"})
    after = scoring.score(rule, raised)
    assert after.overall >= before.overall
    assert all(
        after.rubrics[c].score >= before.rubrics[c].score for c in before.rubrics if before.rubrics[c].score is not None
    )


@given(rules_and_answers(), st.integers(2, 7))
def test_scaling_every_weight_changes_no_score(case, k):
    rule, answers = case
    scaled = copy.deepcopy(rule)
    for theme in scaled["themes"]:
        theme["weight"] = str(F(theme["weight"]) * k)
        for rubric in theme["rubrics"]:
            rubric["weight"] = str(F(rubric["weight"]) * k)
            for criterion in rubric["criteria"]:
                criterion["weight"] = str(F(criterion["weight"]) * k)
    assert scoring.score(scaled, answers).overall == scoring.score(rule, answers).overall


@given(rules_and_answers())
def test_a_threshold_is_reached_exactly_at_the_score_and_missed_just_above(case):
    rule, answers = case
    overall = scoring.score(rule, answers).overall
    if overall is None:
        return
    assert scoring.score(with_threshold(rule, overall), answers).grade == "g"
    if overall > 0:
        assert scoring.score(with_threshold(rule, overall - F(1, 10**9)), answers).grade == "g"
    if overall < 1:
        assert scoring.score(with_threshold(rule, overall + F(1, 10**9)), answers).grade is None


@given(rules_and_answers())
def test_not_applicable_as_a_share_gives_that_share_to_an_all_na_rubric(case):
    rule, answers = case
    all_na = dict.fromkeys(answers, "na")
    for share in ("0", "1/2", "1"):
        result = scoring.score(rule, all_na, not_applicable=share)
        assert result.overall == F(share)
    assert scoring.score(rule, all_na, not_applicable="excluded").overall is None


@given(rules_and_answers())
def test_excluding_not_applicable_is_scoring_the_rest_alone(case):
    rule, answers = case
    trimmed = copy.deepcopy(rule)
    for theme in trimmed["themes"]:
        for rubric in theme["rubrics"]:
            rubric["criteria"] = [k for k in rubric["criteria"] if answers[k["code"]] != "na"]
    excluded = scoring.score(rule, answers, not_applicable="excluded")
    alone = scoring.score(trimmed, {c: a for c, a in answers.items() if a != "na"})
    assert excluded.overall == alone.overall
