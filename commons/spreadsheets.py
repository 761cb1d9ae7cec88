"""Every CSV and XLSX the project writes goes through here: cells are quoted and neutralised.

Why: a spreadsheet runs a cell that starts with ``= + - @`` (or a tab or carriage return, which
some programs strip before looking) as a formula — « CSV injection » (OWASP). Checking only the
first character is not enough: a CSV opened with another separator than the one it was written
with (``;`` in a French spreadsheet, ``,`` elsewhere) splits ``Budget 2027;=1+1;`` into cells and
runs ``=1+1``. So a text cell gets a ``'`` before a formula start at its beginning *and* after any
character a spreadsheet may split on (``; , | tab CR LF``), with spaces in between allowed.
Numbers are written as numbers: they cannot be formulas.

Every CSV cell is quoted (``QUOTE_ALL``), so a separator inside a text never splits it for a
reader using the writer's separator. XLSX cells are written as values, never formulas, and lose
the control characters that the format forbids.

`commons` may not import `studies`; studies import this module for their downloads.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.http import HttpResponse

__all__ = ["FORMULA_STARTS", "csv_response", "neutralise", "write_csv", "xlsx_bytes", "xlsx_response"]

#: A cell (or a piece of it after a separator) starting with one of these runs as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Where a spreadsheet may cut a text into cells: a formula start after one of these is neutralised.
_AFTER_SEPARATOR = re.compile(r"([;,|\t\r\n][ \u00a0]*)(?=[=+\-@\t\r])")
#: Control characters XLSX refuses (openpyxl raises on them): tab, LF and CR are allowed.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | Decimal | Fraction | date | None


def neutralise(value: Cell) -> str | int | float | Decimal | date:
    """A cell value safe to write: numbers and dates as they are, anything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float | Decimal | date):
        return value
    if isinstance(value, Fraction):
        return float(value)
    text = str(value)
    text = _AFTER_SEPARATOR.sub(r"\1'", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _safe_rows(rows: Iterable[Sequence[Cell]]) -> Iterable[list]:
    for row in rows:
        yield [neutralise(value) for value in row]


def write_csv(target, rows: Iterable[Sequence[Cell]]) -> None:
    """Write `rows` to the file-like `target`: every cell quoted and neutralised."""
    writer = csv.writer(target, quoting=csv.QUOTE_ALL)
    for row in _safe_rows(rows):
        writer.writerow([value.isoformat() if isinstance(value, date) else value for value in row])


def _disposition(filename: str) -> str:
    safe = re.sub(r"[^\w.-]", "-", filename, flags=re.ASCII)
    return f'attachment; filename="{safe}"'


def csv_response(filename: str, rows: Iterable[Sequence[Cell]]) -> HttpResponse:
    """A CSV download (UTF-8 with a BOM, so spreadsheet software reads accents right)."""
    response = HttpResponse(content_type=CSV_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    response.write("\ufeff")
    write_csv(response, rows)
    return response


def xlsx_bytes(rows: Iterable[Sequence[Cell]], title: str = "Data") -> bytes:
    """An XLSX workbook of one sheet holding `rows`: values only, text neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Data")
    for row in _safe_rows(rows):
        sheet.append([_XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, rows: Iterable[Sequence[Cell]], title: str = "Data") -> HttpResponse:
    """An XLSX download of `rows` (see `xlsx_bytes`)."""
    response = HttpResponse(xlsx_bytes(rows, title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response
