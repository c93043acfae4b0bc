"""SQL files of the engine, readable on their own; ``run_sql_file`` executes one."""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent


def sql_text(name: str) -> str:
    """Text of ``atlas/sql/<name>``."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str) -> duckdb.DuckDBPyConnection:
    """Execute every statement of a SQL file; returns the connection (last result pending)."""
    return con.execute(sql_text(name))
