"""The atlas database as a store: open it, write frames, persist temp tables, ask what exists."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from atlas.errors import ConfigError
from atlas.spec.config_types import AtlasConfig


def open_atlas(db: str | Path, external_access: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the atlas read-only, with a clear error when it does not exist.

    Parameters
    ----------
    db
        Path of a built ``atlas.duckdb`` (``python build_atlas.py`` writes ``out/atlas.duckdb``).
    external_access
        False forbids every file and network access from SQL (``atlas sql`` uses this).

    Raises
    ------
    ConfigError
        one line, when ``db`` is a folder, is missing or is not a DuckDB database.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from atlas.engine.synth import write_synthetic_database
    >>> path = write_synthetic_database(pathlib.Path(tempfile.mkdtemp()) / "s.duckdb", 20, 12)
    >>> with open_atlas(path) as con:
    ...     con.execute("SELECT count(*) FROM region_indices").fetchone()[0]
    20
    >>> open_atlas(path.parent / "missing.duckdb")
    Traceback (most recent call last):
    ...
    atlas.errors.ConfigError: atlas database ... not found: run `python build_atlas.py` ...
    """
    path = Path(db)
    if path.is_dir():
        raise ConfigError(f"--db {path} is a folder, not an atlas database (the build writes "
                          f"{path / 'atlas.duckdb'})")
    if not path.is_file():
        raise ConfigError(f"atlas database {path} not found: run `python build_atlas.py` first "
                          "or pass --db")
    try:
        return duckdb.connect(str(path), read_only=True,
                              config={"enable_external_access": external_access})
    except duckdb.Error as exc:
        raise ConfigError(f"cannot open {path}: {exc}") from exc


def register_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame | pa.Table,
                   temp: bool = False) -> None:
    """Create (or replace) table ``name`` from a data frame (a temp table with ``temp``)."""
    view = f"_frame_{name}"
    con.register(view, frame)
    try:
        kind = "TEMP TABLE" if temp else "TABLE"
        con.execute(f"CREATE OR REPLACE {kind} {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


# Arrow types DuckDB reads as it reads the pandas columns they come from (see as_arrow)
_PLAIN_ARROW = (pa.types.is_string, pa.types.is_large_string, pa.types.is_float64,
                pa.types.is_int64, pa.types.is_int32, pa.types.is_boolean)


def as_arrow(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """``frame`` as an Arrow table, which DuckDB reads without visiting a Python object per
    value (a column of Python strings: 2-3x faster), where every column becomes a plain
    Arrow type (text, float64, int64, int32, boolean: the DuckDB types of the pandas
    columns); else the frame itself (mixed objects, a column of only nulls, dates, ...)."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return frame
    if all(any(plain(field.type) for plain in _PLAIN_ARROW) for field in table.schema):
        return table
    return frame


def write_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame],
                 *, arrow: bool = False) -> None:
    """Create (or replace) one table per data frame (``arrow``: read through
    :func:`as_arrow`)."""
    for name, frame in tables.items():
        register_table(con, name, as_arrow(frame) if arrow else frame)


def persist(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Copy temp tables into the database file under the same names and drop the temp ones."""
    for name in names:
        con.execute(f"CREATE OR REPLACE TABLE main.{name} AS SELECT * FROM temp.{name}")
        con.execute(f"DROP TABLE temp.{name}")


def stored_config(con: duckdb.DuckDBPyConnection) -> AtlasConfig:
    """The configuration a built atlas was made with (``build_info``), validated again and
    read back as the same type (:meth:`AtlasConfig.from_stored`)."""
    from atlas.spec.config import load_config

    settings = dict(con.execute("SELECT key, value FROM build_info").fetchall()) \
        if table_exists(con, "build_info") else {}
    if "config" not in settings:
        return load_config()
    return AtlasConfig.from_stored(settings["config"])


def analysed_levels(con: duckdb.DuckDBPyConnection, periods: str = "default") -> list[str]:
    """Levels with indices to analyse: every level, or (``periods="default"``) only each
    geography's default period (databases without periods: every level)."""
    columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'levels'").fetchall()}
    where = "WHERE is_default" if periods == "default" and "is_default" in columns else ""
    return [row[0] for row in con.execute(
        f"SELECT level FROM levels {where} ORDER BY level").fetchall()]


@contextmanager
def one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the statements of the block with one DuckDB thread, then restore the setting.

    For writing Arrow tables the engine built into the database file: DuckDB reads such a
    table with one thread whatever the setting, and a second thread only adds CPU time
    (measured at 10M composition rows: the busiest thread's CPU time equal to the whole
    one-thread write, the total twice it; ``docs/performance.md``, round s10). ``threads``
    is a setting of the database instance: no other statement may run on it meanwhile
    (the build runs the engine alone)."""
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    if int(threads) <= 1:
        yield
        return
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(threads)}")


@contextmanager
def beside(con: duckdb.DuckDBPyConnection, schema: str) -> Iterator[Callable[..., None]]:
    """``run(function, *arguments)``: ``function(cursor, *arguments)`` on a second
    connection to the same database in a thread of its own, while the caller goes on (DuckDB
    releases the GIL); the block waits for it at its end and raises its error. Only for the
    file (``main``): a temp table is the caller's connection's, so in ``temp`` the function
    runs at once on ``con``."""
    if schema == "temp":
        yield lambda function, *arguments: function(con, *arguments)
        return
    pending = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        cursor = con.cursor()
        try:
            yield lambda function, *arguments: pending.append(
                pool.submit(function, cursor, *arguments))
            for future in pending:
                future.result()
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            cursor.close()


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True if a table or view of that name exists (in the file or as a temp object)."""
    return bool(con.execute(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = ?) "
        "+ (SELECT count(*) FROM duckdb_views() WHERE view_name = ?)", [name, name]
    ).fetchone()[0])
