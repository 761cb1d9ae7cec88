"""The observation list pages by cursor and takes its count from the cache (issue 15, goal 2).

Every row is visited once, in order, forwards and backwards, with filters and search; a deep page
costs the queries of page 1 at two data sizes; hostile cursors and old `?page=N` links are no 500;
the count is not recomputed on each view, yet a bare `.update()` withdrawal changes it at once.
"""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studies.keyset import BadCursor, Cursor
from studies.models import Observation
from tests.conftest import client_for, count_queries
from tests.studies.test_observations import _observe, _populate, _url

NEXT = re.compile(r'<a href="([^"]*)" rel="next">')
PREVIOUS = re.compile(r'<a href="([^"]*)" rel="prev">')
ROW = re.compile(r'<tr id="observation-(\d+)">')


def _pages(client, study, start: str, link: re.Pattern) -> list[list[int]]:
    """The ids of every page met following `link` from `start`, in the order shown."""
    pages, url = [], start
    while url:
        response = client.get(url)
        assert response.status_code == 200
        content = response.content.decode()
        pages.append([int(pk) for pk in ROW.findall(content)])
        found = link.search(content)
        url = _url(study) + html.unescape(found.group(1)) if found else None
        assert len(pages) < 50, "the links go round in circles"
    return pages


@pytest.fixture
def many(study, bureau, make_collective):
    """60 observations on 7 dates (many ties on the date), two thirds with the purpose 'writing'."""
    collectives = [make_collective(bureau) for _ in range(2)]
    start = datetime.date(2026, 1, 1)
    for n in range(60):
        _observe(
            study,
            collectives[n % 2],
            title=f"Note {n} collectif",
            purposes=["writing"] if n % 3 else ["translating"],
            observed_on=start + datetime.timedelta(days=n % 7),
        )
    return collectives


@pytest.mark.parametrize(
    "query", ["", "?purpose=writing", "?q=collectif&purpose=writing"], ids=["all", "filtered", "search"]
)
def test_every_row_once_in_order_forwards_and_backwards(client, people, study, many, query):
    client = client_for(client, people["member"])
    expected = Observation.objects.filter(study=study).order_by("-observed_on", "-pk")
    if "purpose" in query:
        expected = expected.filter(purposes__icontains='"writing"')
    expected = list(expected.values_list("pk", flat=True))
    forwards = _pages(client, study, _url(study) + query, NEXT)
    assert [pk for page in forwards for pk in page] == expected
    assert [len(page) for page in forwards][:-1] == [25] * (len(forwards) - 1)
    last = client.get(_url(study) + query).content.decode()
    while found := NEXT.search(last):
        last_url = _url(study) + html.unescape(found.group(1))
        last = client.get(last_url).content.decode()
    backwards = _pages(client, study, last_url, PREVIOUS)
    assert backwards[::-1] == forwards  # the same pages, met in the other direction
    if query:
        assert all(
            query.lstrip("?") in html.unescape(link) for link in NEXT.findall(last) + PREVIOUS.findall(last)
        )


def test_the_count_covers_every_page_not_only_the_one_shown(client, people, study, many):
    client = client_for(client, people["member"])
    first = client.get(_url(study), {"purpose": "writing"})
    assert first.context["count"] == 40
    assert "40 observations" in first.content.decode()
    deep = client.get(
        _url(study), {"purpose": "writing", "after": str(first.context["observations"].next_cursor)}
    )
    assert deep.context["count"] == 40


# --- Cost ----------------------------------------------------------------------------------------


def _deep_url(client, study, suffix: str = "") -> str:
    """The URL of the list's last page, reached through the « next » links."""
    url = _url(study) + suffix
    while found := NEXT.search(client.get(url).content.decode()):
        url = _url(study) + html.unescape(found.group(1))
    return url


@pytest.mark.parametrize("suffix", ["", "?purpose=writing"], ids=["plain", "filtered"])
def test_a_deep_page_costs_the_queries_of_page_one_at_two_sizes(
    client, people, bureau, study, make_collective, suffix
):
    client = client_for(client, people["member"])
    _populate(study, bureau, people, make_collective, 55)
    small = (
        count_queries(client, _url(study) + suffix),
        count_queries(client, _deep_url(client, study, suffix)),
    )
    _populate(study, bureau, people, make_collective, 80)
    large = (
        count_queries(client, _url(study) + suffix),
        count_queries(client, _deep_url(client, study, suffix)),
    )
    assert small[0] == small[1] == large[0] == large[1]


def test_no_query_counts_or_offsets_the_rows(client, people, bureau, study, make_collective):
    client = client_for(client, people["member"])
    _populate(study, bureau, people, make_collective, 30)
    deep = _deep_url(client, study)
    client.get(deep)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(deep).status_code == 200
    sql = " ".join(query["sql"].upper() for query in queries.captured_queries)
    assert "OFFSET" not in sql
    assert 'COUNT(*) AS "__COUNT"' not in sql  # the count comes from the cache


# --- Bad input -----------------------------------------------------------------------------------

