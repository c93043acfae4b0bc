"""The programme mix: how each region's share of a transition fund splits among instruments.

For a region r of a level and an instrument i with weight w_i and terms t (see
:mod:`atlas.spec.programmes`)::

    fit_ri   = (prod_t s_rt)^(1/T)   s_rt: the term's percentile score within the level, 0..1
                                  (a component: the trap model's own score; an indicator:
                                  oriented by its direction and ranked like a component);
                                  a region without a value gets the level's median, 0.5;
                                  the geometric mean over the T terms keeps an instrument
                                  of two terms on the scale of one of one term
    share_ri = w_i fit_ri / sum_j w_j fit_rj     over the instruments available at the level

An instrument is available at a level when every one of its terms has data there (the US
areas have no informality, so no informal-economy support there, with that reason). The
range of a share comes from the uncertainty settings' Dirichlet draws of the instrument
weights (centred on the configured ones, ``[uncertainty] concentration``): p05 and p95 over
``draws`` draws, for the levels the rank uncertainty analyses.

Tables: ``programmes`` (the instruments and their rules in words), ``programme_levels``
(which instrument a level has, and why not), ``programme_mix`` (level, region, instrument:
fit, share and its range, a note).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.uncertainty import within_percentile
from atlas.spec.config_types import AtlasConfig, UncertaintyConfig
from atlas.spec.programmes import Programme, programmes
from atlas.store.cache_steps import cached_step
from atlas.store.database import analysed_levels, register_table

__all__ = ["compute_programmes", "level_mix", "mix_shares"]

NEUTRAL = 0.5  # a region without a term's value: the level's median


def mix_shares(fit: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Shares ``(..., regions, instruments)`` from fits ``(regions, instruments)`` and
    weights ``(..., instruments)``; every row sums to 1.

    Examples
    --------
    >>> mix_shares(np.array([[0.5, 0.25], [0.1, 0.1]]), np.array([1.0, 2.0])).round(3)
    array([[0.5  , 0.5  ],
           [0.333, 0.667]])
    """
    raw = fit * weights[..., None, :]
    total = raw.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(raw, total, out=raw)  # in place: no second (draws, regions, ...) array
    empty = ~(total > 0)  # no weight at all (or NaN): equal shares
    if empty.any():
        raw[np.broadcast_to(empty, raw.shape)] = 1.0 / raw.shape[-1]
    return raw


def _term_scores(level: str, programme: Programme, components: pd.DataFrame,
                 indicators: pd.DataFrame, regions: pd.Index) -> tuple[np.ndarray | None, str]:
    """``(regions, terms)`` scores of one instrument at one level, or None and the reason."""
    columns = []
    for term in programme.terms:
        if term.component:
            values = components.get(term.component)
            score = (values.reindex(regions).to_numpy(dtype=float) if values is not None
                     else np.full(len(regions), np.nan))
        else:
            values = indicators.get(term.indicator)
            raw = (values.reindex(regions).to_numpy(dtype=float) if values is not None
                   else np.full(len(regions), np.nan))
            score = within_percentile(raw if term.direction == "higher" else -raw)
        if np.isnan(score).all():
            return None, f"no {term.name} at this level"
        columns.append(score)
    return np.column_stack(columns), ""


