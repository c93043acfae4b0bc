"""``region_group_indices``: group entropy and Hachman per region, with the bits of the SQL.

``region_group_indices.sql`` is the reference (and what a re-specification on a read-only
atlas runs); for the levels the matrix engine summed, :func:`level_group_indices` computes
the same values from the group sums still in memory, so the 1M-row ``region_group_sums`` of a
10M-row level is not read back, listed and sorted per region. Same bits, not just close:

- the sums run in the SQL's order: over each region's groups in the order of their names
  (DuckDB compares strings as bytes; ``list_sort``), one addition at a time from 0 (as
  ``list_sum``), NULL terms left out;
- the same operations on the same doubles: a division, NumPy's ``log`` (the C library's, as
  DuckDB's ``ln``) and, for ``^ 2``, ``np.power`` with an array of exponents (the C library's
  ``pow``, as DuckDB's; ``x * x`` differs from it in about 1 value in 1,000);
- NaN where DuckDB gives NaN (``0 / 0``), NULL where it gives NULL.

The reference shares ``r_g`` and the number of reference groups come from SQL
(``group_reference_shares``, a few rows per level).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from atlas.engine.sql import run_sql_file
from atlas.store.database import table_exists

COLUMNS = "level VARCHAR, region_id VARCHAR, group_entropy DOUBLE, group_hachman DOUBLE"


def reference_shares(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[dict, int | None]]:
    """Per level: ``{group: r_g}`` (None: NULL) and the number of reference groups with
    jobs, from ``region_group_shares.sql`` (``group_reference_shares``)."""
    run_sql_file(con, "region_group_shares.sql")
    shares: dict[str, tuple[dict, int | None]] = {}
    for level, grp, r_g, n_groups in con.execute(
            "SELECT level, grp, r_g, n_groups FROM group_reference_shares").fetchall():
        shares.setdefault(level, ({}, n_groups))[0][grp] = r_g
    return shares


def level_group_indices(level: str, region_ids: pa.Array, groups: np.ndarray,
                        employment: np.ndarray, present: np.ndarray,
                        shares: tuple[dict, int | None] | None) -> pa.Table:
    """The level's rows of ``region_group_indices``: one per region with a row in a group
    other than ``''`` (``employment``, ``present``: regions x ``groups``)."""
    r_of, n_groups = shares if shares is not None else ({}, None)
    columns = sorted((g for g, name in enumerate(groups) if name != ""),
                     key=lambda g: str(groups[g]).encode())
    n = len(region_ids)
    total, with_reference = np.zeros(n), np.zeros(n, dtype=bool)
    for g in columns:
        total = np.where(present[:, g], total + employment[:, g], total)
        if str(groups[g]) in r_of:
            with_reference |= present[:, g]
    entropy, hachman = np.zeros(n), np.zeros(n)
    entropy_any, hachman_any = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for g in columns:
            jobs, rows = employment[:, g], present[:, g]
            share = jobs / total
            positive = rows & (jobs > 0)
            entropy = np.where(positive, entropy + share * np.log(share), entropy)
            entropy_any |= positive
            r = r_of.get(str(groups[g]))
            if r is not None and r != 0:
                term = np.power(share, np.full(n, 2.0)) / r
                hachman = np.where(rows, hachman + term, hachman)
                hachman_any |= rows
        entropy_null = ~entropy_any | ~with_reference | (n_groups is None or n_groups <= 1)
        entropy = -entropy / np.log(float(n_groups)) if n_groups else np.full(n, np.nan)
        hachman_null = ~hachman_any | (hachman == 0)
        hachman = 1 / hachman
    keep = present[:, columns].any(axis=1) if columns else np.zeros(n, dtype=bool)
    return pa.table({
        "level": pa.array([level] * int(keep.sum()), type=pa.string()),
        "region_id": region_ids.filter(pa.array(keep)),
        "group_entropy": pa.array(entropy[keep], mask=entropy_null[keep], type=pa.float64()),
        "group_hachman": pa.array(hachman[keep], mask=hachman_null[keep], type=pa.float64()),
    })


def write_group_indices(con: duckdb.DuckDBPyConnection, tables: list[pa.Table],
                        sql_levels: list[str]) -> None:
    """``region_group_indices`` (a temp table): the ``tables`` of :func:`level_group_indices`
    and, for ``sql_levels``, the rows of ``region_group_indices.sql``."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE region_group_indices ({COLUMNS})")
    if tables:
        con.register("_group_rows", pa.concat_tables(tables))
        try:
            con.execute("INSERT INTO region_group_indices SELECT * FROM _group_rows")
        finally:
            con.unregister("_group_rows")
    if sql_levels:
        run_sql_file(con, "region_group_indices.sql", group_levels=sql_levels)


def write_level_group_indices(con: duckdb.DuckDBPyConnection, summed: list[tuple],
                              levels: list[str]) -> None:
    """``region_group_indices`` for ``levels``: in NumPy for the ``summed`` ones (tuples of
    :func:`level_group_indices`'s first four arguments, from the matrix engine), in SQL for
    the others; after every level's ``region_group_sums`` is written (the reference shares
    read them)."""
    shares = reference_shares(con)
    tables = [level_group_indices(*sums, shares.get(sums[0])) for sums in summed]
    done = {sums[0] for sums in summed}
    write_group_indices(con, tables, [level for level in levels if level not in done])


def ensure_group_indices(con: duckdb.DuckDBPyConnection) -> None:
    """``region_group_indices`` from SQL for every level, unless this connection made it with
    the sums (a re-specification on a stored atlas)."""
    if not table_exists(con, "region_group_indices"):
        write_level_group_indices(con, [], [row[0] for row in con.execute(
            "SELECT level FROM levels ORDER BY level").fetchall()])
