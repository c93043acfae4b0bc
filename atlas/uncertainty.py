"""How much does a region's rank depend on the choices behind collapse risk?

Every specification is one exposure measure (which sets vulnerable_share) and one weight
vector. The measures are all unit-scale measures with a vulnerable share; the weights are the
configured ones plus ``draws`` vectors from a Dirichlet distribution centred on them,
``w ~ Dirichlet(concentration * w_default)`` (larger concentration = closer to the default).
All specifications are ranked at once with NumPy: ``specs x regions`` arrays, one argsort.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.config import RISK_COMPONENTS

COMPONENT_COLUMNS = ("risk_p_vulnerable", "risk_p_concentration", "risk_p_unemployment",
                     "risk_p_smallness")


def percent_rank(values: np.ndarray) -> np.ndarray:
    """percent_rank along the last axis, NaN kept: (rank among non-missing - 1) / (n - 1)."""
    out = np.full(values.shape, np.nan)
    for index in np.ndindex(values.shape[:-1]):
        row = values[index]
        present = ~np.isnan(row)
        n = int(present.sum())
        if n == 0:
            continue
        kept = np.round(row[present], 12)
        ranks = np.searchsorted(np.sort(kept), kept, side="left")
        out[index][present] = ranks / (n - 1) if n > 1 else 0.0
    return out


def rank_specifications(percentiles: np.ndarray, weights: np.ndarray, size: np.ndarray,
                        region_ids: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest risk) of every region under every specification.

    Parameters
    ----------
    percentiles
        ``(specs, regions, 4)`` component percentiles (NaN where a region lacks one).
    weights
        ``(specs, 4)`` weights.
    size, region_ids
        tie-breakers, as in the engine: larger total_employment first, then region_id.
    """
    available = ~np.isnan(percentiles)
    numerator = np.einsum("srk,sk->sr", np.nan_to_num(percentiles), weights)
    denominator = np.einsum("srk,sk->sr", available.astype(float), weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        risk = np.where(denominator > 0, numerator / denominator, -np.inf)
    # lexsort: last key is primary -> risk desc, then size desc, then region_id asc
    id_order = np.argsort(np.argsort(region_ids, kind="stable"), kind="stable")
    order = np.lexsort((np.broadcast_to(id_order, risk.shape),
                        np.broadcast_to(-size, risk.shape), -risk), axis=-1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, risk.shape[1] + 1)[None, :], axis=-1)
    return ranks


def dirichlet_weights(default: dict[str, float], draws: int, concentration: float,
                      seed: int) -> np.ndarray:
    """The default weights (first row) and ``draws`` Dirichlet draws centred on them."""
    base = np.array([default[c] for c in RISK_COMPONENTS], dtype=float)
    base = base / base.sum()
    rng = np.random.default_rng(seed)
    alpha = np.maximum(concentration * base, 1e-3)
    return np.vstack([base, rng.dirichlet(alpha, size=draws)])


def level_uncertainty(frame: pd.DataFrame, vulnerable: pd.DataFrame, weights: np.ndarray,
                      trap_risk_percentile: float, trap_entropy_percentile: float
                      ) -> pd.DataFrame:
    """Rank distribution of the regions of one level over measures x weight vectors."""
    frame = frame.sort_values("region_id").reset_index(drop=True)
    by_measure = vulnerable.pivot(index="region_id", columns="measure",
                                  values="vulnerable_share").reindex(frame["region_id"])
    measures = list(by_measure.columns)
    base = frame[list(COMPONENT_COLUMNS)].to_numpy(dtype=float)  # (regions, 4)
    vulnerable_pct = percent_rank(by_measure.to_numpy(dtype=float).T)  # (measures, regions)
    per_measure = np.repeat(base[None, :, :], len(measures), axis=0)
    per_measure[:, :, 0] = vulnerable_pct
    percentiles = np.repeat(per_measure, len(weights), axis=0)  # (measures*weights, R, 4)
    spec_weights = np.tile(weights, (len(measures), 1))
    ranks = rank_specifications(percentiles, spec_weights,
                                frame["total_employment"].to_numpy(dtype=float),
                                frame["region_id"].to_numpy())
    count = len(frame)
    top = int(np.ceil((1 - trap_risk_percentile) * count))
    low_entropy = (frame["entropy_pct"].to_numpy() <= trap_entropy_percentile)
    in_top = ranks <= top
    return pd.DataFrame({
        "level": frame["level"],
        "region_id": frame["region_id"],
        "median_rank": np.median(ranks, axis=0),
        "rank_p05": np.percentile(ranks, 5, axis=0, method="inverted_cdf"),
        "rank_p95": np.percentile(ranks, 95, axis=0, method="inverted_cdf"),
        "p_top_decile": in_top.mean(axis=0),
        "p_trap": (in_top & low_entropy[None, :]).mean(axis=0) if count >= 10 else 0.0,
        "n_specs": ranks.shape[0],
    })


def compute_rank_uncertainty(con: duckdb.DuckDBPyConnection, config: dict[str, Any]) -> None:
    """Write ``rank_uncertainty`` and add its columns and ``flag_robust_trap`` to
    ``region_indices``."""
    settings = config["uncertainty"]
    weights = dirichlet_weights(config["risk"]["weights"], settings["draws"],
                                settings["concentration"], settings["seed"])
    vulnerable = con.execute("""
        SELECT x.level, x.region_id, x.measure, x.vulnerable_share
        FROM region_exposure AS x JOIN measures AS m USING (measure)
        WHERE m.scale = 'unit' AND x.vulnerable_share IS NOT NULL""").df()
    indices = con.execute("""
        SELECT level, region_id, total_employment, entropy_norm,
            percent_rank() OVER (PARTITION BY level ORDER BY entropy_norm) AS entropy_pct,
            risk_p_vulnerable, risk_p_concentration, risk_p_unemployment, risk_p_smallness
        FROM region_indices""").df()
    frames = []
    for level, frame in indices.groupby("level"):
        frames.append(level_uncertainty(
            frame, vulnerable.loc[vulnerable["level"] == level], weights,
            config["flags"]["trap_risk_percentile"], config["flags"]["trap_entropy_percentile"]))
    result = pd.concat(frames, ignore_index=True)
    result["flag_robust_trap"] = result["p_trap"] >= settings["robust_share"]
    con.register("_uncertainty", result)
    con.execute("CREATE OR REPLACE TABLE rank_uncertainty AS SELECT * FROM _uncertainty")
    con.unregister("_uncertainty")
    con.execute("""
        CREATE OR REPLACE TABLE region_indices AS
        SELECT r.*, u.median_rank, u.rank_p05, u.rank_p95, u.p_top_decile,
            coalesce(u.flag_robust_trap, false) AS flag_robust_trap
        FROM region_indices AS r
        LEFT JOIN rank_uncertainty AS u USING (level, region_id)""")
