"""The analysis pages: figures checked against plain-Python counts (also after a withdrawal of consent),
access, bad filters, pseudonyms, downloads and query counts at two data sizes."""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction

import pytest
from django.http import QueryDict
from django.utils import translation
from openpyxl import load_workbook

from studies.analysis import cooccurrence, crosstab, frequencies, segments, timeline
from studies.analysis.filters import scope_for
from tests.conftest import client_for, count_queries

from .analysis_data import Reference, build_study, withdraw

pytestmark = pytest.mark.django_db

PAGES = ("analysis", "analysis_segments", "analysis_codes", "analysis_cooccurrence", "analysis_crosstab",
         "analysis_time")
DOWNLOADS = tuple(f"{name}_{fmt}" for name in PAGES[1:] for fmt in ("csv", "xlsx"))


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(bureau, study, make_person, make_collective):
    return build_study(bureau, study, make_person, make_collective)


def url(study, name: str, query: str = "") -> str:
    return study.url + study.reverse_subpage(name) + (f"?{query}" if query else "")


def scope(study, query: str = ""):
    form, result = scope_for(study, QueryDict(query))
    return form, result


def all_segment_ids(study, query: str = "") -> list[int]:
    _form, found = scope(study, query)
    return sorted(found.excerpts().values_list("pk", flat=True))


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_member", "observer", "member", "coordinator"])
def test_team_only(client, people, world, who):
    client_for(client, people[who])
    for name in PAGES + DOWNLOADS:
        response = client.get(url(world.study, name))
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        elif who in ("outsider", "other_member"):
            assert response.status_code == 404, name
        else:
            assert response.status_code == 200, name


def test_study_page_links_to_analysis_and_codebook_to_segments(client, people, world):
    client_for(client, people["observer"])
    page = client.get(world.study.url).content.decode()
    assert f'href="{url(world.study, "analysis")}"' in page and "Analysis" in page
    codebook = client.get(url(world.study, "codebook")).content.decode()
    code = world.codes["tensions"]
    assert f'{url(world.study, "analysis_segments")}?codes={code.pk}' in codebook


# --- Segments -------------------------------------------------------------------------------------


def test_segments_match_python_for_every_filter(world):
    ref = Reference(world.study)
    codes, study = world.codes, world.study
    red, syn, ten = codes["redaction"].pk, codes["synthese"].pk, codes["tensions"].pk
    fam = codes["usages"].pk
    c0, c1 = world.collectives[0], world.collectives[1]
    coder = world.coders[1]
    cases = {
        "": lambda e: True,
        f"codes={red}": lambda e: red in e.code_ids,
        f"codes={fam}&subcodes=on": lambda e: bool(e.code_ids & ref.subtree(fam)),
        f"codes={fam}": lambda e: fam in e.code_ids,
        f"codes={red}&codes={ten}": lambda e: bool({red, ten} & e.code_ids),
        f"codes={red}&codes={ten}&match=all": lambda e: {red, ten} <= e.code_ids,
        f"codes={red}&codes={ten}&match=overlap": lambda e: (
            (red in e.code_ids and any(ten in y.code_ids and ref.overlap(e, y) for y in ref.excerpts))
            or (ten in e.code_ids and any(red in y.code_ids and ref.overlap(e, y) for y in ref.excerpts))
        ),
        f"codes={red}&codes={syn}&match=source": lambda e: bool({red, syn} & e.code_ids) and all(
            any(code in y.code_ids and y.source_key == e.source_key for y in ref.excerpts) for code in (red, syn)
        ),
        "kind=interviews": lambda e: e.interview_id is not None,
        "kind=observations": lambda e: e.observation_id is not None,
        f"collectives={c0.pk}": lambda e: e.collective_id == c0.pk,
        "legal_forms=scop": lambda e: e.collective_id == c1.pk,
        "sectors=culture&territories=Lyon": lambda e: e.collective_id in (c0.pk, world.collectives[2].pk),
        f"coders={coder.pk}": lambda e: e.coder_id == coder.pk,
        "date_from=2026-05-01&date_to=2026-05-31": lambda e: (
            date_of(e).isoformat() >= "2026-05-01" and date_of(e).isoformat() <= "2026-05-31"),
        "q=chatgpt": lambda e: "chatgpt" in e.text.lower(),
        f"ai_tools={world.tools[0].pk}": lambda e: e.observation_id is not None
        and world.tools[0] in e.observation.ai_tools.all(),
        "purposes=writing": lambda e: e.observation_id is not None and "writing" in e.observation.purposes,
        f"observers={coder.pk}": lambda e: (e.observation or e.interview).__dict__.get(
            "observer_id" if e.observation_id else "interviewer_id") == coder.pk,
    }
    for query, keep in cases.items():
        expected = sorted(e.pk for e in ref.excerpts if keep(e))
        assert all_segment_ids(study, query) == expected, query
    assert len(all_segment_ids(study, f"codes={red}&codes={ten}&match=overlap")) > len(
        all_segment_ids(study, f"codes={red}&codes={ten}&match=all"))


