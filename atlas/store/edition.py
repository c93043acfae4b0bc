"""Editions of the outputs: shareable (the default) or internal.

The maps, exports and index page are drawn from an *edition copy* of the database
(:func:`edition_database`). In the shareable edition every restricted figure
(:mod:`atlas.store.terms`: a figure all of whose inputs are research use only or of unknown
terms) is emptied in that copy wherever ``atlas/spec/lineage.toml`` says it is held, so no output
can show it: the atlas's own percentiles, ranks and indices computed from it stay. The
internal edition keeps every value, and every page, sheet and file it writes says
"internal: do not redistribute" and names the restricted inputs. The copy records its
edition and the database it was made from in ``build_info`` (``edition``, ``edition_of``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from atlas.errors import ConfigError
from atlas.store.terms import lineage_columns

EDITIONS = ("shareable", "internal")
DEFAULT_EDITION = "shareable"


def _exists(con: duckdb.DuckDBPyConnection, table: str, column: str | None = None) -> bool:
    """One catalogue query per question: the reference :class:`Catalog` is tested against."""
    if column is None:
        return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                                [table]).fetchone()[0])
    # tables only: a view (region_components) shows what is emptied in the tables it reads
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() JOIN duckdb_tables() "
                            "USING (database_name, schema_name, table_name) WHERE table_name = ? "
                            "AND column_name = ?", [table, column]).fetchone()[0])


class Catalog:
    """The tables and their columns of a database, read once (two catalog queries instead of
    one per question: :func:`withhold` asks about a hundred); answers as :func:`_exists`.
    Valid while no table or column is created or dropped."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.tables = {row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables()").fetchall()}
        # tables only: a view (region_components) shows what is emptied in the tables it reads
        self.columns = set(con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() JOIN duckdb_tables() "
            "USING (database_name, schema_name, table_name)").fetchall())

    def exists(self, table: str, column: str | None = None) -> bool:
        """True if the table (with ``column``: the table with that column) exists."""
        return table in self.tables if column is None else (table, column) in self.columns


def restricted_figures(con: duckdb.DuckDBPyConnection, catalog: Catalog | None = None
                       ) -> list[tuple[str, str]]:
    """``(level, figure)`` of every restricted figure the database records (``catalog``,
    default: read now, is the database's :class:`Catalog`)."""
    if not (catalog or Catalog(con)).exists("figure_lineage"):
        return []
    return [tuple(row) for row in con.execute(
        "SELECT level, figure FROM figure_lineage WHERE restricted ORDER BY level, figure"
    ).fetchall()]


def figure_columns(con: duckdb.DuckDBPyConnection, level: str, figure: str,
                   catalog: Catalog | None = None) -> list[tuple[str, str, str, list[str]]]:
    """Where a figure of ``level`` is held: ``(table, column, condition, parameters)`` per
    place, the condition selecting the level's rows (every period) that hold it.
    ``catalog`` (default: read now) is the database's :class:`Catalog`."""
    has = (catalog or Catalog(con)).exists
    columns = lineage_columns()
    levels = "(level = ? OR level LIKE ?)"
    like = [level, f"{level}@%"]
    kind, _, name = figure.partition(".")
    places: list[tuple[str, str, str, list[str]]] = []
    if kind == "composition":
        for place in columns["composition"]:
            table, column = place.split(".")
            if not has(table, column):
                continue
            if has(table, "level"):
                places.append((table, column, levels, like))
            elif has(table, "taxonomy"):
                places.append((table, column, "taxonomy IN (SELECT taxonomy FROM levels WHERE "
                               + levels + ")", like))
    elif kind == "regions":
        places.append(("regions", name, levels, like))
    else:
        for place in columns[f"{kind}_long"]:
            where, _, key = place.partition(":")
            table, column = where.split(".")
            if not has(table, column):
                continue
            if key == "component":  # a model's component, named by its indicator
                places.append((table, column, f"{levels} AND component IN (SELECT component "
                               "FROM risk_components WHERE indicator = ?)", [*like, name]))
            else:
                places.append((table, column, f"{levels} AND {key} = ?", [*like, name]))
        for table in columns.get(f"{kind}_wide", []):
            if has(table, name):
                places.append((table, name, levels, like))
    return [p for p in places if has(p[0], p[1])]


