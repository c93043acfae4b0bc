"""XLSX layout: bold frozen header, autofilter, number formats, widths that fit, a totals
row, and text that can never run as a formula.

The content of the sheets comes from ``atlas.exports.sheets``; this module only lays it out.
The files are written with xlsxwriter (several times faster than openpyxl for the same
cells, styles and page set-up; openpyxl still reads them in the tests).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from atlas.exports.safecells import is_formula_like
from atlas.store.files import atomic_write
from atlas.texts.terminal import display_width

HEADER_WRAP = 14  # a longer header wraps onto a second line instead of widening its column
MAX_WIDTH = 60
TEXT_WIDTH = 100  # long-text columns (method, dictionary) wrap at this width
DIGIT_PIXELS = 7  # a character of Calibri 11, the width unit of a column
DATE_FORMAT = "yyyy-mm-dd h:mm:ss"  # what openpyxl gave times and dates
DAY_FORMAT = "yyyy-mm-dd"


@dataclass
class Column:
    """One column of a sheet.

    Attributes
    ----------
    header
        Header text (row 1).
    values
        One value per row (numbers stay numbers; None or NaN is a blank cell).
    number_format
        Excel number format, e.g. ``#,##0`` or ``#,##0 "USD"``; None: General.
    total
        Value of the totals row (None: blank).
    meaning
        What the column means (the dictionary sheet).
    """

    header: str
    values: list
    number_format: str | None = None
    total: object = None
    meaning: str = ""


@dataclass
class Sheet:
    """A sheet: columns, whether it ends in a totals row, whether long text wraps, an
    optional title block (lines written above the table, the first in bold) and
    ``subtotals``: rows after the totals row, each a value by column header."""

    name: str
    columns: list[Column]
    totals: bool = False
    wrap: bool = False
    subtotals: list[dict[str, object]] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = len(self.columns[0].values) if self.columns else 0


def cell_value(value: object) -> object:
    """A value a cell can store: Python scalars, None for missing, text without control
    characters Excel refuses."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, bool | int | float | dt.date | dt.datetime):
        return value
    return str(value)


def _text_width(text: str) -> int:
    """:func:`atlas.texts.terminal.display_width`, at once for ASCII (one column a character)."""
    return len(text) if text.isascii() else display_width(text)


def _shown_width(value: object, number_format: str | None) -> int:
    """Approximate width of a value as Excel shows it under ``number_format``."""
    return _clean_width(cell_value(value), number_format)


def _clean_width(value: object, number_format: str | None) -> int:
    """:func:`_shown_width` of a value already made a cell's (:func:`cell_value`)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        suffix = number_format.split('"')[1] if number_format and '"' in number_format else ""
        digits = f"{value:,.0f}" if abs(value) >= 1000 or (number_format or "").startswith(
            "#,##0") else f"{value:.3f}"
        return len(digits) + len(suffix) + (2 if number_format and "%" in number_format else 1)
    return max(_text_width(line) for line in str(value).split("\n"))


def _column_width(column: Column, wrap: bool, cells: list | None = None) -> float:
    """The column's width in characters; ``cells``: its values already made cells'
    (:func:`cell_value`; default: made here)."""
    if cells is None:
        cells = [cell_value(v) for v in column.values]
    values = [*cells, cell_value(column.total)]
    widest = max([_clean_width(v, column.number_format) for v in values], default=0)
    header = max(_text_width(word) for word in column.header.split()) if column.header else 0
    width = max(widest, header, min(_text_width(column.header), HEADER_WRAP))
    return min(width + 2, TEXT_WIDTH if wrap else MAX_WIDTH)


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` takes when wrapped at ``width`` characters (words kept whole)."""
    lines, used = 1, 0
    for word in str(text).split():
        size = display_width(word)
        if used and used + 1 + size > width:
            lines, used = lines + 1, size
        else:
            used += size + (1 if used else 0)
    return lines



@dataclass(frozen=True)
class _Style:
    """The formats of a cell style: for numbers and plain text, for formula-like text (with
    Excel's quote prefix) and for dates (in openpyxl's date format unless the style has one);
    None is the default format."""

    plain: Format | None
    quoted: Format | None
    timed: Format | None
    day: Format | None


