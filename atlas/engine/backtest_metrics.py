"""How well does a score predict the decline that followed? The metrics of a backtest window.

- :func:`ranks`, :func:`centred_ranks`: average ranks along rows, vectorised;
- :func:`resampled_ranks`: the same ranks of bootstrap resamples, from one sort of the sample;
- :func:`metrics`: row-wise Spearman with the decline and the hit rate of the top share;
- :func:`evaluate`: both, with 90% bootstrap intervals, for every predictor of a window;
- :class:`Window`, :func:`evaluate_windows`: the ``backtest`` rows of a list of windows, and
  :func:`windows_key`, the sha256 of everything those rows depend on (their cache key).

Shared by the panel backtests (:mod:`atlas.engine.backtest`) and the split-sample ones
(:mod:`atlas.engine.backtest_split`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atlas.store.cache import cache_key

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


def resampled_counts(sample: np.ndarray, draws: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sample's distinct values (sorted), each drawn value's position in the flattened
    (rows, distinct) table and that table: how often each resample (a row of ``draws``,
    indices into the 1-D ``sample``) drew each distinct value. What
    :func:`resampled_ranks` and :func:`resampled_quantile` read instead of sorting."""
    distinct, group = np.unique(sample, return_inverse=True)
    width = len(distinct)
    rows = draws.shape[0]
    drawn = group[draws] + (np.arange(rows) * width)[:, None]
    counts = np.bincount(drawn.ravel(), minlength=rows * width).reshape(rows, width)
    return distinct, drawn, counts


def resampled_ranks(sample: np.ndarray, draws: np.ndarray,
                    counted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                    ) -> np.ndarray:
    """``ranks(sample[draws])`` without sorting the resamples: equal, bit for bit.

    ``draws`` is a (rows, m) array of indices into the 1-D ``sample``. The sample is sorted
    once and its distinct values numbered (``values``' runs of equal values, as in
    :func:`ranks`); each resample then only counts how often it drew each value. A drawn
    value's average rank is the count of smaller values drawn plus (its own count + 1) / 2,
    the mean of the positions its run occupies: integers and halves, exact in floating
    point, as are the sums and quotients of :func:`ranks`. ``counted``:
    :func:`resampled_counts` of the same arguments, if already known.
    """
    _, drawn, counts = counted if counted is not None else resampled_counts(sample, draws)
    below = np.cumsum(counts, axis=-1) - counts
    average = below + (counts + 1) / 2
    return average.ravel()[drawn]


