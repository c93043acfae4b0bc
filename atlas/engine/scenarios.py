"""AI-adoption scenarios: projected displaced workers, net job loss and unemployment shock.

For a scenario (adoption, displacement, reabsorption range, horizon) and a region:

    displaced    = adoption * displacement * tilted_exposed_jobs
    reabsorption = reabsorption_max - (reabsorption_max - reabsorption_min) * S_absorption
    net_loss     = displaced * (1 - reabsorption)
    unemployment_rate_shock = 100 * net_loss / labor_force     (percentage points)

with ``tilted_exposed_jobs = sum_i e_i * score_i * min(1, a_i / a_mean)`` from
``atlas/engine/sql/scenario_base.sql`` and ``S_absorption`` the region's weak-absorption pillar
score (0..1; the middle of the range where the model has no such pillar or the region no
score), so the net loss is largest where exposure meets weak absorption. Totals are over
the horizon; ``net_loss_per_year`` divides by it. Regions without a labour force (Guam, the
Virgin Islands) get no shock.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.sql import run_sql_file
from atlas.spec.config_types import AtlasConfig, Scenario
from atlas.store.cache_steps import cached_step
from atlas.store.database import register_table, table_exists


def reabsorption(scenario: Scenario, absorption: pd.Series) -> pd.Series:
    """Share re-employed locally: from ``reabsorption_max`` (strongest absorption, score 0) to
    ``reabsorption_min`` (weakest, score 1); the middle of the range without a score."""
    low, high = scenario.reabsorption_min, scenario.reabsorption_max
    return (high - (high - low) * absorption.astype(float)).fillna((low + high) / 2)


def project(base: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Scenario results from ``base`` (``level, region_id, tilted_exposed_jobs, labor_force,
    absorption``) for a parsed scenario (:func:`atlas.spec.config_parse.parse_scenario`)."""
    displaced = scenario.adoption * scenario.displacement * base["tilted_exposed_jobs"]
    share = reabsorption(scenario, base["absorption"])
    net_loss = displaced * (1 - share)
    labor_force = base["labor_force"].where(base["labor_force"] > 0)
    return pd.DataFrame({
        "level": base["level"], "region_id": base["region_id"], "scenario": scenario.name,
        "displaced": displaced, "reabsorption": share, "net_loss": net_loss,
        "net_loss_per_year": net_loss / scenario.horizon_years,
        "unemployment_rate_shock": 100 * net_loss / labor_force,
        "adoption": scenario.adoption, "displacement": scenario.displacement,
        "reabsorption_min": scenario.reabsorption_min,
        "reabsorption_max": scenario.reabsorption_max,
        "horizon_years": scenario.horizon_years,
    })


@cached_step("scenario_base", reads=("exposure_scores", "levels", "employment"),
             writes=("scenario_base",))
def scenario_base(con: duckdb.DuckDBPyConnection, exposure_measure: str,
                  automation_measure: str) -> None:
    """``scenario_base`` (``scenario_base.sql``): a cached step
    (:func:`atlas.store.cache_steps.cached_step`)."""
    run_sql_file(con, "scenario_base.sql", exposure_measure=exposure_measure,
                 automation_measure=automation_measure)


def compute_scenarios(con: duckdb.DuckDBPyConnection, config: AtlasConfig) -> None:
    """Write ``scenario_base`` and ``scenario_results`` (every region x configured scenario)."""
    scenario_base(con, config.exposure.default_measure, config.exposure.automation_measure)
    pillar = config.risk.absorption_pillar
    has_pillars = table_exists(con, "region_pillars")
    absorption = ("(SELECT pillar_score FROM region_pillars AS p WHERE p.level = r.level "
                  "AND p.region_id = r.region_id AND p.pillar = ?)" if has_pillars
                  else "NULL::DOUBLE")
    base = con.execute(f"""
        SELECT r.level, r.region_id, coalesce(b.tilted_exposed_jobs, 0) AS tilted_exposed_jobs,
            r.labor_force, {absorption} AS absorption
        FROM regions AS r
        LEFT JOIN scenario_base AS b USING (level, region_id)""",
                       [pillar] if has_pillars else []).df()
    results = pd.concat([project(base, scenario)
                         for scenario in config.scenarios.values()], ignore_index=True)
    results["unemployment_rate_shock"] = results["unemployment_rate_shock"].astype(float)
    results.loc[~np.isfinite(results["unemployment_rate_shock"]), "unemployment_rate_shock"] = None
    register_table(con, "scenario_results", results)
