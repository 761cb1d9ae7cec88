"""Issue 19's acceptance, end to end: import → adopt (vote) → assess → submit → review → freeze →
plan (adopted by vote) → measurements, the scores checked against hand-computed values; the plan's
rules (fixed once adopted, append-only series, progress towards the target)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction as F

import pytest
from django.utils import timezone

from commons import actions
from commons.actions import GovernanceError
from commons.models import Proposal
from commons.rules import ensure_default_rules
from studies.assessments import plans, services, votes
from studies.assessments.importing import import_referential
from studies.assessments.services import AssessmentError
from studies.models import Measurement, ReferentialVersion, VersionLocked

from .assessment_data import DEMO_FILE, answer_all
from .test_assessment_scoring import DEMO_ANSWERS

pytestmark = pytest.mark.django_db


def decide(proposal: Proposal, people):
    proposal = actions.open_proposal(proposal, people["coordinator"], timezone.now() + timedelta(days=3))
    for who in ("member", "coordinator"):
        actions.cast_ballot(proposal, people[who], choice="for")
    Proposal.objects.filter(pk=proposal.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    return actions.close_proposal(proposal.pk)


@pytest.fixture
def frozen(bureau, study, people, make_collective):
    ensure_default_rules(bureau)
    version = ReferentialVersion.objects.get(pk=import_referential(DEMO_FILE.read_text(), bureau=bureau).version_id)
    decide(votes.propose_adoption(version, people["member"]), people)
    version.refresh_from_db()
    assessment = services.create_assessment(study, version, people["member"], collective=make_collective(bureau))
    answer_all(assessment, people["member"], DEMO_ANSWERS)
    answer_all(assessment, people["coordinator"], DEMO_ANSWERS)
    services.transition(assessment, "submit", people["member"])
    services.transition(assessment, "start_review", people["coordinator"])
    criteria = {c.code: c.pk for c in version.criteria.all()}
    services.record_review(
        assessment,
        people["coordinator"],
        auditor_name="Auditrice",
        verdict="reservations",
        findings={criteria["TRA.FOR.2"]: {"reviewed_level": "absent", "finding": "Aucune trace.", "severity": "minor"}},
    )
    services.transition(assessment, "mark_reviewed", people["coordinator"])
    return services.transition(assessment, "freeze", people["coordinator"])


def test_import_assess_review_freeze_with_hand_computed_scores(frozen):
    scores = frozen.frozen_scores
    assert scores["rule_sha256"] == frozen.version.rule_sha256
    # Self: see test_assessment_scoring (8/15, « confirmed », TRA exactly at its 1/4 prerequisite).
    assert F(scores["self"]["overall"]) == F(8, 15) and scores["self"]["grade"] == "confirmed"
    # Reviewed: TRA.FOR.2 lowered to absent → TRA.FOR = 1/4, TRA = 1/8 < 1/4 → « engaged » only.
    # Overall = (3/4 + 2×7/12 + 1/8 + 1/2) / 5 = (18/24 + 28/24 + 3/24 + 12/24) / 5 = 61/120.
    assert F(scores["reviewed"]["overall"]) == F(61, 120) and scores["reviewed"]["grade"] == "engaged"
    assert scores["final"] == scores["reviewed"]


def test_the_plan_is_adopted_by_vote_then_measured(frozen, people):
    plan = plans.create_plan(
        frozen, people["coordinator"], title="Plan 2027-2029", starts_on=date(2027, 1, 1), ends_on=date(2029, 12, 31)
    )
    with pytest.raises(AssessmentError):
        plans.create_plan(frozen, people["coordinator"], title="Encore", starts_on=date(2027, 1, 1), ends_on=date(2028, 1, 1))
    with pytest.raises(AssessmentError):
        plans.add_objective(plan, title="Hors référentiel", criterion_codes=["ZZZ"])
    objective = plans.add_objective(plan, title="Former l'équipe", criterion_codes=["TRA.FOR.1", "TRA.FOR.2"])
    action = plans.add_action(objective, title="Deux sessions", owner="Karim", due_on=date(2027, 6, 30))
    with pytest.raises(GovernanceError):
        plans.propose_plan(plan, people["member"])  # no indicator yet
    with pytest.raises(AssessmentError):
        plans.add_indicator(plan, name="Formés", unit="%", direction="up", baseline=40, target=30)
    trained = plans.add_indicator(
        plan, name="Part de l'équipe formée", unit="%", direction="up", baseline=20, target=80, objective=objective
    )
    plans.add_indicator(plan, name="Outils non maîtrisés", unit="outils", direction="down", baseline=5, target=1)
    with pytest.raises(AssessmentError):
        plans.record_measurement(trained, people["member"], measured_on=date(2027, 3, 1), value=30)
    decide(plans.propose_plan(plan, people["member"]), people)
    plan.refresh_from_db()
    assert plan.status == "adopted" and plan.decision is not None
    with pytest.raises(AssessmentError):
        plans.add_objective(plan, title="Trop tard", criterion_codes=[])
    first = plans.record_measurement(trained, people["member"], measured_on=date(2027, 6, 1), value="50")
    plans.record_measurement(trained, people["member"], measured_on=date(2028, 6, 1), value="80")
    assert [m.value for m in trained.measurements.all()] == [Decimal("50"), Decimal("80")]
    assert plans.progress(trained, first.value) == F(1, 2) and plans.progress(trained, Decimal(80)) == 1
    with pytest.raises(VersionLocked):
        first.save()
    with pytest.raises(VersionLocked):
        Measurement.objects.filter(pk=first.pk).update(value=1)
    with pytest.raises(AssessmentError):
        plans.record_measurement(trained, people["member"], measured_on=date(2028, 6, 1), value="beaucoup")
    plans.set_action_status(action, "done")
    review = plans.add_progress_review(plan, scheduled_on=date(2028, 1, 15), notes="Bilan à un an.")
    with pytest.raises(AssessmentError):
        plans.add_progress_review(plan, scheduled_on=date(2031, 1, 1))
    assert review.plan == plan


def test_a_plan_needs_a_frozen_assessment(bureau, study, people):
    from .assessment_data import adopted

    draft = services.create_assessment(study, adopted(bureau), people["member"])
    with pytest.raises(AssessmentError):
        plans.create_plan(draft, people["member"], title="x", starts_on=date(2027, 1, 1), ends_on=date(2028, 1, 1))


def test_the_bureau_may_close_a_review_by_vote(bureau, study, people):
    from .assessment_data import ALL_SMALL, adopted

    assessment = services.create_assessment(study, adopted(bureau), people["member"])
    answer_all(assessment, people["member"], ALL_SMALL)
    services.transition(assessment, "submit", people["member"])
    services.transition(assessment, "start_review", people["coordinator"])
    with pytest.raises(GovernanceError):
        votes.propose_review_closing(assessment, people["member"])  # no verdict yet
    services.record_review(assessment, people["coordinator"], findings={}, verdict="confirmed")
    proposal = votes.propose_review_closing(assessment, people["member"])
    assert proposal.kind == "review_closing" and proposal.target == assessment
    with pytest.raises(GovernanceError):
        votes.propose_review_closing(assessment, people["coordinator"])
    decide(proposal, people)
    assessment.refresh_from_db()
    assert assessment.status == "reviewed" and assessment.frozen_scores["reviewed"]["overall"] == "1/2"
