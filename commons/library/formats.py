"""BibTeX, RIS and CSL-JSON in and out, through one record shape: a dict of `Reference` fields.

Why one shape: every format is read into the same plain dict (`FIELDS`), so duplicate detection,
the preview and the saving are written once, and a round trip (BibTeX → import → export → import)
compares records, not text. Parsing uses the maintained parsers (bibtexparser 2, rispy; CSL-JSON is
plain JSON); what they could not read is reported with its line (BibTeX, RIS) or item index
(CSL-JSON), never silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..models.library import KEY_MAX, ReferenceType

#: The fields of a record, as on `Reference` (authors: CSL name dicts).
FIELDS = (
    "key", "kind", "authors", "title", "year", "container", "volume", "issue", "pages",
    "publisher", "doi", "url", "abstract", "language",
)  # fmt: skip
#: Longest value kept per text field (the model's limits).
LIMITS = {"key": KEY_MAX, "title": 500, "container": 500, "volume": 50, "issue": 50, "pages": 50,
          "publisher": 300, "doi": 200, "url": 1000, "language": 35, "abstract": 20000}

FORMATS = {"bib": "bibtex", "bibtex": "bibtex", "ris": "ris", "json": "csl-json"}


@dataclass
class Parsed:
    """What a file gave: records in file order, and the places it could not read."""

    records: list[dict] = field(default_factory=list)
    #: (« line 12 » or « item 3 », what went wrong)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.problems.append((where, message))


class FormatError(ValueError):
    """The file cannot be read at all (wrong format, not text): a translated message."""


def format_for(filename: str) -> str:
    """The format named by the file's extension (.bib, .ris, .json), else `FormatError`."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ("bib", "ris", "json"):
        raise FormatError(_("Unknown file type: give a .bib (BibTeX), .ris (RIS) or .json (CSL-JSON) file."))
    return FORMATS[ext]


def parse(text: str, fmt: str) -> Parsed:
    """Records of `text` in format `fmt` (``bibtex``, ``ris``, ``csl-json``)."""
    return {"bibtex": parse_bibtex, "ris": parse_ris, "csl-json": parse_csl_json}[fmt](text)


def write(records: list[dict], fmt: str) -> str:
    return {"bibtex": write_bibtex, "ris": write_ris, "csl-json": write_csl_json}[fmt](records)


def _line(number: int) -> str:
    return _("line %(line)s") % {"line": number}


# --- the record shape ----------------------------------------------------------------------------

_YEAR_RE = re.compile(r"(\d{4})")


def _year(value) -> int | None:
    match = _YEAR_RE.search(str(value or ""))
    if not match:
        return None
    year = int(match.group(1))
    return year if 1000 <= year <= 2999 else None


def _clean(record: dict) -> dict:
    """Every field present, trimmed to the model's limits; a missing key made from author and year."""
    out: dict = {name: "" for name in FIELDS}
    out.update({k: v for k, v in record.items() if k in FIELDS and v is not None})
    for name, limit in LIMITS.items():
        out[name] = " ".join(str(out[name]).split())[:limit] if name != "abstract" else str(out[name])[:limit]
    out["abstract"] = out["abstract"].strip()
    out["authors"] = [a for a in (record.get("authors") or []) if isinstance(a, dict) and any(a.values())]
    out["year"] = record.get("year") if isinstance(record.get("year"), int) else _year(record.get("year"))
    if not re.match(r"^https?://", out["url"], re.IGNORECASE):
        out["url"] = ""  # only web addresses: a « javascript: » link from a file must never reach a page
    if out["kind"] not in ReferenceType.values:
        out["kind"] = ReferenceType.DOCUMENT
    if not out["key"]:
        out["key"] = make_key(out)
    out["key"] = re.sub(r"[^\w:.#$%&+?<>~/-]", "", out["key"])[:KEY_MAX] or make_key(out)
    return out


