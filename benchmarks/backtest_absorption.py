"""Quick backtest to choose the absorption pillar's aggregation (issue 28, item 4).

For China's periods t (cn_city@t), the absorption pillar under three aggregations of the
same component scores -- the weighted arithmetic mean (the model of 2026-11-27), the mean
capped at the prior-decline score for cities that grew faster than the nation (the gate,
``region_gates``), and the weighted geometric mean -- against the later change of urban-unit
employment from t to t + k (``region_series``; changes beyond 3x, series breaks, left out).
Prints Spearman correlations (+ = higher weakness predicts lower growth) and the top-decile
hit rate (share of the top decile in the bottom growth quartile; chance 25%) per window.
Run: ``python benchmarks/backtest_absorption.py out/atlas.duckdb``.
"""

from __future__ import annotations

import sys

import duckdb
import numpy as np
import pandas as pd

PERIODS = (2005, 2007, 2010, 2013, 2015)
HORIZON = 6


def pillar_options(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """The absorption pillar mean of every city under the three aggregations."""
    parts = con.execute("SELECT region_id, component, weight, score FROM region_components "
                        "WHERE level = ? AND pillar = 'absorption' AND weight > 0",
                        [level]).df()
    weights = parts["weight"]
    grouped = parts.assign(ws=weights * parts["score"], wl=weights * np.log(parts["score"]))
    sums = grouped.groupby("region_id")[["weight", "ws", "wl"]].sum()
    arithmetic = sums["ws"] / sums["weight"]
    geometric = np.exp(sums["wl"] / sums["weight"])
    gates = con.execute("SELECT region_id, gated, gate_score FROM region_gates WHERE level = ?",
                        [level]).df().set_index("region_id")
    score = (arithmetic.rank(method="average") - 0.5) / len(arithmetic)
    gated = score.where(~gates["gated"].reindex(score.index, fill_value=False),
                        np.minimum(score, gates["gate_score"].reindex(score.index)))
    return pd.DataFrame({"arithmetic": arithmetic, "gate": gated, "geometric": geometric})


def later_growth(con: duckdb.DuckDBPyConnection, start: int, end: int) -> pd.Series:
    series = con.execute("SELECT region_id, year, value FROM region_series WHERE level = "
                         "'cn_city' AND series = 'employment' AND year IN (?, ?)",
                         [start, end]).df().pivot(index="region_id", columns="year",
                                                  values="value")
    ratio = series[end] / series[start]
    return (ratio - 1).where((ratio > 1 / 3) & (ratio < 3))


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    rows = []
    for year in PERIODS:
        options = pillar_options(con, f"cn_city@{year}")
        growth = later_growth(con, year, year + HORIZON)
        joined = options.join(growth.rename("growth"), how="inner").dropna()
        bottom = joined["growth"] <= joined["growth"].quantile(0.25)
        row = {"window": f"{year}-{year + HORIZON}", "cities": len(joined)}
        for name in options.columns:
            row[f"rho_{name}"] = -joined[name].corr(joined["growth"], method="spearman")
            top = joined[name] >= joined[name].quantile(0.9)
            row[f"hit_{name}"] = bottom[top].mean()
        rows.append(row)
    frame = pd.DataFrame(rows)
    print(frame.round(3).to_string(index=False))
    print("mean", frame.drop(columns=["window", "cities"]).mean().round(3).to_dict())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/atlas.duckdb")
