"""The lower pieces of the rank uncertainty (``atlas.engine.uncertainty``): the
specifications' container, the draws of missing component scores, and the absolute-shock
floor of every measure."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd


@dataclass
class Specifications:
    """Every specification of a level: measure index, aggregation, weights."""

    measure: np.ndarray  # (S,) index into the level's measures
    geometric: np.ndarray  # (S,) bool
    weights: np.ndarray  # (S, K) component weights (0 = left out)
    pillar_weights: np.ndarray  # (S, P)
    random: np.ndarray | None = None  # (S,) bool: a joint random draw (not the grid)
    seed: int = 0  # of the draws of missing component scores
    gate: np.ndarray | None = None  # (S,) bool: the pillar gates apply (None: all do)
    factors: dict[str, np.ndarray] | None = None  # choice -> (S,) value code, -1 off the
    # factorial block (atlas.engine.uncertainty_choices)
    inner_geometric: np.ndarray | None = None  # (S,) bool: the pillar `inner_pillar` is the
    inner_pillar: str | None = None  # weighted geometric mean of its component scores

    def __len__(self) -> int:
        return len(self.measure)

    def joined(self, other: Specifications) -> Specifications:
        """These specifications followed by ``other`` (same components and pillars)."""
        def either(mine: np.ndarray | None, theirs: np.ndarray | None, fill: object
                   ) -> np.ndarray:
            return np.concatenate([np.full(len(self), fill) if mine is None else mine,
                                   np.full(len(other), fill) if theirs is None else theirs])
        names = sorted(set(self.factors or {}) | set(other.factors or {}))
        factors = {name: either((self.factors or {}).get(name), (other.factors or {}).get(
            name), -1).astype(np.int64) for name in names}
        return Specifications(
            np.concatenate([self.measure, other.measure]),
            np.concatenate([self.geometric, other.geometric]),
            np.vstack([self.weights, other.weights]),
            np.vstack([self.pillar_weights, other.pillar_weights]),
            either(self.random, other.random, False).astype(bool), self.seed,
            either(self.gate, other.gate, True).astype(bool), factors or None,
            either(self.inner_geometric, other.inner_geometric, False).astype(bool),
            self.inner_pillar or other.inner_pillar)


def draw_missing(specs: Specifications, available: np.ndarray, member: np.ndarray,
                 w: np.ndarray, by_measure: list[np.ndarray], numerator: np.ndarray,
                 denominator: np.ndarray, logged: np.ndarray | None = None) -> None:
    """In the joint random draws, a missing component score of a region that has another
    component of the pillar is drawn from the level's distribution of scores (uniform on
    (0, 1): they are percentiles), so a region with missing components gets a wider rank
    interval instead of a mean over the components it happens to have. Adds the draws to the
    pillar's ``numerator`` and ``denominator`` in place (``logged``: the specs whose numerator
    sums log scores, a geometric mean, get the log of the draw); the grid keeps the
    configured renormalisation, so spec 0 still reproduces ``risk_rank``."""
    if specs.random is None or not specs.random.any():
        return
    rng = np.random.default_rng(specs.seed)
    for measure, rows in enumerate(by_measure):
        drawn = rows[specs.random[rows]]
        has_pillar = (available[measure][:, member] > 0).any(axis=1)
        gaps = (available[measure] == 0) & member[None, :] & has_pillar[:, None]
        regions, components = np.nonzero(gaps)
        if not len(drawn) or not len(regions):
            continue
        weights = w[drawn][:, components]  # (draws, gaps)
        values = rng.random(weights.shape)
        if logged is not None and logged[drawn].any():
            values = np.where(logged[drawn][:, None], np.log(np.maximum(values, 1e-300)),
                              values)
        for target, added in ((numerator, weights * values), (denominator, weights)):
            block = target[drawn]
            np.add.at(block, (slice(None), regions), added)
            target[drawn] = block


def by_region(frame: pd.DataFrame, ids: np.ndarray, columns: list[str],
              fill: float | bool = np.nan) -> dict[str, dict[str, np.ndarray]]:
    """Per ``measure`` of ``frame`` (one row per region and measure), each of ``columns``
    in the order of ``ids`` (``fill`` where a region has no row), by one scatter per
    measure and column (no reindex per measure)."""
    position = pd.Index(ids).get_indexer(frame["region_id"])
    codes, names = pd.factorize(frame["measure"], sort=True)
    kind = bool if isinstance(fill, bool) else float
    values = {name: frame[name].to_numpy(kind) for name in columns}
    out = {}
    for code, measure in enumerate(names):
        rows = np.flatnonzero((codes == code) & (position >= 0))
        grids = {}
        for name in columns:
            grid = np.full(len(ids), fill, dtype=kind)
            grid[position[rows]] = values[name][rows]
            grids[name] = grid
        out[measure] = grids
    return out


def shock_floor(con: duckdb.DuckDBPyConnection, level: str, ratio: float,
                ids: np.ndarray) -> dict[str, np.ndarray]:
    """Per unit-scale measure, whether each region's substitutable share is at least
    ``ratio`` times the reference level's (``sum share * (E + U) / sum (E + U)``), as
    ``above_shock_floor`` in ``region_flags.sql``; regions in the order of ``ids``."""
    frame = con.execute("""
        WITH shares AS (
            SELECT x.level, x.region_id, x.measure, x.substitutable_share,
                s.total_employment + coalesce(s.uncounted_employment, 0) AS jobs
            FROM region_exposure AS x
            JOIN region_measure_sums AS s USING (level, region_id)
            JOIN measures AS m USING (measure)
            WHERE m.scale = 'unit' AND x.level IN (  -- the level and its reference level
                SELECT unnest([level, coalesce(reference_level, level)]) FROM levels
                WHERE level = ?)
        ),
        reference AS (
            SELECT x.measure, sum(x.substitutable_share * x.jobs ORDER BY x.region_id)
                / sum(x.jobs ORDER BY x.region_id) FILTER (
                    WHERE x.substitutable_share IS NOT NULL) AS share
            FROM shares AS x
            JOIN levels AS l ON x.level = coalesce(l.reference_level, l.level)
            WHERE l.level = ?
            GROUP BY x.measure
        )
        SELECT x.region_id, x.measure,
            coalesce(x.substitutable_share >= ? * r.share, false) AS above
        FROM shares AS x JOIN reference AS r USING (measure)
        WHERE x.level = ? ORDER BY x.measure, x.region_id""", [level, level, ratio, level]).df()
    return {measure: grids["above"] for measure, grids in by_region(
        frame, ids, ["above"], False).items()}
