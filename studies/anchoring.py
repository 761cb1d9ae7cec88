"""Keeping excerpts on their text when an observation's note is edited.

An excerpt is a character range ``[start, end)`` of ``Observation.plain_text`` plus the text it
covered when it was coded (``Excerpt.text``). After the note changes, :func:`reanchor_excerpts`
puts every excerpt back on its own text, or flags it for review:

1. the text is still at the same offsets → **kept**;
2. the old range, mapped through the differences between the old and the new text, lands on the
   same text → **moved** there (text inserted or deleted before the excerpt);
3. otherwise the excerpt's text is searched for in the new text: found once → **moved** there;
   found several times → **moved** to the occurrence nearest to where the old position maps;
4. not found (the excerpt's own words were edited, or removed) → **flagged** ``needs_review``.
   Its offsets then point at what became of the old range (mapped through the differences,
   clamped inside the new text) so a reviewer sees where it was; they are never moved onto
   unrelated text without the flag. ``Excerpt.text`` keeps the coded words for that review.

The mapping uses :class:`difflib.SequenceMatcher` opcodes (``autojunk`` off: in French prose the
frequent characters are exactly the ones the heuristic would ignore).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Observation

__all__ = ["map_offset", "move_to_line_breaks", "reanchor_excerpts"]

Opcodes = list[tuple[str, int, int, int, int]]


def _opcodes(old_text: str, new_text: str) -> Opcodes:
    return SequenceMatcher(None, old_text, new_text, autojunk=False).get_opcodes()


def _map(opcodes: Opcodes, offset: int, new_len: int, *, end: bool = False) -> int:
    """Where position `offset` of the old text is in the new text.

    A position inside unchanged text moves with it. A position inside replaced text goes to the
    same distance into the replacement (bounded by its length); inside deleted text, to where the
    deletion happened. `end=True` treats the offset as an exclusive end boundary: a boundary that
    sits just before inserted text stays before it (the insertion is not pulled into the range).
    """
    if offset <= 0:
        return 0
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "insert":
            continue
        inside = i1 < offset <= i2 if end else i1 <= offset < i2
        if inside:
            if tag == "equal":
                return j1 + (offset - i1)
            if tag == "replace":
                return j1 + min(offset - i1, j2 - j1)
            return j1  # delete
    return new_len


def map_offset(old_text: str, new_text: str, offset: int) -> int:
    """Position in `new_text` corresponding to position `offset` of `old_text` (see `_map`)."""
    return _map(_opcodes(old_text, new_text), offset, len(new_text))


def _occurrences(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def reanchor_excerpts(observation: Observation, old_text: str) -> dict[str, int]:
    """Re-anchor the excerpts of `observation` after its plain text changed from `old_text`.

    `observation.plain_text` must already be the new text. Saves the excerpts whose offsets or
    review flag changed (one bulk update) and returns counts ``{"kept", "moved", "flagged"}``.
    """
    new_text = observation.plain_text or ""
    old_text = old_text or ""
    new_len = len(new_text)
    counts = {"kept": 0, "moved": 0, "flagged": 0}
    opcodes: Opcodes | None = None
    changed = []
    for excerpt in observation.excerpts.all():
        before = (excerpt.start, excerpt.end, excerpt.needs_review)
        needle = excerpt.text
        if needle and new_text[excerpt.start : excerpt.end] == needle:
            counts["kept"] += 1
            excerpt.needs_review = False
        else:
            if opcodes is None:
                opcodes = _opcodes(old_text, new_text)
            mapped_start = _map(opcodes, excerpt.start, new_len)
            occurrences = _occurrences(new_text, needle) if needle else []
            if occurrences:
                start = min(occurrences, key=lambda at: (abs(at - mapped_start), at))
                excerpt.start, excerpt.end = start, start + len(needle)
                excerpt.needs_review = False
                counts["moved"] += 1
            else:
                mapped_end = _map(opcodes, excerpt.end, new_len, end=True)
                if mapped_end > mapped_start:
                    excerpt.start, excerpt.end = mapped_start, mapped_end
                elif min(excerpt.end, new_len) > min(excerpt.start, new_len):
                    excerpt.start, excerpt.end = min(excerpt.start, new_len), min(excerpt.end, new_len)
                # else: nothing non-empty is left to point at; keep the offsets (end > start holds)
                # and rely on the flag. Renderers clamp offsets to the text.
                excerpt.needs_review = True
                counts["flagged"] += 1
        if (excerpt.start, excerpt.end, excerpt.needs_review) != before:
            changed.append(excerpt)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["start", "end", "needs_review"])
        from . import agreement_summaries  # a bulk update sends no signal: the agreement's rows

        agreement_summaries.refresh([observation.pk])
    return counts


def _collapsed_map(text: str) -> tuple[str, list[int], list[int]]:
    """`text` with its whitespace collapsed (`commons.markup.collapse_whitespace`), and where each
    position of the collapsed text starts and ends in `text`.

    ``starts[i]`` is where collapsed character ``i`` begins in `text`, ``ends[i]`` where it ends (a
    collapsed space stands for a whole run of whitespace); both have one extra entry for the end.
    """
    collapsed: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    stripped_start = len(text) - len(text.lstrip())
    body = text.strip()
    for match in re.finditer(r"\s+|\S+", body):
        at = stripped_start + match.start()
        if match.group()[0].isspace():
            collapsed.append(" ")
            starts.append(at)
            ends.append(stripped_start + match.end())
        else:
            collapsed.append(match.group())
            starts.extend(range(at, at + len(match.group())))
            ends.extend(range(at + 1, at + len(match.group()) + 1))
    end = stripped_start + len(body)
    starts.append(end)
    ends.append(end)
    return "".join(collapsed), starts, ends


def move_to_line_breaks(excerpts: list, old_text: str, new_text: str) -> list:
    """Put excerpts coded on `old_text` (a plain text on one line) onto the same words of `new_text`
    (the same note's plain text with its line breaks kept); return the excerpts changed.

    Why: keeping line breaks in the plain text (paragraphs, list items, speaker turns) shifts every
    offset after the first break, and an excerpt spanning a break now covers ``"…\\n…"`` where its
    text said ``"… …"``. The data migration calls this with the rows as stored. `new_text` with its
    whitespace collapsed normally *is* `old_text`; the excerpts are then re-anchored on that
    collapsed text as after an edit (kept, moved or flagged — a note edited without its plain text
    being refreshed still lands on its words or is flagged, never shifted silently), and their
    offsets carried over exactly to `new_text`. `Excerpt.text` becomes the new slice (the same
    words), except for a flagged excerpt, whose coded words are kept for the reviewer.
    Works on unsaved objects with `start`, `end`, `text` and `needs_review`; the caller saves.
    """
    collapsed, starts, ends = _collapsed_map(new_text)
    opcodes: Opcodes | None = None
    changed = []
    for excerpt in excerpts:
        before = (excerpt.start, excerpt.end, excerpt.text, excerpt.needs_review)
        needle = " ".join((excerpt.text or "").split())
        start, end = excerpt.start, excerpt.end
        if not (needle and collapsed[start:end] == needle and old_text == collapsed):
            if opcodes is None:
                opcodes = _opcodes(old_text, collapsed)
            mapped_start = _map(opcodes, start, len(collapsed))
            occurrences = _occurrences(collapsed, needle) if needle else []
            if occurrences:
                start = min(occurrences, key=lambda at: (abs(at - mapped_start), at))
                end = start + len(needle)
            else:
                mapped_end = _map(opcodes, end, len(collapsed), end=True)
                if mapped_end > mapped_start:
                    start, end = mapped_start, mapped_end
                excerpt.needs_review = True
        start = min(start, len(collapsed))
        end = min(end, len(collapsed))
        if end > start:
            excerpt.start, excerpt.end = starts[start], ends[end - 1]
            if not excerpt.needs_review:
                excerpt.text = new_text[excerpt.start : excerpt.end]
        if (excerpt.start, excerpt.end, excerpt.text, excerpt.needs_review) != before:
            changed.append(excerpt)
    return changed
