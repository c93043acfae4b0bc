"""The risk step of every model at once, vectorised over regions (NumPy, pandas, Arrow).

What ``atlas/engine/sql/risk_scores.sql`` computes for one model, for every model in one pass:

- the component scores: the mid-rank percentile (or ``percent_rank``) of every oriented
  indicator value within its level. A score depends on the level, the indicator, its
  direction and its transform, not on the model, so models that share a component share
  its scores: one sort of all (scoring, value) pairs ranks them all;
- the pillar means (weighted means of the component scores, rounded to 12 decimals) and the
  pillar scores (their mid-rank percentile within the level and pillar), capped at the gate
  score where a pillar's gate component is on the safe side of the level's reference change
  (the reference, an ordered sum, comes from ``risk_vector_gates.sql``: the same bits);
- the collapse risk (geometric or arithmetic mean of the pillar scores), the pillar minimum,
  the missing components, the rank and the count of ranked regions of every level, and
  both again within the level's rank groups (``rank_group`` of ``levels.toml``).

:func:`compute_model_risk` writes ``region_components``, ``region_gates``,
``region_pillars`` and ``region_risk`` of the model in use and ``risk_model_scores`` and
``risk_model_components`` of every model, each once, through Arrow, as temporary tables or
straight into the database file (:mod:`atlas.engine.risk_tables`). The
SQL file stays the readable reference (``compute_risk(..., risk_method="sql")``); a test
checks that both give the same tables, on the real atlas and on a gated synthetic case.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from atlas.engine.risk_tables import RiskCodes, write_risk_tables
from atlas.engine.sql import run_sql_file, sql_text
from atlas.store.database import table_exists

DECIMALS = 12  # as risk_scores.sql: values rounded so that equal sums in any order tie
TINY = 1e-300  # the geometric mean's floor of a pillar score


def duck_round(values: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """DuckDB's ``round(x, decimals)`` of doubles: ``std::round(x * 10^d) / 10^d`` (halves
    away from zero)."""
    modifier = 10.0 ** decimals
    scaled = values * modifier
    whole = np.trunc(scaled)
    with np.errstate(invalid="ignore"):  # infinities stay themselves below
        half = np.abs(scaled - whole) >= 0.5  # exact: a double minus its integer part
    rounded = (whole + np.where(half, np.sign(scaled), 0.0)) / modifier
    return np.where(np.isfinite(rounded), rounded, values)


def mid_ranks(groups: np.ndarray, values: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Within each group, ``((rank - 1) / n + cume_dist) / 2`` (mid-rank percentile), or
    ``(rank - 1) / (n - 1)`` where ``transform`` is ``percent_rank``; one sort for all groups.

    Parameters
    ----------
    groups : ndarray of int
        The group of every value.
    values : ndarray of float
        Finite values, ranked ascending within their group (ties share their rank).
    transform : ndarray of bool
        True where the group's score is ``percent_rank``.
    """
    n = len(values)
    if n == 0:
        return np.empty(0)
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])  # where each group starts
    runs = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (v[1:] != v[:-1])])  # tied runs
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    run_of = np.repeat(np.arange(len(runs)), np.diff(np.r_[runs, n]))
    size = np.diff(np.r_[starts, n])[group_of].astype(float)
    below = (runs[run_of] - starts[group_of]).astype(float)  # rank - 1
    at_most = (np.r_[runs[1:], n][run_of] - starts[group_of]).astype(float)  # cume_dist * n
    mid = (below / size + at_most / size) / 2
    percent = np.where(size > 1, below / np.maximum(size - 1, 1), 0.0)
    out = np.empty(n)
    out[order] = np.where(transform[order], percent, mid)
    return out


