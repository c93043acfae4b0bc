"""The evidence tables of a build: ``validation`` (published figures), ``backtest`` and
``lineage``, written after the engine, the uncertainty and the diagnostics, so that the
backtests and the lineage read the model this build made (declared in
``atlas/spec/evidence.toml``)."""

from __future__ import annotations

from typing import Any

import duckdb

from atlas.engine.backtest import compute_backtests
from atlas.engine.validate_figures import Context, validation_table
from atlas.sources.inputs import Inputs
from atlas.spec.config_types import AtlasConfig
from atlas.store.database import write_tables
from atlas.texts.lineage import lineage_table


def compute_evidence(con: duckdb.DuckDBPyConnection, inputs: Inputs, config: AtlasConfig,
                     shift: dict[str, Any]) -> None:
    """Write ``validation``, ``backtest`` and ``lineage``; ``shift`` is what
    :func:`atlas.engine.shift.compute_shift` returned earlier in the build."""
    write_tables(con, {"validation": validation_table(Context(con, inputs, shift)),
                       "backtest": compute_backtests(con, inputs),
                       "lineage": lineage_table(con, config)})
