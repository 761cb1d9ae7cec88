"""Interviews: every kind of visitor on every route, consent (interview and recording) enforced on the
form and everywhere after a withdrawal, the transcript coded by the same machinery as observations,
the guide of the interview's own protocol version, and query counts that do not grow.

Messages are compared with the translated string (`_fr`), so these tests hold before and after the
French catalogue is completed.
"""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from wagtail.documents import get_document_model

from commons.models import Role
from participants.models import ConsentForm, ConsentRecord, ConsentScope, Informant
from studies.models import Code, Excerpt, Interview, Memo, ProtocolPage, ProtocolVersion
from studies.sources import INTERVIEWS, OBSERVATIONS, kind_of
from tests.conftest import client_for, count_queries, protocol_body

VISITORS = ["anonymous", "outsider", "observer", "member", "coordinator", "other_member"]
READERS = {"observer", "member", "coordinator"}
WRITERS = {"member", "coordinator"}

TRANSCRIPT = (
    "**Enquêtrice** : Comment utilisez-vous l'IA ?\n\n"
    "**Camille** : On rédige les demandes de subvention avec ChatGPT, puis on relit à deux."
)
PLAIN_PASSAGE = "On rédige les demandes de subvention avec ChatGPT"
GUIDE_V1 = [
    {"question": "Comment utilisez-vous l'IA au quotidien ?", "probes": ["Depuis quand ?", "Pour quelles tâches ?"]},
    {"question": "Qui décide de son usage ?", "probes": []},
]
GUIDE_V2 = [{"question": "Question réécrite en version deux", "probes": ["Relance nouvelle"]}]


def _size(n: int) -> str:
    """A size as the form's messages write it (Django's `filesizeformat`, in French)."""
    from django.template.defaultfilters import filesizeformat

    with translation.override("fr"):
        return str(filesizeformat(n))


def _fr(message: str, **params) -> str:
    with translation.override("fr"):
        text = translation.gettext(message)
    return text % params if params else text


def _page(response) -> str:
    return unescape(response.content.decode())


def _url(study, suffix: str = "") -> str:
    return f"{study.url}interviews/{suffix}"


def _status_for(visitor: str, allowed: set[str], *, observer_status: int = 403) -> int:
    if visitor in allowed:
        return 200
    if visitor == "anonymous":
        return 302
    if visitor == "observer":
        return observer_status
    return 404


def _expect_denied(response, visitor):
    if visitor == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif visitor in ("outsider", "other_member"):
        assert response.status_code == 404
    else:  # observers: read-only
        assert response.status_code == 403


def _consent(informant: Informant, scopes, bureau) -> ConsentRecord:
    form, _created = ConsentForm.objects.get_or_create(
        bureau=bureau, title="Consentement entretien", version=1, defaults={"text": "Texte."}
    )
    return ConsentRecord.objects.create(form=form, informant=informant, scopes=list(scopes))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def collective(bureau, make_collective):
    return make_collective(bureau, "Les Ateliers du Rhône")


@pytest.fixture
def make_informant(bureau):
    def make(collective, pseudonym: str, scopes=(ConsentScope.INTERVIEW, ConsentScope.RECORDING), **fields):
        informant = Informant.objects.create(collective=collective, pseudonym=pseudonym, **fields)
        if scopes:
            _consent(informant, scopes, collective.bureau)
        return informant

    return make


@pytest.fixture
def informant(collective, make_informant):
    return make_informant(collective, "Camille", role="trésorière", identifying_details="Camille Dupont, 06…")


@pytest.fixture
def interview(study, informant, people):
    return Interview.objects.create(
        study=study, informant=informant, interviewer=people["member"], title="Entretien avec la trésorière",
        transcript=TRANSCRIPT, mode="video", duration_minutes=45,
    )


@pytest.fixture
def codes(study):
    return {
        "usages": Code.objects.create(study=study, name="usages", colour="#2f6fb0"),
        "tensions": Code.objects.create(study=study, name="tensions", colour="#8e44ad"),
    }


def _post_data(who, **overrides) -> dict:
    data = {
        "informant": str(who.pk),
        "conducted_on": "2026-03-12",
        "mode": "in_person",
        "duration_minutes": "50",
        "title": "Entretien au local",
        "transcript": TRANSCRIPT,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _recording(name: str = "entretien.mp3", content: bytes = b"ID3\x03\x00fake mp3 frames") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="audio/mpeg")


def _post_excerpt(client, study, interview, text=PLAIN_PASSAGE, codes=(), **extra):
    start = interview.plain_text.index(text)
    data = {"start": start, "end": start + len(text), "codes": [c.pk for c in codes], "memo": ""}
    data.update(extra)
    return client.post(_url(study, f"{interview.pk}/excerpts/"), data)


