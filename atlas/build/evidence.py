"""The evidence tables of a build: ``validation`` (published figures), ``backtest`` and
``lineage``, written after the engine, the uncertainty and the diagnostics, so that the
backtests and the lineage read the model this build made (declared in
``atlas/spec/evidence.toml``).

The backtests' bootstrap is started early (:func:`start_backtests`, right after the engine)
in the build's second process, which is otherwise idle while this one computes the rank
uncertainty; when the evidence is written their windows are read again and the second
process's table is taken only if the windows are exactly those it evaluated (same key).
The build writes the other evidence tables first (:func:`write_evidence`) and the backtests
last (:func:`write_backtests`), after its other closing steps, so that this process waits for
the bootstrap, if at all, only once it has nothing else to do.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import duckdb
import pandas as pd

from atlas.engine.backtest import backtest_windows
from atlas.engine.backtest_metrics import evaluate_windows, windows_key
from atlas.engine.validate_figures import Context, validation_table
from atlas.sources.inputs import Inputs
from atlas.spec.config_types import AtlasConfig
from atlas.store.cache import cached, cached_frame
from atlas.store.database import write_tables
from atlas.texts.lineage import lineage_table

Backtests = Callable[[duckdb.DuckDBPyConnection], pd.DataFrame]


def start_backtests(con: duckdb.DuckDBPyConnection, inputs: Inputs,
                    executor: Executor | None = None) -> Backtests:
    """Read the backtest windows now and, unless their table is cached, start their
    bootstrap in ``executor``; returns the step that gives the ``backtest`` table.

    That step reads the windows again from ``con``: if anything they depend on changed in
    between (another key), the early result is dropped and the table computed there, so
    starting early can only save time, never change the table."""
    early = backtest_windows(con, inputs)
    key = windows_key(early)
    stored = cached("backtest", key)
    future = None
    if stored is None and executor is not None:
        future = executor.submit(evaluate_windows, early)

    def finish(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        windows = backtest_windows(con, inputs)
        again = windows_key(windows)
        if again != key:
            if future is not None:
                future.cancel()
            return cached_frame("backtest", again, lambda: evaluate_windows(windows))
        if stored is not None:
            return stored
        return cached_frame("backtest", key, lambda: future.result() if future is not None
                            else evaluate_windows(windows))

    return finish


def write_evidence(con: duckdb.DuckDBPyConnection, inputs: Inputs, config: AtlasConfig,
                   shift: dict[str, Any]) -> None:
    """Write ``validation`` and ``lineage`` (neither reads ``backtest``); ``shift`` is what
    :func:`atlas.engine.shift.compute_shift` returned earlier in the build."""
    write_tables(con, {"validation": validation_table(Context(con, inputs, shift)),
                       "lineage": lineage_table(con, config)})


def write_backtests(con: duckdb.DuckDBPyConnection, backtests: Backtests) -> None:
    """Write ``backtest``: what ``backtests`` (returned by :func:`start_backtests`) gives,
    waiting for the second process's bootstrap if it is not done."""
    write_tables(con, {"backtest": backtests(con)})


def compute_evidence(con: duckdb.DuckDBPyConnection, inputs: Inputs, config: AtlasConfig,
                     shift: dict[str, Any], backtests: Backtests | None = None) -> None:
    """Write ``validation``, ``backtest`` and ``lineage`` (:func:`write_evidence`, then
    :func:`write_backtests`); ``backtests``: what :func:`start_backtests` returned (default:
    started and finished here)."""
    backtests = backtests or start_backtests(con, inputs)
    write_evidence(con, inputs, config, shift)
    write_backtests(con, backtests)
