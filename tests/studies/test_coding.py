"""The observation page and coding: every visitor on every route, bad input that changes nothing,
escaped highlights, consent, and query counts that do not grow with excerpts or codes.

Messages are compared with the translated string (`_fr`), so these tests hold before and after the
French catalogue is completed.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone, translation

from commons.models import Role
from studies.models import Code, CodedObservation, Excerpt, Memo, Observation
from studies.views.coding import highlight_segments, safe_colour
from tests.conftest import client_for, count_queries

VISITORS = ["anonymous", "outsider", "observer", "member", "coordinator", "other_member"]
READERS = {"observer", "member", "coordinator"}
WRITERS = {"member", "coordinator"}

BODY = "Le bureau utilise **ChatGPT** pour les comptes rendus. La trésorière relit tout avant envoi."
PLAIN = "Le bureau utilise ChatGPT pour les comptes rendus. La trésorière relit tout avant envoi."


def _fr(message: str, **params) -> str:
    with translation.override("fr"):
        text = translation.gettext(message)
    return text % params if params else text


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _url(study, observation_id, suffix: str = "") -> str:
    return f"{study.url}observations/{observation_id}/{suffix}"


def _coding_text(response) -> str:
    """The inner HTML of #coding-text."""
    match = re.search(r'<div id="coding-text"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert match, "no #coding-text on the page"
    return match.group(1)


def _unescape_text(fragment: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.fixture
def collective(bureau, make_collective):
    return make_collective(bureau, "Les Ateliers du Rhône")


@pytest.fixture
def observation(study, collective, people):
    return Observation.objects.create(study=study, collective=collective, observer=people["member"],
                                      setting="meeting", title="Réunion de bureau", body=BODY)


@pytest.fixture
def codes(study):
    usages = Code.objects.create(study=study, name="usages", colour="#2f6fb0")
    writing = Code.objects.create(study=study, name="rédaction", colour="#c0392b", parent=usages)
    tensions = Code.objects.create(study=study, name="tensions", colour="#8e44ad")
    return {"usages": usages, "writing": writing, "tensions": tensions}


def _excerpt(observation, coder, text, *code_list, **fields):
    start = observation.plain_text.index(text)
    excerpt = Excerpt.objects.create(observation=observation, coder=coder, start=start, end=start + len(text),
                                     text=text, **fields)
    excerpt.codes.add(*code_list)
    return excerpt


def _post_excerpt(client, study, observation, text="ChatGPT", codes=(), **extra):
    start = observation.plain_text.index(text)
    data = {"start": start, "end": start + len(text), "codes": [c.pk for c in codes], "memo": ""}
    data.update(extra)
    return client.post(_url(study, observation.pk, "excerpts/"), data)


def _state(observation):
    """What a refused request must leave unchanged."""
    observation.refresh_from_db()
    return (
        list(Excerpt.objects.order_by("pk").values_list("pk", "start", "end", "text", "memo")),
        sorted(Excerpt.codes.through.objects.values_list("excerpt_id", "code_id")),
        sorted(CodedObservation.objects.values_list("content_object_id", "tag_id")),
        list(Memo.objects.values_list("pk", "body")),
        observation.version,
    )


# --- Pure helpers ---------------------------------------------------------------------------------


class _X:
    def __init__(self, pk, start, end, colour="#123456", needs_review=False):
        self.pk, self.start, self.end, self.needs_review = pk, start, end, needs_review
        self.code_list = [type("C", (), {"name": f"code{pk}", "colour": colour})()]


def test_segments_concatenate_to_the_text_and_know_their_excerpts():
    text = "abcdefghij"
    segments = highlight_segments(text, [_X(1, 2, 6), _X(2, 4, 8), _X(3, 20, 30), _X(4, 9, 30)])
    assert "".join(s.text for s in segments) == text
    assert [(s.text, s.excerpt_ids) for s in segments] == [
        ("ab", ""), ("cd", "1"), ("ef", "1 2"), ("gh", "2"), ("i", ""), ("j", "4"),
    ]
    assert [s.anchor for s in segments] == ["", "excerpt-1", "excerpt-2", "", "", "excerpt-4"]
    assert segments[2].overlap and not segments[1].overlap


def test_segments_of_text_without_excerpts():
    assert [s.text for s in highlight_segments("abc", [])] == ["abc"]
    assert highlight_segments("", [_X(1, 0, 3)]) == []


def test_only_valid_colours_reach_the_page():
    assert safe_colour("#A1b2C3") == "#A1b2C3"
    for hostile in ("red", "#fff", "#1234567", "#123456;background:url(x)", "", None, "expression(alert(1))"):
        assert safe_colour(hostile) == "#1d6b5f"
    segment = highlight_segments("abcdef", [_X(1, 0, 3, colour="#000000;x:url(javascript:1)")])[0]
    assert segment.colour == "#1d6b5f"


# --- Permissions: every visitor on every route ----------------------------------------------------


def _expect_denied(response, visitor):
    if visitor == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif visitor in ("outsider", "other_member"):
        assert response.status_code == 404
    else:  # observers: read-only
        assert response.status_code == 403


@pytest.mark.parametrize("visitor", VISITORS)
def test_detail_page_permissions(client, people, study, observation, codes, visitor):
    _excerpt(observation, people["member"], "ChatGPT", codes["usages"])
    response = client_for(client, people[visitor]).get(_url(study, observation.pk))
    if visitor in READERS:
        assert response.status_code == 200
        assert b"coding-text" in response.content and "Réunion de bureau" in response.content.decode()
        assert (b'id="excerpt-form"' in response.content) == (visitor in WRITERS)
        assert (b'id="memo-form"' in response.content) == (visitor in WRITERS)
    else:
        _expect_denied(response, visitor)
        assert b"ChatGPT" not in response.content


@pytest.mark.parametrize("visitor", VISITORS)
def test_set_codes_permissions(client, people, study, observation, codes, visitor):
    before = _state(observation)
    response = client_for(client, people[visitor]).post(
        _url(study, observation.pk), {"action": "set_codes", "codes": [codes["usages"].pk, codes["tensions"].pk]}
    )
    if visitor in WRITERS:
        assert response.status_code == 302 and response["Location"].endswith("#observation-codes")
        assert set(observation.codes.values_list("name", flat=True)) == {"usages", "tensions"}
        observation.refresh_from_db()
        assert observation.version == before[-1] + 1
    else:
        _expect_denied(response, visitor)
        assert _state(observation) == before


@pytest.mark.parametrize("visitor", VISITORS)
def test_excerpt_create_permissions(client, people, study, observation, codes, visitor):
    before = _state(observation)
    response = _post_excerpt(client_for(client, people[visitor]), study, observation, codes=[codes["usages"]])
    if visitor in WRITERS:
        excerpt = Excerpt.objects.get()
        assert response.status_code == 302
        assert response["Location"] == _url(study, observation.pk) + f"#excerpt-{excerpt.pk}"
        assert (excerpt.text, excerpt.coder) == ("ChatGPT", people[visitor])
        assert PLAIN[excerpt.start:excerpt.end] == "ChatGPT"
        assert list(excerpt.codes.all()) == [codes["usages"]]
    else:
        _expect_denied(response, visitor)
        assert _state(observation) == before


@pytest.mark.parametrize("visitor", VISITORS)
def test_excerpt_delete_permissions(client, people, study, observation, codes, visitor):
    # Each visitor tries to delete their own excerpt (if they could have one) — coders delete their own.
    coder = people[visitor] if visitor in WRITERS else people["member"]
    excerpt = _excerpt(observation, coder, "ChatGPT", codes["usages"])
    before = _state(observation)
    response = client_for(client, people[visitor]).post(_url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/"))
    if visitor in WRITERS:
        assert response.status_code == 302 and response["Location"].endswith("#excerpts")
        assert not Excerpt.objects.exists()
    else:
        _expect_denied(response, visitor)
        assert _state(observation) == before


@pytest.mark.parametrize("visitor", VISITORS)
def test_excerpt_delete_asks_first(client, people, study, observation, codes, visitor):
    """Issue 11 item 5: GET shows « are you sure? » (which passage, which codes) and deletes nothing;
    only the confirmation's POST deletes. The page's « Delete… » is a link to that question, not a
    one-click form."""
    coder = people[visitor] if visitor in WRITERS else people["member"]
    excerpt = _excerpt(observation, coder, "comptes rendus", codes["writing"], codes["usages"])
    before = _state(observation)
    url = _url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/")
    response = client_for(client, people[visitor]).get(url)
    assert _state(observation) == before
    if visitor not in WRITERS:
        _expect_denied(response, visitor)
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert _fr("Are you sure?") in page and "comptes rendus" in page
    assert "rédaction, usages" in page  # the codes that go with it
    assert f'<form method="post" action="{url}"' in page
    assert f'href="{_url(study, observation.pk)}#excerpt-item-{excerpt.pk}"' in page  # « No, go back »
    detail = client.get(_url(study, observation.pk)).content.decode()
    assert f'href="{url}"' in detail and f'action="{url}"' not in detail
    response = client.post(url)
    assert response.status_code == 302 and not Excerpt.objects.exists()
    assert _fr("Excerpt deleted.") in _messages(response)


def test_excerpt_delete_confirmation_refuses_others_excerpts(client, people, study, observation, codes):
    """A member may not even be asked about another coder's excerpt; the coordinator may."""
    excerpt = _excerpt(observation, people["coordinator"], "ChatGPT", codes["usages"])
    url = _url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/")
    assert client_for(client, people["member"]).get(url).status_code == 403
    assert client_for(client, people["member"]).get(_url(study, observation.pk, "excerpts/999999/delete/")).status_code == 404
    assert Excerpt.objects.filter(pk=excerpt.pk).exists()


@pytest.mark.parametrize("visitor", VISITORS)
def test_memo_permissions(client, people, study, observation, visitor):
    before = _state(observation)
    response = client_for(client, people[visitor]).post(_url(study, observation.pk, "memos/"),
                                                       {"body": "Une *piste* : la relecture."})
    if visitor in WRITERS:
        memo = Memo.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"#memo-{memo.pk}")
        assert (memo.observation, memo.author, memo.study_id) == (observation, people[visitor], study.pk)
        assert "<em>piste</em>" in memo.body_html
    else:
        _expect_denied(response, visitor)
        assert _state(observation) == before


def test_writes_do_not_answer_get(client, people, study, observation):
    client_for(client, people["member"])
    assert client.get(_url(study, observation.pk, "excerpts/")).status_code == 405
    assert client.get(_url(study, observation.pk, "memos/")).status_code == 405


# --- What the page shows --------------------------------------------------------------------------


def test_page_shows_the_observation_and_its_coding(client, people, study, observation, codes):
    from studies.models import AITool

    observation.ai_tools.add(AITool.objects.create(name="Le Chat"))
    observation.purposes = ["writing", "summarising"]
    observation.codes.add(codes["tensions"])
    observation.save()
    _excerpt(observation, people["coordinator"], "comptes rendus", codes["writing"], codes["usages"],
             memo="Relecture <b>systématique</b>")
    Memo.objects.create(study=study, observation=observation, author=people["member"], body="Mémo **gras**")
    response = client_for(client, people["observer"]).get(_url(study, observation.pk))
    page = response.content.decode()
    for expected in ("Réunion de bureau", observation.collective.code, "Le Chat",
                     "#c0392b", "tensions", "Mémo <strong>gras</strong>", "Relecture &lt;b&gt;systématique&lt;/b&gt;"):
        assert expected in page
    assert "Les Ateliers du Rhône" not in page  # observers see the collective's code, not its real name
    # The note for coding is the plain text exactly, the excerpt highlighted.
    inner = _coding_text(response)
    assert _unescape_text(inner) == PLAIN
    mark = re.search(r'<mark class="excerpt"[^>]*>([^<]*)</mark>', inner)
    assert mark.group(1) == "comptes rendus"
    # The innermost code in alphabetical order gives the colour: « rédaction » (#c0392b) before « usages ».
    assert 'style="--c: #c0392b"' in mark.group(0)
    # The formatted note is there too (stored, sanitised HTML).
    assert "<strong>ChatGPT</strong>" in page
    # Observers get no delete button and no form.
    assert "/delete/" not in page and 'id="excerpt-form"' not in page and 'name="action"' not in page


def test_plain_text_is_escaped_in_the_highlights(client, people, study, collective, codes):
    observation = Observation.objects.create(study=study, collective=collective, setting="meeting",
                                             title="Balises", body="a <script>x</script> b `<img src=x onerror=alert(1)>`")
    text = observation.plain_text
    assert "<script>" in text or "<img" in text  # the plain text really contains markup-like text
    _excerpt(observation, people["member"], text[text.index("<"):], codes["usages"])
    response = client_for(client, people["member"]).get(_url(study, observation.pk))
    inner = _coding_text(response)
    assert "<script" not in inner and "<img" not in inner
    assert "&lt;" in inner
    assert _unescape_text(inner) == text
    assert "<script>x</script>" not in response.content.decode()


def test_hostile_colour_is_not_written_into_the_page(client, people, study, observation):
    # Seven characters: the column's length on PostgreSQL; enough to break out of an attribute.
    hostile = Code.objects.create(study=study, name="piège", colour='"><i>z')
    _excerpt(observation, people["member"], "ChatGPT", hostile)
    page = client_for(client, people["member"]).get(_url(study, observation.pk)).content.decode()
    assert "<i>z" not in page and "&quot;&gt;&lt;i&gt;z" not in page
    assert 'style="--c: #1d6b5f"' in page


def test_flagged_excerpt_is_shown_for_review_inside_the_text(client, people, study, observation, codes):
    excerpt = _excerpt(observation, people["member"], "relit tout", codes["usages"])
    Excerpt.objects.filter(pk=excerpt.pk).update(needs_review=True, start=len(PLAIN) - 5, end=len(PLAIN) + 40)
    response = client_for(client, people["member"]).get(_url(study, observation.pk))
    assert response.status_code == 200
    assert _unescape_text(_coding_text(response)) == PLAIN  # clamped: nothing past the end
    assert 'class="excerpt review"' in _coding_text(response)
    assert "needs-review" in response.content.decode()


def test_withdrawn_consent_hides_the_page_and_refuses_writes(client, people, study, observation, codes):
    excerpt = _excerpt(observation, people["member"], "ChatGPT", codes["usages"])
    observation.collective.consents.update(withdrawn_at=timezone.now())
    client_for(client, people["coordinator"])
    before = _state(observation)
    assert client.get(_url(study, observation.pk)).status_code == 404
    assert _post_excerpt(client, study, observation, "bureau", codes=[codes["usages"]]).status_code == 404
    assert client.post(_url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/")).status_code == 404
    assert client.post(_url(study, observation.pk, "memos/"), {"body": "x"}).status_code == 404
    assert client.post(_url(study, observation.pk), {"action": "set_codes"}).status_code == 404
    assert _state(observation) == before


def test_consent_without_the_observation_scope_hides_the_page(client, people, study, make_collective, bureau):
    collective = make_collective(bureau, scopes=["interview"])
    observation = Observation.objects.create(study=study, collective=collective, setting="meeting",
                                             title="t", body="b")
    assert client_for(client, people["member"]).get(_url(study, observation.pk)).status_code == 404


def test_observation_of_another_study_is_404(client, people, bureau, make_study, observation):
    other = make_study(bureau)
    client_for(client, people["member"])
    assert client.get(_url(other, observation.pk)).status_code == 404
    assert client.get(_url(observation.study, 999999)).status_code == 404


# --- Coding: good and bad input -------------------------------------------------------------------


def test_coding_stores_the_text_the_memo_and_several_codes(client, people, study, observation, codes):
    client_for(client, people["member"])
    response = _post_excerpt(client, study, observation, "La trésorière relit tout", codes=[codes["usages"],
                             codes["tensions"]], memo="  Contrôle humain.  ")
    assert response.status_code == 302
    excerpt = Excerpt.objects.get()
    assert excerpt.text == "La trésorière relit tout" and excerpt.memo == "Contrôle humain."
    assert set(excerpt.codes.all()) == {codes["usages"], codes["tensions"]}
    assert _messages(response) == [_fr("Excerpt coded.")]
    page = client.get(response["Location"]).content.decode()
    assert f'id="excerpt-{excerpt.pk}"' in page


def test_coding_the_same_passage_again_adds_codes_to_the_same_excerpt(client, people, study, observation, codes):
    client_for(client, people["member"])
    _post_excerpt(client, study, observation, codes=[codes["usages"]], memo="un")
    _post_excerpt(client, study, observation, codes=[codes["tensions"]], memo="deux")
    excerpt = Excerpt.objects.get()
    assert set(excerpt.codes.all()) == {codes["usages"], codes["tensions"]} and excerpt.memo == "un\n\ndeux"
    # Another coder coding the same passage gets their own excerpt (agreement needs both).
    client_for(client, people["coordinator"])
    _post_excerpt(client, study, observation, codes=[codes["usages"]])
    assert Excerpt.objects.count() == 2


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (5, 5, "The passage is empty or reversed: its end (%(end)s) must come after its start (%(start)s)."),
        (10, 4, "The passage is empty or reversed: its end (%(end)s) must come after its start (%(start)s)."),
        (0, len(PLAIN) + 1, "The passage goes past the end of the note (%(length)s characters)."),
        (500, 600, "The passage goes past the end of the note (%(length)s characters)."),
        (-1, 4, "The start of the passage cannot be negative."),
        ("abc", 4, "The start of the passage must be a whole number."),
        (0, "4.5", "The end of the passage must be a whole number."),
        ("", 4, "Select a passage of the note (its start is missing)."),
        (0, "", "Select a passage of the note (its end is missing)."),
    ],
)
def test_bad_offsets_are_refused_and_change_nothing(client, people, study, observation, codes, start, end, message):
    before = _state(observation)
    response = client_for(client, people["member"]).post(
        _url(study, observation.pk, "excerpts/"), {"start": start, "end": end, "codes": [codes["usages"].pk]}
    )
    assert response.status_code == 400
    expected = _fr(message, start=start, end=end, length=len(PLAIN)) if "%(" in message else _fr(message)
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert _fr("The excerpt was not saved: see the coding form.") in _messages(response)
    assert _state(observation) == before


def test_blank_passage_is_refused(client, people, study, observation, codes):
    before = _state(observation)
    at = PLAIN.index(" ")
    response = client_for(client, people["member"]).post(
        _url(study, observation.pk, "excerpts/"), {"start": at, "end": at + 1, "codes": [codes["usages"].pk]}
    )
    assert response.status_code == 400 and _fr("The selected passage is only blank space.") in response.content.decode()
    assert _state(observation) == before


def test_no_code_is_refused(client, people, study, observation, codes):
    before = _state(observation)
    response = _post_excerpt(client_for(client, people["member"]), study, observation, codes=[])
    assert response.status_code == 400 and _fr("Pick at least one code.") in response.content.decode()
    assert _state(observation) == before


def test_code_of_another_study_is_refused(client, people, bureau, make_study, study, observation, codes):
    foreign = Code.objects.create(study=make_study(bureau), name="usages")
    before = _state(observation)
    client_for(client, people["member"])
    for chosen in ([foreign], [codes["usages"], foreign]):
        response = _post_excerpt(client, study, observation, codes=chosen)
        assert response.status_code == 400
        assert _fr("This code is not in this study's codebook.") in response.content.decode().replace("&#x27;", "'")
    response = client.post(_url(study, observation.pk, "excerpts/"),
                           {"start": 0, "end": 2, "codes": ["not-a-number"]})
    assert response.status_code == 400
    assert _state(observation) == before


def test_stale_selection_is_refused(client, people, study, observation, codes):
    """The browser sends the text it showed; if the note changed meanwhile, nothing is coded on the wrong words."""
    before = _state(observation)
    response = _post_excerpt(client_for(client, people["member"]), study, observation, codes=[codes["usages"]],
                             selected_text="ChatGPX")
    assert response.status_code == 400
    assert _fr("The note changed since you opened this page: select the passage again.") in response.content.decode()
    response = _post_excerpt(client, study, observation, codes=[codes["usages"]], version=observation.version - 1)
    assert response.status_code == 400
    assert _state(observation) == before
    assert _post_excerpt(client, study, observation, codes=[codes["usages"]], selected_text="ChatGPT",
                         version=observation.version).status_code == 302


def test_stale_offsets_are_not_offered_again(client, people, study, observation, codes):
    """After a « the note changed » refusal, the old offsets are cleared and the current version is sent."""
    observation.version = 7
    observation.save()
    response = _post_excerpt(client_for(client, people["member"]), study, observation, codes=[codes["usages"]],
                             version=6)
    page = response.content.decode()
    assert response.status_code == 400
    assert f'name="start" id="id_start" min="0" max="{len(PLAIN)}" value=""' in page
    assert '<input type="hidden" name="version" value="7">' in page


def test_refused_form_keeps_what_was_typed(client, people, study, observation, codes):
    response = client_for(client, people["member"]).post(
        _url(study, observation.pk, "excerpts/"),
        {"start": 3, "end": 1, "codes": [codes["tensions"].pk], "memo": "Mon mémo"},
    )
    page = response.content.decode()
    assert 'name="start" id="id_start" min="0"' in page and 'value="3"' in page and 'value="1"' in page
    assert "Mon mémo" in page
    assert re.search(rf'value="{codes["tensions"].pk}" id="code-{codes["tensions"].pk}" checked', page)


# --- Deleting excerpts -----------------------------------------------------------------------------


def test_member_cannot_delete_someone_elses_excerpt(client, people, study, observation, codes):
    excerpt = _excerpt(observation, people["coordinator"], "ChatGPT", codes["usages"])
    before = _state(observation)
    response = client_for(client, people["member"]).post(_url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/"))
    assert response.status_code == 403
    assert _state(observation) == before
    page = client.get(_url(study, observation.pk)).content.decode()
    assert f"excerpts/{excerpt.pk}/delete/" not in page


def test_coordinator_deletes_anyones_excerpt(client, people, study, observation, codes):
    excerpt = _excerpt(observation, people["member"], "ChatGPT", codes["usages"])
    client_for(client, people["coordinator"])
    assert f"excerpts/{excerpt.pk}/delete/" in client.get(_url(study, observation.pk)).content.decode()
    assert client.post(_url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/")).status_code == 302
    assert not Excerpt.objects.exists()


def test_excerpt_of_another_observation_in_the_url_is_404(client, people, study, observation, collective, codes):
    other = Observation.objects.create(study=study, collective=collective, setting="online", title="Autre", body=BODY)
    excerpt = _excerpt(other, people["member"], "ChatGPT", codes["usages"])
    before = _state(observation)
    client_for(client, people["member"])
    assert client.post(_url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/")).status_code == 404
    assert client.post(_url(study, observation.pk, "excerpts/999999/delete/")).status_code == 404
    assert _state(observation) == before


def test_a_former_coordinator_is_a_plain_member_again(client, people, study, observation, codes, make_person, bureau):
    mine = make_person(bureau, Role.MEMBER)
    excerpt = _excerpt(observation, people["coordinator"], "ChatGPT", codes["usages"])
    response = client_for(client, mine).post(_url(study, observation.pk, f"excerpts/{excerpt.pk}/delete/"))
    assert response.status_code == 403 and Excerpt.objects.exists()


# --- Whole-observation codes and memos ------------------------------------------------------------


def test_set_codes_replaces_and_clears(client, people, study, observation, codes):
    client_for(client, people["member"])
    client.post(_url(study, observation.pk), {"action": "set_codes", "codes": [codes["usages"].pk]})
    assert list(observation.codes.values_list("name", flat=True)) == ["usages"]
    client.post(_url(study, observation.pk), {"action": "set_codes", "codes": [codes["tensions"].pk]})
    assert list(observation.codes.values_list("name", flat=True)) == ["tensions"]
    client.post(_url(study, observation.pk), {"action": "set_codes"})
    assert not observation.codes.exists()
    observation.refresh_from_db()
    assert observation.body == BODY and observation.version == 4  # the note itself is untouched


def test_set_codes_refuses_a_code_of_another_study(client, people, bureau, make_study, study, observation, codes):
    observation.codes.add(codes["usages"])
    observation.save()
    foreign = Code.objects.create(study=make_study(bureau), name="ailleurs")
    before = _state(observation)
    response = client_for(client, people["member"]).post(
        _url(study, observation.pk), {"action": "set_codes", "codes": [codes["tensions"].pk, foreign.pk]}
    )
    assert response.status_code == 400
    assert _fr("This code is not in this study's codebook.") in response.content.decode().replace("&#x27;", "'")
    assert _state(observation) == before


def test_unknown_action_is_refused(client, people, study, observation):
    before = _state(observation)
    response = client_for(client, people["member"]).post(_url(study, observation.pk), {"action": "drop"})
    assert response.status_code == 400 and _state(observation) == before


HOSTILE = [
    "<script>alert(1)</script>",
    "[clic](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<img src=x onerror=alert(1)>",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_in_a_memo_is_sanitised(client, people, study, observation, payload):
    client_for(client, people["member"])
    assert client.post(_url(study, observation.pk, "memos/"), {"body": f"Mémo {payload}"}).status_code == 302
    memo = Memo.objects.get()
    for bad in ("<script", "javascript:", "onerror", "<iframe", "<img"):
        assert bad not in memo.body_html.lower()
    page = client.get(_url(study, observation.pk)).content.decode().lower()
    assert "<script>alert" not in page and "javascript:alert" not in page and "<iframe" not in page


def test_empty_memo_is_refused(client, people, study, observation):
    before = _state(observation)
    for body in ("", "   \n  "):
        response = client_for(client, people["member"]).post(_url(study, observation.pk, "memos/"), {"body": body})
        assert response.status_code == 400 and _fr("The memo is empty.") in response.content.decode()
    assert _state(observation) == before


def test_too_long_memo_is_refused(client, people, study, observation):
    before = _state(observation)
    response = client_for(client, people["member"]).post(_url(study, observation.pk, "memos/"), {"body": "x" * 20_001})
    assert response.status_code == 400 and _state(observation) == before


# --- Query counts ---------------------------------------------------------------------------------


def _populate(study, observation, coders, n_excerpts: int, n_codes: int):
    codes = [Code.objects.create(study=study, name=f"code {study.pk}-{i}", colour=f"#{i:02x}7f50") for i in range(n_codes)]
    for i in range(1, n_codes):
        if i % 3 == 0:
            codes[i].parent = codes[i - 1]
            codes[i].save()
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", observation.plain_text)]
    for i in range(n_excerpts):
        start, end = words[i % len(words)]
        excerpt = Excerpt.objects.create(observation=observation, coder=coders[i % len(coders)], start=start, end=end,
                                         text=observation.plain_text[start:end], memo=f"mémo {i}")
        excerpt.codes.add(codes[i % n_codes], codes[(i + 1) % n_codes])
    observation.codes.add(*codes[:2])
    observation.save()
    for i in range(n_excerpts // 2):
        Memo.objects.create(study=study, observation=observation, author=coders[i % len(coders)], body=f"Mémo {i}")


def test_detail_page_queries_do_not_grow(client, people, bureau, make_study, make_collective, make_person):
    from studies.models import AITool

    tools = [AITool.objects.create(name=f"Outil {i}") for i in range(5)]
    counts = []
    for n_excerpts, n_codes in ((2, 2), (20, 10)):
        study = make_study(bureau)
        coders = [make_person(bureau, Role.MEMBER) for _ in range(3)]
        observation = Observation.objects.create(study=study, collective=make_collective(bureau), setting="meeting",
                                                 title="t", body=BODY * 3, purposes=["writing"])
        observation.ai_tools.add(*tools[: n_codes // 2])
        _populate(study, observation, coders, n_excerpts, n_codes)
        counts.append(count_queries(client_for(client, people["coordinator"]), _url(study, observation.pk)))
    assert counts[0] == counts[1], counts
