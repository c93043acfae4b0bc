"""The rank-uncertainty ranking: blocked percentiles and the one-key rank order against
straightforward references (scipy's rankdata, NumPy's three-key lexsort)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from atlas.engine import uncertainty_ranks
from atlas.engine.uncertainty import rank_order, within_percentile


def reference_percentile(row: np.ndarray, transform: str) -> np.ndarray:
    row = np.round(row, 12)
    present = ~np.isnan(row)
    out = np.full(row.shape, np.nan)
    n = present.sum()
    if transform == "percent_rank":
        out[present] = (rankdata(row[present], method="min") - 1) / max(n - 1, 1) \
            if n > 1 else 0.0
    else:
        out[present] = (rankdata(row[present], method="average") - 0.5) / n
    return out


@pytest.mark.parametrize("transform", ["percentile", "percent_rank"])
def test_blocked_percentiles_equal_the_reference(monkeypatch, transform):
    monkeypatch.setattr(uncertainty_ranks, "BLOCK_ROWS", 7)  # many blocks, a ragged last one
    rng = np.random.default_rng(3)
    values = rng.integers(0, 6, size=(40, 25)).astype(float)  # many ties
    values[rng.random(values.shape) < 0.15] = np.nan
    values[3] = np.nan  # a row without values
    values[5, :3] = np.inf  # infinite values with missing ones in one block
    values[9, :2] = -np.inf
    got = within_percentile(values, transform)
    expected = np.array([reference_percentile(row, transform) for row in values])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    assert np.array_equal(np.isnan(got), np.isnan(values))


def test_rank_order_equals_a_three_key_lexsort():
    rng = np.random.default_rng(5)
    risk = np.round(rng.random((30, 50)), 1)  # ties in risk
    risk[rng.random(risk.shape) < 0.1] = np.nan
    size = rng.integers(1, 4, 50).astype(float)  # ties in size too
    ids = np.array([f"r{i:03d}" for i in rng.permutation(50)])
    id_order = np.argsort(np.argsort(ids, kind="stable"), kind="stable")
    key = np.where(np.isnan(risk), np.inf, -risk)
    order = np.lexsort((np.broadcast_to(id_order, risk.shape),
                        np.broadcast_to(-size, risk.shape), key), axis=-1)
    expected = np.empty_like(order)
    np.put_along_axis(expected, order, np.arange(1, 51)[None, :], axis=-1)
    assert np.array_equal(rank_order(risk, size, ids), expected)


@pytest.mark.parametrize("n", [1, 2, 19, 20, 40, 101])
def test_rank_quantiles_from_counts_equal_numpy(n):
    """The median and the 5th/95th percentiles read off per-region counts equal
    np.median and np.percentile(method="inverted_cdf"), values and dtypes, for odd and
    even numbers of specifications (n * 0.05 whole or not)."""
    rng = np.random.default_rng(n)
    rank = rng.integers(1, 13, size=(n, 9))
    rank[:, 0] = 4  # a region always at one rank
    median, (p05, p95) = uncertainty_ranks.rank_quantiles(rank, (5.0, 95.0))
    expected = (np.median(rank, axis=0),
                np.percentile(rank, 5, axis=0, method="inverted_cdf"),
                np.percentile(rank, 95, axis=0, method="inverted_cdf"))
    for got, want in zip((median, p05, p95), expected, strict=True):
        assert got.dtype == want.dtype
        assert np.array_equal(got, want)


def test_shared_rows_percentiles_equal_the_row_by_row_ones():
    """Ranking each distinct row once and copying it to its equal rows gives the same
    array as ranking every row (many specifications share a pillar's means)."""
    rng = np.random.default_rng(11)
    distinct = np.round(rng.random((6, 30)), 2)
    distinct[2, 5:9] = np.nan
    rows = distinct[rng.integers(0, 6, 50)]
    rows[7] = rng.random(30)  # one row of its own
    distinct_rows, inverse = uncertainty_ranks.unique_rows(rows)
    assert len(distinct_rows) <= 7 and np.array_equal(distinct_rows[inverse], rows,
                                                      equal_nan=True)
    for transform in ("percentile", "percent_rank"):
        shared = within_percentile(rows, transform, shared_rows=True)
        assert np.array_equal(shared, within_percentile(rows, transform), equal_nan=True)

