"""A referential file's values checked into one normalised referential, or every error with its line.

The format is documented in `docs/assessments.md`. Checking collects all the errors it can (each
with the line to fix) rather than stopping at the first, and returns a plain dict of JSON values
(fractions as strings) whose `rule` part is exactly what `scoring` needs: the scale and its points,
how « not applicable » counts, the grades with their thresholds and prerequisites, and the tree of
themes → rubrics → criteria with weights. Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from .reading import LDict, LList, ReadError, read

#: The level code that means « not applicable »; a scale may not use it for a level of its own.
NOT_APPLICABLE = "na"
#: The three D / M / R questions and their answers (fixed by the method, not by the file).
DMR_KEYS = ("documents", "means", "results")
DMR_VALUES = ("present", "partial", "absent")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
SCOPES = ("essential", "all")


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line:
            return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class InvalidReferential(Exception):
    """The file is refused; `problems` lists each error with its line."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def fraction(value) -> Fraction:
    """A number of the file as an exact fraction: 2, "3/2", "0.25" (never a binary float: 0.1 is 1/10)."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        value = repr(value)
    return Fraction(str(value).strip())


def as_text(value: Fraction) -> str:
    return str(value)


class _Checker:
    def __init__(self):
        self.problems: list[Problem] = []

    def problem(self, line, message: str) -> None:
        self.problems.append(Problem(line, message))

    def mapping(self, value, line, what: str) -> LDict | None:
        if isinstance(value, dict):
            return value if isinstance(value, LDict) else LDict(value, line=line or 0)
        self.problem(line, _("%(what)s must be a mapping (keys and values).") % {"what": what})
        return None

    def sequence(self, value, line, what: str) -> LList | None:
        if isinstance(value, list):
            return value if isinstance(value, LList) else LList(value, line=line or 0)
        self.problem(line, _("%(what)s must be a list.") % {"what": what})
        return None

    def text(self, data: LDict, key: str, *, required: bool = False, max_length: int = 2000) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problem(data.line, _("« %(key)s » is missing.") % {"key": key})
            return ""
        if not isinstance(value, str | int):
            self.problem(data.line_of(key), _("« %(key)s » must be text.") % {"key": key})
            return ""
        value = str(value).strip()
        if len(value) > max_length:
            self.problem(
                data.line_of(key),
                _("« %(key)s » is longer than %(max)d characters.") % {"key": key, "max": max_length},
            )
        return value[:max_length]

    def boolean(self, data: LDict, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(data.line_of(key), _("« %(key)s » must be true or false.") % {"key": key})
            return default
        return value

    def number(self, data: LDict, key: str, default=None, *, positive=False, at_most_one=False):
        if key not in data:
            return default
        try:
            value = fraction(data[key])
        except (ValueError, ZeroDivisionError, TypeError):
            self.problem(data.line_of(key), _("« %(key)s » must be a number (2, 0.5 or 1/2).") % {"key": key})
            return default
        if value < 0 or (positive and value == 0) or (at_most_one and value > 1):
            bounds = _("between 0 and 1") if at_most_one else (_("above 0") if positive else _("0 or more"))
            self.problem(
                data.line_of(key), _("« %(key)s » must be %(bounds)s.") % {"key": key, "bounds": bounds}
            )
            return default
        return value

    def code(self, data: LDict, seen: dict, what: str) -> str:
        code = self.text(data, "code", required=True, max_length=40)
        if code and not CODE_RE.match(code):
            self.problem(
                data.line_of("code"),
                _("The code « %(code)s » may hold only letters, digits, dots, dashes and underscores.")
                % {"code": code},
            )
        if code and code in seen:
            self.problem(
                data.line_of("code"),
                _("The %(what)s code « %(code)s » is used twice (first on line %(first)d).")
                % {"what": what, "code": code, "first": seen[code]},
            )
        elif code:
            seen[code] = data.line_of("code")
        return code


def _scale(c: _Checker, root: LDict) -> tuple[dict | None, dict[str, Fraction]]:
    scale = c.mapping(root.get("scale"), root.line_of("scale"), _("The scale")) if "scale" in root else None
    if scale is None:
        if "scale" not in root:
            c.problem(root.line, _("The scale is missing: list its levels and their points under « scale »."))
        return None, {}
    levels = c.sequence(scale.get("levels"), scale.line_of("levels"), _("The scale's levels"))
    points: dict[str, Fraction] = {}
    out = []
    seen: dict[str, int] = {}
    for index, item in enumerate(levels or []):
        level = c.mapping(item, levels.line_of(index), _("A level"))
        if level is None:
            continue
        code = c.code(level, seen, _("level"))
        if code == NOT_APPLICABLE:
            c.problem(level.line_of("code"), _("« na » is kept for « not applicable »; choose another code."))
        value = c.number(level, "points", None)
        if value is None and "points" not in level:
            c.problem(level.line, _("The level « %(code)s » has no points.") % {"code": code})
        label = c.text(level, "label", max_length=120) or code
        if code and value is not None:
            points[code] = value
            out.append({"code": code, "label": label, "points": as_text(value)})
    if levels is not None and len(levels) < 2:
        c.problem(levels.line, _("A scale needs at least two levels."))
    if points and max(points.values()) == 0:
        c.problem(scale.line, _("At least one level must be worth more than 0 points."))
    na = scale.get("not_applicable", "excluded")
    if na in ("excluded", "half"):
        na_rule = "excluded" if na == "excluded" else "1/2"
    else:
        try:
            share = fraction(na)
            if not 0 <= share <= 1:
                raise ValueError(na)
            na_rule = as_text(share)
        except (ValueError, ZeroDivisionError, TypeError):
            c.problem(
                scale.line_of("not_applicable"),
                _(
                    "« not_applicable » must be « excluded », « half » or a share of the points "
                    "between 0 and 1."
                ),
            )
            na_rule = "excluded"
    return {"levels": out, "not_applicable": na_rule}, points


def _criterion(c: _Checker, data: LDict, codes: dict) -> dict:
    code = c.code(data, codes, _("criterion"))
    depends = data.get("depends_on", [])
    if isinstance(depends, str):
        depends = [depends]
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        c.problem(data.line_of("depends_on"), _("« depends_on » must be a list of criterion codes."))
        depends = []
    return {
        "code": code,
        "title": c.text(data, "title", required=True, max_length=300),
        "guidance": c.text(data, "guidance", max_length=5000),
        "evidence": c.text(data, "evidence", max_length=2000),
        "not_applicable_allowed": c.boolean(data, "not_applicable_allowed", False),
        "weight": as_text(c.number(data, "weight", Fraction(1), positive=True)),
        "priority": c.text(data, "priority", max_length=40),
        "depends_on": list(depends),
        "_line": data.line,
        "_depends_line": data.line_of("depends_on"),
    }


def _tree(c: _Checker, root: LDict) -> list[dict]:
    themes = (
        c.sequence(root.get("themes"), root.line_of("themes"), _("The themes")) if "themes" in root else None
    )
    if themes is None:
        if "themes" not in root:
            c.problem(root.line, _("The themes are missing."))
        return []
    theme_codes: dict = {}
    rubric_codes: dict = {}
    criterion_codes: dict = {}
    out = []
    for t_index, t_item in enumerate(themes):
        theme = c.mapping(t_item, themes.line_of(t_index), _("A theme"))
        if theme is None:
            continue
        rubrics_out = []
        rubrics = c.sequence(theme.get("rubrics"), theme.line_of("rubrics"), _("A theme's rubrics"))
        for r_index, r_item in enumerate(rubrics or []):
            rubric = c.mapping(r_item, rubrics.line_of(r_index), _("A rubric"))
            if rubric is None:
                continue
            criteria = c.sequence(
                rubric.get("criteria"), rubric.line_of("criteria"), _("A rubric's criteria")
            )
            criteria_out = []
            for k_index, k_item in enumerate(criteria or []):
                criterion = c.mapping(k_item, criteria.line_of(k_index), _("A criterion"))
                if criterion is not None:
                    criteria_out.append(_criterion(c, criterion, criterion_codes))
            if criteria is not None and not criteria_out:
                c.problem(rubric.line, _("A rubric needs at least one criterion."))
            rubrics_out.append(
                {
                    "code": c.code(rubric, rubric_codes, _("rubric")),
                    "title": c.text(rubric, "title", required=True, max_length=300),
                    "weight": as_text(c.number(rubric, "weight", Fraction(1), positive=True)),
                    "essential": c.boolean(rubric, "essential", False),
                    "criteria": criteria_out,
                }
            )
        if rubrics is not None and not rubrics_out:
            c.problem(theme.line, _("A theme needs at least one rubric."))
        out.append(
            {
                "code": c.code(theme, theme_codes, _("theme")),
                "title": c.text(theme, "title", required=True, max_length=300),
                "weight": as_text(c.number(theme, "weight", Fraction(1), positive=True)),
                "rubrics": rubrics_out,
            }
        )
    _check_dependencies(c, out)
    return out


def _check_dependencies(c: _Checker, themes: list[dict]) -> None:
    """Each `depends_on` names a criterion of this version, and no chain of them loops."""
    criteria = {k["code"]: k for t in themes for r in t["rubrics"] for k in r["criteria"] if k["code"]}
    for criterion in criteria.values():
        for other in criterion["depends_on"]:
            if other not in criteria:
                c.problem(
                    criterion["_depends_line"],
                    _("« %(code)s » depends on « %(other)s », which is no criterion of this file.")
                    % {"code": criterion["code"], "other": other},
                )
    state: dict[str, int] = {}  # 1: being walked, 2: done

    def walk(code: str, path: list[str]) -> None:
        state[code] = 1
        for other in criteria[code]["depends_on"]:
            if other not in criteria:
                continue
            if state.get(other) == 1:
                loop = [*path[path.index(other) :], other] if other in path else [code, other]
                c.problem(
                    criteria[other]["_line"],
                    _("The criteria depend on each other in a cycle: %(cycle)s.")
                    % {"cycle": " → ".join(loop)},
                )
            elif other not in state:
                walk(other, [*path, other])
        state[code] = 2

    for code in criteria:
        if code not in state:
            walk(code, [code])


def _grades(c: _Checker, root: LDict, points: dict[str, Fraction], rubric_codes: set[str]) -> list[dict]:
    if "grades" not in root:
        return []
    grades = c.sequence(root.get("grades"), root.line_of("grades"), _("The grades"))
    out = []
    seen: dict = {}
    previous = None
    for index, item in enumerate(grades or []):
        grade = c.mapping(item, grades.line_of(index), _("A grade"))
        if grade is None:
            continue
        code = c.code(grade, seen, _("grade"))
        minimum = c.number(grade, "min_score", Fraction(0), at_most_one=True)
        if previous is not None and minimum < previous:
            c.problem(grade.line_of("min_score"), _("Grades go from the lowest to the highest threshold."))
        previous = minimum
        prerequisites = []
        listed = grade.get("prerequisites", [])
        listed = c.sequence(listed, grade.line_of("prerequisites"), _("A grade's prerequisites")) or []
        for p_index, p_item in enumerate(listed):
            prerequisite = c.mapping(p_item, listed.line_of(p_index), _("A prerequisite"))
            if prerequisite is not None:
                checked = _prerequisite(c, prerequisite, points)
                if checked:
                    prerequisites.append(checked)
        out.append(
            {
                "code": code,
                "label": c.text(grade, "label", max_length=120) or code,
                "min_score": as_text(minimum),
                "prerequisites": prerequisites,
            }
        )
    return out


def _prerequisite(c: _Checker, data: LDict, points: dict[str, Fraction]) -> dict | None:
    """`{rubrics|criteria: essential|all, min_level: <level>}` or `{themes|rubrics: all, min_score: x}`."""
    targets = [key for key in ("themes", "rubrics", "criteria") if key in data]
    if len(targets) != 1 or data[targets[0]] not in SCOPES:
        c.problem(
            data.line,
            _(
                "A prerequisite names one of « themes », « rubrics » or « criteria », "
                "set to « essential » or « all »."
            ),
        )
        return None
    target = targets[0]
    if "min_level" in data:
        level = data.get("min_level")
        if level not in points:
            c.problem(
                data.line_of("min_level"),
                _("The level « %(level)s » is not on the scale (levels: %(levels)s).")
                % {"level": level, "levels": ", ".join(points) or "—"},
            )
            return None
        if target == "themes":
            c.problem(data.line_of("min_level"), _("A theme's prerequisite is a minimum score (min_score)."))
            return None
        return {"target": target, "scope": data[target], "min_level": level}
    if "min_score" in data:
        return {
            "target": target,
            "scope": data[target],
            "min_score": as_text(c.number(data, "min_score", Fraction(0), at_most_one=True)),
        }
    c.problem(data.line, _("A prerequisite needs « min_level » or « min_score »."))
    return None


def _upgrade(c: _Checker, root: LDict, criterion_codes: set[str]) -> dict | None:
    if "upgrade" not in root:
        return None
    data = c.mapping(root["upgrade"], root.line_of("upgrade"), _("The upgrade map"))
    if data is None:
        return None
    source = c.text(data, "from", required=True, max_length=40)
    mapping = c.mapping(data.get("map", {}), data.line_of("map"), _("The upgrade's map"))
    out = {}
    for old, new in (mapping or {}).items():
        if not isinstance(new, str) or new not in criterion_codes:
            c.problem(
                mapping.line_of(old),
                _("« %(old)s » is carried to « %(new)s », which is no criterion of this version.")
                % {"old": old, "new": new},
            )
            continue
        out[str(old)] = new
    targets = list(out.values())
    for new in {n for n in targets if targets.count(n) > 1}:
        c.problem(
            mapping.line, _("Two answers are carried to the same criterion « %(code)s ».") % {"code": new}
        )
    return {"from": source, "map": out, "_lines": dict(mapping.lines) if mapping else {}}


def _strip(themes: list[dict]) -> None:
    for theme in themes:
        for rubric in theme["rubrics"]:
            for criterion in rubric["criteria"]:
                criterion.pop("_line", None)
                criterion.pop("_depends_line", None)


def rule_of(scale: dict, grades: list[dict], themes: list[dict]) -> dict:
    """The scoring rule as data: what `scoring.score` reads, and what the checksum covers."""
    return {
        "levels": scale["levels"],
        "not_applicable": scale["not_applicable"],
        "grades": grades,
        "themes": [
            {
                "code": t["code"],
                "weight": t["weight"],
                "rubrics": [
                    {
                        "code": r["code"],
                        "weight": r["weight"],
                        "essential": r["essential"],
                        "criteria": [
                            {"code": k["code"], "weight": k["weight"], "na": k["not_applicable_allowed"]}
                            for k in r["criteria"]
                        ],
                    }
                    for r in t["rubrics"]
                ],
            }
            for t in themes
        ],
    }


def check(values) -> dict:
    """The file's values as a normalised referential; raises `InvalidReferential` with every problem."""
    c = _Checker()
    root = c.mapping(values, 1, _("The file"))
    if root is None:
        raise InvalidReferential(c.problems)
    head = c.mapping(root.get("referential"), root.line_of("referential"), _("« referential »")) or LDict()
    version = c.mapping(root.get("version"), root.line_of("version"), _("« version »")) or LDict()
    meta = {
        "name": c.text(head, "name", required=True, max_length=200),
        "publisher": c.text(head, "publisher", max_length=200),
        "source": c.text(head, "source", max_length=500),
        "licence": c.text(head, "licence", max_length=200),
        "redistributable": c.boolean(head, "redistributable", False),
        "example": c.boolean(head, "example", False),
    }
    version_meta = {
        "label": c.text(version, "label", required=True, max_length=40),
        "published_on": c.text(version, "published_on", max_length=10),
        "notes": c.text(version, "notes", max_length=5000),
    }
    dmr = c.boolean(root, "dmr", True)
    scale, points = _scale(c, root)
    themes = _tree(c, root)
    rubric_codes = {r["code"] for t in themes for r in t["rubrics"]}
    grades = _grades(c, root, points, rubric_codes)
    criterion_codes = {k["code"] for t in themes for r in t["rubrics"] for k in r["criteria"]}
    upgrade = _upgrade(c, root, criterion_codes)
    known = {"referential", "version", "dmr", "scale", "grades", "themes", "upgrade"}
    for key in root:
        if key not in known:
            c.problem(root.line_of(key), _("Unknown key « %(key)s ».") % {"key": key})
    if c.problems:
        raise InvalidReferential(sorted(c.problems, key=lambda p: p.line or 0))
    _strip(themes)
    return {
        "referential": meta,
        "version": version_meta,
        "dmr": dmr,
        "scale": scale,
        "grades": grades,
        "themes": themes,
        "upgrade": upgrade,
        "rule": rule_of(scale, grades, themes),
    }


def load(text: str, name: str = "") -> dict:
    """Read and check a referential file: the normalised referential, or `InvalidReferential`."""
    try:
        values = read(text, name)
    except ReadError as error:
        raise InvalidReferential([Problem(error.line, error.message)]) from error
    return check(values)
