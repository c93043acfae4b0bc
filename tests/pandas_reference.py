"""A straightforward pandas implementation of the engine's indices, for one level.

This is what a researcher would write instead of the SQL engine (merge + groupby). The scale
benchmark times it, and tests check that the engine and this reference agree to 1e-9 on
synthetic levels. It assumes the level is its own reference level, and implements the risk
model from the same parsed ``RiskModel`` (see ``atlas.spec.risk_model`` for the formulas).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas.spec.risk_model import RiskModel

STATISTICS = ("score", "ge_10", "ge_50", "vulnerable", "substitutable")


def reference_exposure(employment: pd.DataFrame, scores: pd.DataFrame,
                       groups: pd.Series | None = None,
                       uncounted: pd.Series | None = None) -> pd.DataFrame:
    """Exposure of every region under every measure (the engine's ``region_exposure``).

    Parameters
    ----------
    employment
        ``region_id, category, employment, imputed``.
    scores
        ``measure, category`` and ``STATISTICS``.
    groups
        diversity group per category (for ``substitutable_excess``); None: no excess.
    uncounted
        the uncounted workers U per region (``exposure.count_uncounted_jobs``): jobs that are
        not substitutable, in the denominators of the substitutable share and excess; None:
        none.

    Returns
    -------
    One row per region and measure: ``exposure_mean, share_ge_10, share_ge_50, coverage,
    vulnerable_share, substitutable_share`` (and ``substitutable_excess``), indexed by
    ``region_id, measure``.
    """
    wide = scores.pivot(index="category", columns="measure", values=list(STATISTICS))
    wide.columns = [f"{statistic}|{measure}" for statistic, measure in wide.columns]
    data = employment[["region_id", "category", "employment"]].merge(
        wide, left_on="category", right_index=True, how="left")
    e = data["employment"]
    columns = {}
    for measure in scores["measure"].unique():
        for name, statistic in (("scored", "score"), ("scored_vulnerable", "vulnerable"),
                                ("scored_substitutable", "substitutable")):
            columns[(name, measure)] = e.where(data[f"{statistic}|{measure}"].notna(), 0.0)
        for statistic in STATISTICS:
            columns[(statistic, measure)] = e * data[f"{statistic}|{measure}"]
    sums = pd.DataFrame(columns).groupby(data["region_id"].to_numpy()).sum(min_count=1)
    total = e.groupby(data["region_id"].to_numpy()).sum()
    long = sums.stack(level=1, future_stack=True)
    long.index.names = ["region_id", "measure"]

    if uncounted is not None:
        extra = uncounted.reindex(long.index.get_level_values(0)).fillna(0.0).to_numpy()
        long["scored_substitutable"] = long["scored_substitutable"] + extra

    def share(name: str, denominator: str) -> pd.Series:
        return long[name] / long[denominator].where(long[denominator] != 0)

    out = pd.DataFrame({
        "exposure_mean": share("score", "scored"),
        "share_ge_10": share("ge_10", "scored"),
        "share_ge_50": share("ge_50", "scored"),
        "coverage": long["scored"] / total.reindex(long.index.get_level_values(0)).to_numpy(),
        "vulnerable_share": share("vulnerable", "scored_vulnerable"),
        "substitutable_share": share("substitutable", "scored_substitutable"),
    })
    if groups is not None:
        out["substitutable_excess"] = substitutable_excess(employment, scores, groups,
                                                           uncounted)
    return out


def substitutable_excess(employment: pd.DataFrame, scores: pd.DataFrame,
                         groups: pd.Series, uncounted: pd.Series | None = None) -> pd.Series:
    """``sum_g max(0, X_g / (E + U) - X_g_ref / (E_ref + U_ref))`` per region and measure
    (U: the uncounted workers, 0 without ``uncounted``)."""
    substitutable = scores.pivot(index="category", columns="measure", values="substitutable")
    data = employment.merge(substitutable, left_on="category", right_index=True, how="left")
    data["grp"] = data["category"].map(groups)
    measures = list(substitutable.columns)
    jobs = data[measures].mul(data["employment"], axis=0)
    by_group = jobs.groupby([data["region_id"], data["grp"]]).sum()
    totals = data.groupby("region_id")["employment"].sum()
    if uncounted is not None:
        totals = totals + uncounted.reindex(totals.index).fillna(0.0)
    reference = by_group.groupby(level="grp").sum() / totals.sum()
    shares = by_group.div(totals, axis=0, level="region_id")
    excess = (shares - reference.reindex(shares.index, level="grp")).clip(lower=0)
    result = excess.groupby(level="region_id").sum().stack()
    result.index.names = ["region_id", "measure"]
    return result.where(pd.Series(data[measures].notna().any().reindex(
        result.index.get_level_values(1)).to_numpy(), index=result.index))


def diversity(employment: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per region: the published-cell diversity (entropy_norm, hhi, effective_n, hachman,
    krugman) and the group diversity (group_entropy, group_hachman)."""
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
    out = pd.DataFrame({"entropy_norm": -grouped["s_ln_s"].sum() / np.log(len(reference)),
                        "hhi": grouped["s_sq"].sum()})
    out["effective_n"] = 1 / out["hhi"]
    out["hachman"] = 1 / grouped["s_sq_over_r"].sum()
    out["krugman"] = grouped["k_term"].sum() + 1
    jobs = employment.assign(grp=employment["category"].map(groups)).groupby(
        ["region_id", "grp"])["employment"].sum()
    share = jobs / jobs.groupby(level="region_id").transform("sum")
    ref_group = jobs.groupby(level="grp").sum() / jobs.sum()
    terms = share * np.log(share.where(share > 0))
    out["group_entropy"] = -terms.groupby(level="region_id").sum() / np.log(
        (ref_group > 0).sum())
    out["group_hachman"] = 1 / (share ** 2 / ref_group.reindex(share.index, level="grp")
                                ).groupby(level="region_id").sum()
    return out


def percentile(values: pd.Series, transform: str) -> pd.Series:
    """Within-level percentile of non-missing values (12 decimals): mid-rank
    ``(below + half the ties) / n`` or ``percent_rank``."""
    values = values.round(12)
    n = values.notna().sum()
    if transform == "percent_rank":
        return (values.rank(method="min") - 1) / (n - 1) if n > 1 else values * 0.0
    return (values.rank(method="average") - 0.5) / n


def reference_risk(indicators: pd.DataFrame, model: RiskModel, level: str,
                   percent_changes: set[str] | None = None) -> pd.DataFrame:
    """Component scores, pillar scores, collapse risk and rank of one level's regions.

    ``indicators`` has one row per region (index ``region_id``) and a column per indicator,
    plus ``total_employment``. A pillar's ``gate`` applies where its indicator is one of
    ``percent_changes`` (a percent change; the level is its own reference): a region whose
    change beats the level's, ``100 * (sum E / sum(E / (1 + x / 100)) - 1)``, on the safe
    side has the pillar capped at its gate component's score. None: no gates.
    """
    out = pd.DataFrame(index=indicators.index)
    components = [c for c in model.components_for(level) if c.indicator in indicators
                  and indicators[c.indicator].notna().any() and c.weight > 0]
    for c in components:
        oriented = indicators[c.indicator] * (1 if c.direction == "higher" else -1)
        out[f"risk_p_{c.component}"] = percentile(oriented, c.transform)
    pillars = []
    for pillar in model.pillars:
        members = [c for c in components if c.pillar == pillar.pillar]
        if not members or pillar.weight <= 0:
            continue
        scores = out[[f"risk_p_{c.component}" for c in members]]
        weights = pd.Series({f"risk_p_{c.component}": c.weight for c in members})
        mean = ((scores * weights).sum(axis=1, min_count=1)
                / (scores.notna() * weights).sum(axis=1).where(lambda w: w > 0)).round(12)
        out[f"pillar_{pillar.pillar}"] = (percentile(mean, "percentile")
                                          if model.pillar_scale == "percentile" else mean)
        gate = next((c for c in members if c.component == pillar.gate), None)
        if gate is not None and percent_changes and gate.indicator in percent_changes:
            x, e = indicators[gate.indicator], indicators["total_employment"]
            ok = np.isfinite(x) & (x > -100) & (e > 0)
            change = 100 * (e[ok].sum() / (e[ok] / (1 + x[ok] / 100)).sum() - 1)
            gated = (x < change) if gate.direction == "higher" else (x > change)
            column = f"pillar_{pillar.pillar}"
            capped = np.minimum(out[column], out[f"risk_p_{gate.component}"])
            out[column] = out[column].where(~gated.fillna(False), capped)
        pillars.append(pillar)
    values = out[[f"pillar_{p.pillar}" for p in pillars]]
    weights = np.array([p.weight for p in pillars])
    if model.aggregation == "geometric":
        risk = np.exp((np.log(values.clip(lower=1e-300)) * weights).sum(axis=1) / weights.sum())
    else:
        risk = (values * weights).sum(axis=1) / weights.sum()
    out["collapse_risk"] = risk.where(values.notna().all(axis=1)).round(12)
    order = pd.DataFrame({"risk": out["collapse_risk"],
                          "size": indicators["total_employment"]}).reset_index()
    order = order.sort_values(["risk", "size", "region_id"], ascending=[False, False, True],
                              na_position="last")
    out["risk_rank"] = pd.Series(np.arange(1, len(order) + 1), index=order["region_id"])
    out.loc[out["collapse_risk"].isna(), "risk_rank"] = np.nan
    return out


def reference_indices(employment: pd.DataFrame, scores: pd.DataFrame, groups: pd.Series,
                      context: pd.DataFrame, model: RiskModel, exposure_measure: str,
                      vulnerability_measure: str, level: str,
                      exposure: pd.DataFrame | None = None,
                      uncounted: pd.Series | None = None,
                      percent_changes: set[str] | None = None) -> pd.DataFrame:
    """Indices per region: exposure, substitutable share and excess, diversity, collapse risk.

    Parameters
    ----------
    employment, scores, groups
        As for ``reference_exposure``.
    context
        ``region_id, indicator, value`` (the level's region_context).
    exposure
        ``reference_exposure(employment, scores, groups, uncounted)`` if already computed.
    uncounted
        As for ``reference_exposure``.
    percent_changes
        As for ``reference_risk`` (the pillars' gates).
    """
    if exposure is None:
        exposure = reference_exposure(employment, scores, groups, uncounted)
    by_measure = exposure.reset_index(level=0)
    out = pd.DataFrame({"total_employment": employment.groupby("region_id")["employment"].sum()})
    chosen = by_measure.loc[[exposure_measure]].set_index("region_id")
    for column in ("exposure_mean", "share_ge_10", "share_ge_50", "coverage",
                   "substitutable_share", "substitutable_excess"):
        out[column] = chosen[column]
    out["vulnerable_share"] = by_measure.loc[[vulnerability_measure]].set_index(
        "region_id")["vulnerable_share"]
    out = out.join(diversity(employment, groups))
    wide = context.pivot(index="region_id", columns="indicator", values="value")
    indicators = out.join(wide)
    return out.join(wide).join(reference_risk(indicators, model, level, percent_changes)
                               ).sort_index()
