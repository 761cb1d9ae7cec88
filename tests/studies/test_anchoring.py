"""Excerpts follow their text when a note is edited, or are flagged for review — never silently shifted."""

from __future__ import annotations

import pytest

from studies.anchoring import map_offset, reanchor_excerpts
from studies.models import Code, Excerpt, Observation

OLD = "Le bureau utilise ChatGPT pour les comptes rendus. La trésorière relit tout."


# --- map_offset (pure) -----------------------------------------------------------------------------


def test_map_offset_unchanged_text():
    assert [map_offset(OLD, OLD, at) for at in (0, 10, len(OLD))] == [0, 10, len(OLD)]


def test_map_offset_after_insertion_before():
    new = "Depuis mars, l" + OLD[1:]
    at = OLD.index("ChatGPT")
    assert new[map_offset(OLD, new, at):].startswith("ChatGPT")


def test_map_offset_after_deletion_before():
    new = OLD.replace("utilise ", "")
    at = OLD.index("ChatGPT")
    assert new[map_offset(OLD, new, at):].startswith("ChatGPT")


def test_map_offset_inside_deleted_text_goes_to_the_deletion_point():
    new = OLD.replace(" pour les comptes rendus", "")
    at = OLD.index("comptes")
    assert map_offset(OLD, new, at) == OLD.index(" pour")


def test_map_offset_bounds():
    assert map_offset(OLD, "abc", 0) == 0
    assert map_offset(OLD, "abc", len(OLD)) == 3
    assert map_offset("", "abc", 0) == 0


# --- reanchor_excerpts -----------------------------------------------------------------------------


@pytest.fixture
def observation(bureau, study, make_collective):
    return Observation.objects.create(study=study, collective=make_collective(bureau), setting="meeting",
                                      title="Réunion", body=OLD)


@pytest.fixture
def code(study):
    return Code.objects.create(study=study, name="usages")