def level_mix(level: str, regions: pd.Index, instruments: list[Programme],
              components: pd.DataFrame, indicators: pd.DataFrame, settings: UncertaintyConfig,
              ranges: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mix of one level's regions, and which instruments the level has."""
    available, fits, notes, status = [], [], [], []
    for programme in instruments:
        scores, reason = _term_scores(level, programme, components, indicators, regions)
        status.append({"level": level, "programme": programme.name,
                       "available": scores is not None, "reason": reason or None})
        if scores is None:
            continue
        missing = np.isnan(scores)
        fits.append(np.where(missing, NEUTRAL, scores).prod(axis=1) ** (1 / scores.shape[1]))
        notes.append([", ".join(t.name for t, gap in zip(programme.terms, row, strict=True)
                                if gap) for row in missing])
        available.append(programme)
    if not available:
        return pd.DataFrame(), pd.DataFrame(status)
    fit = np.column_stack(fits)
    weights = np.array([p.weight for p in available])
    shares = mix_shares(fit, weights)
    low = high = np.full(shares.shape, np.nan)
    if ranges and settings.draws > 0 and len(available) > 1:
        rng = np.random.default_rng(settings.seed)
        alpha = np.maximum(settings.concentration * weights / weights.sum(), 1e-3)
        drawn = mix_shares(fit, rng.dirichlet(alpha, settings.draws))  # (D, R, I)
        low, high = np.percentile(drawn, [5, 95], axis=0, method="inverted_cdf")
    rows = pd.DataFrame({
        "level": level,
        "region_id": np.repeat(regions.to_numpy(), len(available)),
        "programme": np.tile([p.name for p in available], len(regions)),
        "fit": fit.ravel(), "share": shares.ravel(),
        "share_p05": low.ravel(), "share_p95": high.ravel(),
        "note": [f"no value for {n}: the level's median used" if n else None
                 for row in zip(*notes, strict=True) for n in row],
    })
    return rows, pd.DataFrame(status)


def programme_rows(instruments: list[Programme], labels: dict[str, str]) -> pd.DataFrame:
    """The ``programmes`` table: one row per instrument with its rule in words."""
    return pd.DataFrame([{
        "programme": p.name, "position": i + 1, "label": p.label, "label_zh": p.label_zh,
        "purpose": p.purpose, "weight": p.weight, "rule": p.rule_text(labels),
        "terms": [t.name for t in p.terms]} for i, p in enumerate(instruments)],
        columns=["programme", "position", "label", "label_zh", "purpose", "weight", "rule",
                 "terms"])


def compute_programmes(con: duckdb.DuckDBPyConnection, config: AtlasConfig) -> None:
    """Write ``programmes``, ``programme_levels`` and ``programme_mix`` for every ranked
    level (ranges for the levels the rank uncertainty analyses): what they read is put in
    temp tables (``programme_*_in``), from which :func:`programme_tables` computes them."""
    instruments = programmes(config)
    # only the components and indicators the instruments' terms name (a view of every
    # indicator of every level is ~170,000 rows; the others are never read)
    used = sorted({t.component for p in instruments for t in p.terms if t.component})
    named = sorted({t.indicator for p in instruments for t in p.terms if not t.component})
    for name, query, values in (
            ("labels", "SELECT component, string_agg(DISTINCT label, ' or ' ORDER BY label) "
                       "AS label FROM region_components GROUP BY component", []),
            ("components", "SELECT level, region_id, component, score FROM region_components "
                           "WHERE list_contains(?::VARCHAR[], component)", [used]),
            ("indicators", "SELECT level, region_id, indicator, value FROM "
                           "region_indicator_values WHERE list_contains(?::VARCHAR[], "
                           "indicator)", [named]),
            ("ranked", "SELECT level, region_id FROM region_risk WHERE collapse_risk IS NOT "
                       "NULL", [])):
        con.execute(f"CREATE OR REPLACE TEMP TABLE programme_{name}_in AS {query}", values)
    try:
        programme_tables(con, instruments, config.uncertainty)
    finally:
        for name in ("labels", "components", "indicators", "ranked"):
            con.execute(f"DROP TABLE IF EXISTS programme_{name}_in")


@cached_step("programmes", reads=("programme_labels_in", "programme_components_in",
                                  "programme_indicators_in", "programme_ranked_in", "levels"),
             writes=("programme_mix", "programme_levels", "programmes"))
def programme_tables(con: duckdb.DuckDBPyConnection, instruments: list[Programme],
                     settings: UncertaintyConfig) -> None:
    """The tables of :func:`compute_programmes` from its temp tables: a cached step
    (:func:`atlas.store.cache_steps.cached_step`; no risk weight changes them)."""
    labels = dict(con.execute(  # a component may be named differently per level
        "SELECT component, label FROM programme_labels_in").fetchall())
    components = con.execute("SELECT * FROM programme_components_in").df()
    indicators = con.execute("SELECT * FROM programme_indicators_in").df()
    ranked = con.execute("SELECT level, region_id FROM programme_ranked_in "
                         "ORDER BY level, region_id").df()
    with_ranges = set(analysed_levels(con, settings.periods))
    mixes, statuses = [], []
    for level, group in ranked.groupby("level", sort=True):
        wide_c = components.loc[components["level"] == level].pivot_table(
            index="region_id", columns="component", values="score", aggfunc="first")
        wide_i = indicators.loc[indicators["level"] == level].pivot_table(
            index="region_id", columns="indicator", values="value", aggfunc="first")
        mix, status = level_mix(level, pd.Index(group["region_id"]), instruments, wide_c,
                                wide_i, settings, level in with_ranges)
        mixes.append(mix)
        statuses.append(status)
    columns = ["level", "region_id", "programme", "fit", "share", "share_p05", "share_p95",
               "note"]
    mix = pd.concat([m for m in mixes if len(m)], ignore_index=True) if any(
        len(m) for m in mixes) else pd.DataFrame(columns=columns)
    register_table(con, "programme_mix", mix[columns].astype({"note": object}))
    register_table(con, "programme_levels", pd.concat(statuses, ignore_index=True) if statuses
                   else pd.DataFrame(columns=["level", "programme", "available", "reason"]))
    register_table(con, "programmes", programme_rows(instruments, labels))
