"""Assessments: opening one, answering criteria, the statuses, and upgrading to a later version.

The only code that changes an assessment. Each function validates first and raises
`AssessmentError` with a message for people, changing nothing; writes lock the assessment's row so
two answers or a status change cannot cross. Statuses move only along `TRANSITIONS`:

    draft → submitted → in review → changes requested → submitted …
                                   → reviewed → frozen

Several members may answer the same criterion (one `Answer` each): their disagreements are listed
(`consensus`) and block the submission until they agree — never averaged. Scores are frozen at
submission (« self ») and at freezing (« final »), each with the rule's SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import ConsentScope
from participants.models.consent import has_consent

from ..models import (
    Answer,
    AnswerChange,
    Assessment,
    AssessmentStatus,
    Criterion,
    Finding,
    ReferentialVersion,
    Review,
)
from ..models.assessment import ANSWER_FIELDS, DMR, Severity, Verdict
from . import scoring

S = AssessmentStatus
EDITABLE = (S.DRAFT, S.CHANGES_REQUESTED)

#: action -> (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": ((S.DRAFT, S.CHANGES_REQUESTED), S.SUBMITTED),
    "start_review": ((S.SUBMITTED,), S.IN_REVIEW),
    "request_changes": ((S.IN_REVIEW,), S.CHANGES_REQUESTED),
    "mark_reviewed": ((S.IN_REVIEW,), S.REVIEWED),
    "freeze": ((S.REVIEWED,), S.FROZEN),
}


class AssessmentError(Exception):
    """A refused change; the message is meant for people."""


def _label(code: str, version: ReferentialVersion) -> str:
    for level in version.rule["levels"]:
        if level["code"] == code:
            return level["label"]
    return _("not applicable") if code == scoring.NOT_APPLICABLE else code


def create_assessment(
    study, version: ReferentialVersion, by, *, collective=None, assessed_on: date | None = None
) -> Assessment:
    """Open a draft assessment of the bureau itself or of one of its collectives (with its consent)."""
    if not version.adopted:
        raise AssessmentError(_("Only a version adopted by the bureau can be assessed against."))
    if version.referential.bureau_id != study.bureau.pk:
        raise AssessmentError(_("This referential belongs to another bureau."))
    if collective is not None:
        if collective.bureau_id != study.bureau.pk:
            raise AssessmentError(_("This collective belongs to another bureau."))
        if not has_consent(scope=ConsentScope.ASSESSMENT, collective=collective):
            raise AssessmentError(
                _("%(code)s has not consented to « %(scope)s »: it cannot be assessed.")
                % {"code": collective.code, "scope": ConsentScope.ASSESSMENT.label}
            )
    return Assessment.objects.create(
        study=study,
        version=version,
        collective=collective,
        assessed_on=assessed_on or timezone.localdate(),
        created_by=by,
    )


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)


def clean_answer(criterion: Criterion, version: ReferentialVersion, values: dict) -> dict:
    """The answer's fields checked against the version's scale and the criterion."""
    cleaned = {name: (values.get(name) or "").strip() for name in ANSWER_FIELDS}
    levels = {level["code"] for level in version.rule["levels"]}
    level = cleaned["level"]
    if level and level not in levels and level != scoring.NOT_APPLICABLE:
        raise AssessmentError(_("« %(level)s » is not a level of this referential.") % {"level": level})
    if level == scoring.NOT_APPLICABLE:
        if not criterion.not_applicable_allowed:
            raise AssessmentError(
                _("%(code)s cannot be « not applicable » in this referential.") % {"code": criterion.code}
            )
        if not cleaned["justification"]:
            raise AssessmentError(_("Say why %(code)s is not applicable.") % {"code": criterion.code})
    for name in ("documents", "means", "results"):
        if cleaned[name] and cleaned[name] not in DMR.values:
            raise AssessmentError(_("Unknown answer for « %(name)s ».") % {"name": name})
    return cleaned


@transaction.atomic
def record_answer(assessment: Assessment, criterion: Criterion, by, values: dict) -> Answer:
    """`by`'s answer to `criterion`, created or changed; each change is kept (`AnswerChange`)."""
    assessment = _locked(assessment)
    if assessment.status not in EDITABLE:
        raise AssessmentError(
            _("This assessment is %(status)s: its answers can no longer change.")
            % {"status": assessment.get_status_display()}
        )
    if criterion.version_id != assessment.version_id:
        raise AssessmentError(_("This criterion is not in the assessment's referential version."))
    cleaned = clean_answer(criterion, assessment.version, values)
    if (
        not any(cleaned.values())
        and not Answer.objects.filter(assessment=assessment, criterion=criterion, assessor=by).exists()
    ):
        raise AssessmentError(_("Nothing to save: choose a level or write something."))
    answer, created = Answer.objects.get_or_create(
        assessment=assessment, criterion=criterion, assessor=by, defaults=cleaned
    )
    if not created:
        if answer.values() == cleaned:
            return answer
        for name, value in cleaned.items():
            setattr(answer, name, value)
        answer.updated_at = timezone.now()
        answer.save()
    AnswerChange.objects.create(answer=answer, changed_by=by, values=cleaned)
    return answer


