"""In development (`DEBUG`, `make demo`), media are served from disk, but never the documents folder.

Documents (interview recordings) are only served by Wagtail's document view, which checks access
and consent. The tests load the development URL configuration (the one `DEBUG` builds) and ask for a
real recording under a temporary MEDIA_ROOT through many spellings of its path.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import resolve
from django.views.static import serve

import bec_site
from bec_site.views import serve_media

RECORDING = b"ID3-secret-interview-recording"
IMAGE = b"\x89PNG-a-public-image"


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "documents" / "recordings").mkdir(parents=True)
    (root / "documents" / "rec.mp3").write_bytes(RECORDING)
    (root / "documents" / "recordings" / "deep.mp3").write_bytes(RECORDING)
    (root / "original_images").mkdir()
    (root / "original_images" / "photo.png").write_bytes(IMAGE)
    os.symlink(root / "documents", root / "original_images" / "alias")
    return root


@pytest.fixture
def debug_urls(media_root, db):
    """`bec_site.urls` as built with DEBUG on, loaded under another name (the test settings keep theirs)."""
    with override_settings(DEBUG=True, MEDIA_ROOT=media_root):
        spec = importlib.util.spec_from_file_location(
            "bec_site._debug_urls_under_test", Path(bec_site.__file__).with_name("urls.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
            with override_settings(ROOT_URLCONF=spec.name):
                yield module
        finally:
            del sys.modules[spec.name]


def test_development_urls_serve_media_through_the_checking_view(debug_urls):
    assert resolve("/media/original_images/photo.png").func is serve_media
    assert resolve("/media//documents/rec.mp3").func is serve_media
    assert all(getattr(p, "callback", None) is not serve for p in debug_urls.urlpatterns)


@pytest.mark.parametrize(
    "url",
    [
        "/media/documents/rec.mp3",
        "/media//documents/rec.mp3",
        "/media///documents//rec.mp3",
        "/media/./documents/rec.mp3",
        "/media/original_images/../documents/rec.mp3",
        "/media/a/b/../../documents/rec.mp3",
        "/media/%64ocuments/rec.mp3",
        "/media/documents%2Frec.mp3",
        "/media/%2e/documents/rec.mp3",
        "/media/%2E%2E/media/documents/rec.mp3",
        "/media/documents/./rec.mp3",
        "/media/documents/recordings/deep.mp3",
        "/media/documents/recordings/../rec.mp3",
        "/media/original_images/alias/rec.mp3",  # a symlink into the documents folder
        "/media/original_images/alias/../alias/rec.mp3",
        "/media/documents/",
        "/media/documents",
        "/media/documents%00/rec.mp3",
        "/media/documents/rec.mp3%00.png",
    ],
)
def test_no_spelling_of_the_documents_folder_is_served(client, debug_urls, url):
    response = client.get(url)

    # A NUL anywhere in a request is refused before any view (bec_site.request_checks): 400.
    assert response.status_code == (400 if "%00" in url else 404)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert RECORDING not in body


@pytest.mark.parametrize("url", ["/media/original_images/photo.png", "/media//original_images/./photo.png"])
def test_other_media_are_still_served(client, debug_urls, url):
    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == IMAGE


def test_a_path_out_of_media_root_is_refused(client, debug_urls, media_root):
    (media_root.parent / "secret.txt").write_text("outside")

    for url in ("/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/original_images/../../secret.txt"):
        assert client.get(url).status_code == 404
