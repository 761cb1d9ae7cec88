"""The assessment pages (issue 19, item 7 — first part): list, referential version (proposing its
adoption), answering criterion by criterion (never pre-filled), steps, results with the SVG chart
and the formula; consent withdrawal hides them at once; query counts bounded at two sizes."""

from __future__ import annotations

import itertools
import re

import pytest
from django.utils import timezone

from commons.models import Proposal
from commons.models.governance import ProposalKind
from commons.rules import ensure_default_rules
from participants.models import ConsentRecord
from studies.assessments import services
from studies.assessments.importing import import_referential
from studies.models import Answer, Assessment, ReferentialVersion
from tests.conftest import client_for, count_queries

from .assessment_data import DEMO_FILE, adopted, answer_all

pytestmark = pytest.mark.django_db

ALL = {"C1": "present", "C2": "na", "C3": "absent"}


def url(study, name: str, *args) -> str:
    return study.url + study.reverse_subpage(name, args=args)


@pytest.fixture
def assessment(bureau, study, people, make_collective):
    version = adopted(bureau)
    collective = make_collective(bureau, name="Vrai nom du collectif")
    return services.create_assessment(study, version, people["member"], collective=collective)


def test_the_study_page_links_to_the_assessments(client, study, people):
    client_for(client, people["observer"])
    assert url(study, "assessments") in client.get(study.url).content.decode()


def test_the_index_lists_versions_and_assessments_by_pseudonym(client, study, assessment, people):
    client_for(client, people["observer"])
    page = client.get(url(study, "assessments")).content.decode()
    assert "Petit référentiel" in page and assessment.collective.code in page
    assert "Vrai nom du collectif" not in page
    assert "Commencer une évaluation" not in page  # observers read only
    client_for(client, people["member"])
    assert "Commencer une évaluation" in client.get(url(study, "assessments")).content.decode()


def test_opening_an_assessment_from_the_index(client, bureau, study, people, make_collective):
    version = adopted(bureau)
    collective = make_collective(bureau)
    client_for(client, people["member"])
    response = client.post(
        url(study, "assessments"),
        {"version": version.pk, "collective": collective.pk, "assessed_on": "2026-11-30"},
    )
    assessment = Assessment.objects.get()
    assert response.status_code == 302 and response.url == url(study, "assessment_detail", assessment.pk)
    assert assessment.collective == collective and str(assessment.assessed_on) == "2026-11-30"
    bad = client.post(url(study, "assessments"), {"version": 999, "assessed_on": "x"})
    assert bad.status_code == 400 and Assessment.objects.count() == 1


def test_the_version_page_proposes_the_adoption(client, bureau, study, people):
    ensure_default_rules(bureau)
    version = ReferentialVersion.objects.get(
        pk=import_referential(DEMO_FILE.read_text(), bureau=bureau).version_id
    )
    client_for(client, people["member"])
    page = client.get(url(study, "referential_version", version.pk)).content.decode()
    assert "exemple écrit pour la démonstration" in page.lower() and version.rule_sha256 in page
    assert "GOV.DEC.1" in page
    # a grade's prerequisite names the level as members read it, not the file's code
    assert "aucune rubrique essentielle sous « Partiel »" in page and "« partial »" not in page
    response = client.post(url(study, "referential_version", version.pk))
    assert response.status_code == 302
    assert Proposal.objects.get(kind=ProposalKind.REFERENTIAL).target == version
    again = client.post(url(study, "referential_version", version.pk), follow=True)
    assert "déjà proposée" in again.content.decode()
    client_for(client, people["observer"])
    assert client.post(url(study, "referential_version", version.pk)).status_code == 403


def test_the_answering_page_preselects_no_level_and_saves(client, study, assessment, people):
    client_for(client, people["member"])
    c1, c2 = (assessment.version.criteria.get(code=code) for code in ("C1", "C2"))
    page = client.get(url(study, "assessment_answer", assessment.pk, c1.pk)).content.decode()
    levels = re.findall(r'<input type="radio" name="level"[^>]*>', page)
    assert len(levels) == 3 and not any("checked" in tag for tag in levels)  # C1: no « not applicable »
    response = client.post(
        url(study, "assessment_answer", assessment.pk, c1.pk),
        {"level": "partial", "documents": "present", "documents_text": "Charte", "next": "1"},
    )
    assert response.status_code == 302 and response.url == url(study, "assessment_answer", assessment.pk, c2.pk)
    answer = Answer.objects.get(criterion=c1)
    assert answer.level == "partial" and answer.documents_text == "Charte"
    refused = client.post(url(study, "assessment_answer", assessment.pk, c2.pk), {"level": "na"})
    assert refused.status_code == 400 and "pourquoi" in refused.content.decode().lower()
    assert not Answer.objects.filter(criterion=c2).exists()
    page = client.get(url(study, "assessment_answer", assessment.pk, c1.pk)).content.decode()
    assert re.search(r'<input type="radio" name="level" value="partial"[^>]*checked', page)


def test_disagreements_show_on_the_assessment_page(client, study, assessment, people):
    answer_all(assessment, people["member"], ALL)
    answer_all(assessment, people["coordinator"], dict(ALL, C3="partial"))
    client_for(client, people["observer"])
    page = client.get(url(study, "assessment_detail", assessment.pk)).content.decode()
    assert "désaccord" in page and "Absent" not in page or "absent" in page
    assert page.count('class="criterion disagreement"') == 1


