"""Spreadsheet formula injection: text that a spreadsheet would run as a formula.

Per the OWASP CSV-injection guidance, a text cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is a formula to Excel and LibreOffice. ``is_formula_like`` is the
one test every writer uses: the CSV writer prefixes such text with a single quote
(``csv_safe``), the XLSX writer stores it as a text cell with Excel's quote prefix
(``atlas.exports.workbook``), which shows the name unchanged. Numbers are never touched.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would evaluate as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: object) -> object:
    """``value`` with a leading single quote if it is formula-like text."""
    return "'" + value if is_formula_like(value) else value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as formulas (headers included)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(csv_text).astype(out[column].dtype)
    return out.rename(columns=csv_text)
