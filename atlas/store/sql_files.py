"""SQL files shipped with a package, readable on their own; ``run_sql_file`` executes one.

The engine's formulas live in ``atlas/engine/sql/*.sql``; a source package may ship its own
(``atlas/sources/derive_scores.sql``). Both are package data.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import duckdb

__all__ = ["run_sql_file", "sql_text"]


def sql_text(name: str, package: str = "atlas.engine.sql") -> str:
    """Text of the SQL file ``name`` shipped in ``package``.

    Examples
    --------
    >>> sql_text("region_sums.sql").lstrip().startswith("--")
    True
    """
    return files(package).joinpath(name).read_text(encoding="utf-8")


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str, package: str = "atlas.engine.sql",
                 **variables: Any) -> duckdb.DuckDBPyConnection:
    """Set the file's variables (``SET VARIABLE name = value``), then execute every statement
    of the file; returns the connection (last result pending). Every caller passes the
    variables a file reads, so no file depends on state left by another."""
    for key, value in variables.items():
        con.execute(f"SET VARIABLE {key} = ?", [value])
    return con.execute(sql_text(name, package))
