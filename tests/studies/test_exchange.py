"""The « Échanges » page and its spreadsheets (issue 14 item 6).

Every figure and row is checked against the model rows recomputed in plain Python
(`analysis_data.Reference`, its own consent check); a withdrawal of consent removes the material at
once; no real name of a collective nor an informant's identifying details appear in any download
(CSV or XLSX); formula starts are neutralised; the downloads stream and cost the same number of
queries at two sizes.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from commons.models import Role
from studies import exports
from studies.models import Code, Excerpt, Observation, ProtocolVersion, Purpose
from studies.models.study import EXCHANGE_TABLES
from tests.conftest import client_for

from .analysis_data import Reference, build_study, withdraw

REAL_NAMES = ("Association Réelle", "SCOP Véritable", "Tiers-lieu Secret", "Noé Vrai")
FORMATS = ("csv", "xlsx")


@pytest.fixture
def world(bureau, study, make_person, make_collective):
    return build_study(bureau, study, make_person, make_collective, observations=12)


def _url(study, table: str = "", fmt: str = "") -> str:
    return f"{study.url}exchange/" + (f"{table}/{fmt}/" if table else "")


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    assert response.streaming, "the download must stream"
    return b"".join(response.streaming_content)


def _table(client, study, table: str, fmt: str = "csv") -> tuple[list[str], list[dict]]:
    """(header, rows as dicts of text) of one download."""
    response = client.get(_url(study, table, fmt))
    body = _body(response)
    assert response["Content-Disposition"].startswith("attachment;")
    if fmt == "csv":
        assert isinstance(response, StreamingHttpResponse)
        text = body.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text[1:])))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        rows = [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    header, lines = rows[0], rows[1:]
    return header, [dict(zip(header, line, strict=True)) for line in lines]


def _paths(study) -> dict[int, str]:
    from studies.analysis.filters import code_tree

    return {pk: code.path for pk, code in code_tree(study).items()}


# --- The figures ----------------------------------------------------------------------------------


def test_observations_one_row_each_with_tools_purposes_and_codes(client, people, world):
    client_for(client, people["member"])
    reference = Reference(world.study)
    paths = _paths(world.study)
    header, rows = _table(client, world.study, "observations")
    assert header[:len(exports.OBSERVATION_HEADER)] == exports.OBSERVATION_HEADER
    assert sorted(int(row["id"]) for row in rows) == sorted(o.pk for o in reference.observations)
    by_id = {int(row["id"]): row for row in rows}
    with translation.override("fr"):
        for observation in reference.observations:
            row = by_id[observation.pk]
            assert row["collective"] == observation.collective.code
            assert row["ai_tools"] == "; ".join(sorted(tool.name for tool in observation.ai_tools.all()))
            assert row["purposes"] == "; ".join(str(Purpose(value).label) for value in observation.purposes)
            coded = {pk for e in reference.excerpts if e.observation_id == observation.pk for pk in e.code_ids}
            assert set(filter(None, row["excerpt_codes"].split("; "))) == {paths[pk] for pk in coded}
            assert int(row["excerpts"]) == sum(1 for e in reference.excerpts if e.observation_id == observation.pk)
            assert row["note"] == observation.plain_text


def test_coded_segments_one_row_per_excerpt_and_code_with_the_path_split(client, people, world):
    client_for(client, people["observer"])  # the whole team downloads, observers included
    reference = Reference(world.study)
    paths = _paths(world.study)
    header, rows = _table(client, world.study, "coded-segments")
    assert header == [*exports.SEGMENT_HEADER, "code_level_1", "code_level_2", *exports.SEGMENT_TAIL]
    expected = sorted((e.pk, paths[pk]) for e in reference.excerpts for pk in e.code_ids)
    assert sorted((int(row["excerpt_id"]), row["code"]) for row in rows) == expected
    excerpts = {e.pk: e for e in reference.excerpts}
    for row in rows:
        excerpt = excerpts[int(row["excerpt_id"])]
        levels = [row["code_level_1"], row["code_level_2"]]
        assert " › ".join(level for level in levels if level) == row["code"]
        assert (int(row["start"]), int(row["end"])) == (excerpt.start, excerpt.end)
        source = excerpt.observation or excerpt.interview
        assert row["source"] == ("observation" if excerpt.observation_id else "interview")
        assert int(row["source_id"]) == source.pk
        if excerpt.interview_id:
            assert row["informant"] == "Noé" and row["collective"] == source.informant.collective.code
        else:
            assert row["informant"] == "" and row["collective"] == source.collective.code


def test_codebook_counts_agree_with_the_rows(client, people, world):
    client_for(client, people["member"])
    reference = Reference(world.study)
    paths = _paths(world.study)
    header, rows = _table(client, world.study, "codebook")
    assert [row["code"] for row in rows] == list(paths.values())  # the codebook's order
    for row in rows:
        pk = int(row["id"])
        carrying = [e for e in reference.excerpts if pk in e.code_ids]
        assert int(row["excerpts"]) == len(carrying)
        assert int(row["observations"]) == len({e.observation_id for e in carrying if e.observation_id})
    child = next(row for row in rows if row["name"] == "Rédaction")
    assert (child["parent"], child["code_level_1"], child["code_level_2"]) == ("Usages", "Usages", "Rédaction")


def test_interviews_without_transcript_nor_identifying_details(client, people, world):
    client_for(client, people["member"])
    reference = Reference(world.study)
    header, rows = _table(client, world.study, "interviews")
    assert header == exports.INTERVIEW_HEADER
    assert sorted(int(row["id"]) for row in rows) == sorted(i.pk for i in reference.interviews)
    for row in rows:
        interview = next(i for i in reference.interviews if i.pk == int(row["id"]))
        assert row["informant"] == "Noé"
        assert int(row["transcript_characters"]) == len(interview.plain_text)
        assert interview.plain_text[:40] not in "".join(row.values())
        assert int(row["excerpts"]) == sum(1 for e in reference.excerpts if e.interview_id == interview.pk)


def test_grid_answers_of_each_version_are_columns(client, people, bureau, study, make_collective, make_protocol):
    protocol = make_protocol(study)
    version = ProtocolVersion.objects.get(protocol=protocol, number=1)
    collective = make_collective(bureau)
    Observation.objects.create(
        study=study, collective=collective, observer=people["member"], setting="meeting", title="Avec grille",
        body="Texte.", protocol_version=version, grid_answers={"frequence": "rare"},
    )
    Observation.objects.create(study=study, collective=collective, observer=people["member"], setting="meeting",
                               title="Sans version", body="Texte.")
    client_for(client, people["member"])
    header, rows = _table(client, study, "observations")
    assert header[-1] == "grid_frequence"
    by_title = {row["title"]: row for row in rows}
    assert (by_title["Avec grille"]["grid_frequence"], by_title["Avec grille"]["protocol_version"]) == ("rare", "v1")
    assert by_title["Sans version"]["grid_frequence"] == ""


@pytest.mark.parametrize("table", EXCHANGE_TABLES)
def test_xlsx_holds_the_same_rows_as_the_csv(client, people, world, table):
    client_for(client, people["member"])
    csv_header, csv_rows = _table(client, world.study, table, "csv")
    xlsx_header, xlsx_rows = _table(client, world.study, table, "xlsx")
    assert xlsx_header == csv_header and len(xlsx_rows) == len(csv_rows)
    key = csv_header[0]
    assert sorted(row[key] for row in xlsx_rows) == sorted(row[key] for row in csv_rows)


# --- Consent, pseudonyms, formulas ----------------------------------------------------------------


def test_a_withdrawal_removes_the_material_from_every_download(client, people, world):
    client_for(client, people["member"])
    gone = world.collectives[0]
    withdraw(gone)
    reference = Reference(world.study)
    _header, observations = _table(client, world.study, "observations")
    assert gone.code not in {row["collective"] for row in observations}
    assert sorted(int(row["id"]) for row in observations) == sorted(o.pk for o in reference.observations)
    _header, segments = _table(client, world.study, "coded-segments")
    assert {int(row["excerpt_id"]) for row in segments} == {e.pk for e in reference.excerpts}
    assert gone.code not in {row["collective"] for row in segments}
    # The informant withdraws: their interviews and passages leave too.
    world.informant.consents.update(withdrawn_at=world.informant.consents.first().given_at)
    _header, interviews = _table(client, world.study, "interviews")
    assert interviews == []
    _header, segments = _table(client, world.study, "coded-segments")
    assert "interview" not in {row["source"] for row in segments}
    _header, codebook = _table(client, world.study, "codebook")
    reference = Reference(world.study)
    for row in codebook:
        assert int(row["excerpts"]) == sum(1 for e in reference.excerpts if int(row["id"]) in e.code_ids)


@pytest.mark.parametrize("who", ["nobody", "collective", "informant", "informant's collective"])
def test_the_joined_consent_rule_keeps_the_same_excerpts(client, people, world, who):
    """The coded-segments table reads the excerpts through joins (`consented_excerpts_join_q`, lighter
    on SQLite), the analysis through ``IN (subquery)`` (`consented_excerpts_q`), the page counts
    kind by kind (`consented_excerpt_count`): three forms of one rule, the same rows after any
    withdrawal, the informant's collective's included."""
    from studies.sources import consented_excerpt_count, consented_excerpts_join_q, consented_excerpts_q

    if who == "collective":
        withdraw(world.collectives[0])
    elif who == "informant":
        world.informant.consents.update(withdrawn_at=world.informant.consents.first().given_at)
    elif who == "informant's collective":
        withdraw(world.informant.collective)
    expected = {e.pk for e in Reference(world.study).excerpts}
    assert expected  # something is left to compare
    joined = set(Excerpt.objects.filter(consented_excerpts_join_q(world.study)).values_list("pk", flat=True))
    subquery = set(Excerpt.objects.filter(consented_excerpts_q(world.study)).values_list("pk", flat=True))
    assert joined == subquery, (joined ^ subquery)
    assert joined == expected, (joined ^ expected)
    assert consented_excerpt_count(world.study) == len(expected)
    client_for(client, people["member"])
    _header, segments = _table(client, world.study, "coded-segments")
    assert {int(row["excerpt_id"]) for row in segments} == expected
    page = client.get(_url(world.study)).content.decode()
    assert f">{len(expected)} passage" in page  # « passages » in French and English alike



@pytest.mark.parametrize("fmt", FORMATS)
def test_no_real_name_in_any_download(client, people, world, fmt):
    world.informant.role = "Trésorière, seule salariée"
    world.informant.save()
    client_for(client, people["coordinator"])  # who may see real names on the site: not in exports
    for table in EXCHANGE_TABLES:
        response = client.get(_url(world.study, table, fmt))
        body = _body(response)
        text = body.decode("utf-8") if fmt == "csv" else _xlsx_text(body)
        for name in (*REAL_NAMES, "Trésorière, seule salariée"):
            assert name not in text, (table, name)


def _xlsx_text(body: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_starts_are_neutralised(client, people, world, fmt):
    observation = world.observations[1]
    Observation.objects.filter(pk=observation.pk).update(title='=HYPERLINK("http://evil","x")')
    code = Code.objects.create(study=world.study, name="@SOMME(1;2)", slug="somme")
    excerpt = Excerpt.objects.filter(observation=observation).first()
    excerpt.codes.add(code)
    Excerpt.objects.filter(pk=excerpt.pk).update(memo="+33 6 12 34 56 78; =1+1")
    client_for(client, people["member"])
    _header, observations = _table(client, world.study, "observations", fmt)
    assert next(row for row in observations if int(row["id"]) == observation.pk)["title"].startswith("'=HYPERLINK")
    _header, segments = _table(client, world.study, "coded-segments", fmt)
    mine = [row for row in segments if int(row["excerpt_id"]) == excerpt.pk]
    assert {row["memo"] for row in mine} == {"'+33 6 12 34 56 78; '=1+1"}
    assert "'@SOMME(1;2)" in {row["code"] for row in mine}
    _header, codebook = _table(client, world.study, "codebook", fmt)
    assert next(row for row in codebook if row["name"].endswith("@SOMME(1;2)"))["name"] == "'@SOMME(1;2)"
    for row in (*observations, *segments, *codebook):
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")) or value.lstrip("-").replace(".", "").isdigit()


# --- The page, streaming and the cost -------------------------------------------------------------


def test_the_page_lists_every_table_with_its_downloads(client, people, world):
    client_for(client, people["observer"])
    page = client.get(_url(world.study)).content.decode()
    for table in EXCHANGE_TABLES:
        for fmt in FORMATS:
            assert f'href="{_url(world.study, table, fmt)}"' in page
    reference = Reference(world.study)
    assert f">{len(reference.observations)} observations<" in page
    assert "studies/refi/_panel.html" not in page  # the REFI-QDA place is a template comment
    study_page = client.get(world.study.url).content.decode()
    assert f'href="{_url(world.study)}"' in study_page
    client.logout()
    assert f'href="{_url(world.study)}"' not in client.get(world.study.url).content.decode()


def test_tables_and_routes_agree():
    assert tuple(exports.TABLES) == EXCHANGE_TABLES


def test_unknown_table_or_format_is_a_404(client, people, study):
    client_for(client, people["member"])
    for address in ("users/csv/", "observations/pdf/", "observations/", "../observations/csv/"):
        assert client.get(f"{study.url}exchange/{address}").status_code == 404, address


def test_rows_are_read_in_chunks(client, people, world, monkeypatch):
    """The export reads the database chunk by chunk (`iterator(chunk_size=…)`): with a chunk of 5
    rows, 12 observations cost more queries than with one chunk, and every row is still there."""
    client_for(client, people["member"])
    _header, whole = _table(client, world.study, "observations")
    monkeypatch.setattr(exports, "CHUNK", 5)
    with CaptureQueriesContext(connection) as small_chunks:
        _header, chunked = _table(client, world.study, "observations")
    assert [row["id"] for row in chunked] == [row["id"] for row in whole]
    monkeypatch.setattr(exports, "CHUNK", 1000)
    with CaptureQueriesContext(connection) as one_chunk:
        _table(client, world.study, "observations")
    assert len(small_chunks.captured_queries) > len(one_chunk.captured_queries)


def _download_queries(client, study, table: str, fmt: str) -> int:
    _body(client.get(_url(study, table, fmt)))  # warm-up
    with CaptureQueriesContext(connection) as context:
        _body(client.get(_url(study, table, fmt)))
    return len(context.captured_queries)


@pytest.mark.parametrize("table", EXCHANGE_TABLES)
def test_query_count_does_not_grow_with_the_study(client, bureau, make_study, make_person, make_collective, table):
    counts = []
    member = make_person(bureau, Role.MEMBER)
    for size in (4, 16):
        study = make_study(bureau)
        build_study(bureau, study, make_person, make_collective, observations=size, seed=size)
        client_for(client, member)
        counts.append(
            (
                _download_queries(client, study, table, "csv"),
                _download_queries(client, study, table, "xlsx"),
            )
        )
    assert counts[0] == counts[1], counts


def test_page_query_count_does_not_grow(client, bureau, make_study, make_person, make_collective):
    from tests.conftest import count_queries

    member = make_person(bureau, Role.MEMBER)
    counts = []
    for size in (4, 16):
        study = make_study(bureau)
        build_study(bureau, study, make_person, make_collective, observations=size, seed=size)
        client_for(client, member)
        counts.append(count_queries(client, _url(study)))
    assert counts[0] == counts[1], counts


def test_the_demo_exports_name_no_collective(db, client):
    """The demo's own material keeps the rule: no collective's real name, nor its distinctive word,
    in any spreadsheet (the demo once titled a note « CA de Passerelle »)."""
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from participants.models import Collective
    from studies.models import StudyPage

    call_command("bec_demo", stdout=StringIO())
    study = StudyPage.objects.get(slug="usages-ia-generative")
    client.force_login(get_user_model().objects.get(email="lea.dubois@bec-demo.fr"))
    names = list(Collective.objects.values_list("name", flat=True))
    distinctive = {"Passerelle", "Panier Vaudais", "Scènes Partagées", "Vernes"}
    for table in EXCHANGE_TABLES:
        for fmt in FORMATS:
            body = _body(client.get(_url(study, table, fmt)))
            text = body.decode("utf-8") if fmt == "csv" else _xlsx_text(body)
            for name in (*names, *distinctive):
                assert name not in text, (table, fmt, name)
