"""Compare the sums tables of two connections: the matrix engine against the SQL pass.

Whole columns are compared at once (NULLs where NULLs, values to ``rtol``); a difference is
reported with the first region (and list position) where it occurs."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SCALARS = ["total_employment", "imputed_employment", "published_employment", "n_categories",
           "n_reference", "e_ln_e", "e_sq", "e_sq_over_r", "krugman"]
LISTS = ["unscored", "e_score", "e_ge_10", "e_ge_50", "unscored_vulnerable", "e_vulnerable",
         "unscored_substitutable", "e_substitutable", "substitutable_excess"]


def _values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(is NULL, values as float with NULL as 0) of a numeric column."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    missing = column.is_null().to_numpy(zero_copy_only=False)
    values = pc.fill_null(column.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False)
    return missing, values


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _where(keys: list[tuple], owner: np.ndarray | None, position: np.ndarray | None,
           index: int) -> object:
    """The region key (and list position) of flattened value ``index``."""
    if owner is None:
        return keys[index]
    return keys[int(owner[index])], int(position[index])


def _same(a: pa.ChunkedArray, b: pa.ChunkedArray, keys: list[tuple], label: str,
          rtol: float) -> int:
    """Assert one column equal in both tables (lists element by element); returns the number
    of values compared (each list element; a NULL list counts as one)."""
    owner = position = None
    nulls = 0
    if pa.types.is_list(a.type):
        a, b = a.combine_chunks(), b.combine_chunks()
        null_a = a.is_null().to_numpy(zero_copy_only=False)
        null_b = b.is_null().to_numpy(zero_copy_only=False)
        assert (null_a == null_b).all(), f"{label} {keys[_first(null_a != null_b)]}: NULL list"
        len_a = pc.fill_null(pc.list_value_length(a), 0).to_numpy(zero_copy_only=False)
        len_b = pc.fill_null(pc.list_value_length(b), 0).to_numpy(zero_copy_only=False)
        assert (len_a == len_b).all(), f"{label} {keys[_first(len_a != len_b)]}: list lengths"
        owner = np.repeat(np.arange(len(a)), len_a)
        position = np.arange(len(owner)) - np.repeat(np.cumsum(len_a) - len_a, len_a)
        a, b, nulls = pc.list_flatten(a), pc.list_flatten(b), int(null_a.sum())
    miss_a, val_a = _values(a)
    miss_b, val_b = _values(b)
    assert (miss_a == miss_b).all(), \
        f"{label} {_where(keys, owner, position, _first(miss_a != miss_b))}: NULL in one only"
    close = np.isclose(val_a, val_b, rtol=rtol, atol=rtol) | miss_a
    if not close.all():
        at = _first(~close)
        raise AssertionError(f"{label} {_where(keys, owner, position, at)}: "
                             f"{val_a[at]!r} vs {val_b[at]!r}")
    return len(val_a) + nulls


def assert_same_sums(one: duckdb.DuckDBPyConnection, other: duckdb.DuckDBPyConnection,
                     rtol: float = 1e-9) -> int:
    """Both connections' ``region_measure_sums`` and ``region_group_sums`` agree (same rows,
    same NULLs, values to ``rtol``); returns the number of values compared."""
    compared = 0
    for table, key, columns in (
            ("region_measure_sums", ["level", "region_id"], SCALARS + LISTS),
            ("region_group_sums", ["level", "region_id", "grp"],
             ["employment", "e_substitutable"])):
        query = f"SELECT {', '.join(key + columns)} FROM {table} ORDER BY {', '.join(key)}"
        a, b = one.execute(query).to_arrow_table(), other.execute(query).to_arrow_table()
        assert a.num_rows == b.num_rows, f"{table}: {a.num_rows} vs {b.num_rows} rows"
        keys_a = list(zip(*(a[k].to_pylist() for k in key), strict=True))
        keys_b = list(zip(*(b[k].to_pylist() for k in key), strict=True))
        differ = [i for i, (x, y) in enumerate(zip(keys_a, keys_b, strict=True)) if x != y]
        assert not differ, f"{table}: {keys_a[differ[0]]} vs {keys_b[differ[0]]}"
        for name in columns:
            compared += _same(a[name], b[name], keys_a, f"{table}.{name}", rtol)
    return compared
