"""Ranked region lists for fund allocators: filters, optional re-ranking, allocation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from atlas.allocation import allocate, need_for_rule
from atlas.config import load_config
from atlas.engine import region_indices_query, variables_from_config
from atlas.errors import ConfigError

FLAGS = ("rust_belt", "lower_tier", "trap", "robust_trap", "global_south")


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


def open_atlas(db: str | Path, external_access: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the atlas read-only, with a clear error when it does not exist."""
    path = Path(db)
    if not path.is_file():
        raise ConfigError(f"atlas database {path} not found: run `python build_atlas.py` first "
                          "or pass --db")
    try:
        return duckdb.connect(str(path), read_only=True,
                              config={"enable_external_access": external_access})
    except duckdb.Error as exc:
        raise ConfigError(f"cannot open {path}: {exc}") from exc


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
        settings = dict(con.execute("SELECT key, value FROM build_info").fetchall())
        config = json.loads(settings["config"]) if "config" in settings else load_config()
        indices = region_indices_query(con, **variables_from_config(config, request.measure))
        # columns that do not depend on the measure (uncertainty covers every measure; trap
        # zones are those of the built ranking) come from the stored table
        stored = con.execute("SELECT * FROM region_indices").df()
        extra = [c for c in stored.columns if c not in indices.columns]
        indices = indices.merge(stored[["level", "region_id", *extra]],
                                on=["level", "region_id"], how="left")
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
