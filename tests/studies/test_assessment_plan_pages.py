"""The plan and indicator pages (issue 19, items 6–7): creating and completing a plan, proposing it
to the bureau, the series charted, measurements recorded (bad values refused, nothing changed);
query counts bounded at two sizes."""

from __future__ import annotations

from datetime import date

import pytest

from commons.models import Proposal
from commons.models.governance import ProposalKind
from commons.rules import ensure_default_rules
from studies.assessments import plans, services
from studies.models import EngagementPlan, Evidence, Measurement, PlanAction, PlanStatus, ProgressReview
from tests.conftest import client_for, count_queries

from .assessment_data import adopted, answer_all

pytestmark = pytest.mark.django_db

ALL = {"C1": "present", "C2": "na", "C3": "absent"}


def url(study, name: str, *args) -> str:
    return study.url + study.reverse_subpage(name, args=args)


@pytest.fixture
def frozen(bureau, study, people, make_collective):
    ensure_default_rules(bureau)
    assessment = services.create_assessment(study, adopted(bureau), people["member"], collective=make_collective(bureau))
    answer_all(assessment, people["member"], ALL)
    services.transition(assessment, "submit", people["member"])
    services.transition(assessment, "start_review", people["coordinator"])
    services.record_review(assessment, people["coordinator"], findings={}, verdict="confirmed")
    services.transition(assessment, "mark_reviewed", people["coordinator"])
    return services.transition(assessment, "freeze", people["coordinator"])


def test_a_plan_is_built_and_proposed_from_its_page(client, study, frozen, people):
    client_for(client, people["member"])
    page_url = url(study, "assessment_plan", frozen.pk)
    assert "Créer le plan" in client.get(page_url).content.decode()
    assert client.post(page_url, {"form": "create", "title": "Plan", "starts_on": "2027-01-01",
                                  "ends_on": "2026-01-01"}).status_code == 400
    assert not EngagementPlan.objects.exists()
    assert client.post(page_url, {"form": "create", "title": "Plan", "starts_on": "2027-01-01",
                                  "ends_on": "2029-12-31"}).status_code == 302
    assert client.post(page_url, {"form": "objective", "title": "Décider ensemble", "criteria": "C1, C2"}).status_code == 302
    plan = EngagementPlan.objects.get()
    objective = plan.objectives.get()
    assert sorted(objective.criteria.values_list("code", flat=True)) == ["C1", "C2"]
    assert client.post(page_url, {"form": "action", "objective": objective.pk, "title": "Charte",
                                  "due_on": "2027-06-30"}).status_code == 302
    bad = client.post(page_url, {"form": "indicator", "name": "Formés", "unit": "%", "direction": "up",
                                 "baseline": "abc", "target": "80"})
    assert bad.status_code == 400 and not plan.indicators.exists()
    assert client.post(page_url, {"form": "indicator", "name": "Formés", "unit": "%", "direction": "up",
                                  "baseline": "20", "target": "80", "objective": objective.pk}).status_code == 302
    assert client.post(page_url, {"form": "propose"}).status_code == 302
    assert Proposal.objects.get(kind=ProposalKind.PLAN).target == plan
    assert "soumise au vote du bureau" in client.get(page_url).content.decode()


def _adopted_plan(frozen, people, measurements: int):
    plan = plans.create_plan(frozen, people["member"], title="Plan", starts_on=date(2027, 1, 1), ends_on=date(2029, 12, 31))
    objective = plans.add_objective(plan, title="Objectif", criterion_codes=["C1"])
    plans.add_action(objective, title="Action")
    indicators = [
        plans.add_indicator(plan, name=f"Indicateur {n}", unit="%", direction="up", baseline=0, target=100)
        for n in range(2)
    ]
    EngagementPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ADOPTED)
    for indicator in indicators:
        indicator.plan.refresh_from_db()
        for n in range(measurements):
            plans.record_measurement(indicator, people["member"], measured_on=date(2027, 1 + n, 1), value=10 * n)
    return plan, indicators