def make_key(record: dict) -> str:
    """« family + year + first title word », ASCII: the usual BibTeX key when a file has none."""
    import unicodedata

    first = (record.get("authors") or [{}])[0]
    name = first.get("family") or first.get("literal") or "anon"
    words = [w for w in re.split(r"\W+", record.get("title") or "") if len(w) > 3]
    raw = f"{name}{record.get('year') or ''}{words[0] if words else ''}"
    ascii_ = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    return re.sub(r"\W", "", ascii_).lower()[:KEY_MAX] or "ref"


def _split_name(text: str) -> dict:
    """« Family, Given » or « Given Family » as a CSL name; a name in braces stays whole (literal)."""
    text = " ".join(text.split())
    if not text:
        return {}
    if text.startswith("{") and text.endswith("}"):
        return {"literal": text[1:-1].strip()}
    if "," in text:
        family, given = text.split(",", 1)
        name = {"family": family.strip(), "given": given.strip()}
        return name if name["given"] else {"family": name["family"]}
    parts = text.rsplit(" ", 1)
    return {"family": parts[-1], "given": parts[0]} if len(parts) == 2 else {"family": text}


def _name_text(name: dict) -> str:
    if name.get("literal"):
        return name["literal"]
    return ", ".join(p for p in (name.get("family", ""), name.get("given", "")) if p)


# --- BibTeX ----------------------------------------------------------------------------------------

_BIB_TYPES = {
    "article": "article-journal", "book": "book", "inbook": "chapter", "incollection": "chapter",
    "techreport": "report", "report": "report", "inproceedings": "paper-conference",
    "conference": "paper-conference", "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "online": "webpage", "dataset": "dataset", "misc": "document", "unpublished": "document",
}  # fmt: skip
_BIB_OUT = {
    "article-journal": "article", "book": "book", "chapter": "incollection", "report": "techreport",
    "paper-conference": "inproceedings", "thesis": "phdthesis", "article-newspaper": "article",
    "webpage": "online", "dataset": "dataset", "document": "misc",
}  # fmt: skip


