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
the bootstrap, if at all, only once it has nothing else to do. The bootstrap goes there in
:data:`PARTS` parts (consecutive windows): the parts the second process has not started when
this process asks for the table are taken back and evaluated here (:func:`gather`), so
neither process waits for the other to do them all; the rows are the same (each window's rows
depend on that window alone) and in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import duckdb
import pandas as pd

from atlas.engine.backtest import backtest_windows
from atlas.engine.backtest_metrics import COLUMNS, Window, evaluate_windows, windows_key
from atlas.engine.validate_figures import Context, validation_table
from atlas.sources.inputs import Inputs
from atlas.spec.config_types import AtlasConfig
from atlas.store.cache import cached, cached_frame
from atlas.store.database import write_tables
from atlas.texts.lineage import lineage_table

Backtests = Callable[[duckdb.DuckDBPyConnection], pd.DataFrame]
# the parts the bootstrap is handed to the second process in (the unstarted ones taken back)
PARTS = 8
Part = tuple[list[Window], Future]


def split(windows: list[Window], parts: int) -> list[list[Window]]:
    """``windows`` in at most ``parts`` runs of consecutive windows, as even in number as
    can be, none empty; in order (their concatenation is ``windows``)."""
    count = min(parts, len(windows))
    bounds = [len(windows) * i // count for i in range(count + 1)] if count else [0]
    return [windows[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def take_back(parts: list[Part]) -> list[pd.DataFrame | None]:
    """Cancel the parts at the end that the executor has not started (from the last one
    back, until one cannot be cancelled) and evaluate them here; returns each part's frame
    (None: left to the executor)."""
    frames: list[pd.DataFrame | None] = [None] * len(parts)
    for index in reversed(range(len(parts))):
        windows, future = parts[index]
        if not future.cancel():
            break
        frames[index] = evaluate_windows(windows)
    return frames


def gather(parts: list[Part], taken: list[pd.DataFrame | None] | None = None
           ) -> pd.DataFrame:
    """:func:`evaluate_windows` of the parts' windows, one frame in their order: the frames
    ``taken`` back (:func:`take_back`, default: now), the executor's results of the others.
    The same frame as evaluating every window in one call: each window's rows are computed
    from that window alone, and empty parts are left out as empty windows are."""
    taken = take_back(parts) if taken is None else taken
    done = [frame if frame is not None else future.result()
            for frame, (_, future) in zip(taken, parts, strict=True)]
    kept = [frame for frame in done if len(frame)]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=COLUMNS)


def start_backtests(con: duckdb.DuckDBPyConnection, inputs: Inputs,
                    executor: Executor | None = None) -> Backtests:
    """Read the backtest windows now and, unless their table is cached, start their
    bootstrap in ``executor`` (in :data:`PARTS` parts); returns the step that gives the
    ``backtest`` table, taking back the parts not started (:func:`gather`).

    That step reads the windows again from ``con``: if anything they depend on changed in
    between (another key), the early result is dropped and the table computed there, so
    starting early can only save time, never change the table."""
    early = backtest_windows(con, inputs)
    key = windows_key(early)
    stored = cached("backtest", key)
    parts: list[Part] = []
    if stored is None and executor is not None:
        parts = [(part, executor.submit(evaluate_windows, part))
                 for part in split(early, PARTS)]

    def finish(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        taken = take_back(parts)  # first: the parts not started yet are evaluated here
        windows = backtest_windows(con, inputs)
        again = windows_key(windows)
        if again != key:
            for _, future in parts:
                future.cancel()
            return cached_frame("backtest", again, lambda: evaluate_windows(windows))
        if stored is not None:
            return stored
        return cached_frame("backtest", key, lambda: gather(parts, taken) if parts
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