def date_of(excerpt):
    return excerpt.observation.observed_on if excerpt.observation_id else excerpt.interview.conducted_on


def test_keyset_pages_walk_every_segment_once_both_ways(world):
    _form, found = scope(world.study)
    expected = sorted(found.excerpts().values_list("pk", flat=True), reverse=True)
    seen, pages, after = [], [], None
    while True:
        result = segments.page(found, after=after, size=4)
        pages.append([s.id for s in result.segments])
        seen += pages[-1]
        assert result.total == len(expected)
        if result.next_after is None:
            break
        after = result.next_after
    assert seen == expected and len(pages) > 2
    back = segments.page(found, before=pages[-1][0], size=4)
    assert [s.id for s in back.segments] == pages[-2]


def test_segments_page_uses_no_offset(client, people, world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client_for(client, people["member"])
    last = min(all_segment_ids(world.study))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(world.study, "analysis_segments", f"after={last + 1}")).status_code == 200
    assert not any("OFFSET" in query["sql"].upper() for query in ctx.captured_queries)


def test_segments_page_shows_pseudonyms_never_real_names(client, people, world):
    client_for(client, people["observer"])
    for name in PAGES:
        html = client.get(url(world.study, name)).content.decode()
        for collective in world.collectives:
            assert collective.name not in html, name
        assert "Noé Vrai" not in html
    html = client.get(url(world.study, "analysis_segments", "kind=interviews")).content.decode()
    assert world.collectives[1].code in html and "Noé" in html


# --- Frequencies ----------------------------------------------------------------------------------


def check_frequencies(study):
    ref = Reference(study)
    _form, found = scope(study)
    rows, sources = frequencies.table(found)
    assert sources == len(ref.observations) + len(ref.interviews)
    for row in rows:
        own = {name: getattr(row.own, name) for name in frequencies.METRICS}
        assert own == ref.frequencies(row.code.pk), row.code.name
        assert row.share == Fraction(own["sources"], sources)
        if row.rolled:
            assert {name: getattr(row.rolled, name) for name in frequencies.METRICS} == ref.frequencies(
                row.code.pk, rolled=True)
    return rows


def test_frequencies_match_python_and_a_family_counts_its_subcodes(world):
    rows = check_frequencies(world.study)
    family = next(row for row in rows if row.code.pk == world.codes["usages"].pk)
    assert family.rolled is not None and family.rolled.excerpts > family.own.excerpts
    assert next(row for row in rows if row.code.pk == world.codes["tensions"].pk).rolled is None


def test_frequencies_sort(world):
    _form, found = scope(world.study)
    rows, _sources = frequencies.table(found, "excerpts")
    values = [row.total.excerpts for row in rows]
    assert values == sorted(values, reverse=True)


# --- Co-occurrence --------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["excerpt", "source"])
def test_cooccurrence_matches_python(world, unit):
    ref = Reference(world.study)
    _form, found = scope(world.study)
    matrix = cooccurrence.matrix(found, unit, limit=40)
    assert matrix.codes
    nonzero = 0
    for line in matrix.cells:
        for cell in line:
            if cell.diagonal:
                expected = len({(e.pk if unit == "excerpt" else e.source_key)
                                for e in ref.excerpts if cell.row.pk in e.code_ids})
                assert cell.count == expected
            else:
                assert (cell.count, cell.jaccard) == ref.cooccurrence(cell.row.pk, cell.column.pk, unit)
                nonzero += bool(cell.count)
    assert nonzero >= 2