def _split_authors(value: str) -> list[str]:
    """`value` split on `` and `` outside braces (BibTeX's rule: ``{A and B}`` is one name)."""
    names, depth, start = [], 0, 0
    i = 0
    lowered = value.lower()
    while i < len(value):
        char = value[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and lowered.startswith(" and ", i):
            names.append(value[start:i])
            i += 5
            start = i
            continue
        i += 1
    names.append(value[start:])
    return [n.strip() for n in names if n.strip()]


def _latex(text: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text

    try:
        return LatexNodes2Text(strict_latex_spaces=True).latex_to_text(text).strip()
    except Exception:  # pylatexenc gives up on odd input: keep the text as written
        return text.replace("{", "").replace("}", "").strip()


def parse_bibtex(text: str) -> Parsed:
    import bibtexparser

    parsed = Parsed()
    library = bibtexparser.parse_string(text)
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        parsed.problem(
            _line(line),
            _("this entry could not be read (a brace or a quote is probably not closed)."),
        )
    for entry in library.entries:
        values = {f.key.lower(): str(f.value) for f in entry.fields}
        kind = _BIB_TYPES.get(entry.entry_type.lower(), "document")
        if values.get("type", "").lower() == "newspaper" or "newspaper" in values.get("entrysubtype", ""):
            kind = "article-newspaper"
        title = _latex(values.get("title", ""))
        if not title:
            parsed.problem(_line(entry.start_line + 1), _("this entry has no title."))
            continue
        container = values.get("journal") or values.get("journaltitle") or values.get("booktitle") or ""
        parsed.records.append(_clean({
            "key": entry.key,
            "kind": kind,
            "authors": [_latex_name(n) for n in _split_authors(values.get("author", ""))],
            "title": title,
            "year": _year(values.get("year") or values.get("date")),
            "container": _latex(container),
            "volume": values.get("volume", ""),
            "issue": values.get("number", "") or values.get("issue", ""),
            "pages": values.get("pages", "").replace("--", "–"),
            "publisher": _latex(values.get("publisher", "") or values.get("institution", "")
                                or values.get("school", "")),
            "doi": values.get("doi", ""),
            "url": values.get("url", ""),
            "abstract": _latex(values.get("abstract", "")),
            "language": values.get("langid", "") or values.get("language", ""),
        }))  # fmt: skip
    return parsed


def _latex_name(raw: str) -> dict:
    name = _split_name(raw)
    return {k: _latex(v) if "\\" in v or "{" in v else v for k, v in name.items()}


def _bib_escape(value: str) -> str:
    """A value safe inside BibTeX braces: braces balanced by dropping the unmatched ones."""
    out, depth = [], 0
    for char in value:
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(char)
    text = "".join(out) + "}" * depth
    return text.replace("&", r"\&").replace("%", r"\%")


def write_bibtex(records: list[dict]) -> str:
    chunks = []
    for record in records:
        kind = _BIB_OUT.get(record["kind"], "misc")
        container_field = {"article": "journal", "incollection": "booktitle", "inproceedings": "booktitle"}
        names = [
            "{" + n["literal"] + "}" if n.get("literal") else _name_text(n) for n in record["authors"]
        ]
        fields = [
            ("author", " and ".join(names)),
            ("title", record["title"]),
            ("year", str(record["year"] or "")),
            (container_field.get(kind, "howpublished" if kind == "misc" else "journal"), record["container"]),
            ("volume", record["volume"]),
            ("number", record["issue"]),
            ("pages", record["pages"].replace("–", "--")),
            ("institution" if kind == "techreport" else "school" if kind == "phdthesis" else "publisher",
             record["publisher"]),
            ("doi", record["doi"]),
            ("url", record["url"]),
            ("abstract", record["abstract"]),
            ("langid", record["language"]),
        ]  # fmt: skip
        if record["kind"] == "article-newspaper":
            fields.append(("type", "newspaper"))
        body = ",\n".join(f"  {name} = {{{_bib_escape(value)}}}" for name, value in fields if value)
        chunks.append(f"@{kind}{{{record['key']},\n{body}\n}}\n")
    return "\n".join(chunks)


# --- RIS -------------------------------------------------------------------------------------------

_RIS_TYPES = {
    "JOUR": "article-journal", "JFULL": "article-journal", "EJOUR": "article-journal", "BOOK": "book",
    "EBOOK": "book", "CHAP": "chapter", "ECHAP": "chapter", "RPRT": "report", "CONF": "paper-conference",
    "CPAPER": "paper-conference", "THES": "thesis", "NEWS": "article-newspaper", "ELEC": "webpage",
    "WEB": "webpage", "DATA": "dataset", "GEN": "document",
}  # fmt: skip
_RIS_OUT = {
    "article-journal": "JOUR", "book": "BOOK", "chapter": "CHAP", "report": "RPRT",
    "paper-conference": "CONF", "thesis": "THES", "article-newspaper": "NEWS", "webpage": "ELEC",
    "dataset": "DATA", "document": "GEN",
}  # fmt: skip
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -( (.*))?$")


def parse_ris(text: str) -> Parsed:
    """Records of a RIS file, cut at each ``TY``/``ER`` pair so an unreadable one is named by its line."""
    import rispy

    parsed = Parsed()
    chunk: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r").lstrip("\ufeff")
        if not line.strip() or re.match(r"^\d+\.$", line.strip()):
            continue
        match = _RIS_LINE.match(line)
        if match is None:
            if chunk:  # a wrapped line of the previous tag (some tools wrap abstracts)
                chunk[-1] += " " + line.strip()
                continue
            parsed.problem(_line(number), _("this line is not a RIS tag (« XX  - value »)."))
            continue
        tag = match.group(1)
        if tag == "TY":
            if chunk:
                parsed.problem(_line(start), _("this record has no end (ER) line."))
            chunk, start = [line], number
        elif not chunk:
            parsed.problem(_line(number), _("this line is outside a record (no TY before it)."))
        elif tag == "ER":
            chunk.append("ER  - ")
            _ris_record(parsed, rispy, chunk, start)
            chunk = []
        else:
            chunk.append(line)
    if chunk:
        parsed.problem(_line(start), _("this record has no end (ER) line."))
    return parsed


def _ris_record(parsed: Parsed, rispy, lines: list[str], start: int) -> None:
    try:
        items = rispy.loads("\n".join(lines) + "\n")
    except Exception:  # rispy raises plain exceptions on odd tags: name the record, keep going
        items = []
    if len(items) != 1:
        parsed.problem(_line(start), _("this record could not be read."))
        return
    item = items[0]
    title = item.get("title") or item.get("primary_title") or ""
    if not title:
        parsed.problem(_line(start), _("this record has no title."))
        return
    pages = "–".join(p for p in (item.get("start_page", ""), item.get("end_page", "")) if p)
    parsed.records.append(_clean({
        "key": item.get("id", ""),
        "kind": _RIS_TYPES.get(item.get("type_of_reference", ""), "document"),
        # RIS writes « Family, Given »; a name without a comma is an institution, kept whole.
        "authors": [
            _split_name(a) if "," in a else {"literal": " ".join(a.split())}
            for a in item.get("authors", []) + item.get("first_authors", [])
            if a.strip()
        ],
        "title": title,
        "year": _year(item.get("year") or item.get("publication_year") or item.get("date")),
        "container": item.get("secondary_title") or item.get("journal_name") or item.get("alternate_title3")
        or "",
        "volume": item.get("volume", ""),
        "issue": item.get("number", ""),
        "pages": pages,
        "publisher": item.get("publisher", ""),
        "doi": item.get("doi", ""),
        "url": (item.get("urls") or [""])[0],
        "abstract": item.get("abstract", "") or item.get("notes_abstract", ""),
        "language": item.get("language", ""),
    }))  # fmt: skip


def write_ris(records: list[dict]) -> str:
    out = []
    for record in records:
        lines = [("TY", _RIS_OUT.get(record["kind"], "GEN")), ("ID", record["key"])]
        lines += [("AU", _name_text(n)) for n in record["authors"]]
        start, _sep, end = record["pages"].partition("–")
        lines += [
            ("TI", record["title"]), ("PY", str(record["year"] or "")), ("T2", record["container"]),
            ("VL", record["volume"]), ("IS", record["issue"]), ("SP", start), ("EP", end),
            ("PB", record["publisher"]), ("DO", record["doi"]), ("UR", record["url"]),
            ("AB", " ".join(record["abstract"].split())), ("LA", record["language"]),
        ]  # fmt: skip
        out.extend(f"{tag}  - {value}" for tag, value in lines if value)
        out.append("ER  - ")
        out.append("")
    return "\n".join(out)


# --- CSL-JSON --------------------------------------------------------------------------------------


#: Deepest nesting read in a CSL-JSON file: an item is a dict of lists of dicts (names, dates), 5 deep.
JSON_MAX_DEPTH = 32
_JSON_TOKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}\n]')


