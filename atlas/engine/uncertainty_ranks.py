"""The ranking pieces of the rank uncertainty (:mod:`atlas.engine.uncertainty`): percentiles
within each row (ties shared), the rank order of every specification, and the median and
the 90% interval of each region's ranks from counts.

Every shortcut here is exact: rows that are equal byte for byte are ranked once
(``shared_rows``), and the rank quantiles are order statistics read off a per-region count
of the integer ranks, equal to ``np.median`` and ``np.percentile(method="inverted_cdf")``.
"""

from __future__ import annotations

import numpy as np

BLOCK_ROWS = 256  # rows ranked at a time: argsort and its temporaries stay in cache
SCALE = 1e12  # values are compared at 12 decimals


def within_percentile(values: np.ndarray, transform: str = "percentile",
                      shared_rows: bool = False) -> np.ndarray:
    """Percentiles along the last axis, NaN kept, ties shared.

    ``percentile``: ``(count below + half the ties) / n``; ``percent_rank``:
    ``count below / (n - 1)`` (0 for a single value). ``n`` counts the non-missing values;
    values are compared at 12 decimals. Ranked ``BLOCK_ROWS`` rows at a time into one
    output array (a stable argsort per contiguous block), so that the temporaries stay
    small whatever the number of specifications. ``shared_rows``: rank each distinct row
    once and copy it to its equal rows (:func:`unique_rows`; many specifications share a
    pillar's means).
    """
    values = np.asarray(values, dtype=float)
    flat = values.reshape(-1, values.shape[-1])
    if shared_rows and flat.shape[0] > 1 and flat.shape[1] > 0:
        distinct, inverse = unique_rows(flat)
        if len(distinct) < len(flat):
            return within_percentile(distinct, transform)[inverse].reshape(values.shape)
    out = np.empty(flat.shape)
    for start in range(0, flat.shape[0], BLOCK_ROWS):
        stop = min(flat.shape[0], start + BLOCK_ROWS)
        _percentile_block(flat[start:stop], out[start:stop], transform)
    return out.reshape(values.shape)


