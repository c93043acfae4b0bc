"""The AI-shock indicators of every structural variant (``uncertainty_choices``): the jobs
of every diversity group weighted by the facts of every measure and threshold, then each
region's share and excess.

A variant is (measure m, threshold t, rule, shelter, uncounted). For a (level, region r,
diversity group g) cell under (m, t) (the categories i of g in r with a row of facts under
(m, t) in ``uncertainty_variant_facts.sql``: ``e_i`` their jobs, ``x_i`` the
substitutable share (rule 'substitutable': at today's threshold from exposure_scores, at
another t from category_substitutable_variants), ``s_i`` the score (rule 'continuous':
today's threshold only) and ``p_i`` the sheltered share: the larger of 1 for a listed
category ([exposure.sheltered]) and its publicly funded share from data; 0 with sheltering
off)::

    sub_on   = sum_i e_i x_i (1 - p_i)    sub_off   = sum_i e_i x_i
    score_on = sum_i e_i s_i (1 - p_i)    score_off = sum_i e_i s_i
    scored_sub = sum_(i: x_i known) e_i   scored_score = sum_(i: s_i known) e_i

missing terms skipped and a sum without any known term missing, as SQL adds. With E the
region's jobs, U its uncounted workers and ^ref the same summed over the level's reference
level, per region (X_g the group sum of the variant's statistic and shelter):

    share  = sum_g X_g / (sum_g scored + uncounted * U)
    excess = sum_(g <> '') max(0, X_g / (E + uncounted * U) - X_g^ref / (E^ref + uncounted * U^ref))

as region_base.sql, region_exposure.sql, region_excess.sql and region_uncounted.sql define
today's indicators (the variant of today's configuration gives them again, to 1e-9).

The composition is read once, as a sparse (cells x categories) matrix of jobs in a fixed
order (cell, then category), and multiplied by the (categories x (m, t)) facts; the
regions' sums add the cells of a region in order of group. Every sum adds its terms in a
fixed order, so the indicators are the same on every run (the SQL pass this replaces, a hash
aggregate of every composition row times every (m, t), added in the order its threads met
the rows and cost about twice the CPU; it stays as the tests' reference,
``tests/fixtures/uncertainty_variants_reference.sql``).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from atlas.store.sql_files import run_sql_file

SUMS = ("sub_on", "sub_off", "score_on", "score_off", "scored_sub", "scored_score")
TABLES = ("variant_facts", "variant_combos", "variant_rows", "variant_cells", "variant_places")


def facts_grid(pair: np.ndarray, combo: np.ndarray, values: np.ndarray, pairs: int,
               combos: int) -> np.ndarray:
    """A (pairs x combos) matrix of ``values`` (NaN where a pair has no facts under a combo
    or the value is missing)."""
    grid = np.full((pairs, combos), np.nan)
    grid[pair, combo] = values
    return grid


def group_sums(cell: np.ndarray, pair: np.ndarray, jobs: np.ndarray, cells: int,
               facts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The (cells x combos) sums of :data:`SUMS` and ``terms`` (the rows with facts), from
    composition rows in any order (each row: its cell, its (level, category) ``pair``, once
    per cell, and jobs; added by cell, then pair) and (pairs x combos) ``facts``:
    ``substitutable`` and ``score`` (NaN where missing), ``present`` (bool) and ``public``
    (pairs,)."""
    pairs = len(facts["public"])
    order = np.lexsort((pair, cell))  # the sum order: by cell, then category, in any input order
    cell, pair, jobs = cell[order], pair[order], jobs[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(cell, minlength=cells))])
    weights = sparse.csr_matrix((jobs, pair, indptr), shape=(cells, pairs))
    ones = sparse.csr_matrix((np.ones(len(pair)), pair, indptr), shape=(cells, pairs))
    shelter = (1 - facts["public"])[:, None]
    sub, score = facts["substitutable"], facts["score"]
    weighted = np.concatenate([np.nan_to_num(x) for x in (
        sub * shelter, sub, score * shelter, score,
        ~np.isnan(sub), ~np.isnan(score))], axis=1)
    counted = np.concatenate([(~np.isnan(sub)).astype(float), (~np.isnan(score)).astype(float),
                              facts["present"].astype(float)], axis=1)
    totals = np.split(np.asarray(weights @ weighted), len(SUMS), axis=1)
    known_sub, known_score, terms = np.split(np.asarray(ones @ counted), 3, axis=1)
    out = dict(zip(SUMS, totals, strict=True))
    for name, known in (("sub", known_sub), ("score", known_score)):
        for key in (f"{name}_on", f"{name}_off", f"scored_{name}"):
            out[key][known == 0] = np.nan
    out["terms"] = terms
    return out


def _place_sums(place: np.ndarray, places: int, values: np.ndarray) -> np.ndarray:
    """(places x combos) sums over the cells of each place of ``values`` (cells x combos),
    in cell order, missing terms skipped; NaN where none is known."""
    matrix = sparse.csr_matrix((np.ones(len(place)), (place, np.arange(len(place)))),
                               shape=(places, len(place)))
    known = ~np.isnan(values)
    total = np.asarray(matrix @ np.where(known, values, 0.0))
    total[np.asarray(matrix @ known.astype(float)) == 0] = np.nan
    return total


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / nullif(denominator, 0)``: NaN where the denominator is 0 or missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator == 0, np.nan, numerator / denominator)


