"""Security tests for commons.markup, the single place where user text is marked safe.

The rendered HTML is re-parsed with html5lib, i.e. the way a browser would build the DOM, and
checked structurally (elements, attribute names, URL schemes) instead of by substring search:
a substring check can be fooled by encodings and misses what the parser actually produces.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import html5lib
import pytest
from django.utils.safestring import SafeString

from commons.markup import plain_text, render_markdown
from tests.shared import require_shared

FORBIDDEN_ELEMENTS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
        "link", "meta", "form", "input", "button", "textarea", "select", "svg", "math",
        "template", "noscript", "xml", "isindex", "video", "audio", "source", "track",
    }
)  # fmt: skip
FORBIDDEN_ATTRIBUTES = frozenset({"style", "srcdoc", "formaction", "xlink:href", "target"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "data", "background", "poster", "cite"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# Independent copy of the policy (deliberately not imported from commons.markup): widening the
# allow-list in the module must be a conscious decision that also updates this test.
EXPECTED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del",
        "s", "ins", "sup", "sub", "blockquote", "code", "pre", "ul", "ol", "li", "dl", "dt", "dd",
        "a", "table", "thead", "tbody", "tr", "th", "td", "div",
    }
)  # fmt: skip
EXPECTED_ATTRIBUTES = frozenset(
    {"href", "title", "rel", "class", "id", "align", "colspan", "rowspan", "start"}
)

# Browsers drop ASCII tab/LF/CR anywhere in a URL and leading/trailing C0 controls and spaces;
# removing every control char and whitespace is stricter (may only add false alarms).
_IGNORED_URL_CHARS = re.compile(r"[\x00-\x20\x7f\s]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_XLINK_NS = "{http://www.w3.org/1999/xlink}"


def parse(html: str) -> ET.Element:
    """Parse an HTML fragment exactly as a browser would (html5lib implements the HTML spec)."""
    return html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)


def _local_name(name: str) -> str:
    if name.startswith(_XLINK_NS):
        return "xlink:" + name[len(_XLINK_NS) :]
    return name.rsplit("}", 1)[-1]


def url_scheme(value: str) -> str | None:
    """Scheme a browser would see in a URL attribute value, lowercased (None if relative)."""
    match = _SCHEME.match(_IGNORED_URL_CHARS.sub("", value).lower())
    return match.group(1) if match else None


def assert_safe(html: str) -> list[str]:
    """Return the list of security problems in rendered HTML (empty list = safe)."""
    problems: list[str] = []
    for element in parse(html).iter():
        if not isinstance(element.tag, str):  # ET.Comment / processing instruction
            problems.append(f"comment or PI node: {element.text!r}")
            continue
        if element.tag == "DOCUMENT_FRAGMENT":
            continue
        tag = _local_name(element.tag)
        if tag in FORBIDDEN_ELEMENTS or element.tag != tag:
            problems.append(f"forbidden element <{element.tag}>")
        elif tag not in EXPECTED_TAGS:
            problems.append(f"unexpected element <{tag}>")
        for raw_name, value in element.attrib.items():
            name = _local_name(raw_name).lower()
            if name.startswith("on"):
                problems.append(f"event handler {name}={value!r} on <{tag}>")
            elif name in FORBIDDEN_ATTRIBUTES:
                problems.append(f"forbidden attribute {name}={value!r} on <{tag}>")
            elif name not in EXPECTED_ATTRIBUTES:
                problems.append(f"unexpected attribute {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    problems.append(f"unsafe URL scheme {scheme!r} in {name}={value!r} on <{tag}>")
        if tag == "a" and "href" in element.attrib:
            rel = set(element.get("rel", "").split())
            if not {"nofollow", "noopener"} <= rel:
                problems.append(f"link without rel=nofollow noopener: {element.attrib!r}")
    return problems


def links(html: str) -> list[ET.Element]:
    return [el for el in parse(html).iter("a")]


def text_of(html: str) -> str:
    return "".join(parse(html).itertext())


# --------------------------------------------------------------------------------------------
# 1. The whole XSS payload corpus
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], int]:
    """The corpus's lines and its count of non-empty lines (skipped where shared/ is absent)."""
    raw = require_shared("corpora", "xss-payload-list.txt").read_bytes()
    # Count independently from the bytes (what `grep -c .` would say) to prove nothing is skipped.
    expected = sum(1 for line in raw.split(b"\n") if line.rstrip(b"\r"))
    text = raw.decode("utf-8", errors="replace")
    # split("\n"), not splitlines(): splitlines() also splits on \x0b, \x0c, \x1c, \u2028...
    # which would cut payloads that rely on those characters.
    return [line.removesuffix("\r") for line in text.split("\n")], expected