def _grouped(keys: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (sorted) and each row's position among them, as ``np.unique``
    gives them; keys in ``[0, span)`` are counted in a table of ``span`` flags instead of
    sorted, where that table is not much larger than the keys."""
    if span > 8 * len(keys) + 4096:
        return np.unique(keys, return_inverse=True)
    seen = np.zeros(span, dtype=bool)
    seen[keys] = True
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[keys]


def _first_rows(at: np.ndarray, distinct: int) -> np.ndarray:
    """For each of ``distinct`` positions, a row with that position in ``at`` (the first
    where NumPy writes repeated indices in order; the rows of a position share their value,
    level, indicator, direction and transform, so any one of them gives the same score)."""
    first = np.empty(distinct, dtype=np.int64)
    rows = np.arange(len(at) - 1, -1, -1)
    first[at[rows]] = rows  # written last to first: the first row's index stays
    return first


def _masked(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    return pa.array(values, mask=missing)


def write_rank_groups(con: duckdb.DuckDBPyConnection, grouped: bool = True) -> None:
    """``region_rank_groups`` (temp): the group each region of a level with a ``rank_group``
    declaration is ranked within (``risk_rank_groups.sql``); empty without any, or when not
    ``grouped`` (``flags.rank_within_groups`` false: every level ranked as a whole)."""
    columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'levels'").fetchall()}
    if grouped and "rank_group" in columns and table_exists(con, "region_attributes"):
        run_sql_file(con, "risk_rank_groups.sql")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE region_rank_groups (level VARCHAR, "
                    "region_id VARCHAR, rank_group VARCHAR)")


def compute_model_risk(con: duckdb.DuckDBPyConnection, models: list[str],
                       grouped: bool = True, schema: str = "temp") -> None:
    """Every model's risk step, vectorised; the last of ``models`` is the model in use.

    Writes the tables ``region_components``, ``region_gates``, ``region_pillars``,
    ``region_risk`` (the model in use, with the columns of ``risk_scores.sql``),
    ``risk_model_scores`` and ``risk_model_components`` (every model), each once, from Arrow
    arrays with the names as dictionaries (:mod:`atlas.engine.risk_tables`), into ``schema``:
    ``temp`` (a re-specification) or ``main`` (a build: straight into the file);
    ``grouped``: rank within the levels' rank groups (:func:`write_rank_groups`).
    """
    write_rank_groups(con, grouped)
    run_sql_file(con, "risk_vector_inputs.sql", risk_models=models)
    regions = con.execute("SELECT level_code, group_code, total_employment, level, region_id, "
                          "rank_group FROM risk_v_regions ORDER BY r").to_arrow_table()
    level_code = regions.column("level_code").to_numpy().astype(np.int64)
    group_code = regions.column("group_code").to_numpy().astype(np.int64)
    employment = regions.column("total_employment").to_numpy(zero_copy_only=False
                                                             ).astype(float)
    n_regions, n_levels = len(level_code), int(level_code.max(initial=-1)) + 1
    levels = dict(con.execute("SELECT DISTINCT level, level_code FROM risk_v_regions"
                              ).fetchall())
    comps = con.execute("SELECT k, model_code, model, level, component, label, indicator, "
                        "direction, transform, weight, pillar FROM risk_v_components "
                        "ORDER BY k").df()
    pills = con.execute("SELECT mp, model_code, model, pillar, label, weight, aggregation, "
                        "pillar_scale "
                        "FROM risk_v_pillars ORDER BY mp").df()
    found = con.execute(sql_text("risk_vector_values.sql").replace(
        "{indicator_values}", _indicator_values(con, set(comps["indicator"])))).fetchnumpy()
    k, r = np.asarray(found["k"], np.int64), np.asarray(found["r"], np.int64)
    value = np.asarray(found["value"], float)

    # Component scores: one per scoring (level, indicator, direction, transform) and region.
    scoring = comps.groupby(["level", "indicator", "direction", "transform"],
                            sort=False).ngroup().to_numpy()
    higher = (comps["direction"] == "higher").to_numpy()
    percent = (comps["transform"] == "percent_rank").to_numpy()
    pairs, inverse = _grouped(scoring[k] * n_regions + r,
                              (int(scoring.max(initial=-1)) + 1) * n_regions)
    first = _first_rows(inverse, len(pairs))
    kk = k[first]
    oriented = duck_round(np.where(higher[kk], value[first], -value[first]))
    score = mid_ranks(scoring[kk], oriented, percent[kk])[inverse]

    # Pillars: weighted means of the weighted components, then their percentile.
    pillar_of = {(m, p): i for i, m, p in pills[["mp", "model_code", "pillar"]].itertuples(
        index=False)}
    mp_of_k = np.array([pillar_of.get((m, p), -1) for m, p in zip(
        comps["model_code"], comps["pillar"], strict=True)], dtype=np.int64)
    pillar_weight = pills["weight"].to_numpy(float)
    weight = comps["weight"].to_numpy(float)[k]
    mp = mp_of_k[k]
    used = (weight > 0) & (mp >= 0)
    used[used] = pillar_weight[mp[used]] > 0
    keys, at = _grouped(mp[used] * n_regions + r[used],
                        (int(mp.max(initial=-1)) + 1) * n_regions)
    counted = np.bincount(at)
    mean = duck_round(np.bincount(at, weights=weight[used] * score[used])
                      / np.bincount(at, weights=weight[used]))
    p_mp, p_r = keys // n_regions, keys % n_regions
    by_level = p_mp * max(n_levels, 1) + level_code[p_r]
    ranked_mean = mid_ranks(by_level, mean, np.zeros(len(mean), dtype=bool))
    pillar_score = np.where(pills["pillar_scale"].to_numpy()[p_mp] == "percentile",
                            ranked_mean, mean)
    gate_rows = _gate_caps(con, len(comps), higher, k, r, value, score, keys, pillar_score,
                           n_regions)

    # Collapse risk of every model and region.
    p_model = pills["model_code"].to_numpy(np.int64)[p_mp]
    cells, of = _grouped(p_model * n_regions + p_r,
                         (int(p_model.max(initial=-1)) + 1) * n_regions)
    w = pillar_weight[p_mp]
    order = np.argsort(of, kind="stable")
    starts = np.flatnonzero(np.r_[True, of[order][1:] != of[order][:-1]]) if len(of) else \
        np.empty(0, np.int64)
    lowest = np.minimum.reduceat(pillar_score[order], starts) if len(of) else np.empty(0)
    geometric = (pills["aggregation"].to_numpy() == "geometric")[p_mp[order][starts]] \
        if len(of) else np.empty(0, bool)
    wsum = np.bincount(of, weights=w)
    risk = np.where(geometric, np.exp(np.bincount(
        of, weights=w * np.log(np.maximum(pillar_score, TINY))) / wsum),
        np.bincount(of, weights=w * pillar_score) / wsum)
    total = len(models) * n_regions
    cell_model, cell_r = np.arange(total) // n_regions, np.arange(total) % n_regions
    cell_level = cell_model * max(n_levels, 1) + level_code[cell_r]
    n_pillars, full_risk, full_min, full_parts = (np.zeros(total, np.int64),
                                                  np.full(total, np.nan),
                                                  np.full(total, np.nan),
                                                  np.zeros(total, np.int64))
    n_pillars[cells] = np.bincount(of)
    full_risk[cells], full_min[cells] = risk, lowest
    full_parts[cells] = np.bincount(of, weights=counted).astype(np.int64)
    span = max(n_levels, 1)
    present = np.unique(by_level)  # the (pillar, level) pairs some region has
    needed = np.bincount(pills["model_code"].to_numpy(np.int64)[present // span] * span
                         + present % span, minlength=len(models) * span)
    weighted = comps.loc[(comps["weight"] > 0) & comps["level"].isin(levels)]
    expected = np.bincount(weighted["model_code"].to_numpy(np.int64) * max(n_levels, 1)
                           + weighted["level"].map(levels).to_numpy(np.int64),
                           minlength=len(models) * max(n_levels, 1))
    complete = (n_pillars > 0) & (n_pillars == needed[cell_level])
    collapse = np.where(complete, duck_round(full_risk), np.nan)
    rank, in_level = _ranks(collapse, employment[cell_r], cell_r, cell_level)
    n_groups = int(group_code.max(initial=-1)) + 1  # (level, rank group) pairs
    group_rank, in_group = _ranks(collapse, employment[cell_r], cell_r,
                                  cell_model * max(n_groups, 1) + group_code[cell_r])

    risk_rows = {
        "model_code": cell_model, "r": cell_r,
        "collapse_risk": _masked(collapse, ~complete),
        "min_pillar": _masked(np.where(complete, full_min, 0.0), ~complete),
        "missing_components": expected[cell_level] - full_parts,
        "risk_rank": _masked(rank, ~complete), "regions_in_level": in_level,
        "group_rank": _masked(group_rank, ~complete), "regions_in_group": in_group}
    try:
        write_risk_tables(
            con, schema, RiskCodes(regions, level_code, comps, pills, models),
            {"k": k, "r": r, "value": value, "score": score},
            {"mp": p_mp, "r": p_r, "components": counted.astype(np.int64),
             "pillar_mean": mean, "pillar_score": pillar_score}, gate_rows, risk_rows)
    finally:
        for name in ("risk_v_regions", "risk_v_components", "risk_v_pillars"):
            con.execute(f"DROP TABLE IF EXISTS {name}")


def _indicator_values(con: duckdb.DuckDBPyConnection, indicators: set[str]) -> str:
    """``region_indicator_values`` (the view of ``region_indicator_values.sql``) with only the
    columns of ``region_base`` among ``indicators`` unpivoted (the same rows for those
    indicators)."""
    standard = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = "
                           "'region_indicator_values'").fetchone()[0]
    if not standard:  # a table of its own (tests): use it as it is
        return "SELECT level, region_id, indicator, value FROM region_indicator_values"
    found = con.execute("SELECT * FROM region_base LIMIT 0").description
    columns = [c for c, *_ in found
               if c in indicators and c not in ("level", "region_id", "exposure_measure")]
    context = "SELECT level, region_id, indicator, value FROM region_context"
    if not columns:
        return context
    listed = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    return (f"SELECT level, region_id, indicator, value FROM (UNPIVOT (SELECT level, "
            f"region_id, {listed} FROM region_base) ON {listed} INTO NAME indicator "
            f"VALUE value) UNION ALL {context}")


def _gate_caps(con: duckdb.DuckDBPyConnection, n_components: int, higher: np.ndarray,
               k: np.ndarray, r: np.ndarray, value: np.ndarray, score: np.ndarray,
               pillar_keys: np.ndarray, pillar_score: np.ndarray, n_regions: int) -> pa.Table:
    """The gates of every model (``risk_scores.sql``'s ``region_gates``): each region's row of
    a gate component, gated where its value is on the safe side of the level's reference
    change (``risk_vector_gates.sql``; none gated without a reference). Caps the gated
    regions' ``pillar_score`` (rows ``pillar_keys`` = mp * n_regions + r, sorted) at their
    gate score, in place; returns the rows (k, r, mp, gate_score, reference_change, gated)."""
    con.execute(sql_text("gate_references.sql"))
    gates = con.execute(sql_text("risk_vector_gates.sql")).df()
    gate_mp = np.full(n_components, -1, np.int64)
    reference = np.full(n_components, np.nan)
    has_reference = np.zeros(n_components, bool)
    at = gates["k"].to_numpy(np.int64)
    gate_mp[at] = gates["mp"].to_numpy(np.int64)
    reference[at] = gates["reference_change"].to_numpy(float, na_value=np.nan)
    has_reference[at] = gates["reference_change"].notna().to_numpy()
    rows = gate_mp[k] >= 0
    gk, gr, gate_value, gate_score = k[rows], r[rows], value[rows], score[rows]
    ref = reference[gk]
    with np.errstate(invalid="ignore"):  # no reference: NaN compares False, not gated
        gated = has_reference[gk] & np.where(higher[gk], gate_value < ref, gate_value > ref)
    keys = gate_mp[gk] * n_regions + gr
    pos = np.searchsorted(pillar_keys, keys)
    found = pos < len(pillar_keys)
    found[found] = pillar_keys[pos[found]] == keys[found]
    capped = found & gated  # a gated region's pillar score (if it has one), at most its gate's
    pillar_score[pos[capped]] = np.minimum(pillar_score[pos[capped]], gate_score[capped])
    return pa.table({"k": gk, "r": gr, "mp": gate_mp[gk], "gate_score": gate_score,
                     "reference_change": _masked(np.where(has_reference[gk], ref, 0.0),
                                                 ~has_reference[gk]),
                     "gated": gated})


def _ranks(collapse: np.ndarray, employment: np.ndarray, region: np.ndarray,
           group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank 1.. within each group by collapse risk (descending), jobs (descending, missing
    last) and region number (ascending), of the cells with a risk; and each cell's count of
    ranked cells in its group."""
    risk_key = np.where(np.isnan(collapse), np.inf, -collapse)
    jobs_key = np.where(np.isnan(employment), np.inf, -employment)
    order = np.lexsort((region, jobs_key, risk_key, group))
    ranked = ~np.isnan(collapse)
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.empty(0, np.int64)
    position = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    rank = np.zeros(len(g), np.int64)
    rank[order] = position + 1  # the ranked cells come first in their group
    counts = np.bincount(group[ranked], minlength=int(group.max(initial=-1)) + 1)
    return rank, counts[group] if len(group) else np.zeros(0, np.int64)