def test_the_indicator_page_charts_the_series_and_records_values(client, study, frozen, people):
    plan, (indicator, _other) = _adopted_plan(frozen, people, 3)
    client_for(client, people["member"])
    page_url = url(study, "plan_indicator", frozen.pk, indicator.pk)
    page = client.get(page_url).content.decode()
    assert 'class="chart-image"' in page and "20 %" not in page or "20,0 %" in page
    assert client.post(page_url, {"measured_on": "2027-09-01", "value": "45,5"}).status_code == 302
    assert Measurement.objects.filter(indicator=indicator).count() == 4
    assert client.post(page_url, {"measured_on": "hier", "value": "1"}).status_code == 400
    assert client.post(page_url, {"measured_on": "2027-09-01", "value": "NaN"}).status_code == 400
    assert Measurement.objects.filter(indicator=indicator).count() == 4
    client_for(client, people["observer"])
    assert client.post(page_url, {"measured_on": "2027-09-01", "value": "1"}).status_code == 403
    plan_page = client.get(url(study, "assessment_plan", frozen.pk)).content.decode()
    assert plan_page.count('class="chart-image"') == 2


def test_plan_pages_cost_the_same_with_more_measurements(client, study, frozen, people, bureau, make_collective):
    plan, (indicator, _other) = _adopted_plan(frozen, people, 1)
    client_for(client, people["coordinator"])
    small_plan = count_queries(client, url(study, "assessment_plan", frozen.pk))
    small_indicator = count_queries(client, url(study, "plan_indicator", frozen.pk, indicator.pk))
    for n in range(5):
        plans.record_measurement(indicator, people["member"], measured_on=date(2028, 1 + n, 1), value=n)
        plans.record_measurement(_other, people["member"], measured_on=date(2028, 1 + n, 1), value=n)
    objective = plan.objectives.get()
    for n in range(3):
        action = plans.add_action(objective, title=f"Action {n}")
        action.evidence.add(_piece(frozen, f"Preuve {n}"))
    review = plans.add_progress_review(plan, scheduled_on=date(2027, 6, 1))
    plans.record_review_held(review, held_on=date(2026, 6, 2), summary="Bilan d'étape")
    assert count_queries(client, url(study, "assessment_plan", frozen.pk)) == small_plan
    assert count_queries(client, url(study, "plan_indicator", frozen.pk, indicator.pk)) == small_indicator


def _piece(assessment, title: str, collective=None) -> Evidence:
    return Evidence.objects.create(
        study=assessment.study, collective=collective or assessment.collective, title=title, url="https://exemple.fr/cr"
    )


