"""How well does a score predict the decline that followed? The metrics of a backtest window.

- :func:`ranks`, :func:`centred_ranks`: average ranks along rows, vectorised;
- :func:`metrics`: row-wise Spearman with the decline and the hit rate of the top share;
- :func:`evaluate`: both, with 90% bootstrap intervals, for every predictor of a window.

Shared by the panel backtests (:mod:`atlas.engine.backtest`) and the split-sample ones
(:mod:`atlas.engine.backtest_split`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["geography", "kind", "model_year", "horizon", "years", "outcome", "predictor",
           "role", "regions", "spearman", "spearman_p05", "spearman_p95", "hit_rate",
           "hit_rate_p05", "hit_rate_p95", "chance"]


def ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (1..n) along the last axis of a 2-D array; ties share their mean rank.

    Vectorised over rows: sort each row, number its runs of equal values, and average the
    positions of each run with one ``bincount`` over all rows."""
    rows, n = values.shape
    order = np.argsort(values, axis=-1)
    ordered = np.take_along_axis(values, order, axis=-1)
    starts = np.ones((rows, n), dtype=np.int64)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    runs = np.cumsum(starts, axis=-1) - 1 + (np.arange(rows) * n)[:, None]
    positions = np.broadcast_to(np.arange(1, n + 1, dtype=float), (rows, n))
    mean = np.bincount(runs.ravel(), weights=positions.ravel(), minlength=rows * n) \
        / np.maximum(np.bincount(runs.ravel(), minlength=rows * n), 1)
    out = np.empty((rows, n))
    np.put_along_axis(out, order, mean[runs], axis=-1)
    return out


def centred_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks along the last axis minus their row mean, scaled to unit norm per row."""
    r = ranks(values)
    r = r - r.mean(axis=-1, keepdims=True)
    norm = np.sqrt((r * r).sum(axis=-1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return r / norm


def top_mask(score: np.ndarray, top_share: float) -> np.ndarray:
    """Row-wise: the regions whose score is in the top ``top_share`` of the row."""
    return score >= np.quantile(score, 1 - top_share, axis=-1, keepdims=True)


def metrics(score: np.ndarray, decline_ranks: np.ndarray, low: np.ndarray,
            top_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise Spearman of ``score`` with the decline (its centred ranks given) and the hit
    rate: the share of the top ``top_share`` by score that is in ``low`` (bottom growth)."""
    rho = (centred_ranks(score) * decline_ranks).sum(axis=-1)
    top = top_mask(score, top_share)
    return rho, (top & low).sum(axis=-1) / top.sum(axis=-1)


def evaluate(scores: pd.DataFrame, growth: pd.Series, settings: dict[str, Any],
             seed: int) -> pd.DataFrame:
    """Spearman and hit rate with bootstrap 90% intervals for every column of ``scores``
    (higher = riskier) against ``growth`` (ratio after / before), on their common rows."""
    # sorted by region: the same resamples draw the same regions in every build
    frame = scores.join(growth.rename("_growth"), how="inner").dropna().sort_index()
    n = len(frame)
    if n < 20:
        return pd.DataFrame()
    rng = np.random.default_rng(seed)
    draws = np.vstack([np.arange(n), rng.integers(0, n, size=(int(settings["bootstrap"]), n))])
    outcome = frame.pop("_growth").to_numpy()[draws]  # row 0: the sample itself
    top, bottom = float(settings["top_share"]), float(settings["bottom_quantile"])
    decline = centred_ranks(-outcome)
    low = outcome <= np.quantile(outcome, bottom, axis=-1, keepdims=True)
    rows = []
    for predictor in frame.columns:
        rho, hit = metrics(frame[predictor].to_numpy(dtype=float)[draws], decline, low, top)
        rows.append({"predictor": predictor, "regions": n, "spearman": rho[0],
                     "spearman_p05": np.nanquantile(rho[1:], 0.05),
                     "spearman_p95": np.nanquantile(rho[1:], 0.95), "hit_rate": hit[0],
                     "hit_rate_p05": np.nanquantile(hit[1:], 0.05),
                     "hit_rate_p95": np.nanquantile(hit[1:], 0.95), "chance": bottom})
    return pd.DataFrame(rows)
