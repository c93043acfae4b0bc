"""Read-only SQL against the atlas for ``atlas sql``.

The database is opened read-only, and only one SELECT (or EXPLAIN / DESCRIBE / SHOW / SUMMARIZE)
statement is run: writes, COPY ... TO, ATTACH, INSTALL/LOAD, SET and multi-statement input are
refused before anything executes.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from atlas.cli.spatial_sql import open_with_spatial
from atlas.errors import ConfigError
from atlas.exports.ranking import open_atlas

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


def checked_statement(query: str) -> str:
    """The single read-only statement in ``query``; raises ``ConfigError`` otherwise."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise ConfigError(f"could not parse the query: {exc}") from exc
    if len(statements) != 1:
        raise ConfigError(f"atlas sql runs exactly one statement; got {len(statements)}. "
                          "Split the query, or use duckdb directly for scripts.")
    statement = statements[0]
    if statement.type not in ALLOWED:
        kind = statement.type.name  # DuckDB types INSTALL as LOAD: name it as written
        words = re.sub(r"--[^\n]*|/\*.*?\*/", " ", statement.query, flags=re.S).split()
        if kind == "LOAD" and words and words[0].upper() in {"INSTALL", "FORCE"}:
            kind = "INSTALL"
        raise ConfigError(f"atlas sql is read-only: {kind} statements are refused (only SELECT, "
                          "DESCRIBE, SHOW, SUMMARIZE and EXPLAIN run)")
    return statement.query


def one_line(exc: duckdb.Error) -> str:
    """DuckDB's message in one line: its first line and, for an unknown column, the
    candidates it suggests (the query echo and the caret are left out)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    kept = [lines[0]] + [line for line in lines[1:] if line.startswith("Candidate")]
    return "; ".join(kept)


def run_query(db: str | Path, query: str) -> pd.DataFrame:
    """Run one read-only statement against the atlas and return its rows.

    Besides the statement check, the connection is read-only and has file system access
    switched off (after the spatial extension, when installed, is loaded:
    ``atlas.spatial.open_with_spatial``), so even ``EXPLAIN ANALYZE COPY ... TO`` cannot write
    a file.
    """
    statement = checked_statement(query)
    con, spatial = open_with_spatial(db)
    try:
        return con.execute(statement).df()
    except duckdb.Error as exc:
        hint = "" if spatial or "spatial" not in str(exc) else (
            " (the spatial extension is not installed: pip install -e \".[spatial]\")")
        raise ConfigError(one_line(exc) + hint) from exc
    finally:
        con.close()


def list_tables(db: str | Path) -> pd.DataFrame:
    """Tables and views with their row counts and comments."""
    con = open_atlas(db)
    try:
        frame = con.execute("""
            SELECT table_name AS name, 'table' AS kind, estimated_size AS rows, comment
            FROM duckdb_tables() WHERE schema_name = 'main'
            UNION ALL
            SELECT view_name, 'view', NULL, comment FROM duckdb_views()
            WHERE NOT internal AND schema_name = 'main'
            ORDER BY kind, name""").df()
    finally:
        con.close()
    return frame