def test_xss_corpus_every_line_is_neutralised(corpus) -> None:
    lines, expected = corpus
    assert expected > 6000, "corpus unexpectedly small: wrong file?"
    failures: list[str] = []
    checked = 0
    # CPU time, not wall time: the budget is about the renderer (e.g. catastrophic regex
    # backtracking), not about how many other processes share the machine's cores.
    start = time.process_time()
    for number, line in enumerate(lines, start=1):
        if line == "":
            continue
        checked += 1
        out = render_markdown(line)
        problems = assert_safe(out)
        if problems:
            failures.append(f"line {number}: {line[:120]!r}\n    -> {out[:200]!r}\n    {problems[:3]}")
    elapsed = time.process_time() - start
    assert checked == expected, f"checked {checked} lines but the corpus has {expected} non-empty lines"
    assert not failures, f"{len(failures)} unsafe outputs, first ones:\n" + "\n".join(failures[:5])
    assert elapsed < 30, f"corpus took {elapsed:.1f}s of CPU"


def test_xss_corpus_as_one_document(corpus) -> None:
    """Payloads can combine across lines (an unclosed tag or code fence on one line, the attack
    on a later one), so the whole corpus is also rendered as a single Markdown document."""
    lines, _ = corpus
    out = render_markdown("\n".join(lines))
    assert len(out) > 10_000
    problems = assert_safe(out)
    assert not problems, f"{len(problems)} problems, first ones: {problems[:5]}"


# --------------------------------------------------------------------------------------------
# 2. Markdown-specific vectors
# --------------------------------------------------------------------------------------------

JS_LINK_VECTORS = [
    "[x](javascript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("source", JS_LINK_VECTORS)
def test_dangerous_link_schemes_are_removed_but_text_kept(source: str) -> None:
    out = render_markdown(source)
    assert assert_safe(out) == []
    assert all("href" not in a.attrib for a in links(out)), out
    for attr_value in (v for el in parse(out).iter() for v in el.attrib.values()):
        assert url_scheme(attr_value) not in {"javascript", "data", "vbscript"}, out
    assert "x" in text_of(out)


def test_autolink_with_javascript_scheme_is_not_a_link() -> None:
    out = render_markdown("<javascript:alert(1)>")
    assert assert_safe(out) == []
    assert links(out) == []


@pytest.mark.parametrize(
    "source",
    [
        "![i](javascript:alert(1))",
        '![i](x" onerror="alert(1))',
        "![i](https://e.x/a.png){: onerror=alert(1)}",
        "<img src=x onerror=alert(1)>",
        '<img src="https://e.x/a.png">',
    ],
)
def test_images_never_render_as_img(source: str) -> None:
    out = render_markdown(source)
    assert assert_safe(out) == []
    tree = parse(out)
    assert list(tree.iter("img")) == []
    assert not any(name.startswith("on") for el in tree.iter() for name in el.attrib)


def test_markdown_image_becomes_plain_link() -> None:
    out = render_markdown('![Plan du quartier](https://e.x/plan.png "Le plan")')
    assert assert_safe(out) == []
    (link,) = links(out)
    assert link.get("href") == "https://e.x/plan.png"
    assert link.get("title") == "Le plan"
    assert link.text == "Plan du quartier"


def test_attr_list_syntax_is_inert_text() -> None:
    out = render_markdown('Un paragraphe\n{: onclick="alert(1)" }')
    assert assert_safe(out) == []
    (para,) = parse(out).iter("p")
    assert para.attrib == {}
    assert "{: onclick=" in text_of(out)  # attr_list is off: the braces stay literal text


def test_md_in_html_attempt_keeps_no_attributes() -> None:
    out = render_markdown('<div markdown="1" onclick="x">hi</div>')
    assert assert_safe(out) == []
    divs = list(parse(out).iter("div"))
    assert all(div.attrib == {} for div in divs)
    assert "hi" in text_of(out)


def test_raw_script_is_stripped_to_inert_text() -> None:
    out = render_markdown("<script>alert(1)</script>")
    assert assert_safe(out) == []
    assert list(parse(out).iter("script")) == []
    assert "<script" not in out.lower()


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<svg onload=alert(1)>", "svg"),
        ('<iframe src="https://e.x">', "iframe"),
        ('<iframe src="https://e.x"></iframe>', "iframe"),
        ("<style>p{color:red}</style>", "style"),
        ('<form action="https://e.x"><input name=a></form>', "form"),
    ],
)
def test_raw_dangerous_elements_are_stripped(source: str, forbidden: str) -> None:
    out = render_markdown(source)
    assert assert_safe(out) == []
    assert list(parse(out).iter(forbidden)) == []