def withhold(con: duckdb.DuckDBPyConnection) -> int:
    """Empty every restricted figure in this (edition copy of the) database; returns the
    number of places emptied."""
    places: dict[tuple[str, str], list[tuple[str, list[str]]]] = {}
    catalog = Catalog(con)  # what is emptied changes no table's columns
    for level, figure in restricted_figures(con, catalog):
        for table, column, condition, parameters in figure_columns(con, level, figure,
                                                                   catalog):
            places.setdefault((table, column), []).append((condition, parameters))
    # one UPDATE per table and set of rows: the columns emptied in the same rows together
    statements: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for (table, column), conditions in places.items():
        where = " OR ".join(f"({condition})" for condition, _ in conditions)
        parameters = tuple(p for _, params in conditions for p in params)
        statements.setdefault((table, where, parameters), []).append(column)
    con.execute("BEGIN TRANSACTION")
    for (table, where, parameters), columns in statements.items():
        assignments = ", ".join(f'"{column}" = NULL' for column in columns)
        con.execute(f"UPDATE {table} SET {assignments} WHERE {where}", list(parameters))
    con.execute("COMMIT")
    return len(places)


def edition_of(con: duckdb.DuckDBPyConnection) -> str | None:
    """The edition of a database: ``build_info.edition`` of an edition copy; for a built
    database, ``internal`` when it holds restricted figures (it keeps every value), else
    ``shareable``; None for a database without the terms tables."""
    if _exists(con, "build_info"):
        found = con.execute("SELECT value FROM build_info WHERE key = 'edition'").fetchone()
        if found:
            return found[0]
    if not _exists(con, "figure_lineage"):
        return None
    return "internal" if restricted_figures(con) else "shareable"


def original_database(con: duckdb.DuckDBPyConnection) -> str:
    """The database an edition copy was made from (this one's path otherwise)."""
    if _exists(con, "build_info"):
        found = con.execute("SELECT value FROM build_info WHERE key = 'edition_of'").fetchone()
        if found:
            return found[0]
    return con.execute("SELECT path FROM duckdb_databases() "
                       "WHERE database_name = current_database()").fetchone()[0]


def check_edition(edition: str) -> str:
    """``edition`` if it is one of ``EDITIONS``; ConfigError otherwise."""
    if edition not in EDITIONS:
        raise ConfigError(f"--edition {edition}: unknown edition (expected one of "
                          f"{list(EDITIONS)})")
    return edition


@contextlib.contextmanager
def edition_database(database: Path, edition: str, folder: Path) -> Iterator[Path]:
    """A copy of ``database`` in ``folder`` for the outputs of ``edition``, removed after.

    Shareable: every restricted figure emptied (:func:`withhold`). Internal: every value
    kept. Both record ``edition`` and ``edition_of`` in ``build_info``.
    """
    check_edition(edition)
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"edition-{edition}-{os.getpid()}.duckdb"
    shutil.copyfile(database, copy)
    try:
        con = duckdb.connect(str(copy))
        try:
            if edition == "shareable":
                withhold(con)
            con.execute("CREATE TABLE IF NOT EXISTS build_info (key VARCHAR, value VARCHAR)")
            con.execute("DELETE FROM build_info WHERE key IN ('edition', 'edition_of')")
            con.execute("INSERT INTO build_info VALUES ('edition', ?), ('edition_of', ?)",
                        [edition, str(Path(database).resolve())])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        yield copy
    finally:
        copy.unlink(missing_ok=True)
        Path(f"{copy}.wal").unlink(missing_ok=True)
