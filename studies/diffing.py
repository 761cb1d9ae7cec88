"""What changed between two versions of a protocol, section by section, word by word.

Readable by someone who has never seen a diff: each section of the protocol is compared as text
(rich text reduced to its paragraphs; the grid and the guide written out as lines), and the
changes are marked as words added and words removed within the section. Pure functions over
protocol bodies; the templates render `SectionDiff.segments` with <ins> and <del>. The same word
diff (`word_diff`, one tokeniser) shows an observation's edit conflict (`word_diff_html`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import SafeString
from django.utils.text import capfirst, normalize_newlines
from django.utils.translation import gettext as _

from .blocks import SECTION_ORDER, FieldType, split_choices

#: Spaces, words (with their inner apostrophes and hyphens: « l'IA », « semi-directifs »), and
#: punctuation on its own, so that adding words before a full stop leaves the stop unmarked.
_TOKEN = re.compile(r"\s+|\w(?:[\w'’-]*\w)?|[^\w\s]+")
_WORD = re.compile(r"\w(?:[\w'’-]*\w)?")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote)>|<br\s*/?>", re.IGNORECASE)


def section_labels() -> dict[str, str]:
    from .blocks import ProtocolBodyBlock

    return {name: str(block.label) for name, block in ProtocolBodyBlock.base_blocks.items()}


def _rich_text(value) -> str:
    html = _BLOCK_END.sub("\n", str(getattr(value, "source", value)))
    text = strip_tags(html)
    from html import unescape

    lines = [" ".join(unescape(line).split()) for line in normalize_newlines(text).split("\n")]
    return "\n".join(line for line in lines if line)


def _grid_text(fields) -> str:
    types = dict(FieldType.CHOICES)
    lines = []
    for item in fields:
        line = f"{item['label']} [{item['name']}] — {types.get(item['field_type'], item['field_type'])}"
        choices = split_choices(item.get("choices"))
        if choices:
            line += " : " + " / ".join(choices)
        if item.get("required"):
            line += " — " + _("required")
        lines.append(line)
    return "\n".join(lines)


def _guide_text(questions) -> str:
    lines = []
    for number, item in enumerate(questions, start=1):
        lines.append(f"{number}. {' '.join(str(item['question']).split())}")
        lines.extend(f"   – {probe}" for probe in item["probes"])
    return "\n".join(lines)


def section_texts(body) -> dict[str, str]:
    """{section key: its text}, for the sections present in a protocol body."""
    parts: dict[str, list[str]] = {}
    for child in body or ():
        if child.block_type == "observation_grid":
            text = _grid_text(child.value)
        elif child.block_type == "interview_guide":
            text = _guide_text(child.value)
        else:
            text = _rich_text(child.value)
        parts.setdefault(child.block_type, []).append(text)
    return {key: "\n".join(texts) for key, texts in parts.items()}


@dataclass
class Segment:
    op: str  # "equal" | "insert" | "delete"
    text: str


@dataclass
class SectionDiff:
    key: str
    label: str
    status: str  # "unchanged" | "changed" | "added" | "removed"
    segments: list[Segment] = field(default_factory=list)
    words_added: int = 0
    words_removed: int = 0

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


def _words(text: str) -> int:
    """Words in a piece of text; punctuation alone is no word."""
    return len(_WORD.findall(text))


def word_diff(old: str, new: str) -> list[Segment]:
    """Segments of `new` against `old`, at word granularity (spaces kept, so lines survive)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    segments: list[Segment] = []

    def add(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1].text += text
        else:
            segments.append(Segment(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", b[j1:j2])
        else:
            if i2 > i1:
                add("delete", a[i1:i2])
            if j2 > j1:
                add("insert", b[j1:j2])
    return merge_replacements(segments)


def word_diff_html(old: str, new: str) -> SafeString:
    """`new` compared with `old` as HTML, for a short text (a field, a note in an edit conflict):
    removed words in <del>, added ones in <ins>, from the same `word_diff` as the protocol pages.

    Every piece of text is escaped by `format_html`; only the <ins>/<del> tags are markup.
    """
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    segments = word_diff(old or "", new or "")
    return format_html_join("", "{}", ((format_html(tags[seg.op], seg.text),) for seg in segments))


def merge_replacements(segments: list[Segment]) -> list[Segment]:
    """Fold the spaces left equal between two changes into them: « <del>a</del><ins>x</ins>
    <del>b</del><ins>y</ins> » reads « <del>a b</del><ins>x y</ins> », a phrase replaced by another.
    The old text (equal + delete) and the new one (equal + insert) stay the same."""
    merged: list[Segment] = []
    removed, added = "", ""

    def flush() -> None:
        nonlocal removed, added
        if removed:
            merged.append(Segment("delete", removed))
        if added:
            merged.append(Segment("insert", added))
        removed, added = "", ""

    for index, segment in enumerate(segments):
        if segment.op == "delete":
            removed += segment.text
        elif segment.op == "insert":
            added += segment.text
        else:
            between_changes = (removed or added) and index + 1 < len(segments)
            if between_changes and not segment.text.strip() and "\n" not in segment.text:
                removed += segment.text
                added += segment.text
                continue
            flush()
            merged.append(segment)
    flush()
    return merged


def diff_bodies(old_body, new_body) -> list[SectionDiff]:
    """The protocol's sections in reading order, each with its status and its word diff."""
    return diff_texts(section_texts(old_body), section_texts(new_body), SECTION_ORDER, section_labels())


def diff_texts(old: dict[str, str], new: dict[str, str], order, labels: dict[str, str]) -> list[SectionDiff]:
    """Sections (by key, in `order`) of two texts, each with its status and its word diff.

    Written once for protocols (sections) and reports (blocks, figures included as text lines)."""
    result = []
    for key in order:
        if key not in old and key not in new:
            continue
        before, after = old.get(key, ""), new.get(key, "")
        if key not in old:
            status = "added"
        elif key not in new:
            status = "removed"
        else:
            status = "unchanged" if before == after else "changed"
        # An unchanged section is one equal run: no need for the (quadratic) matcher.
        if before == after:
            segments = [Segment("equal", after)] if after else []
        else:
            segments = word_diff(before, after)
        result.append(
            SectionDiff(
                key=key,
                label=labels.get(key, key),
                status=status,
                segments=segments,
                words_added=sum(_words(s.text) for s in segments if s.op == "insert"),
                words_removed=sum(_words(s.text) for s in segments if s.op == "delete"),
            )
        )
    return result


def summary_markdown(sections: list[SectionDiff]) -> str:
    """A short Markdown list of the changed sections, for a proposal's body."""
    changed = [section for section in sections if section.changed]
    if not changed:
        return _("No section of the protocol changes.")
    lines = []
    for section in changed:
        status = {
            "changed": _("modified"),
            "added": _("new section"),
            "removed": _("section removed"),
        }[section.status]
        words, label = _("words"), capfirst(section.label)
        lines.append(f"- **{label}** : {status} (+{section.words_added} / −{section.words_removed} {words})")
    return "\n".join(lines)
