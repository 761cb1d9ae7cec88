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
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

__all__ = [
    "FORMULA_STARTS",
    "csv_lines",
    "csv_response",
    "csv_streaming_response",
    "neutralise",
    "write_csv",
    "write_xlsx",
    "xlsx_bytes",
    "xlsx_response",
    "xlsx_streaming_response",
]

#: A cell (or a piece of it after a separator) starting with one of these runs as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Where a spreadsheet may cut a text into cells: a formula start after one of these is neutralised.
_AFTER_SEPARATOR = re.compile(r"([;,|\t\r\n][ \u00a0]*)(?=[=+\-@\t\r])")
#: Control characters XML (hence XLSX) cannot hold: tab, LF and CR are allowed.
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


def _csv_row(row: list) -> list:
    return [value.isoformat() if isinstance(value, date) else value for value in row]


def write_csv(target, rows: Iterable[Sequence[Cell]]) -> None:
    """Write `rows` to the file-like `target`: every cell quoted and neutralised."""
    writer = csv.writer(target, quoting=csv.QUOTE_ALL)
    for row in _safe_rows(rows):
        writer.writerow(_csv_row(row))


class _Echo:
    """A file whose `write` hands the text back: `csv.writer` then formats one row at a time."""

    def write(self, value: str) -> str:
        return value


#: Rows of a streamed CSV are sent in pieces of about this many characters (fewer, larger writes).
STREAM_PIECE = 64 * 1024


def csv_lines(rows: Iterable[Sequence[Cell]], *, bom: bool = True) -> Iterator[str]:
    """The CSV of `rows` as pieces of text, produced as `rows` is consumed (nothing held but a piece).

    Same cells as `write_csv` (quoted, neutralised); starts with a BOM so that spreadsheet software
    reads accents right.
    """
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    piece: list[str] = ["\ufeff"] if bom else []
    size = 0
    for row in _safe_rows(rows):
        line = writer.writerow(_csv_row(row))
        piece.append(line)
        size += len(line)
        if size >= STREAM_PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


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


def write_xlsx(target, rows: Iterable[Sequence[Cell]], title: str = "Data") -> None:
    """Write an XLSX workbook of one sheet holding `rows` to the binary file-like `target`.

    Values only, text neutralised. The sheet is written as the rows are read (`commons.xlsx`, our
    streaming writer: openpyxl's import alone weighed more than an export of 200,000 rows), so the
    rows are never all in memory.
    """
    from .xlsx import write_sheet

    sheet_title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Data"
    cells = (
        [_XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value for value in row]
        for row in _safe_rows(rows)
    )
    write_sheet(target, cells, sheet_title)


def xlsx_bytes(rows: Iterable[Sequence[Cell]], title: str = "Data") -> bytes:
    """An XLSX workbook of one sheet holding `rows`: values only, text neutralised."""
    buffer = io.BytesIO()
    write_xlsx(buffer, rows, title)
    return buffer.getvalue()


def xlsx_response(filename: str, rows: Iterable[Sequence[Cell]], title: str = "Data") -> HttpResponse:
    """An XLSX download of `rows` (see `xlsx_bytes`)."""
    response = HttpResponse(xlsx_bytes(rows, title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response


def csv_streaming_response(filename: str, rows: Iterable[Sequence[Cell]]) -> StreamingHttpResponse:
    """A CSV download sent while `rows` is read: for tables too large to hold (see `csv_lines`).

    `rows` should read the database in chunks (``.iterator(chunk_size=…)``); it runs as the response
    is sent, after the view has returned.
    """
    response = StreamingHttpResponse(csv_lines(rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response


def xlsx_streaming_response(
    filename: str, rows: Iterable[Sequence[Cell]], title: str = "Data"
) -> FileResponse:
    """An XLSX download of a large table: the workbook is built on disk, then sent in blocks.

    An XLSX is a zip archive whose directory comes last, so it cannot be sent before it is
    complete; building it in a temporary file (deleted when the response closes) keeps the memory
    bounded whatever the number of rows.
    """
    spool = tempfile.TemporaryFile()
    write_xlsx(spool, rows, title)
    spool.seek(0)
    response = FileResponse(spool, content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response