def variant_indicators(sums: dict[str, np.ndarray], cells: pd.DataFrame,
                       places: pd.DataFrame) -> dict[str, np.ndarray]:
    """The (places x combos) share and excess of every variant (``share_<x>_<shelter>_<den>``
    and ``excess_...``, x = sub or score, shelter = on / off, den = u (E + U) or e (E))
    from the (cells x combos) group sums of :func:`group_sums` and the cells (``place``,
    ``level``, ``grp``; sorted by place) and places (``e``, ``u``, ``reference_level``,
    ``reference_e``, ``reference_u``; a row per place, in order) of
    ``uncertainty_variant_facts.sql``; the module's docstring gives the formulas."""
    place = cells["place"].to_numpy(np.int64)
    level, grp = cells["level"].to_numpy(object), cells["grp"].to_numpy(object)
    count = len(places)
    e, u = (places[name].to_numpy(float) for name in ("e", "u"))
    named = (grp != "")[:, None] & (sums["terms"] > 0)
    # each cell's (level, group) and the same group at its level's reference level
    key = pd.MultiIndex.from_arrays([level, grp])
    codes = pd.Index(key.unique()).get_indexer(key)
    reference_of = dict(zip(places["level"], places["reference_level"], strict=True))
    reference = pd.Index(key.unique()).get_indexer(pd.MultiIndex.from_arrays(
        [np.array([reference_of[name] for name in level], dtype=object), grp]))
    reference_jobs = {"u": places["reference_e"].to_numpy(float)
                      + places["reference_u"].to_numpy(float),
                      "e": places["reference_e"].to_numpy(float)}
    out = {}
    for x in ("sub", "score"):
        scored = _place_sums(place, count, sums[f"scored_{x}"])
        for shelter in ("on", "off"):
            values = sums[f"{x}_{shelter}"]
            total = _place_sums(place, count, values)
            by_group = _place_sums(codes, int(codes.max(initial=-1)) + 1, values)
            of_reference = np.where((reference >= 0)[:, None], by_group[reference], np.nan)
            for den, jobs, extra in (("u", e + u, u[:, None]), ("e", e, 0.0)):
                out[f"share_{x}_{shelter}_{den}"] = _divide(total, scored + extra)
                share = np.nan_to_num(_divide(of_reference,
                                              reference_jobs[den][place][:, None]))
                term = np.fmax(0.0, _divide(np.nan_to_num(values), jobs[place][:, None])
                               - share)
                excess = _place_sums(place, count, np.where(named, term, 0.0))
                valid = ~np.isnan(total) & (e != 0)[:, None] & ~np.isnan(e)[:, None]
                out[f"excess_{x}_{shelter}_{den}"] = np.where(valid, excess, np.nan)
    return out


def variant_wide(con: duckdb.DuckDBPyConnection, **variables: object) -> pd.DataFrame:
    """``level, region_id, measure, threshold`` and the share and excess of every variant
    (:func:`variant_indicators`), a row per region (of a level in ``variant_levels``, with
    jobs) and (measure, threshold) with some facts; ``variables`` are those of
    ``uncertainty_variant_facts.sql`` (whose temp tables :data:`TABLES` the caller drops)."""
    run_sql_file(con, "uncertainty_variant_facts.sql", **variables)
    rows = con.execute("SELECT cell, pair, employment FROM variant_rows").fetchnumpy()
    facts = con.execute("SELECT pair, combo, substitutable, score, public_on "
                        "FROM variant_facts").fetchnumpy()
    cells = con.execute("SELECT place, level, grp FROM variant_cells ORDER BY cell").df()
    places = con.execute("SELECT * FROM variant_places ORDER BY place").df()
    combos = con.execute("SELECT measure, threshold FROM variant_combos ORDER BY combo").df()
    pair, combo = facts["pair"].astype(np.int64), facts["combo"].astype(np.int64)
    pairs = int(pair.max(initial=-1)) + 1
    grids = {name: facts_grid(pair, combo, np.ma.filled(facts[name].astype(float), np.nan),
                              pairs, len(combos)) for name in ("substitutable", "score")}
    grids["present"] = facts_grid(pair, combo, np.ones(len(pair)), pairs, len(combos)) == 1
    grids["public"] = np.zeros(pairs)
    grids["public"][pair] = facts["public_on"]
    sums = group_sums(rows["cell"].astype(np.int64), rows["pair"].astype(np.int64),
                      np.ma.filled(rows["employment"].astype(float), np.nan), len(cells),
                      grids)
    wide = variant_indicators(sums, cells, places)
    place = cells["place"].to_numpy(np.int64)
    found = _place_sums(place, len(places), sums["terms"]) > 0
    found &= (places["variant"].to_numpy(bool) & places["has_jobs"].to_numpy(bool))[:, None]
    where, what = np.nonzero(found)
    return pd.DataFrame({
        "level": places["level"].to_numpy(object)[where],
        "region_id": places["region_id"].to_numpy(object)[where],
        "measure": combos["measure"].to_numpy(object)[what],
        "threshold": combos["threshold"].to_numpy(float)[what],
        **{name: values[where, what] for name, values in wide.items()}})
