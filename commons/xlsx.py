"""A streaming XLSX writer: one sheet of values, written row by row into its zip archive.

Why not openpyxl, which Wagtail installs (and which the tests use to read our files back): its
write-only mode streams the rows well, but importing it costs a worker about 5 MB, and issue 14
holds the whole process under 150 MB while it exports 200,000 coded segments — on SQLite the
worker is at 146 MB before the download starts (``bench/exports.py``, ``bench/README.md``). What we
write is the plainest spreadsheet there is: one sheet, text, numbers and dates, no formula, no
style but the date format. That is five fixed parts and one sheet written as it goes, with the
standard library's `zipfile` (already loaded): no import, and a few kilobytes held.

The cells are those of `commons.spreadsheets`, already neutralised there (the one place for
formula injection); this module only encodes them. Text is written as inline strings (no shared
string table to hold in memory), dates as serial numbers with the built-in date format (14), so a
spreadsheet sorts and filters them as dates.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape, quoteattr

__all__ = ["column_letter", "write_sheet"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    f'{_HEAD}<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_HEAD}<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
#: Style 0: none; style 1: the built-in short date (numFmtId 14), for `date` cells.
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

#: Characters XML 1.0 cannot hold at all (the control characters but tab, LF and CR; lone
#: surrogates; U+FFFE and U+FFFF): dropped from the text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Day 0 of spreadsheet dates (1900 system, as Excel, LibreOffice and openpyxl count them).
_EPOCH = date(1899, 12, 30)
#: The sheet is handed to the archive in pieces of about this many characters.
_PIECE = 64 * 1024

Value = str | int | float | Decimal | date | None


def column_letter(index: int) -> str:
    """The letters of the 0-based column `index`: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: Value) -> str:
    """One ``<c>`` element, or "" for an empty cell (not written at all)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):  # before int: a bool is an int
        value = str(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EPOCH).days}</v></c>'
    text = escape(_NOT_XML.sub("", str(value)))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def write_sheet(target: IO[bytes], rows: Iterable[Sequence[Value]], title: str) -> None:
    """Write an XLSX workbook of one sheet named `title` holding `rows` to the binary file `target`.

    `rows` is read once, as the sheet is written: nothing but a piece of about 64 KB of XML is held.
    `title` must already be a valid sheet name (at most 31 characters, none of ``[]:*?/\\``).
    """
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr(
            "xl/workbook.xml",
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            f'<sheet name={quoteattr(_NOT_XML.sub("", title))} sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            piece = [f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>']
            size = 0
            letters: list[str] = []
            for number, row in enumerate(rows, start=1):
                while len(letters) < len(row):
                    letters.append(column_letter(len(letters)))
                line = "".join(_cell(f"{letters[i]}{number}", value) for i, value in enumerate(row))
                piece.append(f'<row r="{number}">{line}</row>')
                size += len(line)
                if size >= _PIECE:
                    sheet.write("".join(piece).encode())
                    piece, size = [], 0
            piece.append("</sheetData></worksheet>")
            sheet.write("".join(piece).encode())
