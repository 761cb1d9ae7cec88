"""REFI-QDA exchange (issue 14, items 1–5 and 7): schemas, round trip, real samples, offsets, hostile files.

Every exported `.qde` and `.qdc` is validated with lxml against the schemas of `../shared/refi-qda/`;
the round trip exports a study, imports it into an empty study and exports again; the ATLAS.ti
samples are imported as they are; a text with emoji and CRLF coded in UTF-16 units lands on the
intended words; each hostile archive is refused with a clear message and nothing created.
"""

from __future__ import annotations

import io
import struct
import uuid
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from lxml import etree

from commons.models import Role
from studies.exchange.errors import ExchangeError
from studies.exchange.importing import import_file
from studies.exchange.offsets import choose
from studies.exchange.writing import codebook_xml, write_project
from studies.models import Code, Document, Excerpt, Memo, Observation
from tests.shared import require_shared

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the site's default language is French)."""
    with translation.override("en"):
        yield


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(require_shared("refi-qda", name))))


def export(study) -> bytes:
    buffer = io.BytesIO()
    write_project(study, buffer)
    return buffer.getvalue()


def project_xml(archive_bytes: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        return etree.fromstring(archive.read("project.qde"))


def qdpx(project: bytes, files: dict[str, bytes] | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", project)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def created(study) -> tuple[int, int, int, int]:
    return (
        Code.objects.filter(study=study).count(),
        Document.objects.filter(study=study).count(),
        Excerpt.objects.filter(document__study=study).count(),
        Memo.objects.filter(study=study).count(),
    )


@pytest.fixture
def coded_study(bureau, study, make_person, make_collective):
    """A study with a code tree, two consented observations (one with an emoji), excerpts, memos,
    and one observation whose collective withdrew its consent."""
    coder = make_person(bureau, Role.MEMBER)
    kept = make_collective(bureau, "Les Amis du Quartier", sector="culture", territory="Lyon 7e")
    gone = make_collective(bureau, "Collectif Retiré")
    family = Code.objects.create(study=study, name="Usages", slug="usages", colour="#aa3300",
                                 definition="Ce que les gens font de l'IA.")
    child = Code.objects.create(study=study, name="Écriture", slug="ecriture", parent=family)
    other = Code.objects.create(study=study, name="Craintes", slug="craintes")
    first = Observation.objects.create(study=study, collective=kept, observer=coder, setting="meeting",
                                       title="Réunion du lundi", body="On écrit les comptes rendus avec ChatGPT 🙂 vite.\n\nPuis on relit.")
    second = Observation.objects.create(study=study, collective=kept, observer=coder, setting="training",
                                        title="Formation", body="Peur de perdre la main sur les textes.")
    withdrawn = Observation.objects.create(study=study, collective=gone, observer=coder, setting="meeting",
                                           title="Secret", body="Texte d'un collectif qui s'est retiré.")
    text = first.plain_text
    start = text.index("ChatGPT")
    e1 = Excerpt.objects.create(observation=first, start=start, end=start + len("ChatGPT 🙂 vite"),
                                text=text[start:start + len("ChatGPT 🙂 vite")], coder=coder, memo="Un outil grand public.")
    e1.codes.add(child, family)
    start = text.index("relit")
    e2 = Excerpt.objects.create(observation=first, start=start, end=start + 5, text="relit", coder=coder)
    e2.codes.add(family)
    e3 = Excerpt.objects.create(observation=second, start=0, end=4, text="Peur", coder=coder)
    e3.codes.add(other)
    hidden = Excerpt.objects.create(observation=withdrawn, start=0, end=5, text="Texte", coder=coder)
    hidden.codes.add(other)
    from participants.models import ConsentForm, ConsentRecord, ConsentScope, Informant
    from studies.models import Interview

    informant = Informant.objects.create(collective=kept, pseudonym="Sacha", identifying_details="Trésorière, 06 12")
    ConsentRecord.objects.create(form=ConsentForm.objects.get(bureau=bureau), informant=informant,
                                 scopes=list(ConsentScope.values))
    interview = Interview.objects.create(study=study, informant=informant, interviewer=coder, title="Entretien",
                                         transcript="On relit tout ce que produit l'outil.")
    e4 = Excerpt.objects.create(interview=interview, start=3, end=8, text="relit", coder=coder)
    e4.codes.add(family)
    Memo.objects.create(study=study, code=family, author=coder, body="Famille centrale.")
    Memo.objects.create(study=study, observation=second, author=coder, body="À recouper.")
    gone.consents.update(withdrawn_at=timezone.now())
    return study


# --- Export --------------------------------------------------------------------------------------


def test_exported_project_and_codebook_validate_against_the_schemas(coded_study):
    data = export(coded_study)
    root = project_xml(data)
    project_schema = schema("Project-mrt2019.xsd")
    assert project_schema.validate(root.getroottree()), project_schema.error_log
    assert root.tag == "{urn:QDA-XML:project:1.0}Project"
    codebook = etree.fromstring(codebook_xml(coded_study))
    codebook_schema = schema("Codebook.xsd")
    assert codebook_schema.validate(codebook.getroottree()), codebook_schema.error_log
    assert codebook.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"


def test_export_holds_consented_material_and_pseudonyms_only(coded_study):
    data = export(coded_study)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        qde = archive.read("project.qde").decode()
        texts = [archive.read(name) for name in names if name.startswith("sources/")]
    assert names[-1] == "project.qde" and all(name == name.lower() for name in names)
    withdrawn = Observation.objects.get(title="Secret")
    assert f"sources/{withdrawn.uuid}.txt" not in names and "Secret" not in qde
    assert len(texts) == 3
    assert all(not text.startswith(b"\xef\xbb\xbf") and b"\r" not in text for text in texts)
    assert "Les Amis du Quartier" not in qde and "Lyon" not in qde and "Collectif Retiré" not in qde
    assert "Sacha" in qde and "Trésorière" not in qde
    assert "richTextPath" not in qde


def test_export_writes_the_same_guids_every_time(coded_study):
    def guids(data):
        return sorted(element.get("guid") for element in project_xml(data).iter() if element.get("guid")
                      and not element.tag.endswith("Project"))

    assert guids(export(coded_study)) == guids(export(coded_study))


# --- Round trip ------------------------------------------------------------------------------------


def snapshot(data: bytes) -> dict:
    """What must survive a round trip: codes, texts, selections (offsets, codes), memos, UUIDs."""
    root = project_xml(data)
    ns = {"q": "urn:QDA-XML:project:1.0"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        texts = {name: archive.read(name) for name in archive.namelist() if name.startswith("sources/")}
    return {
        "codes": sorted((c.get("guid"), c.get("name"), c.get("color"), c.findtext("q:Description", "", ns))
                        for c in root.iterfind(".//q:Code", ns)),
        "texts": texts,
        "selections": sorted(
            (s.get("guid"), s.get("startPosition"), s.get("endPosition"),
             tuple(sorted(r.get("targetGUID") for r in s.iterfind(".//q:CodeRef", ns))))
            for s in root.iterfind(".//q:PlainTextSelection", ns)
        ),
        "notes": sorted((n.get("guid"), n.findtext("q:PlainTextContent", "", ns))
                        for n in root.iterfind(".//q:Note", ns)),
        "sources": sorted(s.get("guid") for s in root.iterfind(".//q:TextSource", ns)),
    }


def test_round_trip_keeps_codes_texts_selections_memos_and_uuids(coded_study, bureau, make_study):
    first = export(coded_study)
    empty = make_study(bureau, "Étude vide")
    report = import_file(empty, io.BytesIO(first), filename="etude.qdpx")
    assert len(report.documents_created) == 3 and report.excerpts_created == 4
    again = export(empty)
    before, after = snapshot(first), snapshot(again)
    assert after["codes"] == before["codes"]
    assert after["texts"] == before["texts"]
    assert after["selections"] == before["selections"]
    assert after["notes"] == before["notes"]
    assert after["sources"] == before["sources"]
    # Importing the same file again creates nothing new: sources are matched by identity.
    second = import_file(empty, io.BytesIO(first), filename="etude.qdpx")
    assert second.documents_created == [] and len(second.sources_skipped) == 3
    assert len(second.codes_matched) == 3 and second.codes_created == []


def test_dry_run_reports_and_changes_nothing(coded_study, bureau, make_study):
    data = export(coded_study)
    empty = make_study(bureau, "Étude vide")
    report = import_file(empty, io.BytesIO(data), filename="etude.qdpx", dry_run=True)
    assert report.dry_run and len(report.documents_created) == 3 and len(report.codes_created) == 3
    assert created(empty) == (0, 0, 0, 0)


# --- Real files ------------------------------------------------------------------------------------


def test_atlasti_project_reports_its_missing_sources_and_imports_its_codebook(study):
    sample = require_shared("refi-qda", "samples", "atlasti-standard-project.qde").read_bytes()
    report = import_file(study, qdpx(sample), filename="atlasti.qdpx")
    assert Document.objects.filter(study=study).count() == 0
    assert len(report.sources_skipped) == len(etree.fromstring(sample).findall(
        ".//{urn:QDA-XML:project:1.0}TextSource"))
    missing = [problem for problem in report.problems if "is not in the file" in problem.message]
    assert missing and all(problem.guid and problem.line for problem in missing)
    assert Code.objects.filter(study=study, name="cornflakes").exists()
    assert Code.objects.get(study=study, name="cornflakes").uuid == uuid.UUID("AE6D04CE-D987-4FC8-AF97-D72CA6FFD08F")
    assert report.not_carried  # cases, sets, other sources... are named


def test_the_report_counts_read_right_in_french_in_the_singular(study):
    """« 1 source de type AudioSource », never « 1 sources »: counts of one take the singular."""
    sample = require_shared("refi-qda", "samples", "atlasti-standard-project.qde").read_bytes()
    with translation.override("fr"):
        report = import_file(study, qdpx(sample), filename="atlasti.qdpx", dry_run=True)
    assert "1 source de type AudioSource (seuls les textes sont importés)." in report.not_carried
    assert "2 sources de type PDFSource (seuls les textes sont importés)." in report.not_carried
    assert not any(line.startswith("1 ") and "sources " in line for line in report.not_carried)


def test_atlasti_codebook_imports_its_codes(study):
    path = require_shared("refi-qda", "samples", "atlasti-codebook.qdc")
    report = import_file(study, io.BytesIO(path.read_bytes()), filename=path.name)
    code = Code.objects.get(study=study, name="code1")
    assert report.kind == "codebook" and report.codes_created == ["code1"]
    assert code.colour == "#46aa00" and code.definition == "description"
    assert any("sets" in line for line in report.not_carried)


@pytest.mark.parametrize("namespace", ["urn:QDA-XML:codebook:0:4", "urn:QDA-XML:codebook:1:0"])
def test_codebook_namespaces_of_real_tools_and_empty_sets_are_accepted(study, namespace):
    data = (f'<?xml version="1.0"?><CodeBook xmlns="{namespace}"><Codes>'
            f'<Code guid="{{0D3A2B1C-1111-2222-3333-444455556666}}" name="Parent" isCodable="false" color="#abc">'
            f'<Code guid="0d3a2b1c-1111-2222-3333-444455556667" name="Enfant" isCodable="true"/></Code>'
            f'</Codes><Sets/></CodeBook>').encode()
    report = import_file(study, io.BytesIO(data), filename="c.qdc")
    child = Code.objects.get(study=study, name="Enfant")
    assert child.parent.name == "Parent" and child.parent.colour == "#aabbcc"
    assert report.codes_created == ["Parent", "Enfant"]


def test_codebook_import_matches_by_uuid_then_path_and_never_deletes(study):
    kept = Code.objects.create(study=study, name="Ancien nom", slug="ancien")
    same_path = Code.objects.create(study=study, name="Usages", slug="usages")
    untouched = Code.objects.create(study=study, name="Hors fichier", slug="hors")
    data = (f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            f'<Code guid="{kept.uuid}" name="Nouveau nom" isCodable="true"/>'
            f'<Code guid="{uuid.uuid4()}" name="USAGES" isCodable="true"/>'
            f'</Codes></CodeBook>').encode()
    report = import_file(study, io.BytesIO(data), filename="c.qdc")
    kept.refresh_from_db()
    assert kept.name == "Nouveau nom" and report.codes_renamed == ["Ancien nom → Nouveau nom"]
    assert report.codes_matched == ["USAGES"] and Code.objects.filter(pk=same_path.pk, name="Usages").exists()
    assert Code.objects.filter(pk=untouched.pk).exists() and Code.objects.filter(study=study).count() == 3


# --- Offsets ---------------------------------------------------------------------------------------

EMOJI_TEXT = "Bonjour 👋 à tous.\r\nNous utilisons ChatGPT 🤖 pour écrire.\r\nLa peur 😟 reste."


def utf16_span(text: str, words: str, crlf_two: bool = True) -> tuple[int, int]:
    """The span of `words` in `text` (with CRLF) counted in UTF-16 units, CRLF as two (NVivo)."""
    index = text.index(words)
    start = len(text[:index].encode("utf-16-le")) // 2
    return start, start + len(words.encode("utf-16-le")) // 2


def test_emoji_and_crlf_text_coded_in_utf16_units_imports_on_the_intended_words(study):
    words = ["ChatGPT 🤖 pour", "peur 😟 reste", "tous"]
    code_guid = uuid.uuid4()
    selections = "".join(
        f'<PlainTextSelection guid="{uuid.uuid4()}" startPosition="{s}" endPosition="{e}">'
        f'<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{code_guid}"/></Coding></PlainTextSelection>'
        for s, e in (utf16_span(EMOJI_TEXT, w) for w in words)
    )
    project = (f'<Project xmlns="urn:QDA-XML:project:1.0" name="NVivo"><CodeBook><Codes>'
               f'<Code guid="{code_guid}" name="IA" isCodable="true"/></Codes></CodeBook><Sources>'
               f'<TextSource guid="{uuid.uuid4()}" name="Entretien" plainTextPath="internal://t.txt">{selections}'
               f'</TextSource></Sources></Project>').encode()
    source = "\ufeff".encode() + EMOJI_TEXT.encode("utf-8")
    report = import_file(study, qdpx(project, {"Sources/T.TXT": source}), filename="nvivo.qdpx")
    document = Document.objects.get(study=study)
    assert "\r" not in document.plain_text
    assert sorted(e.text for e in Excerpt.objects.filter(document=document)) == sorted(
        w.replace("\r\n", "\n") for w in words
    )
    assert all(document.plain_text[e.start:e.end] == e.text for e in Excerpt.objects.filter(document=document))
    assert report.units == [("Entretien", "UTF-16 units, CRLF = 2")]


def test_offset_readings_fall_back_to_the_standard_when_they_coincide():
    reading, text = choose("plain text, no emoji", [(0, 5, "plain")])
    assert reading.label == "code points" and text == "plain text, no emoji"


def test_selection_outside_its_text_and_dangling_coderef_are_reported_with_guid_and_line(study):
    bad = uuid.uuid4()
    project = (f'<Project xmlns="urn:QDA-XML:project:1.0" name="p">\n<Sources>\n'
               f'<TextSource guid="{uuid.uuid4()}" name="Court"><PlainTextContent>Court.</PlainTextContent>\n'
               f'<PlainTextSelection guid="{bad}" startPosition="2" endPosition="400"/>\n'
               f'<PlainTextSelection guid="{uuid.uuid4()}" startPosition="0" endPosition="5">\n'
               f'<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{uuid.uuid4()}"/></Coding>'
               f'</PlainTextSelection></TextSource></Sources></Project>').encode()
    report = import_file(study, qdpx(project), filename="p.qdpx")
    outside = next(p for p in report.problems if "outside" in p.message)
    assert outside.guid == str(bad) and outside.line == 4
    assert any("code that the file does not hold" in p.message and p.line == 6 for p in report.problems)


# --- Hostile files: refused, clear message, nothing created ---------------------------------------


def refused(study, data: io.BytesIO, fragment: str) -> None:
    with pytest.raises(ExchangeError) as caught:
        import_file(study, data, filename="hostile.qdpx")
    assert fragment in str(caught.value)
    assert created(study) == (0, 0, 0, 0)


def test_zip_bomb_is_refused(study, settings):
    settings.BEC_EXCHANGE_MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
        archive.writestr("sources/bomb.txt", b"\0" * (20 * 1024 * 1024))
    buffer.seek(0)
    refused(study, buffer, "zip bomb")


def test_entry_names_leaving_the_archive_are_refused(study):
    refused(study, qdpx(b"<Project/>", {"../../etc/evil.txt": b"x"}), "points outside the archive")


def test_absolute_entry_names_are_refused(study):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", b"<Project/>")
        archive.writestr(zipfile.ZipInfo("/tmp/evil.txt"), b"x")
    buffer.seek(0)
    refused(study, buffer, "points outside the archive")


def test_symbolic_links_are_refused(study):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", b"<Project/>")
        link = zipfile.ZipInfo("sources/link.txt")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
    buffer.seek(0)
    refused(study, buffer, "link")


def test_xxe_is_refused(study, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    project = (f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file://{secret}">]>'
               f'<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>').encode()
    refused(study, qdpx(project), "DOCTYPE")


def test_billion_laughs_is_refused(study):
    entities = '<!ENTITY a "lol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    project = (f'<?xml version="1.0"?><!DOCTYPE Project [{entities}]>'
               f'<Project xmlns="urn:QDA-XML:project:1.0" name="&j;"/>').encode()
    refused(study, qdpx(project), "DOCTYPE")


def test_an_entry_declaring_2_gb_is_refused(study):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("project.qde", b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
        archive.writestr("sources/big.txt", b"small")
    data = bytearray(buffer.getvalue())
    # Declare 2 GB as the uncompressed size of the second entry in the central directory.
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 2 * 1024 ** 3)
    refused(study, io.BytesIO(bytes(data)), "would unpack to more than")


def test_malformed_xml_is_refused_with_its_line(study):
    with pytest.raises(ExchangeError) as caught:
        import_file(study, qdpx(b'<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n<Sources>\n</Project>'),
                    filename="bad.qdpx")
    assert "not well-formed" in str(caught.value) and caught.value.line == 3
    assert created(study) == (0, 0, 0, 0)


def test_a_failure_midway_leaves_nothing(study):
    """A code without a GUID after valid ones: the file is refused and the codes before it are gone."""
    data = (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            b'<Code guid="0d3a2b1c-1111-2222-3333-444455556666" name="Bon" isCodable="true"/>'
            b'<Code guid="pas-un-guid" name="Mauvais" isCodable="true"/></Codes></CodeBook>')
    with pytest.raises(ExchangeError):
        import_file(study, io.BytesIO(data), filename="c.qdc")
    assert not Code.objects.filter(study=study).exists()


# --- Commands ---------------------------------------------------------------------------------------


def test_commands_export_and_import_with_dry_run(coded_study, bureau, make_study, tmp_path, capsys):
    target = tmp_path / "etude.qdpx"
    call_command("refi_export", "--study", coded_study.slug, "--output", str(target))
    codebook = tmp_path / "etude.qdc"
    call_command("refi_export", "--study", coded_study.slug, "--output", str(codebook))
    assert schema("Codebook.xsd").validate(etree.parse(str(codebook)))
    empty = make_study(bureau, "Étude vide")
    call_command("refi_import", "--study", empty.slug, str(target), "--dry-run")
    assert "dry run" in capsys.readouterr().out and created(empty) == (0, 0, 0, 0)
    call_command("refi_import", "--study", empty.slug, str(target))
    assert "documents: 3 created" in capsys.readouterr().out
    assert Document.objects.filter(study=empty).count() == 3


def test_commands_exit_non_zero_on_a_bad_file(study, tmp_path):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError, match="refused"):
        call_command("refi_import", "--study", study.slug, str(bad))
    with pytest.raises(CommandError, match=r"\.qdpx"):
        call_command("refi_export", "--study", study.slug, "--output", str(tmp_path / "x.zip"))


# --- Cases mapped to a party at import ---------------------------------------------------------------

CASE_TEXT = "Atelier *numérique* : on traduit avec DeepL.\n\nPuis on relit à deux."


def case_project(case_guid: uuid.UUID) -> io.BytesIO:
    code, source = uuid.uuid4(), uuid.uuid4()
    start = CASE_TEXT.index("DeepL")
    qde = (f'<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes>'
           f'<Code guid="{code}" name="Traduction" isCodable="true"/></Codes></CodeBook>'
           f'<Cases><Case guid="{case_guid}" name="Association A"><SourceRef targetGUID="{source}"/></Case></Cases>'
           f'<Sources><TextSource guid="{source}" name="Atelier" plainTextPath="internal://{source}.txt">'
           f'<PlainTextSelection guid="{uuid.uuid4()}" startPosition="{start}" endPosition="{start + 5}">'
           f'<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
           f'</TextSource></Sources></Project>').encode()
    return qdpx(qde, {f"sources/{source}.txt": CASE_TEXT.encode()})


def test_a_case_mapped_to_a_consenting_collective_becomes_observations(study, bureau, make_collective):
    collective = make_collective(bureau)
    case = uuid.uuid4()
    report = import_file(study, case_project(case), filename="p.qdpx", case_map={case: ("collective", collective.pk)})
    observation = Observation.objects.get(study=study)
    assert observation.collective == collective and report.observations_created == ["Atelier"]
    assert not Document.objects.filter(study=study).exists()
    excerpt = Excerpt.objects.get(observation=observation)
    # The Markdown step changed the text (« *numérique* »): the excerpt was moved onto the same word.
    assert observation.plain_text[excerpt.start:excerpt.end] == "DeepL" and not excerpt.needs_review
    assert not any("cases" in line for line in report.not_carried)


def test_a_case_mapped_to_a_party_without_consent_stays_a_document(study, bureau, make_collective):
    collective = make_collective(bureau, scopes=("interview",))
    case = uuid.uuid4()
    report = import_file(study, case_project(case), filename="p.qdpx", case_map={case: ("collective", collective.pk)})
    assert not Observation.objects.filter(study=study).exists()
    assert Document.objects.filter(study=study).count() == 1
    assert any("no « observation » consent" in problem.message for problem in report.problems)


def test_a_case_mapped_to_an_informant_becomes_interviews(study, bureau, make_collective):
    from participants.models import ConsentForm, ConsentRecord, ConsentScope, Informant
    from studies.models import Interview

    collective = make_collective(bureau)
    informant = Informant.objects.create(collective=collective, pseudonym="Camille")
    ConsentRecord.objects.create(form=ConsentForm.objects.get(bureau=bureau), informant=informant,
                                 scopes=list(ConsentScope.values))
    case = uuid.uuid4()
    import_file(study, case_project(case), filename="p.qdpx", case_map={case: ("informant", informant.pk)})
    interview = Interview.objects.get(study=study)
    excerpt = Excerpt.objects.get(interview=interview)
    assert interview.plain_text[excerpt.start:excerpt.end] == "DeepL"


def test_a_case_mapped_to_another_bureaus_party_is_ignored(study, other_bureau, make_collective):
    foreign = make_collective(other_bureau)
    case = uuid.uuid4()
    report = import_file(study, case_project(case), filename="p.qdpx", case_map={case: ("collective", foreign.pk)})
    assert not Observation.objects.exists() and Document.objects.filter(study=study).count() == 1
    assert any("another bureau" in problem.message for problem in report.problems)


def test_the_project_export_does_not_hold_every_text_at_once(bureau, study, make_collective, tmp_path):
    """Sixty texts of 200 KB (12 MB): the export's peak of Python memory stays far below their sum."""
    import tracemalloc

    collective = make_collective(bureau)
    body = ("Une longue note de terrain sur les usages. " * 4700)[:200_000]
    Observation.objects.bulk_create([
        Observation(study=study, collective=collective, setting="meeting", title=f"Note {n}", body=body,
                    plain_text=body, uuid=uuid.uuid4())
        for n in range(60)
    ])
    tracemalloc.start()
    try:
        with (tmp_path / "big.qdpx").open("wb") as stream:
            counts = write_project(study, stream)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts["sources"] == 60
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for 12 MB of texts"


def test_import_command_ties_a_case_to_a_collective(study, bureau, make_collective, tmp_path, capsys):
    collective = make_collective(bureau)
    case = uuid.uuid4()
    path = tmp_path / "p.qdpx"
    path.write_bytes(case_project(case).getvalue())
    with pytest.raises(CommandError, match="no collective"):
        call_command("refi_import", "--study", study.slug, str(path), "--case", f"{case}=C-99")
    call_command("refi_import", "--study", study.slug, str(path), "--case", f"{case}={collective.code}")
    assert Observation.objects.get(study=study).collective == collective
    assert "observations: 1" in capsys.readouterr().out


def test_control_characters_in_memos_and_titles_do_not_break_the_export(coded_study):
    Memo.objects.create(study=coded_study, code=Code.objects.get(study=coded_study, name="Usages"),
                        body="Un mémo \x0b avec \x01 des caractères de contrôle.")
    Observation.objects.filter(title="Formation").update(title="Formation\x0c du jeudi")
    root = project_xml(export(coded_study))
    assert schema("Project-mrt2019.xsd").validate(root.getroottree())
    assert any("caractères de contrôle" in (note.findtext("{urn:QDA-XML:project:1.0}PlainTextContent") or "")
               for note in root.iter("{urn:QDA-XML:project:1.0}Note"))


def test_an_emoji_at_the_end_of_a_selection_does_not_tie_the_readings():
    """Ending just after an emoji, the code-point reading lands on the following space — also a
    word boundary; the trimmed passage decides for UTF-16 units."""
    raw = "La coordinatrice relit tout 🙂 avant l'impression."
    index = raw.index("relit tout 🙂")
    start = len(raw[:index].encode("utf-16-le")) // 2
    end = start + len("relit tout 🙂".encode("utf-16-le")) // 2
    reading, text = choose(raw, [(start, end, "")])
    assert reading.label == "UTF-16 units"
    assert text[reading.inner(start):reading.inner(end)] == "relit tout 🙂"