def test_steps_from_the_page(client, study, assessment, people):
    answer_all(assessment, people["member"], ALL)
    client_for(client, people["member"])
    assert client.post(url(study, "assessment_step", assessment.pk, "submit")).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    client.post(url(study, "assessment_step", assessment.pk, "start_review"))
    assessment.refresh_from_db()
    assert assessment.status == "submitted"  # members do not run the review
    client_for(client, people["coordinator"])
    client.post(url(study, "assessment_step", assessment.pk, "start_review"))
    assessment.refresh_from_db()
    assert assessment.status == "in_review"
    assert client.post(url(study, "assessment_step", assessment.pk, "nonsense")).status_code == 404


def test_the_results_page_shows_the_score_the_grade_the_chart_and_the_formula(client, study, assessment, people):
    answer_all(assessment, people["member"], ALL)
    client_for(client, people["observer"])
    page = client.get(url(study, "assessment_results", assessment.pk)).content.decode()
    assert "50,0 %" in page and "(1/2)" in page  # hand-computed: (1 + 0) / 2
    assert "bronze" in page and "R2" in page
    assert 'class="chart-image" src="data:image/svg+xml;base64,' in page
    assert "laissé hors de sa rubrique" in page or "hors de sa rubrique" in page


def test_a_withdrawal_hides_the_assessment_everywhere_at_once(client, study, assessment, people):
    client_for(client, people["member"])
    ConsentRecord.objects.filter(collective=assessment.collective).update(withdrawn_at=timezone.now())
    for name in ("assessment_detail", "assessment_results"):
        assert client.get(url(study, name, assessment.pk)).status_code == 404
    criterion = assessment.version.criteria.first()
    assert client.get(url(study, "assessment_answer", assessment.pk, criterion.pk)).status_code == 404
    assert assessment.collective.code not in client.get(url(study, "assessments")).content.decode()


_names = itertools.count(1)


def _demo_assessment(bureau, study, people, assessors: int):
    text = DEMO_FILE.read_text().replace("Usage responsable", f"Usage responsable {next(_names)}")
    version = adopted(bureau, text)
    assessment = services.create_assessment(study, version, people["member"])
    voters = [people["member"], people["coordinator"]][:assessors]
    levels = {c.code: "partial" for c in version.criteria.all()}
    for voter in voters:
        answer_all(assessment, voter, levels)
    return assessment


def test_query_counts_do_not_grow_with_answers_or_assessors(client, bureau, study, people):
    client_for(client, people["coordinator"])
    small = _demo_assessment(bureau, study, people, 1)
    large = _demo_assessment(bureau, study, people, 2)
    for name in ("assessment_detail", "assessment_results"):
        assert count_queries(client, url(study, name, small.pk)) == count_queries(client, url(study, name, large.pk))
    c_small, c_large = small.version.criteria.first(), large.version.criteria.last()
    assert count_queries(client, url(study, "assessment_answer", small.pk, c_small.pk)) == count_queries(
        client, url(study, "assessment_answer", large.pk, c_large.pk)
    )
    one = count_queries(client, url(study, "assessments"))
    for _n in range(3):
        _demo_assessment(bureau, study, people, 1)
    assert count_queries(client, url(study, "assessments")) == one


def test_the_review_page_records_levels_beside_the_self_assessed_ones(client, study, assessment, people):
    from studies.models import Finding

    answer_all(assessment, people["member"], ALL)
    services.transition(assessment, "submit", people["member"])
    services.transition(assessment, "start_review", people["coordinator"])
    c1 = assessment.version.criteria.get(code="C1")
    client_for(client, people["coordinator"])
    review_url = url(study, "assessment_review", assessment.pk)
    page = client.get(review_url).content.decode()
    assert f'name="level-{c1.pk}"' in page and "En place" not in page or "present" in page
    response = client.post(
        review_url,
        {f"level-{c1.pk}": "partial", f"finding-{c1.pk}": "Pas de preuve.", f"severity-{c1.pk}": "major",
         "verdict": "reservations", "auditor_name": "Auditrice"},
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert (finding.criterion, finding.reviewed_level, finding.severity) == (c1, "partial", "major")
    assert client.post(review_url, {f"level-{c1.pk}": "wonderful"}).status_code == 400
    assert Finding.objects.get().reviewed_level == "partial"
    client_for(client, people["member"])
    assert client.post(review_url, {"verdict": "confirmed"}).status_code == 403
    page = client.get(review_url).content.decode()
    assert "Pas de preuve." in page and "Auditrice" in page


def test_version_review_evidence_and_compare_pages_cost_the_same_at_two_sizes(client, bureau, study, people):
    from studies.assessments import evidence as evidence_service

    client_for(client, people["coordinator"])
    sizes = []
    for assessors in (1, 2):
        first = _demo_assessment(bureau, study, people, assessors)
        second = services.create_assessment(study, first.version, people["member"])
        for voter in [people["member"], people["coordinator"]][:assessors]:
            answer_all(second, voter, {c.code: "present" for c in first.version.criteria.all()})
        for n in range(assessors * 2):
            evidence_service.add_evidence(first, people["member"], title=f"Preuve {n}", url=f"https://exemple.fr/{n}")
        services.transition(first, "submit", people["member"])
        services.transition(first, "start_review", people["coordinator"])
        criteria = list(first.version.criteria.all()[: assessors * 3])
        services.record_review(
            first, people["coordinator"], verdict="confirmed",
            findings={c.pk: {"reviewed_level": "absent", "finding": "Constat.", "severity": "minor"} for c in criteria},
        )
        sizes.append(
            [
                count_queries(client, url(study, "referential_version", first.version_id)),
                count_queries(client, url(study, "assessment_review", first.pk)),
                count_queries(client, url(study, "assessment_evidence", first.pk)),
                count_queries(client, f"{url(study, 'assessment_compare')}?a={first.pk}&b={second.pk}"),
            ]
        )
    assert sizes[0] == sizes[1]
