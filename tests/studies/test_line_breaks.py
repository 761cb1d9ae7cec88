"""Issue 11 item 7: the coded text keeps paragraphs, lists and speaker turns; existing excerpts are
moved onto the same words by the data migration — none changes its words."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from commons.markup import collapse_whitespace, plain_text
from participants.models import Informant
from studies.anchoring import move_to_line_breaks
from studies.models import Excerpt, Interview, Observation
from tests.conftest import client_for

migration = importlib.import_module("studies.migrations.0006_plain_text_keeps_line_breaks")

NOTE = """Réunion du CA, le chargé de communication présente ses essais.

- durée du débat : 25 minutes
- décision : essai de 2 mois

Le compte rendu sera hébergé sur le serveur du lieu.
La trésorière relit tout."""

TRANSCRIPT = """Enquêtrice — Qui relit les comptes rendus ?
Nadia — C'est une collègue, la trésorière.
Enquêtrice — Et l'IA ?
Nadia — On l'utilise pour les comptes rendus, jamais pour les décisions."""


def test_plain_text_keeps_paragraphs_list_items_and_speaker_turns():
    text = plain_text(NOTE)
    assert "présente ses essais.\n\ndurée du débat : 25 minutes" in text
    assert "25 minutes\n\ndécision : essai de 2 mois" in text
    assert "serveur du lieu.\nLa trésorière" in text
    turns = plain_text(TRANSCRIPT)
    assert turns.split("\n") == TRANSCRIPT.split("\n")
    # Only whitespace changed: the former one-line plain text is the collapsed form.
    assert collapse_whitespace(text) == " ".join(text.split())
    assert "  " not in text and "\n\n\n" not in text and text == text.strip()


def test_plain_text_entities_and_spaces():
    assert plain_text("a &amp; b\u00a0c   d") == "a & b c d"
    assert plain_text("") == ""


def _old_rows(model, source, phrases, code_field):
    """Store the source as it was before: one-line plain text, excerpts on its offsets."""
    old = collapse_whitespace(plain_text(getattr(source, model.text_field)))
    model.objects.filter(pk=source.pk).update(plain_text=old)
    excerpts = []
    for phrase in phrases:
        start = old.index(phrase)
        excerpts.append(Excerpt.objects.create(**{code_field: source}, start=start, end=start + len(phrase),
                                               text=phrase))
    return old


PHRASES = [
    "présente ses essais. durée du débat",  # spans a paragraph break and a list item
    "décision : essai de 2 mois",
    "serveur du lieu. La trésorière relit tout.",  # spans a line break
    "Réunion",
]
TURN_PHRASES = ["Qui relit les comptes rendus ? Nadia — C'est une collègue", "jamais pour les décisions."]


@pytest.mark.django_db
def test_migration_moves_every_excerpt_to_the_same_words(bureau, study, make_collective):
    collective = make_collective(bureau)
    observation = Observation.objects.create(study=study, collective=collective, setting="meeting",
                                             title="CA", body=NOTE)
    informant = Informant.objects.create(collective=collective, pseudonym="Nadia")
    interview = Interview.objects.create(study=study, informant=informant, title="Entretien", transcript=TRANSCRIPT)
    _old_rows(Observation, observation, PHRASES, "observation")
    _old_rows(Interview, interview, TURN_PHRASES, "interview")
    # A flagged excerpt (its words were edited away before) stays flagged with its coded words.
    flagged = Excerpt.objects.create(observation=observation, start=0, end=7, text="Assemblée", needs_review=True)
    before = {e.pk: collapse_whitespace(e.text) for e in Excerpt.objects.all()}

    migration.move_plain_text_to_line_breaks(apps)

    observation.refresh_from_db()
    interview.refresh_from_db()
    assert observation.plain_text == plain_text(NOTE) and "\n" in observation.plain_text
    assert interview.plain_text == plain_text(TRANSCRIPT)
    for excerpt in Excerpt.objects.select_related("observation", "interview"):
        source = excerpt.observation or excerpt.interview
        covered = source.plain_text[excerpt.start : excerpt.end]
        if excerpt.pk == flagged.pk:
            assert excerpt.needs_review and excerpt.text == "Assemblée"
            continue
        assert not excerpt.needs_review
        assert excerpt.text == covered, "the excerpt's text is the new slice (what reanchoring compares)"
        assert collapse_whitespace(covered) == before[excerpt.pk], "no excerpt changes its words"
    spanning = Excerpt.objects.get(observation=observation, text__startswith="présente")
    assert spanning.text == "présente ses essais.\n\ndurée du débat"

    # Running it again changes nothing; the reverse puts the one-line text and offsets back.
    migration.move_plain_text_to_line_breaks(apps)
    assert Excerpt.objects.get(pk=spanning.pk).text == spanning.text
    migration.back_to_one_line(apps)
    observation.refresh_from_db()
    assert observation.plain_text == collapse_whitespace(plain_text(NOTE))
    for excerpt in Excerpt.objects.exclude(pk=flagged.pk):
        source = excerpt.observation or excerpt.interview
        assert source.plain_text[excerpt.start : excerpt.end] == before[excerpt.pk]


def test_move_to_line_breaks_when_the_stored_text_was_stale():
    """A note edited without its plain text refreshed: excerpts land on their words or are flagged."""

    class Row:
        def __init__(self, start, end, text):
            self.start, self.end, self.text, self.needs_review = start, end, text, False

    old = "Avant. Le bureau utilise ChatGPT. Fin."
    new = "Depuis mars, le bureau\nutilise ChatGPT.\n\nFin."
    kept = Row(old.index("bureau utilise"), old.index("bureau utilise") + len("bureau utilise"), "bureau utilise")
    gone = Row(0, 6, "Avant.")
    changed = move_to_line_breaks([kept, gone], old, new)
    assert new[kept.start : kept.end] == "bureau\nutilise" == kept.text and not kept.needs_review
    assert gone.needs_review and gone.text == "Avant."
    assert kept in changed and gone in changed


@pytest.mark.django_db
def test_coding_view_shows_the_paragraphs(client, bureau, study, make_collective, people):
    observation = Observation.objects.create(study=study, collective=make_collective(bureau), setting="meeting",
                                             title="CA", body=NOTE)
    page = client_for(client, people["member"]).get(f"{study.url}observations/{observation.pk}/").content.decode()
    coding = page[page.index('id="coding-text"'):]
    coding = coding[: coding.index("</div>")]
    assert "présente ses essais.\n\ndurée du débat" in coding
