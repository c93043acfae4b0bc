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



def test_unique_rows_is_exact_when_fingerprints_collide(monkeypatch):
    """Rows are grouped by a 64-bit fingerprint and the grouping checked word for word:
    with every fingerprint equal (multipliers of 0), the byte comparison takes over and
    the result is still exact; with the real multipliers, the same distinct rows."""
    rng = np.random.default_rng(5)
    distinct = rng.random((9, 40))
    distinct[3, :4] = np.nan
    distinct[4] = -0.0  # -0.0 and 0.0 differ byte for byte: two distinct rows
    distinct[5] = 0.0
    rows = distinct[rng.integers(0, 9, 300)]
    expected = len(np.unique(rows.view(np.dtype((np.void, 8 * 40))).ravel()))
    found, inverse = uncertainty_ranks.unique_rows(rows)
    assert len(found) == expected and np.array_equal(
        found[inverse].view(np.uint64), rows.view(np.uint64))
    monkeypatch.setattr(uncertainty_ranks, "_multipliers",
                        lambda width: np.zeros(width, dtype=np.uint64))
    collided, inverse = uncertainty_ranks.unique_rows(rows)
    assert len(collided) == expected and np.array_equal(
        collided[inverse].view(np.uint64), rows.view(np.uint64))


def test_aggregate_pillar_by_pillar_equals_the_einsum_over_the_pillar_axis():
    """The collapse risk summed pillar by pillar equals, bit for bit, the former
    ``(specs, regions, pillars)`` einsum (geometric rows: exp of the weighted mean log;
    arithmetic rows: the weighted mean; NaN where a pillar of positive weight is missing)."""
    from atlas.engine.uncertainty import aggregate

    rng = np.random.default_rng(9)
    specs, regions, count = 300, 70, 3
    pillars = rng.random((specs, regions, count))
    pillars[rng.random(pillars.shape) < 0.05] = np.nan
    weights = rng.dirichlet(np.ones(count), specs) * 2
    weights[rng.random(weights.shape) < 0.1] = 0.0
    weights[0] = [1.0, 0.0, 0.0]
    geometric = rng.random(specs) < 0.5
    expected = np.empty((specs, regions))
    for flag in (True, False):
        rows = np.flatnonzero(geometric == flag)
        block, w = pillars[rows], weights[rows]
        total = w.sum(axis=1)[:, None]
        if flag:
            risk = np.exp(np.einsum("srp,sp->sr", np.log(np.maximum(block, 1e-300)), w) / total)
        else:
            risk = np.einsum("srp,sp->sr", block, w) / total
        risk[(np.isnan(block) & (w > 0)[:, None, :]).any(axis=2)] = np.nan
        expected[rows] = np.round(risk, 12)
    found = aggregate([pillars[:, :, p].copy() for p in range(count)], weights, geometric)
    assert np.array_equal(found, expected, equal_nan=True)
    assert np.isnan(found).any() and not np.isnan(found).all()


def fallback_rank_order(monkeypatch, *args):
    """``rank_order`` by the stable argsorts (the integer keys refused)."""
    with monkeypatch.context() as patch:
        patch.setattr(uncertainty_ranks, "_rank_keys", lambda *a: None)
        return rank_order(*args)


def test_integer_key_rank_order_by_hand_with_ties_missing_and_groups():
    """Risk 0.5 tied between a (size 1) and c (size 2): c, the larger, first; d missing
    last; within groups {a, b} and {c, d} the ranks start at 1 again."""
    risk = np.array([[0.5, 0.7, 0.5, np.nan]])
    size, ids = np.array([1.0, 1.0, 2.0, 1.0]), np.array(["a", "b", "c", "d"])
    assert uncertainty_ranks._rank_keys(risk, np.arange(4), None) is not None  # the fast path
    assert rank_order(risk, size, ids).tolist() == [[3, 1, 2, 4]]
    assert rank_order(risk, size, ids, np.array([0, 0, 1, 1])).tolist() == [[2, 1, 1, 2]]


