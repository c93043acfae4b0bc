"""The generic engine: (composition, scores, context) -> indices, for every level alike.

It reads only the generic tables ``levels, regions, employment, measures, exposure_scores,
risk_weights, rust_belt_states`` and writes ``region_measure_sums`` (one grouped pass per
level: every sum the indices need), the views ``region_exposure`` and ``region_diversity`` over it,
``region_indices`` and ``region_top_categories``. The formulas live in the SQL files under
``atlas/sql/``.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from atlas.config import RISK_COMPONENTS
from atlas.errors import AtlasError, ConfigError
from atlas.sql import run_sql_file, sql_text


def set_variables(con: duckdb.DuckDBPyConnection, *, exposure_measure: str,
                  vulnerability_measure: str, trap_risk_percentile: float,
                  trap_entropy_percentile: float) -> None:
    """Set the session variables that ``region_indices.sql`` reads, after checking measures."""
    known = dict(con.execute("SELECT measure, scale FROM measures").fetchall())
    for role, measure in (("exposure measure", exposure_measure),
                          ("vulnerability measure", vulnerability_measure)):
        if measure not in known or known[measure] == "trait":
            valid = sorted(m for m, scale in known.items() if scale != "trait")
            raise ConfigError(f"unknown {role} '{measure}'; valid measures: {valid}")
    if known[vulnerability_measure] != "unit":
        raise ConfigError(
            f"vulnerability measure '{vulnerability_measure}' is a z-score: vulnerable_share "
            f"needs a 0..1 score; use '{vulnerability_measure}_pct' instead")
    values = {
        "exposure_measure": exposure_measure,
        "vulnerability_measure": vulnerability_measure,
        "trap_risk_percentile": float(trap_risk_percentile),
        "trap_entropy_percentile": float(trap_entropy_percentile),
    }
    for name, value in values.items():
        con.execute(f"SET VARIABLE {name} = ?", [value])


def variables_from_config(config: dict[str, Any], measure: str | None = None) -> dict[str, Any]:
    """Engine variables from the configuration; ``measure`` overrides both measures."""
    return {
        "exposure_measure": measure or config["exposure"]["default_measure"],
        "vulnerability_measure": measure or config["risk"]["vulnerability_measure"],
        "trap_risk_percentile": config["flags"]["trap_risk_percentile"],
        "trap_entropy_percentile": config["flags"]["trap_entropy_percentile"],
    }


def write_risk_weights(con: duckdb.DuckDBPyConnection, weights: dict[str, float]) -> None:
    """Store the collapse-risk weights as a table the SQL joins."""
    unknown = set(weights) - set(RISK_COMPONENTS)
    if unknown:
        raise ConfigError(f"unknown risk component(s) {sorted(unknown)}; "
                          f"valid components: {list(RISK_COMPONENTS)}")
    frame = pd.DataFrame({"component": list(weights),
                          "weight": [float(w) for w in weights.values()]})
    con.register("_risk_weights", frame)
    con.execute("CREATE OR REPLACE TABLE risk_weights AS "
                "SELECT component, weight FROM _risk_weights")
    con.unregister("_risk_weights")


def region_indices_query(con: duckdb.DuckDBPyConnection, **variables: Any) -> pd.DataFrame:
    """Re-rank: ``region_indices.sql`` under other variables (works on a read-only atlas:
    every measure's sums are stored in ``region_measure_sums``)."""
    set_variables(con, **variables)
    return con.execute(sql_text("region_indices.sql")).df()


def compute_indices(con: duckdb.DuckDBPyConnection, config: dict[str, Any]) -> None:
    """Compute the engine's output tables in place (see the module docstring)."""
    write_risk_weights(con, config["risk"]["weights"])
    set_variables(con, **variables_from_config(config))
    con.execute("SET preserve_insertion_order = false")  # row order of outputs is not a contract
    compute_measure_sums(con)
    for name in ("region_exposure.sql", "region_diversity.sql"):
        run_sql_file(con, name)
    con.execute("CREATE OR REPLACE TABLE region_indices AS " + sql_text("region_indices.sql"))
    create_views(con)


def compute_measure_sums(con: duckdb.DuckDBPyConnection) -> None:
    """``region_measure_sums``: ``region_sums.sql`` once, then its pass level by level.

    Raises
    ------
    AtlasError
        if the composition has a level that the ``levels`` table does not list (its regions
        would otherwise be left out without a word).
    """
    run_sql_file(con, "region_sums.sql")
    listed = [row[0] for row in con.execute("SELECT level FROM levels ORDER BY level").fetchall()]
    occurring = {row[0] for row in con.execute(
        "SELECT DISTINCT level FROM category_margins").fetchall()}
    unlisted = sorted(occurring - set(listed))
    if unlisted:
        raise AtlasError(f"table employment: column 'level': {unlisted} not in table levels "
                         f"(expected one of {listed})")
    for level in listed:
        con.execute("SET VARIABLE level = ?", [level])
        run_sql_file(con, "region_sums_level.sql")


def compute_top_categories(con: duckdb.DuckDBPyConnection, count: int = 5) -> None:
    """``region_top_categories``: each region's ``count`` most exposed categories (for maps)."""
    con.execute("SET VARIABLE top_categories = ?", [count])
    run_sql_file(con, "region_top_categories.sql")


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """The researchers' views; ``v_measure_comparison`` gets one column per measure."""
    run_sql_file(con, "views.sql")
    measures = [row[0] for row in con.execute(
        "SELECT measure FROM measures WHERE scale <> 'trait' ORDER BY measure").fetchall()]
    listed = ", ".join("'" + m.replace("'", "''") + "'" for m in measures)
    con.execute(f"""
        CREATE OR REPLACE VIEW v_measure_comparison AS
        SELECT * FROM (
            PIVOT (SELECT level, region_id, measure, exposure_mean FROM region_exposure)
            ON measure IN ({listed}) USING first(exposure_mean)
        ) ORDER BY level, region_id""")