def _excerpt(interview, coder, text, *code_list):
    start = interview.plain_text.index(text)
    excerpt = Excerpt.objects.create(interview=interview, coder=coder, start=start, end=start + len(text), text=text)
    excerpt.codes.add(*code_list)
    return excerpt


def _state():
    """What a refused request must leave unchanged."""
    return (
        list(Interview.objects.order_by("pk").values_list("pk", "title", "recording_id", "version")),
        list(Excerpt.objects.order_by("pk").values_list("pk", "start", "end", "interview_id")),
        sorted(Excerpt.codes.through.objects.values_list("excerpt_id", "code_id")),
        list(Memo.objects.values_list("pk", "body")),
        get_document_model().objects.count(),
    )


# --- The source adapter ---------------------------------------------------------------------------


def test_the_two_kinds_of_source(study, interview, collective):
    from studies.models import Observation

    observation = Observation.objects.create(study=study, collective=collective, setting="meeting", title="t", body="b")
    assert kind_of(interview) is INTERVIEWS and kind_of(observation) is OBSERVATIONS
    assert INTERVIEWS.of(interview) == {"interview": interview}
    assert INTERVIEWS.plain_text(interview).startswith("Enquêtrice : Comment")
    assert INTERVIEWS.url(study, interview.pk, "memos") == f"{study.url}interviews/{interview.pk}/#memos"
    assert OBSERVATIONS.url(study, observation.pk) == f"{study.url}observations/{observation.pk}/"
    assert INTERVIEWS.get(study, interview.pk) == interview


# --- Permissions: every visitor on every route ----------------------------------------------------


@pytest.mark.parametrize("visitor", VISITORS)
def test_list_permissions(client, people, study, interview, visitor):
    response = client_for(client, people[visitor]).get(_url(study))
    assert response.status_code == _status_for(visitor, READERS)
    if visitor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if visitor in READERS:
        assert interview.title in _page(response)
        assert ('href="' + _url(study, "new/") + '"' in _page(response)) == (visitor in WRITERS)
    else:
        assert b"Entretien avec" not in response.content


@pytest.mark.parametrize("visitor", VISITORS)
def test_create_permissions(client, people, study, informant, visitor):
    client = client_for(client, people[visitor])
    form = client.get(_url(study, "new/"))
    assert form.status_code == _status_for(visitor, WRITERS)
    # The form (with the informant's pseudonym to choose) is for writers only.
    assert ('name="transcript"' in _page(form) and "Camille (C-" in _page(form)) == (visitor in WRITERS)
    response = client.post(_url(study, "new/"), _post_data(informant))
    assert response.status_code == (302 if visitor in WRITERS else _status_for(visitor, set()))
    assert Interview.objects.count() == (1 if visitor in WRITERS else 0)
    if visitor in WRITERS:
        assert response["Location"] == _url(study, f"{Interview.objects.get().pk}/")
    elif visitor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert b"Entretien au local" not in response.content


@pytest.mark.parametrize("visitor", VISITORS)
def test_detail_permissions(client, people, study, interview, codes, visitor):
    _excerpt(interview, people["member"], "ChatGPT", codes["usages"])
    response = client_for(client, people[visitor]).get(_url(study, f"{interview.pk}/"))
    if visitor in READERS:
        assert response.status_code == 200
        page = _page(response)
        assert 'id="coding-text"' in page and interview.title in page
        assert ('id="excerpt-form"' in page) == (visitor in WRITERS)
        assert ('id="memo-form"' in page) == (visitor in WRITERS)
    else:
        _expect_denied(response, visitor)
        assert b"ChatGPT" not in response.content


@pytest.mark.parametrize("visitor", VISITORS)
def test_excerpt_create_permissions(client, people, study, interview, codes, visitor):
    before = _state()
    response = _post_excerpt(client_for(client, people[visitor]), study, interview, codes=[codes["usages"]])
    if visitor in WRITERS:
        excerpt = Excerpt.objects.get()
        assert response.status_code == 302
        assert response["Location"] == _url(study, f"{interview.pk}/") + f"#excerpt-{excerpt.pk}"
        assert (excerpt.interview, excerpt.observation, excerpt.coder) == (interview, None, people[visitor])
        assert excerpt.text == PLAIN_PASSAGE == interview.plain_text[excerpt.start:excerpt.end]
        assert list(excerpt.codes.all()) == [codes["usages"]]
    else:
        _expect_denied(response, visitor)
        assert _state() == before