@pytest.mark.parametrize("grouped", [False, True])
def test_integer_key_rank_order_equals_the_stable_argsorts(monkeypatch, grouped):
    """Values at 12 decimals with many ties (equal risks, equal sizes), missing values and
    rows that are all missing: the one-key sort gives the ranks of the two stable argsorts."""
    rng = np.random.default_rng(11)
    risk = np.round(rng.integers(0, 7, size=(60, 90)) / 7, 12)
    risk[rng.random(risk.shape) < 0.1] = np.nan
    risk[4] = np.nan
    size = rng.integers(1, 4, 90).astype(float)
    ids = np.array([f"r{i:03d}" for i in rng.permutation(90)])
    groups = rng.integers(-1, 3, 90) if grouped else None
    fast = rank_order(risk, size, ids, groups)
    assert np.array_equal(fast, fallback_rank_order(monkeypatch, risk, size, ids, groups))
    if not grouped:  # every row a permutation of the ranks 1..90
        assert np.array_equal(np.sort(fast, axis=1), np.tile(np.arange(1, 91), (60, 1)))


def test_rank_keys_refuse_values_not_at_12_decimals():
    """1/3 is not a value at 12 decimals: two risks equal there but not as numbers must not
    be tied, so the keys are refused and the stable argsort orders them."""
    risk = np.array([[1 / 3, np.round(1 / 3, 12), 0.25]])
    assert uncertainty_ranks._rank_keys(risk, np.arange(3), None) is None
    assert rank_order(risk, np.ones(3), np.array(["a", "b", "c"])).tolist() == [[1, 2, 3]]


@pytest.mark.parametrize("transform", ["percentile", "percent_rank"])
def test_integer_key_percentiles_equal_the_argsort_ones(monkeypatch, transform):
    """Values equal at 12 decimals but not as numbers share a percentile on both paths, bit
    for bit; values too large for the keys fall back to the argsort."""
    rng = np.random.default_rng(4)
    values = rng.integers(0, 9, size=(50, 40)) / 9 + rng.choice([0.0, 1e-14], (50, 40))
    values[rng.random(values.shape) < 0.1] = np.nan
    values[7] = np.nan
    values[0, :3] = [1 / 9, 1 / 9 + 1e-14, 1 / 9]  # equal at 12 decimals, not as numbers
    fast = within_percentile(values, transform)
    with monkeypatch.context() as patch:
        patch.setattr(uncertainty_ranks, "decimal_codes", lambda *a, **k: None)
        slow = within_percentile(values, transform)
    assert np.array_equal(fast, slow, equal_nan=True)
    tie = np.round(values[0], 12) == np.round(values[0, 0], 12)
    assert len(set(values[0][tie])) == 2 and len(set(fast[0][tie])) == 1  # a shared percentile
    large = values * 1e9  # codes beyond 2**51: the argsort
    missing = np.isnan(large)
    assert uncertainty_ranks.decimal_codes(large, missing, 6) is None
    assert np.array_equal(within_percentile(large, transform),
                          np.array([reference_percentile(row, transform) for row in large]),
                          equal_nan=True)


def test_rank_counts_added_block_by_block_give_the_same_quantiles():
    rng = np.random.default_rng(8)
    rank = rng.integers(1, 30, size=(101, 12))
    counts = np.zeros((12, 31), dtype=np.int64)
    for start in range(0, 101, 17):
        uncertainty_ranks.rank_counts(rank[start:start + 17], 31, counts)
    whole = uncertainty_ranks.rank_quantiles(rank, (5.0, 95.0))
    blocked = uncertainty_ranks.rank_quantiles(None, (5.0, 95.0), counts, 101)
    assert np.array_equal(whole[0], blocked[0])
    assert all(np.array_equal(a, b) for a, b in zip(whole[1], blocked[1], strict=True))
