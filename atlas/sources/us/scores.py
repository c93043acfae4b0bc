"""Taxonomy hooks (``on_arrival`` in ``measures.toml``): what completes the scores that reach
a taxonomy.

- ``thresholds``: the task-share thresholds of unit-scale measures, 0/1 per occupation
  (``ge_10 = [score >= 0.1]``, ``ge_50 = [score >= 0.5]``), where a measure has none yet.
  Derived categories further on get employment shares through the derive rule.
- ``complete`` (SOC 2018, the OEWS codes): the derived measures (``derive =
  "employment_percentile"``: the national-employment-weighted mid-rank percentile of a
  z-score), v1's vulnerable share (``ge_50 x low_wage``), the substitutable share
  (``atlas.sources.scores.with_substitutable``; for usage measures the observed share in
  automation-prone occupations), also at every exposure threshold of ``[uncertainty.choices]
  substitution_threshold`` (columns ``substitutable@<t>``, carried along the crosswalks) and
  the imputed residual categories (national employment-weighted means of each major group,
  ``XX-0000``, and of all, ``00-0000``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas.sources.scores import derive, weighted_percentile, with_substitutable
from atlas.sources.us.oews import UNALLOCATED, residual_code


def thresholds(context, scores: pd.DataFrame, taxonomy: str) -> pd.DataFrame:
    """0/1 task-share thresholds for unit measures that arrive without them."""
    unit = {m.name for m in context.measures(scale="unit")}
    scores = scores.copy()
    bare = scores["measure"].isin(unit) & scores.groupby("measure")["ge_10"].transform(
        lambda s: s.isna().all())
    for column, threshold in (("ge_10", 0.1), ("ge_50", 0.5)):
        scores.loc[bare, column] = (scores.loc[bare, "score"] >= threshold).astype(float)
    return scores


def employment_percentile(scores: pd.DataFrame, source: str, name: str,
                          occupations: pd.DataFrame) -> pd.DataFrame:
    """``name``: the national-employment-weighted mid-rank percentile of ``source``."""
    weights = occupations.set_index("category")["national_employment"]
    rows = scores.loc[scores["measure"] == source]
    percentile = weighted_percentile(rows["score"], rows["code"].map(weights).fillna(0.0))
    return rows.assign(measure=name, score=percentile,
                       **{c: np.nan for c in ("ge_10", "ge_50", "vulnerable", "substitutable")})


def residual_scores(scores: pd.DataFrame, occupations: pd.DataFrame) -> pd.DataFrame:
    """Scores of the imputed categories: national employment-weighted means of their group."""
    weights = occupations[["category", "national_employment"]].dropna()
    weights = weights.loc[weights["national_employment"] > 0]
    by_group = pd.DataFrame({"from_code": weights["category"],
                             "to_code": weights["category"].map(residual_code),
                             "weight": weights["national_employment"],
                             "rule": "imputed_major_group_mean"})
    overall = by_group.assign(to_code=UNALLOCATED, rule="imputed_national_mean")
    return derive(scores, pd.concat([by_group, overall], ignore_index=True))


def variant_thresholds(config) -> tuple[float, ...]:
    """The exposure thresholds of the substitutable share's variants (``[uncertainty.choices]
    substitution_threshold``, today's included), in ascending order."""
    return tuple(sorted({float(t) for t in
                         config.uncertainty.choices.substitution_threshold}))


def complete(context, scores: pd.DataFrame, taxonomy: str) -> pd.DataFrame:
    """Derived measures, vulnerable and substitutable shares and residual rows (module
    docstring)."""
    occupations = context.occupations
    derived = [employment_percentile(scores, m.from_measure, m.name, occupations)
               for m in context.measures(derive="employment_percentile", taxonomy=taxonomy)]
    scores = thresholds(context, pd.concat([scores, *derived], ignore_index=True), taxonomy)
    unit = scores["measure"].isin({m.name for m in context.measures(scale="unit")})
    low_wage = scores["code"].map(occupations.set_index("category")["low_wage"])
    scores["vulnerable"] = np.where(unit, scores["ge_50"] * low_wage, np.nan)
    exposure = context.config.exposure
    usage = frozenset(m.name for m in context.measures(scale="usage"))
    scores = with_substitutable(scores.assign(ge_50=scores["ge_50"].where(unit)),
                                exposure.automation_measure,
                                exposure.substitutable_exposure,
                                exposure.substitutable_automation, usage,
                                variant_thresholds(context.config)).assign(
        ge_50=scores["ge_50"])
    return pd.concat([scores, residual_scores(scores, occupations)], ignore_index=True)
