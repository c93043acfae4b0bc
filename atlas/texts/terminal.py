"""Tables on the terminal: readable numbers, "n/a" for missing values, and wide results as
vertical records instead of columns one letter wide.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

MISSING = "n/a"
DEFAULT_MAX_WIDTH = 40
PIPE_WIDTH = 220  # width when stdout is not a terminal (pipes, files, tests)
CALENDAR_WORDS = ("year", "period", "vintage")  # integers in such columns are years: no commas


def format_value(value: object, column: str = "", currency: str | None = None) -> str:
    """A cell as text: thousands separators, "n/a" for a missing value, amounts with the
    currency (``currency`` given for the amount columns)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    if isinstance(value, np.integer | np.floating | np.bool_):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value) if any(word in column.lower() for word in CALENDAR_WORDS) \
            else f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    else:
        text = str(value)
    return f"{text} {currency}" if currency else text


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in {"W", "F"} else 1 for c in text)


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns, ending in an ellipsis if cut."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        used += display_width(char)
        if used > width - 1:
            break
        out.append(char)
    return "".join(out) + "…"


def text_cells(frame: pd.DataFrame, currency_columns: dict[str, str] | None = None,
               max_width: int = DEFAULT_MAX_WIDTH) -> list[list[str]]:
    """Every cell of ``frame`` formatted and truncated to ``max_width`` columns."""
    currency_columns = currency_columns or {}
    return [[truncate(format_value(value, str(column), currency_columns.get(str(column))),
                      max_width) for column, value in zip(frame.columns, row, strict=True)]
            for row in frame.itertuples(index=False)]


def print_frame(frame: pd.DataFrame, title: str | None = None, *,
                max_width: int = DEFAULT_MAX_WIDTH, vertical: bool | None = None,
                currency_columns: dict[str, str] | None = None,
                console: Console | None = None) -> None:
    """Print a data frame on stdout as a table, or as vertical records when it is too wide.

    Parameters
    ----------
    max_width
        Longest cell, in terminal columns; longer text ends in an ellipsis.
    vertical
        True: one block of ``column  value`` lines per row; None: only if the table would
        not fit the console.
    currency_columns
        Column -> ISO code appended to its amounts.
    """
    out = console or Console()
    if console is None and not out.is_terminal:
        out = Console(width=PIPE_WIDTH)
    headers = [str(column) for column in frame.columns]
    cells = text_cells(frame, currency_columns, max_width)
    widths = [max([display_width(h)] + [display_width(row[i]) for row in cells])
              for i, h in enumerate(headers)]
    if vertical is None:
        vertical = sum(widths) + 3 * len(widths) + 1 > out.width
    if vertical:
        _print_records(out, headers, cells, title)
        return
    table = Table(title=title, show_lines=False)
    for header in headers:
        table.add_column(header, no_wrap=True, overflow="ellipsis")
    for row in cells:
        table.add_row(*row)
    out.print(table)


def _print_records(out: Console, headers: list[str], cells: list[list[str]],
                   title: str | None) -> None:
    label = max((display_width(h) for h in headers), default=0)
    if title:
        out.print(title, markup=False, highlight=False)
    for number, row in enumerate(cells, start=1):
        out.print(f"-[ record {number} ]" + "-" * max(0, label - 10), markup=False,
                  highlight=False)
        for header, value in zip(headers, row, strict=True):
            padding = " " * (label - display_width(header))
            out.print(f"{header}{padding} | {value}", markup=False, highlight=False,
                      soft_wrap=True)
    if not cells:
        out.print("(no rows)", markup=False, highlight=False)
