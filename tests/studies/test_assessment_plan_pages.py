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
from studies.models import EngagementPlan, Measurement, PlanStatus
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
        plans.add_action(objective, title=f"Action {n}")
    assert count_queries(client, url(study, "assessment_plan", frozen.pk)) == small_plan
    assert count_queries(client, url(study, "plan_indicator", frozen.pk, indicator.pk)) == small_indicator