def test_html_comments_are_removed() -> None:
    out = render_markdown("avant\n\n<!-- comment -->\n\naprès <!-- inline -->")
    assert assert_safe(out) == []
    assert "<!--" not in out and "comment" not in out and "inline" not in out
    assert "avant" in text_of(out) and "après" in text_of(out)


def test_style_attribute_is_removed_from_allowed_link() -> None:
    out = render_markdown('<a href="https://e.x" style="color:red">x</a>')
    assert assert_safe(out) == []
    (link,) = links(out)
    assert link.get("href") == "https://e.x"
    assert "style" not in link.attrib


@pytest.mark.parametrize(
    "source",
    [
        '[x](https://e.x "a" onmouseover="alert(1)")',
        '[x](https://e.x "a\\" onmouseover=\\"alert(1)")',
        "[x](https://e.x 'a\" onclick=\"alert(1)')",
        '[x][r]\n\n[r]: https://e.x "t" onclick="alert(1)"',
        '<a href="https://e.x" title="a"onclick="alert(1)">x</a>',
    ],
)
def test_link_title_cannot_break_out_of_attribute(source: str) -> None:
    out = render_markdown(source)
    assert assert_safe(out) == []
    for link in links(out):
        assert set(link.attrib) <= {"href", "title", "rel"}, link.attrib


# --------------------------------------------------------------------------------------------
# 3. Ordinary Markdown still renders
# --------------------------------------------------------------------------------------------


def test_headings_and_emphasis() -> None:
    out = render_markdown("# Un\n\n## Deux\n\n### Trois\n\n**gras** et *italique* et _aussi_")
    assert assert_safe(out) == []
    tree = parse(out)
    assert [tree.find(f".//h{n}").text for n in (1, 2, 3)] == ["Un", "Deux", "Trois"]
    assert tree.find(".//strong").text == "gras"
    assert [em.text for em in tree.iter("em")] == ["italique", "aussi"]


def test_lists() -> None:
    out = render_markdown("* pomme\n* poire\n\n1. premier\n2. second")
    assert assert_safe(out) == []
    tree = parse(out)
    assert [li.text for li in tree.find(".//ul").iter("li")] == ["pomme", "poire"]
    assert [li.text for li in tree.find(".//ol").iter("li")] == ["premier", "second"]


def test_table() -> None:
    out = render_markdown("| Nom | Rôle |\n|:----|-----:|\n| Ana | Coordination |")
    assert assert_safe(out) == []
    table = parse(out).find(".//table")
    assert table is not None
    assert [th.text for th in table.iter("th")] == ["Nom", "Rôle"]
    assert [td.text for td in table.iter("td")] == ["Ana", "Coordination"]
    assert [td.get("align") for td in table.iter("td")] == ["left", "right"]


def test_fenced_code_is_escaped() -> None:
    out = render_markdown("```python\nprint('<b>x</b>')\n```")
    assert assert_safe(out) == []
    tree = parse(out)
    code = tree.find(".//pre/code")
    assert code is not None
    assert code.get("class") == "language-python"
    assert list(code) == []  # no child element: <b> is text
    assert "<b>x</b>" in code.text
    assert list(tree.iter("b")) == []


def test_inline_code_is_escaped() -> None:
    out = render_markdown("utiliser `<i>` ici")
    tree = parse(out)
    assert tree.find(".//p/code").text == "<i>"
    assert list(tree.iter("i")) == []


def test_code_is_not_linkified() -> None:
    out = render_markdown("```\nhttps://example.org\n```\n\n`https://example.org`")
    assert links(out) == []


def test_link_keeps_href_and_gets_rel() -> None:
    out = render_markdown("[Lyon](https://lyon.fr)")
    assert assert_safe(out) == []
    (link,) = links(out)
    assert link.get("href") == "https://lyon.fr"
    assert link.text == "Lyon"
    assert {"nofollow", "noopener"} <= set(link.get("rel").split())
    assert "target" not in link.attrib