@pytest.mark.parametrize("unit", ["excerpt", "source"])
def test_a_cell_links_to_the_segments_behind_it(client, people, world, unit):
    client_for(client, people["member"])
    response = client.get(url(world.study, "analysis_cooccurrence", f"unit={unit}"))
    html = response.content.decode()
    ref = Reference(world.study)
    checked = 0
    for row in response.context["rows"]:
        for cell, link in row:
            if cell.diagonal or not cell.count:
                continue
            assert f'href="{link.replace("&", "&amp;")}"' in html
            query = link.split("?", 1)[1]
            ids = all_segment_ids(world.study, query)
            units = {e.pk if unit == "excerpt" else e.source_key for e in ref.excerpts if e.pk in ids}
            assert len(units) == cell.count, (cell.row.name, cell.column.name)
            checked += 1
    assert checked


# --- Crosstabs ------------------------------------------------------------------------------------


def test_crosstab_ai_tools_by_purposes_matches_python(world):
    ref = Reference(world.study)
    _form, found = scope(world.study)
    result = crosstab.table(found, "ai_tool", "purpose", limit=50)
    got = {(row, cell.column): cell.count for (row, _l), line in zip(result.row_values, result.cells, strict=True)
           for cell in line if cell.count}
    assert got == ref.crosstab_tools_purposes()
    assert result.total == len(ref.observations)  # interviews have no AI tools: left out
    for (tool, _label), total in zip(result.row_values, result.row_totals, strict=True):
        assert total == sum(1 for o in ref.observations if tool in {t.pk for t in o.ai_tools.all()})
    for line, total in zip(result.cells, result.row_totals, strict=True):
        for cell in line:
            assert cell.row_share == (cell.count / total if False else cell.row_share)
            if total:
                assert cell.row_share * total == cell.count


def test_crosstab_codes_by_legal_form_matches_python(world):
    ref = Reference(world.study)
    _form, found = scope(world.study)
    result = crosstab.table(found, "code", "legal_form", limit=50)
    got = {(row, cell.column): cell.count for (row, _l), line in zip(result.row_values, result.cells, strict=True)
           for cell in line if cell.count}
    assert got == ref.crosstab_codes_legal_forms()
    assert result.total == len(ref.observations) + len(ref.interviews)


@pytest.mark.parametrize(("rows", "columns"), [
    ("month", "observer"), ("collective", "version"), ("size_band", "territory"), ("purpose", "purpose"),
    ("sector", "code"), ("code", "code"),
])
def test_every_dimension_pair_renders(client, people, world, rows, columns):
    client_for(client, people["member"])
    response = client.get(url(world.study, "analysis_crosstab", f"rows={rows}&columns={columns}"))
    assert response.status_code == 200
    for collective in world.collectives:
        assert collective.name not in response.content.decode()


def test_crosstab_cells_link_to_segments_of_those_sources(client, people, world):
    client_for(client, people["member"])
    response = client.get(url(world.study, "analysis_crosstab", "rows=ai_tool&columns=purpose"))
    for _label, _total, line in response.context["grid"]:
        for cell, link in line:
            if cell.count:
                ids = all_segment_ids(world.study, link.split("?", 1)[1])
                sources = {e.observation_id for e in Reference(world.study).excerpts if e.pk in ids}
                assert ids and len(sources) <= cell.count
                return
    pytest.fail("no cell")


# --- Over time ------------------------------------------------------------------------------------


def test_timeline_matches_python(world):
    ref = Reference(world.study)
    _form, found = scope(world.study)
    result = timeline.timeline(found, "purpose")
    by_month = {m.strftime("%Y-%m"): (s, g) for m, s, g in zip(result.months, result.sources, result.segments,
                                                                strict=True)}
    for month, (sources, segments_count) in by_month.items():
        assert sources == sum(1 for o in ref.observations if o.observed_on.strftime("%Y-%m") == month) + sum(
            1 for i in ref.interviews if i.conducted_on.strftime("%Y-%m") == month)
        assert segments_count == sum(1 for e in ref.excerpts if date_of(e).strftime("%Y-%m") == month)
    assert sum(result.sources) == len(ref.observations) + len(ref.interviews)
    writing = dict(result.series).get("writing")
    assert writing is not None
    assert sum(writing) == sum(1 for o in ref.observations if "writing" in o.purposes)


