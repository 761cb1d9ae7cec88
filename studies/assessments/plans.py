"""Engagement plans: what the bureau commits to after an assessment, and how it is followed.

A plan follows a frozen assessment. While a draft, it gets objectives (each linked to criteria of
the assessment's version) and indicators (unit, direction, baseline, target, method); actions can
be added and moved on at any time. The plan is adopted by the bureau's vote (a proposal of kind
« engagement plan », through the `bec_apply_adopted` hook, like referential versions); from then on
its objectives and indicators are fixed, measured values are recorded (append-only: a correction is
a new value) and progress is reviewed at the dates chosen.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commons import actions
from commons import permissions as commons_permissions
from commons.actions import GovernanceError
from commons.models import Decision, Proposal
from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules, rule_for

from ..models import (
    ActionStatus,
    Assessment,
    AssessmentStatus,
    EngagementPlan,
    Evidence,
    Indicator,
    Measurement,
    Objective,
    PlanAction,
    PlanStatus,
    ProgressReview,
)
from ..models.assessment import Direction
from .services import AssessmentError

MAX_VALUE = Decimal("1e10")


def _draft(plan: EngagementPlan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise AssessmentError(_("The plan is adopted: its objectives and indicators no longer change."))


def create_plan(assessment: Assessment, by, *, title: str, starts_on: date, ends_on: date) -> EngagementPlan:
    if assessment.status != AssessmentStatus.FROZEN:
        raise AssessmentError(_("An engagement plan follows a frozen assessment."))
    if hasattr(assessment, "plan"):
        raise AssessmentError(_("This assessment already has its plan."))
    if ends_on <= starts_on:
        raise AssessmentError(_("The plan ends after it starts."))
    return EngagementPlan.objects.create(
        assessment=assessment, title=title.strip()[:200], starts_on=starts_on, ends_on=ends_on, created_by=by
    )


@transaction.atomic
def add_objective(plan: EngagementPlan, *, title: str, criterion_codes: list[str]) -> Objective:
    _draft(plan)
    if not title.strip():
        raise AssessmentError(_("Give it a title."))
    criteria = list(plan.assessment.version.criteria.filter(code__in=criterion_codes))
    if len(criteria) != len(set(criterion_codes)):
        raise AssessmentError(_("An objective is linked to criteria of the assessment's referential."))
    objective = Objective.objects.create(
        plan=plan, title=title.strip()[:300], position=plan.objectives.count()
    )
    objective.criteria.set(criteria)
    return objective


def add_action(
    objective: Objective,
    *,
    title: str,
    owner: str = "",
    starts_on: date | None = None,
    due_on: date | None = None,
) -> PlanAction:
    if not title.strip():
        raise AssessmentError(_("Give it a title."))
    if starts_on and due_on and due_on < starts_on:
        raise AssessmentError(_("An action is due after it starts."))
    return PlanAction.objects.create(
        objective=objective,
        title=title.strip()[:300],
        owner=owner.strip()[:200],
        starts_on=starts_on,
        due_on=due_on,
    )


def set_action_status(action: PlanAction, status: str) -> PlanAction:
    if status not in ActionStatus.values:
        raise AssessmentError(_("Unknown status."))
    action.status = status
    action.save(update_fields=["status"])
    return action


def _number(value) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError) as error:
        raise AssessmentError(_("« %(value)s » is not a number.") % {"value": value}) from error
    if not number.is_finite() or abs(number) >= MAX_VALUE:
        raise AssessmentError(_("« %(value)s » is not a number.") % {"value": value})
    return number


def add_indicator(
    plan: EngagementPlan,
    *,
    name: str,
    unit: str,
    direction: str,
    baseline,
    target,
    method: str = "",
    objective: Objective | None = None,
) -> Indicator:
    _draft(plan)
    if not name.strip() or not unit.strip():
        raise AssessmentError(_("An indicator has a name and a unit."))
    if direction not in Direction.values:
        raise AssessmentError(_("Unknown direction."))
    baseline, target = _number(baseline), _number(target)
    if (direction == Direction.UP and target <= baseline) or (
        direction == Direction.DOWN and target >= baseline
    ):
        raise AssessmentError(_("The target must be better than the baseline, in the indicator's direction."))
    if objective is not None and objective.plan_id != plan.pk:
        raise AssessmentError(_("This objective belongs to another plan."))
    return Indicator.objects.create(
        plan=plan,
        objective=objective,
        name=name.strip()[:200],
        unit=unit.strip()[:40],
        direction=direction,
        baseline=baseline,
        target=target,
        method=method.strip(),
    )


def record_measurement(indicator: Indicator, by, *, measured_on: date, value, note: str = "") -> Measurement:
    """A new value of the series (append-only); only once the plan is adopted."""
    if indicator.plan.status != PlanStatus.ADOPTED:
        raise AssessmentError(_("Values are measured once the bureau has adopted the plan."))
    return Measurement.objects.create(
        indicator=indicator,
        measured_on=measured_on,
        value=_number(value),
        note=note.strip()[:500],
        recorded_by=by,
    )


def progress(indicator: Indicator, value: Decimal) -> Fraction:
    """How far `value` is from the baseline towards the target: 0 at the baseline, 1 at the target."""
    span = Fraction(indicator.target) - Fraction(indicator.baseline)
    return (Fraction(value) - Fraction(indicator.baseline)) / span


def add_progress_review(plan: EngagementPlan, *, scheduled_on: date, notes: str = "", held: bool = False):
    if not plan.starts_on <= scheduled_on <= plan.ends_on:
        raise AssessmentError(_("A progress review falls within the plan's dates."))
    return ProgressReview.objects.create(plan=plan, scheduled_on=scheduled_on, notes=notes.strip(), held=held)


@transaction.atomic
def record_review_held(review: ProgressReview, *, held_on: date, summary: str) -> ProgressReview:
    """A planned progress review marked as held, with its date and what it concluded. Recording it
    again corrects it (the date and the summary are the team's notes, not a vote)."""
    if held_on > timezone.localdate():
        raise AssessmentError(_("A review is recorded as held once it has taken place."))
    if not summary.strip():
        raise AssessmentError(_("Say in a few words what the review concluded."))
    review.held, review.held_on, review.summary = True, held_on, summary.strip()[:5000]
    review.save(update_fields=["held", "held_on", "summary"])
    return review


# --- Evidence of the actions -------------------------------------------------------------------


@transaction.atomic
def attach_evidence(action: PlanAction, evidence_ids: list[int]) -> None:
    """Attach exactly these pieces of evidence to the action: the subject's evidence in the study,
    the same pieces its answers may cite (`evidence.subject_evidence`)."""
    from .evidence import subject_evidence

    assessment = action.objective.plan.assessment
    allowed = set(subject_evidence(assessment).filter(pk__in=evidence_ids).values_list("pk", flat=True))
    if set(evidence_ids) - allowed:
        raise AssessmentError(_("This evidence is not about the assessment's subject."))
    action.evidence.set(sorted(allowed))


@transaction.atomic
def add_action_link(action: PlanAction, by, *, title: str, url: str) -> Evidence:
    """A link (a report, minutes, a web page) as new evidence about the subject, attached to the
    action. Unlike the answers' evidence it is added at any time: actions are followed after the
    assessment is frozen. Files are added on the evidence page, while the assessment is answered."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    if not title.strip():
        raise AssessmentError(_("Give it a title."))
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise AssessmentError(_("« %(value)s » is not a web address.") % {"value": url[:80]}) from error
    if len(url) > 500:
        raise AssessmentError(_("The address is longer than 500 characters."))
    assessment = action.objective.plan.assessment
    piece = Evidence.objects.create(
        study=assessment.study,
        collective=assessment.collective,
        title=title.strip()[:200],
        url=url,
        added_by=by,
    )
    action.evidence.add(piece)
    return piece


# --- Adoption by the bureau's vote -----------------------------------------------------------


def pending_adoption(plan: EngagementPlan) -> Proposal | None:
    return (
        Proposal.objects.filter(
            kind=ProposalKind.PLAN,
            target_type=ContentType.objects.get_for_model(EngagementPlan),
            target_id=plan.pk,
            status__in=(Status.DRAFT, Status.OPEN),
        )
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def propose_plan(plan: EngagementPlan, by) -> Proposal:
    plan = EngagementPlan.objects.select_for_update().select_related("assessment__study").get(pk=plan.pk)
    bureau = plan.assessment.study.bureau
    if not commons_permissions.can_propose(by, bureau):
        raise GovernanceError(_("Only the bureau's voting members propose to adopt a plan."))
    if plan.status == PlanStatus.ADOPTED:
        raise GovernanceError(_("This plan is already adopted."))
    if pending_adoption(plan) is not None:
        raise GovernanceError(_("The adoption of this plan is already proposed."))
    if not plan.objectives.exists() or not plan.indicators.exists():
        raise GovernanceError(_("A plan is proposed with at least one objective and one indicator."))
    if rule_for(bureau, ProposalKind.PLAN) is None:
        ensure_default_rules(bureau)
    subject = plan.assessment.collective.code if plan.assessment.collective_id else _("the bureau itself")
    body = _(
        "Adopt the engagement plan « %(title)s » (%(start)s – %(end)s) that follows the assessment of "
        "%(subject)s: %(objectives)d objectives, %(indicators)d indicators."
    ) % {
        "title": plan.title,
        "start": plan.starts_on.strftime("%d/%m/%Y"),
        "end": plan.ends_on.strftime("%d/%m/%Y"),
        "subject": subject,
        "objectives": plan.objectives.count(),
        "indicators": plan.indicators.count(),
    }
    title = _("Adopt the engagement plan « %(title)s »") % {"title": plan.title}
    return actions.create_proposal(
        bureau, by, title=title[:200], body=body, kind=ProposalKind.PLAN, target=plan
    )


def adopt_adopted(proposal: Proposal, decision: Decision) -> EngagementPlan | None:
    """Hook `bec_apply_adopted`: an adopted « engagement plan » proposal adopts its plan."""
    if proposal.kind != ProposalKind.PLAN or proposal.target_id is None:
        return None
    if proposal.target_type_id != ContentType.objects.get_for_model(EngagementPlan).pk:
        return None
    updated = EngagementPlan.objects.filter(pk=proposal.target_id, status=PlanStatus.DRAFT).update(
        status=PlanStatus.ADOPTED, decision=decision, adopted_at=decision.closed_at
    )
    return EngagementPlan.objects.get(pk=proposal.target_id) if updated else None
