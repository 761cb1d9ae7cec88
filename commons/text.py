"""Shortening text for display: at a word boundary, never inside a word."""

from __future__ import annotations

__all__ = ["shorten_at_word"]

ELLIPSIS = "…"


def shorten_at_word(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut after the last whole word that fits, with « … ».

    Why: a title cut at a fixed length reads « …du champ « Outil héberg »; a reader should see whole
    words. The full text is kept elsewhere (a proposal's body); only what must fit is shortened. A
    single word longer than `limit` is cut (there is no boundary to honour).
    """
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text[: room + 1]
    boundary = cut.rfind(" ")
    head = cut[:boundary] if boundary > 0 else text[:room]
    return head.rstrip(" ,;:—-–«(") + ELLIPSIS