@dataclass
class Consensus:
    """Per criterion code: the agreed level, or the assessors' different levels (never averaged)."""

    levels: dict[str, str] = field(default_factory=dict)
    disagreements: dict[str, dict[int, str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def consensus(assessment: Assessment, criteria: list[Criterion] | None = None, answers=None) -> Consensus:
    """Where the assessors agree, disagree, or have not answered (two queries, or none if given)."""
    criteria = criteria if criteria is not None else list(assessment.version.criteria.order_by("position"))
    if answers is None:
        answers = list(
            assessment.answers.exclude(level="").values_list("criterion_id", "assessor_id", "level")
        )
    by_criterion: dict[int, dict[int, str]] = {}
    for criterion_id, assessor_id, level in answers:
        if level:
            by_criterion.setdefault(criterion_id, {})[assessor_id] = level
    result = Consensus()
    for criterion in criteria:
        given = by_criterion.get(criterion.pk, {})
        if not given:
            result.missing.append(criterion.code)
        elif len(set(given.values())) > 1:
            result.disagreements[criterion.code] = given
        else:
            result.levels[criterion.code] = next(iter(given.values()))
    return result


def self_score(assessment: Assessment) -> scoring.Result:
    return scoring.score(assessment.version.rule, consensus(assessment).levels)


def _freeze_stage(assessment: Assessment, stage: str, result: scoring.Result) -> None:
    scores = dict(assessment.frozen_scores or {})
    scores[stage] = result.as_json()
    scores["rule_sha256"] = assessment.version.rule_sha256
    assessment.frozen_scores = scores


@transaction.atomic
def transition(assessment: Assessment, action: str, by, *, final_levels: dict | None = None) -> Assessment:
    """Move the assessment along `TRANSITIONS`; submitting needs every criterion answered and agreed."""
    assessment = _locked(assessment)
    if action not in TRANSITIONS:
        raise AssessmentError(_("Unknown step."))
    sources, target = TRANSITIONS[action]
    if assessment.status not in sources:
        raise AssessmentError(
            _("This step is not possible from « %(status)s ».") % {"status": assessment.get_status_display()}
        )
    if action == "submit":
        agreed = consensus(assessment)
        if agreed.missing:
            raise AssessmentError(
                _("Every criterion needs an answer before submitting; missing: %(codes)s.")
                % {"codes": ", ".join(agreed.missing)}
            )
        if agreed.disagreements:
            raise AssessmentError(
                _("The assessors disagree on %(codes)s: agree on one level before submitting.")
                % {"codes": ", ".join(agreed.disagreements)}
            )
        _freeze_stage(assessment, "self", scoring.score(assessment.version.rule, agreed.levels))
    if action == "mark_reviewed":
        review = Review.objects.filter(assessment=assessment).first()
        if review is None or not review.verdict:
            raise AssessmentError(_("Record the review's verdict before marking the assessment as reviewed."))
        _freeze_stage(
            assessment, "reviewed", scoring.score(assessment.version.rule, reviewed_levels(assessment))
        )
    if action == "freeze":
        levels = final_levels if final_levels is not None else reviewed_levels(assessment)
        _freeze_stage(assessment, "final", scoring.score(assessment.version.rule, levels))
        assessment.frozen_at = timezone.now()
    assessment.status = target
    assessment.save()
    return assessment


@transaction.atomic
def upgrade(assessment: Assessment, version: ReferentialVersion, by) -> Assessment:
    """A new draft assessment of the same subject on `version`, carrying exactly the mapped answers.

    The assessment upgraded is never changed. Only the criteria named by the new version's upgrade
    map are carried (each assessor's answer, with a history line saying where it came from); every
    other criterion of the new version starts unanswered.
    """
    if version.previous_id != assessment.version_id:
        raise AssessmentError(_("This version does not follow the assessment's version."))
    if not version.adopted:
        raise AssessmentError(_("Only a version adopted by the bureau can be assessed against."))
    new = Assessment.objects.create(
        study=assessment.study,
        version=version,
        collective=assessment.collective,
        assessed_on=timezone.localdate(),
        created_by=by,
        upgraded_from=assessment,
    )
    targets = {c.code: c for c in version.criteria.all()}
    mapping = version.upgrade_map
    for answer in assessment.answers.select_related("criterion"):
        new_code = mapping.get(answer.criterion.code)
        if new_code is None:
            continue
        values = answer.values()
        criterion = targets[new_code]
        if values["level"] == scoring.NOT_APPLICABLE and not criterion.not_applicable_allowed:
            values["level"] = ""
        copied = Answer.objects.create(
            assessment=new, criterion=criterion, assessor=answer.assessor, **values
        )
        AnswerChange.objects.create(
            answer=copied, changed_by=by, values={**values, "carried_from": answer.criterion.code}
        )
    return new


# --- Review ---------------------------------------------------------------------------------------


def reviewed_levels(assessment: Assessment) -> dict[str, str]:
    """The agreed self-assessed levels, with the reviewer's level wherever one was recorded."""
    levels = dict(consensus(assessment).levels)
    for code, level in (
        Finding.objects.filter(review__assessment=assessment)
        .exclude(reviewed_level="")
        .values_list("criterion__code", "reviewed_level")
    ):
        levels[code] = level
    return levels


@transaction.atomic
def record_review(
    assessment: Assessment,
    by,
    *,
    findings: dict[int, dict],
    verdict: str = "",
    verdict_text: str = "",
    auditor_name: str = "",
) -> Review:
    """The reviewer's levels, findings and verdict; the self-assessed answers are never touched.

    `findings` maps a criterion id to {reviewed_level, finding, severity}; an entry with nothing in
    it removes that criterion's finding. Only while the assessment is in review.
    """
    assessment = _locked(assessment)
    if assessment.status != S.IN_REVIEW:
        raise AssessmentError(_("Findings are recorded while the assessment is in review."))
    if verdict and verdict not in Verdict.values:
        raise AssessmentError(_("Unknown verdict."))
    criteria = {c.pk: c for c in assessment.version.criteria.all()}
    levels = {level["code"] for level in assessment.version.rule["levels"]}
    cleaned = {}
    for criterion_id, values in findings.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise AssessmentError(_("This criterion is not in the assessment's referential version."))
        level = (values.get("reviewed_level") or "").strip()
        severity = (values.get("severity") or "").strip()
        if (
            level
            and level not in levels
            and not (level == scoring.NOT_APPLICABLE and criterion.not_applicable_allowed)
        ):
            raise AssessmentError(
                _("« %(level)s » is not a level %(code)s may take.")
                % {"level": level, "code": criterion.code}
            )
        if severity and severity not in Severity.values:
            raise AssessmentError(_("Unknown severity."))
        cleaned[criterion_id] = {
            "reviewed_level": level,
            "finding": (values.get("finding") or "").strip(),
            "severity": severity,
        }
    review, _created = Review.objects.get_or_create(assessment=assessment, defaults={"reviewer": by})
    review.reviewer = by
    review.auditor_name = auditor_name.strip()
    review.verdict = verdict
    review.verdict_text = verdict_text.strip()
    review.updated_at = timezone.now()
    review.save()
    existing = {f.criterion_id: f for f in review.findings.all()}
    for criterion_id, values in cleaned.items():
        found = existing.get(criterion_id)
        if not any(values.values()):
            if found is not None:
                found.delete()
            continue
        if found is None:
            Finding.objects.create(review=review, criterion_id=criterion_id, recorded_by=by, **values)
        elif any(getattr(found, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(found, k, v)
            found.recorded_by = by
            found.updated_at = timezone.now()
            found.save()
    return review
