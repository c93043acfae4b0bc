"""One level's data for the rank uncertainty (:mod:`atlas.engine.uncertainty`): its
regions, jobs, component indicators (static and per unit-scale measure), gated regions and
absolute-shock floor, read from the engine's tables."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.uncertainty_draws import by_region, shock_floor
from atlas.spec.risk_model import Component, RiskModel
from atlas.store.database import table_exists

MEASURE_INDICATORS = ("exposure_mean", "share_ge_10", "share_ge_50", "exposed_jobs",
                      "vulnerable_share", "substitutable_share", "substitutable_excess")


@dataclass
class LevelInputs:
    """One level's data for the specifications."""

    region_ids: np.ndarray
    size: np.ndarray
    components: list[Component]
    static: dict[str, np.ndarray]  # indicator -> values per region
    by_measure: dict[str, dict[str, np.ndarray]]  # measure -> indicator -> values
    default_measure: str | None = None
    gated: dict[str, np.ndarray] | None = None  # pillar -> regions whose mean is capped
    shock_floor: dict[str, np.ndarray] | None = None  # measure -> regions above the floor
    variants: dict[tuple, dict[str, np.ndarray]] | None = None  # uncertainty_choices
    groups: np.ndarray | None = None  # rank group code per region (None: one group)


def unit_exposure(con: duckdb.DuckDBPyConnection, level: str | None = None) -> pd.DataFrame:
    """The measure-dependent indicators of ``region_exposure`` under every unit-scale
    measure, of one level or (``None``) of all levels in one query."""
    where = "AND x.level = ?" if level is not None else ""
    return con.execute(f"""
        SELECT x.level, x.region_id, x.measure, {", ".join(f"x.{n}" for n in MEASURE_INDICATORS)}
        FROM region_exposure AS x JOIN measures AS m USING (measure)
        WHERE m.scale = 'unit' {where}""", [level] if level is not None else []).df()


def level_inputs(con: duckdb.DuckDBPyConnection, level: str, model: RiskModel,
                 default_measure: str, exposure: pd.DataFrame | None = None,
                 config_floor: float = 0.0) -> LevelInputs:
    """Read one level's indicators (static and per measure) from the engine's tables
    (``exposure``: :func:`unit_exposure` of all levels, read once by the caller;
    ``config_floor``: ``flags.trap_min_shock_ratio``, 0 = no floor)."""
    base = con.execute("SELECT region_id, total_employment FROM region_base WHERE level = ? "
                       "ORDER BY region_id", [level]).df()
    ids = base["region_id"].to_numpy()
    components = model.components_for(level)
    wanted = sorted({c.indicator for c in components})
    static_rows = con.execute(
        "SELECT region_id, indicator, value FROM region_indicator_values WHERE level = ? "
        "AND list_contains(?, indicator)", [level, wanted]).df()
    static = {name: group.set_index("region_id")["value"].reindex(ids).to_numpy(float)
              for name, group in static_rows.groupby("indicator")}
    dependent = [name for name in wanted if name in MEASURE_INDICATORS]
    by_measure: dict[str, dict[str, np.ndarray]] = {}
    if dependent:
        exposure = unit_exposure(con, level) if exposure is None else \
            exposure.loc[exposure["level"] == level]
        for measure, grids in by_region(exposure, ids, dependent).items():
            if all((~np.isnan(grid)).any() for grid in grids.values()):
                by_measure[measure] = grids
    floor = shock_floor(con, level, float(config_floor), ids) if config_floor else None
    gates = con.execute("SELECT pillar, region_id FROM region_gates WHERE level = ? AND gated",
                        [level]).df() if table_exists(con, "region_gates") else pd.DataFrame(
        columns=["pillar", "region_id"])
    gated = {pillar: np.isin(ids, group["region_id"].to_numpy())
             for pillar, group in gates.groupby("pillar")}
    return LevelInputs(ids, base["total_employment"].to_numpy(float), components, static,
                       by_measure, default_measure, gated, floor)
