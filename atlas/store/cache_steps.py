"""Build steps whose result is reused from the shared cache when nothing they read changed.

A rebuild after a change of weights recomputed every step after the model tables, also the
ones no weight can change (the engine's matrix sums, the shift's projection, the scenarios'
base, the top categories, the programmes, the uncertainty's indicator variants).
:func:`cached_step` marks such a step: a function ``step(con, *arguments)`` that reads the
tables ``reads`` of the database ``con`` and its arguments (the exact settings it reads, as
typed values: never the whole configuration) and either writes the tables ``writes`` or
returns a DataFrame. Its key (:func:`step_key`) is the sha256 of

- the content of every table it reads (:func:`table_digest`: the columns and their types,
  the row count and two order-independent reductions of DuckDB's 64-bit ``hash`` of every
  row, so a changed value, row or column is another key);
- its arguments (their ``repr``: plain values and frozen dataclasses);
- the code it can run: every file (Python, SQL, TOML) of its layer and the layers below
  (:func:`code_files`; the tables it reads stand for the code that wrote them);
- the versions of DuckDB, NumPy, pandas and pyarrow, and ``CACHE_VERSION``.

On a hit the written tables are copied from the entry (a DuckDB file, so every column keeps
its exact type and value), or the frame is read back (:func:`atlas.store.cache.cached_frame`);
on a miss the step runs and its tables are copied into a new entry, kept when the running
cache block ends without an error (:func:`atlas.store.cache.new_cache_file`: the entry's
bytes are sealed with their sha256 and checked before each use, and the key is stored inside
it too). Outside a cache block the step simply runs. So the cache can only save the work,
never decide a result: anything the key covers that differs is a miss.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.store.cache import cache_file, cache_folder, cache_key, cached_frame, new_cache_file
from atlas.store.fingerprint import quote_literal, quote_name, table_digest

F = TypeVar("F", bound=Callable[..., Any])
SUFFIX = ".duckdb"  # a step's tables are kept as a DuckDB file
KEY_TABLE = "atlas_cache_key"  # the table of an entry that holds its key
ALIAS = "atlas_step_cache"  # the name the entry is attached under while it is copied
DATA_SUFFIXES = (".py", ".sql", ".toml")  # the files of the code a step runs
# the layers of atlas, lowest first (tests/test_house.py: LAYERS)
LAYERS = ("errors", "spec", "store", "sources", "engine", "texts", "exports", "maps", "build",
          "cli")


def code_files(module: str) -> list[Path]:
    """The code a step of ``module`` (``atlas.<layer>...``) can run: ``atlas/__init__.py``,
    ``atlas/errors.py`` and every ``.py``, ``.sql`` and ``.toml`` file of the packages of its
    layer and of the layers below (:data:`LAYERS`: the house's layering, checked by
    ``tests/test_house.py``, forbids importing from a higher one)."""
    root = Path(sys.modules["atlas"].__file__).parent
    layer = module.split(".")[1] if module.count(".") else ""
    if layer not in LAYERS:
        raise ValueError(f"{module}: not a module of a layer of atlas ({', '.join(LAYERS)})")
    files = [root / "__init__.py", root / "errors.py"]
    for package in LAYERS[1:LAYERS.index(layer) + 1]:
        files += [p for p in (root / package).rglob("*") if p.is_file()
                  and p.suffix in DATA_SUFFIXES and "__pycache__" not in p.parts]
    return sorted(set(files))


@functools.cache
def code_digest(module: str) -> str:
    """sha256 of the names (inside the package) and bytes of :func:`code_files` of
    ``module`` (once per process: the code does not change while a process runs)."""
    digest = hashlib.sha256()
    root = Path(sys.modules["atlas"].__file__).parent
    for path in code_files(module):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def step_key(con: duckdb.DuckDBPyConnection, name: str, module: str, reads: Sequence[str],
             arguments: Sequence[Any]) -> str:
    """The cache key of the step ``name`` of ``module`` reading the tables ``reads`` of
    ``con`` with ``arguments`` (see the module docstring)."""
    return cache_key(name, {table: table_digest(con, table) for table in sorted(reads)},
                     [repr(argument) for argument in arguments], code_digest(module),
                     [duckdb.__version__, np.__version__, pd.__version__, pa.__version__])


def copy_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[str], source: str,
                target: str) -> None:
    """Copy ``tables`` from the catalog ``source`` to ``target`` (rows in their order)."""
    kept = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    try:
        for table in tables:
            con.execute(f"CREATE OR REPLACE TABLE {target}.{quote_name(table)} AS "
                        f"SELECT * FROM {source}.{quote_name(table)}")
    finally:
        con.execute(f"SET preserve_insertion_order = {str(bool(kept)).lower()}")


def _database(con: duckdb.DuckDBPyConnection) -> str:
    return quote_name(con.execute("SELECT current_database()").fetchone()[0])


def restore_tables(con: duckdb.DuckDBPyConnection, name: str, key: str,
                   writes: Sequence[str]) -> bool:
    """Copy the tables ``writes`` of the entry of ``name`` for ``key`` into ``con``; False
    (nothing copied) if there is no such entry, its bytes do not match their sha256, or the
    key stored inside it or one of the tables is not there."""
    path = cache_file(name, key, SUFFIX)
    if path is None:
        return False
    try:
        con.execute(f"ATTACH {quote_literal(path)} AS {ALIAS} (READ_ONLY)")
    except duckdb.Error:
        return False
    try:
        present = {row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ?",
            [ALIAS]).fetchall()}
        if KEY_TABLE not in present or not set(writes) <= present or con.execute(
                f"SELECT key FROM {ALIAS}.{KEY_TABLE}").fetchone() != (key,):
            return False
        copy_tables(con, writes, ALIAS, _database(con))
        return True
    finally:
        con.execute(f"DETACH {ALIAS}")


def keep_tables(con: duckdb.DuckDBPyConnection, name: str, key: str,
                writes: Sequence[str]) -> None:
    """Copy the tables ``writes`` of ``con`` into a new entry of ``name`` for ``key``, kept
    when the cache block ends without an error (nothing outside a block)."""
    path = new_cache_file(name, key, SUFFIX)
    if path is None:
        return
    con.execute(f"ATTACH {quote_literal(path)} AS {ALIAS}")
    try:
        copy_tables(con, writes, _database(con), ALIAS)
        con.execute(f"CREATE TABLE {ALIAS}.{KEY_TABLE} AS SELECT ?::VARCHAR AS key", [key])
    finally:
        con.execute(f"DETACH {ALIAS}")


@dataclass(frozen=True)
class Step:
    """A cached step: its ``name`` (its entries' prefix), the tables it ``reads`` and
    ``writes`` (none: it returns a DataFrame) and the ``function`` that computes it."""

    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    function: Callable[..., Any]


STEPS: dict[str, Step] = {}  # every cached step of the modules imported, by name


def run_step(step: Step, con: duckdb.DuckDBPyConnection, arguments: Sequence[Any],
             named: dict[str, Any]) -> Any:
    """Run ``step`` on ``con`` with ``arguments`` and ``named``, or reuse its entry (every
    cached step's call comes here: ``tests/test_cache_steps.py`` runs each in isolation)."""
    function = step.function
    if cache_folder() is None:
        return function(con, *arguments, **named)
    key = step_key(con, step.name, function.__module__, step.reads,
                   [*arguments, *sorted(named.items())])
    if not step.writes:
        return cached_frame(step.name, key, lambda: function(con, *arguments, **named))
    if restore_tables(con, step.name, key, step.writes):
        return None
    function(con, *arguments, **named)
    keep_tables(con, step.name, key, step.writes)
    return None


def cached_step(name: str, reads: Sequence[str], writes: Sequence[str] = ()
                ) -> Callable[[F], F]:
    """Mark ``step(con, *arguments, **named)`` as a cached step (see the module docstring):
    with ``writes``, the tables it writes are reused (it returns None); without, the
    DataFrame it returns. The arguments as given are the key's (a default left out and the
    same value given are two keys of one result). A name is one step's: two steps of one
    name would share entries, so that raises ValueError."""
    def decorate(function: F) -> F:
        step = Step(name, tuple(reads), tuple(writes), function)
        known = STEPS.get(name)
        if known is not None and _where(known.function) != _where(function):
            raise ValueError(f"cached step {name!r}: already the name of "
                             f"{_where(known.function)} (a name is one step's)")
        STEPS[name] = step

        @functools.wraps(function)
        def run(con: duckdb.DuckDBPyConnection, *arguments: Any, **named: Any) -> Any:
            return run_step(step, con, arguments, named)

        run.uncached = function  # type: ignore[attr-defined]
        run.step = step  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


def _where(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"
