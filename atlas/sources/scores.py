"""Exposure scores per category: published, or derived through a weighted category map.

One mechanism derives every non-published score: a *category map* ``(from_code, to_code,
weight)`` and the rule

    score(to) = sum_w weight * score(from) / sum_w weight

applied alike to the score and to the threshold shares ``ge_10``, ``ge_50``, ``vulnerable``,
``substitutable`` and its variants at other exposure thresholds (``substitutable@<t>``), which
are 0/1 for a scored occupation and become employment shares once derived. The map can be
an O*NET roll-up, the SOC hierarchy rule for OEWS aggregate and "All Other" codes, a
major-group residual, a code crosswalk or a staffing matrix.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import duckdb
import numpy as np
import pandas as pd

from atlas.store.sql_files import run_sql_file

SCORE_COLUMNS = ("score", "ge_10", "ge_50", "vulnerable", "substitutable")
VARIANT_PREFIX = "substitutable@"  # the substitutable share at another exposure threshold
HIERARCHY_LEVELS = (("broad", 6), ("minor", 5), ("major", 3))
# one in-memory DuckDB connection per thread for every derive() (a connection costs ~20 ms
# of CPU to open, and a build derives a dozen times); each call drops what it registered
_LOCAL = threading.local()
DERIVE_VIEWS = ("source_scores", "category_map", "source_variants")


def _connection() -> duckdb.DuckDBPyConnection:
    """This thread's connection for :func:`derive`, opened on first use."""
    if getattr(_LOCAL, "con", None) is None:
        _LOCAL.con = duckdb.connect()
    return _LOCAL.con


def with_thresholds(scores: pd.DataFrame, unit_scale: bool) -> pd.DataFrame:
    """Add the 0/1 threshold columns ``ge_10``/``ge_50`` (NULL for z-score measures)."""
    scores = scores.copy()
    for name, threshold in (("ge_10", 0.1), ("ge_50", 0.5)):
        scores[name] = (scores["score"] >= threshold).astype(float) if unit_scale else np.nan
    scores["vulnerable"] = np.nan
    scores["substitutable"] = np.nan
    return scores


def with_substitutable(scores: pd.DataFrame, automation_measure: str,
                       exposure_threshold: float, automation_threshold: float,
                       usage: frozenset[str] = frozenset(),
                       variant_thresholds: tuple[float, ...] = ()) -> pd.DataFrame:
    """Set ``substitutable`` for every unit-scale and usage measure's occupations.

    An occupation's jobs are substitutable under a unit measure m when generative AI is
    exposed to most of its tasks and would do them rather than assist: ``score_m >=
    exposure_threshold`` and the automation score ``>= automation_threshold`` (0/1 per
    occupation). Under a usage measure (``usage``: observed applicability, no task-share
    threshold fits it) it is the observed share itself in automation-prone occupations:
    ``score_m x [automation >= automation_threshold]``. Derived categories get the share of
    their jobs that is substitutable (through ``derive``). z-scores and traits keep NULL.

    Parameters
    ----------
    scores
        ``measure, code, score, ge_10, ...`` for one taxonomy's occupations.
    variant_thresholds
        Other exposure thresholds: each adds a column ``substitutable@<t>`` (see
        :func:`variant_column`), the same rule with ``exposure_threshold = t``; ``derive``
        carries these columns like ``substitutable``.
    """
    scores = scores.copy()
    automation = scores.loc[scores["measure"] == automation_measure].set_index("code")["score"]
    thresholded = scores["ge_50"].notna()
    automatable = scores["code"].map(automation) >= automation_threshold
    observed = scores["measure"].isin(usage)

    def rule(threshold: float) -> np.ndarray:
        exposed = scores["score"] >= threshold
        flag = np.where(thresholded, (exposed & automatable).astype(float), np.nan)
        flag[observed.to_numpy()] = (scores.loc[observed, "score"]
                                     * automatable[observed].astype(float)).to_numpy()
        return flag

    scores["substitutable"] = rule(exposure_threshold)
    for threshold in variant_thresholds:
        scores[variant_column(threshold)] = rule(threshold)
    return scores


def variant_column(threshold: float) -> str:
    """The column of the substitutable share at exposure threshold ``threshold``."""
    return f"{VARIANT_PREFIX}{float(threshold)!r}"


def variant_columns(frame: pd.DataFrame) -> list[str]:
    """The ``substitutable@<t>`` columns of ``frame``."""
    return [c for c in frame.columns if str(c).startswith(VARIANT_PREFIX)]


