"""A straightforward pandas implementation of the engine's indices, for one level.

This is what a researcher would write instead of the SQL engine (merge + groupby). The scale
benchmark times it, and a test checks that the engine and this reference agree to 1e-9 on a
synthetic level. It assumes the level is its own reference level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPONENTS = ("vulnerable_share", "concentration", "unemployment_rate", "smallness")


STATISTICS = ("score", "ge_10", "ge_50", "vulnerable")


def reference_exposure(employment: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Exposure of every region under every measure (the engine's ``region_exposure``).

    Parameters
    ----------
    employment
        ``region_id, category, employment, imputed``.
    scores
        ``measure, category, score, ge_10, ge_50, vulnerable``.

    Returns
    -------
    One row per region and measure: ``exposure_mean, share_ge_10, share_ge_50, coverage,
    vulnerable_share``, indexed by ``region_id, measure``.
    """
    wide = scores.pivot(index="category", columns="measure", values=list(STATISTICS))
    wide.columns = [f"{statistic}|{measure}" for statistic, measure in wide.columns]
    data = employment[["region_id", "category", "employment"]].merge(
        wide, left_on="category", right_index=True, how="left")
    e = data["employment"]
    columns = {}
    for measure in scores["measure"].unique():
        columns[("scored", measure)] = e.where(data[f"score|{measure}"].notna(), 0.0)
        columns[("scored_vulnerable", measure)] = e.where(
            data[f"vulnerable|{measure}"].notna(), 0.0)
        for statistic in STATISTICS:
            columns[(statistic, measure)] = e * data[f"{statistic}|{measure}"]
    sums = pd.DataFrame(columns).groupby(data["region_id"].to_numpy()).sum(min_count=1)
    total = e.groupby(data["region_id"].to_numpy()).sum()
    long = sums.stack(level=1, future_stack=True)
    long.index.names = ["region_id", "measure"]
    scored = long["scored"].where(long["scored"] != 0)
    return pd.DataFrame({
        "exposure_mean": long["score"] / scored,
        "share_ge_10": long["ge_10"] / scored,
        "share_ge_50": long["ge_50"] / scored,
        "coverage": long["scored"] / total.reindex(long.index.get_level_values(0)).to_numpy(),
        "vulnerable_share": long["vulnerable"] / long["scored_vulnerable"].where(
            long["scored_vulnerable"] != 0),
    })


def reference_indices(employment: pd.DataFrame, scores: pd.DataFrame, regions: pd.DataFrame,
                      weights: dict[str, float], exposure_measure: str,
                      vulnerability_measure: str,
                      exposure: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indices per region: exposure, vulnerable share, diversity, collapse risk.

    Parameters
    ----------
    employment, scores
        As for ``reference_exposure``.
    regions
        ``region_id, unemployment_rate``.
    exposure
        ``reference_exposure(employment, scores)`` if already computed.
    """
    if exposure is None:
        exposure = reference_exposure(employment, scores)
    by_measure = exposure.reset_index(level=0)
    out = pd.DataFrame({"total_employment": employment.groupby("region_id")["employment"].sum()})
    chosen = by_measure.loc[[exposure_measure]].set_index("region_id")
    for column in ("exposure_mean", "share_ge_10", "share_ge_50", "coverage"):
        out[column] = chosen[column]
    out["vulnerable_share"] = by_measure.loc[[vulnerability_measure]].set_index(
        "region_id")["vulnerable_share"]

    published = employment.loc[~employment["imputed"] & (employment["employment"] > 0)].copy()
    reference = published.groupby("category")["employment"].sum()
    reference = reference / reference.sum()
    published["s"] = published["employment"] / published.groupby("region_id")[
        "employment"].transform("sum")
    published["r"] = published["category"].map(reference)
    grouped = published.assign(
        s_ln_s=published["s"] * np.log(published["s"]),
        s_sq=published["s"] ** 2,
        s_sq_over_r=published["s"] ** 2 / published["r"],
        k_term=(published["s"] - published["r"]).abs() - published["r"],
    ).groupby("region_id")
    out["entropy_norm"] = -grouped["s_ln_s"].sum() / np.log(len(reference))
    out["hhi"] = grouped["s_sq"].sum()
    out["effective_n"] = 1 / out["hhi"]
    out["hachman"] = 1 / grouped["s_sq_over_r"].sum()
    out["krugman"] = grouped["k_term"].sum() + 1

    out = out.join(regions.set_index("region_id")["unemployment_rate"])
    components = pd.DataFrame({
        "vulnerable_share": out["vulnerable_share"],
        "concentration": 1 - out["entropy_norm"],
        "unemployment_rate": out["unemployment_rate"],
        "smallness": -np.log(out["total_employment"]),
    }).round(12)  # as the engine: equal values summed in another order still tie
    ranks = components.rank(method="min")
    counts = components.notna().sum()
    percentiles = (ranks - 1) / (counts - 1)
    w = pd.Series({k: weights[k] for k in COMPONENTS})
    available = percentiles.notna()
    out["collapse_risk"] = (percentiles.fillna(0) * w).sum(axis=1) / (available * w).sum(axis=1)
    return out.sort_index()
