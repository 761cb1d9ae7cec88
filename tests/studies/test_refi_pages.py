"""The REFI-QDA pages: downloads for the team, import with preview for coordinators, documents.

The import page shows the dry run's report first and imports only on confirmation (the uploaded
file waits under a random token kept in the session); a refused file is a 400 with the reason and
nothing created; only coordinators import. Documents are listed and coded like other sources.
"""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree

from commons.models import Role
from studies.models import Code, Document, Excerpt
from tests.conftest import client_for, count_queries
from tests.shared import require_shared

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


def url(study, suffix: str) -> str:
    return f"{study.url}{suffix}"


CODEBOOK = (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            b'<Code guid="0d3a2b1c-1111-2222-3333-444455556666" name="Usages" isCodable="true" color="#336699"/>'
            b'</Codes></CodeBook>')


def project(text: str = "Nous codons ChatGPT ici.", title: str = "Entretien importé") -> bytes:
    code, source, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = text.index("ChatGPT")
    qde = (f'<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="QualCoder">'
           f'<Users><User guid="{user}" name="Jordan"/></Users>'
           f'<CodeBook><Codes><Code guid="{code}" name="Outils" isCodable="true"/></Codes></CodeBook>'
           f'<Sources><TextSource guid="{source}" name="{title}" plainTextPath="internal://{source}.txt">'
           f'<PlainTextSelection guid="{uuid.uuid4()}" startPosition="{start}" endPosition="{start + 7}">'
           f'<Coding guid="{uuid.uuid4()}" creatingUser="{user}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
           f'</TextSource></Sources></Project>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr(f"sources/{source}.txt", text.encode())
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_preview_then_import_creates_the_documents_and_shows_the_report(client, people, study):
    client_for(client, people["coordinator"])
    response = client.post(url(study, "exchange/refi/import/"),
                           {"action": "preview", "file": upload("projet.qdpx", project())})
    page = response.content.decode()
    assert response.status_code == 200 and "Preview of the import" in page and "Nothing has been changed" in page
    assert not Document.objects.exists() and not Code.objects.filter(study=study).exists()
    token = etree.HTML(page).xpath('//input[@name="token"]/@value')[0]
    response = client.post(url(study, "exchange/refi/import/"), {"action": "import", "token": token})
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "Import report" in page
    assert "Jordan" in page
    document = Document.objects.get(study=study)
    excerpt = Excerpt.objects.get(document=document)
    assert excerpt.text == "ChatGPT" and excerpt.imported_coder == "Jordan" and document.imported_by == people["coordinator"]
    # The token is spent: confirming twice imports nothing more.
    again = client.post(url(study, "exchange/refi/import/"), {"action": "import", "token": token})
    assert again.status_code == 400 and Document.objects.count() == 1


def test_a_forged_token_is_a_clear_error(client, people, study):
    client_for(client, people["coordinator"])
    for token in ("../../etc/passwd", "A" * 30, ""):
        response = client.post(url(study, "exchange/refi/import/"), {"action": "import", "token": token})
        assert response.status_code == 400 and "no longer available" in response.content.decode()


def test_a_hostile_upload_is_refused_on_the_page_with_its_reason(client, people, study):
    client_for(client, people["coordinator"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", b"<Project/>")
        archive.writestr("../evil.txt", b"x")
    response = client.post(url(study, "exchange/refi/import/"),
                           {"action": "preview", "file": upload("evil.qdpx", buffer.getvalue())})
    assert response.status_code == 400 and "points outside the archive" in response.content.decode()
    response = client.post(url(study, "exchange/refi/import/"),
                           {"action": "preview", "file": upload("notes.docx", b"x")})
    assert response.status_code == 400 and "Choose a .qdpx project" in response.content.decode()
    assert not Document.objects.exists()


def test_a_codebook_imports_through_the_page(client, people, study):
    client_for(client, people["coordinator"])
    response = client.post(url(study, "exchange/refi/import/"),
                           {"action": "preview", "file": upload("grille.qdc", CODEBOOK)})
    token = etree.HTML(response.content.decode()).xpath('//input[@name="token"]/@value')[0]
    client.post(url(study, "exchange/refi/import/"), {"action": "import", "token": token})
    assert Code.objects.get(study=study).name == "Usages"


def test_only_coordinators_import(client, people, study):
    for who in ("member", "observer"):
        client_for(client, people[who])
        response = client.post(url(study, "exchange/refi/import/"),
                               {"action": "preview", "file": upload("grille.qdc", CODEBOOK)})
        assert response.status_code == 403, who
    assert not Code.objects.filter(study=study).exists()


def test_the_team_downloads_a_valid_project_and_codebook(client, people, study):
    Code.objects.create(study=study, name="Usages", slug="usages")
    client_for(client, people["observer"])
    response = client.get(url(study, "exchange/refi/qdpx/"))
    assert response.status_code == 200 and ".qdpx" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    assert etree.XMLSchema(etree.parse(str(require_shared("refi-qda", "Project-mrt2019.xsd")))).validate(root)
    response = client.get(url(study, "exchange/refi/qdc/"))
    assert response.status_code == 200 and b"urn:QDA-XML:codebook:1.0" in response.content


def test_the_exchange_page_offers_the_import_to_coordinators_only(client, people, study):
    """The study page links « Échanges »; there, the team exports and only coordinators import."""
    client_for(client, people["member"])
    assert "exchange/" in client.get(study.url).content.decode()
    page = client.get(url(study, "exchange/")).content.decode()
    assert "exchange/refi/qdpx/" in page and "exchange/refi/qdc/" in page
    assert "exchange/refi/import/" not in page
    client_for(client, people["coordinator"])
    page = client.get(url(study, "exchange/")).content.decode()
    assert 'action="' + study.url + 'exchange/refi/import/"' in page and 'name="file"' in page


def test_documents_are_listed_and_coded_like_other_sources(client, people, study):
    document = Document.objects.create(study=study, title="Compte rendu importé", plain_text="Un texte 🙂 importé.",
                                       origin="projet.qdpx · NVivo")
    code = Code.objects.create(study=study, name="Usages", slug="usages")
    client_for(client, people["member"])
    listing = client.get(url(study, "documents/")).content.decode()
    assert "Compte rendu importé" in listing and "NVivo" in listing
    response = client.post(url(study, f"documents/{document.pk}/excerpts/"),
                           {"start": 3, "end": 8, "codes": [code.pk], "version": document.version, "text": "texte"})
    assert response.status_code == 302
    assert Excerpt.objects.get(document=document).text == "texte"
    assert "texte" in client.get(url(study, f"documents/{document.pk}/")).content.decode()


def test_document_pages_queries_do_not_grow(client, people, bureau, make_study, make_person):
    counts = []
    for n in (1, 8):
        study = make_study(bureau)
        coders = [make_person(bureau, Role.MEMBER) for _ in range(3)]
        codes = [Code.objects.create(study=study, name=f"code {study.pk}-{i}", slug=f"c{study.pk}-{i}")
                 for i in range(n + 1)]
        for i in range(n):
            document = Document.objects.create(study=study, title=f"Doc {i}", plain_text="Un texte importé. " * 5,
                                               imported_by=coders[i % 3])
            for j in range(n):
                excerpt = Excerpt.objects.create(document=document, start=j, end=j + 3, text="x", coder=coders[j % 3])
                excerpt.codes.set(codes[: j + 1])
        client_for(client, people["coordinator"])
        counts.append((count_queries(client, url(study, "documents/")),
                       count_queries(client, url(study, f"documents/{document.pk}/"))))
    assert counts[0] == counts[1], counts


def test_cases_are_offered_for_mapping_on_the_preview(client, people, bureau, study, make_collective):
    from participants.models import Collective
    from studies.models import Observation
    from tests.studies.test_refi import case_project

    collective = make_collective(bureau, "Nom réel du collectif")
    case = uuid.uuid4()
    client_for(client, people["coordinator"])
    response = client.post(url(study, "exchange/refi/import/"),
                           {"action": "preview", "file": upload("p.qdpx", case_project(case).getvalue())})
    page = response.content.decode()
    assert f'name="case-{case}"' in page and collective.code in page and "Nom réel du collectif" not in page
    token = etree.HTML(page).xpath('//input[@name="token"]/@value')[0]
    choice = {f"case-{case}": f"collective:{collective.pk}", "token": token}
    again = client.post(url(study, "exchange/refi/import/"), {**choice, "action": "repreview"})
    assert again.status_code == 200 and not Observation.objects.exists()
    assert f'value="collective:{collective.pk}" selected' in again.content.decode()
    client.post(url(study, "exchange/refi/import/"), {**choice, "action": "import"})
    assert Observation.objects.get(study=study).collective == collective
    assert Collective.objects.count() == 1


def test_abandoned_previews_are_deleted(client, people, study):
    import os
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.gettempdir()) / "bec-refi-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    old, recent = folder / "old-preview-test.upload", folder / "recent-preview-test.upload"
    for path in (old, recent):
        path.write_bytes(b"x")
    os.utime(old, (0, 0))
    client_for(client, people["coordinator"])
    client.post(url(study, "exchange/refi/import/"), {"action": "preview", "file": upload("grille.qdc", CODEBOOK)})
    assert not old.exists() and recent.exists()
    recent.unlink()
