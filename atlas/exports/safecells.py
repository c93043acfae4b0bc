"""Spreadsheet formula injection: text that a spreadsheet would run as a formula.

Per the OWASP CSV-injection guidance, a text cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is a formula to Excel and LibreOffice. ``is_formula_like`` is the
test of a whole cell: the XLSX writer stores such text as a text cell with Excel's quote
prefix (``atlas.exports.workbook``), which shows the name unchanged. Numbers are never touched.

A CSV file is read by each spreadsheet with its locale's separator: ``,`` in most English
locales, ``;`` in most of Europe, sometimes a tab. A spreadsheet that splits at another
character than the writer used cuts a text field at every such character (and at a line
break, once the field no longer starts with its quote), so a piece in the middle of a name
such as ``Semi;=1+2`` becomes a cell of its own. :func:`csv_text` therefore puts a single
quote at the start of the text *and* after every ``,``, ``;``, tab, CR or LF that a formula
(after spaces or quotes) follows; every text field is also quoted
(:data:`CSV_QUOTING`), so a spreadsheet that splits as the writer did reads it whole.
"""

from __future__ import annotations

import csv
import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet in some locale may start a new cell inside a text field.
SPLITTERS = ",;\t\r\n"
# A place a cell could start (the text's start, or just after a splitter) followed, after
# spaces or quotes, by the start of a formula: a single quote goes there.
CELL_START = re.compile(r"(^|[,;\t\r\n])(?=[ \"]*[=+\-@\t\r])")
CSV_QUOTING = csv.QUOTE_NONNUMERIC  # every text field quoted, numbers as they are


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would evaluate as a formula (as a whole cell)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: object) -> object:
    """``value`` with a single quote wherever a spreadsheet, splitting at any locale's
    separator or a line break, would start a cell with a formula (text only)."""
    return CELL_START.sub(r"\1'", value) if isinstance(value, str) else value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as formulas in any locale (headers
    included)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(csv_text).astype(out[column].dtype)
    return out.rename(columns=csv_text)
