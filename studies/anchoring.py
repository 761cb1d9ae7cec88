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

from difflib import SequenceMatcher
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Observation

__all__ = ["map_offset", "reanchor_excerpts"]

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
    return counts