@pytest.mark.parametrize("visitor", VISITORS)
def test_excerpt_delete_permissions(client, people, study, interview, codes, visitor):
    coder = people[visitor] if visitor in WRITERS else people["member"]
    excerpt = _excerpt(interview, coder, "ChatGPT", codes["usages"])
    before = _state()
    response = client_for(client, people[visitor]).post(_url(study, f"{interview.pk}/excerpts/{excerpt.pk}/delete/"))
    if visitor in WRITERS:
        assert response.status_code == 302 and response["Location"].endswith(f"/interviews/{interview.pk}/#excerpts")
        assert not Excerpt.objects.exists()
    else:
        _expect_denied(response, visitor)
        assert _state() == before


@pytest.mark.parametrize("visitor", VISITORS)
def test_memo_permissions(client, people, study, interview, visitor):
    before = _state()
    response = client_for(client, people[visitor]).post(_url(study, f"{interview.pk}/memos/"),
                                                       {"body": "Une *piste* : la relecture à deux."})
    if visitor in WRITERS:
        memo = Memo.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"#memo-{memo.pk}")
        assert (memo.interview, memo.observation, memo.author, memo.study_id) == (
            interview, None, people[visitor], study.pk
        )
        assert "<em>piste</em>" in client.get(_url(study, f"{interview.pk}/")).content.decode()
    else:
        _expect_denied(response, visitor)
        assert _state() == before


def test_writes_do_not_answer_get_and_the_page_does_not_answer_post(client, people, study, interview):
    client_for(client, people["member"])
    assert client.get(_url(study, f"{interview.pk}/excerpts/")).status_code == 405
    assert client.get(_url(study, f"{interview.pk}/memos/")).status_code == 405
    assert client.post(_url(study, f"{interview.pk}/"), {"action": "set_codes"}).status_code == 405


def test_interview_of_another_study_is_404(client, people, bureau, make_study, interview, codes):
    other = make_study(bureau)
    excerpt = _excerpt(interview, people["member"], "ChatGPT", codes["usages"])
    client_for(client, people["coordinator"])
    before = _state()
    assert client.get(_url(other, f"{interview.pk}/")).status_code == 404
    assert client.get(_url(interview.study, "999999/")).status_code == 404
    assert _post_excerpt(client, other, interview, codes=[codes["usages"]]).status_code == 404
    assert client.post(_url(other, f"{interview.pk}/excerpts/{excerpt.pk}/delete/")).status_code == 404
    assert client.post(_url(other, f"{interview.pk}/memos/"), {"body": "x"}).status_code == 404
    assert _state() == before


def test_excerpt_of_an_observation_cannot_be_deleted_through_an_interview(client, people, study, interview, collective,
                                                                          codes):
    from studies.models import Observation

    observation = Observation.objects.create(study=study, collective=collective, setting="meeting", title="Note",
                                             body="Le bureau utilise ChatGPT.")
    start = observation.plain_text.index("ChatGPT")
    excerpt = Excerpt.objects.create(observation=observation, coder=people["member"], start=start, end=start + 7,
                                     text="ChatGPT")
    client_for(client, people["member"])
    assert client.post(_url(study, f"{interview.pk}/excerpts/{excerpt.pk}/delete/")).status_code == 404
    assert Excerpt.objects.filter(pk=excerpt.pk).exists()


# --- Adding an interview --------------------------------------------------------------------------


def test_member_adds_an_interview_tied_to_the_version_in_force(client, people, study, informant, make_protocol):
    make_protocol(study, guide=GUIDE_V1)
    client_for(client, people["member"])
    form_page = _page(client.get(_url(study, "new/")))
    assert "Camille (C-" in form_page and "v1" in form_page
    assert "Camille Dupont" not in form_page  # identifying details are not needed here
    response = client.post(_url(study, "new/"), _post_data(informant))
    interview = Interview.objects.get()
    assert response.status_code == 302 and response["Location"] == _url(study, f"{interview.pk}/")
    assert (interview.study_id, interview.informant, interview.interviewer) == (study.pk, informant, people["member"])
    assert interview.protocol_version == ProtocolVersion.objects.get(number=1)
    assert (interview.mode, interview.duration_minutes, interview.conducted_on) == (
        "in_person", 50, datetime.date(2026, 3, 12)
    )
    assert "<strong>Camille</strong>" in interview.transcript_html
    assert interview.recording is None


def test_without_a_published_protocol_the_interview_has_no_version(client, people, study, informant):
    client_for(client, people["member"])
    response = client.post(_url(study, "new/"), _post_data(informant))
    assert response.status_code == 302 and response["Location"] == _url(study, f"{Interview.objects.get().pk}/")
    assert Interview.objects.get().protocol_version is None
    page = _page(client.get(_url(study, f"{Interview.objects.get().pk}/")))
    assert _fr("No protocol version was in force when this interview was added: there is no guide to show.") in page


