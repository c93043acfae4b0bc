"""A straightforward pandas implementation of the engine's indices, for one level.

This is what a researcher would write instead of the SQL engine (merge + groupby). The scale
benchmark times it, and a test checks that the engine and this reference agree to 1e-9 on a
synthetic level. It assumes the level is its own reference level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPONENTS = ("vulnerable_share", "concentration", "unemployment_rate", "smallness")


def reference_indices(employment: pd.DataFrame, scores: pd.DataFrame, regions: pd.DataFrame,
                      weights: dict[str, float], exposure_measure: str,
                      vulnerability_measure: str) -> pd.DataFrame:
    """Indices per region: exposure (one measure), vulnerable share, diversity, collapse risk.

    Parameters
    ----------
    employment
        ``region_id, category, employment, imputed``.
    scores
        ``measure, category, score, ge_10, ge_50, vulnerable``.
    regions
        ``region_id, unemployment_rate``.
    """
    wide = scores.pivot(index="category", columns="measure",
                        values=["score", "ge_10", "ge_50", "vulnerable"])
    wide.columns = [f"{stat}|{measure}" for stat, measure in wide.columns]
    data = employment.merge(wide, left_on="category", right_index=True, how="left")
    e = data["employment"]
    out = pd.DataFrame({"total_employment": e.groupby(data["region_id"]).sum()})

    def measure_sums(measure: str) -> pd.DataFrame:
        scored = data[f"score|{measure}"].notna()
        parts = pd.DataFrame({
            "region_id": data["region_id"],
            "scored": e.where(scored, 0.0),
            "e_score": e * data[f"score|{measure}"],
            "e_ge_10": e * data[f"ge_10|{measure}"],
            "e_ge_50": e * data[f"ge_50|{measure}"],
            "e_vulnerable": e * data[f"vulnerable|{measure}"],
        }).groupby("region_id").sum(min_count=1)
        return parts

    exposure = measure_sums(exposure_measure)
    out["exposure_mean"] = exposure["e_score"] / exposure["scored"]
    out["share_ge_10"] = exposure["e_ge_10"] / exposure["scored"]
    out["share_ge_50"] = exposure["e_ge_50"] / exposure["scored"]
    out["coverage"] = exposure["scored"] / out["total_employment"]
    vulnerability = measure_sums(vulnerability_measure)
    out["vulnerable_share"] = vulnerability["e_vulnerable"] / vulnerability["scored"]

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