def _too_deep(text: str) -> tuple[int, int] | None:
    """(line, item) where `text` nests deeper than `JSON_MAX_DEPTH`, or None.

    Checked before `json.loads`, which would recurse as deep as the file and only say « too deep »:
    the team is told which item of the list to look at.
    """
    depth, line, item = 0, 1, 0
    for match in _JSON_TOKEN_RE.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth == 2:
                item += 1
            if depth > JSON_MAX_DEPTH:
                return line, item
        elif token in "]}":
            depth -= 1
    return None


def parse_csl_json(text: str) -> Parsed:
    """Records of a CSL-JSON file (Zotero's « CSL JSON » export: a list of items)."""
    parsed = Parsed()
    deep = _too_deep(text)
    if deep is not None:
        raise FormatError(
            _("This is not a CSL-JSON file: it is nested too deeply (line %(line)s, item %(item)s).")
            % {"line": deep[0], "item": deep[1]}
        )
    try:
        data = json.loads(text)
    except RecursionError as error:  # "[[[[…" nested deeper than Python's stack: hostile, not JSON we read
        raise FormatError(_("This is not a CSL-JSON file: it is nested too deeply.")) from error
    except json.JSONDecodeError as error:
        raise FormatError(
            _("This is not a CSL-JSON file (line %(line)s: %(error)s).")
            % {"line": error.lineno, "error": error.msg}
        ) from error
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    if not isinstance(data, list):
        raise FormatError(_("This is not a CSL-JSON file: it should hold a list of items."))
    for index, item in enumerate(data, start=1):
        where = _("item %(index)s") % {"index": index}
        if not isinstance(item, dict):
            parsed.problem(where, _("this item is not a record."))
            continue
        record = from_csl(item)
        if record is None:
            parsed.problem(where, _("this item has no title."))
            continue
        parsed.records.append(record)
    return parsed


