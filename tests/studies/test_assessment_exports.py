"""Comparisons of two assessments of the same subject (issue 19, item 7) and the CSV/XLSX exports of
answers, scores and plan (through `commons.spreadsheets`: pseudonyms only, formulas neutralised)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from studies.assessments import comparison, services
from tests.conftest import client_for

from .assessment_data import SMALL_V2, adopted, answer_all

pytestmark = pytest.mark.django_db

ALL = {"C1": "present", "C2": "na", "C3": "absent"}


def url(study, name: str, *args) -> str:
    return study.url + study.reverse_subpage(name, args=args)


@pytest.fixture
def collective(bureau, make_collective):
    return make_collective(bureau, name="Nom réel très identifiant")


def test_two_assessments_on_the_same_version_compare_every_criterion(client, bureau, study, people, collective):
    version = adopted(bureau)
    first = services.create_assessment(study, version, people["member"], collective=collective)
    answer_all(first, people["member"], ALL)
    second = services.create_assessment(study, version, people["member"], collective=collective)
    answer_all(second, people["member"], dict(ALL, C3="partial"))
    result = comparison.compare(first, second)
    assert not result.version_changed and result.shared == 3
    assert [(r.after_code, r.before, r.after, r.changed) for r in result.rows] == [
        ("C1", "present", "present", False), ("C2", "na", "na", False), ("C3", "absent", "partial", True)
    ]
    client_for(client, people["observer"])
    page = client.get(f"{url(study, 'assessment_compare')}?a={first.pk}&b={second.pk}").content.decode()
    assert "Changement de méthode" not in page and collective.code in page and "Nom réel" not in page


def test_an_upgrade_compares_the_mapped_criteria_and_flags_the_method_change(client, bureau, study, people, collective):
    v1 = adopted(bureau)
    first = services.create_assessment(study, v1, people["member"], collective=collective)
    answer_all(first, people["member"], ALL)
    second = services.upgrade(first, adopted(bureau, SMALL_V2), people["member"])
    result = comparison.compare(first, second)
    assert result.version_changed
    assert [(r.before_code, r.after_code, r.before, r.after) for r in result.rows] == [
        ("C1", "C1", "present", "present"), ("C3", "C3b", "absent", "absent")
    ]
    client_for(client, people["member"])
    page = client.get(f"{url(study, 'assessment_compare')}?a={second.pk}&b={first.pk}").content.decode()
    assert "Changement de méthode" in page and "C3b" in page


def test_comparisons_refuse_other_subjects_and_unknown_ids(client, bureau, study, people, collective):
    version = adopted(bureau)
    of_collective = services.create_assessment(study, version, people["member"], collective=collective)
    of_bureau = services.create_assessment(study, version, people["member"])
    client_for(client, people["member"])
    compare = url(study, "assessment_compare")
    assert client.get(f"{compare}?a={of_collective.pk}&b={of_bureau.pk}").status_code == 404
    assert client.get(f"{compare}?a={of_collective.pk}&b=99999999999999999999").status_code == 404
    assert client.get(compare).status_code == 404


def test_the_answers_csv_has_pseudonyms_and_neutralised_formulas(client, bureau, study, people, collective):
    assessment = services.create_assessment(study, adopted(bureau), people["member"], collective=collective)
    answer_all(assessment, people["member"], ALL)
    c1 = assessment.version.criteria.get(code="C1")
    services.record_answer(assessment, c1, people["member"], {"level": "present", "comment": "=HYPERLINK(\"x\")"})
    client_for(client, people["observer"])
    response = client.get(url(study, "assessment_answers_csv", assessment.pk))
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and collective.code in response["Content-Disposition"]
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "Nom réel" not in text and "C1" in cells
    assert not any(cell.startswith("=") for cell in cells)
    assert any("HYPERLINK" in cell for cell in cells)


def test_the_scores_xlsx_holds_every_frozen_stage(client, bureau, study, people, collective):
    assessment = services.create_assessment(study, adopted(bureau), people["member"], collective=collective)
    answer_all(assessment, people["member"], ALL)
    services.transition(assessment, "submit", people["member"])
    client_for(client, people["member"])
    response = client.get(url(study, "assessment_scores_xlsx", assessment.pk))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["self", "global", None, "1/2", 50, assessment.version.rule_sha256] in values


def test_exports_cost_the_same_with_more_answers(client, bureau, study, people, collective):
    small = services.create_assessment(study, adopted(bureau), people["member"], collective=collective)
    answer_all(small, people["member"], ALL)
    large = services.create_assessment(study, small.version, people["member"], collective=collective)
    answer_all(large, people["member"], ALL)
    answer_all(large, people["coordinator"], ALL)
    client_for(client, people["member"])
    counts = []
    for assessment in (small, large):
        for table in ("answers", "scores", "plan"):
            client.get(url(study, f"assessment_{table}_csv", assessment.pk))
        with CaptureQueriesContext(connection) as ctx:
            for table in ("answers", "scores", "plan"):
                assert client.get(url(study, f"assessment_{table}_csv", assessment.pk)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def _frozen_for(bureau, study, people, version, collective, levels):
    assessment = services.create_assessment(study, version, people["member"], collective=collective)
    answer_all(assessment, people["member"], levels)
    services.transition(assessment, "submit", people["member"])
    services.transition(assessment, "start_review", people["coordinator"])
    services.record_review(assessment, people["coordinator"], findings={}, verdict="confirmed")
    services.transition(assessment, "mark_reviewed", people["coordinator"])
    return services.transition(assessment, "freeze", people["coordinator"])


def test_comparisons_across_collectives_only_from_the_minimum_group(client, bureau, study, people, make_collective, settings):
    from django.utils import timezone

    from participants.models import ConsentRecord

    settings.BEC_ASSESSMENT_MIN_GROUP = 5
    version = adopted(bureau)
    collectives = [make_collective(bureau, name=f"Nom réel {n}") for n in range(5)]
    for collective in collectives:
        _frozen_for(bureau, study, people, version, collective, ALL)
    client_for(client, people["observer"])
    page_url = url(study, "assessment_overview")
    page = client.get(page_url).content.decode()
    assert all(c.code in page for c in collectives) and "Nom réel" not in page
    assert "50,0 %" in page and 'class="chart-image"' in page
    ConsentRecord.objects.filter(collective=collectives[0]).update(withdrawn_at=timezone.now())
    page = client.get(page_url).content.decode()
    assert collectives[1].code not in page and "4 collectifs" in page


def test_the_overview_costs_the_same_with_more_collectives(client, bureau, study, people, make_collective):
    from tests.conftest import count_queries

    version = adopted(bureau)
    client_for(client, people["member"])
    counts = []
    for size in (5, 8):
        while study.assessments.count() < size:
            _frozen_for(bureau, study, people, version, make_collective(bureau), ALL)
        counts.append(count_queries(client, url(study, "assessment_overview")))
    assert counts[0] == counts[1]


def test_upgrading_from_the_page_carries_exactly_the_mapped_answers(client, bureau, study, people, collective):
    from studies.models import Assessment

    first = services.create_assessment(study, adopted(bureau), people["member"], collective=collective)
    answer_all(first, people["member"], ALL)
    client_for(client, people["coordinator"])
    page_url = url(study, "assessment_upgrade", first.pk)
    assert client.post(page_url, {}).status_code == 400  # no later version yet
    v2 = adopted(bureau, SMALL_V2)
    assert "2 réponses reportées" in client.get(page_url).content.decode()
    response = client.post(page_url, {"version": v2.pk})
    new = Assessment.objects.get(version=v2)
    assert response.status_code == 302 and response.url == url(study, "assessment_detail", new.pk)
    assert sorted(new.answers.values_list("criterion__code", "level")) == [("C1", "present"), ("C3b", "absent")]
    client_for(client, people["member"])
    assert client.post(page_url, {"version": v2.pk}).status_code == 403
