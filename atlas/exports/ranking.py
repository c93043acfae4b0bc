"""Ranked region lists for fund allocators: filters, optional re-ranking, tiers, allocation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.core import region_indices_query
from atlas.engine.uncertainty import MEASURE_INDICATORS
from atlas.errors import ConfigError
from atlas.exports import selection as geography
from atlas.exports.allocation import (
    DEFAULT_TIER_SHARES,
    RULES,
    WITHIN,
    Allocation,
    allocate_detailed,
    allocate_tiered,
    need_for_rule,
)
from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import default_level, level_decl
from atlas.spec.options import (
    check_amount,
    check_currency,
    check_nonnegative,
    check_positive,
    parse_tier_shares,
)
from atlas.spec.risk_model import active_model
from atlas.store.database import (
    open_atlas,  # noqa: F401  (re-exported for callers)
    stored_config,
)

FLAGS = ("top_decile", "trap", "transition_target", "rust_belt", "lower_tier", "robust_trap",
         "global_south", "low_confidence")
TIER_LABELS = {1: "Robust top decile", 2: "Reaches top decile", 3: "Other"}


@dataclass
class RankRequest:
    """What to select and how to split a budget.

    Several ``flags`` mean "any of". ``states`` are principal geographies (US state, Chinese
    province in Chinese or pinyin, World Bank region); ``any_county_in`` keeps US regions with
    any member county in one of these states. Both together mean "any of".
    """

    level: str = field(default_factory=default_level)
    flags: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    any_county_in: list[str] = field(default_factory=list)
    min_employment: float | None = None
    measure: str | None = None
    top: int | None = None
    budget: int | None = None
    rule: str = "risk_weighted"
    floor: int = 0
    cap: int | None = None
    currency: str = "USD"
    tier_shares: tuple[float, ...] = DEFAULT_TIER_SHARES
    within: str = "need"


def validate_request(request: RankRequest) -> None:
    """Check every option of ``request``; normalises the currency code and the tier shares.

    Raises
    ------
    ConfigError
        naming the option (``--top``, ``--budget``, ...) that is out of range.
    """
    check_positive("--top", request.top)
    check_nonnegative("--min-employment", request.min_employment)
    request.budget = check_amount("--budget", request.budget)
    request.floor = check_amount("--floor", request.floor or 0)
    request.cap = check_amount("--cap", request.cap)
    request.currency = check_currency(request.currency)
    request.tier_shares = parse_tier_shares(request.tier_shares, len(TIER_LABELS))
    if request.rule not in RULES:
        raise ConfigError(f"unknown --rule '{request.rule}'; valid rules: {list(RULES)}")
    if request.within not in WITHIN:
        raise ConfigError(f"unknown --within '{request.within}'; valid values: {list(WITHIN)}")
    if request.budget is None and (request.floor or request.cap is not None):
        raise ConfigError("--floor and --cap need --budget (the amount to split)")


def top_decile_cut(regions: int, config: AtlasConfig) -> int:
    """Worst rank still in the level's top share, as the engine computes it for flag_trap."""
    return math.ceil(config.flags.trap_top_share * regions)


def risk_tiers(frame: pd.DataFrame, config: AtlasConfig) -> np.ndarray:
    """Tier of every region from its 90% rank interval (1, 2 or 3; see ``TIER_LABELS``).

    1: the whole interval (``rank_p95``) lies within the level's top decile; 2: the interval
    reaches it (``rank_p05``); 3: the rest. A region without an interval (a period left out
    of the uncertainty analysis, a ranking under another measure) is placed by its point
    rank, and at best in tier 2: nothing shows that its rank is robust.
    """
    cut = np.array([top_decile_cut(int(n), config) if pd.notna(n) else 0
                    for n in frame["regions_in_level"]])
    point = frame["risk_rank"].astype(float)
    nothing = pd.Series(np.nan, index=frame.index)
    best = frame.get("rank_p05", nothing).astype(float).fillna(point)
    worst = frame.get("rank_p95", nothing).astype(float)  # NaN <= cut is False: not tier 1
    return np.where(worst <= cut, 1, np.where(best <= cut, 2, 3))


def _check_choice(kind: str, value: str, valid: list[str]) -> None:
    if value not in valid:
        raise ConfigError(f"unknown {kind} '{value}'; valid values: {valid}")


# tables of the build's ranking under its own measure, whose columns region_indices shows
BUILD_RANKING_TABLES = ("rank_uncertainty", "region_lisa")


