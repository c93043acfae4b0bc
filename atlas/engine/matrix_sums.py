"""The per-region sums of one block of regions as matrix products (NumPy, BLAS).

A block is a run of regions with their composition rows in CSR form: ``offsets`` (one more
than the regions), and per row the category code ``c`` (the level's column of the category,
see :class:`CategoryFacts`), the jobs ``e`` and the ``imputed`` flag. With

- ``E[r, k] = sum e`` over the rows of region r and category k (all jobs),
- ``P[r, k] = sum e`` over the *published* rows (not imputed, e > 0),
- ``S[k, j]``: per category the statistic j, j = (statistic, measure) over score, ge_10,
  ge_50, vulnerable and substitutable x unsheltered (sheltered categories count 0), NULL
  where the category has no value (``valid[k, j]`` false; 0 in the product),

the sums are

- per-measure sums ``E @ S`` (a NULL wherever no row of the region has a value, as SQL's
  ``sum`` of only NULLs: ``present @ valid`` counts the rows that have one);
- per diversity group g (categories sorted by group, so a group is a column range
  ``[s_g, t_g)``): jobs ``sum_k E[:, s_g:t_g]`` and substitutable jobs
  ``E[:, s_g:t_g] @ S_sub[s_g:t_g]``;
- diversity over the published cells: ``e_ln_e = sum P ln P``, ``e_sq = sum P^2``,
  ``e_sq_over_r = sum P^2 / r`` (cells with r > 0) and
  ``krugman = 1 + sum_(P > 0) (|P / P_tot - r| - r)`` with r the reference share (0 if NULL);
- unscored jobs per measure ``E @ gap`` (gap[k, m]: category k has no score / vulnerable /
  substitutable share under m), only where a region has rows in a gap category.

Every float sum runs in a fixed order (dense rows in column order; rows sorted by cell
before any ``bincount``), so the result does not depend on the order in which DuckDB returns
the rows. BLAS's products do depend on its number of threads (OpenBLAS splits them so that
the order of the additions changes with it): the build runs BLAS on one thread
(:mod:`atlas.store.blas`), so that the sums' last bits do not depend on the machine's cores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATISTICS = ("score", "ge10", "ge50", "vuln", "sub")  # category_facts column suffixes
GAP_STATISTICS = ("score", "vulnerable", "substitutable")  # score_gaps.statistic
GROUP_BLOCK_LIMIT = 1 << 21  # cells of the block-diagonal group matrix (16 MB)


@dataclass
class CategoryFacts:
    """One level's categories (columns, sorted by diversity group) and their statistics.

    ``stats`` is ``(K, 5 M)``: statistic-major, ``stats[:, s * M + m]`` is statistic
    ``STATISTICS[s]`` of measure m (``sub`` already multiplied by ``unsheltered``), NaN for
    NULL. ``gaps`` is ``(K, 3 M)`` in the order of ``GAP_STATISTICS``; ``r`` the reference
    share (NaN: NULL); ``group_start`` the first column of every group.
    """

    categories: np.ndarray
    groups: np.ndarray  # group names, one per group
    group_start: np.ndarray  # (G,) first column of each group
    r: np.ndarray  # (K,)
    stats: np.ndarray  # (K, 5 M)
    gaps: np.ndarray  # (K, 3 M) bool
    measures: int

    def __post_init__(self) -> None:
        self.valid = ~np.isnan(self.stats)
        self.filled = np.where(self.valid, self.stats, 0.0)
        self.r_valid = np.isfinite(self.r) & (self.r != 0)
        self.r_divisor = np.where(self.r_valid, self.r, np.inf)  # P^2 / inf = 0: no term
        self.r_zero = np.nan_to_num(self.r)
        self.group_end = np.append(self.group_start[1:], len(self.categories))
        self.gap_any = self.gaps.any(axis=1)
        self.sub = slice(4 * self.measures, 5 * self.measures)
        valid = self.valid[:, self.sub]
        all_valid = np.logical_and.reduceat(valid, self.group_start, axis=0) if len(valid) \
            else np.zeros((0, self.measures), dtype=bool)
        any_valid = np.logical_or.reduceat(valid, self.group_start, axis=0) if len(valid) \
            else all_valid
        self.group_none, self.group_mixed = ~any_valid, any_valid & ~all_valid
        k_count, groups = len(self.categories), len(self.group_start)
        self.group_blocks = None
        if k_count * groups * self.measures <= GROUP_BLOCK_LIMIT:
            blocks = np.zeros((k_count, groups, self.measures))
            group_of = np.repeat(np.arange(groups), self.group_end - self.group_start)
            blocks[np.arange(k_count), group_of] = self.filled[:, self.sub]
            self.group_blocks = blocks.reshape(k_count, groups * self.measures)


def _masked(values: np.ndarray, valid: np.ndarray, present: np.ndarray,
            counts_valid: callable) -> np.ndarray:
    """``values`` with NaN (NULL) where no row behind it has a value: columns valid for
    every category need only ``present``; mixed columns ask ``counts_valid(columns)``."""
    out = values.copy()
    all_valid, none_valid = valid.all(axis=0), ~valid.any(axis=0)
    out[:, none_valid] = np.nan
    out[~present] = np.nan
    mixed = np.flatnonzero(~all_valid & ~none_valid)
    if len(mixed):
        has = counts_valid(mixed) > 0
        block = out[:, mixed]
        block[~has] = np.nan
        out[:, mixed] = block
    return out


def block_sums(codes: np.ndarray, e: np.ndarray, imputed: np.ndarray, offsets: np.ndarray,
               facts: CategoryFacts) -> dict[str, np.ndarray]:
    """Every sum of ``region_measure_sums`` / ``region_group_sums`` for one block of regions.

    Returns
    -------
    dict of arrays over the block's regions ``(n,)``, ``(n, M)`` lists, and the groups:
    ``group_present (n, G)`` bool, ``group_employment (n, G)``,
    ``group_substitutable (n, G, M)``. NaN stands for NULL.
    """
    n, k_count, m_count = len(offsets) - 1, len(facts.categories), facts.measures
    lengths = np.diff(offsets)
    local = np.repeat(np.arange(n, dtype=np.int64), lengths)
    cell = np.repeat(np.arange(0, n * k_count, k_count, dtype=np.int64), lengths) + codes
    count = np.bincount(cell, minlength=n * k_count)
    published = ~imputed & (e > 0)
    unique = count.size == 0 or count.max() <= 1
    if not unique:  # several rows in a cell: add them up in a fixed order
        order = np.lexsort((e, imputed, cell))
        cell, e, imputed, published, local = (
            cell[order], e[order], imputed[order], published[order], local[order])
    jobs = _dense(cell, e, n * k_count, unique).reshape(n, k_count)
    if unique:  # the published cells are the jobs without the few other rows
        pub = jobs.copy()
        pub.reshape(-1)[cell[~published]] = 0.0
    else:
        pub = _dense(cell[published], e[published], n * k_count, unique).reshape(n, k_count)
    rows = count.reshape(n, k_count)
    cells = _Presence(rows)
    out: dict[str, np.ndarray] = {
        "total_employment": jobs.sum(axis=1),
        "imputed_employment": _imputed(local[imputed], cell[imputed], e[imputed], n),
        "published_employment": pub.sum(axis=1),
        "n_categories": np.bincount(local, weights=published, minlength=n).astype(np.int64),
    }
    out.update(_diversity(pub, out["published_employment"], facts, unique,
                          local[published], cell[published] % k_count, e[published], n))
    has_rows = np.ones(n, dtype=bool)  # every region of the stream has rows
    sums = _masked(jobs @ facts.filled, facts.valid, has_rows,
                   lambda cols: cells.matrix() @ facts.valid[:, cols].astype(float))
    for index, name in enumerate(("e_score", "e_ge_10", "e_ge_50", "e_vulnerable",
                                  "e_substitutable")):
        out[name] = sums[:, index * m_count:(index + 1) * m_count]
    _unscored(out, jobs, cells, facts)
    _groups(out, jobs, rows, cells, facts)
    return out


class _Presence:
    """The 0/1 matrix of cells that have rows, made only when a mixed NULL pattern needs it."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows, self._matrix = rows, None

    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = (self.rows > 0).astype(float)
        return self._matrix


