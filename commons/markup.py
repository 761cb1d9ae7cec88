"""Markdown rendering for user-written text: the ONLY place that marks user text safe.

Every piece of text typed by a participant (notes, comments, descriptions...) that is shown as
formatted HTML must go through :func:`render_markdown`. Nothing else in the project may call
``mark_safe`` / ``|safe`` on user input: keeping a single choke point makes the XSS surface
auditable and lets ``tests/security/test_markup.py`` prove it against a large payload corpus.

Pipeline (bleach is the security boundary; the Markdown configuration just avoids generating
anything bleach would then have to undo):

1. **Python-Markdown** with a deliberately small set of extensions: ``tables``, ``fenced_code``,
   ``footnotes``, ``sane_lists`` and ``nl2br`` (people writing in a web form expect a single line
   break to be kept). ``attr_list`` and ``md_in_html`` (and therefore ``extra``) are NOT enabled:
   they let the author attach arbitrary attributes (``{: onclick=...}``) or smuggle raw HTML
   blocks through Markdown processing. Tables use the ``align`` attribute instead of the default
   ``style="text-align: ..."`` so that no ``style`` attribute ever needs to be allowed.
2. **bleach** with an explicit allow-list of tags, attributes and URL schemes (http, https,
   mailto; relative and ``#fragment`` URLs are kept, which footnotes rely on). Disallowed tags
   are stripped (their text is kept, escaped), comments are removed, and a linkify filter turns
   bare URLs (``https://...``, ``www.example.org``) outside code into links and sets
   ``rel="nofollow noopener"`` on *every* link.
   ``target`` is never added (no new-window surprises, and with ``noopener`` nothing to gain).

Images: ``<img>`` is NOT allowed. A remote image is fetched by every reader's browser as soon as
the page is shown, which leaks readers' IP addresses and reading times to any third party (a
tracking pixel, a GDPR problem for a French site) and would force a permissive ``img-src`` in the
Content-Security-Policy. Instead of silently dropping ``![alt](url)``, a Markdown tree processor
turns it into an ordinary link whose text is the alt text (or the URL), so the reader can still
open the image deliberately; that link then goes through the same scheme checks as any link.
Images that belong on the site are uploaded through Wagtail's image library, not Markdown.

Citations (``[@key]``, `commons.library.citations`): given a ``citations`` citer, the rendered
Markdown has its citation groups replaced by citeproc-py's HTML *before* bleach runs, so the
formatted citations and the reference list (`render_references`) are sanitised like everything
else; the allow-list only adds what they need (``citation`` and ``citation-unknown`` classes, a
``references`` container, ``ref-<key>`` ids on its items).
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree
from functools import partial
from typing import TYPE_CHECKING, Any

from bleach.linkifier import LinkifyFilter, build_url_re
from bleach.sanitizer import Cleaner
from django.utils.safestring import SafeString, mark_safe
from markdown import Markdown
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import Treeprocessor

if TYPE_CHECKING:
    from commons.library.citations import Citer

__all__ = ["ALLOWED_PROTOCOLS", "ALLOWED_TAGS", "collapse_whitespace", "plain_text", "render_markdown",
           "render_references", "render_with_references"]

#: URL schemes allowed in href attributes. Scheme-less URLs (relative paths, ``#fn:1``) are
#: always kept by bleach: they cannot run script.
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})

#: Tags the Markdown subset can produce, plus ``div`` (footnotes container). No ``img`` (see the
#: module docstring), no ``span`` / ``section`` (not needed), nothing interactive or embedding.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "b", "i", "del", "s", "ins", "sup", "sub",
        "blockquote", "code", "pre",
        "ul", "ol", "li", "dl", "dt", "dd",
        "a",
        "table", "thead", "tbody", "tr", "th", "td",
        "div",
    }
)  # fmt: skip

# Footnote ids produced by the footnotes extension: "fn:label", "fnref:label", "fnref2:label".
_FOOTNOTE_ID_RE = re.compile(r"^fn(?:ref\d*)?:[\w.:-]+$")
# Reference-list item ids produced by the citation step: "ref-<key>".
_REFERENCE_ID_RE = re.compile(r"^ref-[\w:.#$%+?~/-]{1,100}$")
_CODE_CLASS_RE = re.compile(r"^language-[\w+#.-]+$")
_ALIGN_VALUES = frozenset({"left", "right", "center"})
_SPAN_RE = re.compile(r"^[1-9]\d{0,2}$")
_START_RE = re.compile(r"^-?\d{1,9}$")

# Exact class values, per tag. Only what footnotes need; code is handled by _CODE_CLASS_RE.
_FOOTNOTE_CLASSES: dict[str, frozenset[str]] = {
    "a": frozenset({"footnote-ref", "footnote-backref", "citation"}),
    "div": frozenset({"footnote", "references"}),
    "em": frozenset({"citation-unknown"}),
}


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    """Attribute allow-list, as a bleach callable so values can be checked, not just names.

    Restricting ``id`` and ``class`` *values* (not only names) keeps authors from clobbering
    DOM ids / page classes used by the site's own CSS and JS. ``style`` and every ``on*`` handler
    are absent by construction: anything not returned True here is dropped. URL-valued attributes
    (``href``) are additionally scheme-checked by bleach against ``ALLOWED_PROTOCOLS``.
    """
    if tag == "a":
        if name in ("href", "title"):
            return True
        return name == "class" and value in _FOOTNOTE_CLASSES["a"]
    if tag == "div":
        return name == "class" and value in _FOOTNOTE_CLASSES["div"]
    if tag == "em":
        return (name == "class" and value in _FOOTNOTE_CLASSES["em"]) or (
            name == "title" and len(value) <= 100
        )
    if tag == "sup":
        return name == "id" and bool(_FOOTNOTE_ID_RE.match(value))
    if tag == "li":
        return name == "id" and bool(_FOOTNOTE_ID_RE.match(value) or _REFERENCE_ID_RE.match(value))
    if tag == "code":
        return name == "class" and bool(_CODE_CLASS_RE.match(value))
    if tag in ("th", "td"):
        if name == "align":
            return value.lower() in _ALIGN_VALUES
        return name in ("colspan", "rowspan") and bool(_SPAN_RE.match(value))
    if tag == "ol":
        return name == "start" and bool(_START_RE.match(value))
    return False


def _link_callback(attrs: dict[Any, str], new: bool = False) -> dict[Any, str] | None:
    """Linkify callback: every link gets ``rel="nofollow noopener"`` and never a ``target``.

    ``nofollow`` because the text is user-written (no SEO value to spammers); ``noopener`` as
    defence in depth should a ``target`` ever slip in. Links whose href has a scheme outside
    ``ALLOWED_PROTOCOLS`` are unlinked (text kept): the sanitizer already enforces this for
    existing links, but links *created* by linkify are added after sanitizing. Anchors left
    without an href (because the sanitizer removed a ``javascript:`` one) are unlinked too.
    """
    href = attrs.get((None, "href"))
    if href is None:
        # The sanitizer removed a disallowed href (or there never was one): an <a> without href
        # is not a link, so drop the tag and keep its text rather than emit a dead anchor.
        return None
    match = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", href)
    if match and match.group(1).lower() not in ALLOWED_PROTOCOLS:
        return None
    attrs.pop((None, "target"), None)
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


class _ImageToLinkProcessor(Treeprocessor):
    """Turn ``<img>`` produced by Markdown into ``<a href=src>alt</a>`` (images are not allowed)."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter("img"):
            src = element.get("src", "")
            text = element.get("alt") or src
            title = element.get("title")
            element.attrib.clear()
            element.tag = "a"
            element.set("href", src)
            if title:
                element.set("title", title)
            element.text = text


