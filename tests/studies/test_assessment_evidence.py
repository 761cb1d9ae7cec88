"""Evidence (issue 19, item 3): files (private, checked by content, hashed) or links, dated, with a
validity end and a personal-data flag; reusable across answers; served only to the team while the
subject consents; erased with the collective."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from wagtail.documents import get_document_model

from participants.models import ConsentRecord
from studies import erasure
from studies.assessments import evidence as evidence_service
from studies.assessments import services
from studies.assessments.services import AssessmentError
from studies.models import Assessment, ErasureRecord, Evidence
from tests.conftest import client_for

from .assessment_data import adopted

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def url(study, name: str, *args) -> str:
    return study.url + study.reverse_subpage(name, args=args)


@pytest.fixture
def assessment(bureau, study, people, make_collective):
    return services.create_assessment(study, adopted(bureau), people["member"], collective=make_collective(bureau))


def pdf(name: str = "charte.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_a_file_is_stored_privately_with_its_checksum(assessment, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    piece = evidence_service.add_evidence(assessment, people["member"], title="Charte", upload=pdf(), personal_data=True)
    assert piece.sha256 == hashlib.sha256(PDF).hexdigest() and piece.personal_data
    assert "(evidence #" in piece.document.collection.name
    with pytest.raises(AssessmentError):
        evidence_service.add_evidence(
            assessment, people["member"], title="Page", upload=SimpleUploadedFile("x.pdf", b"<html><script>")
        )
    with pytest.raises(AssessmentError):
        evidence_service.add_evidence(assessment, people["member"], title="Rien")
    with pytest.raises(AssessmentError):
        evidence_service.add_evidence(assessment, people["member"], title="Les deux", url="https://a.fr", upload=pdf())
    assert Evidence.objects.count() == 1


def test_evidence_backs_several_answers_of_the_same_subject_only(assessment, study, people, bureau):
    piece = evidence_service.add_evidence(assessment, people["member"], title="CR d'AG", url="https://exemple.fr/cr")
    c1, c3 = (assessment.version.criteria.get(code=code) for code in ("C1", "C3"))
    for criterion in (c1, c3):
        answer = services.record_answer(assessment, criterion, people["member"], {"level": "partial"})
        evidence_service.attach(answer, [piece.pk])
    assert piece.answers.count() == 2
    other = services.create_assessment(study, assessment.version, people["member"])  # the bureau itself
    answer = services.record_answer(other, c1, people["member"], {"level": "partial"})
    with pytest.raises(AssessmentError):
        evidence_service.attach(answer, [piece.pk])


def test_the_file_is_served_to_the_team_while_the_subject_consents(client, assessment, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    piece = evidence_service.add_evidence(assessment, people["member"], title="Charte", upload=pdf())
    document_url = piece.document.url
    client_for(client, people["observer"])
    assert client.get(document_url).status_code == 200
    client.logout()
    client_for(client, people["outsider"])
    assert client.get(document_url).status_code == 404
    client_for(client, people["member"])
    ConsentRecord.objects.filter(collective=assessment.collective).update(withdrawn_at=timezone.now())
    assert client.get(document_url).status_code == 404


def test_the_evidence_page_adds_a_link_and_refuses_bad_input(client, study, assessment, people):
    client_for(client, people["member"])
    page_url = url(study, "assessment_evidence", assessment.pk)
    response = client.post(page_url, {"title": "CR", "url": "https://exemple.fr/cr", "dated": "2026-01-10",
                                      "valid_until": "2027-01-10"})
    assert response.status_code == 302
    assert client.post(page_url, {"title": "Sans rien"}).status_code == 400
    assert client.post(page_url, {"title": "Dates", "url": "https://exemple.fr", "dated": "2026-01-10",
                                  "valid_until": "2025-01-10"}).status_code == 400
    assert Evidence.objects.count() == 1
    assert "CR" in client.get(page_url).content.decode()


def test_evidence_is_erased_with_its_collective(assessment, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    piece = evidence_service.add_evidence(assessment, people["member"], title="Charte", upload=pdf())
    evidence_service.add_evidence(assessment, people["member"], title="Lien", url="https://exemple.fr")
    document_id, path = piece.document_id, piece.document.file.path
    with django_capture_on_commit():
        erasure.erase(assessment.collective, by=people["coordinator"])
    assert not Evidence.objects.exists() and not Assessment.objects.exists()
    assert not get_document_model().objects.filter(pk=document_id).exists()
    import os

    assert not os.path.exists(path)


def django_capture_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_the_erasure_counts_the_assessments_and_evidence_and_the_pages_show_them(
    client, study, assessment, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    evidence_service.add_evidence(assessment, people["member"], title="Charte", upload=pdf())
    evidence_service.add_evidence(assessment, people["member"], title="Lien", url="https://exemple.fr")
    collective = assessment.collective
    erase_url = study.url + study.reverse_subpage("erase_collective", args=[collective.pk])
    client_for(client, people["coordinator"])
    html = client.get(erase_url).content.decode()
    assert "Évaluations : <strong>1</strong>" in html and "Preuves : <strong>2</strong>" in html
    with django_capture_on_commit():
        assert client.post(erase_url, {"confirm": "erase"}).status_code == 302
    record = ErasureRecord.objects.get()
    assert record.counts["assessments"] == 1 and record.counts["evidence"] == 2
    assert collective.code not in str(record.counts) and list(record.studies.all()) == [study]
    html = client.get(study.url + "erasures/").content.decode().replace("\xa0", " ")
    assert "évaluations : 1" in html and "preuves : 2" in html