@pytest.mark.parametrize(
    "scopes", [(), (ConsentScope.OBSERVATION, ConsentScope.RECORDING)], ids=["no consent", "other scopes only"]
)
def test_informant_without_interview_consent_is_refused(client, people, study, collective, make_informant, scopes):
    silent = make_informant(collective, "Dominique", scopes=scopes)
    before = _state()
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(silent))
    assert response.status_code == 400
    expected = _fr(
        "%(pseudonym)s (%(code)s) has no (or no longer any) « interview » consent in force: "
        "record their consent before adding the interview.",
        pseudonym="Dominique", code=collective.code,
    )
    assert expected in _page(response)
    assert _fr("The interview was not saved: correct the fields marked below.") in _page(response)
    assert _state() == before
    # The form says so before anyone submits it.
    assert _fr("(no interview consent)") in _page(client.get(_url(study, "new/")))


def test_informant_whose_interview_consent_was_withdrawn_is_refused(client, people, study, informant):
    informant.consents.update(withdrawn_at=timezone.now())
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(informant))
    assert response.status_code == 400
    assert f"« {_fr('interview')} »" in _page(response).replace("«\xa0", "« ").replace("\xa0»", " »")
    assert not Interview.objects.exists()


def test_informant_of_another_bureau_is_a_field_error(client, people, study, other_bureau, make_collective,
                                                      make_informant):
    foreign = make_informant(make_collective(other_bureau), "Sacha")
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(foreign))
    assert response.status_code == 400
    assert _fr("This informant does not belong to a collective of this study's bureau.") in _page(response)
    assert "Sacha" not in _page(client.get(_url(study, "new/")))
    assert not Interview.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mode", "telepathy", "« %(value)s » is not one of the listed modes."),
        ("duration_minutes", "0", "The duration is between 1 and %(max)s minutes."),
        ("duration_minutes", "5000", "The duration is between 1 and %(max)s minutes."),
        ("duration_minutes", "une heure", "The duration is a whole number of minutes."),
        ("conducted_on", "2026-13-45", "Enter the date of the interview as YYYY-MM-DD."),
        ("title", "", "Give the interview a title."),
        ("transcript", "", "The transcript is empty."),
        ("informant", "", "Choose the informant who was interviewed."),
    ],
)
def test_bad_fields_are_refused_and_change_nothing(client, people, study, informant, field, value, message):
    before = _state()
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(informant, **{field: value}))
    assert response.status_code == 400
    expected = _fr(message) % {"value": value, "max": 24 * 60} if "%(" in message else _fr(message)
    assert expected in _page(response)
    assert _state() == before


def test_a_future_date_is_refused(client, people, study, informant):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(informant, conducted_on=tomorrow))
    assert response.status_code == 400 and _fr("The interview cannot be dated in the future.") in _page(response)
    assert not Interview.objects.exists()


# --- The recording --------------------------------------------------------------------------------


def test_recording_is_kept_as_a_document_of_the_bureau(client, people, bureau, study, informant, media):
    from wagtail.models import Collection

    response = client_for(client, people["member"]).post(
        _url(study, "new/"), {**_post_data(informant), "recording": _recording()}
    )
    assert response.status_code == 302
    interview = Interview.objects.select_related("recording__collection").get()
    document = interview.recording
    assert document is not None and document.file.name.endswith(".mp3")
    assert document.collection.name.endswith(f"(#{bureau.pk})")
    # No group has any permission on it (nor on an ancestor but the root, where only superusers act).
    from wagtail.models import GroupCollectionPermission

    assert not GroupCollectionPermission.objects.filter(
        collection__in=document.collection.get_ancestors(inclusive=True).exclude(depth=1)
    ).exists()
    assert Collection.objects.get(pk=document.collection_id) != Collection.objects.get(name=bureau.title)
    assert document.uploaded_by_user == people["member"] and document.file_size > 0
    assert document.file.read() == b"ID3\x03\x00fake mp3 frames"