# --- Consent --------------------------------------------------------------------------------------


def test_a_withdrawal_leaves_every_figure_at_once(client, people, world):
    before = all_segment_ids(world.study)
    withdraw(world.collectives[0])
    ref = Reference(world.study)
    assert len(ref.excerpts) < len(before)
    assert all_segment_ids(world.study) == sorted(e.pk for e in ref.excerpts)
    check_frequencies(world.study)
    _form, found = scope(world.study)
    assert {(r, c.column): c.count for (r, _l), line in zip(*[crosstab.table(found, "ai_tool", "purpose", 50).row_values,
                                                              crosstab.table(found, "ai_tool", "purpose", 50).cells],
                                                            strict=True) for c in line if c.count} == \
        ref.crosstab_tools_purposes()
    for line in cooccurrence.matrix(found, "source", 40).cells:
        for cell in line:
            if not cell.diagonal:
                assert (cell.count, cell.jaccard) == ref.cooccurrence(cell.row.pk, cell.column.pk, "source")
    client_for(client, people["member"])
    withdrawn = {e.pk for e in Reference(world.study).excerpts}
    csv_text = client.get(url(world.study, "analysis_segments_csv")).content.decode("utf-8-sig")
    listed = {int(row[0]) for row in csv.reader(io.StringIO(csv_text)) if row and row[0].isdigit()}
    assert listed == withdrawn


def test_an_informant_withdrawal_removes_interviews(world):
    world.informant.consents.update(withdrawn_at=world.informant.consents.first().given_at)
    assert all(e.interview_id is None for e in Reference(world.study).excerpts)
    _form, found = scope(world.study)
    assert not found.excerpts().filter(interview__isnull=False).exists()
    check_frequencies(world.study)


# --- Bad input ------------------------------------------------------------------------------------


BAD = [
    "codes=99999999999999999999999", "codes=-1", "codes=abc", "date_from=2026-13-45", "date_from=99999-01-01",
    "collectives=%00", "ai_tools=1e9", "versions=NEAR(", "kind=*", "match=xor", "q=" + "x" * 5000,
    "after=99999999999999999999", "before=-4", "sort=drop", "unit=x", "limit=999999999999",
    "rows=secret&columns=name", "split=__class__", "date_from=2026-06-01&date_to=2026-01-01", "codes=" + "&codes=".join(
        str(n) for n in range(1, 20)),
]


@pytest.mark.parametrize("name", PAGES[1:])
def test_bad_filters_give_a_form_error_and_the_unfiltered_table(client, people, world, name):
    client_for(client, people["member"])
    plain = client.get(url(world.study, name))
    for query in BAD:
        response = client.get(url(world.study, name, query))
        if "%00" in query:  # a NUL is refused before any view (bec_site.request_checks): 400, no table
            assert response.status_code == 400, query
            continue
        assert response.status_code == 200, query
        if name == "analysis_segments":
            assert response.context["result"].total == plain.context["result"].total, query
        if name == "analysis_codes":
            assert [(r.code.pk, r.own.excerpts) for r in response.context["rows"]] == [
                (r.code.pk, r.own.excerpts) for r in plain.context["rows"]], query
    for fmt in ("csv", "xlsx"):
        assert client.get(url(world.study, f"{name}_{fmt}", BAD[0])).status_code == 200


def test_a_filter_error_is_shown(client, people, world):
    client_for(client, people["member"])
    response = client.get(url(world.study, "analysis_codes", "codes=424242&date_from=nope"))
    html = response.content.decode()
    assert 'role="alert"' in html and response.context["form"].errors
    assert response.context["filters_in_force"] == []


# --- Downloads ------------------------------------------------------------------------------------


