"""AI-adoption scenarios: projected displaced workers, net job loss and unemployment shock.

For a scenario (adoption, displacement, reabsorption, horizon) and a region:

    displaced = adoption * displacement * tilted_exposed_jobs
    net_loss = displaced * (1 - reabsorption)
    unemployment_rate_shock = 100 * net_loss / labor_force     (percentage points)

with ``tilted_exposed_jobs = sum_i e_i * score_i * min(1, a_i / a_mean)`` from
``atlas/sql/scenario_base.sql``. Totals are over the horizon; ``net_loss_per_year`` divides
by it. Regions without a labour force (Guam, the Virgin Islands) get no shock.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.config import check_scenario
from atlas.sql import run_sql_file

AUTOMATION_MEASURE = "eloundou_automation"


def project(base: pd.DataFrame, name: str, scenario: dict[str, Any]) -> pd.DataFrame:
    """Scenario results from ``base`` (``level, region_id, tilted_exposed_jobs, labor_force``)."""
    check_scenario(name, scenario)
    displaced = scenario["adoption"] * scenario["displacement"] * base["tilted_exposed_jobs"]
    net_loss = displaced * (1 - scenario["reabsorption"])
    labor_force = base["labor_force"].where(base["labor_force"] > 0)
    return pd.DataFrame({
        "level": base["level"], "region_id": base["region_id"], "scenario": name,
        "displaced": displaced, "net_loss": net_loss,
        "net_loss_per_year": net_loss / scenario["horizon_years"],
        "unemployment_rate_shock": 100 * net_loss / labor_force,
        "adoption": scenario["adoption"], "displacement": scenario["displacement"],
        "reabsorption": scenario["reabsorption"], "horizon_years": scenario["horizon_years"],
    })


def compute_scenarios(con: duckdb.DuckDBPyConnection, config: dict[str, Any]) -> None:
    """Write ``scenario_base`` and ``scenario_results`` (every region x configured scenario)."""
    measures = {row[0] for row in con.execute("SELECT measure FROM measures").fetchall()}
    automation = AUTOMATION_MEASURE if AUTOMATION_MEASURE in measures else \
        config["risk"]["vulnerability_measure"]
    con.execute("SET VARIABLE automation_measure = ?", [automation])
    run_sql_file(con, "scenario_base.sql")
    base = con.execute("""
        SELECT r.level, r.region_id, coalesce(b.tilted_exposed_jobs, 0) AS tilted_exposed_jobs,
            r.labor_force
        FROM regions AS r
        LEFT JOIN scenario_base AS b USING (level, region_id)""").df()
    results = pd.concat([project(base, name, scenario)
                         for name, scenario in config["scenarios"].items()], ignore_index=True)
    results["unemployment_rate_shock"] = results["unemployment_rate_shock"].astype(float)
    results.loc[~np.isfinite(results["unemployment_rate_shock"]), "unemployment_rate_shock"] = None
    con.register("_scenarios", results)
    con.execute("CREATE OR REPLACE TABLE scenario_results AS SELECT * FROM _scenarios")
    con.unregister("_scenarios")
