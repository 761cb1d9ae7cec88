"""``[@key]`` citations formatted with citeproc-py in the bureau's chosen CSL style (French locale).

Why a `Citer` object: a page's reference list comes at its end and covers every text of the page (a
report has many text blocks), and a numeric style numbers citations in their order of appearance
across all of them. So a page builds one `Citer`, `register`s every text in reading order (one query
for the references they cite), then renders each text through `commons.markup.render_markdown`
with ``citations=citer`` and the list with `commons.markup.render_references`. This module only
produces HTML; `commons.markup` sanitises it and is still the one place that marks text safe.

Syntax (Pandoc's, what Zotero and Better BibTeX users know): ``[@key]``, ``[@key, p. 12]``,
``[@a; @b, chap. 2]``. An unknown key is shown as written, marked « référence inconnue ».
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

#: A citation group: ``[@…]`` with at most 500 characters inside (no brackets, no tags).
CITATION_RE = re.compile(r"\[(@[^\[\]<>\n]{1,500}?)\]")
_ITEM_RE = re.compile(r"^\s*@([\w][\w:.#$%&+?~/-]*)\s*(?:,\s*(.*?))?\s*$")
#: Locator labels (French and English abbreviations) -> CSL locator types.
_LOCATORS = {
    "p": "page", "pp": "page", "page": "page", "pages": "page", "chap": "chapter", "ch": "chapter",
    "chapitre": "chapter", "chapter": "chapter", "sect": "section", "section": "section", "§": "section",
    "vol": "volume", "fig": "figure", "n": "note", "note": "note", "l": "line", "para": "paragraph",
}  # fmt: skip
_LOCATOR_RE = re.compile(r"^([^\W\d]+|§)\.?\s*(.+)$")
#: What is not cited in a code span or block: split the HTML on these and leave odd pieces alone.
_CODE_RE = re.compile(r"(<(pre|code)\b.*?</\2>)", re.DOTALL | re.IGNORECASE)

#: CSL-JSON's rich-text markup kept in titles (`_escaped`): italics (species, titles), bold, exponents.
_RICH_TAG_RE = re.compile(r"&lt;(/?)(i|b|sup|sub)&gt;")

STYLE_FILES = {
    "author-date": Path(__file__).with_name("csl") / "author-date.csl",
    "numeric": Path(__file__).with_name("csl") / "numeric.csl",
}
LOCALE = "fr-FR"
_local = threading.local()


def _style(name: str):
    """The parsed CSL style, once per thread (parsing the XML is the costly part)."""
    from citeproc import CitationStylesStyle

    cache = getattr(_local, "styles", None)
    if cache is None:
        cache = _local.styles = {}
    if name not in cache:
        path = STYLE_FILES.get(name, STYLE_FILES["author-date"])
        cache[name] = CitationStylesStyle(str(path), locale=LOCALE, validate=False)
    return cache[name]


def _escaped(value):
    """A CSL-JSON item with its text HTML-escaped: citeproc-py's HTML formatter escapes nothing.

    Without this, a title « <b onmouseover=…> » or a DOI with a quote would reach the page as markup
    (bleach would then clean it, but mangle the text: a title must read as written). CSL-JSON's
    own rich text (``<i>``, ``<b>``, ``<sup>``, ``<sub>``) is kept; bleach still checks the result.
    """
    if isinstance(value, str):
        return _RICH_TAG_RE.sub(r"<\1\2>", html.escape(value, quote=True))
    if isinstance(value, dict):
        return {name: _escaped(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


@dataclass
class _Group:
    items: list[tuple[str, str, str]]  # (key, locator type, locator)
    unknown: list[str]
    citation: object | None = None


def cited_keys(text: str) -> list[str]:
    """The keys cited in `text` (lower case, in order, repeated as cited)."""
    keys = []
    for match in CITATION_RE.finditer(text or ""):
        for part in match.group(1).split(";"):
            found = _ITEM_RE.match(part)
            if found:
                keys.append(found.group(1).lower())
    return keys


@dataclass
class Citer:
    """The citations of one page: the references they may use, its style, what it has cited so far."""

    style: str
    #: lower-case key -> CSL-JSON item
    items: dict[str, dict]
    _groups: dict[str, _Group] = field(default_factory=dict)
    _bibliography: object | None = None
    _cited: list[str] = field(default_factory=list)
    _sorted: bool = False

    @classmethod
    def for_bureau(cls, bureau, texts: list[str]) -> Citer:
        """A citer for `texts` of `bureau`: one query, for the references the texts cite."""
        from django.db.models.functions import Lower

        from ..models import Reference
        from .formats import record_of, to_csl

        keys = set()
        for text in texts:
            keys.update(cited_keys(text))
        items: dict[str, dict] = {}
        if keys and bureau is not None and bureau.pk:
            rows = Reference.objects.annotate(lower_key=Lower("key")).filter(
                bureau=bureau, lower_key__in=keys
            )
            items = {ref.key.lower(): _escaped(to_csl(record_of(ref))) for ref in rows}
        citer = cls(style=getattr(bureau, "citation_style", "author-date"), items=items)
        for text in texts:
            citer.register(text)
        return citer

    def _bib(self):
        if self._bibliography is None:
            from citeproc import CitationStylesBibliography, formatter
            from citeproc.source.json import CiteProcJSON

            source = CiteProcJSON([dict(item, id=key) for key, item in self.items.items()])
            self._bibliography = CitationStylesBibliography(_style(self.style), source, formatter.html)
        return self._bibliography

    def register(self, text: str) -> None:
        """Register the citations of `text`, in order (numbers and disambiguation need them all)."""
        for match in CITATION_RE.finditer(html.unescape(text or "")):
            self._group(match.group(1))

    def _group(self, inner: str) -> _Group:
        inner = " ".join(inner.split())
        group = self._groups.get(inner)
        if group is not None:
            return group
        items, unknown = [], []
        for part in inner.split(";"):
            found = _ITEM_RE.match(part)
            if not found:
                unknown.append(part.strip())
                continue
            key, locator = found.group(1).lower(), (found.group(2) or "").strip()
            if key not in self.items:
                unknown.append(part.strip())
                continue
            kind, value = "page", locator
            loc = _LOCATOR_RE.match(locator)
            if loc and loc.group(1).lower() in _LOCATORS:
                kind, value = _LOCATORS[loc.group(1).lower()], loc.group(2)
            items.append((key, kind, value))
        group = self._groups[inner] = _Group(items, unknown)
        if items:
            from citeproc import Citation, CitationItem, Locator

            group.citation = Citation(
                [CitationItem(k, locator=Locator(t, v)) if v else CitationItem(k) for k, t, v in items]
            )
            self._bib().register(group.citation)
            for key, _kind, _value in items:
                if key not in self._cited:
                    self._cited.append(key)
        return group

    def substitute(self, rendered: str) -> str:
        """`rendered` HTML with each citation group formatted (code spans and blocks left alone)."""
        if self._bibliography is not None and not self._sorted:
            self._bibliography.sort()  # the list's order (author-date: by author); numbers follow it
            self._sorted = True
        pieces = _CODE_RE.split(rendered)
        out = []
        skip = 0
        for index, piece in enumerate(pieces):
            if skip:
                skip -= 1
                continue
            if index % 3 == 1:  # a code element (and the group naming its tag)
                out.append(piece)
                skip = 1
                continue
            out.append(CITATION_RE.sub(self._format, piece))
        return "".join(out)

    def _format(self, match: re.Match) -> str:
        group = self._group(html.unescape(match.group(1)))
        parts = []
        if group.citation is not None:
            text = str(self._bib().cite(group.citation, lambda item: None))
            target = group.items[0][0]
            parts.append(f'<a class="citation" href="#ref-{html.escape(target)}">{text}</a>')
        for raw in group.unknown:
            title = html.escape(_("unknown reference"))
            parts.append(f'<em class="citation-unknown" title="{title}">[{html.escape(raw)} ?]</em>')
        return " ".join(parts)

    def bibliography_html(self) -> str:
        """The reference list of what was cited (empty when nothing was): unsanitised HTML."""
        if not self._cited:
            return ""
        bibliography = self._bib()
        if not self._sorted:
            bibliography.sort()
            self._sorted = True
        entries = [str(entry) for entry in bibliography.bibliography()]
        keys = [item.reference.key for item in bibliography.items]
        rows = "".join(
            f'<li id="ref-{html.escape(key)}">{entry}</li>' for key, entry in zip(keys, entries, strict=False)
        )
        heading = html.escape(_("References"))
        return f'<div class="references"><h2>{heading}</h2><ul>{rows}</ul></div>'
