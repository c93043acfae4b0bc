"""Every cached step run once more on a fresh database that holds only the tables it declares.

A cached step's key covers the tables named in its ``reads`` (:mod:`atlas.store.cache_steps`),
so a table it reads but does not name could change while the key stays: a hit would then
reuse a result the step would no longer compute. :func:`audit` (in place of
:func:`atlas.store.cache_steps.run_step`, through which every cached step is called) first
copies the declared tables, as they are at that call, into a fresh in-memory DuckDB
connection, runs the step there with the same arguments, then runs it as usual on the
build's connection, and records a fault when

- the isolated run fails (it read a table, view or variable it does not declare);
- a table of ``writes`` (or the returned frame) differs between the two runs;
- the isolated run changed or dropped a table of ``reads`` (a hit would not), or left a
  table or view that is neither read nor written (a hit would not make it: a later step
  could read it).

The fresh connection is ``duckdb.connect()`` as the build's own (``atlas.build.database``):
the build sets no option and defines no macro, so nothing but the declared tables is
legitimately there. The SQL variables an earlier step set (``SET VARIABLE``) are left out
on purpose: a step that reads one it did not set reads an input its key does not cover.
Temp tables are copied as temp tables and views as tables of their rows (a step reads their
content), rows in their order; each copy's columns, types and rows are checked equal with the
key's own digest (:func:`atlas.store.cache_steps.table_digest`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from atlas.store import cache_steps
from atlas.store.cache_steps import Step
from atlas.store.fingerprint import quote_name, table_digest

SOURCE = "isolation_source"  # the name a copied table is read under


def objects(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """Every table and view of ``con``'s own database and of temp: name -> is temp."""
    rows = con.execute(
        "SELECT table_name, database_name = 'temp' FROM duckdb_tables() "
        "WHERE database_name IN (current_database(), 'temp') UNION ALL "
        "SELECT view_name, database_name = 'temp' FROM duckdb_views() "
        "WHERE NOT internal AND database_name IN (current_database(), 'temp')").fetchall()
    return dict(rows)


def isolated_copy(con: duckdb.DuckDBPyConnection, reads: Sequence[str]
                  ) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory connection holding the tables ``reads`` of ``con`` that exist (a
    temp one as temp), with the same content: copied as Arrow tables, rows in their order,
    and checked with the key's own digest (columns, types and every row)."""
    present = objects(con)
    fresh = duckdb.connect()
    fresh.execute("SET preserve_insertion_order = true")
    for name in (name for name in dict.fromkeys(reads) if name in present):
        rows = con.execute(f"SELECT * FROM {quote_name(name)}").to_arrow_table()
        fresh.register(SOURCE, rows)
        kind = "TEMP TABLE" if present[name] else "TABLE"
        fresh.execute(f"CREATE {kind} {quote_name(name)} AS SELECT * FROM {SOURCE}")
        fresh.unregister(SOURCE)
        assert table_digest(fresh, name) == table_digest(con, name), \
            f"{name}: its copy differs (a type Arrow does not carry?)"
    return fresh


def _differences(step: Step, con: duckdb.DuckDBPyConnection, fresh: duckdb.DuckDBPyConnection,
                 result: Any, alone: Any) -> list[str]:
    """What the isolated run did otherwise than the run on the build's connection."""
    if not step.writes:
        try:
            pd.testing.assert_frame_equal(alone, result)
        except AssertionError as exc:
            return [f"its frame differs ({str(exc).splitlines()[0]})"]
        return []
    return [f"table {name} differs" for name in step.writes
            if table_digest(fresh, name) != table_digest(con, name)]


class Audit:
    """:func:`atlas.store.cache_steps.run_step` that also runs each step in isolation;
    ``faults`` the faults found (each naming its step), ``steps`` the names audited."""

    def __init__(self, run_step: Any = cache_steps.run_step) -> None:
        self.run_step = run_step
        self.faults: list[str] = []
        self.steps: list[str] = []

    def __call__(self, step: Step, con: duckdb.DuckDBPyConnection, arguments: Sequence[Any],
                 named: dict[str, Any]) -> Any:
        self.steps.append(step.name)
        where = f"{step.function.__module__}.{step.function.__qualname__}"
        told = (f"cached step {step.name!r} ({where}), reads={list(step.reads)}: ")
        with isolated_copy(con, step.reads) as fresh:
            before = {name: table_digest(fresh, name) for name in objects(fresh)}
            try:
                alone = step.function(fresh, *arguments, **named)
            except Exception as exc:  # noqa: BLE001 - reported with the step's name
                alone, failed = None, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            else:
                failed = ""
            result = self.run_step(step, con, arguments, named)
            if failed:
                self.faults.append(told + "it fails on a database holding only its reads "
                                   f"({failed}): it reads something `reads` does not name")
                return result
            faults = _differences(step, con, fresh, result, alone)
            if faults:
                self.faults.append(told + "on a database holding only its reads, "
                                   + "; ".join(faults) + ": it reads a table `reads` does "
                                   "not name")
            after = objects(fresh)
            changed = sorted(name for name in before if name in after
                             and table_digest(fresh, name) != before[name])
            left = sorted(set(after) - set(before) - set(step.writes))
            dropped = sorted(set(before) - set(after))
            if dropped:
                self.faults.append(told + f"it drops {dropped}, which it reads (a hit would "
                                   "not)")
            if changed:
                self.faults.append(told + f"it changes {changed}, which it reads (a hit "
                                   "would not)")
            if left:
                self.faults.append(told + f"it leaves {left}, not in `writes` (a hit would "
                                   "not make them)")
        return result