class _Formats:
    """The workbook's cell formats, each registered once (xlsxwriter writes one style record
    per format added): a format is named by its properties, sorted."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.known: dict[tuple, Format] = {}
        self.styles: dict[tuple, _Style] = {}

    def get(self, **properties: object) -> Format | None:
        """The format with ``properties`` (xlsxwriter's names; falsy ones left out); None
        for the default one."""
        key = tuple(sorted((name, value) for name, value in properties.items() if value))
        if not key:
            return None
        if key not in self.known:
            self.known[key] = self.book.add_format(dict(key))
        return self.known[key]

    def style(self, **properties: object) -> _Style:
        """The :class:`_Style` of ``properties`` (looked up once per column, not per cell)."""
        key = tuple(sorted((name, value) for name, value in properties.items() if value))
        if key not in self.styles:
            own = dict(key)
            self.styles[key] = _Style(
                self.get(**own), self.get(**own, quote_prefix=True),
                self.get(**{"num_format": DATE_FORMAT, **own}),
                self.get(**{"num_format": DAY_FORMAT, **own}))
        return self.styles[key]


def write_cell(ws: Worksheet, row: int, col: int, value: object, style: _Style) -> None:
    """Store ``value`` at (``row``, ``col``) (0-based) in ``style``; text is always stored as
    text (never a formula), and formula-like text with Excel's quote prefix
    (:func:`atlas.exports.safecells.is_formula_like`)."""
    _write_clean(ws, row, col, cell_value(value), style)


def _write_clean(ws: Worksheet, row: int, col: int, value: object, style: _Style) -> None:
    """:func:`write_cell` of a value already made a cell's (:func:`cell_value`)."""
    if value is None or value == "":  # a blank cell (with its format), as openpyxl wrote it
        ws.write_blank(row, col, None, style.plain)
    elif isinstance(value, str):
        ws.write_string(row, col, value, style.quoted if is_formula_like(value) else style.plain)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, style.plain)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, style.plain)
    else:  # a date or datetime
        ws.write_datetime(row, col, value,
                          style.timed if isinstance(value, dt.datetime) else style.day)


def _title_block(ws: Worksheet, sheet: Sheet, widths: list[float], formats: _Formats) -> int:
    """Write the title lines across the table's width; returns the header row's number
    (1-based)."""
    if not sheet.title:
        return 1
    span = max(len(sheet.columns), 1)
    total = sum(widths) or 60
    for row, text in enumerate(sheet.title, start=1):
        style = {"text_wrap": True, "valign": "top"}
        style.update({"bold": True, "font_size": 13} if row == 1 else
                     {"bold": text.startswith("Warning")})
        if span > 1:
            ws.merge_range(row - 1, 0, row - 1, span - 1, "", formats.get(**style))
        write_cell(ws, row - 1, 0, text, formats.style(**style))
        ws.set_row(row - 1, (18 if row == 1 else 15) * _lines(text, total * 0.95))
    return len(sheet.title) + 2  # a blank row between the title block and the table


def _page_setup(ws: Worksheet, header_row: int) -> None:
    """Print landscape, all columns on one page's width, the header row on every page."""
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row - 1)
    ws.set_margins(left=0.4, right=0.4, top=1, bottom=1)  # top, bottom: openpyxl's defaults


def _write_sheet(book: xlsxwriter.Workbook, sheet: Sheet, formats: _Formats,
                 mark: str | None) -> None:
    ws = book.add_worksheet(sheet.name)
    cells = [[cell_value(v) for v in column.values] for column in sheet.columns]  # once each
    widths = [_column_width(column, sheet.wrap, values)
              for column, values in zip(sheet.columns, cells, strict=True)]
    top = _title_block(ws, sheet, widths, formats)
    header_lines = 1
    for index, column in enumerate(sheet.columns):
        write_cell(ws, top - 1, index, column.header,
                   formats.style(bold=True, text_wrap=True, valign="top"))
        width = widths[index]
        header_lines = max(header_lines, _lines(column.header, width - 1))
        body = {"num_format": column.number_format}
        if sheet.wrap:
            body.update(text_wrap=sheet.wrap and width >= TEXT_WIDTH, valign="top")
        style = formats.style(**body)
        for row, value in enumerate(cells[index], start=top):
            _write_clean(ws, row, index, value, style)
        ws.set_column_pixels(index, index, round(width * DIGIT_PIXELS))  # exactly `width`
    ws.set_row(top - 1, 15 * header_lines)  # wrapped headers never cover the next row
    ws.freeze_panes(top, 0)
    ws.autofilter(top - 1, 0, top - 1 + sheet.rows, max(len(sheet.columns), 1) - 1)
    _page_setup(ws, top)
    if sheet.totals:
        row = top + sheet.rows
        for index, column in enumerate(sheet.columns):
            write_cell(ws, row, index, column.total,
                       formats.style(bold=True, top=1, num_format=column.number_format))
    for offset, subtotal in enumerate(sheet.subtotals, start=top + sheet.rows + sheet.totals):
        for index, column in enumerate(sheet.columns):
            write_cell(ws, offset, index, subtotal.get(column.header),
                       formats.style(bold=True, num_format=column.number_format))
    if mark:  # red tab, printed header
        ws.set_tab_color("#B00020")
        ws.set_header("&C" + mark.replace("&", "&&"))


def write_workbook(path: Path, sheets: list[Sheet], mark: str | None = None) -> Path:
    """Write ``sheets`` in order to an XLSX file at ``path``, atomically; ``mark`` (the
    internal edition's) on every sheet and in the file's properties."""
    def write(temp: Path) -> None:
        book = xlsxwriter.Workbook(str(temp), {"strings_to_formulas": False,
                                               "strings_to_numbers": False,
                                               "strings_to_urls": False})
        formats = _Formats(book)
        for sheet in sheets:
            _write_sheet(book, sheet, formats, mark)
        if mark:
            book.set_properties({"title": mark, "subject": mark})
        book.close()

    return atomic_write(path, write)