def test_members_attach_evidence_and_links_to_actions_and_move_them_on(
    client, study, frozen, people, bureau, make_collective
):
    plan, _indicators = _adopted_plan(frozen, people, 0)
    action = PlanAction.objects.get(objective__plan=plan)
    minutes = _piece(frozen, "CR du conseil")
    foreign = _piece(frozen, "Preuve d'un autre collectif", collective=make_collective(bureau))
    client_for(client, people["member"])
    page_url = url(study, "assessment_plan", frozen.pk)
    page = client.get(page_url).content.decode()
    assert "Preuves de cette action" in page and "CR du conseil" in page
    assert "Preuve d'un autre collectif" not in page
    assert client.post(page_url, {"form": "action_evidence", "action": action.pk, "evidence": [minutes.pk]}).status_code == 302
    assert list(action.evidence.all()) == [minutes]
    for bad in (
        {"form": "action_evidence", "action": action.pk, "evidence": [foreign.pk]},
        {"form": "action_evidence", "action": action.pk, "evidence": ["9" * 30]},
        {"form": "action_evidence", "action": "9" * 30, "evidence": [minutes.pk]},
        {"form": "action_link", "action": action.pk, "title": "Script", "url": "javascript:alert(1)"},
        {"form": "action_link", "action": action.pk, "title": "", "url": "https://exemple.fr"},
        {"form": "action_status", "action": action.pk, "status": "fini"},
    ):
        assert client.post(page_url, bad).status_code == 400, bad
    assert list(action.evidence.all()) == [minutes] and Evidence.objects.count() == 2
    assert client.post(page_url, {"form": "action_link", "action": action.pk, "title": "Charte en ligne",
                                  "url": "https://exemple.fr/charte"}).status_code == 302
    link = Evidence.objects.get(title="Charte en ligne")
    assert link.collective == frozen.collective and set(action.evidence.all()) == {minutes, link}
    assert client.post(page_url, {"form": "action_status", "action": action.pk, "status": "done"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "done"
    page = client.get(page_url).content.decode()
    assert 'href="https://exemple.fr/charte"' in page and "réalisée" in page
    client_for(client, people["observer"])
    assert client.post(page_url, {"form": "action_evidence", "action": action.pk}).status_code == 403
    huge = "9" * 20
    for path in (f"assessments/{huge}/plan/", f"assessments/{frozen.pk}/plan/indicators/{huge}/"):
        assert client.post(study.url + path, {"form": "action_status", "action": action.pk}).status_code == 404
    client_for(client, people["other_member"])  # a member of another bureau
    assert client.get(page_url).status_code == 404
    assert client.post(page_url, {"form": "action_evidence", "action": action.pk}).status_code == 404
    assert action.evidence.count() == 2


def test_a_planned_progress_review_is_recorded_as_held(client, study, frozen, people):
    plan, _indicators = _adopted_plan(frozen, people, 0)
    review = plans.add_progress_review(plan, scheduled_on=date(2027, 6, 1), notes="Point à mi-parcours")
    client_for(client, people["member"])
    page_url = url(study, "assessment_plan", frozen.pk)
    page = client.get(page_url).content.decode()
    assert "Noter qu'il a eu lieu" in page and "Prévu le" in page
    for bad in (
        {"form": "review_held", "review": review.pk, "held_on": "2999-01-01", "summary": "Trop tôt"},
        {"form": "review_held", "review": review.pk, "held_on": "2026-01-10", "summary": "  "},
        {"form": "review_held", "review": review.pk, "held_on": "hier", "summary": "Bilan"},
        {"form": "review_held", "review": "9" * 30, "held_on": "2026-01-10", "summary": "Bilan"},
    ):
        assert client.post(page_url, bad).status_code == 400, bad
    assert not ProgressReview.objects.get(pk=review.pk).held
    assert client.post(page_url, {"form": "review_held", "review": review.pk, "held_on": "2026-01-10",
                                  "summary": "Deux actions sur trois engagées."}).status_code == 302
    review.refresh_from_db()
    assert review.held and review.held_on == date(2026, 1, 10) and review.summary == "Deux actions sur trois engagées."
    page = client.get(page_url).content.decode()
    assert "Tenu le 10 janvier 2026" in page and "prévu le 1 juin 2027" in page.replace("1er", "1")
    assert "Deux actions sur trois engagées." in page and "Noter qu'il a eu lieu" not in page
    client_for(client, people["observer"])
    assert client.post(page_url, {"form": "review_held", "review": review.pk, "held_on": "2026-01-11",
                                  "summary": "Non"}).status_code == 403


def test_a_withdrawal_hides_the_plan_its_exports_comparisons_and_evidence_at_once(
    client, study, frozen, people, settings, tmp_path
):
    """Consent « assessment » withdrawn: every page about the assessment, its plan included, is a 404
    for the whole team, its downloads too, and the files of its actions' evidence are no longer served.
    Before that, the pages name the collective by its code only."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from participants.models import ConsentRecord
    from studies.assessments import evidence as evidence_service

    settings.MEDIA_ROOT = tmp_path
    collective = frozen.collective
    plan, (indicator, _other) = _adopted_plan(frozen, people, 1)
    action = PlanAction.objects.get(objective__plan=plan)
    draft = services.create_assessment(study, frozen.version, people["member"], collective=collective)
    pdf = SimpleUploadedFile("charte.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    piece = evidence_service.add_evidence(draft, people["member"], title="Charte", upload=pdf)
    plans.attach_evidence(action, [piece.pk])
    pages = [
        url(study, "assessment_plan", frozen.pk),
        url(study, "plan_indicator", frozen.pk, indicator.pk),
        url(study, "assessment_evidence", frozen.pk),
        url(study, "assessment_review", frozen.pk),
        url(study, "assessment_upgrade", frozen.pk),
        *(url(study, f"assessment_{t}_{f}", frozen.pk) for t in ("answers", "scores", "plan") for f in ("csv", "xlsx")),
        url(study, "assessment_compare") + f"?a={frozen.pk}&b={draft.pk}",
    ]
    client_for(client, people["coordinator"])
    for page_url in pages:
        response = client.get(page_url)
        assert response.status_code in (200, 400), page_url  # 400: no later version to upgrade to
        assert collective.name not in response.content.decode(errors="replace"), page_url
    assert collective.code in client.get(pages[0]).content.decode()
    assert client.get(piece.document.url).status_code == 200
    ConsentRecord.objects.filter(collective=collective).update(withdrawn_at=timezone.now())
    for page_url in pages:
        assert client.get(page_url).status_code == 404, page_url
    assert client.post(pages[0], {"form": "action_status", "action": action.pk, "status": "done"}).status_code == 404
    assert client.get(piece.document.url).status_code == 404
    assert collective.code not in client.get(url(study, "assessments")).content.decode()
    action.refresh_from_db()
    assert action.status == "planned"
