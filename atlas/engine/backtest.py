"""Backtests: does a period's collapse risk predict the decline that followed?

For every geography declared in ``[backtest.<geography>]`` of ``atlas/spec/evidence.toml`` whose
levels have periods, each period t with at least ``min_years`` later years of outcomes is a
window: the model's collapse risk and pillars at t, and the naive baselines (prior decline
alone, size, GDP per head), against the outcome's change from t to t + k. Everything is read
from the built database (``region_indices`` per period level, ``region_series``,
and the outcomes' inputs), so whatever model the build made is what is tested.

Per window, on the regions that have every predictor and the outcome (growth ratios beyond
``breaks`` dropped as statistical breaks):

- ``spearman``: rank correlation of the score with the *decline* (minus the growth), so a
  positive value means higher risk came before lower growth;
- ``hit_rate``: of the top ``top_share`` of regions by score, the share that ended in the
  bottom ``bottom_quantile`` of growth (chance: ``bottom_quantile``);
- 90% bootstrap intervals of both (regions resampled with replacement, the same resamples
  for every predictor of a window, fixed seed, vectorised in NumPy).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from atlas.engine.backtest_metrics import Window, evaluate_windows, windows_key
from atlas.engine.backtest_split import split_sample_windows
from atlas.engine.input_results import input_key
from atlas.sources.inputs import Inputs
from atlas.spec.evidence import evidence
from atlas.store.cache import cached_frame


def period_levels(con: duckdb.DuckDBPyConnection, geography: str) -> dict[int, str]:
    """``{period: level}`` of a geography's levels that have collapse risk."""
    rows = con.execute("""
        SELECT DISTINCT CAST(l.period AS INTEGER), l.level FROM levels AS l
        JOIN region_risk AS r USING (level)
        WHERE l.geography = ? AND l.period IS NOT NULL""", [geography]).fetchall()
    return dict(sorted(rows))