def re_ranked(request: RankRequest, config: AtlasConfig) -> bool:
    """True if ``request`` ranks under another measure than the build's."""
    return request.measure not in (None, config.exposure.default_measure)


def has_intervals(frame: pd.DataFrame) -> bool:
    """True if some region of ``frame`` has a 90% rank interval."""
    return "rank_p95" in frame and bool(frame["rank_p95"].notna().any())


def _indices(con: duckdb.DuckDBPyConnection, request: RankRequest,
             config: AtlasConfig) -> pd.DataFrame:
    """region_indices, recomputed under ``measure`` when one is given.

    Under another measure than the build's, the columns that describe the build's ranking
    (its rank intervals and robust-trap shares, its trap zones) are emptied: they would
    contradict the new ranks. Risk tiers then follow the point rank."""
    if request.measure is None:
        return con.execute("SELECT * FROM region_indices").df()
    # the engine's risk steps again, in temp tables that shadow the stored ones
    frame = region_indices_query(con, config, request.measure)
    if re_ranked(request, config):
        listed = ", ".join(f"'{name}'" for name in BUILD_RANKING_TABLES)
        columns = {row[0] for row in con.execute(
            f"SELECT column_name FROM duckdb_columns() WHERE table_name IN ({listed}) "
            "AND column_name NOT IN ('level', 'region_id')").fetchall()}
        for column in sorted(columns & set(frame.columns)):
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype=object) \
                if frame[column].dtype == object else np.nan
    return frame