def _percentile_block(block: np.ndarray, out: np.ndarray, transform: str) -> None:
    """:func:`within_percentile` of a ``(rows, n)`` block, written into ``out``.

    The values are sorted as integer keys (:func:`decimal_codes`: the value at 12 decimals
    as an integer, then its column) where they fit, else by an argsort of the rounded
    values; ties share one percentile, so the order within a tie does not matter."""
    rows, width = block.shape
    missing = np.isnan(block)
    present = width - missing.sum(axis=1, keepdims=True)
    bits = max(1, (width - 1).bit_length())
    codes = decimal_codes(block, missing, bits)
    if codes is not None:  # one integer per value: its code, then its column
        keys = codes.astype(np.int64)
        keys <<= bits
        keys |= np.arange(width, dtype=np.int64)
        keys.sort(axis=1)
        order = keys & ((1 << bits) - 1)
        keys >>= bits
        ordered = keys
    else:
        block = np.round(block, 12)
        keyed = block  # missing values as +inf sort last as NaN does, but far faster
        if missing.any() and not np.isposinf(block).any():
            keyed = np.where(missing, np.inf, block)
        order = np.argsort(keyed, axis=1)  # ties share one value: their order does not matter
        flat_order = order + (np.arange(rows, dtype=order.dtype) * width)[:, None]
        ordered = np.take(keyed.ravel(), flat_order)  # take_along_axis, without its index tuple
    index = np.broadcast_to(np.arange(width), block.shape)
    starts = np.ones(block.shape, dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    starts[index >= present] = True  # each missing value a group of its own, as NaN
    if starts.all():  # no ties (NaNs never compare equal): each value its own first and last
        first = last = index
    else:
        first = np.maximum.accumulate(np.where(starts, index, 0), axis=1)
        ends = np.ones(block.shape, dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        last = np.minimum.accumulate(np.where(ends, index, width - 1)[:, ::-1],
                                     axis=1)[:, ::-1]
    count = present.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if transform == "percent_rank":
            ranked = np.where(count > 1, first / np.maximum(count - 1, 1), 0.0)
        else:
            ranked = (first + 0.5 * (last - first + 1)) / count
    order = order + (np.arange(rows, dtype=np.int64) * width)[:, None]
    out.reshape(-1)[order.ravel()] = np.broadcast_to(ranked, block.shape).ravel()  # a view
    out[missing] = np.nan


def decimal_codes(values: np.ndarray, missing: np.ndarray, bits: int, spare: int = 1,
                  descending: bool = False, exact: bool = False) -> np.ndarray | None:
    """The values at 12 decimals as whole numbers from 0 (``rint(x * 1e12)`` less the
    smallest, or the largest less it with ``descending``; a float array of integers),
    missing values one above the largest code; None if some value is infinite, if the codes
    would not leave ``bits`` low bits of an int64 free (``spare``: how many such ranges must
    fit, e.g. one per rank group) or, with ``exact``, if some value is not itself a value at
    12 decimals (``x != rint(x * 1e12) / 1e12``).

    Two values are equal at 12 decimals (``np.round(x, 12)``, which is
    ``rint(x * 1e12) / 1e12``) exactly when their codes are equal, and ordered as them: the
    codes stay below 2**51, where distinct integers divided by 1e12 stay distinct. With
    ``exact``, distinct values have distinct codes (``x = fl(k / 1e12)`` is increasing in
    k), so the codes order the values themselves.
    """
    if missing.all():
        return np.zeros(values.shape)
    scaled = np.multiply(values, SCALE)
    np.rint(scaled, out=scaled)
    low, high = np.nanmin(scaled), np.nanmax(scaled)
    if not (abs(low) < 2.0 ** 51 and abs(high) < 2.0 ** 51) \
            or (high - low + 2) * spare >= 2.0 ** min(51, 62 - bits):
        return None
    if exact and np.count_nonzero(scaled / SCALE != values) > np.count_nonzero(missing):
        return None  # NaN != NaN: only the missing values may differ
    if descending:
        np.subtract(high, scaled, out=scaled)
    else:
        scaled -= low
    if missing.any():
        scaled[missing] = high - low + 1
    return scaled


def rank_order(risk: np.ndarray, size: np.ndarray, region_ids: np.ndarray,
               groups: np.ndarray | None = None) -> np.ndarray:
    """Ranks (1 = highest risk) per specification: risk descending (missing last), then
    larger size, then region_id, as ``risk_rank``; within each of ``groups`` (an integer
    code per region; None: one group).

    The regions are put in tie-break order (larger size, then region_id) once. Where the
    risks are values at 12 decimals (as :func:`atlas.engine.uncertainty.aggregate` rounds
    them), each (specification, region) becomes one distinct integer, its group, then its
    risk code (:func:`decimal_codes`, descending), then its tie-break position, and one
    plain sort per row orders them (:func:`_rank_keys`). Otherwise a stable argsort of the
    risk key per specification breaks ties in tie-break order and a second stable argsort
    by group keeps that order within each group. Either way the ranks start at 1 in each
    group and equal a lexsort over (group, risk, size, region_id).
    """
    id_order = np.argsort(np.argsort(region_ids, kind="stable"), kind="stable")
    tiebreak = np.lexsort((id_order, -size))
    width = risk.shape[-1]
    flat = risk.reshape(-1, width)
    position = np.arange(1, width + 1)
    group = None
    if groups is not None and len(np.unique(groups)) > 1:
        codes, group = np.unique(np.asarray(groups), return_inverse=True)
        group = group.reshape(-1)
        starts = np.repeat(np.r_[0, np.cumsum(np.bincount(group))[:-1]],
                           np.bincount(group))
        position = position - starts
    order = _rank_keys(flat, tiebreak, group)  # columns, best first
    if order is None:
        key = np.where(np.isnan(flat), np.inf, -flat)[:, tiebreak]
        order = np.argsort(key, axis=-1, kind="stable")
        if group is not None:
            small = np.uint8 if len(codes) <= 256 else np.uint16 if len(codes) <= 65536 \
                else np.int64  # a stable sort of small integers is a radix sort
            by_group = np.argsort(group.astype(small)[tiebreak][order], axis=-1,
                                  kind="stable")
            order = np.take_along_axis(order, by_group, axis=-1)
        order = tiebreak[order]
    ranks = np.empty(flat.shape, dtype=np.int64)
    order += (np.arange(len(flat), dtype=np.int64) * width)[:, None]
    np.put(ranks, order, position)  # ``position`` repeated for every row
    return ranks.reshape(risk.shape)


def _rank_keys(risk: np.ndarray, tiebreak: np.ndarray, group: np.ndarray | None
               ) -> np.ndarray | None:
    """Per row of ``risk`` (specs x regions), the columns sorted by group, then risk
    descending (missing last), then tie-break position (``tiebreak``: the columns in
    tie-break order): one int64 key per value, sorted, its low bits the position. None
    where the risks are not exactly values at 12 decimals (``fl(k / 1e12)`` for whole k) or
    the keys would not fit."""
    width = risk.shape[-1]
    bits = max(1, (width - 1).bit_length())
    missing = np.isnan(risk)
    spare = 1 if group is None else int(group.max()) + 1
    codes = decimal_codes(risk, missing, bits, spare, descending=True, exact=True)
    if codes is None:
        return None
    keys = codes.astype(np.int64)
    if group is not None:  # the group first: whole spans of codes (the missing code + 1)
        keys += group.astype(np.int64)[None, :] * (int(codes.max(initial=0)) + 1)
    keys <<= bits
    rank_of = np.empty(width, dtype=np.int64)
    rank_of[tiebreak] = np.arange(width)
    keys |= rank_of[None, :]
    keys.sort(axis=1)
    keys &= (1 << bits) - 1
    return tiebreak[keys]


def unique_rows(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D array (equal byte for byte) and, per row, the index of its
    distinct row: ``unique[inverse]`` is ``flat``.

    Rows of 8-byte values are grouped by a 64-bit fingerprint (the row's words times fixed
    odd multipliers, summed modulo 2**64; a sort of one integer per row instead of a byte
    comparison of whole rows); the grouping is then checked word for word, and a collision
    (rows of one fingerprint that differ) falls back to the byte comparison, so the result
    is always exact.
    """
    flat = np.ascontiguousarray(flat)
    if flat.dtype.itemsize == 8 and flat.ndim == 2 and flat.shape[1] > 0:
        words = flat.view(np.uint64)
        multipliers = _multipliers(flat.shape[1])
        keys = np.empty(len(words), dtype=np.uint64)
        blocks = [slice(start, start + BLOCK_ROWS * 4)  # small temporaries
                  for start in range(0, len(words), BLOCK_ROWS * 4)]
        for rows in blocks:
            keys[rows] = (words[rows] * multipliers).sum(axis=1, dtype=np.uint64)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        if all(np.array_equal(words[first[inverse[rows]]], words[rows])
               for rows in blocks):  # no collision: exact
            return flat[first], inverse
    keys = flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return flat[first], inverse.reshape(-1)


def _multipliers(width: int) -> np.ndarray:
    """``width`` fixed odd 64-bit multipliers (a seeded generator: the same in every run)."""
    draws = np.random.default_rng(0x5EED).integers(0, 2**63, size=width, dtype=np.uint64)
    return draws * np.uint64(2) + np.uint64(1)


def rank_counts(rank: np.ndarray, width: int, counts: np.ndarray | None = None
                ) -> np.ndarray:
    """``(regions, width)``: how often each value ``0 <= v < width`` occurs in each column of
    the integer ``rank`` array ``(specs, regions)`` (one bincount), added to ``counts``
    (so that blocks of specifications can be counted one after the other)."""
    rank = np.asarray(rank, dtype=np.int64)
    regions = rank.shape[1]
    offsets = (np.arange(regions, dtype=np.int64) * width)[None, :]
    found = np.bincount((rank + offsets).ravel(), minlength=regions * width)
    found = found.reshape(regions, width)
    return found if counts is None else np.add(counts, found, out=counts)


def order_statistics(rank: np.ndarray, k: np.ndarray,
                     counts: np.ndarray | None = None) -> np.ndarray:
    """The ``k[j]``-th smallest (1-based) of each column of the integer ``rank`` array
    ``(specs, regions)``, values ``>= 0``: ``(len(k), regions)``; or of the values counted
    in ``counts`` (:func:`rank_counts`; ``rank`` then unused).

    One count of every value per region (a bincount); the k-th smallest is the first value
    whose cumulative count reaches k, i.e. the number of values whose cumulative count is
    below k (values above the largest one counted change nothing).
    """
    if counts is None:
        counts = rank_counts(rank, int(np.asarray(rank).max(initial=0)) + 1)
    cumulative = np.cumsum(counts, axis=1)
    return np.stack([(cumulative < kth).sum(axis=1) for kth in np.asarray(k).ravel()])


def rank_quantiles(rank: np.ndarray | None, percents: tuple[float, ...] = (5.0, 95.0),
                   counts: np.ndarray | None = None, n: int | None = None
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per column of ``rank`` (specs x regions, integers): the median (``np.median``: the
    mean of the two middle values for an even count) and each percentile of ``percents``
    as ``np.percentile(..., method="inverted_cdf")`` (the order statistic at
    ``ceil(n q)``, NumPy's own index arithmetic), from one count per region; or from
    ``counts`` of ``n`` specifications (:func:`rank_counts`) instead of ``rank``."""
    n = rank.shape[0] if n is None else n
    middle = [(n + 1) // 2, n // 2 + 1] if n % 2 == 0 else [(n + 1) // 2]
    indices = []
    for percent in percents:  # NumPy's inverted_cdf: virtual index n q - 1, rounded up
        virtual = n * (np.float64(percent) / 100) - 1
        below = np.floor(virtual)
        index = below if virtual == below else below + 1
        indices.append(int(np.clip(index, 0, n - 1)) + 1)
    stats = order_statistics(rank, np.array(middle + indices), counts)
    median = stats[: len(middle)].mean(axis=0) if len(middle) == 2 \
        else stats[0].astype(float)
    return median, [stats[len(middle) + j] for j in range(len(percents))]
