"""Spreadsheets of an assessment: its answers, its scores, its engagement plan (CSV or XLSX through
`commons.spreadsheets`, which neutralises formula starts). Collectives by pseudonym code only; a
fixed number of queries whatever the size of the grid."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from django.utils.translation import gettext as _

from participants.models import display_name

from ..models import Answer, Assessment, EngagementPlan, Finding
from . import scoring, services

TABLES = ("answers", "scores", "plan")


def _percent(value: str | None):
    return "" if value is None else round(float(Fraction(value)) * 100, 2)


def answer_rows(assessment: Assessment) -> Iterator[list]:
    yield [
        _("criterion"),
        _("title"),
        _("assessor"),
        _("level"),
        _("why not applicable"),
        _("documents"),
        _("documents: what and where"),
        _("means"),
        _("means: what and where"),
        _("results"),
        _("results: what and where"),
        _("comment"),
        _("evidence"),
        _("reviewed level"),
        _("finding"),
        _("severity"),
    ]
    findings = {f.criterion_id: f for f in Finding.objects.filter(review__assessment=assessment)}
    answers = (
        Answer.objects.filter(assessment=assessment)
        .select_related("criterion", "assessor__bec_profile")
        .prefetch_related("evidence")
        .order_by("criterion__position", "assessor_id")
    )
    for a in answers:
        finding = findings.get(a.criterion_id)
        yield [
            a.criterion.code,
            a.criterion.title,
            display_name(a.assessor),
            a.level,
            a.justification,
            a.documents,
            a.documents_text,
            a.means,
            a.means_text,
            a.results,
            a.results_text,
            a.comment,
            "; ".join(e.title for e in a.evidence.all()),
            finding.reviewed_level if finding else "",
            finding.finding if finding else "",
            finding.severity if finding else "",
        ]


def score_rows(assessment: Assessment) -> Iterator[list]:
    yield [_("stage"), _("part"), _("code"), _("score"), _("score (%)"), _("rule SHA-256")]
    stages = dict(assessment.frozen_scores or {})
    current = scoring.score(assessment.version.rule, services.consensus(assessment).levels).as_json()
    stages.setdefault("now", current)
    checksum = stages.get("rule_sha256", assessment.version.rule_sha256)
    for stage in ("self", "reviewed", "final", "now"):
        result = stages.get(stage)
        if not isinstance(result, dict):
            continue
        yield [stage, _("overall"), "", result["overall"] or "", _percent(result["overall"]), checksum]
        for part, key in ((_("theme"), "themes"), (_("rubric"), "rubrics")):
            for code, value in result[key].items():
                yield [stage, part, code, value or "", _percent(value), checksum]


def plan_rows(assessment: Assessment) -> Iterator[list]:
    yield [_("kind"), _("objective"), _("title"), _("detail"), _("date"), _("value"), _("status")]
    plan = EngagementPlan.objects.filter(assessment=assessment).first()
    if plan is None:
        return
    for objective in plan.objectives.prefetch_related("criteria", "actions"):
        codes = ", ".join(c.code for c in objective.criteria.all())
        yield [_("objective"), objective.title, objective.title, codes, "", "", ""]
        for action in objective.actions.all():
            yield [
                _("action"),
                objective.title,
                action.title,
                action.owner,
                action.due_on or "",
                "",
                action.get_status_display(),
            ]
    for indicator in plan.indicators.select_related("objective").prefetch_related("measurements"):
        objective = indicator.objective.title if indicator.objective else ""
        yield [
            _("indicator"),
            objective,
            indicator.name,
            f"{indicator.unit} · {indicator.get_direction_display()}",
            "",
            f"{indicator.baseline} → {indicator.target}",
            "",
        ]
        for m in indicator.measurements.all():
            yield [_("measurement"), objective, indicator.name, m.note, m.measured_on, m.value, ""]


def rows(assessment: Assessment, table: str) -> Iterator[list]:
    return {"answers": answer_rows, "scores": score_rows, "plan": plan_rows}[table](assessment)