def predictors(con: duckdb.DuckDBPyConnection, level: str,
               baselines: dict[str, dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Collapse risk, every pillar and every baseline of ``level``, oriented so that higher
    means riskier; and each predictor's role (model / baseline)."""
    return level_predictors(con, [level], baselines)[level]


def level_predictors(con: duckdb.DuckDBPyConnection, levels: list[str],
                     baselines: dict[str, dict[str, Any]]
                     ) -> dict[str, tuple[pd.DataFrame, dict[str, str]]]:
    """:func:`predictors` of every level of ``levels``, read in one query of
    ``region_indices`` (a view of many joins: one pass instead of one per level). Each
    level's rows are sorted by region (:func:`atlas.engine.backtest_metrics.evaluate`
    sorts them anyway), so that the windows' cache key does not depend on the query's order."""
    columns = [row[0] for row in con.execute("DESCRIBE region_indices").fetchall()]
    indicators = {baseline["indicator"] for baseline in baselines.values()}
    wanted = [c for c in columns if c == "region_id" or c == "collapse_risk"
              or c.startswith("pillar_") or c in indicators]  # only what is read below
    listed = ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)
    every = con.execute(f"SELECT level AS _level, {listed} FROM region_indices "
                        "WHERE list_contains(?, level)", [list(levels)]).df()
    found = {}
    for level in levels:
        frame = every.loc[every["_level"] == level].drop(columns="_level")
        frame = frame.set_index("region_id").sort_index()
        model = ["collapse_risk"] + sorted(c for c in frame.columns if c.startswith("pillar_"))
        out = frame[model].astype(float)
        roles = dict.fromkeys(model, "model")
        for name, baseline in baselines.items():
            if baseline["indicator"] in frame:
                out[name] = float(baseline["sign"]) * frame[baseline["indicator"]].astype(float)
                roles[name] = "baseline"
        found[level] = (out, roles)
    return found


def outcome_index(con: duckdb.DuckDBPyConnection, geography: str, outcome: dict[str, str],
                  inputs: Inputs | None) -> pd.DataFrame:
    """The outcome as a regions x years frame of levels (only ratios are used): a
    ``region_series`` series of the geography's default level, or columns of an input."""
    if "series" in outcome:
        series = con.execute("""
            SELECT s.region_id, s.year, s.value FROM region_series AS s
            JOIN levels AS l USING (level)
            WHERE l.geography = ? AND l.is_default AND s.series = ?""",
                             [geography, outcome["series"]]).df()
        return series.pivot_table(index="region_id", columns="year", values="value")
    if inputs is None:
        return pd.DataFrame()

    def compute() -> pd.DataFrame:
        table = inputs.table(outcome["input"])
        return pd.DataFrame({
            "region_id": table[outcome["region"]].astype(str),
            "year": table[outcome["year"]].astype(int),
            "value": pd.to_numeric(table[outcome["value"]], errors="coerce")}).dropna()

    # from the input alone: kept in the shared cache under its content (input_results)
    key = input_key("outcome", inputs, [outcome["input"]], outcome,
                    modules=[__name__])
    return cached_frame("backtest_outcome", key, compute).pivot_table(
        index="region_id", columns="year", values="value")


def windows(first: int, last: int, settings: dict[str, Any]) -> list[int]:
    """The horizons k of a model year with outcomes up to ``last``."""
    longest = last - first
    if longest < int(settings["min_years"]):
        return []
    out = []
    for horizon in settings["horizons"]:
        k = longest if horizon == "longest" else int(horizon)
        if k <= longest and k not in out:
            out.append(k)
    return out


def panel_windows(con: duckdb.DuckDBPyConnection, geography: str,
                  settings: dict[str, Any], inputs: Inputs | None = None) -> list[Window]:
    """Every window of a geography with periods: model and baselines against each outcome."""
    levels = period_levels(con, geography)
    if not levels:
        return []
    found = []
    breaks = float(settings["breaks"])
    scored = level_predictors(con, list(levels.values()), settings["baselines"])
    for name, outcome in settings["outcomes"].items():
        index = outcome_index(con, geography, outcome, inputs)
        if index.empty:
            continue
        last = int(max(index.columns))
        for number, (period, level) in enumerate(levels.items()):
            if period not in index.columns:
                continue
            scores, roles = scored[level]
            for k in windows(period, last, settings):
                if period + k not in index.columns:
                    continue
                growth = index[period + k] / index[period].where(index[period] > 0)
                growth = growth.where((growth < breaks) & (growth > 1 / breaks))
                found.append(Window(
                    scores, growth, settings, int(settings["seed"]) + 1000 * number + k, roles,
                    {"geography": geography, "kind": "periods", "model_year": period,
                     "horizon": k, "years": f"{period}-{period + k}", "outcome": name}))
    return found


def panel_backtest(con: duckdb.DuckDBPyConnection, geography: str,
                   settings: dict[str, Any], inputs: Inputs | None = None) -> pd.DataFrame:
    """The ``backtest`` rows of a geography with periods (:func:`panel_windows`)."""
    return evaluate_windows(panel_windows(con, geography, settings, inputs))


def backtest_windows(con: duckdb.DuckDBPyConnection, inputs: Inputs | None = None
                     ) -> list[Window]:
    """The windows of every declared backtest the build's database and inputs allow (the
    split-sample ones need ``inputs``)."""
    found: list[Window] = []
    for geography, settings in evidence().get("backtest", {}).items():
        if settings.get("kind") == "split_sample":
            if inputs is not None:
                found += split_sample_windows(con, inputs, geography, settings)
        else:
            found += panel_windows(con, geography, settings, inputs)
    return found


def compute_backtests(con: duckdb.DuckDBPyConnection, inputs: Inputs | None = None
                      ) -> pd.DataFrame:
    """The ``backtest`` table: every declared backtest the build's database and inputs
    allow. The bootstrap of its windows is kept in the shared cache
    (:mod:`atlas.store.cache`) under the sha256 of every window's scores, outcome, seed and
    settings and of the code that evaluates them, so a build whose windows are those of an
    earlier one (same inputs, same period models) takes that build's table."""
    found = backtest_windows(con, inputs)
    return cached_frame("backtest", windows_key(found), lambda: evaluate_windows(found))
