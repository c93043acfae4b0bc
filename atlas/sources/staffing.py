"""Exposure of categories that employ occupations: the staffing-matrix path.

A category that is not an occupation (an industry, a GB/T 4754 section) gets the
employment-weighted exposure of the occupations it employs:

    score(c) = sum_o E_co * score(o) / sum_o E_co

where E_co is the employment of occupation o in category c, from the US national
industry-specific staffing patterns (OEWS May 2025) summed over the industries mapped to c.
This is the same weighted-mean mechanism as every derived score (``atlas.sources.scores.derive``),
with the staffing matrix as the category map; it serves US industries and Chinese sectors
alike.
"""

from __future__ import annotations

import pandas as pd

from atlas.sources.scores import derive


def staffing_map(staffing: pd.DataFrame, industry_to_category: pd.DataFrame) -> pd.DataFrame:
    """Category map occupation -> category weighted by employment.

    Parameters
    ----------
    staffing
        ``industry_code, soc_code, tot_emp`` for detailed occupations.
    industry_to_category
        ``industry_code, category`` (each industry in at most one category).
    """
    joined = staffing.merge(industry_to_category, on="industry_code", how="inner")
    joined = joined.loc[joined["tot_emp"] > 0]
    weights = joined.groupby(["category", "soc_code"], as_index=False)["tot_emp"].sum()
    return pd.DataFrame({"from_code": weights["soc_code"], "to_code": weights["category"],
                         "weight": weights["tot_emp"], "rule": "staffing_matrix"})


def category_scores(occupation_scores: pd.DataFrame, staffing: pd.DataFrame,
                    industry_to_category: pd.DataFrame) -> pd.DataFrame:
    """Scores of every category under every measure of ``occupation_scores``.

    ``occupation_scores`` has ``measure, code`` (SOC) and the score columns; the result has
    ``measure, code`` (category) and the same columns, derived through the staffing matrix.
    """
    return derive(occupation_scores, staffing_map(staffing, industry_to_category))


def detailed_staffing(frame: pd.DataFrame) -> pd.DataFrame:
    """Detailed-occupation rows with employment from an OEWS industry x occupation table."""
    rows = frame.loc[(frame["occ_level"] == "detailed") & frame["tot_emp"].notna()]
    return rows[["industry_code", "soc_code", "tot_emp"]]


def us_industry_scores(staffing_table: pd.DataFrame, occupation_scores: pd.DataFrame,
                       industry_level: str = "4") -> pd.DataFrame:
    """Exposure of the OEWS industries of one level (``"4"``: 4-digit NAICS) from their
    national staffing patterns; the industry code is its own category."""
    codes = staffing_table.loc[staffing_table["industry_level"] == industry_level,
                               "industry_code"].unique()
    identity = pd.DataFrame({"industry_code": codes, "category": codes})
    return category_scores(occupation_scores, detailed_staffing(staffing_table), identity)
