"""Issue 11 item 15: the French reads as a member would write it — « courriel » / « adresse
électronique », never « e-mail » (allauth's own strings included), and no phrase that reads like a
translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils.translation import gettext, override, pgettext

from tests.site.test_translations import APPS, parse_po

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("app", APPS)
def test_no_e_mail_in_french(app):
    path = ROOT / app / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    found = [str(e) for e in parse_po(path) if any("e-mail" in t.lower() for t in e.translations)]
    assert not found, found


def test_allauth_speaks_of_courriel(client, db):
    with override("fr"):
        assert "e-mail" not in gettext("Email address").lower()
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode().lower()
    assert "e-mail" not in page


def test_rewritten_phrases():
    with override("fr"):
        assert gettext("withdrawn") == "retirée"
        assert pgettext("consent", "withdrawn") == "retiré"
        for msgid in ("Select a passage of the note (its start is missing).",
                      "Select a passage of the transcript (its start is missing)."):
            assert "manque" not in gettext(msgid) and "sélectionn" in gettext(msgid).lower()
        summary = gettext("Say what this revision changes and why: it is the title of the vote and the summary of "
                          "the version (the summary of the version in force is still here).")
        assert "encore là" not in summary and summary.startswith("Dites")