def resampled_quantile(distinct: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """``np.quantile(sample[draws], q, axis=-1)`` (its default, linear method) from
    :func:`resampled_counts` without sorting or partitioning the resamples: equal, bit for
    bit but for the sign of a zero where the sample holds both 0.0 and -0.0 (one distinct
    value: a comparison with the scores, all this threshold is for, sees no difference).

    NumPy takes the order statistics at ``floor(h)`` and ``floor(h) + 1`` of each row,
    ``h = (m - 1) q``, and interpolates them as its ``_lerp`` does (from the upper one when
    the weight is 0.5 or more); here the k-th order statistic of a row is the first distinct
    value whose cumulative count exceeds k. Rows without NaN (the backtests' samples have
    none)."""
    m = int(counts[0].sum())
    virtual = (m - 1) * np.float64(q)
    if virtual >= m - 1:  # NumPy's index -1 (the largest value) for both, its weight from -1
        low = high = m - 1
        gamma = virtual - np.float64(-1)
    else:
        low = int(np.floor(virtual))
        high = low + 1
        gamma = virtual - np.float64(low)
    cumulative = np.cumsum(counts, axis=-1)
    a = distinct[(cumulative <= low).sum(axis=-1)]
    b = distinct[(cumulative <= high).sum(axis=-1)]
    difference = b - a
    if gamma >= 0.5:
        return b - difference * (1 - gamma)
    return a + difference * gamma


def centred_ranks(values: np.ndarray, ranked: np.ndarray | None = None) -> np.ndarray:
    """Ranks along the last axis minus their row mean, scaled to unit norm per row
    (``ranked``: those ranks, when already known, e.g. from :func:`resampled_ranks`)."""
    r = ranks(values) if ranked is None else ranked
    r = r - r.mean(axis=-1, keepdims=True)
    norm = np.sqrt((r * r).sum(axis=-1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return r / norm


def top_mask(score: np.ndarray, top_share: float) -> np.ndarray:
    """Row-wise: the regions whose score is in the top ``top_share`` of the row."""
    return score >= np.quantile(score, 1 - top_share, axis=-1, keepdims=True)


def metrics(score: np.ndarray, decline_ranks: np.ndarray, low: np.ndarray,
            top_share: float, score_ranks: np.ndarray | None = None,
            threshold: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise Spearman of ``score`` with the decline (its centred ranks given) and the hit
    rate: the share of the top ``top_share`` by score that is in ``low`` (bottom growth).
    ``score_ranks``: the ranks of ``score`` along its rows, if already known; ``threshold``:
    each row's ``1 - top_share`` quantile (:func:`top_mask`'s), if already known."""
    rho = (centred_ranks(score, score_ranks) * decline_ranks).sum(axis=-1)
    top = top_mask(score, top_share) if threshold is None else score >= threshold[:, None]
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
    growth_sample = frame.pop("_growth").to_numpy()
    outcome = growth_sample[draws]  # row 0: the sample itself
    top, bottom = float(settings["top_share"]), float(settings["bottom_quantile"])
    decline = centred_ranks(-outcome, resampled_ranks(-growth_sample, draws))
    low = outcome <= np.quantile(outcome, bottom, axis=-1, keepdims=True)
    rows = []
    for predictor in frame.columns:
        sample = frame[predictor].to_numpy(dtype=float)
        counted = resampled_counts(sample, draws)
        rho, hit = metrics(sample[draws], decline, low, top,
                           resampled_ranks(sample, draws, counted),
                           resampled_quantile(counted[0], counted[2], 1 - top))
        rows.append({"predictor": predictor, "regions": n, "spearman": rho[0],
                     "spearman_p05": np.nanquantile(rho[1:], 0.05),
                     "spearman_p95": np.nanquantile(rho[1:], 0.95), "hit_rate": hit[0],
                     "hit_rate_p05": np.nanquantile(hit[1:], 0.05),
                     "hit_rate_p95": np.nanquantile(hit[1:], 0.95), "chance": bottom})
    return pd.DataFrame(rows)


@dataclass
class Window:
    """One backtest window: the predictors (``scores``, higher = riskier, one row per region)
    against ``growth`` (ratio after / before), bootstrapped with ``seed`` and ``settings``;
    each predictor's role (``roles``, else ``default_role``) and the window's ``labels`` (the
    ``backtest`` columns geography, kind, model_year, horizon, years, outcome). ``finite``:
    infinite metrics become missing."""

    scores: pd.DataFrame
    growth: pd.Series
    settings: dict[str, Any]
    seed: int
    roles: dict[str, str]
    labels: dict[str, Any] = field(default_factory=dict)
    default_role: str | None = None
    finite: bool = False


def window_rows(window: Window) -> pd.DataFrame:
    """The ``backtest`` rows of one window (empty with fewer than 20 regions)."""
    part = evaluate(window.scores, window.growth, window.settings, window.seed)
    if part.empty:
        return part
    part["role"] = part["predictor"].map(window.roles)
    if window.default_role is not None:
        part["role"] = part["role"].astype(object).fillna(window.default_role)  # NaN: float
    part = part.assign(**window.labels)[COLUMNS]
    return part.replace([np.inf, -np.inf], np.nan) if window.finite else part


def evaluate_windows(windows: list[Window]) -> pd.DataFrame:
    """The ``backtest`` rows of every window, in order."""
    parts = [part for part in map(window_rows, windows) if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def _frame_digest(digest: Any, frame: pd.DataFrame) -> None:
    """Feed ``frame``'s column names, index (type and values) and values as floats (what
    :func:`evaluate` reads of it) to ``digest``."""
    digest.update(json.dumps([[str(c) for c in frame.columns], str(frame.index.dtype),
                              list(frame.shape)]).encode())
    digest.update("\0".join(map(str, frame.index)).encode() + b"\1")
    digest.update(np.ascontiguousarray(frame.to_numpy(dtype=float)).tobytes())


def windows_key(windows: list[Window]) -> str:
    """sha256 of everything :func:`evaluate_windows` returns for ``windows`` depends on: every
    window's scores, growth, settings, seed, roles and labels, the source of the backtest
    modules and the versions of NumPy and pandas."""
    digest = hashlib.sha256()
    for window in windows:
        digest.update(json.dumps([window.settings, window.seed, window.roles, window.labels,
                                  window.default_role, window.finite],
                                 sort_keys=True, default=str).encode())
        _frame_digest(digest, window.scores)
        _frame_digest(digest, window.growth.to_frame())
    here = Path(__file__).parent
    code = hashlib.sha256(b"".join(path.read_bytes() for path in sorted(
        here.glob("backtest*.py")))).hexdigest()
    return cache_key("backtest", digest.hexdigest(), code, np.__version__, pd.__version__)
