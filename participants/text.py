"""What counts as « nothing written »: text made only of invisible characters.

Why: ``str.strip()`` removes whitespace but not the zero-width space (U+200B), the word joiner
(U+2060), the byte-order mark (U+FEFF) or other format characters, so a blocking objection, a
title or a memo made of them passed every « required » check and showed as an empty box. Every
place where text is required asks `is_blank` (or uses `participants.formfields.VisibleTextMixin`).

It lives in `participants`, the base of the dependency chain (`participants` <- `commons` <-
`studies`), because every app's forms need it and `participants` may import neither of the others.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_SEARCH_TERMS", "is_blank", "search_terms", "shorten_at_word", "visible"]

#: Categories that show nothing: separators (Zs, Zl, Zp), control (Cc), format (Cf: zero-width
#: space and joiners, word joiner, BOM, bidi marks...) and lone surrogates.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs"})
#: Shown as blank although their category says otherwise (Hangul fillers, braille blank).
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: Combining marks alone (« \u0301 ») print nothing either, but after a letter they belong to it.
_MARKS = frozenset({"Mn", "Me"})


def _shows_something(char: str) -> bool:
    if char.isspace() or char in _BLANK_CHARACTERS:
        return False
    category = unicodedata.category(char)
    return category not in _INVISIBLE_CATEGORIES and category not in _MARKS


def is_blank(text: str | None) -> bool:
    """True when `text` shows nothing: empty, or only whitespace, control, format or other invisible
    characters (zero-width spaces and joiners, word joiner, BOM, bidi marks, Hangul fillers...)."""
    return not text or not any(_shows_something(char) for char in text)


def visible(text: str | None) -> str:
    """`text` without leading and trailing invisible characters (whitespace included).

    Combining marks right after the last visible character stay: they belong to it (« e\u0301 »).
    """
    if not text:
        return ""
    start = next((i for i, char in enumerate(text) if _shows_something(char)), len(text))
    last = next((i for i in range(len(text) - 1, -1, -1) if _shows_something(text[i])), -1)
    if last < start:
        return ""
    end = last + 1
    while end < len(text) and unicodedata.category(text[end]) in _MARKS:
        end += 1
    return text[start:end]


#: More words than this in one search is not a question anyone types.
MAX_SEARCH_TERMS = 20
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str | None) -> str:
    """The words of what someone typed in a search box, space-separated: safe for every backend.

    Wagtail's database backends pass terms to the database's own query syntax (FTS5 on SQLite):
    a lone ``"`` there is a syntax error, i.e. a 500. Quotes, operators and brackets carry no
    meaning in our search boxes, so only the words are kept (at most `MAX_SEARCH_TERMS`); an
    empty result means « search for nothing ».
    """
    return " ".join(_WORD.findall(query or "")[:MAX_SEARCH_TERMS])


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