class _ImageToLinkExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # After "inline" (20, which creates the <img> elements), before "prettify" (10).
        md.treeprocessors.register(_ImageToLinkProcessor(md), "image_to_link", 15)


def _build_markdown() -> Markdown:
    return Markdown(
        extensions=[
            TableExtension(use_align_attribute=True),
            "fenced_code",
            "footnotes",
            "sane_lists",
            "nl2br",
            _ImageToLinkExtension(),
        ],
        output_format="html",
    )


# Neither Markdown instances (per-document state: footnotes, html stash) nor bleach Cleaners
# ("not thread-safe--the html parser has internal state", bleach's own warning; a shared Cleaner
# raises or mixes documents under concurrent requests, see test_concurrent_renders_are_independent)
# may be shared between threads. Each thread therefore caches its own instances: built once per
# thread (extension setup and parser construction are the costly part), the Markdown instance is
# reset before every conversion.
_local = threading.local()

# Only http(s) for bare URLs turned into links; bleach's default list (ftp, irc, ...) is wider than
# ALLOWED_PROTOCOLS, and links created by linkify are added after the sanitizer's scheme check.
_LINKIFY_URL_RE = build_url_re(protocols=["http", "https"])


def _markdown() -> Markdown:
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _build_markdown()
    md.reset()
    return md


def _build_cleaner() -> Cleaner:
    return Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            partial(
                LinkifyFilter,
                callbacks=[_link_callback],
                skip_tags=["pre", "code"],
                url_re=_LINKIFY_URL_RE,
            )
        ],
    )