def check_measure_ranks(frame: pd.DataFrame, request: RankRequest, config: AtlasConfig,
                        con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a ``--measure`` that leaves a pillar of the model without information at the
    level: none of its components has two different scores (all missing, or all tied, as the
    excess over the reference is when the measure has no substitutable share). Its ranking
    would silently rest on the other pillars alone."""
    model = active_model(config)
    for pillar in model.pillars:
        components = [c for c in model.components_for(request.level)
                      if c.pillar == pillar.pillar]
        names = [c.component for c in components]
        columns = [f"risk_p_{name}" for name in names if f"risk_p_{name}" in frame.columns]
        if names and not any(frame[column].nunique(dropna=True) > 1 for column in columns):
            scale = con.execute("SELECT scale FROM measures WHERE measure = ?",
                                [request.measure]).fetchone()
            usable = measures_informing(con, request.level, [c.indicator for c in components])
            raise ConfigError(
                f"--measure {request.measure}: none of the {pillar.label!r} components "
                f"({', '.join(names)}) tells {request.level}'s regions apart under it "
                f"(scale {scale[0] if scale else '?'!r}: missing or tied for all), so the "
                f"ranking would ignore that pillar; measures under which they do: {usable}")


def measures_informing(con: duckdb.DuckDBPyConnection, level: str,
                       indicators: list[str]) -> list[str]:
    """The exposure measures under which one of ``indicators`` (measure-dependent columns of
    ``region_exposure``) takes two different values at ``level``."""
    dependent = [name for name in indicators if name in MEASURE_INDICATORS]
    if not dependent:
        return []
    varies = " OR ".join(f"count(DISTINCT x.{name}) > 1" for name in dependent)
    return [row[0] for row in con.execute(f"""
        SELECT x.measure FROM region_exposure AS x JOIN measures AS m USING (measure)
        WHERE x.level = ? AND m.role = 'exposure'
        GROUP BY x.measure HAVING {varies} ORDER BY x.measure""", [level]).fetchall()]


def need_rule(request: RankRequest) -> str:
    """The rule the need follows: ``equal`` within tiers for ``--within equal``."""
    return "equal" if request.rule == "tiered" and request.within == "equal" else request.rule


def check_need(frame: pd.DataFrame, request: RankRequest) -> None:
    """Refuse a budget rule whose need (exposed jobs) is missing for every selected region:
    it would silently become an equal split."""
    if need_rule(request) != "equal" and len(frame) and frame["exposed_jobs"].isna().all():
        measure = frame["exposure_measure"].iloc[0] if "exposure_measure" in frame else None
        raise ConfigError(f"--rule {request.rule} needs exposed jobs, which the measure "
                          f"{measure} does not give (exposed jobs need a 0..1 task share); "
                          "use --rule equal, or --within equal with --rule tiered, or "
                          "another --measure")


def allocation_for(frame: pd.DataFrame, request: RankRequest) -> Allocation:
    """The allocation of ``request.budget`` over the regions of ``frame`` (in its order)."""
    need = frame["allocation_need"].to_numpy(dtype=float)
    if request.rule == "tiered":
        tiers = [next(n for n, label in TIER_LABELS.items() if label == tier)
                 for tier in frame["risk_tier"]]
        return allocate_tiered(need, tiers, request.budget, request.floor, request.cap,
                               request.tier_shares, request.within)
    return allocate_detailed(need, request.budget, request.floor, request.cap)


def rank_regions(con: duckdb.DuckDBPyConnection, request: RankRequest,
                 indices: pd.DataFrame | None = None) -> pd.DataFrame:
    """Regions of one level matching the filters, sorted by collapse risk (highest first).

    Sorting is by collapse_risk descending, then total_employment descending, then
    region_id: the order of ``risk_rank``. With ``measure`` set, exposure, vulnerability,
    collapse risk and ranks are recomputed under that measure first. Adds ``selection_rank``,
    ``risk_tier`` (see ``risk_tiers``), ``note`` (with ``any_county_in``) and, with a budget,
    ``allocation_need``, ``allocation``, ``allocation_bound`` and ``currency``.
    ``indices``: ``SELECT * FROM region_indices`` already read (used without ``measure``;
    never changed), for callers that rank several levels.
    """
    validate_request(request)
    if indices is not None and request.measure is None:  # the view's levels, not read again
        levels = sorted(indices["level"].dropna().unique().tolist())
    else:
        levels = [row[0] for row in con.execute(
            "SELECT DISTINCT level FROM region_indices ORDER BY level").fetchall()]
    _check_choice("level", request.level, levels)
    for flag in request.flags:
        _check_choice("flag", flag, list(FLAGS))
    config = stored_config(con)
    if indices is None or request.measure is not None:
        indices = _indices(con, request, config)
    frame = indices.loc[indices["level"] == request.level].copy()
    if re_ranked(request, config) and frame["collapse_risk"].notna().sum() > 1:
        check_measure_ranks(frame, request, config, con)
    decl = level_decl(request.level)  # names of the parents, e.g. US states by name
    states = indices.loc[indices["level"] == (decl and decl.aliases_level),
                         ["state", "name"]].dropna()
    keep, note = geography.select(frame, request.level, request.states, request.any_county_in,
                                  aliases=dict(zip(states["state"], states["name"], strict=True)))
    if request.flags:
        keep &= frame[[f"flag_{flag}" for flag in request.flags]].fillna(False).any(axis=1)
    if request.min_employment is not None:
        keep &= frame["total_employment"] >= request.min_employment
    if request.any_county_in:
        frame["note"] = note
    frame = frame.loc[keep].sort_values(["collapse_risk", "total_employment", "region_id"],
                                        ascending=[False, False, True], na_position="last")
    if request.top is not None:
        frame = frame.head(request.top)
    frame.insert(0, "selection_rank", range(1, len(frame) + 1))
    frame["risk_tier"] = [TIER_LABELS[t] for t in risk_tiers(frame, config)]
    if request.budget is not None:
        check_need(frame, request)
        frame["allocation_need"] = need_for_rule(need_rule(request), frame["exposed_jobs"],
                                                 frame["collapse_risk"])
        allocation = allocation_for(frame, request)
        frame["allocation"] = allocation.amounts
        frame["allocation_bound"] = allocation.bound
        frame["currency"] = request.currency
    return frame.reset_index(drop=True)


def rank(db: str | Path | duckdb.DuckDBPyConnection, level: str, **options: Any
         ) -> pd.DataFrame:
    """Ranked regions of one level of a built atlas, as ``atlas rank`` lists them.

    Parameters
    ----------
    db
        The atlas database (a path, or an open connection).
    level
        A level of the atlas (``SELECT level FROM levels``).
    **options
        Any field of :class:`RankRequest`: ``flags``, ``states``, ``top``, ``budget``,
        ``rule``, ``floor``, ``cap``, ``measure`` ...

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from atlas.engine.synth import write_synthetic_database
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "synth.duckdb"
    >>> _ = write_synthetic_database(path, regions=40, categories=30)
    >>> top = rank(path, "synth", top=5, budget=1_000_000)
    >>> len(top), int(top["allocation"].sum())
    (5, 1000000)
    >>> top["risk_rank"].is_monotonic_increasing
    True
    """
    if isinstance(db, duckdb.DuckDBPyConnection):
        return rank_regions(db, RankRequest(level=level, **options))
    with open_atlas(db) as con:
        return rank_regions(con, RankRequest(level=level, **options))