def _dense(cell: np.ndarray, values: np.ndarray, size: int, unique: bool) -> np.ndarray:
    """A dense vector of cells: values put in place (unique cells) or added in array order."""
    if not unique:
        return np.bincount(cell, weights=values, minlength=size)
    dense = np.zeros(size)
    dense[cell] = values
    return dense


def _imputed(local: np.ndarray, cell: np.ndarray, e: np.ndarray, n: int) -> np.ndarray:
    """Imputed jobs per region, added in cell order (a fixed order whatever the row order)."""
    order = np.lexsort((e, cell))
    return np.bincount(local[order], weights=e[order], minlength=n)


def _diversity(pub: np.ndarray, total: np.ndarray, facts: CategoryFacts, unique: bool,
               local: np.ndarray, codes: np.ndarray, e: np.ndarray,
               n: int) -> dict[str, np.ndarray]:
    """``e_ln_e, e_sq, e_sq_over_r, krugman`` over the published rows (NULL without any).

    On dense unique cells, krugman uses ``sum_(P > 0) (|s - r| - r) = sum_k |s_k - r_k| -
    sum_k r_k`` (a cell without published jobs has s = 0, so ``|s - r| = r``).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if unique:  # one row per cell: the published cells are the published rows
            logs = np.maximum(pub, 1e-300)  # 0 ln 0 counts 0, as a cell without rows
            np.log(logs, out=logs)
            squares = pub * pub
            share = pub * (1.0 / total)[:, None]
            share -= facts.r_zero
            np.abs(share, out=share)
            result = {"e_ln_e": np.einsum("ij,ij->i", pub, logs),
                      "e_sq": squares.sum(axis=1),
                      "e_sq_over_r": squares @ (1.0 / facts.r_divisor),
                      "krugman": share.sum(axis=1) - facts.r_zero.sum() + 1}
            rows = np.count_nonzero(pub, axis=1)
            with_r = rows if facts.r_valid.all() else np.count_nonzero(
                pub[:, facts.r_valid], axis=1)
        else:  # rows sorted by cell: bincount adds them in that order
            r = facts.r_zero[codes]
            share = e / total[local]
            result = {
                "e_ln_e": np.bincount(local, weights=e * np.log(e), minlength=n),
                "e_sq": np.bincount(local, weights=e * e, minlength=n),
                "e_sq_over_r": np.bincount(local, weights=e * e / facts.r_divisor[codes],
                                           minlength=n),
                "krugman": np.bincount(local, weights=np.abs(share - r) - r, minlength=n) + 1}
            with_r = np.bincount(local, weights=facts.r_valid[codes], minlength=n)
            rows = np.bincount(local, minlength=n)
    for name in ("e_ln_e", "e_sq", "krugman"):
        result[name][rows == 0] = np.nan
    result["e_sq_over_r"][with_r == 0] = np.nan
    return result


def _unscored(out: dict[str, np.ndarray], jobs: np.ndarray, cells: _Presence,
              facts: CategoryFacts) -> None:
    """``unscored, unscored_vulnerable, unscored_substitutable``: NULL lists (NaN rows) for
    regions without a row in a gap category, else jobs per measure (0 without a gap)."""
    n, m_count = jobs.shape[0], facts.measures
    if facts.gap_any.any():
        columns = np.flatnonzero(facts.gaps.any(axis=0))
        lists = np.zeros((n, 3 * m_count))
        lists[:, columns] = jobs @ facts.gaps[:, columns].astype(float)
        lists[cells.matrix() @ facts.gap_any.astype(float) == 0] = np.nan
    else:
        lists = np.full((n, 3 * m_count), np.nan)
    for index, name in enumerate(("unscored", "unscored_vulnerable",
                                  "unscored_substitutable")):
        out[name] = lists[:, index * m_count:(index + 1) * m_count]


def _groups(out: dict[str, np.ndarray], jobs: np.ndarray, rows: np.ndarray,
            cells: _Presence, facts: CategoryFacts) -> None:
    """Jobs and substitutable jobs per region and diversity group (columns of a group are
    contiguous: ``reduceat``; the substitutable jobs of all groups in one product with the
    block-diagonal ``K x G M`` matrix, or one product per group when that would be large)."""
    m_count, groups = facts.measures, len(facts.group_start)
    out["group_employment"] = np.add.reduceat(jobs, facts.group_start, axis=1)
    present = np.add.reduceat(rows, facts.group_start, axis=1) > 0
    out["group_present"] = present
    if facts.group_blocks is not None:
        result = (jobs @ facts.group_blocks).reshape(jobs.shape[0], groups, m_count)
    else:
        result = np.empty((jobs.shape[0], groups, m_count))
        for g, (start, end) in enumerate(zip(facts.group_start, facts.group_end, strict=True)):
            result[:, g] = jobs[:, start:end] @ facts.filled[start:end, facts.sub]
    # NULL: no row of the (region, group) has a substitutable share under the measure
    result[~present] = np.nan
    result[:, facts.group_none] = np.nan
    for g, m in zip(*np.nonzero(facts.group_mixed), strict=True):
        start, end = facts.group_start[g], facts.group_end[g]
        has = cells.matrix()[:, start:end] @ facts.valid[start:end, facts.sub][:, m]
        result[has == 0, g, m] = np.nan
    out["group_substitutable"] = result