def _csl_text(value) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int | float) else ""


def from_csl(item: dict) -> dict | None:
    """A record from one CSL-JSON item (None when it has no title)."""
    title = _csl_text(item.get("title"))
    if not title.strip():
        return None
    issued = item.get("issued") or {}
    year = None
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = _year(parts[0][0])
        elif issued.get("raw") or issued.get("literal"):
            year = _year(issued.get("raw") or issued.get("literal"))
    authors = []
    for name in item.get("author") or []:
        if isinstance(name, dict):
            kept = {k: _csl_text(name.get(k)) for k in ("family", "given", "literal") if name.get(k)}
            if kept:
                authors.append(kept)
    kind = _csl_text(item.get("type"))
    key = _csl_text(item.get("citation-key") or item.get("id"))
    if "://" in key:  # Zotero's item URI, not a citation key: one is made from author, year and title
        key = ""
    return _clean({
        "key": key,
        "kind": kind if kind in ReferenceType.values else "document",
        "authors": authors,
        "title": title,
        "year": year,
        "container": _csl_text(item.get("container-title")),
        "volume": _csl_text(item.get("volume")),
        "issue": _csl_text(item.get("issue")),
        "pages": _csl_text(item.get("page")).replace("--", "–").replace("-", "–"),
        "publisher": _csl_text(item.get("publisher")),
        "doi": _csl_text(item.get("DOI")),
        "url": _csl_text(item.get("URL")),
        "abstract": _csl_text(item.get("abstract")),
        "language": _csl_text(item.get("language")),
    })  # fmt: skip


def to_csl(record: dict) -> dict:
    """One CSL-JSON item (what citeproc-py reads, and what the export writes)."""
    item: dict = {"id": record["key"], "type": record["kind"], "title": record["title"]}
    if record["authors"]:
        item["author"] = [dict(n) for n in record["authors"]]
    if record["year"]:
        item["issued"] = {"date-parts": [[record["year"]]]}
    for name, csl in (
        ("container", "container-title"), ("volume", "volume"), ("issue", "issue"), ("pages", "page"),
        ("publisher", "publisher"), ("doi", "DOI"), ("url", "URL"), ("abstract", "abstract"),
        ("language", "language"),
    ):  # fmt: skip
        if record[name]:
            item[csl] = record[name]
    return item


def write_csl_json(records: list[dict]) -> str:
    return json.dumps([to_csl(r) for r in records], ensure_ascii=False, indent=2) + "\n"


def record_of(reference) -> dict:
    """The record shape of a saved `Reference`."""
    return {name: getattr(reference, name) for name in FIELDS}
