"""Which unit an imported file's selections count in, and converting them to ours.

Our excerpts are ``[start, end)`` in code points of a text with LF line breaks (Python string
indices), and that is what we export — the standard's reading. Real files differ (NOTES.md): NVivo
counts UTF-16 code units and a CRLF as two; ATLAS.ti counts a CRLF as one. So for each imported
source we try the four readings {code points, UTF-16 units} × {CRLF = 1, CRLF = 2} on the text
after stripping its byte-order mark, and keep the one under which the selections fall inside the
text, on word boundaries, and match the text the selection's ``name`` quotes when it does. Ties go
to the standard's reading. The reading kept is recorded in the import report.

A reading is a strictly increasing map from our index ``i`` to the file's position
``i + extra(i)``, where ``extra`` adds one for each astral character (UTF-16) and each CRLF (when
counted as two) before ``i``: converting a position is a bisection, never a walk of the text.
"""

from __future__ import annotations

import codecs
from bisect import bisect_left
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

READINGS = (
    ("code points", False, False),
    ("code points, CRLF = 2", False, True),
    ("UTF-16 units", True, False),
    ("UTF-16 units, CRLF = 2", True, True),
)
STANDARD = READINGS[0][0]
#: How each reading is said to the user (the report); the labels above are stable keys.
SAID = {
    "code points": _("code points (the standard)"),
    "code points, CRLF = 2": _("code points, a Windows line break counted as two"),
    "UTF-16 units": _("UTF-16 units (as NVivo and browsers count)"),
    "UTF-16 units, CRLF = 2": _("UTF-16 units, a Windows line break counted as two (as NVivo on Windows)"),
}


def decode_text(data: bytes) -> tuple[str, bool]:
    """The text of a source file (UTF-8 or UTF-16 with a BOM), without its BOM, and whether it had
    CRLF line breaks. Undecodable bytes are replaced rather than refused (reported by the caller)."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8-sig", errors="replace")
    return text.lstrip("\ufeff"), "\r\n" in text


def normalise(text: str) -> str:
    """Our text: LF line breaks (a CRLF or a lone CR becomes one LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Reading:
    """One way of counting positions in `text` (our text) as the file did (see module docstring)."""

    label: str
    wide: list[int]  # our indices of the characters that count for two
    total: int  # our text's length

    @classmethod
    def of(cls, label: str, text: str, crlf_positions: set[int], utf16: bool, crlf2: bool) -> Reading:
        wide = []
        for index, char in enumerate(text):
            if (utf16 and ord(char) > 0xFFFF) or (crlf2 and char == "\n" and index in crlf_positions):
                wide.append(index)
        return cls(label, wide, len(text))

    def outer(self, index: int) -> int:
        """The file's position of our index."""
        return index + bisect_left(self.wide, index)

    def inner(self, position: int) -> int | None:
        """Our index at the file's `position`, or None if it is outside the text or splits a character."""
        if position < 0:
            return None
        low, high = 0, self.total
        while low <= high:
            middle = (low + high) // 2
            value = self.outer(middle)
            if value == position:
                return middle
            if value < position:
                low = middle + 1
            else:
                high = middle - 1
        return None


def _crlf_positions(raw: str) -> set[int]:
    """Our indices of the LFs that were CRLFs in the raw text."""
    positions, shift, index = set(), 0, raw.find("\r\n")
    while index != -1:
        positions.add(index - shift)
        shift += 1
        index = raw.find("\r\n", index + 2)
    return positions


def _boundary(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return True
    return not (text[index - 1].isalnum() and text[index].isalnum())


def _quoted(name: str) -> str:
    """The text a selection's `name` quotes (ATLAS.ti writes the passage, cut with « … »)."""
    return (name or "").rstrip("…").rstrip(".").strip()


def choose(raw: str, spans: list[tuple[int, int, str]]) -> tuple[Reading, str]:
    """The reading of `raw` (BOM stripped, line breaks as in the file) that fits `spans`
    (start, end, name) best, and our normalised text. See the module docstring."""
    text = normalise(raw)
    crlf = _crlf_positions(raw) if "\r\n" in raw else set()
    astral = any(ord(char) > 0xFFFF for char in text)
    best, best_score = None, None
    for label, utf16, crlf2 in READINGS:
        if (utf16 and not astral) or (crlf2 and not crlf):
            continue  # coincides with a reading already tried
        reading = Reading.of(label, text, crlf, utf16, crlf2)
        score = 0
        for start, end, name in spans:
            first, last = reading.inner(start), reading.inner(end)
            if first is None or last is None or last <= first:
                score -= 10
                continue
            score += _boundary(text, first) + _boundary(text, last)
            # Tools trim selections: a passage that starts or ends with a blank was misread (an emoji
            # just before the end shifts it by one, onto the following space, in the wrong unit).
            score += (not text[first].isspace()) + (not text[last - 1].isspace())
            quoted = _quoted(name)
            if quoted and len(quoted) >= 3:
                passage = text[first:last]
                if (
                    passage.startswith(quoted)
                    or quoted.startswith(passage.strip())
                    or passage.strip() == quoted
                ):
                    score += 4
        if best_score is None or score > best_score:
            best, best_score = reading, score
    return best, text
