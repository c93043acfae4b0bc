"""A query's frame as Python values, by column (the maps' per-region loops read them).

``DataFrame.itertuples`` and ``DataFrame.to_dict("records")`` walk a frame cell by cell and,
for a text column (pandas' Arrow-backed ``str``), item by item through Arrow; a column's
``tolist()`` converts it at once. Both give the same Python values, of the same types (text,
``nan`` for a missing text or number, Python ``float``, ``int``, ``bool``):
``tests/test_map_frames.py`` compares them on the real atlas's frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd


def rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The frame's rows as tuples, as ``frame.itertuples(index=False)`` gives their values.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame (an empty one gives no rows).

    Returns
    -------
    iterator of tuple
        One tuple of Python values per row, in the columns' order.
    """
    return zip(*(frame.iloc[:, k].tolist() for k in range(frame.shape[1])), strict=True)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts, as ``frame.to_dict("records")`` gives them.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame with distinct text column names.

    Returns
    -------
    list of dict
        One dict per row, its keys the column names in order.
    """
    columns = list(frame.columns)
    return [dict(zip(columns, row, strict=True)) for row in rows(frame)]
