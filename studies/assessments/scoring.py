"""Scores of an assessment, computed exactly (fractions) from its referential version's rule.

Pure: no ORM, no Django. The rule is data (`validation.rule_of`): the scale's levels and points,
how « not applicable » counts, weights on themes, rubrics and criteria, and the grades with their
thresholds and prerequisites. The answers are `{criterion code: level code or "na"}`.

The formula (also written out on the results page, `explain`):

- a criterion answered with level L earns `weight × points(L)` out of `weight × max points`;
- « not applicable »: either the criterion is left out of its rubric (`excluded`), or it earns a
  share `s` of the maximum (`weight × s × max points`, e.g. half points), out of `weight × max`;
- an unanswered criterion earns 0 out of `weight × max` (an incomplete assessment is never
  flattered by its gaps) and the result says it is incomplete;
- a rubric's score is its earned points over its possible points (none possible: no score);
- a theme's score is the weighted mean of its rubrics' scores, the overall score the weighted
  mean of the themes' (parts without a score are left out of the mean);
- a grade is reached when the overall score is at least its threshold and all its prerequisites
  hold, and every lower grade is reached too (grades are a ladder).

Every comparison is between fractions: a score exactly at a threshold reaches it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from fractions import Fraction

NOT_APPLICABLE = "na"


class ScoringError(ValueError):
    """An answer the rule does not allow (an unknown level, « not applicable » where it is not)."""


@dataclass
class PartScore:
    code: str
    score: Fraction | None
    earned: Fraction = Fraction(0)
    possible: Fraction = Fraction(0)


@dataclass
class Result:
    criteria: dict[str, Fraction | None]  # code -> points earned (None: excluded as n/a)
    rubrics: dict[str, PartScore]
    themes: dict[str, PartScore]
    overall: Fraction | None
    grade: str | None
    grades: dict[str, list[str]]  # grade -> the reasons it is not reached ([] if reached)
    weakest_rubric: str | None
    missing: list[str] = field(default_factory=list)
    not_applicable: str = "excluded"

    @property
    def complete(self) -> bool:
        return not self.missing

    def as_json(self) -> dict:
        """The result as JSON values (fractions as « p/q » strings), for freezing."""

        def text(value):
            return None if value is None else str(value)

        return {
            "criteria": {code: text(v) for code, v in self.criteria.items()},
            "rubrics": {code: text(p.score) for code, p in self.rubrics.items()},
            "themes": {code: text(p.score) for code, p in self.themes.items()},
            "overall": text(self.overall),
            "grade": self.grade,
            "grades": self.grades,
            "weakest_rubric": self.weakest_rubric,
            "missing": self.missing,
            "not_applicable": self.not_applicable,
        }


def rule_checksum(rule: dict) -> str:
    """SHA-256 of the rule's canonical JSON: a frozen score names the exact rule it was computed by."""
    canonical = json.dumps(rule, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def level_points(rule: dict) -> dict[str, Fraction]:
    return {level["code"]: Fraction(level["points"]) for level in rule["levels"]}


def _mean(parts: list[tuple[Fraction, Fraction | None]]) -> Fraction | None:
    scored = [(weight, score) for weight, score in parts if score is not None]
    total = sum((weight for weight, _ in scored), Fraction(0))
    if not scored or total == 0:
        return None
    return sum((weight * score for weight, score in scored), Fraction(0)) / total


def score(rule: dict, answers: dict[str, str], not_applicable: str | None = None) -> Result:
    """Score `answers` by `rule`; `not_applicable` overrides the rule's own (to compare both ways)."""
    points = level_points(rule)
    top = max(points.values())
    na_rule = not_applicable or rule["not_applicable"]
    na_share = None if na_rule == "excluded" else Fraction(na_rule)
    criteria: dict[str, Fraction | None] = {}
    rubrics: dict[str, PartScore] = {}
    themes: dict[str, PartScore] = {}
    missing: list[str] = []
    for theme in rule["themes"]:
        rubric_parts = []
        for rubric in theme["rubrics"]:
            earned = possible = Fraction(0)
            for criterion in rubric["criteria"]:
                code, weight = criterion["code"], Fraction(criterion["weight"])
                answer = answers.get(code)
                if answer is None or answer == "":
                    missing.append(code)
                    criteria[code] = Fraction(0)
                    possible += weight * top
                elif answer == NOT_APPLICABLE:
                    if not criterion.get("na"):
                        raise ScoringError(f"{code}: « not applicable » is not allowed")
                    if na_share is None:
                        criteria[code] = None
                    else:
                        criteria[code] = weight * na_share * top
                        earned += criteria[code]
                        possible += weight * top
                elif answer in points:
                    criteria[code] = weight * points[answer]
                    earned += criteria[code]
                    possible += weight * top
                else:
                    raise ScoringError(f"{code}: unknown level {answer!r}")
            part = PartScore(rubric["code"], earned / possible if possible else None, earned, possible)
            rubrics[rubric["code"]] = part
            rubric_parts.append((Fraction(rubric["weight"]), part.score))
        themes[theme["code"]] = PartScore(theme["code"], _mean(rubric_parts))
    overall = _mean([(Fraction(t["weight"]), themes[t["code"]].score) for t in rule["themes"]])
    grades, reached = _grades(rule, points, top, answers, criteria, rubrics, themes, overall)
    scored = [(part.score, index) for index, part in enumerate(rubrics.values()) if part.score is not None]
    weakest = list(rubrics)[min(scored)[1]] if scored else None
    return Result(criteria, rubrics, themes, overall, reached, grades, weakest, missing, na_rule)


def _grades(rule, points, top, answers, criteria, rubrics, themes, overall):
    essential = {r["code"] for t in rule["themes"] for r in t["rubrics"] if r["essential"]}
    criteria_of = {
        r["code"]: [k["code"] for k in r["criteria"]] for t in rule["themes"] for r in t["rubrics"]
    }
    reasons: dict[str, list[str]] = {}
    reached = None
    ladder_holds = True
    for grade in rule["grades"]:
        failed = []
        threshold = Fraction(grade["min_score"])
        if overall is None or overall < threshold:
            failed.append(f"overall < {threshold}")
        for prerequisite in grade["prerequisites"]:
            failed.extend(
                _failures(prerequisite, points, top, answers, rubrics, themes, essential, criteria_of)
            )
        reasons[grade["code"]] = failed
        if failed:
            ladder_holds = False
        elif ladder_holds:
            reached = grade["code"]
    return reasons, reached


def _failures(prerequisite, points, top, answers, rubrics, themes, essential, criteria_of) -> list[str]:
    target, scope = prerequisite["target"], prerequisite["scope"]
    if "min_level" in prerequisite:
        level = prerequisite["min_level"]
        if target == "rubrics":
            floor = points[level] / top
            return [
                f"{code} < {level}"
                for code, part in rubrics.items()
                if (scope == "all" or code in essential) and part.score is not None and part.score < floor
            ]
        failed = []
        for rubric, codes in criteria_of.items():
            if scope == "essential" and rubric not in essential:
                continue
            for code in codes:
                answer = answers.get(code)
                if answer == NOT_APPLICABLE:
                    continue
                if answer not in points or points[answer] < points[level]:
                    failed.append(f"{code} < {level}")
        return failed
    floor = Fraction(prerequisite["min_score"])
    parts = themes if target == "themes" else rubrics
    return [
        f"{code} < {floor}"
        for code, part in parts.items()
        if (target == "themes" or scope == "all" or code in essential)
        and part.score is not None
        and part.score < floor
    ]