def test_recording_without_recording_consent_is_refused(client, people, study, collective, make_informant, media):
    shy = make_informant(collective, "Alix", scopes=(ConsentScope.INTERVIEW,))
    before = _state()
    response = client_for(client, people["member"]).post(
        _url(study, "new/"), {**_post_data(shy), "recording": _recording()}
    )
    assert response.status_code == 400
    expected = _fr(
        "%(pseudonym)s (%(code)s) has no « recording » consent in force: the recording cannot be kept. "
        "Record their consent first, or add the interview without it.",
        pseudonym="Alix", code=collective.code,
    )
    assert expected in _page(response)
    assert _state() == before
    assert not list(media.rglob("*.mp3"))  # nothing written either
    # The same interview without the recording is fine.
    response = client.post(_url(study, "new/"), _post_data(shy))
    assert response.status_code == 302
    saved = Interview.objects.get()
    assert (saved.informant, saved.recording) == (shy, None)


@pytest.mark.parametrize(("name", "content"), [("notes.pdf", b"%PDF-1.4"), ("entretien.exe", b"MZ")])
def test_recording_that_is_not_sound_or_video_is_refused(client, people, study, informant, media, name, content):
    before = _state()
    response = client_for(client, people["member"]).post(
        _url(study, "new/"), {**_post_data(informant), "recording": _recording(name, content)}
    )
    assert response.status_code == 400 and name in _page(response)
    assert _state() == before


def test_too_large_recording_is_refused(client, people, study, informant, media, settings):
    settings.BEC_RECORDING_MAX_BYTES = 10
    response = client_for(client, people["member"]).post(
        _url(study, "new/"), {**_post_data(informant), "recording": _recording()}
    )
    assert response.status_code == 400 and not Interview.objects.exists()
    size = len(b"ID3\x03\x00fake mp3 frames")
    assert _fr("The recording is too large (%(size)s; at most %(limit)s).") % {
        "size": _size(size), "limit": _size(10)
    } in _page(response)


@pytest.fixture
def recorded(client, people, study, informant, media):
    client_for(client, people["member"]).post(_url(study, "new/"), {**_post_data(informant), "recording": _recording()})
    client.logout()
    return Interview.objects.select_related("recording").get()