def test_csv_download_has_the_filters_first_and_neutralised_cells(client, people, world):
    client_for(client, people["member"])
    code = world.codes["tensions"]
    response = client.get(url(world.study, "analysis_segments_csv", f"codes={code.pk}&kind=observations"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Study", world.study.title]
    assert ["Filter: Codes", "Tensions"] in rows and ["Filter: Source", "observations"] in rows
    header = rows.index(list(segments.HEADER))
    data = rows[header + 1:]
    assert len(data) == len(all_segment_ids(world.study, f"codes={code.pk}&kind=observations"))
    memos = [row[13] for row in data]
    assert all(not memo.startswith("=") for memo in memos) and any(memo == "'=1+1 mémo" for memo in memos)
    raw = response.content.decode("utf-8-sig").splitlines()[0]
    assert raw.startswith('"Study","')
    for collective in world.collectives:
        assert collective.name not in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("name", PAGES[1:])
def test_xlsx_download_holds_the_same_table(client, people, world, name):
    client_for(client, people["member"])
    response = client.get(url(world.study, f"{name}_xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    csv_rows = list(csv.reader(io.StringIO(client.get(url(world.study, f"{name}_csv")).content.decode("utf-8-sig"))))
    assert len(values) == len(csv_rows)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert values[0][0] == "Study"


# --- Charts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "query"), [("analysis_codes", ""), ("analysis_crosstab", ""),
                                             ("analysis_time", "split=ai_tool")])
def test_charts_are_svg_images_with_title_description_and_no_script(client, people, world, name, query):
    import base64

    client_for(client, people["member"])
    html = client.get(url(world.study, name, query)).content.decode()
    found = re.search(r'<img class="chart-image" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', html)
    assert found, "the chart is an image"
    svg = base64.b64decode(found.group(1)).decode()
    assert '<svg role="img" aria-labelledby="chart-title-' in svg
    title = re.search(r"<title id=\"chart-title-\d+\">([^<]+)</title><desc id=\"chart-desc-\d+\">([^<]+)</desc>", svg)
    assert title and found.group(2).startswith(title.group(1))
    assert "<script" not in svg and "<style" in svg  # pygal's styles travel inside the image
    assert "<svg role=\"img\"" not in html and "<style" not in html  # nothing the CSP would refuse
    assert "<table" in html


def test_chart_labels_are_escaped(client, people, world):
    code = world.codes["tensions"]
    code.name = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    code.save()
    client_for(client, people["member"])
    for name in PAGES[1:]:
        html = client.get(url(world.study, name, "rows=code&columns=legal_form&split=code")).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html, name


# --- Query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "query"), [
    ("analysis_segments", ""), ("analysis_segments", "codes={red}&codes={ten}&match=overlap"),
    ("analysis_codes", ""), ("analysis_cooccurrence", ""), ("analysis_cooccurrence", "unit=source"),
    ("analysis_crosstab", ""), ("analysis_crosstab", "rows=code&columns=legal_form"),
    ("analysis_crosstab", "rows=month&columns=purpose"), ("analysis_time", "split=code"),
    ("analysis_segments_csv", ""), ("analysis_codes_xlsx", ""),
])
def test_query_counts_do_not_grow_with_the_data(client, people, bureau, study, make_person, make_collective,
                                                make_study, name, query):
    small = build_study(bureau, study, make_person, make_collective, observations=6, seed=1)
    client_for(client, people["member"])
    q = query.format(red=small.codes["redaction"].pk, ten=small.codes["tensions"].pk)
    at_small = count_queries(client, url(study, name, q))
    big_study = make_study(bureau)
    big = build_study(bureau, big_study, make_person, make_collective, observations=60, seed=2)
    q = query.format(red=big.codes["redaction"].pk, ten=big.codes["tensions"].pk)
    at_big = count_queries(client, url(big_study, name, q))
    assert at_big == at_small, (at_small, at_big)
    assert at_small <= 40


def test_crosstab_with_a_coder_filter_counts_codes_of_that_coder_only(world):
    """Codes × legal form under a coder filter: a source counts for a code only through that coder's
    excerpts; totals count each source once."""
    ref = Reference(world.study)
    coder = world.coders[0]
    _form, found = scope(world.study, f"coders={coder.pk}")
    result = crosstab.table(found, "code", "legal_form", limit=50)
    got = {(row, cell.column): cell.count for (row, _l), line in zip(result.row_values, result.cells, strict=True)
           for cell in line if cell.count}
    ref.excerpts = [e for e in ref.excerpts if e.coder_id == coder.pk]
    assert got == ref.crosstab_codes_legal_forms()
    for (value, _label), total in zip(result.column_values, result.column_totals, strict=True):
        assert total == len({e.source_key for e in ref.excerpts
                             if (e.observation or e.interview.informant).collective.legal_form == value})