def excerpt_of(observation, code, text, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = observation.plain_text.index(text, start + 1)
    excerpt = Excerpt.objects.create(observation=observation, start=start, end=start + len(text), text=text)
    excerpt.codes.add(code)
    return excerpt


def edit(observation, body):
    old_text = observation.plain_text
    observation.body = body
    observation.save()
    return reanchor_excerpts(observation, old_text)


def on_text(excerpt) -> str:
    excerpt.refresh_from_db()
    return excerpt.observation.plain_text[excerpt.start:excerpt.end]


def test_unchanged_note_keeps_every_excerpt(observation, code):
    excerpt = excerpt_of(observation, code, "ChatGPT")
    assert edit(observation, OLD) == {"kept": 1, "moved": 0, "flagged": 0}
    assert on_text(excerpt) == "ChatGPT" and not excerpt.needs_review


def test_insertion_before_moves_the_excerpt(observation, code):
    excerpt = excerpt_of(observation, code, "comptes rendus")
    before = excerpt.start
    assert edit(observation, "Depuis mars, le" + OLD[2:]) == {"kept": 0, "moved": 1, "flagged": 0}
    assert on_text(excerpt) == "comptes rendus" and excerpt.start == before + len("Depuis mars, ") and (
        not excerpt.needs_review
    )


def test_deletion_before_moves_the_excerpt(observation, code):
    excerpt = excerpt_of(observation, code, "La trésorière relit tout")
    assert edit(observation, OLD.replace(" pour les comptes rendus", "")) == {"kept": 0, "moved": 1, "flagged": 0}
    assert on_text(excerpt) == "La trésorière relit tout"


def test_edit_after_keeps_the_excerpt(observation, code):
    excerpt = excerpt_of(observation, code, "ChatGPT")
    assert edit(observation, OLD + " Fin.") == {"kept": 1, "moved": 0, "flagged": 0}
    assert on_text(excerpt) == "ChatGPT"


def test_edit_inside_the_excerpt_flags_it(observation, code):
    excerpt = excerpt_of(observation, code, "pour les comptes rendus")
    new = OLD.replace("pour les comptes rendus", "pour les procès-verbaux")
    assert edit(observation, new) == {"kept": 0, "moved": 0, "flagged": 1}
    excerpt.refresh_from_db()
    assert excerpt.needs_review
    assert excerpt.text == "pour les comptes rendus"  # the coded words are kept for the review
    assert 0 <= excerpt.start < excerpt.end <= len(observation.plain_text)
    # It points at what became of the old range, not at unrelated text.
    assert observation.plain_text[excerpt.start:excerpt.end] == "pour les procès-verbaux"


def test_duplicate_text_picks_the_nearest_occurrence(bureau, study, make_collective, code):
    body = "Un outil. Le Chat aide. Deux outils. Le Chat traduit. Trois outils. Le Chat résume."
    observation = Observation.objects.create(study=study, collective=make_collective(bureau),
                                             setting="meeting", title="t", body=body)
    second = excerpt_of(observation, code, "Le Chat", nth=1)
    third = excerpt_of(observation, code, "Le Chat", nth=2)
    # Insert text before everything and rewrite the first sentence: the naive search would find
    # the first « Le Chat », the nearest occurrence of the mapped position is the right one.
    new = "Préambule ajouté ici. " + body.replace("Un outil.", "Un seul outil, longuement décrit.")
    assert edit(observation, new) == {"kept": 0, "moved": 2, "flagged": 0}
    second.refresh_from_db()
    third.refresh_from_db()
    text = observation.plain_text
    assert text[second.start:].startswith("Le Chat traduit")
    assert text[third.start:].startswith("Le Chat résume")


def test_duplicate_text_when_the_coded_occurrence_moved_inside_repeats(bureau, study, make_collective, code):
    body = "IA ici. IA là. IA partout."
    observation = Observation.objects.create(study=study, collective=make_collective(bureau),
                                             setting="meeting", title="t", body=body)
    middle = excerpt_of(observation, code, "IA là")
    assert edit(observation, "Début. " + body) == {"kept": 0, "moved": 1, "flagged": 0}
    assert on_text(middle) == "IA là"


def test_text_removed_entirely_flags_the_excerpt(observation, code):
    excerpt = excerpt_of(observation, code, "La trésorière relit tout.")
    new = "Le bureau utilise ChatGPT pour les comptes rendus."
    assert edit(observation, new) == {"kept": 0, "moved": 0, "flagged": 1}
    excerpt.refresh_from_db()
    assert excerpt.needs_review
    assert excerpt.end > excerpt.start


def test_flagged_offsets_stay_inside_the_new_text(observation, code):
    excerpt = excerpt_of(observation, code, "La trésorière relit tout.")
    assert edit(observation, "Court.") == {"kept": 0, "moved": 0, "flagged": 1}
    excerpt.refresh_from_db()
    assert excerpt.needs_review and 0 <= excerpt.start < excerpt.end <= len("Court.")


def test_emptied_note_flags_and_keeps_a_valid_range(observation, code):
    excerpt = excerpt_of(observation, code, "ChatGPT")
    before = (excerpt.start, excerpt.end)
    observation.body = "   "
    old = OLD
    observation.save()
    assert observation.plain_text == ""
    assert reanchor_excerpts(observation, old) == {"kept": 0, "moved": 0, "flagged": 1}
    excerpt.refresh_from_db()
    assert excerpt.needs_review and (excerpt.start, excerpt.end) == before  # end > start still holds


def test_a_flagged_excerpt_whose_text_comes_back_is_re_anchored(observation, code):
    excerpt = excerpt_of(observation, code, "ChatGPT")
    edit(observation, OLD.replace("ChatGPT", "Le Chat"))
    excerpt.refresh_from_db()
    assert excerpt.needs_review
    assert edit(observation, "Aujourd'hui : " + OLD) == {"kept": 0, "moved": 1, "flagged": 0}
    assert on_text(excerpt) == "ChatGPT" and not excerpt.needs_review


def test_several_excerpts_counted(observation, code):
    kept = excerpt_of(observation, code, "Le bureau")
    moved = excerpt_of(observation, code, "trésorière")
    flagged = excerpt_of(observation, code, "comptes rendus")
    new = OLD.replace("comptes rendus", "procès-verbaux de séance")
    assert edit(observation, new) == {"kept": 1, "moved": 1, "flagged": 1}
    assert on_text(kept) == "Le bureau"
    assert on_text(moved) == "trésorière"
    flagged.refresh_from_db()
    assert flagged.needs_review


def test_reanchoring_costs_constant_queries(observation, code, django_assert_max_num_queries):
    for word in ("Le bureau", "ChatGPT", "comptes", "trésorière", "relit"):
        excerpt_of(observation, code, word)
    old = observation.plain_text
    observation.body = "Préambule. " + OLD
    observation.save()
    # Two queries to re-anchor, then the agreement's rows of the note recomputed (a bulk update sends
    # no signal: `studies.agreement_summaries`), at a cost that does not depend on its excerpts.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from studies import agreement_summaries

    with CaptureQueriesContext(connection) as recompute:
        agreement_summaries.refresh([observation.pk])
    with django_assert_max_num_queries(2 + len(recompute)):
        assert reanchor_excerpts(observation, old)["moved"] == 5
