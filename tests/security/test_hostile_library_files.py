"""Hostile bibliography files (issue 18): each is refused with a clear message, or read as far as it
goes with its unreadable places named; never a 500, nothing written unless the whole file was read."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commons.models import Reference
from tests.conftest import client_for

XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


def _zip_bomb() -> bytes:
    """A small zip that would inflate to 10 MB: only ever read as bytes, never inflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("refs.bib", "@book{a, title={x}}" + " " * 10_000_000)
    return buffer.getvalue()


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
    "zip-bomb.bib": _zip_bomb(),
    "gzip.json": gzip.compress(b"[" + b"{}," * 100_000 + b"{}]"),
    "xxe.json": XXE.encode(),
    "xxe.ris": ("TY  - JOUR\nTI  - Lu\nER  - \n" + XXE + "\n").encode(),
    "xxe.bib": ("@book{ok, title={Lu}}\n" + XXE + "\n@book{b, title={&x;}}").encode(),
    "nested-item.json": b'[{"title": "Lu", "type": "book"},\n{"title": "x", "author": ' + b"[" * 5000 + b"]" * 5000
    + b"}]",
}

#: Where the page says the file could not be read (a refused file's message, or a place in the preview).
WHERE = {
    "nested-item.json": "ligne 2, élément 2",
    "nested.json": "ligne 1, élément 1",
    "xxe.ris": "ligne 4",
    "items-not-dicts.json": "élément 1",
    "unclosed.bib": "ligne 1",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(WHERE))
def test_unreadable_places_are_named_by_line_or_item(client, bureau, people, name):
    client_for(client, people["member"])
    response = client.post(bureau.url + bureau.reverse_subpage("library_import"),
                           {"file": SimpleUploadedFile(name, HOSTILE[name])})
    assert response.status_code in (200, 400) and WHERE[name] in response.content.decode()
    assert not Reference.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_never_break_the_import_page(client, bureau, people, name):
    client_for(client, people["member"])
    url = bureau.url + bureau.reverse_subpage("library_import")
    response = client.post(url, {"file": SimpleUploadedFile(name, HOSTILE[name])})
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page and "root:" not in page  # no entity is ever expanded
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


# --- Hostile references in the texts citing them ----------------------------------------------------

EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>'
CITING = "Voir [@evil, p. 3], `[@evil]`, [un lien [@evil]](javascript:alert(5)), [@inconnu<script>] et [@absent]."


@pytest.mark.django_db
@pytest.mark.parametrize("style", ["author-date", "numeric"])
def test_hostile_references_read_as_written_in_a_report_a_proposal_and_the_protocol(
    client, bureau, study, people, make_protocol, style
):
    from commons import actions
    from studies.models import StudyReportPage
    from tests.studies.report_helpers import make_report

    bureau.citation_style = style
    bureau.save()
    Reference.objects.create(
        bureau=bureau, key="evil", kind="webpage", year=2020, title=EVIL + " <i>Homo sapiens</i> <sc>x</sc>",
        authors=[{"family": EVIL, "given": '"><a href="javascript:alert(3)">x</a>'},
                 {"literal": "<b onmouseover=alert(4)>Org</b>"}],
        container='</i><a href="data:text/html,hi">c</a>', url="javascript:alert(6)",
        doi='10.1/"><script>alert(7)</script>',
    )
    proposal = actions.create_proposal(bureau, people["member"], title="Citer", body=CITING)
    report = make_report(study, [{"type": "text", "value": CITING}], user=people["member"])
    StudyReportPage.objects.get(pk=report.pk).latest_revision.publish(skip_permission_checks=True)
    protocol = make_protocol(study, user=people["coordinator"], objectives=f"<p>{CITING}</p>")
    client_for(client, people["member"])
    pages = {
        "proposal": client.get(bureau.url + bureau.reverse_subpage("proposal_detail", args=[proposal.pk])),
        "report": client.get(StudyReportPage.objects.get(pk=report.pk).url),
        "protocol": client.get(protocol.url),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = response.content.decode()
        for raw in ("<script>alert", "<img src=x", "<b onmouseover", 'href="javascript:', 'href="data:'):
            assert raw not in page, (name, raw)
        # The text reads as written (escaped, not stripped); CSL-JSON's own italics are kept.
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name
        assert "<i>Homo sapiens</i>" in page and 'id="ref-evil"' in page, name
        assert "[@absent ?]" in page, name  # an unknown key, never an error
    assert "<code>[@evil]</code>" in pages["proposal"].content.decode()
