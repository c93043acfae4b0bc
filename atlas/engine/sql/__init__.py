"""SQL files of the engine, readable on their own; ``run_sql_file`` executes one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).parent


def sql_text(name: str) -> str:
    """Text of ``atlas/engine/sql/<name>``."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str,
                 **variables: Any) -> duckdb.DuckDBPyConnection:
    """Set the file's variables (``SET VARIABLE name = value``), then execute every statement
    of the file; returns the connection (last result pending). Every caller passes the
    variables a file reads, so no file depends on state left by another."""
    for key, value in variables.items():
        con.execute(f"SET VARIABLE {key} = ?", [value])
    return con.execute(sql_text(name))
