"""Assessments (issue 19, item 2 and the consent rule): pinned to one adopted version, answered
criterion by criterion by several members (never pre-filled, every change kept, disagreements
shown and never averaged), statuses through one service, consent « assessment » required and its
withdrawal hiding the assessment at once, and upgrades carrying exactly the mapped answers."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from django.utils import timezone

from participants.models import ConsentRecord, ConsentScope
from studies.assessments import scoring, services
from studies.assessments.importing import import_referential
from studies.assessments.services import AssessmentError
from studies.models import Answer, AnswerChange, Assessment, Criterion, ReferentialVersion

from .assessment_data import SMALL, SMALL_V2, adopted, answer_all

pytestmark = pytest.mark.django_db

ALL = {"C1": "present", "C2": "na", "C3": "absent"}


@pytest.fixture
def version(bureau):
    return adopted(bureau)


@pytest.fixture
def assessment(study, version, people):
    return services.create_assessment(study, version, people["member"])


def criterion(assessment, code: str) -> Criterion:
    return assessment.version.criteria.get(code=code)


def test_the_consent_scope_has_its_french_label():
    from django.utils.translation import override

    with override("fr"):
        assert str(ConsentScope.ASSESSMENT.label) == "autodiagnostic au regard d'un référentiel"


def test_only_an_adopted_version_of_the_bureau_is_assessed(bureau, other_bureau, study, people):
    imported = ReferentialVersion.objects.get(pk=import_referential(SMALL, bureau=bureau).version_id)
    with pytest.raises(AssessmentError, match="adoptée"):
        services.create_assessment(study, imported, people["member"])
    foreign = adopted(other_bureau)
    with pytest.raises(AssessmentError, match="autre bureau"):
        services.create_assessment(study, foreign, people["member"])


def test_a_collective_is_assessed_only_with_its_consent(bureau, study, version, people, make_collective):
    without = make_collective(bureau, scopes=[ConsentScope.OBSERVATION])
    with pytest.raises(AssessmentError, match=without.code):
        services.create_assessment(study, version, people["member"], collective=without)
    consenting = make_collective(bureau)
    assessment = services.create_assessment(study, version, people["member"], collective=consenting)
    assert assessment.collective == consenting and assessment.status == "draft"


def test_a_withdrawal_hides_the_assessment_at_once(bureau, study, version, people, make_collective):
    collective = make_collective(bureau)
    of_collective = services.create_assessment(study, version, people["member"], collective=collective)
    of_bureau = services.create_assessment(study, version, people["member"])
    assert set(Assessment.objects.consented()) == {of_collective, of_bureau}
    ConsentRecord.objects.filter(collective=collective).update(withdrawn_at=timezone.now())
    assert list(Assessment.objects.consented()) == [of_bureau]
    assert Assessment.objects.filter(pk=of_collective.pk).exists()  # kept until erased


def test_answers_start_empty_and_every_change_is_kept(assessment, people):
    c1 = criterion(assessment, "C1")
    answer = services.record_answer(assessment, c1, people["member"], {"comment": "À voir."})
    assert answer.level == ""  # never pre-filled: a comment alone chooses no level
    services.record_answer(assessment, c1, people["member"], {"level": "partial", "documents": "present"})
    services.record_answer(assessment, c1, people["member"], {"level": "partial", "documents": "present"})
    services.record_answer(assessment, c1, people["member"], {"level": "present", "documents": "present"})
    history = list(AnswerChange.objects.filter(answer=answer).values_list("values__level", "changed_by"))
    assert history == [("", people["member"].pk), ("partial", people["member"].pk), ("present", people["member"].pk)]


def test_not_applicable_needs_the_criterion_to_allow_it_and_a_justification(assessment, people):
    with pytest.raises(AssessmentError, match="C1"):
        services.record_answer(assessment, criterion(assessment, "C1"), people["member"], {"level": "na", "justification": "x"})
    with pytest.raises(AssessmentError, match="pourquoi"):
        services.record_answer(assessment, criterion(assessment, "C2"), people["member"], {"level": "na"})
    with pytest.raises(AssessmentError):
        services.record_answer(assessment, criterion(assessment, "C2"), people["member"], {"level": "great"})
    with pytest.raises(AssessmentError):
        services.record_answer(assessment, criterion(assessment, "C2"), people["member"], {"means": "maybe"})
    assert not Answer.objects.exists()
    services.record_answer(
        assessment, criterion(assessment, "C2"), people["member"], {"level": "na", "justification": "Pas de salariés."}
    )


def test_disagreements_are_shown_and_block_the_submission(assessment, people):
    answer_all(assessment, people["member"], ALL)
    answer_all(assessment, people["coordinator"], dict(ALL, C3="partial"))
    agreed = services.consensus(assessment)
    assert agreed.levels == {"C1": "present", "C2": "na"}
    assert agreed.disagreements == {"C3": {people["member"].pk: "absent", people["coordinator"].pk: "partial"}}
    with pytest.raises(AssessmentError, match="C3"):
        services.transition(assessment, "submit", people["member"])
    assessment.refresh_from_db()
    assert assessment.status == "draft"
    answer_all(assessment, people["coordinator"], ALL)
    assessment = services.transition(assessment, "submit", people["member"])
    assert assessment.status == "submitted"
    assert assessment.frozen_scores["self"]["overall"] == "1/2"
    assert assessment.frozen_scores["rule_sha256"] == assessment.version.rule_sha256


def test_a_submission_needs_every_criterion(assessment, people):
    answer_all(assessment, people["member"], {"C1": "present", "C3": "absent"})
    with pytest.raises(AssessmentError, match="C2"):
        services.transition(assessment, "submit", people["member"])


def test_the_statuses_from_draft_to_frozen(assessment, people):
    answer_all(assessment, people["member"], ALL)
    coordinator = people["coordinator"]
    services.transition(assessment, "submit", people["member"])
    with pytest.raises(AssessmentError):
        answer_all(assessment, people["member"], {"C1": "absent"})
    with pytest.raises(AssessmentError):
        services.transition(assessment, "freeze", coordinator)
    services.transition(assessment, "start_review", coordinator)
    services.transition(assessment, "request_changes", coordinator)
    answer_all(assessment, people["member"], dict(ALL, C3="partial"))  # editable again
    services.transition(assessment, "submit", people["member"])
    services.transition(assessment, "start_review", coordinator)
    with pytest.raises(AssessmentError, match="avis"):
        services.transition(assessment, "mark_reviewed", coordinator)
    services.record_review(assessment, coordinator, findings={}, verdict="confirmed")
    services.transition(assessment, "mark_reviewed", coordinator)
    frozen = services.transition(assessment, "freeze", coordinator)
    assert frozen.status == "frozen" and frozen.frozen_at is not None
    assert F(frozen.frozen_scores["final"]["overall"]) == scoring.score(frozen.version.rule, dict(ALL, C3="partial")).overall
    with pytest.raises(AssessmentError):
        services.transition(frozen, "submit", people["member"])
    with pytest.raises(AssessmentError):
        services.transition(frozen, "no-such-step", coordinator)


def test_an_upgrade_carries_exactly_the_mapped_answers(bureau, study, assessment, people):
    answer_all(assessment, people["member"], ALL)
    answer_all(assessment, people["coordinator"], dict(ALL, C3="partial"))
    v2 = adopted(bureau, SMALL_V2)
    before = list(assessment.answers.values_list("pk", "level"))
    new = services.upgrade(assessment, v2, people["coordinator"])
    assert new.version == v2 and new.upgraded_from == assessment and new.status == "draft"
    carried = sorted(new.answers.values_list("criterion__code", "assessor_id", "level"))
    assert carried == sorted(
        [
            ("C1", people["member"].pk, "present"),
            ("C1", people["coordinator"].pk, "present"),
            ("C3b", people["member"].pk, "absent"),
            ("C3b", people["coordinator"].pk, "partial"),
        ]
    )  # C2 is not in the map: not carried; C4 is new: unanswered
    assert list(assessment.answers.values_list("pk", "level")) == before  # the old one is untouched
    assert set(AnswerChange.objects.filter(answer__assessment=new).values_list("values__carried_from", flat=True)) == {"C1", "C3"}
    with pytest.raises(AssessmentError):
        services.upgrade(new, v2, people["coordinator"])


def test_a_review_keeps_both_levels_and_scores_each_stage(assessment, people):
    from studies.models import Finding

    answer_all(assessment, people["member"], ALL)
    coordinator = people["coordinator"]
    services.transition(assessment, "submit", people["member"])
    c1, c3 = criterion(assessment, "C1"), criterion(assessment, "C3")
    with pytest.raises(AssessmentError):
        services.record_review(assessment, coordinator, findings={c1.pk: {"reviewed_level": "partial"}})
    services.transition(assessment, "start_review", coordinator)
    with pytest.raises(AssessmentError):
        services.record_review(assessment, coordinator, findings={c1.pk: {"reviewed_level": "superb"}})
    with pytest.raises(AssessmentError):
        services.record_review(assessment, coordinator, findings={c1.pk: {"reviewed_level": "na"}})
    assert not Finding.objects.exists()
    services.record_review(
        assessment,
        coordinator,
        auditor_name="Auditrice externe",
        verdict="reservations",
        findings={
            c1.pk: {"reviewed_level": "partial", "finding": "Pas de preuve écrite.", "severity": "major"},
            c3.pk: {"finding": "Confirmé.", "severity": "note"},
        },
    )
    assert services.reviewed_levels(assessment) == {"C1": "partial", "C2": "na", "C3": "absent"}
    assert Answer.objects.get(criterion=c1).level == "present"  # the self-assessed level is kept
    services.transition(assessment, "mark_reviewed", coordinator)
    frozen = services.transition(assessment, "freeze", coordinator)
    scores = frozen.frozen_scores
    assert scores["self"]["overall"] == "1/2" and scores["self"]["grade"] == "bronze"
    assert scores["reviewed"]["overall"] == "1/4" and scores["reviewed"]["grade"] is None  # R1 = 1/2, R2 = 0
    assert scores["final"] == scores["reviewed"]