def test_recording_is_shown_to_the_team_with_recording_consent(client, people, study, recorded):
    document = recorded.recording
    for visitor in READERS:
        client.logout()
        page = _page(client_for(client, people[visitor]).get(_url(study, f"{recorded.pk}/")))
        assert document.url in page and "<audio" in page
        response = client.get(document.url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"ID3\x03\x00fake mp3 frames"


@pytest.mark.parametrize("visitor", ["anonymous", "outsider", "other_member"])
def test_recording_file_is_not_served_outside_the_team(client, people, recorded, visitor):
    response = client_for(client, people[visitor]).get(recorded.recording.url)
    _expect_denied(response, visitor)


def test_recording_is_hidden_when_recording_consent_is_withdrawn(client, people, bureau, study, informant, recorded):
    informant.consents.update(withdrawn_at=timezone.now())
    _consent(informant, [ConsentScope.INTERVIEW], bureau)  # still consents to the interview, not to the recording
    client_for(client, people["coordinator"])
    response = client.get(_url(study, f"{recorded.pk}/"))
    page = _page(response)
    assert response.status_code == 200
    assert recorded.recording.url not in page and "<audio" not in page
    assert _fr("A recording exists, but the informant's « recording » consent is not in force: it is not available.") in page
    withheld = client.get(recorded.recording.url)
    assert withheld.status_code == 404 and b"fake mp3" not in withheld.content
    # Consent given again: the recording is back.
    _consent(informant, [ConsentScope.RECORDING], bureau)
    assert recorded.recording.url in _page(client.get(_url(study, f"{recorded.pk}/")))
    served = client.get(recorded.recording.url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == b"ID3\x03\x00fake mp3 frames"


def test_other_documents_are_served_as_before(client, people, media):
    document = get_document_model().objects.create(title="Charte", file=SimpleUploadedFile("charte.txt", b"Charte"))
    response = client.get(document.url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"Charte"


# --- Consent withdrawn: the interview leaves every page -------------------------------------------


def test_withdrawn_interview_consent_hides_the_interview_everywhere(client, people, study, informant, interview,
                                                                   codes):
    excerpt = _excerpt(interview, people["member"], "ChatGPT", codes["usages"])
    client_for(client, people["coordinator"])
    assert interview.title in _page(client.get(_url(study)))
    informant.consents.update(withdrawn_at=timezone.now())
    before = _state()
    listing = _page(client.get(_url(study)))
    assert interview.title not in listing
    assert _fr("No interview has been added yet.") in listing
    assert client.get(_url(study, f"{interview.pk}/")).status_code == 404
    assert _post_excerpt(client, study, interview, "relit", codes=[codes["usages"]]).status_code == 404
    assert client.post(_url(study, f"{interview.pk}/excerpts/{excerpt.pk}/delete/")).status_code == 404
    assert client.post(_url(study, f"{interview.pk}/memos/"), {"body": "x"}).status_code == 404
    assert _state() == before
    # The codebook no longer counts its excerpt.
    codebook = client.get(f"{study.url}codebook/").content.decode()
    assert re.search(r'data-count="excerpts">0<', codebook)


def _interview_count(page: str) -> int:
    return int(re.search(r'interviews/">[^<]*<span class="count">(\d+)</span>', page).group(1))


def test_withdrawal_by_the_collective_hides_its_informants_interviews_everywhere(
    client, people, bureau, study, collective, informant, recorded, codes
):
    excerpt = _excerpt(recorded, people["member"], "ChatGPT", codes["usages"])
    client_for(client, people["coordinator"])
    assert recorded.title in _page(client.get(_url(study)))
    assert collective.name in _page(client.get(_url(study, f"{recorded.pk}/")))
    assert _interview_count(_page(client.get(study.url))) == 1
    assert client.get(recorded.recording.url).status_code == 200

    collective.consents.update(withdrawn_at=timezone.now())  # the informant's own consent still holds
    assert ConsentRecord.objects.in_force(ConsentScope.INTERVIEW, informant=informant).exists()
    before = _state()
    listing = _page(client.get(_url(study)))
    assert recorded.title not in listing and collective.name not in listing
    assert _fr("No interview has been added yet.") in listing
    assert client.get(_url(study, f"{recorded.pk}/")).status_code == 404
    assert _post_excerpt(client, study, recorded, "relit", codes=[codes["usages"]]).status_code == 404
    assert client.post(_url(study, f"{recorded.pk}/excerpts/{excerpt.pk}/delete/")).status_code == 404
    assert client.post(_url(study, f"{recorded.pk}/memos/"), {"body": "x"}).status_code == 404
    assert _state() == before
    assert _interview_count(_page(client.get(study.url))) == 0
    codebook = client.get(f"{study.url}codebook/").content.decode()
    assert re.search(r'data-count="excerpts">0<', codebook)
    agreement = _page(client.get(f"{study.url}agreement/"))
    assert recorded.title not in agreement and collective.name not in agreement
    assert client.get(recorded.recording.url).status_code == 404
    assert not INTERVIEWS.consented(study).exists()


def test_the_recording_needs_the_collective_recording_consent_too(client, people, bureau, study, collective,
                                                                 informant, recorded):
    collective.consents.update(withdrawn_at=timezone.now())
    form = ConsentForm.objects.get(bureau=bureau, title="Consentement")
    ConsentRecord.objects.create(form=form, collective=collective, scopes=[ConsentScope.INTERVIEW])
    client_for(client, people["coordinator"])
    page = _page(client.get(_url(study, f"{recorded.pk}/")))
    assert recorded.title in page  # the interview stays: both consent to it
    assert recorded.recording.url not in page and "<audio" not in page
    assert client.get(recorded.recording.url).status_code == 404
    ConsentRecord.objects.create(form=form, collective=collective, scopes=[ConsentScope.RECORDING])
    assert recorded.recording.url in _page(client.get(_url(study, f"{recorded.pk}/")))
    assert client.get(recorded.recording.url).status_code == 200


def test_an_informant_whose_collective_withdrew_cannot_be_interviewed(client, people, study, collective, informant):
    collective.consents.update(withdrawn_at=timezone.now())
    response = client_for(client, people["member"]).post(_url(study, "new/"), _post_data(informant))
    assert response.status_code == 400
    assert _fr(
        "The collective %(code)s has no (or no longer any) « interview » consent in force: its informants cannot "
        "be interviewed for the study until it consents.", code=collective.code
    ) in _page(response)
    assert not Interview.objects.exists()


# --- Coding a transcript --------------------------------------------------------------------------


def test_transcript_is_coded_like_a_note(client, people, study, interview, codes):
    client_for(client, people["member"])
    response = _post_excerpt(client, study, interview, codes=[codes["usages"], codes["tensions"]], memo=" Rédaction. ")
    assert response.status_code == 302
    excerpt = Excerpt.objects.get()
    assert (excerpt.text, excerpt.memo) == (PLAIN_PASSAGE, "Rédaction.")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [_fr("Excerpt coded.")]
    page = client.get(response["Location"]).content.decode()
    inner = re.search(r'<div id="coding-text"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert unescape(re.sub(r"<[^>]+>", "", inner)) == interview.plain_text
    assert f'id="excerpt-{excerpt.pk}"' in inner and f'data-interview="{interview.pk}"' in page
    assert f"/interviews/{interview.pk}/excerpts/{excerpt.pk}/delete/" in page
    # Coding the same passage again adds codes to the same excerpt (same machinery as observations).
    _post_excerpt(client, study, interview, codes=[codes["tensions"]])
    assert Excerpt.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (5, 5, "The passage is empty or reversed: its end (%(end)s) must come after its start (%(start)s)."),
        (10, 4, "The passage is empty or reversed: its end (%(end)s) must come after its start (%(start)s)."),
        (0, 10_000, "The passage goes past the end of the transcript (%(length)s characters)."),
        (-1, 4, "The start of the passage cannot be negative."),
        ("abc", 4, "The start of the passage must be a whole number."),
        ("", 4, "Select a passage of the transcript (its start is missing)."),
        (0, "", "Select a passage of the transcript (its end is missing)."),
    ],
)
def test_bad_offsets_are_refused_and_change_nothing(client, people, study, interview, codes, start, end, message):
    before = _state()
    response = client_for(client, people["member"]).post(
        _url(study, f"{interview.pk}/excerpts/"), {"start": start, "end": end, "codes": [codes["usages"].pk]}
    )
    assert response.status_code == 400
    length = len(interview.plain_text)
    expected = _fr(message) % {"start": start, "end": end, "length": length} if "%(" in message else _fr(message)
    assert expected in _page(response)
    assert 'id="guide"' in _page(response)  # the interview's page comes back, not the observation's
    assert _state() == before


def test_stale_selection_of_a_transcript_is_refused(client, people, study, interview, codes):
    before = _state()
    response = _post_excerpt(client_for(client, people["member"]), study, interview, codes=[codes["usages"]],
                             selected_text="autre chose")
    assert response.status_code == 400
    assert _fr("The transcript changed since you opened this page: select the passage again.") in _page(response)
    assert _state() == before


def test_empty_memo_on_an_interview_is_refused(client, people, study, interview):
    response = client_for(client, people["member"]).post(_url(study, f"{interview.pk}/memos/"), {"body": "  "})
    assert response.status_code == 400 and _fr("The memo is empty.") in _page(response)
    assert not Memo.objects.exists()


# --- The page: facts and the guide of the interview's own version ---------------------------------


def test_page_shows_the_interview_and_the_guide_of_its_version(client, people, study, informant, make_protocol):
    protocol = make_protocol(study, guide=GUIDE_V1)
    client_for(client, people["member"]).post(_url(study, "new/"), _post_data(informant))
    interview = Interview.objects.get()
    # v2 rewrites the guide; the interview keeps showing the guide it followed.
    page_obj = ProtocolPage.objects.get(pk=protocol.pk)
    page_obj.body = protocol_body(guide=GUIDE_V2)
    page_obj.save_revision().publish()
    assert ProtocolVersion.objects.filter(protocol=protocol).count() == 2
    page = _page(client_for(client, people["observer"]).get(_url(study, f"{interview.pk}/")))
    guide = page[page.index('id="guide"'):]
    for text in ("Comment utilisez-vous l'IA au quotidien ?", "Depuis quand ?", "Pour quelles tâches ?",
                 "Qui décide de son usage ?"):
        assert text in guide
    assert "Question réécrite" not in page and "v1" in guide
    for text in ("Camille", "trésorière", informant.collective.code, "50 minutes"):
        assert text in page
    assert "Camille Dupont" not in page  # identifying details stay in the admin
    assert "Les Ateliers du Rhône" not in page  # observers see the collective's code, not its real name
    assert _fr("no recording") in page
    # An interview added now follows v2.
    client_for(client, people["member"]).post(_url(study, "new/"), _post_data(informant, title="Deuxième"))
    second = Interview.objects.get(title="Deuxième")
    assert second.protocol_version.number == 2
    assert "Question réécrite en version deux" in _page(client.get(_url(study, f"{second.pk}/")))


def test_transcript_markup_is_escaped(client, people, study, informant):
    interview = Interview.objects.create(study=study, informant=informant, title="Balises",
                                         transcript="a <script>alert(1)</script> b [x](javascript:alert(1))")
    page = client_for(client, people["member"]).get(_url(study, f"{interview.pk}/")).content.decode()
    assert "<script>alert(1)</script>" not in page and "javascript:alert" not in page


# --- Links, codebook and agreement ----------------------------------------------------------------


def test_study_page_links_to_the_interviews(client, people, study, interview):
    page = _page(client_for(client, people["member"]).get(study.url))
    assert f'href="{_url(study)}"' in page and f'href="{_url(study, "new/")}"' in page
    page = _page(client_for(client, people["observer"]).get(study.url))
    assert f'href="{_url(study)}"' in page and f'href="{_url(study, "new/")}"' not in page
    client.logout()
    assert _url(study) not in _page(client.get(study.url))


def test_codebook_counts_interview_excerpts_and_agreement_ignores_them(client, people, study, interview, codes):
    _excerpt(interview, people["member"], "ChatGPT", codes["usages"])
    _excerpt(interview, people["coordinator"], "ChatGPT", codes["usages"])
    client_for(client, people["member"])
    codebook = client.get(f"{study.url}codebook/")
    assert codebook.status_code == 200
    assert re.search(r'data-count="excerpts">2<', codebook.content.decode())
    agreement = client.get(f"{study.url}agreement/")
    # Agreement is measured on observations only: these two are not offered as coders to compare.
    assert agreement.status_code == 200
    assert "(1 excerpt" not in _page(agreement) and "(1 extrait" not in _page(agreement)


def test_list_is_paginated_newest_first(client, people, study, informant):
    for day in range(1, 28):
        Interview.objects.create(study=study, informant=informant, title=f"Entretien du {day:02d}",
                                 transcript="Texte.", conducted_on=datetime.date(2026, 2, day))
    client_for(client, people["observer"])
    first = _page(client.get(_url(study)))
    assert "Entretien du 27" in first and "Entretien du 03" in first and "Entretien du 02" not in first
    assert first.index("Entretien du 27") < first.index("Entretien du 26")
    second = _page(client.get(_url(study) + "?page=2"))
    assert "Entretien du 02" in second and "Entretien du 01" in second and "Entretien du 27" not in second
    bad = _page(client.get(_url(study) + "?page=abc"))  # a bad page number shows the first page
    assert "Entretien du 27" in bad and "Entretien du 02" not in bad


# --- Query counts ---------------------------------------------------------------------------------


def _populate(study, collective, make_informant, coders, n: int, codes):
    for i in range(n):
        informant = make_informant(collective, f"Informant {study.pk}-{i}")
        interview = Interview.objects.create(study=study, informant=informant, interviewer=coders[i % len(coders)],
                                             title=f"Entretien {i}", transcript=TRANSCRIPT, mode="phone",
                                             duration_minutes=30 + i)
        for j, word in enumerate(("ChatGPT", "subvention", "relit")[: 1 + i % 3]):
            excerpt = _excerpt(interview, coders[j % len(coders)], word, codes[j % len(codes)])
            excerpt.codes.add(codes[(j + 1) % len(codes)])
        for j in range(i % 3):
            Memo.objects.create(study=study, interview=interview, author=coders[j % len(coders)], body=f"Mémo {j}")
    return interview


def test_list_and_detail_queries_do_not_grow(client, people, bureau, make_study, make_collective, make_informant,
                                            make_person, make_protocol):
    counts = []
    for n in (1, 8):
        study = make_study(bureau)
        make_protocol(study, guide=GUIDE_V1 * n)
        codes = [Code.objects.create(study=study, name=f"code {study.pk}-{i}", colour="#2f6fb0") for i in range(n + 1)]
        coders = [make_person(bureau, Role.MEMBER) for _ in range(3)]
        collective = make_collective(bureau)
        last = _populate(study, collective, make_informant, coders, n, codes)
        client_for(client, people["coordinator"])
        counts.append((count_queries(client, _url(study)), count_queries(client, _url(study, f"{last.pk}/"))))
    assert counts[0] == counts[1], counts


def test_detail_queries_with_a_recording_do_not_grow(client, people, study, informant, make_informant, collective,
                                                    media, codes):
    client_for(client, people["member"]).post(_url(study, "new/"), {**_post_data(informant), "recording": _recording()})
    interview = Interview.objects.get()
    _excerpt(interview, people["member"], "subvention", codes["tensions"])  # sizes 1 and 7 (0 skips a prefetch)
    small = count_queries(client, _url(study, f"{interview.pk}/"))
    for i in range(6):
        _excerpt(interview, people["member"] if i % 2 else people["coordinator"], "ChatGPT", codes["usages"])
        Memo.objects.create(study=study, interview=interview, author=people["member"], body=f"Mémo {i}")
    assert count_queries(client, _url(study, f"{interview.pk}/")) == small


def test_members_cannot_replace_a_recording_in_the_admin(client, people, study, recorded):
    document = recorded.recording
    for who in ("member", "coordinator"):
        client_for(client, people[who])
        # The recordings' collection gives no bureau group any permission: Wagtail refuses the editor.
        response = client.get(f"/admin/documents/edit/{document.pk}/")
        assert (response.status_code, response["Location"]) == (302, "/admin/"), who
        listing = client.get("/admin/documents/")
        assert document.title not in listing.content.decode(), who
