"""Compare the sums tables of two connections: the matrix engine against the SQL pass."""

from __future__ import annotations

import duckdb
import numpy as np

SCALARS = ["total_employment", "imputed_employment", "published_employment", "n_categories",
           "n_reference", "e_ln_e", "e_sq", "e_sq_over_r", "krugman"]
LISTS = ["unscored", "e_score", "e_ge_10", "e_ge_50", "unscored_vulnerable", "e_vulnerable",
         "unscored_substitutable", "e_substitutable", "substitutable_excess"]


def _close(a, b, label: str, rtol: float) -> None:
    if a is None or b is None:
        assert a is None and b is None, f"{label}: {a!r} vs {b!r}"
        return
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{label}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{label}[{i}]", rtol)
        return
    assert np.isclose(a, b, rtol=rtol, atol=rtol), f"{label}: {a!r} vs {b!r}"


def assert_same_sums(one: duckdb.DuckDBPyConnection, other: duckdb.DuckDBPyConnection,
                     rtol: float = 1e-9) -> int:
    """Both connections' ``region_measure_sums`` and ``region_group_sums`` agree (same rows,
    same NULLs, values to ``rtol``); returns the number of values compared."""
    compared = 0
    for table, key, columns in (
            ("region_measure_sums", "level, region_id", SCALARS + LISTS),
            ("region_group_sums", "level, region_id, grp", ["employment", "e_substitutable"])):
        query = f"SELECT {key}, {', '.join(columns)} FROM {table} ORDER BY {key}"
        a, b = one.execute(query).fetchall(), other.execute(query).fetchall()
        assert len(a) == len(b), f"{table}: {len(a)} vs {len(b)} rows"
        width = len(key.split(","))
        for row_a, row_b in zip(a, b, strict=True):
            assert row_a[:width] == row_b[:width], f"{table}: {row_a[:width]} vs {row_b[:width]}"
            for name, x, y in zip(columns, row_a[width:], row_b[width:], strict=True):
                _close(x, y, f"{table}.{name} {row_a[:width]}", rtol)
                compared += 1
    return compared
