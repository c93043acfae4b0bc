"""The pillar scores of every specification of a level (:mod:`atlas.engine.uncertainty`):
each pillar's weighted mean of its component scores under each specification's measure,
weights and inner mean, with the draws of missing scores, as percentiles within each row,
capped at the gate component where the gate applies.

The pillars of a large level run on threads of their own (:data:`PARALLEL_CELLS`): each
has its own buffers and its own stream of draws (:func:`draw_missing` starts one per call),
so the scores are the same values in whichever order the threads run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from atlas.engine.uncertainty_draws import Specifications, draw_missing
from atlas.engine.uncertainty_ranks import within_percentile
from atlas.spec.risk_model import Component, Pillar, RiskModel

PARALLEL_CELLS = 1_000_000  # specs x regions from which a level's pillars run on threads


def pillar_scores(model: RiskModel, scores: np.ndarray, specs: Specifications,
                  components: list[Component], gated: dict[str, np.ndarray] | None = None
                  ) -> tuple[list[np.ndarray], np.ndarray]:
    """The score ``(specs, regions)`` of each pillar with data and the pillar weights
    ``(specs, pillars)`` of those pillars.

    ``scores`` is ``(measures, regions, K)``: every spec reads its measure's scores. A
    pillar's mean is ``sum_k w_k p_k / sum_k w_k`` over the components k it has; its score
    is capped at the score of the pillar's gate component for the regions in
    ``gated[pillar]`` (as ``region_gates`` in ``risk_scores.sql``); in the specs marked
    ``inner_geometric`` the pillar ``inner_pillar`` is the weighted geometric mean
    ``exp(sum_k w_k ln p_k / sum_k w_k)`` instead; the specs of one
    measure share that measure's (small) filled scores and availability, so no
    ``(specs, regions, K)`` array is ever made.
    """
    available = (~np.isnan(scores)).astype(float)  # (M, R, K)
    filled = np.where(available > 0, scores, 0.0)
    by_measure = [np.flatnonzero(specs.measure == m) for m in range(scores.shape[0])]
    shape = (len(specs.measure), scores.shape[1])
    observed = available.any(axis=(0, 1))  # components with data at this level
    present = [index for index, pillar in enumerate(model.pillars)
               if (observed & [c.pillar == pillar.pillar for c in components]).any()]
    # a pillar without data is left out, as in SQL
    parallel = len(present) > 1 and shape[0] * shape[1] >= PARALLEL_CELLS

    def one(index: int, buffers: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return _pillar_score(model, model.pillars[index], scores, specs, components, gated,
                             (available, filled, observed, by_measure), buffers)

    if parallel:  # each pillar on its own thread with its own buffers (draw_missing
        # starts its own random stream per pillar: the values do not depend on the order)
        with ThreadPoolExecutor(max_workers=len(present)) as pool:
            scored = list(pool.map(lambda i: one(i, (np.empty(shape), np.empty(shape))),
                                   present))
    else:  # the pillars' means share two buffers where the percentiles are new arrays
        buffers = np.empty(shape), np.empty(shape)  # every row is written for each pillar
        scored = [one(index, buffers) for index in present]
    return scored, specs.pillar_weights[:, present]


def _pillar_score(model: RiskModel, pillar: Pillar, scores: np.ndarray,
                  specs: Specifications, components: list[Component],
                  gated: dict[str, np.ndarray] | None, level: tuple,
                  buffers: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The score ``(specs, regions)`` of one pillar (:func:`pillar_scores`); ``level`` is
    the availability, filled scores, observed components and rows per measure of the
    level, ``buffers`` two ``(specs, regions)`` arrays it may overwrite."""
    available, filled, observed, by_measure = level
    shape = (len(specs.measure), scores.shape[1])
    member = np.array([c.pillar == pillar.pillar for c in components], dtype=bool)
    w = specs.weights * member[None, :]
    numerator = buffers[0] if model.pillar_scale == "percentile" else np.empty(shape)
    denominator = buffers[1]
    logged = specs.inner_geometric if pillar.pillar == specs.inner_pillar else None
    for measure, rows in enumerate(by_measure):
        if len(rows):
            numerator[rows] = np.einsum("rk,sk->sr", filled[measure], w[rows])
            denominator[rows] = np.einsum("rk,sk->sr", available[measure], w[rows])
            inner = rows[logged[rows]] if logged is not None else rows[:0]
            if len(inner):  # the weighted geometric mean: exp(sum w log p / sum w)
                logs = np.log(np.maximum(filled[measure], 1e-300)) * available[measure]
                numerator[inner] = np.einsum("rk,sk->sr", logs, w[inner])
    draw_missing(specs, available, member & observed, w, by_measure, numerator,
                 denominator, logged)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(numerator, denominator, out=numerator)
    if logged is not None and logged.any():
        numerator[logged] = np.exp(numerator[logged])
    numerator[~(denominator > 0)] = np.nan
    mean = np.round(numerator, 12, out=numerator)
    score = within_percentile(mean, shared_rows=True) \
        if model.pillar_scale == "percentile" else mean
    capped = np.flatnonzero((gated or {}).get(pillar.pillar, np.zeros(0, dtype=bool)))
    if pillar.gate is not None and len(capped):
        k = [c.component for c in components].index(pillar.gate)
        for measure, rows in enumerate(by_measure):
            rows = rows if specs.gate is None else rows[specs.gate[rows]]
            if len(rows):  # only the capped regions' cells of these rows
                cells = np.ix_(rows, capped)
                score[cells] = np.minimum(score[cells], scores[measure][capped, k][None, :])
    return score
