"""Two assessments of the same subject compared on the criteria they share.

Same version: every criterion. The later one on the next version: the criteria its upgrade map
carries (old code → new code), each row naming both codes. Any other pair of versions: the criteria
whose code is in both. A change of version or of scoring rule (SHA-256) is flagged: scores computed
by different rules are shown side by side, never subtracted as if they measured the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..models import Assessment
from . import scoring, services


@dataclass
class Row:
    before_code: str
    after_code: str
    title: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class Comparison:
    rows: list[Row] = field(default_factory=list)
    version_changed: bool = False
    rule_changed: bool = False
    before_overall: Fraction | None = None
    after_overall: Fraction | None = None
    shared: int = 0


def levels_of(assessment: Assessment) -> dict[str, str]:
    """The levels that count: the reviewed ones once reviewed, else the agreed self-assessed ones."""
    if assessment.status in ("reviewed", "frozen"):
        return services.reviewed_levels(assessment)
    return services.consensus(assessment).levels


def compare(before: Assessment, after: Assessment) -> Comparison:
    result = Comparison(
        version_changed=before.version_id != after.version_id,
        rule_changed=before.version.rule_sha256 != after.version.rule_sha256,
    )
    old = {c.code: c for c in before.version.criteria.order_by("position")}
    new = {c.code: c for c in after.version.criteria.order_by("position")}
    if not result.version_changed:
        pairs = [(code, code) for code in old]
    elif after.version.previous_id == before.version_id:
        pairs = [(o, n) for o, n in after.version.upgrade_map.items() if o in old and n in new]
    else:
        pairs = [(code, code) for code in old if code in new]
    a_levels, b_levels = levels_of(before), levels_of(after)
    for o, n in pairs:
        result.rows.append(Row(o, n, new[n].title, a_levels.get(o, ""), b_levels.get(n, "")))
    result.shared = len(result.rows)
    result.before_overall = scoring.score(before.version.rule, a_levels).overall
    result.after_overall = scoring.score(after.version.rule, b_levels).overall
    return result
