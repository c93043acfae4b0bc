"""A query's frame as Python values, by column (the maps' per-region loops read them).

``DataFrame.itertuples`` and ``DataFrame.to_dict("records")`` walk a frame cell by cell and,
for a text column (pandas' Arrow-backed ``str``), item by item through Arrow. Where a
column's ``tolist()`` gives the very values pandas gives item by item (NumPy numbers and
booleans, pandas's text with ``nan`` where missing; for rows also objects) it is used, at
once; any other column (masked numbers, whose items are NumPy scalars, dates) is left to
pandas. ``tests/test_map_fast_paths.py`` compares both on the atlas's frames and every dtype.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd


def _listed(dtype: Any, kinds: str) -> bool:
    """True if a column of ``dtype`` converts with ``tolist()`` to the values pandas gives
    item by item: NumPy dtypes of ``kinds`` and pandas' text dtype (not the masked numbers,
    whose items are NumPy scalars, nor dates)."""
    if isinstance(dtype, pd.StringDtype):
        return True
    return not isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in kinds


def rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The frame's rows as tuples, as ``frame.itertuples(index=False)`` gives their values.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame (an empty one gives no rows).

    Returns
    -------
    iterator of tuple
        One tuple per row, in the columns' order: numbers, booleans, objects and texts by
        column (``tolist``), any other column item by item as pandas iterates it.
    """
    columns = [frame.iloc[:, k] for k in range(frame.shape[1])]
    return zip(*(c.tolist() if _listed(c.dtype, "biufO") else list(c) for c in columns),
               strict=True)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts, as ``frame.to_dict("records")`` gives them.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame with distinct column names.

    Returns
    -------
    list of dict
        One dict per row, its keys the column names in order: numbers, booleans and texts
        by column (``tolist``), the other columns (objects, masked numbers, dates) by
        ``to_dict("records")`` itself, which makes their NumPy scalars Python ones.
    """
    names = list(frame.columns)
    other = [k for k in range(len(names)) if not _listed(frame.dtypes.iloc[k], "biuf")]
    boxed = frame.iloc[:, other].to_dict("records") if other else [{}] * len(frame)
    columns = [None if k in other else frame.iloc[:, k].tolist() for k in range(len(names))]
    return [{name: boxed[i][name] if column is None else column[i]
             for name, column in zip(names, columns, strict=True)} for i in range(len(frame))]
