"""Observation pages: every kind of visitor on every route, logging with consent enforced, bad input
that changes nothing, optimistic locking (a stale edit gets 409 and loses nothing), filters, full-text
search, pagination, and query counts that do not grow with the number of observations.

Messages are compared with the translated string (`_fr`), so these tests hold before and after the
French catalogue is completed.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.html import escape

from participants.models import ConsentScope
from studies.diffing import word_diff_html as word_diff
from studies.models import AITool, Code, Excerpt, Observation
from tests.conftest import client_for, count_queries

VISITORS = ["anonymous", "outsider", "observer", "member", "coordinator", "other_member"]
READERS = {"observer", "member", "coordinator"}
WRITERS = {"member", "coordinator"}


def _fr(message: str, **params) -> str:
    with translation.override("fr"):
        text = translation.gettext(message)
    return text % params if params else text


def _url(study, suffix: str = "") -> str:
    return f"{study.url}observations/{suffix}"


def _observe(study, collective, *, title="Une note", body="Le collectif utilise un outil.", observer=None,
             tools=(), codes=(), **fields) -> Observation:
    fields.setdefault("setting", "meeting")
    observation = Observation.objects.create(study=study, collective=collective, title=title, body=body,
                                             observer=observer, **fields)
    if tools:
        observation.ai_tools.set(tools)
    if codes:
        observation.codes.set(list(codes))
        observation.save()
    return observation


def _post_data(collective, **overrides) -> dict:
    data = {
        "observed_on": "2026-03-12",
        "collective": str(collective.pk),
        "setting": "meeting",
        "title": "Réunion du conseil",
        "body": "Le **bureau** rédige le compte rendu avec un assistant.",
        "visibility": "team",
        "purposes": ["writing", "summarising"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _status_for(visitor: str, allowed: set[str], *, observer_status: int = 403) -> int:
    if visitor in allowed:
        return 200
    if visitor == "anonymous":
        return 302
    if visitor == "observer":
        return observer_status
    return 404


@pytest.fixture
def collective(bureau, make_collective):
    return make_collective(bureau, "La Coop des Communs", legal_form="scic")


@pytest.fixture
def tools(db):
    return [AITool.objects.create(name="ChatGPT", vendor="OpenAI"), AITool.objects.create(name="Le Chat"),
            AITool.objects.create(name="Whisper", open_weights=True, hosting="self_hosted")]


# --- Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("visitor", VISITORS)
def test_list_permissions(client, people, study, collective, visitor):
    _observe(study, collective, title="Note secrète de terrain")
    response = client_for(client, people[visitor]).get(_url(study))
    assert response.status_code == _status_for(visitor, READERS)
    if visitor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if visitor not in READERS:
        assert b"Note secr" not in response.content


@pytest.mark.parametrize("visitor", VISITORS)
def test_create_permissions(client, people, study, collective, visitor):
    client = client_for(client, people[visitor])
    assert client.get(_url(study, "new/")).status_code == _status_for(visitor, WRITERS)
    response = client.post(_url(study, "new/"), _post_data(collective))
    assert response.status_code == (302 if visitor in WRITERS else _status_for(visitor, set()))
    assert Observation.objects.count() == (1 if visitor in WRITERS else 0)
    if visitor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("visitor", VISITORS)
def test_edit_permissions(client, people, study, collective, visitor):
    observation = _observe(study, collective, title="Avant")
    client = client_for(client, people[visitor])
    assert client.get(_url(study, f"{observation.pk}/edit/")).status_code == _status_for(visitor, WRITERS)
    response = client.post(_url(study, f"{observation.pk}/edit/"),
                           _post_data(collective, title="Après", version="1"))
    assert response.status_code == (302 if visitor in WRITERS else _status_for(visitor, set()))
    observation.refresh_from_db()
    assert observation.title == ("Après" if visitor in WRITERS else "Avant")


def test_observation_of_another_study_is_not_editable_here(client, people, bureau, study, make_study,
                                                           collective):
    elsewhere = _observe(make_study(bureau), collective)
    client = client_for(client, people["member"])
    assert client.get(_url(study, f"{elsewhere.pk}/edit/")).status_code == 404
    assert client.get(_url(study, "999999/edit/")).status_code == 404


# --- Logging -------------------------------------------------------------------------------------


def test_member_logs_an_observation(client, people, study, collective, tools):
    code = Code.objects.create(study=study, name="rédaction")
    client = client_for(client, people["member"])
    response = client.post(_url(study, "new/"), _post_data(
        collective, ai_tools=[str(tools[0].pk), str(tools[2].pk)], codes=[str(code.pk)],
        purposes=["summarising", "writing"],
    ))
    observation = Observation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url(study, f"{observation.pk}/")
    assert client.get(response["Location"]).status_code == 200  # the observation page (coding views)
    assert observation.study_id == study.pk
    assert observation.observer == people["member"]
    assert observation.version == 1
    assert observation.purposes == ["writing", "summarising"]  # in the order of the choices
    assert set(observation.ai_tools.values_list("name", flat=True)) == {"ChatGPT", "Whisper"}
    assert list(observation.codes.values_list("name", flat=True)) == ["rédaction"]
    assert "<strong>bureau</strong>" in observation.body_html
    assert observation.plain_text.startswith("Le bureau rédige")


def test_form_lists_the_bureaus_collectives_by_code_and_name(client, people, bureau, other_bureau, study,
                                                             collective, make_collective):
    make_collective(other_bureau, "Collectif d'ailleurs")
    make_collective(bureau, "Sans consentement", scopes=())
    content = client_for(client, people["member"]).get(_url(study, "new/")).content.decode()
    assert f"{collective.code} — La Coop des Communs" in content
    assert "Sans consentement" in content and escape(_fr("(no observation consent)")) in content
    assert "ailleurs" not in content


@pytest.mark.parametrize("scopes", [(), ("interview", "quotation")], ids=["no consent", "other scopes only"])
def test_collective_without_observation_consent_is_refused(client, people, bureau, study, make_collective,
                                                           scopes):
    collective = make_collective(bureau, scopes=scopes)
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(collective))
    assert response.status_code == 400
    message = _fr(
        "The collective %(code)s has no (or no longer any) « observation » consent in force: "
        "record its consent before logging what you observed there.", code=collective.code,
    )
    assert response.context["form"].errors["collective"] == [message]
    assert escape(message) in response.content.decode()
    assert Observation.objects.count() == 0


def test_collective_whose_consent_was_withdrawn_is_refused(client, people, study, collective):
    collective.consents.update(withdrawn_at=timezone.now())
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(collective))
    assert response.status_code == 400
    assert "collective" in response.context["form"].errors
    assert collective.code in response.context["form"].errors["collective"][0]
    assert Observation.objects.count() == 0


def test_collective_of_another_bureau_is_a_field_error(client, people, other_bureau, study, make_collective):
    forged = make_collective(other_bureau)
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(forged))
    assert response.status_code == 400
    assert response.context["form"].errors["collective"] == [
        _fr("This collective does not belong to this study's bureau.")
    ]
    assert Observation.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purposes", ["writing", "astrology"], "« %(value)s » is not one of the listed purposes."),
        ("setting", "sauna", "« %(value)s » is not one of the listed settings."),
    ],
)
def test_unknown_choices_are_field_errors(client, people, study, collective, field, value, message):
    response = client_for(client, people["member"]).post(_url(study, "new/"),
                                                         _post_data(collective, **{field: value}))
    assert response.status_code == 400
    bad = value[-1] if isinstance(value, list) else value
    assert response.context["form"].errors[field] == [_fr(message, value=bad)]
    assert Observation.objects.count() == 0


def test_code_of_another_study_is_a_field_error(client, people, bureau, study, make_study, collective):
    foreign = Code.objects.create(study=make_study(bureau), name="ailleurs")
    response = client_for(client, people["member"]).post(_url(study, "new/"),
                                                         _post_data(collective, codes=[str(foreign.pk)]))
    assert response.status_code == 400
    assert "codes" in response.context["form"].errors
    assert Observation.objects.count() == 0


def test_missing_title_and_body_are_field_errors(client, people, study, collective):
    response = client_for(client, people["member"]).post(_url(study, "new/"),
                                                         _post_data(collective, title="", body=""))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "body"}
    assert Observation.objects.count() == 0


HOSTILE = (
    "<script>alert(1)</script>\n\n[clic](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n"
    '<a href="javascript:alert(4)">lien</a> <iframe src="https://evil.example"></iframe>'
)


def test_hostile_markdown_is_stored_safe(client, people, study, collective):
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(collective, body=HOSTILE))
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert observation.body == HOSTILE  # the source is kept as typed
    html = observation.body_html.lower()
    for forbidden in ("<script", "javascript:", "onerror", "<iframe", "<img"):
        assert forbidden not in html


def test_preview_renders_markdown_and_saves_nothing(client, people, study, collective):
    client = client_for(client, people["member"])
    response = client.post(_url(study, "new/"), _post_data(collective, body="Du **gras**\n\n" + HOSTILE,
                                                           title="", preview="1"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<strong>gras</strong>" in content
    assert "<script>alert(1)" not in content and 'href="javascript:' not in content
    assert response.context["form"]["body"].value().startswith("Du **gras**")  # the text stays in the form
    assert "errorlist" not in content  # a preview does not nag about the empty title
    assert Observation.objects.count() == 0


# --- Editing and optimistic locking --------------------------------------------------------------


def test_edit_saves_bumps_the_version_and_codes(client, people, study, collective, tools):
    code = Code.objects.create(study=study, name="tensions")
    observation = _observe(study, collective, title="Avant", tools=[tools[0]])
    client = client_for(client, people["coordinator"])
    form = client.get(_url(study, f"{observation.pk}/edit/")).context["form"]
    assert form["version"].value() == 1
    response = client.post(_url(study, f"{observation.pk}/edit/"), _post_data(
        collective, title="Après", version="1", ai_tools=[str(tools[1].pk)], codes=[str(code.pk)],
    ))
    assert response.status_code == 302
    assert response["Location"] == _url(study, f"{observation.pk}/")
    observation.refresh_from_db()
    assert (observation.title, observation.version) == ("Après", 2)
    assert list(observation.ai_tools.values_list("name", flat=True)) == ["Le Chat"]
    assert list(observation.codes.values_list("name", flat=True)) == ["tensions"]
    assert observation.observer is None  # editing does not change who observed


def test_edit_reanchors_excerpts(client, people, study, collective):
    observation = _observe(study, collective, body="Le collectif utilise ChatGPT pour ses comptes rendus.")
    start = observation.plain_text.index("ChatGPT")
    excerpt = Excerpt.objects.create(observation=observation, start=start, end=start + 7, text="ChatGPT",
                                     coder=people["member"])
    client = client_for(client, people["member"])
    response = client.post(_url(study, f"{observation.pk}/edit/"), _post_data(
        collective, version="1", body="Depuis janvier, le collectif utilise ChatGPT pour ses comptes rendus.",
    ))
    assert response.status_code == 302
    excerpt.refresh_from_db()
    observation.refresh_from_db()
    assert observation.plain_text[excerpt.start:excerpt.end] == "ChatGPT"
    assert not excerpt.needs_review


def test_stale_edit_is_refused_with_409_and_loses_nothing(client, people, study, collective):
    observation = _observe(study, collective, title="Atelier", body="Le groupe teste un outil de traduction.")
    alice = client_for(client, people["member"])
    base = alice.get(_url(study, f"{observation.pk}/edit/")).context["form"]
    assert base["version"].value() == 1
    base_body = base["base_body"].value()

    # Someone else saves first.
    from django.test import Client

    bob = Client()
    bob.force_login(people["coordinator"])
    assert bob.post(_url(study, f"{observation.pk}/edit/"), _post_data(
        collective, title="Atelier du mardi", version="1", body="Le groupe adopte un outil de traduction.",
    )).status_code == 302
    observation.refresh_from_db()
    stored = (observation.title, observation.body, observation.version, observation.body_html)
    assert stored[2] == 2

    mine = "Le groupe teste un outil de traduction <b>et</b> de résumé."
    response = alice.post(_url(study, f"{observation.pk}/edit/"), _post_data(
        collective, title="Atelier", version="1", base_body=base_body, body=mine,
    ))
    assert response.status_code == 409
    observation.refresh_from_db()
    assert (observation.title, observation.body, observation.version, observation.body_html) == stored
    content = response.content.decode()
    form = response.context["form"]
    assert form["body"].value() == mine  # the person's text is kept...
    assert escape(mine) in content  # ...and escaped in the textarea
    assert form["version"].value() == "2"  # resubmitting after merging builds on the stored version
    assert form["base_body"].value() == "Le groupe adopte un outil de traduction."
    # What changed meanwhile: « teste » -> « adopte » in the note, and the title.
    assert "<del>teste</del><ins>adopte</ins>" in content
    assert "Atelier du mardi" in content
    assert "<b>et</b>" not in content  # user text never rendered as HTML

    # Merging and saving again on the new version works.
    response = alice.post(_url(study, f"{observation.pk}/edit/"), _post_data(
        collective, title="Atelier du mardi", version="2", body="Le groupe adopte un outil de traduction et de résumé.",
    ))
    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.version == 3 and observation.body.endswith("et de résumé.")


def test_missing_or_forged_version_is_refused(client, people, study, collective):
    observation = _observe(study, collective, title="Avant")
    client = client_for(client, people["member"])
    for version in (None, "abc", "0"):
        response = client.post(_url(study, f"{observation.pk}/edit/"),
                               _post_data(collective, title="Après", version=version))
        assert response.status_code == 400
        assert "version" in response.context["form"].errors
    assert client.post(_url(study, f"{observation.pk}/edit/"),
                       _post_data(collective, title="Après", version="7")).status_code == 409
    observation.refresh_from_db()
    assert (observation.title, observation.version) == ("Avant", 1)


def test_edit_preview_keeps_the_version(client, people, study, collective):
    observation = _observe(study, collective)
    response = client_for(client, people["member"]).post(
        _url(study, f"{observation.pk}/edit/"), _post_data(collective, version="1", body="*vu*", preview="1")
    )
    assert response.status_code == 200
    assert "<em>vu</em>" in response.content.decode()
    assert response.context["form"]["version"].value() == "1"
    observation.refresh_from_db()
    assert observation.version == 1


def test_edit_refuses_a_collective_without_consent(client, people, bureau, study, collective, make_collective):
    observation = _observe(study, collective, title="Avant")
    refusing = make_collective(bureau, scopes=(ConsentScope.INTERVIEW,))
    response = client_for(client, people["member"]).post(_url(study, f"{observation.pk}/edit/"),
                                                         _post_data(refusing, title="Après", version="1"))
    assert response.status_code == 400
    assert refusing.code in response.context["form"].errors["collective"][0]
    observation.refresh_from_db()
    assert (observation.title, observation.collective_id, observation.version) == ("Avant", collective.pk, 1)


def test_word_diff_escapes_everything():
    diff = str(word_diff("un <b>texte</b>", "un <i>texte</i> & plus"))
    assert "<b>" not in diff and "<i>" not in diff
    assert "&lt;" in diff and "&amp;" in diff
    assert "<del>" in diff and "<ins>" in diff


# --- Consent withdrawal --------------------------------------------------------------------------


def test_withdrawn_consent_hides_the_observations_everywhere(client, people, bureau, study, collective,
                                                           make_collective):
    kept = _observe(study, make_collective(bureau), title="Note gardée")
    hidden = _observe(study, collective, title="Note retirée")
    collective.consents.update(withdrawn_at=timezone.now())
    client = client_for(client, people["member"])
    content = client.get(_url(study)).content.decode()
    assert kept.title in content and hidden.title not in content
    assert client.get(_url(study, f"{hidden.pk}/edit/")).status_code == 404
    response = client.post(_url(study, f"{hidden.pk}/edit/"), _post_data(collective, version="1", title="X"))
    assert response.status_code == 404
    assert Observation.objects.get(pk=hidden.pk).title == "Note retirée"  # kept until erased


# --- Filters, search, pagination -----------------------------------------------------------------


@pytest.fixture
def corpus(bureau, study, people, make_collective, tools):
    """Four observations that differ on every filter."""
    one, two = make_collective(bureau, "Un"), make_collective(bureau, "Deux")
    code = Code.objects.create(study=study, name="appropriation", colour="#aa3355")
    excerpt_code = Code.objects.create(study=study, name="tensions")
    rows = {
        "alpha": _observe(study, one, title="Alpha", body="Le conseil rédige avec un assistant.",
                          observer=people["member"], tools=[tools[0]], purposes=["writing"],
                          observed_on=datetime.date(2026, 1, 10), codes=[code]),
        "beta": _observe(study, one, title="Beta", body="Traduction des statuts en anglais.",
                         observer=people["coordinator"], tools=[tools[1]], purposes=["translating"],
                         observed_on=datetime.date(2026, 2, 10)),
        "gamma": _observe(study, two, title="Gamma", body="Transcription automatique de la réunion.",
                          observer=people["member"], tools=[tools[2]], purposes=["summarising", "writing"],
                          observed_on=datetime.date(2026, 3, 10)),
        "delta": _observe(study, two, title="Delta", body="Le bénévole fabrique des affiches.",
                          observer=people["coordinator"], purposes=["images"],
                          observed_on=datetime.date(2026, 4, 10)),
    }
    excerpt = Excerpt.objects.create(observation=rows["delta"], start=3, end=11, text="bénévole",
                                     coder=people["member"])
    excerpt.codes.set([excerpt_code])
    return {"one": one, "two": two, "code": code, "excerpt_code": excerpt_code, "tools": tools, **rows}


def _titles(client, study, query: dict) -> set[str]:
    response = client.get(_url(study), query)
    assert response.status_code == 200
    return {observation.title for observation in response.context["observations"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"Alpha", "Beta", "Gamma", "Delta"}),
        ({"collective": "one"}, {"Alpha", "Beta"}),
        ({"ai_tool": 0}, {"Alpha"}),
        ({"ai_tool": 2}, {"Gamma"}),
        ({"purpose": "writing"}, {"Alpha", "Gamma"}),
        ({"purpose": "images"}, {"Delta"}),
        ({"code": "code"}, {"Alpha"}),
        ({"code": "excerpt_code"}, {"Delta"}),
        ({"observer": "member"}, {"Alpha", "Gamma"}),
        ({"date_from": "2026-02-01"}, {"Beta", "Gamma", "Delta"}),
        ({"date_to": "2026-02-10"}, {"Alpha", "Beta"}),
        ({"date_from": "2026-02-01", "date_to": "2026-03-31"}, {"Beta", "Gamma"}),
        ({"q": "traduction"}, {"Beta"}),
        ({"q": "transcription"}, {"Gamma"}),
        ({"q": "Delta"}, {"Delta"}),
        ({"q": "assistant", "collective": "two"}, set()),
        ({"q": "affiches", "collective": "two", "purpose": "images"}, {"Delta"}),
    ],
)
def test_filters_and_search(client, people, study, corpus, query, expected):
    resolved = {}
    for key, value in query.items():
        if key in ("collective", "code"):
            value = corpus[value].pk
        elif key == "ai_tool":
            value = corpus["tools"][value].pk
        elif key == "observer":
            value = people[value].pk
        resolved[key] = value
    assert _titles(client_for(client, people["observer"]), study, resolved) == expected


def test_filter_values_are_kept_in_the_form(client, people, study, corpus):
    response = client_for(client, people["member"]).get(_url(study), {"q": "statuts", "purpose": "translating"})
    content = response.content.decode()
    assert 'value="statuts"' in content
    assert '<option value="translating" selected>' in content


def test_bad_filters_are_reported_and_ignored(client, people, bureau, other_bureau, study, corpus,
                                              make_collective):
    foreign = make_collective(other_bureau)
    client = client_for(client, people["member"])
    response = client.get(_url(study), {"collective": foreign.pk, "purpose": "writing"})
    assert response.status_code == 200
    assert "collective" in response.context["form"].errors
    assert {o.title for o in response.context["observations"]} == {"Alpha", "Gamma"}
    response = client.get(_url(study), {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert "date_to" in response.context["form"].errors
    response = client.get(_url(study), {"date_from": "pas une date", "page": "zz"})
    assert response.status_code == 200 and "date_from" in response.context["form"].errors


def test_rows_show_codes_not_real_names(client, people, study, corpus):
    content = client_for(client, people["member"]).get(_url(study)).content.decode()
    assert corpus["one"].code in content and corpus["two"].code in content
    table = content.split('<table class="observations">')[1]
    assert "Un</" not in table and "Deux</" not in table  # real names are not in the rows
    assert 'style="--c: #aa3355; --c-bg: ' in table and "appropriation" in table
    assert "ChatGPT" in table and "Personne" in table


def test_pagination_keeps_the_filters(client, people, study, collective):
    """The pages go by cursor (`?after=<date>.<id>`), with the filters kept (studies.keyset)."""
    for n in range(30):
        _observe(study, collective, title=f"Note {n:02d}", purposes=["writing"])
    client = client_for(client, people["member"])
    first = client.get(_url(study), {"purpose": "writing"})
    page = first.context["observations"]
    assert len(page.object_list) == 25 and not page.has_previous
    assert f"?purpose=writing&amp;after={page.next_cursor}" in first.content.decode()
    second = client.get(_url(study), {"purpose": "writing", "after": str(page.next_cursor)})
    assert len(second.context["observations"].object_list) == 5
    assert not second.context["observations"].has_next
    titles = {o.title for o in first.context["observations"]} | {o.title for o in second.context["observations"]}
    assert len(titles) == 30


# --- Query counts --------------------------------------------------------------------------------


def _populate(study, bureau, people, make_collective, n: int) -> None:
    tools = [AITool.objects.get_or_create(name=f"Outil {i}")[0] for i in range(3)]
    codes = [Code.objects.get_or_create(study=study, name=f"code {i}", slug=f"code-{i}")[0] for i in range(3)]
    collectives = [make_collective(bureau) for _ in range(2)]
    for i in range(n):
        observation = _observe(study, collectives[i % 2], title=f"Note {i}", observer=people["member"],
                               tools=tools[: 1 + i % 3], codes=codes[: 1 + i % 3], purposes=["writing"])
        excerpt = Excerpt.objects.create(observation=observation, start=0, end=2, text="Le",
                                         coder=people["member"])
        excerpt.codes.set(codes[:1])


@pytest.mark.parametrize("query", [{}, {"q": "collectif", "purpose": "writing"}], ids=["plain", "search"])
def test_list_queries_do_not_grow(client, people, bureau, study, make_collective, query):
    client = client_for(client, people["member"])
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    _populate(study, bureau, people, make_collective, 3)
    small = count_queries(client, _url(study) + suffix)
    _populate(study, bureau, people, make_collective, 27)
    assert count_queries(client, _url(study) + suffix) == small


def test_form_queries_do_not_grow(client, people, bureau, study, make_collective):
    client = client_for(client, people["member"])
    _populate(study, bureau, people, make_collective, 2)
    observation = Observation.objects.first()
    small = (count_queries(client, _url(study, "new/")), count_queries(client, _url(study, f"{observation.pk}/edit/")))
    _populate(study, bureau, people, make_collective, 20)
    large = (count_queries(client, _url(study, "new/")), count_queries(client, _url(study, f"{observation.pk}/edit/")))
    assert large == small


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_saves_of_one_version_let_exactly_one_through(people, study, collective):
    """Real threads, each its own connection: the compare-and-swap lets one save of version 1 win."""
    from django.db import connection
    from django.test import Client

    from tests.commons.test_governance_concurrency import run_concurrently

    if connection.vendor != "postgresql":
        pytest.skip("row locks are only exercised on PostgreSQL")
    observation = _observe(study, collective, title="Avant")
    clients = []
    for n in range(6):
        client = Client()
        client.force_login(people["member"] if n % 2 else people["coordinator"])
        clients.append(client)
    url = _url(study, f"{observation.pk}/edit/")

    def save(client, n):
        return lambda: client.post(url, _post_data(collective, title=f"Version {n}", version="1")).status_code

    statuses = run_concurrently([save(client, n) for n, client in enumerate(clients)])
    assert sorted(statuses) == [302] + [409] * 5
    observation.refresh_from_db()
    assert observation.version == 2
    assert observation.title == f"Version {statuses.index(302)}"