HOSTILE = [
    "zz",
    "",
    ".",
    "2026-01-01",
    "2026-01-01.",
    ".12",
    "2026-13-01.1",
    "2026-02-30.1",
    "2026-1-1.1",
    "2026-01-01.-1",
    "2026-01-01.1e5",
    "2026-01-01.0x1f",
    "2026-01-01.٣",
    "2026-01-01.１２",
    "2026-01-01." + "9" * 19,
    "2026-01-01." + "9" * 400,
    "9" * 5000,
    "2026-01-01.1\x00",
    "2026-01-01.1.2",
    "+02026-01-01.1",
    "0000-01-01.1",
    "2026-01-01 .1",
    "[1]",
    "{'a': 1}",
    "null",
    "true",
    "1.5",
    "<script>alert(1)</script>",
    "2026-01-01.1;DROP TABLE studies_observation",
]
EXTREMES = ["0001-01-01.0", "9999-12-31.9223372036854775807", "2026-01-01.1", "1970-01-01.99"]


@pytest.mark.parametrize("name", ["after", "before"])
def test_hostile_cursors_are_a_clear_400_never_a_500(client, people, study, many, name):
    client = client_for(client, people["member"])
    for cursor in HOSTILE:
        response = client.get(_url(study), {name: cursor, "purpose": "writing"})
        assert response.status_code in (200, 400), cursor
        if "\x00" in cursor:  # refused before the view by the site's middleware, as a 400 too
            continue
        if cursor:  # an empty cursor is no cursor: the first page
            assert response.status_code == 400, cursor
            assert "Ce lien de page est abîmé" in response.content.decode()
        assert len(response.context["observations"].object_list) == 25  # the first page, filters kept
    response = client.get(f"{_url(study)}?{name}=2026-01-01.1&{name}=zz")  # the last value counts
    assert response.status_code == 400
    for cursor in EXTREMES:
        assert client.get(_url(study), {name: cursor}).status_code == 200, cursor


def test_a_cursor_past_the_end_shows_the_way_back(client, people, study, many):
    response = client_for(client, people["member"]).get(_url(study), {"after": "0001-01-01.0"})
    content = response.content.decode()
    assert response.status_code == 200 and not ROW.search(content)
    assert "Il n'y a pas d'autres observations." in content and "Revenir aux plus récentes" in content


@pytest.mark.parametrize("page", ["2", "50", "999999999999999999999", "zz", "-1"])
def test_old_page_links_show_the_first_page_with_a_note(client, people, study, many, page):
    response = client_for(client, people["member"]).get(_url(study), {"page": page, "purpose": "writing"})
    assert response.status_code == 200
    assert len(response.context["observations"].object_list) == 25
    assert "Les pages numérotées n'existent plus" in html.unescape(response.content.decode())
    response = client_for(client, people["member"]).get(_url(study), {"page": "1"})
    assert "Les pages numérotées" not in response.content.decode()


def test_cursor_round_trip():
    cursor = Cursor(datetime.date(2026, 3, 1), 42)
    assert str(cursor) == "2026-03-01.42" and Cursor.parse(str(cursor)) == cursor
    with pytest.raises(BadCursor):
        Cursor.parse("2026-03-01.42.1")


# --- The cached count ----------------------------------------------------------------------------


def test_the_count_is_cached_but_follows_writes_and_bare_withdrawals(client, people, bureau, study, many):
    client = client_for(client, people["member"])
    assert client.get(_url(study)).context["count"] == 60
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_url(study)).context["count"] == 60
    assert not any('COUNT(*) AS "__COUNT"' in query["sql"].upper() for query in queries.captured_queries)

    _observe(study, many[0], title="Nouvelle", purposes=["writing"])  # a save renews the generation
    assert client.get(_url(study)).context["count"] == 61
    assert client.get(_url(study), {"purpose": "writing"}).context["count"] == 41

    many[1].consents.update(withdrawn_at=timezone.now())  # no signal: the consent state is in the key
    assert client.get(_url(study)).context["count"] == 31
    assert client.get(_url(study), {"purpose": "writing"}).context["count"] == 21
    assert "31 observations" in client.get(_url(study)).content.decode()


def test_the_count_by_collective_tells_collectives_apart(client, people, study, many):
    """The cache key holds the filter's id, not the collective's text (two may read the same)."""
    client = client_for(client, people["member"])
    counts = {client.get(_url(study), {"collective": c.pk}).context["count"] for c in many}
    assert counts == {30}
    Observation.objects.filter(collective=many[0]).first().delete()
    assert [client.get(_url(study), {"collective": c.pk}).context["count"] for c in many] == [29, 30]


# --- The demo ------------------------------------------------------------------------------------


def test_the_demo_list_pages_by_cursor(client, home):
    """The demo study holds more than one page: « Observations suivantes » leads to the rest."""
    from django.contrib.auth import get_user_model

    from commons import demo as commons_demo
    from studies import demo as studies_demo

    study = studies_demo.build(commons_demo.build(home)["bureau"])
    client.force_login(get_user_model().objects.get(email="lea.dubois@bec-demo.fr"))
    first = client.get(_url(study))
    content = first.content.decode()
    assert first.status_code == 200 and "Observations suivantes" in content
    pages = _pages(client, study, _url(study), NEXT)
    listed = Observation.objects.consented().filter(study=study).count()
    assert len(pages) >= 2 and sum(len(page) for page in pages) == listed == first.context["count"]
    assert (
        "Précédentes"
        in client.get(_url(study) + html.unescape(NEXT.search(content).group(1))).content.decode()
    )