def substitutable_variants(scores: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The ``substitutable@<t>`` columns of ``scores`` as rows ``*keys, threshold,
    substitutable`` (NULL shares left out)."""
    columns = variant_columns(scores)
    long = scores[[*keys, *columns]].melt(id_vars=keys, value_vars=columns,
                       var_name="threshold", value_name="substitutable").dropna(
        subset=["substitutable"])
    threshold = long["threshold"].str.slice(len(VARIANT_PREFIX)).astype(float)
    return long.assign(threshold=threshold).reset_index(drop=True)


def _derive_variants(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame) -> pd.DataFrame:
    """The ``substitutable@<t>`` columns of the mapped categories (``derive_variants.sql``:
    the same weighted mean as ``derive_scores.sql``), one column per threshold."""
    con.register("source_variants", substitutable_variants(scores, ["measure", "code"]))
    long = run_sql_file(con, "derive_variants.sql", package="atlas.sources").df()
    wide = long.pivot(index=["measure", "code"], columns="threshold",
                      values="substitutable")
    wide.columns = [variant_column(t) for t in wide.columns]
    return wide.reset_index()


def derive(scores: pd.DataFrame, category_map: pd.DataFrame) -> pd.DataFrame:
    """Weighted-mean scores of mapped categories (see module docstring).

    Parameters
    ----------
    scores
        ``measure, code`` plus ``SCORE_COLUMNS``.
    category_map
        ``from_code, to_code, weight`` (weight > 0) and optionally ``rule``.

    Returns
    -------
    DataFrame ``measure, code, score, ge_10, ge_50, vulnerable, substitutable, rule`` and
    the ``substitutable@<t>`` columns of ``scores``, by the same rule.
    """
    con = _connection()
    try:
        mapping = category_map if "rule" in category_map else category_map.assign(rule="map")
        # a statistic the source does not have is NULL (e.g. no substitutable share)
        source = scores.reindex(columns=["measure", "code", *SCORE_COLUMNS]).astype(
            {column: float for column in SCORE_COLUMNS})
        con.register("source_scores", source)
        con.register("category_map", mapping[["from_code", "to_code", "weight", "rule"]])
        derived = run_sql_file(con, "derive_scores.sql", package="atlas.sources").df()
        if not variant_columns(scores):
            return derived
        return derived.merge(_derive_variants(con, scores), how="left", on=["measure", "code"])
    finally:
        for view in DERIVE_VIEWS:
            con.unregister(view)


def onet_rollup_map(onet_codes: Iterable[str]) -> pd.DataFrame:
    """Map O*NET-SOC codes (``11-1011.03``) to 6-digit SOC by equal-weight mean."""
    codes = pd.Series(sorted(set(onet_codes)), dtype=object)
    return pd.DataFrame({"from_code": codes, "to_code": codes.str[:7], "weight": 1.0,
                         "rule": "onet_rollup"})


def soc_hierarchy_map(scored: Iterable[str], targets: pd.DataFrame) -> pd.DataFrame:
    """Map scored 6-digit SOC codes onto the codes a composition uses (OEWS detailed).

    One rule for every target code ``c``:

    1. ``c`` itself is scored: weight 1 (rule ``exact``).
    2. Otherwise walk up the SOC hierarchy, broad group (``25-904``), minor group (``25-90``),
       major group (``25-``). At the first level with scored codes:
       a. the scored codes there that the composition does not publish separately are the
          ones ``c`` stands for (an OEWS aggregate such as 31-1120 = 31-1121 + 31-1122):
          equal weights, as no employment is published for them (rule ``<level>_members``);
       b. if there are none ("All Other" codes), the scored published siblings stand in,
          weighted by their national employment (rule ``<level>_siblings``).

    Parameters
    ----------
    scored
        6-digit SOC codes that have a score.
    targets
        ``code, national_employment`` of the composition's categories.
    """
    scored_set = set(scored)
    published = set(targets["code"])
    weight_of = dict(zip(targets["code"], targets["national_employment"].fillna(0.0), strict=False))
    rows: list[tuple[str, str, float, str]] = []
    for code in targets["code"]:
        if code in scored_set:
            rows.append((code, code, 1.0, "exact"))
            continue
        for level, width in HIERARCHY_LEVELS:
            prefix = code[:width]
            in_group = sorted(s for s in scored_set if s.startswith(prefix) and s != code)
            members = [s for s in in_group if s not in published]
            siblings = [s for s in in_group if s in published and weight_of.get(s, 0) > 0]
            if members:
                rows.extend((s, code, 1.0, f"{level}_members") for s in members)
                break
            if siblings:
                rows.extend((s, code, float(weight_of[s]), f"{level}_siblings") for s in siblings)
                break
    return pd.DataFrame(rows, columns=["from_code", "to_code", "weight", "rule"])


def weighted_percentile(values: pd.Series, weights: pd.Series) -> pd.Series:
    """Employment-weighted mid-rank percentile on [0, 1].

    ``p(x) = (W(score < x) + W(score == x) / 2) / W``, so the employment-weighted mean of
    ``p`` is 0.5 and equal scores share one percentile.
    """
    frame = pd.DataFrame({"value": values.to_numpy(), "weight": weights.to_numpy()})
    by_value = frame.groupby("value")["weight"].sum().sort_index()
    below = by_value.cumsum() - by_value
    mid = (below + by_value / 2) / by_value.sum()
    return pd.Series(values.map(mid).to_numpy(), index=values.index)
