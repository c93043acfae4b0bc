"""XLSX layout: bold frozen header, autofilter, number formats, widths that fit, a totals
row, and text that can never run as a formula.

The content of the sheets comes from ``atlas.exports.sheets``; this module only lays it out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from atlas.exports.safecells import is_formula_like
from atlas.store.files import atomic_write
from atlas.texts.terminal import display_width

HEADER_WRAP = 14  # a longer header wraps onto a second line instead of widening its column
MAX_WIDTH = 60
TEXT_WIDTH = 100  # long-text columns (method, dictionary) wrap at this width


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
    """A value openpyxl can store: Python scalars, None for missing, text without control
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


def write_cell(cell, value: object) -> None:
    """Store ``value`` in ``cell``; formula-like text is stored as quoted text, not a formula."""
    value = cell_value(value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True


def _shown_width(value: object, number_format: str | None) -> int:
    """Approximate width of a value as Excel shows it under ``number_format``."""
    value = cell_value(value)
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        suffix = number_format.split('"')[1] if number_format and '"' in number_format else ""
        digits = f"{value:,.0f}" if abs(value) >= 1000 or (number_format or "").startswith(
            "#,##0") else f"{value:.3f}"
        return len(digits) + len(suffix) + (2 if number_format and "%" in number_format else 1)
    return max(display_width(line) for line in str(value).split("\n"))


def _column_width(column: Column, wrap: bool) -> float:
    values = [*column.values, column.total]
    widest = max([_shown_width(v, column.number_format) for v in values], default=0)
    header = max(display_width(word) for word in column.header.split()) if column.header else 0
    width = max(widest, header, min(display_width(column.header), HEADER_WRAP))
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


def _title_block(ws, sheet: Sheet, widths: list[float]) -> int:
    """Write the title lines across the table's width; returns the header row's number."""
    if not sheet.title:
        return 1
    span = max(len(sheet.columns), 1)
    total = sum(widths) or 60
    for row, text in enumerate(sheet.title, start=1):
        cell = ws.cell(row=row, column=1)
        write_cell(cell, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(bold=True, size=13) if row == 1 else Font(bold=text.startswith(
            "Warning"))
        if span > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
        ws.row_dimensions[row].height = (18 if row == 1 else 15) * _lines(text, total * 0.95)
    return len(sheet.title) + 2  # a blank row between the title block and the table


def _page_setup(ws, header_row: int) -> None:
    """Print landscape, all columns on one page's width, the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_margins.left = ws.page_margins.right = 0.4


def _body_style(cell, number_format: str | None, alignment: Alignment | None) -> StyleArray:
    """Give ``cell`` a column's body style and return it, to be copied to the column's other
    cells by :func:`_restyle`: setting a style through openpyxl looks it up in the
    workbook's style lists on every cell (most of the writing time); copying the ids it
    registered gives the same cells and the same file."""
    if number_format:
        cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment
    style = StyleArray(cell._style) if cell._style is not None else StyleArray()
    style.quotePrefix = 0  # the cell's own (formula-like text), not the column's
    return style


def _restyle(cell, style: StyleArray) -> None:
    """Give ``cell`` the style of :func:`_body_style` (a formula-like text keeps its quote
    prefix, which :func:`write_cell` set)."""
    quoted = cell.quotePrefix
    cell._style = StyleArray(style)
    if quoted:
        cell.quotePrefix = True


def _write_sheet(book: Workbook, sheet: Sheet) -> None:
    ws = book.create_sheet(sheet.name)
    bold = Font(bold=True)
    header_alignment = Alignment(wrap_text=True, vertical="top")
    widths = [_column_width(column, sheet.wrap) for column in sheet.columns]
    top = _title_block(ws, sheet, widths)
    header_lines = 1
    for index, column in enumerate(sheet.columns, start=1):
        head = ws.cell(row=top, column=index)
        write_cell(head, column.header)
        head.font, head.alignment = bold, header_alignment
        width = widths[index - 1]
        header_lines = max(header_lines, _lines(column.header, width - 1))
        wrap = sheet.wrap and width >= TEXT_WIDTH
        style = None  # the column's body style, registered once (see _body_style)
        for row, value in enumerate(column.values, start=top + 1):
            cell = ws.cell(row=row, column=index)
            write_cell(cell, value)
            if style is None:
                style = _body_style(cell, column.number_format,
                                    Alignment(wrap_text=wrap, vertical="top")
                                    if sheet.wrap else None)
            else:
                _restyle(cell, style)
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[top].height = 15 * header_lines  # wrapped headers never cover row 2
    last = get_column_letter(max(len(sheet.columns), 1))
    ws.freeze_panes = f"A{top + 1}"
    ws.auto_filter.ref = f"A{top}:{last}{top + sheet.rows}"
    _page_setup(ws, top)
    if sheet.totals:
        row = top + sheet.rows + 1
        line = Border(top=Side(style="thin"))
        for index, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=row, column=index)
            write_cell(cell, column.total)
            cell.font, cell.border = bold, line
            if column.number_format:
                cell.number_format = column.number_format
    for offset, subtotal in enumerate(sheet.subtotals, start=top + sheet.rows + 1 + sheet.totals):
        for index, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=offset, column=index)
            write_cell(cell, subtotal.get(column.header))
            cell.font = bold
            if column.number_format:
                cell.number_format = column.number_format


def _mark(book: Workbook, mark: str) -> None:
    """Mark every sheet (red tab, printed header) and the file's properties with ``mark``."""
    book.properties.title = book.properties.subject = mark
    for ws in book.worksheets:
        ws.sheet_properties.tabColor = "B00020"
        ws.oddHeader.center.text = ws.evenHeader.center.text = mark.replace("&", "&&")


def write_workbook(path: Path, sheets: list[Sheet], mark: str | None = None) -> Path:
    """Write ``sheets`` in order to an XLSX file at ``path``, atomically; ``mark`` (the
    internal edition's) on every sheet."""
    def write(temp: Path) -> None:
        book = Workbook()
        book.remove(book.active)
        for sheet in sheets:
            _write_sheet(book, sheet)
        if mark:
            _mark(book, mark)
        book.save(temp)

    return atomic_write(path, write)
