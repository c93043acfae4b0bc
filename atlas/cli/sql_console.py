"""Read-only SQL against the atlas for ``atlas sql``.

The database is opened read-only, and only one SELECT (or EXPLAIN / DESCRIBE / SHOW / SUMMARIZE)
statement is run: writes, COPY ... TO, ATTACH, INSTALL/LOAD, SET and multi-statement input are
refused before anything executes.

Nothing touches a file or a setting before the statement is judged: the query is first split
by DuckDB's tokenizer (a lexer, it cannot execute), a ``PRAGMA`` must name one of
:data:`READ_ONLY_PRAGMAS` and ``IMPORT`` is refused outright; only then is the query parsed,
on an in-memory connection with file access switched off and its configuration locked (DuckDB
expands some PRAGMAs, such as ``import_database``, while parsing, by reading files).
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
# PRAGMAs that only read the catalog or the build's own facts (no file, no setting).
READ_ONLY_PRAGMAS = frozenset({
    "collations", "database_list", "database_size", "functions", "metadata_info", "platform",
    "show", "show_databases", "show_tables", "show_tables_expanded", "storage_info",
    "table_info", "user_agent", "version"})
REFUSED_FIRST_WORDS = {"IMPORT": "IMPORT DATABASE reads and runs files",
                       "EXPORT": "EXPORT DATABASE writes files"}
PARSER_CONFIG = {"enable_external_access": False, "autoinstall_known_extensions": False,
                 "autoload_known_extensions": False, "lock_configuration": True}


def _words(query: str) -> list[list[str]]:
    """The tokens of each statement of ``query`` (split at ``;``), from DuckDB's tokenizer,
    which only lexes: comments are dropped, string literals kept whole."""
    try:
        tokens = duckdb.tokenize(query)
    except (duckdb.Error, RuntimeError) as exc:
        raise ConfigError(f"could not parse the query: {one_line(exc)}") from None
    starts = [start for start, _ in tokens] + [len(query)]
    statements: list[list[str]] = [[]]
    for (start, kind), end in zip(tokens, starts[1:], strict=True):
        text = query[start:end]
        if kind != duckdb.token_type.string_const:
            text = re.sub(r"--[^\n]*|/\*.*?\*/", " ", text, flags=re.S)
        text = text.strip()
        if kind == duckdb.token_type.comment or not text:
            continue
        if text == ";":
            statements.append([])
        else:
            statements[-1].append(text)
    return [words for words in statements if words]


def _judge_words(query: str) -> None:
    """Refuse PRAGMAs outside :data:`READ_ONLY_PRAGMAS`, settings and IMPORT/EXPORT before
    the query reaches any parser that could expand them."""
    for words in _words(query):
        first = words[0].upper()
        if first in REFUSED_FIRST_WORDS:
            raise ConfigError(f"atlas sql is read-only: {first} statements are refused "
                              f"({REFUSED_FIRST_WORDS[first]})")
        if first != "PRAGMA":
            continue
        name = words[1].strip('"').lower() if len(words) > 1 else ""
        if name not in READ_ONLY_PRAGMAS or "=" in words:
            raise ConfigError(f"atlas sql is read-only: PRAGMA {name or '(none)'} is refused "
                              f"(allowed: {', '.join(sorted(READ_ONLY_PRAGMAS))}, without '=')")


def _parse(query: str) -> list[duckdb.Statement]:
    """The statements of ``query``, parsed on a locked connection without file access."""
    con = duckdb.connect(":memory:", config=PARSER_CONFIG)
    try:
        return con.extract_statements(query)
    except duckdb.PermissionException as exc:
        raise ConfigError(f"atlas sql is read-only: the query needs file access, which is "
                          f"refused ({one_line(exc)})") from None
    except duckdb.Error as exc:
        raise ConfigError(f"could not parse the query: {one_line(exc)}") from None
    finally:
        con.close()


def checked_statement(query: str) -> str:
    """The single read-only statement in ``query``; raises ``ConfigError`` otherwise.

    Nothing is read or set while judging: see the module docstring."""
    _judge_words(query)
    statements = _parse(query)
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


def one_line(exc: Exception) -> str:
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
