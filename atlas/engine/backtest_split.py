"""The split-sample pseudo-backtest of the absorption pillar (``[backtest.<level>]`` with
``kind = "split_sample"`` in ``atlas/spec/evidence.toml``).

The pillar is rebuilt from county LAUS data up to the split year only: prior employment
decline from ``start`` to ``split`` and the mean unemployment rate over the ``persistence``
years up to ``split``, each aggregated over the level's member counties (the crosswalk), each
a within-level mid-rank percentile, combined as the model combines them (the weighted mean of
the component percentiles, with the weights of the level's components in ``risk_components``).
Components whose inputs have no vintage before the split (poverty from SAIPE 2023, diversity
from OEWS May 2025) are left out, so nothing after the split leaks in. The outcome is the
employment change from ``split`` to ``end``; the baselines are each component alone, the
level's size and, marked ``in-sample``, the built pillar itself (which uses data after the
split).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from atlas.engine.backtest_metrics import Window, evaluate_windows
from atlas.engine.input_results import input_key
from atlas.sources.inputs import Inputs
from atlas.store.cache import cached_frame


def area_laus(inputs: Inputs, settings: dict[str, Any], years: list[int]) -> pd.DataFrame:
    """Employed, unemployed and labour force per region and year: the member counties of
    each region (the crosswalk) summed; counties without LAUS rows are left out. Computed
    from the two inputs alone, so kept in the shared cache under their content, the settings
    and this code (:func:`atlas.engine.input_results.input_key`)."""
    county, region = settings["county_column"], settings["region_column"]
    columns = {f"{kind}_{year}": (kind, year) for year in years
               for kind in ("Employed", "Unemployed", "Civilian_labor_force")}

    def compute() -> pd.DataFrame:
        laus = inputs.table(settings["laus"])
        crosswalk = inputs.table(settings["crosswalk"])[[county, region]]
        laus = laus.loc[laus["geo_level"] == "county"].merge(
            crosswalk, left_on="FIPS_Code", right_on=county, how="inner")
        return laus.groupby(region)[list(columns)].sum(min_count=1).reset_index()

    key = input_key("area_laus", inputs, [settings["laus"], settings["crosswalk"]], settings,
                    years, modules=[__name__])
    sums = cached_frame("area_laus", key, compute).set_index(region)
    sums.columns = pd.MultiIndex.from_tuples([columns[c] for c in sums.columns])
    return sums


def split_components(sums: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    """The components as of the split: the named indicators, raw (not yet oriented)."""
    start, split = int(settings["start"]), int(settings["split"])
    rates = pd.DataFrame({
        year: sums[("Unemployed", year)] / sums[("Civilian_labor_force", year)]
        for year in range(split - int(settings["persistence"]) + 1, split + 1)})
    return pd.DataFrame({
        "employment_change": 100 * (sums[("Employed", split)] / sums[("Employed", start)] - 1),
        "unemployment_persistent": 100 * rates.mean(axis=1),
        "labor_force": sums[("Civilian_labor_force", split)]})


def split_sample_windows(con: duckdb.DuckDBPyConnection, inputs: Inputs, level: str,
                         settings: dict[str, Any]) -> list[Window]:
    """The window of the split-sample test of ``level``'s absorption pillar."""
    start, split, end = (int(settings[k]) for k in ("start", "split", "end"))
    years = sorted({start, end, *range(split - int(settings["persistence"]) + 1, split + 1)})
    sums = area_laus(inputs, settings, years)
    raw = split_components(sums, settings)
    model = con.execute("""
        SELECT component, indicator, direction, weight FROM risk_components
        WHERE level = ? AND model = (SELECT risk_model FROM region_risk WHERE level = ?
                                     LIMIT 1)""", [level, level]).df()
    model = model.set_index("component")
    percentiles = {}
    for component, indicator in settings["components"].items():
        sign = 1.0 if model.loc[component, "direction"] == "higher" else -1.0
        percentiles[component] = (sign * raw[indicator]).rank(pct=True)
    frame = pd.DataFrame(percentiles).dropna()
    weights = model.loc[list(frame.columns), "weight"].astype(float)
    scores = pd.DataFrame(index=frame.index)
    scores[f"absorption_to_{split}"] = (frame * weights).sum(axis=1) / weights.sum()
    for component in frame.columns:
        scores[f"{component}_to_{split}"] = frame[component]
    scores["size"] = -raw["labor_force"]
    built = con.execute("SELECT region_id, pillar_absorption FROM region_indices "
                        "WHERE level = ?", [level]).df().set_index("region_id")
    scores["pillar_absorption_in_sample"] = built["pillar_absorption"]
    growth = sums[("Employed", end)] / sums[("Employed", split)]
    roles = {f"absorption_to_{split}": "model", "pillar_absorption_in_sample": "in-sample"}
    return [Window(scores, growth, settings, int(settings["seed"]), roles,
                   {"geography": level, "kind": "split_sample", "model_year": split,
                    "horizon": end - split, "years": f"{split}-{end}",
                    "outcome": "employment"}, default_role="baseline", finite=True)]


def split_sample_backtest(con: duckdb.DuckDBPyConnection, inputs: Inputs, level: str,
                          settings: dict[str, Any]) -> pd.DataFrame:
    """The ``backtest`` rows of the split-sample test of ``level``'s absorption pillar."""
    return evaluate_windows(split_sample_windows(con, inputs, level, settings))
