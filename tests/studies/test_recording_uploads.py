"""A recording is checked by its content, not only its name, and against a size limit from the
environment (issue 10, item 11): `studies.uploads`.

A text or HTML file renamed ``entretien.mp3`` used to be stored as the bureau's document and served
back from the site's own domain. Now the first bytes must say sound or video (`filetype`).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from studies.models import Interview
from studies.uploads import check_recording, recording_formats, sniffed_type
from tests.conftest import client_for
from tests.studies import test_interviews as interviews
from tests.studies.test_interviews import _page, _post_data, _recording, _state, _url

# The interview tests' fixtures: a collective, an informant with every consent, a media folder.
collective, informant, make_informant, media = (
    interviews.collective, interviews.informant, interviews.make_informant, interviews.media
)

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
TEXT = b"Ceci n'est pas un enregistrement, seulement du texte.\n" * 20
#: Real headers of formats people record in.
SOUNDS = {
    "entretien.mp3": b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64,
    "entretien.wav": b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x00" * 64,
    "entretien.ogg": b"OggS\x00\x02" + b"\x00" * 64,
    "entretien.flac": b"fLaC\x00\x00\x00\x22" + b"\x00" * 64,
    "entretien.m4a": b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00" + b"\x00" * 64,
}


def _fr(message: str) -> str:
    with translation.override("fr"):
        return translation.gettext(message)


@pytest.mark.parametrize(("name", "content"), [("entretien.mp3", HTML), ("entretien.mp3", TEXT),
                                               ("entretien.wav", b"%PDF-1.4\n" + TEXT),
                                               ("entretien.ogg", b"MZ\x90\x00" + b"\x00" * 64)])
def test_a_file_named_like_a_recording_but_not_sound_is_refused(client, people, study, informant, media,
                                                                 name, content):
    before = _state()
    response = client_for(client, people["member"]).post(
        _url(study, "new/"), {**_post_data(informant), "recording": _recording(name, content)}
    )
    assert response.status_code == 400
    page = _page(response)
    assert name in page and "ni du son ni de la vidéo" in page  # the French message: the file, the reason
    assert _state() == before
    assert not [path for path in media.rglob("*") if path.is_file()]  # nothing written either


@pytest.mark.parametrize(("name", "content"), SOUNDS.items())
def test_real_sound_files_are_recognised(name, content):
    upload = SimpleUploadedFile(name, content)
    assert sniffed_type(upload).split("/")[0] == "audio"
    assert upload.tell() == 0  # sniffing leaves the file where it was, for storage
    if name.rsplit(".", 1)[1] in recording_formats():  # the site may allow fewer formats
        assert check_recording(upload) is upload


def test_a_real_sound_file_is_kept(client, people, study, informant, media):
    response = client_for(client, people["member"]).post(
        _url(study, "new/"), {**_post_data(informant), "recording": _recording("entretien.mp3",
                                                                             SOUNDS["entretien.mp3"])}
    )
    assert response.status_code == 302
    assert Interview.objects.get().recording is not None


def test_an_oversized_recording_is_refused_with_the_limit(client, people, study, informant, media, settings):
    settings.BEC_RECORDING_MAX_BYTES = 100
    before = _state()
    response = client_for(client, people["member"]).post(
        _url(study, "new/"), {**_post_data(informant), "recording": _recording("entretien.mp3",
                                                                             SOUNDS["entretien.mp3"])}
    )
    assert response.status_code == 400
    message = _fr("The recording is too large (%(size)s; at most %(limit)s).")
    assert message.split("(")[0] in _page(response) and "100\xa0octets au maximum" in _page(response)
    assert _state() == before


def test_the_limit_comes_from_the_environment(monkeypatch):
    import importlib

    from bec_site.settings import base

    monkeypatch.setenv("BEC_MAX_RECORDING_MB", "3")
    try:
        assert importlib.reload(base).BEC_RECORDING_MAX_BYTES == 3 * 1024 * 1024
        monkeypatch.delenv("BEC_MAX_RECORDING_MB")
        assert importlib.reload(base).BEC_RECORDING_MAX_BYTES == 200 * 1024 * 1024
    finally:
        monkeypatch.delenv("BEC_MAX_RECORDING_MB", raising=False)
        importlib.reload(base)
