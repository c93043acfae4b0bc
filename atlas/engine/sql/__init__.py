"""The engine's SQL files (package data), each stating one step's formulas; run them with
:func:`atlas.store.sql_files.run_sql_file`."""

from atlas.store.sql_files import run_sql_file, sql_text

__all__ = ["run_sql_file", "sql_text"]