def test_bare_url_is_linkified_with_rel() -> None:
    out = render_markdown("see https://example.org/page")
    assert assert_safe(out) == []
    (link,) = links(out)
    assert link.get("href") == "https://example.org/page"
    assert link.text == "https://example.org/page"
    assert {"nofollow", "noopener"} <= set(link.get("rel").split())


def test_mailto_links() -> None:
    out = render_markdown("[écrire](mailto:contact@bec.fr) ou <equipe@bec.fr>")
    assert assert_safe(out) == []
    assert [a.get("href") for a in links(out)] == ["mailto:contact@bec.fr", "mailto:equipe@bec.fr"]


def test_relative_links_are_kept() -> None:
    out = render_markdown("[étude](/etudes/42/) et [section](#methode)")
    assert [a.get("href") for a in links(out)] == ["/etudes/42/", "#methode"]


def test_single_line_break_becomes_br() -> None:
    out = render_markdown("ligne 1\nligne 2")
    para = parse(out).find(".//p")
    assert len(list(para.iter("br"))) == 1
    assert "ligne 1" in text_of(out) and "ligne 2" in text_of(out)


def test_footnotes_have_working_fragment_links() -> None:
    out = render_markdown("Une affirmation[^1].\n\n[^1]: La source.")
    assert assert_safe(out) == []
    tree = parse(out)
    ids = {el.get("id") for el in tree.iter() if el.get("id")}
    hrefs = [a.get("href") for a in links(out)]
    assert len(hrefs) == 2
    for href in hrefs:
        assert href.startswith("#")
        assert href[1:] in ids, f"{href} points to no element (ids: {ids})"
    assert tree.find(".//div[@class='footnote']") is not None
    assert "La source." in text_of(out)


def test_footnotes_do_not_leak_between_renders() -> None:
    render_markdown("Texte[^1].\n\n[^1]: Note secrète.")
    out = render_markdown("Autre texte sans note.")
    assert "secrète" not in out
    assert parse(out).find(".//div") is None


def test_concurrent_renders_are_independent() -> None:
    """Markdown instances and bleach Cleaners both keep parser state: sharing either between
    threads (gunicorn gthread, runserver) mixes documents or raises. Must stay per-thread."""

    def render(n: int) -> tuple[int, str]:
        return n, render_markdown(
            f"Texte **{n}**[^a] *et* `code`.\n\n| a |\n|---|\n| {n} |\n\n[^a]: Note {n}."
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(render, range(400)))
    for n, out in results:
        assert f"Note {n}." in out
        assert len(re.findall(r"Note \d+\.", out)) == 1


def test_french_text_unchanged() -> None:
    source = "Élève à l'école : « guillemets », ça coûte 5 € — œuvre naïve"
    out = render_markdown(source)
    assert text_of(out) == source
    assert source in out  # not turned into entities


def test_output_is_safestring() -> None:
    assert isinstance(render_markdown("*x*"), SafeString)


@pytest.mark.parametrize("source", ["", None])
def test_empty_input(source: str | None) -> None:
    out = render_markdown(source)
    assert out == ""
    assert isinstance(out, SafeString)


# --------------------------------------------------------------------------------------------
# 4. plain_text
# --------------------------------------------------------------------------------------------


def test_plain_text_strips_tags_and_keeps_text() -> None:
    source = "# Titre\n\nDu **gras**, de l'*italique* et [un lien](https://e.x)."
    assert plain_text(source) == "Titre\n\nDu gras, de l'italique et un lien."


def test_plain_text_unescapes_entities() -> None:
    assert plain_text("Dupont &amp; fils &lt;b&gt; 5 &gt; 3") == "Dupont & fils <b> 5 > 3"
    assert plain_text("`<b>` et a < b") == "<b> et a < b"


def test_plain_text_normalises_whitespace() -> None:
    """Paragraphs and list items end with a blank line, a line break stays one; other runs are one space."""
    text = plain_text("un\n\n\ndeux\n  trois\t quatre\n\n* cinq\n* six")
    assert text == "un\n\ndeux\ntrois quatre\n\ncinq\n\nsix"
    assert " ".join(text.split()) == "un deux trois quatre cinq six"


def test_plain_text_drops_markup_of_dangerous_input() -> None:
    assert plain_text('<img src=x onerror=alert(1)>bonjour <a href="javascript:x">là</a>') == "bonjour là"


def test_plain_text_keeps_french() -> None:
    assert plain_text("« Élève » — ça") == "« Élève » — ça"


@pytest.mark.parametrize("source", ["", None])
def test_plain_text_empty(source: str | None) -> None:
    assert plain_text(source) == ""
