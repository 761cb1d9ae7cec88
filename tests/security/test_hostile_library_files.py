"""Hostile bibliography files (issue 18): each is refused with a clear message, or read as far as it
goes with its unreadable places named; never a 500, nothing written unless the whole file was read."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commons.models import Reference
from tests.conftest import client_for

HOSTILE = {
    "nested.json": b"[" * 100_000 + b"]" * 100_000,
    "deep-braces.bib": b"@book{a, title={" + b"{" * 50_000 + b"}",
    "unclosed.bib": b"@article{a,\n  title = {never closed,\n  year = 2020\n",
    "nul.bib": b"@book{a, title={x\x00y}}",
    "bom-only.ris": b"\xef\xbb\xbf",
    "binary.ris": bytes(range(256)) * 10,
    "long-line.ris": b"TY  - JOUR\nTI  - " + b"A" * 500_000 + b"\nER  - \n",
    "script.json": b'[{"title": "<script>alert(1)</script>", "type": "book", "id": "a\\"><script>"}]',
    "javascript-url.bib": b"@misc{js, title={Lien}, url={javascript:alert(1)}}",
    "not-a-list.json": b'"just a string"',
    "items-not-dicts.json": b"[1, null, true, []]",
    "wrong.exe": b"MZ\x90\x00",
    "no-extension": b"@book{a, title={x}}",
    "huge.bib": b" " * (2 * 1024 * 1024 + 10),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_never_break_the_import_page(client, bureau, people, name):
    client_for(client, people["member"])
    url = bureau.url + bureau.reverse_subpage("library_import")
    response = client.post(url, {"file": SimpleUploadedFile(name, HOSTILE[name])})
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    if response.status_code == 200 and 'name="confirm"' in page:  # read whole: the preview may be confirmed
        confirm = response.context["confirm"]
        response = client.post(url, {"confirm": "1", **confirm.initial})
        assert response.status_code == 302
        library = client.get(bureau.url + bureau.reverse_subpage("library")).content.decode()
        assert Reference.objects.exists() and "<script>alert(1)</script>" not in library
        for reference in Reference.objects.all():
            detail = client.get(bureau.url + bureau.reverse_subpage("reference_detail", args=[reference.pk]))
            assert "javascript:" not in detail.content.decode() and "<script>alert" not in detail.content.decode()
    else:
        assert not Reference.objects.exists()
