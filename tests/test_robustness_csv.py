"""CSV exports are safe in every locale (issue 34, item 4): text fields are quoted, and no
spreadsheet, whether it splits at ``,``, ``;`` or a tab, finds a cell that starts a formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from atlas.exports.safecells import csv_text
from atlas.exports.write import write_frame

HOSTILE = ["Semi;=1+2;@SUM(1)", "Comma,=1+2", '=HYPERLINK("http://x")', "tab\t=1",
           "Northern NM\r=2+5", "two\n@lines", 'q"uote;=1', " =1", 'x; "=cmd"', "+1",
           "-1+2", "a;-2", "end;", ";", "Akron, OH", "鹤岗市", "Winston-Salem"]


def excel_split(text: str, separator: str) -> list[list[str]]:
    """Rows and cells as a spreadsheet whose locale separates by ``separator`` reads them:
    a field that starts with a quote runs to its closing quote (``""`` is a quote, the
    rest up to the separator is appended as is); any other field runs to the next separator
    or line break."""
    rows, row, i, n = [], [], 0, len(text)
    while True:
        value = []
        if i < n and text[i] == '"':
            i += 1
            while i < n:
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        value.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                value.append(text[i])
                i += 1
        while i < n and text[i] not in (separator, "\r", "\n"):
            value.append(text[i])
            i += 1
        row.append("".join(value))
        if i >= n:
            rows.append(row)
            return rows
        if text[i] == separator:
            i += 1
            continue
        i += 2 if text[i:i + 2] == "\r\n" else 1
        rows.append(row)
        row = []
        if i >= n:
            return rows


def runs_as_formula(cell: str) -> bool:
    """A cell a spreadsheet evaluates: it starts (after spaces or quotes) with = + - @ and
    is not a plain number."""
    stripped = cell.lstrip(' "')
    if not stripped.startswith(("=", "+", "-", "@")):
        return False
    try:
        float(stripped)
    except ValueError:
        return True
    return False


@pytest.fixture()
def written(tmp_path):
    frame = pd.DataFrame({"region_id": [f"r{i}" for i in range(len(HOSTILE))],
                          "name": HOSTILE,
                          "change": [-0.5 + i for i in range(len(HOSTILE))],
                          "=rank": range(len(HOSTILE))})
    path = write_frame(frame, tmp_path / "x.csv")
    return frame, path.read_bytes().decode("utf-8-sig")  # line breaks as written


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_no_cell_runs_as_a_formula_in_any_locale(written, separator):
    frame, text = written
    cells = [cell for row in excel_split(text, separator) for cell in row]
    assert [cell for cell in cells if runs_as_formula(cell)] == []
    if separator == ",":
        assert "-0.5" in cells  # numbers are written as they are


def test_the_splitter_finds_what_an_unprotected_file_exposes():
    """Without the protection (the text as given, quoted), a semicolon locale evaluates the
    piece after the separator: the test's splitter sees what Excel sees."""
    plain = 'r1,"Semi;=1+2;@SUM(1)",0.5\r\n'
    cells = [cell for row in excel_split(plain, ";") for cell in row]
    assert cells == ['r1,"Semi', '=1+2', '@SUM(1)",0.5']
    assert runs_as_formula(cells[1]) and runs_as_formula(cells[2])


def test_text_fields_are_quoted_and_read_back_whole(written):
    frame, text = written
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["region_id", "name", "change", "'=rank"]
    assert len(rows) == len(frame) + 1 and {len(row) for row in rows} == {4}
    assert [row[1] for row in rows[1:]] == [csv_text(name) for name in HOSTILE]
    assert text.startswith('"region_id","name","change","\'=rank"\r\n"r0","Semi;')
    assert csv_text("Akron, OH") == "Akron, OH" and csv_text("鹤岗市") == "鹤岗市"
    assert csv_text("Semi;=1+2;@SUM(1)") == "Semi;'=1+2;'@SUM(1)"