def _cleaner() -> Cleaner:
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _build_cleaner()
    return cleaner


def _text_cleaner() -> Cleaner:
    """Strips every tag, keeping text, for plain_text(); its input is already sanitized HTML."""
    cleaner = getattr(_local, "text_cleaner", None)
    if cleaner is None:
        cleaner = _local.text_cleaner = Cleaner(
            tags=frozenset(), attributes={}, strip=True, strip_comments=True
        )
    return cleaner


def render_markdown(source: str | None, citations: Citer | None = None) -> SafeString:
    """Render user-written Markdown to sanitized HTML, marked safe for templates.

    Empty or ``None`` input gives an empty ``SafeString`` (templates can test it for truth).
    The result is safe to output unescaped: see the module docstring for what is allowed.
    With `citations`, ``[@key]`` groups are formatted by that page's citer before sanitising (the
    caller shows the page's reference list with `render_references`).
    """
    if not source:
        return mark_safe("")
    rendered = _markdown().convert(str(source))
    if citations is not None:
        rendered = citations.substitute(rendered)
    return mark_safe(_cleaner().clean(rendered))


def render_references(citations: Citer | None) -> SafeString:
    """The reference list of what `citations` formatted so far, sanitised (empty if nothing was cited)."""
    if citations is None:
        return mark_safe("")
    return mark_safe(_cleaner().clean(citations.bibliography_html()))


def render_with_references(source: str | None, citations: Citer | None) -> SafeString:
    """A text standing alone (a proposal, a charter): its citations, then its own reference list."""
    if citations is None:
        return render_markdown(source)
    body = render_markdown(source, citations)
    return mark_safe(body + render_references(citations))


def cite_rich_text(value: Any, citations: Citer | None) -> Any:
    """Wagtail rich text (the protocol's sections) with its ``[@key]`` citations formatted.

    The rich text's own HTML comes from Wagtail's editor and renderer (trusted as Wagtail trusts
    it); only the citations are added, and each one goes through the same cleaner as Markdown.
    """
    if citations is None:
        return value
    text = str(value)
    if "[@" not in text:
        return value
    from commons.library.citations import CITATION_RE

    def one(match: re.Match) -> str:
        return _cleaner().clean(citations.substitute(match.group(0)))

    return mark_safe(CITATION_RE.sub(one, text))  # noqa: S308 - the added parts are sanitised above


_WHITESPACE_RE = re.compile(r"\s+")


def _normalise_whitespace(match: re.Match) -> str:
    newlines = match.group().count("\n")
    return " " if newlines == 0 else "\n" if newlines == 1 else "\n\n"


def plain_text(source: str | None) -> str:
    """Plain text of a Markdown note, as a reader sees it: rendered, all tags stripped, entities
    decoded, paragraphs and line breaks kept.

    Excerpt highlighting (character offsets), full-text search and the coding view need the text a
    reader sees, not the Markdown source with its ``**`` and ``[...](...)`` noise — and researchers
    read a note by its paragraphs, list items and speaker turns, so those are kept: a run of
    whitespace holding two line breaks or more (between paragraphs, list items, quotes) becomes a
    blank line ``"\\n\\n"``, one line break (a line break in a paragraph, a speaker turn) stays
    ``"\\n"``, any other run becomes one space, and the ends are stripped. Only whitespace is
    changed, so collapsing the result's whitespace gives exactly the former single-line plain text
    (`collapse_whitespace`), which the data migration relies on to move existing excerpts.
    Offsets are stable because the result is deterministic for a given source. The result is NOT
    HTML: it must be escaped again when put
    into a page (Django's autoescape does this), never passed to ``mark_safe``.
    """
    if not source:
        return ""
    text = html.unescape(_text_cleaner().clean(str(render_markdown(source)))).strip()
    return _WHITESPACE_RE.sub(_normalise_whitespace, text)


def collapse_whitespace(text: str) -> str:
    """`text` on one line, every run of whitespace one space: the plain text as it was stored before
    line breaks were kept (and the form to compare two texts whatever their line breaks)."""
    return " ".join(text.split())


def stored_html(value: str | None) -> SafeString:
    """Mark as safe HTML that `render_markdown` produced when it was saved (a MarkdownField's companion).

    Why here: this module is the only place that marks user text safe. The companion columns are
    written only by `commons.fields.MarkdownField.pre_save` (they are not editable in any form),
    so their content has already been through the sanitiser; re-cleaning on every view would
    undo the point of storing it.
    """
    return mark_safe(value or "")  # noqa: S308 - sanitised by render_markdown at save time
