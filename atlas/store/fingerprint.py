"""Content fingerprints of the atlas's tables, to check that two builds are identical.

A table's fingerprint is its row count and, per column, the sum of DuckDB's 64-bit
``hash`` of every value (as HUGEINT, so it cannot overflow): independent of row order, but
any change of a value, down to the last bit of a float, changes it. Build timestamps and ids
are left out (``build_info.created_at`` and ``build_id``, ``provenance.loaded_at``), and so
are ``git_commit`` and ``data_dir`` of ``build_info`` (they name where the build ran, not
what it computed).

:func:`table_digest` is the stricter key of the cache's steps
(:mod:`atlas.store.cache_steps`): a hash of each whole row, so values swapped between rows
are another digest too, with the column types.
"""

from __future__ import annotations

from typing import Any

import duckdb

# (table, column) pairs and build_info keys that record when or where a build ran
EXCLUDED_COLUMNS = {("provenance", "loaded_at")}
EXCLUDED_BUILD_INFO = ("created_at", "build_id", "git_commit", "data_dir")


def quote_name(name: str) -> str:
    """``name`` as a quoted SQL identifier (a table or column name)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: object) -> str:
    """``text`` (a string, or a path) as a quoted SQL string literal.

    Examples
    --------
    >>> quote_literal("O'Brien")
    "'O''Brien'"
    """
    return "'" + str(text).replace("'", "''") + "'"


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    """``(rows, (column, hash sum), ...)`` of one table or view."""
    columns = [row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = "
        "current_database() ORDER BY column_index", [table]).fetchall()]
    columns = [c for c in columns if (table, c) not in EXCLUDED_COLUMNS]
    where = ""
    if table == "build_info":
        listed = ", ".join(f"'{key}'" for key in EXCLUDED_BUILD_INFO)
        where = f" WHERE key NOT IN ({listed})"
    sums = ", ".join(f"sum(hash({quote_name(c)})::HUGEINT)" for c in columns) or "0"
    row = con.execute(f"SELECT count(*), {sums} FROM {quote_name(table)}{where}").fetchone()
    return (row[0], *zip(columns, row[1:], strict=True))


def table_digest(con: duckdb.DuckDBPyConnection, name: str) -> list[Any]:
    """``[columns and types, rows, sum of row hashes, xor of row hashes]`` of the table or
    view ``name`` (``["absent"]`` if there is none): independent of row order, changed by
    any changed value, added or removed row, or column, and (unlike the column sums of
    :func:`table_fingerprint`) by values swapped between rows."""
    exists = con.execute(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = ?) "
        "+ (SELECT count(*) FROM duckdb_views() WHERE view_name = ?)", [name, name]
    ).fetchone()[0]
    if not exists:
        return ["absent"]
    columns = con.execute(f"DESCRIBE {quote_name(name)}").fetchall()
    row = ", ".join(quote_name(column[0]) for column in columns)
    counts = con.execute(f"SELECT count(*), sum(hash({row})::HUGEINT), "
                         f"bit_xor(hash({row})) FROM {quote_name(name)}").fetchone()
    return [[[column[0], column[1]] for column in columns], *map(str, counts)]


def fingerprints(con: duckdb.DuckDBPyConnection, views: bool = True) -> dict[str, tuple]:
    """Fingerprints of every table (and view, with ``views``) of the main database."""
    names = [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND NOT temporary ORDER BY 1").fetchall()]
    if views:
        names += [row[0] for row in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
            "AND NOT internal AND NOT temporary ORDER BY 1").fetchall()]
    return {name: table_fingerprint(con, name) for name in names}


def differing(a: dict[str, tuple], b: dict[str, tuple]) -> list[str]:
    """Names of the tables whose fingerprints differ (or that only one side has)."""
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))
