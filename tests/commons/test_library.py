"""The bureau's library (issue 18, part 1): reading, writing, importing, exporting references.

Round trips (BibTeX → import → export → import gives the same records), a Zotero CSL-JSON file and a
hand-made RIS file, duplicates, the preview, refusals that change nothing, the commands, the pages and
their query counts at two sizes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils.translation import override

from commons.library import formats
from commons.library.importing import (
    MAX_BYTES,
    LibraryImportError,
    apply_import,
    export,
    plan_import,
    read_file,
)
from commons.models import Reference
from tests.conftest import client_for, count_queries

FILES = Path(__file__).with_name("library_files")

BIBTEX = r"""@article{dupont2023,
  author = {Dupont, Marie-{\'E}ve and {Organisation d'exemple}},
  title = {L'{IA} générative au travail : un exemple},
  journal = {Revue d'exemple},
  year = {2023},
  volume = {4},
  number = {2},
  pages = {10--20},
  doi = {10.9999/exemple.1},
  abstract = {Un résumé d'exemple.},
  langid = {french}
}

@book{bernard2021,
  author = {Bernard, Jean},
  title = {Un livre d'exemple},
  year = 2021,
  publisher = {Éditions d'exemple}
}

@techreport{obs2020,
  author = {{Observatoire d'exemple}},
  title = {Un rapport d'exemple},
  institution = {Observatoire d'exemple},
  year = {2020},
  url = {https://example.org/rapport}
}
"""


def _records(bureau) -> list[dict]:
    return [formats.record_of(r) for r in Reference.objects.filter(bureau=bureau).order_by("key")]


def _import(bureau, name: str, text: str) -> list[Reference]:
    fmt, text = read_file(name, text.encode())
    return apply_import(bureau, plan_import(bureau, fmt, text))


# --- formats and round trips -------------------------------------------------------------------


def test_bibtex_is_read_with_names_accents_and_institutions():
    parsed = formats.parse_bibtex(BIBTEX)
    assert parsed.problems == []
    first = parsed.records[0]
    assert first["authors"] == [{"family": "Dupont", "given": "Marie-Éve"}, {"literal": "Organisation d'exemple"}]
    assert first["title"] == "L'IA générative au travail : un exemple"
    assert (first["year"], first["pages"], first["issue"], first["kind"]) == (2023, "10–20", "2", "article-journal")
    assert parsed.records[2]["kind"] == "report" and parsed.records[2]["publisher"] == "Observatoire d'exemple"


@pytest.mark.django_db
def test_bibtex_round_trip_gives_the_same_records(bureau, other_bureau):
    """BibTeX → import → export → import (in another bureau): the same records."""
    _import(bureau, "refs.bib", BIBTEX)
    exported = export(bureau, "bibtex")
    _import(other_bureau, "again.bib", exported)
    assert len(_records(bureau)) == 3
    assert _records(other_bureau) == _records(bureau)


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "ext"), [("ris", "ris"), ("csl-json", "json")])
def test_ris_and_csl_json_round_trips(bureau, other_bureau, fmt, ext):
    _import(bureau, "refs.bib", BIBTEX)
    _import(other_bureau, f"again.{ext}", export(bureau, fmt))
    assert _records(other_bureau) == _records(bureau)


@pytest.mark.django_db
def test_a_zotero_csl_json_export(bureau):
    added = _import(bureau, "zotero.json", (FILES / "zotero.json").read_text())
    by_key = {r.key: r for r in added}
    assert set(by_key) == {"martin2024", "observatoiredexemple2023rapport", "durand2021livre"}
    martin = by_key["martin2024"]
    assert martin.year == 2024 and martin.pages == "45–67" and martin.doi_key == "10.9999/exemple.2024.001"
    assert martin.authors == [{"family": "Martin", "given": "Claire"}, {"family": "Nguyen", "given": "Bao"}]
    assert by_key["durand2021livre"].year == 2021  # a raw date
    assert by_key["observatoiredexemple2023rapport"].authors == [{"literal": "Observatoire d'exemple"}]


@pytest.mark.django_db
def test_a_hand_made_ris_file(bureau):
    added = {r.key: r for r in _import(bureau, "hand.ris", (FILES / "hand.ris").read_text())}
    leroy = added["leroy2022"]
    assert leroy.authors == [{"family": "Leroy", "given": "Paul"}, {"family": "Benali", "given": "Sofia"}]
    assert leroy.abstract == "Résumé d'exemple écrit à la main sur deux lignes."
    assert (leroy.pages, leroy.container, leroy.language) == ("10–25", "Cahiers d'exemple", "fr")
    note = next(r for k, r in added.items() if k != "leroy2022")
    assert note.kind == "report" and note.authors == [{"literal": "Collectif d'exemple"}]


# --- duplicates, keys, the plan ------------------------------------------------------------------


@pytest.mark.django_db
def test_duplicates_by_doi_or_title_and_year_and_taken_keys(bureau):
    _import(bureau, "refs.bib", BIBTEX)
    again = r"""@article{other, title={Something else}, doi={https://doi.org/10.9999/EXEMPLE.1}, year=2001}
@book{x, title={UN LIVRE  d’exemple}, year={2021}}
@book{bernard2021, title={Un autre livre}, year={2022}}
@book{twice, title={Un autre livre}, year={2022}}
"""
    fmt, text = read_file("again.bib", again.encode())
    plan = plan_import(bureau, fmt, text)
    assert [(row.status, row.duplicate_of) for row in plan.duplicates] == [
        ("duplicate", "dupont2023"), ("duplicate", "bernard2021"), ("duplicate", "bernard2021a")]
    assert [(row.record["key"], row.key) for row in plan.new] == [("bernard2021", "bernard2021a")]
    apply_import(bureau, plan)
    assert Reference.objects.filter(bureau=bureau).count() == 4


# --- refusals: nothing changed -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("refs.txt", b"@book{a, title={A}}", "Unknown file type"),
        ("refs.bib", b"   \n", "empty"),
        ("refs.bib", b"\xff\xfe\x00\x00binary\x00", "not text"),
        ("refs.bib", b"x" * (MAX_BYTES + 1), "too large"),
        ("refs.json", b"{not json", "not a CSL-JSON file"),
        ("refs.json", b'{"a": 1}', "list of items"),
        ("refs.bib", b"% only a comment\n", "No reference"),
    ],
)
def test_refused_files_say_why(bureau, name, data, message):
    with override("en"), pytest.raises(LibraryImportError, match=message):
        fmt, text = read_file(name, data)
        plan_import(bureau, fmt, text)
    assert not Reference.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("refs.bib", "@book{ok, title={Fine}, year=2020}\n\n@article{bad,\n  title = {unclosed\n", "line 3"),
        ("refs.ris", "TY  - JOUR\nTI  - Fine\nER  - \nnot a tag\n", "line 4"),
        ("refs.ris", "TY  - JOUR\nTI  - No end\n", "line 1"),
        ("refs.json", json.dumps([{"title": "Fine", "type": "book"}, {"type": "book"}, 3]), "item 2"),
    ],
)
def test_unreadable_parts_are_named_and_nothing_is_imported(bureau, name, text, where):
    fmt, text = read_file(name, text.encode())
    with override("en"):
        plan = plan_import(bureau, fmt, text)
    assert where in [w for w, _what in plan.problems]
    with override("en"), pytest.raises(LibraryImportError, match="Nothing was imported"):
        apply_import(bureau, plan)
    assert not Reference.objects.exists()


# --- commands ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_commands(bureau, tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(BIBTEX)
    out = io.StringIO()
    call_command("import_references", str(path), bureau=bureau.slug, dry_run=True, stdout=out)
    assert "Dry run: nothing written. 3 new" in out.getvalue()
    assert not Reference.objects.exists()
    call_command("import_references", str(path), bureau=bureau.slug, stdout=io.StringIO())
    assert Reference.objects.filter(bureau=bureau).count() == 3
    for fmt, marker in (("bibtex", "@article{dupont2023,"), ("ris", "ID  - dupont2023"), ("csl-json", '"id": "dupont2023"')):
        out = io.StringIO()
        call_command("export_references", bureau=bureau.slug, format=fmt, stdout=out)
        assert marker in out.getvalue()
    bad = tmp_path / "bad.bib"
    bad.write_text("@book{a,\n title={x\n")
    with override("en"), pytest.raises(CommandError, match="could not be read"):
        call_command("import_references", str(bad), bureau=bureau.slug, stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="No bureau"):
        call_command("import_references", str(path), bureau="nope", stdout=io.StringIO())


# --- pages ---------------------------------------------------------------------------------------


def _url(bureau, name: str, **kwargs) -> str:
    return bureau.url + bureau.reverse_subpage(name, kwargs=kwargs)


@pytest.mark.django_db
def test_import_page_previews_then_imports(client, bureau, people):
    client_for(client, people["member"])
    url = _url(bureau, "library_import")
    upload = SimpleUploadedFile("refs.bib", BIBTEX.encode())
    response = client.post(url, {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 nouvelles références" in page and "dupont2023" in page
    assert not Reference.objects.exists()  # a preview writes nothing
    confirm = response.context["confirm"]
    response = client.post(url, {"confirm": "1", "name": confirm.initial["name"], "text": confirm.initial["text"]})
    assert response.status_code == 302
    assert Reference.objects.filter(bureau=bureau).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("refs.pdf", b"%PDF-1.4", "Type de fichier inconnu"),
        ("refs.bib", b"", "Le fichier soumis est vide"),
        ("refs.bib", b"@book{a,\n title={unclosed\n", "ligne 1"),
    ],
)
def test_import_page_refuses_bad_files(client, bureau, people, name, data, message):
    client_for(client, people["member"])
    response = client.post(_url(bureau, "library_import"), {"file": SimpleUploadedFile(name, data)})
    assert message in response.content.decode()
    assert response.status_code in (200, 400)
    assert "name=\"confirm\"" not in response.content.decode()
    assert not Reference.objects.exists()


@pytest.mark.django_db
def test_export_links_download_the_library(client, bureau, people):
    _import(bureau, "refs.bib", BIBTEX)
    client_for(client, people["observer"])
    response = client.get(_url(bureau, "library_export_bib"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert formats.parse_bibtex(response.content.decode()).records == [
        formats.record_of(r) for r in Reference.objects.filter(bureau=bureau).order_by("key")]


@pytest.mark.django_db
def test_library_pages_query_counts_do_not_grow(client, bureau, people):
    client_for(client, people["observer"])

    def add(n: int) -> None:
        start = Reference.objects.count()
        for i in range(start, start + n):
            Reference.objects.create(bureau=bureau, key=f"ref{i}", title=f"Titre {i}", year=2000 + i % 20,
                                     authors=[{"family": f"Nom{i}", "given": "A"}])

    add(3)
    small = count_queries(client, _url(bureau, "library"))
    detail_small = count_queries(client, _url(bureau, "reference_detail", reference_id=Reference.objects.first().pk))
    add(30)
    assert count_queries(client, _url(bureau, "library")) == small
    assert count_queries(client, _url(bureau, "reference_detail", reference_id=Reference.objects.first().pk)) == detail_small
    page = client.get(_url(bureau, "library") + "?q=Titre+1&year=2001").content.decode()
    assert "ref1<" in page and "ref2<" not in page


@pytest.mark.django_db
def test_the_bureau_page_links_to_the_library_for_members_only(client, bureau, people):
    assert _url(bureau, "library") not in client.get(bureau.url).content.decode()
    client_for(client, people["observer"])
    assert _url(bureau, "library") in client.get(bureau.url).content.decode()


@pytest.mark.django_db
def test_a_reference_added_and_corrected_by_hand(client, bureau, people):
    client_for(client, people["member"])
    data = {"key": "martin2024", "kind": "book", "title": "Un livre (exemple)", "year": "2024",
            "authors_text": "Martin, Claire\nCollectif d'exemple\n"}
    response = client.post(_url(bureau, "reference_new"), data)
    assert response.status_code == 302
    reference = Reference.objects.get(bureau=bureau, key="martin2024")
    assert reference.authors == [{"family": "Martin", "given": "Claire"}, {"literal": "Collectif d'exemple"}]
    for bad, message in ((dict(data, key="MARTIN2024"), "déjà prise"), (dict(data, key="avec espace"), "sans espace"),
                         (dict(data, key="autre", year="99999"), "entre 1000 et 2999")):
        response = client.post(_url(bureau, "reference_new"), bad)
        assert response.status_code == 400 and message in response.content.decode()
    response = client.post(_url(bureau, "reference_edit", reference_id=reference.pk), dict(data, title="Corrigé"))
    assert response.status_code == 302
    reference.refresh_from_db()
    assert reference.title == "Corrigé" and Reference.objects.count() == 1


@pytest.mark.django_db
def test_coordinators_choose_the_citation_style_and_stored_texts_keep_theirs(client, bureau, people):
    from commons import actions
    from commons.models import BureauPage

    Reference.objects.create(bureau=bureau, key="dupont2023", title="Un exemple", year=2023,
                             authors=[{"family": "Dupont", "given": "Marie"}])
    voted = actions.create_proposal(bureau, people["member"], title="Avant", body="Selon [@dupont2023].")
    assert "(Dupont, 2023)" in voted.body_html
    url = _url(bureau, "library_style")
    client_for(client, people["member"])
    assert 'name="citation_style"' not in client.get(_url(bureau, "library")).content.decode()
    assert client.post(url, {"citation_style": "numeric"}).status_code == 403
    client_for(client, people["coordinator"])
    assert 'name="citation_style"' in client.get(_url(bureau, "library")).content.decode()
    page = client.post(url, {"citation_style": "n'importe"}, follow=True).content.decode()
    assert "rien n&#x27;a été modifié" in page
    assert BureauPage.objects.get(pk=bureau.pk).citation_style == "author-date"
    page = client.post(url, {"citation_style": "numeric"}, follow=True).content.decode()
    assert "gardent leurs citations" in page
    bureau = BureauPage.objects.get(pk=bureau.pk)
    assert bureau.citation_style == "numeric"
    if bureau.latest_revision is not None:
        assert bureau.latest_revision.as_object().citation_style == "numeric"
    voted.refresh_from_db()
    assert "(Dupont, 2023)" in voted.body_html  # what was written is kept as it was
    later = actions.create_proposal(bureau, people["member"], title="Après", body="Selon [@dupont2023].")
    assert "[1]" in later.body_html
