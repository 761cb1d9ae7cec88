"""`commons.spreadsheets`: the one helper behind every CSV and XLSX the project writes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from commons.spreadsheets import csv_response, neutralise, xlsx_bytes, xlsx_response

HOSTILE = [
    ("=1+1", "'=1+1"),
    ("+33 6", "'+33 6"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t'=1"),  # a tab is a separator too (TSV): the formula after it is neutralised as well
    ("\r=1", "'\r'=1"),
    ("Budget 2027;=1+1;", "Budget 2027;'=1+1;"),
    ("a,=1", "a,'=1"),
    ("a, =1", "a, '=1"),
    ("a|@x", "a|'@x"),
    ("ligne\n=cmd", "ligne\n'=cmd"),
    ("a;\t=1", "a;'\t'=1"),
]


@pytest.mark.parametrize(("value", "expected"), HOSTILE)
def test_formula_starts_are_neutralised_at_the_start_and_after_separators(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("value", ["Élargir l'étude — « 2026 »", "C-07", "1 + 1 = 2", "e-mail", "a;b,c"])
def test_ordinary_text_is_untouched(value):
    assert neutralise(value) == value


def test_numbers_and_dates_stay_values():
    assert neutralise(-3) == -3 and neutralise(2.5) == 2.5 and neutralise(None) == ""
    assert neutralise(Fraction(1, 4)) == 0.25 and neutralise(date(2026, 1, 2)) == date(2026, 1, 2)
    assert neutralise(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00+00:00"


def test_csv_quotes_every_cell_and_reads_back():
    response = csv_response("x y;=z.csv", [["a", 1, "=1+1"], ["Budget;=2", -4, None]])
    assert response["Content-Disposition"] == 'attachment; filename="x-y--z.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert text.removeprefix("\ufeff").splitlines() == ['"a","1","\'=1+1"', '"Budget;\'=2","-4",""']
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["a", "1", "'=1+1"],
        ["Budget;'=2", "-4", ""],
    ]


def test_xlsx_writes_values_never_formulas():
    data = xlsx_bytes([["titre", "n"], ['=HYPERLINK("x")', 3], ["a;@b\x00\x07", -1.5]], title="Codes: [1]")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [["titre", "n"], ['\'=HYPERLINK("x")', 3], ["a;'@b", -1.5]]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.title == "Codes   1 "
    assert xlsx_response("t.xlsx", [["a"]])["Content-Type"].startswith("application/vnd.openxml")


# --- Streaming (large tables) -----------------------------------------------------------------------


def test_streamed_csv_is_the_same_csv_sent_in_pieces(monkeypatch):
    from commons import spreadsheets

    rows = [["Nom", "Valeur"], *[[f"ligne {n}", hostile] for n, (hostile, _safe) in enumerate(HOSTILE)]]
    whole = csv_response("t.csv", rows).content.decode("utf-8")
    monkeypatch.setattr(spreadsheets, "STREAM_PIECE", 40)  # many small pieces
    pieces = list(spreadsheets.csv_lines(iter(rows)))
    assert len(pieces) > 3 and "".join(pieces) == whole
    response = spreadsheets.csv_streaming_response("t é.csv", iter(rows))
    assert response.streaming and response["Content-Type"] == spreadsheets.CSV_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="t--.csv"'  # é is not ASCII
    read = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8")[1:])))
    assert [value for _name, value in read[1:]] == [safe for _hostile, safe in HOSTILE]


def test_rows_are_consumed_as_the_stream_is_read():
    """Nothing is read before the response is; a generator of rows is not listed in memory."""
    from commons import spreadsheets

    consumed = []

    def rows():
        for n in range(3):
            consumed.append(n)
            yield [n, "x" * spreadsheets.STREAM_PIECE]

    response = spreadsheets.csv_streaming_response("t.csv", rows())
    assert consumed == []
    stream = iter(response.streaming_content)
    next(stream)
    assert consumed == [0]


def test_streamed_xlsx_holds_the_rows_as_values():
    from commons import spreadsheets

    rows = [["Nom", "Valeur"], *[[f"ligne {n}", hostile] for n, (hostile, _safe) in enumerate(HOSTILE)]]
    response = spreadsheets.xlsx_streaming_response("t.xlsx", iter(rows), title="Un: titre")
    assert response.streaming and response["Content-Type"] == spreadsheets.XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="t.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.title == "Un  titre"
    values = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(values) == len(HOSTILE)
    for value, (_hostile, safe) in zip(values, HOSTILE, strict=True):
        if "\r" not in safe:  # XML reads a carriage return back as a line feed
            assert value == safe
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    response.file_to_stream.close()  # the temporary file (response.close() would signal the request's end)


def test_writing_an_xlsx_loads_neither_openpyxl_nor_numpy():
    """Our streaming writer (`commons.xlsx`) needs nothing but the standard library: openpyxl's
    import alone (about 5 MB, and numpy's 20 MB behind it) weighed more than a 200,000-row export
    (issue 14's memory budget). In a fresh interpreter, since this process has loaded both."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "from commons.spreadsheets import xlsx_bytes\n"
        "data = xlsx_bytes([['a', 1, 2.5]])\n"
        "assert 'openpyxl' not in sys.modules, 'openpyxl was imported'\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
        "sys.stdout.buffer.write(data)\n"
    )
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()
    assert [c.value for c in next(load_workbook(io.BytesIO(completed.stdout)).active.iter_rows())] == [
        "a",
        1,
        2.5,
    ]


def test_xlsx_cells_keep_their_types_and_text():
    """What a spreadsheet reads back: numbers as numbers, dates as dates, any text as written (XML
    escapes, emoji, accents), columns past Z, empty cells left empty, characters XML cannot hold
    dropped rather than breaking the file."""
    from commons.spreadsheets import xlsx_bytes
    from commons.xlsx import column_letter

    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
    wide = [f"c{n}" for n in range(30)]
    rows = [
        wide,
        [1, 2.5, Decimal("3.25"), date(2026, 3, 1), "a < b & c > \"d\" 'e'", "émoji 🤖 ok", None, "", True],
        ["nul\x00 et \x0b retirés", float("nan"), -7, "  espaces  ", "ligne 1\nligne 2"],
    ]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(rows, title="Feuille"))).active
    assert sheet.title == "Feuille"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == wide
    assert values[1][:6] == [1, 2.5, 3.25, datetime(2026, 3, 1), "a < b & c > \"d\" 'e'", "émoji 🤖 ok"]
    assert values[1][6:9] == [None, None, "True"]
    assert values[2][:5] == ["nul et  retirés", "nan", -7, "  espaces  ", "ligne 1\nligne 2"]
    assert sheet.cell(row=2, column=4).number_format == "mm-dd-yy"  # the built-in date format (14)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.text(max_size=40), st.integers(-(10**12), 10**12)), max_size=6), max_size=8
    )
)
def test_any_text_or_number_reads_back_as_written(rows):
    """Hypothesis: whatever text (neutralised, minus what XML cannot hold) or integer is written, a
    spreadsheet reads it back the same, in its place."""
    import re

    from commons.spreadsheets import neutralise, xlsx_bytes

    data = xlsx_bytes([list(row) for row in rows] or [[]])
    sheet = load_workbook(io.BytesIO(data)).active
    not_xml = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            expected = neutralise(value)
            if isinstance(expected, str):
                expected = not_xml.sub("", expected).replace("\r\n", "\n").replace("\r", "\n") or None
            assert sheet.cell(row=r, column=c).value == expected, (r, c, value)
