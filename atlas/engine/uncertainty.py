"""How much does a region's rank depend on the choices behind collapse risk?

A specification is one exposure measure (which sets the AI-shock indicators), one
aggregation (geometric or arithmetic), one component left out (or none) and one weight vector
(the configured component and pillar weights, or a Dirichlet draw centred on them,
``w ~ Dirichlet(concentration * w_default)``). The specifications are the structural grid
(every measure x aggregation x omission, configured weights) plus ``draws`` joint random
draws of all four choices (the Monte Carlo practice of the JRC composite-indicator
guidelines). Every specification is ranked with NumPy,
with the same formulas as the SQL engine (``atlas.spec.risk_model``), so the default
specification reproduces ``risk_rank`` exactly. Per region: the median rank, a 90% rank
interval (5th-95th percentile), ``p_top_decile`` and ``p_trap`` (top decile with every pillar
at least ``trap_min_pillar`` and, with ``trap_min_shock_ratio``, the absolute shock);
``flag_robust_trap`` = ``p_trap >= robust_share`` and not ``flag_low_confidence``. In the
joint random draws, a region's missing component scores are drawn from the level's
distribution (:func:`draw_missing`). With ``[uncertainty.choices]`` varied, a full factorial
block of the structural choices that change the indicators or the absorption pillar follows
(:mod:`atlas.engine.uncertainty_choices`), with the first-order sensitivity of each level's
top decile to each choice (``rank_sensitivity``). Ranks are within each rank group of a level
(``rank_group`` in ``levels.toml``; one group without it).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.uncertainty_choices import (
    Choices,
    choice_settings,
    factorial,
    first_order,
    level_variants,
    rank_group_table,
    rank_groups,
    variant_table,
)
from atlas.engine.uncertainty_draws import Specifications
from atlas.engine.uncertainty_inputs import (
    MEASURE_INDICATORS,
    LevelInputs,
    level_inputs,
    unit_exposure,
)
from atlas.engine.uncertainty_pillars import pillar_scores
from atlas.engine.uncertainty_ranks import (
    rank_counts,
    rank_order,
    rank_quantiles,
    within_percentile,
)
from atlas.spec.config_types import AtlasConfig, FlagsConfig, UncertaintyConfig
from atlas.spec.risk_model import Component, RiskModel, active_model
from atlas.store.blas import one_blas_thread
from atlas.store.database import analysed_levels, register_table, table_exists
from atlas.store.memory import small_pages

WORKERS = min(2, os.cpu_count() or 1)  # levels ranked at once: NumPy releases the GIL
SPEC_ROWS = 1024  # specifications aggregated and ranked at a time


def aggregate(pillars: list[np.ndarray], weights: np.ndarray,
              geometric: np.ndarray) -> np.ndarray:
    """Collapse risk ``(specs, regions)`` from each pillar's scores ``(specs, regions)`` and
    the pillar weights ``(specs, pillars)``: the weighted geometric mean in the rows where
    ``geometric`` is true, the weighted arithmetic mean in the others; NaN where a region
    lacks a pillar (a missing score makes its term, and so the sum, NaN, even at weight 0).

    The arithmetic rows and the geometric rows are each taken out once per pillar and their
    weighted terms added pillar by pillar into one array (the order of a sum over the
    pillar axis, the same operations on every value as before), so no ``(specs, regions,
    pillars)`` array is made and no logarithm is taken for an arithmetic row.
    """
    total = weights.sum(axis=1)[:, None]
    risk = np.empty(pillars[0].shape)
    for rows, logged in ((np.flatnonzero(~geometric), False),
                         (np.flatnonzero(geometric), True)):
        if not len(rows):
            continue
        summed = np.zeros((len(rows), risk.shape[1]))
        for p, score in enumerate(pillars):
            term = score[rows]
            if logged:
                np.log(np.maximum(term, 1e-300, out=term), out=term)
            term *= weights[rows, p, None]
            summed += term
        summed /= total[rows]
        if logged:
            np.exp(summed, out=summed)
        risk[rows] = summed
    return np.round(risk, 12, out=risk)


def component_scores(inputs: LevelInputs, measure: str | tuple | None) -> np.ndarray:
    """``(regions, components)`` component scores under one measure, or one variant
    ``(measure, rule, shelter, uncounted)`` (its indicators, the measure's others)."""
    return stacked_scores(inputs, [measure])[0]


def stacked_scores(inputs: LevelInputs, measures: list) -> np.ndarray:
    """``(measures, regions, components)``: :func:`component_scores` of every measure or
    variant of ``measures``, the percentiles of all of them in one call per transform
    (a row per measure and component)."""
    missing = np.full(len(inputs.region_ids), np.nan)
    rows, transforms = [], []
    for key in measures:
        variant = (inputs.variants or {}).get(key, {}) if isinstance(key, tuple) else {}
        measure = key[0] if isinstance(key, tuple) else key
        for component in inputs.components:
            dependent = measure is not None and component.indicator in MEASURE_INDICATORS
            source = variant if component.indicator in variant else \
                inputs.by_measure[measure] if dependent else inputs.static
            values = source.get(component.indicator, missing)
            rows.append(values if component.direction == "higher" else -values)
            transforms.append(component.transform)
    shape = (len(measures), len(inputs.components), len(inputs.region_ids))
    if not rows:
        return np.empty((shape[0], shape[2], 0))
    values, out = np.vstack(rows), np.empty((len(rows), shape[2]))
    kinds = np.array(transforms)
    for transform in dict.fromkeys(transforms):
        out[kinds == transform] = within_percentile(values[kinds == transform], transform)
    return out.reshape(shape).transpose(0, 2, 1)


def specifications(model: RiskModel, components: list[Component], measures: int,
                   settings: UncertaintyConfig) -> Specifications:
    """The structural grid with the configured weights (every measure x aggregation x
    omission: none or one component), then ``draws`` joint random draws of all choices
    (measure and aggregation uniform, omission uniform over none and each component, and
    Dirichlet weights). Spec 0 is the configured model under the first measure."""
    rng = np.random.default_rng(settings.seed)
    base = np.array([c.weight for c in components], dtype=float)
    pillar_base = np.array([p.weight for p in model.pillars], dtype=float)
    aggregations = [model.aggregation] + [a for a in settings.aggregations
                                          if a != model.aggregation]
    omissions = [-1] + (list(range(len(components))) if settings.leave_one_out else [])
    grid = [(m, a, o) for m in range(measures) for a in aggregations for o in omissions]
    draws = settings.draws
    measure = [m for m, _, _ in grid] + list(rng.integers(0, measures, draws))
    how = [a for _, a, _ in grid] + list(rng.choice(aggregations, draws))
    omitted = [o for _, _, o in grid] + list(rng.choice(omissions, draws))
    alpha = np.maximum(settings.concentration * base / base.sum(), 1e-3)
    weights = np.vstack([np.tile(base, (len(grid), 1)),
                         rng.dirichlet(alpha, draws) * base.sum()])
    pillar_alpha = np.maximum(settings.concentration * pillar_base / pillar_base.sum(), 1e-3)
    pillar_weights = np.vstack([np.tile(pillar_base, (len(grid), 1)),
                                rng.dirichlet(pillar_alpha, draws) * pillar_base.sum()
                                if len(pillar_base) > 1 else np.tile(pillar_base, (draws, 1))])
    for row, index in enumerate(omitted):
        if index >= 0:
            weights[row, index] = 0.0
    return Specifications(np.array(measure), np.array(how) == "geometric", weights,
                          pillar_weights, np.arange(len(measure)) >= len(grid),
                          int(settings.seed) + 1)


def specification_risk(model: RiskModel, scores: np.ndarray, specs: Specifications,
                       components: list[Component],
                       gated: dict[str, np.ndarray] | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Collapse risk ``(specs, regions)`` and the minimum pillar score per spec and region
    (:func:`pillar_scores`, each spec aggregated its own way)."""
    pillars, weights = pillar_scores(model, scores, specs, components, gated)
    return aggregate(pillars, weights, specs.geometric), lowest_pillar(pillars, weights)


def lowest_pillar(pillars: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The minimum score ``(specs, regions)`` over the pillars of positive weight (NaN
    propagates, as a min over the pillars)."""
    lowest = np.full(pillars[0].shape, np.inf)
    for p, score in enumerate(pillars):
        np.minimum(lowest, score, out=lowest, where=weights[:, p, None] > 0)
    return lowest


def level_uncertainty(inputs: LevelInputs, model: RiskModel, settings: UncertaintyConfig,
                      trap: FlagsConfig, choices: Choices | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank distribution of one level's regions over every specification, and the
    first-order sensitivity of its top decile to each structural choice (empty without a
    factorial block: ``choices`` None or every choice at one value)."""
    measures = sorted(inputs.by_measure, key=lambda m: (m != inputs.default_measure, m)) \
        or [None]
    variants = sorted(inputs.variants or {}, key=str)
    scores = stacked_scores(inputs, [*measures, *variants])
    specs = specifications(model, inputs.components, len(measures), settings)
    if choices is not None and choices.varied:
        aggregations = [model.aggregation] + [a for a in settings.aggregations
                                              if a != model.aggregation]
        specs = specs.joined(factorial(model, inputs.components, measures, variants,
                                       aggregations, choices, settings))
    pillars, weights = pillar_scores(model, scores, specs, inputs.components, inputs.gated)
    group = np.zeros(len(inputs.region_ids), np.int64) if inputs.groups is None else \
        np.unique(inputs.groups, return_inverse=True)[1]
    above = None
    if float(trap.trap_min_shock_ratio) > 0 and inputs.shock_floor is not None:
        everyone = np.ones(len(inputs.region_ids), dtype=bool)  # a measure without shares
        above = np.stack([inputs.shock_floor.get(inputs.default_measure if m is None else m,
                                                 everyone)
                          for m in [*measures, *(v[0] for v in variants)]])  # (M + V, R)
    count, width = len(specs), len(inputs.region_ids)
    in_top = np.empty((count, width), dtype=bool)
    trapped = np.zeros(width, dtype=np.int64)
    counts = np.zeros((width, width + 1), dtype=np.int64)  # per region, how often each rank
    for start in range(0, count, SPEC_ROWS):  # blocks of specs: small temporaries
        rows = slice(start, min(count, start + SPEC_ROWS))
        block = [score[rows] for score in pillars]
        risk = aggregate(block, weights[rows], specs.geometric[rows])
        rank = rank_order(risk, inputs.size, inputs.region_ids, inputs.groups)
        counts = rank_counts(rank, width + 1, counts)
        low = np.where(np.isnan(risk), -np.inf, lowest_pillar(block, weights[rows]))
        ranked = np.stack([np.isfinite(low[:, group == g]).sum(axis=1)
                           for g in range(group.max(initial=0) + 1)], axis=1)[:, group]
        cut = np.ceil(trap.trap_top_share * ranked)
        top = in_top[rows]
        np.logical_and(rank <= cut, np.isfinite(low), out=top)
        is_trap = top & (low >= trap.trap_min_pillar) & (ranked >= trap.min_regions)
        if above is not None:
            is_trap &= above[specs.measure[rows]]
        trapped += is_trap.sum(axis=0)
    sensitivity = first_order(in_top, specs.factors) if specs.factors else pd.DataFrame(
        columns=["choice", "n_values", "first_order"])
    median, (p05, p95) = rank_quantiles(None, (5.0, 95.0), counts, count)
    return pd.DataFrame({
        "region_id": inputs.region_ids,
        "median_rank": median,
        "rank_p05": p05,
        "rank_p95": p95,
        "p_top_decile": in_top.mean(axis=0),
        "p_trap": trapped / count,  # the mean of 0/1 values: a whole count over the specs
        "n_specs": count,
    }), sensitivity.assign(n_specs=int((next(iter((specs.factors or {}).values()), np.empty(0))
                                        >= 0).sum()))


def _variants(cursor: duckdb.DuckDBPyConnection, levels: list[str], measures: list[str],
              choices: Choices) -> pd.DataFrame:
    """:func:`variant_table` on ``cursor`` (a connection of its own), closed afterwards."""
    try:
        return variant_table(cursor, levels, measures, choices)
    finally:
        cursor.close()


def compute_rank_uncertainty(con: duckdb.DuckDBPyConnection, config: AtlasConfig) -> None:
    """Write ``rank_uncertainty`` (read by the ``region_indices`` view)."""
    model = active_model(config)
    settings = config.uncertainty
    present = dict(con.execute("SELECT level, count(*) FROM region_base GROUP BY level"
                               ).fetchall())  # regions per level
    levels = [level for level in analysed_levels(con, settings.periods) if level in present]
    frames, tables = [], []
    exposure = unit_exposure(con)
    choices = choice_settings(config)
    measures = sorted(exposure["measure"].unique()) if choices.varied else []  # no Arrow iteration
    groups = rank_group_table(con)
    jobs, variants = {}, None
    with small_pages(), one_blas_thread(), ThreadPoolExecutor(max_workers=WORKERS) as pool:
        # the variant indicators on a second connection (its own temp tables) while this
        # thread reads the largest level's inputs; each level is ranked as soon as its
        # inputs are read (the largest first, so that one thread ranks it while this
        # thread reads the others and the second thread ranks them)
        pending = pool.submit(_variants, con.cursor(), levels, measures, choices)
        for level in sorted(levels, key=lambda name: -present[name]):
            inputs = level_inputs(con, level, model, config.exposure.default_measure,
                                  exposure, config.flags.trap_min_shock_ratio)
            if not inputs.components:
                continue
            variants = pending.result() if variants is None else variants
            inputs.variants = {key: values for key, values in level_variants(
                variants, level, inputs.region_ids, choices).items()
                if key[0] in inputs.by_measure}
            inputs.groups = rank_groups(groups, level, inputs.region_ids)
            jobs[level] = pool.submit(level_uncertainty, inputs, model, settings,
                                      config.flags, choices)
        pending.result()  # its errors, also when no level has components
        # a place with missing components or thin data is never a robust trap
        low = con.execute("SELECT level, region_id FROM region_flags WHERE "
                          "flag_low_confidence").df() if table_exists(
            con, "region_flags") else pd.DataFrame(columns=["level", "region_id"])
        for level in [level for level in levels if level in jobs]:  # in the levels' order
            frame, sensitivity = jobs[level].result()
            frames.append(frame.assign(level=level))
            tables.append(sensitivity.assign(level=level))
    sensitivity = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    register_table(con, "rank_sensitivity", sensitivity.reindex(
        columns=["level", "choice", "n_values", "first_order", "n_specs"]).astype(
        {"level": str, "choice": str, "n_values": "int64", "first_order": float,
         "n_specs": "int64"}))
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["level", "region_id", "median_rank", "rank_p05", "rank_p95", "p_top_decile",
                 "p_trap", "n_specs"])
    def keys(frame: pd.DataFrame) -> pd.Series:  # level and region as one string
        return frame["level"].astype(str) + "\x1f" + frame["region_id"].astype(str)

    doubtful = keys(result).isin(keys(low)).to_numpy(bool) if len(result) else []
    result["flag_robust_trap"] = (result["p_trap"].astype(float) >= settings.robust_share) \
        & ~np.asarray(doubtful, dtype=bool)
    register_table(con, "rank_uncertainty", result[
        ["level", "region_id", "median_rank", "rank_p05", "rank_p95", "p_top_decile", "p_trap",
         "n_specs", "flag_robust_trap"]])
