"""Ranked region lists for fund allocators: filters, optional re-ranking, allocation."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from atlas.allocation import allocate, need_for_rule
from atlas.engine import region_indices_query
from atlas.errors import ConfigError
from atlas.store import (
    open_atlas,  # noqa: F401  (re-exported for callers)
    stored_config,
)

FLAGS = ("trap", "transition_target", "rust_belt", "lower_tier", "robust_trap",
         "global_south", "low_confidence")


@dataclass
class RankRequest:
    """What to select and how to split a budget.

    Several ``flags`` mean "any of"; several ``states`` mean "any of" (a region matches a
    state if any of its member counties lies in it; Chinese provinces match by Chinese name or
    pinyin).
    """

    level: str = "us_area"
    flags: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    min_employment: float | None = None
    measure: str | None = None
    top: int | None = None
    budget: int | None = None
    rule: str = "risk_weighted"
    floor: int = 0
    cap: int | None = None


def _check_choice(kind: str, value: str, valid: list[str]) -> None:
    if value not in valid:
        raise ConfigError(f"unknown {kind} '{value}'; valid values: {valid}")


def rank_regions(con: duckdb.DuckDBPyConnection, request: RankRequest) -> pd.DataFrame:
    """Regions of one level matching the filters, sorted by collapse risk (highest first).

    Sorting is by collapse_risk descending, then total_employment descending, then
    region_id: the order of ``risk_rank``. With ``measure`` set, exposure, vulnerability,
    collapse risk and ranks are recomputed under that measure first.
    """
    levels = [row[0] for row in con.execute(
        "SELECT DISTINCT level FROM region_indices ORDER BY level").fetchall()]
    _check_choice("level", request.level, levels)
    for flag in request.flags:
        _check_choice("flag", flag, list(FLAGS))
    if request.measure is not None:
        # the engine's risk steps again, in temp tables that shadow the stored ones; the
        # uncertainty (over every measure) and the trap zones stay those of the build
        indices = region_indices_query(con, stored_config(con), request.measure)
    else:
        indices = con.execute("SELECT * FROM region_indices").df()
    frame = indices.loc[indices["level"] == request.level].copy()
    member_states = frame["states"].fillna("").str.split("-") + frame["province"].map(
        lambda p: [p] if isinstance(p, str) else [])
    valid_states = sorted({s for states in member_states for s in states if s})
    for state in request.states:
        _check_choice(f"state for level {request.level}", state, valid_states)
    keep = pd.Series(True, index=frame.index)
    if request.flags:
        keep &= frame[[f"flag_{flag}" for flag in request.flags]].any(axis=1)
    if request.states:
        keep &= member_states.apply(lambda states: bool(set(states) & set(request.states)))
    if request.min_employment is not None:
        keep &= frame["total_employment"] >= request.min_employment
    frame = frame.loc[keep].sort_values(["collapse_risk", "total_employment", "region_id"],
                                        ascending=[False, False, True], na_position="last")
    if request.top is not None:
        frame = frame.head(request.top)
    frame.insert(0, "selection_rank", range(1, len(frame) + 1))
    if request.budget is not None:
        need = need_for_rule(request.rule, frame["exposed_jobs"], frame["collapse_risk"])
        frame["allocation_need"] = need
        frame["allocation"] = allocate(need, request.budget, request.floor, request.cap)
    return frame.reset_index(drop=True)
