"""Importing a bibliography file into a bureau's library: read, plan (preview), apply (atomic).

Why a plan: the page shows what an import *would* do (new records, duplicates skipped, keys
renamed, places the file could not be read) before anything is written, and the command's
``--dry-run`` prints the same plan. A duplicate is a record whose DOI is already in the library (or
earlier in the file), or, without DOI, whose normalised title and year are. Applying writes the
plan's new records in one transaction; a key already taken by a different record gets a letter
(``dupont2020`` → ``dupont2020a``), as BibTeX users do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from ..models.library import KEY_MAX, Reference, normalise_doi, normalise_title
from .formats import FormatError, Parsed, format_for, parse

#: Largest file read: about two thousand references with their abstracts, under Django's 2.5 MB limit on
#: a form field (the preview sends the file back with the confirmation).
MAX_BYTES = 2 * 1024 * 1024
#: Most records one import adds.
MAX_RECORDS = 5000

NEW, DUPLICATE = "new", "duplicate"


class LibraryImportError(ValueError):
    """The file is refused as a whole (too big, empty, wrong type, not text): a translated message."""


@dataclass
class Row:
    record: dict
    status: str  # NEW or DUPLICATE
    #: The key it will be saved under (differs from the file's when that key is taken).
    key: str = ""
    #: What it duplicates: an existing reference, or the key of an earlier record of the file.
    duplicate_of: str = ""


@dataclass
class Plan:
    fmt: str
    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def new(self) -> list[Row]:
        return [row for row in self.rows if row.status == NEW]

    @property
    def duplicates(self) -> list[Row]:
        return [row for row in self.rows if row.status == DUPLICATE]

    @property
    def renamed(self) -> list[Row]:
        return [row for row in self.new if row.key != row.record["key"]]


def check_size(size: int) -> None:
    """Refuse a file over `MAX_BYTES` (before reading it, when its size is known)."""
    if size > MAX_BYTES:
        raise LibraryImportError(
            _("This file is too large (%(size)s MB): the limit is %(limit)s MB.")
            % {"size": round(size / 1024 / 1024, 1), "limit": MAX_BYTES // 1024 // 1024}
        )


def read_file(name: str, data: bytes) -> tuple[str, str]:
    """(format, text) of an uploaded file, or `LibraryImportError` saying why it is refused."""
    try:
        fmt = format_for(name or "")
    except FormatError as error:
        raise LibraryImportError(str(error)) from error
    check_size(len(data))
    if not data.strip():
        raise LibraryImportError(_("This file is empty."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # old Windows exports; anything else is not a text file
        except UnicodeDecodeError as error:
            raise LibraryImportError(_("This file is not text (UTF-8 expected).")) from error
    if "\x00" in text:
        raise LibraryImportError(_("This file is not text (UTF-8 expected)."))
    return fmt, text


def plan_import(bureau, fmt: str, text: str) -> Plan:
    """What importing `text` would do in `bureau`'s library (reads the library once, writes nothing)."""
    try:
        parsed: Parsed = parse(text, fmt)
    except FormatError as error:
        raise LibraryImportError(str(error)) from error
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as error:
        # A parser tripping on input it was not written for: the file is refused, never a 500.
        raise LibraryImportError(_("This file could not be read as %(format)s.") % {"format": fmt}) from error
    if len(parsed.records) > MAX_RECORDS:
        raise LibraryImportError(
            _("This file holds %(count)s records: at most %(limit)s are imported at once.")
            % {"count": len(parsed.records), "limit": MAX_RECORDS}
        )
    if not parsed.records and not parsed.problems:
        raise LibraryImportError(_("No reference was found in this file."))
    existing = list(
        Reference.objects.filter(bureau=bureau).values_list("key", "doi_key", "title_key", "year")
    )
    keys = {key.lower() for key, *_rest in existing}
    by_doi = {doi: key for key, doi, _t, _y in existing if doi}
    by_title = {(title, year): key for key, _d, title, year in existing if title}
    plan = Plan(fmt=fmt, problems=parsed.problems)
    for record in parsed.records:
        doi, title = normalise_doi(record["doi"]), normalise_title(record["title"])
        match = by_doi.get(doi) if doi else None
        if match is None and title:
            match = by_title.get((title, record["year"]))
        if match is not None:
            plan.rows.append(Row(record, DUPLICATE, key=record["key"], duplicate_of=match))
            continue
        key = _free_key(record["key"], keys)
        keys.add(key.lower())
        if doi:
            by_doi[doi] = key
        if title:
            by_title[(title, record["year"])] = key
        plan.rows.append(Row(record, NEW, key=key))
    return plan


def _free_key(key: str, taken: set[str]) -> str:
    if key.lower() not in taken:
        return key
    base = key[: KEY_MAX - 3]
    for suffix in _suffixes():
        candidate = f"{base}{suffix}"
        if candidate.lower() not in taken:
            return candidate
    raise AssertionError("unreachable")


def _suffixes():
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters
    for first in letters:
        for second in letters:
            yield first + second
    n = 1
    while True:
        yield str(n)
        n += 1


@transaction.atomic
def apply_import(bureau, plan: Plan, user=None) -> list[Reference]:
    """Write the plan's new records (all or none) and return them.

    A file with a part that could not be read is refused whole (`LibraryImportError`): importing
    the rest would leave the team believing the library matches its file.
    """
    if plan.problems:
        raise LibraryImportError(
            _("Nothing was imported: %(count)s part(s) of the file could not be read (see the list).")
            % {"count": len(plan.problems)}
        )
    rows = []
    for row in plan.new:
        reference = Reference(bureau=bureau, added_by=user, **dict(row.record, key=row.key))
        reference.derive()
        rows.append(reference)
    created = Reference.objects.bulk_create(rows, batch_size=500)
    from .. import page_cache

    page_cache.changed()  # bulk_create sends no signal; a cached protocol page may cite these keys
    return created


def export(bureau, fmt: str) -> str:
    """The bureau's whole library in `fmt` (``bibtex``, ``ris``, ``csl-json``), by key."""
    from .formats import record_of, write

    return write([record_of(r) for r in Reference.objects.filter(bureau=bureau).order_by("key", "pk")], fmt)
