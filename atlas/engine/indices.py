"""The engine's indices of any composition, for a researcher's own data.

:func:`composition_indices` hands a composition (region x category jobs) and one measure's
scores to the same engine a build runs (:func:`atlas.engine.core.compute_measure_sums` and
``region_base.sql``), in a DuckDB database of its own in memory, and returns the per-region
indices: size, exposure, the substitutable (AI-shock) share and its excess over the
composition's own national mix, and diversity. No second implementation: the numbers are
those a level of the atlas would get.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.engine.core import compute_measure_sums
from atlas.errors import ConfigError
from atlas.store.database import register_table
from atlas.store.sql_files import run_sql_file

__all__ = ["composition_indices"]

LEVEL = "composition"
TAXONOMY = "categories"
MEASURE = "score"
COLUMNS = ["region_id", "total_employment", "exposure_mean", "share_ge_50",
           "substitutable_share", "substitutable_jobs", "substitutable_excess",
           "group_entropy", "entropy_norm", "hhi"]


def _require(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"{name}: missing column(s) {missing} (expected {columns})")


def composition_indices(composition: pd.DataFrame, scores: pd.DataFrame,
                        groups: pd.Series | dict[str, str] | None = None,
                        sheltered: list[str] | None = None) -> pd.DataFrame:
    """Per-region indices of a composition under one exposure measure.

    Parameters
    ----------
    composition
        Columns ``region_id, category, employment`` (jobs, >= 0).
    scores
        Columns ``category, score`` (exposure in [0, 1]) and optionally ``substitutable``
        (1 where generative AI could substitute the category's jobs, or the substitutable
        share of its jobs); categories without a score count as unscored.
    groups
        Optional category -> diversity group (e.g. the major group); by default every
        category is its own group.
    sheltered
        Categories whose jobs count as jobs but never as substitutable (publicly funded).

    Returns
    -------
    DataFrame, one row per region sorted by ``region_id``: ``total_employment``,
    ``exposure_mean`` (job-weighted mean score), ``share_ge_50`` (jobs with score >= 0.5),
    ``substitutable_share`` and ``substitutable_jobs``, ``substitutable_excess`` (beyond the
    composition's total mix), ``group_entropy`` (1 = jobs spread evenly over the groups),
    ``entropy_norm`` and ``hhi`` over the categories.

    Examples
    --------
    >>> import pandas as pd
    >>> composition = pd.DataFrame({
    ...     "region_id": ["a", "a", "b", "b"], "category": ["clerks", "nurses"] * 2,
    ...     "employment": [300.0, 100.0, 100.0, 300.0]})
    >>> scores = pd.DataFrame({"category": ["clerks", "nurses"], "score": [0.8, 0.2],
    ...                        "substitutable": [1.0, 0.0]})
    >>> out = composition_indices(composition, scores)
    >>> out[["region_id", "exposure_mean", "substitutable_share"]].round(3)
      region_id  exposure_mean  substitutable_share
    0         a           0.65                 0.75
    1         b           0.35                 0.25
    >>> out["substitutable_excess"].round(3).tolist()  # beyond the mix of a and b together
    [0.25, 0.0]
    """
    _require(composition, "composition", ["region_id", "category", "employment"])
    _require(scores, "scores", ["category", "score"])
    comp = composition[["region_id", "category", "employment"]].astype(
        {"region_id": str, "category": str, "employment": float})
    if (comp["employment"] < 0).any():
        raise ConfigError("composition: column 'employment': negative jobs (expected >= 0)")
    score = scores.astype({"category": str}).drop_duplicates("category")
    substitutable = score["substitutable"] if "substitutable" in score else score["score"] * 0
    grouping = pd.Series(groups, dtype=object) if groups is not None else pd.Series(
        dtype=object)
    categories = sorted(set(comp["category"]) | set(score["category"]))
    with duckdb.connect(":memory:") as con:
        register_table(con, "levels", pd.DataFrame(
            {"level": [LEVEL], "taxonomy": [TAXONOMY], "reference_level": [LEVEL]}))
        register_table(con, "measures", pd.DataFrame(
            {"measure": [MEASURE], "scale": ["unit"], "label": [MEASURE]}))
        register_table(con, "categories", pd.DataFrame({
            "taxonomy": TAXONOMY, "category": categories,
            "diversity_group": [grouping.get(c, c) for c in categories]}))
        register_table(con, "exposure_scores", pd.DataFrame({
            "taxonomy": TAXONOMY, "measure": MEASURE, "category": score["category"],
            "score": score["score"].astype(float),
            "ge_10": (score["score"] >= 0.1).astype(float),
            "ge_50": (score["score"] >= 0.5).astype(float),
            "vulnerable": substitutable.astype(float),
            "substitutable": substitutable.astype(float)}))
        register_table(con, "sheltered_categories", pd.DataFrame(
            {"taxonomy": TAXONOMY, "category": list(sheltered or [])}, dtype=object))
        register_table(con, "employment", comp.assign(level=LEVEL, imputed=False)[
            ["level", "region_id", "category", "employment", "imputed"]])
        register_table(con, "regions", pd.DataFrame(
            {"level": LEVEL, "region_id": sorted(comp["region_id"].unique())}))
        compute_measure_sums(con)
        run_sql_file(con, "region_base.sql", exposure_measure=MEASURE,
                     vulnerability_measure=MEASURE, industrial_measure=MEASURE)
        out = con.execute("SELECT * FROM region_base ORDER BY region_id").df()
    return out[COLUMNS]
