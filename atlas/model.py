"""The data model every source family hands to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

REGION_COLUMNS = ("level", "region_id", "name", "state", "states", "kind", "published_total",
                  "unemployment_rate", "labor_force", "population", "median_hh_income",
                  "poverty_rate", "lower_tier")


@dataclass
class LevelSet:
    """Levels of one source family: regions, compositions and category scores.

    Attributes
    ----------
    levels
        ``level, taxonomy, reference_level, description``.
    regions
        one row per region with ``REGION_COLUMNS`` (context may be NULL).
    employment
        ``level, region_id, category, employment, imputed``.
    categories
        ``taxonomy, category, title, national_employment, median_wage, low_wage``.
    measures
        ``measure, label, scale ('unit' | 'z' | 'trait'), description, source``.
    exposure_scores
        ``taxonomy, measure, category, score, ge_10, ge_50, vulnerable, rule``.
    """

    levels: pd.DataFrame
    regions: pd.DataFrame
    employment: pd.DataFrame
    categories: pd.DataFrame
    measures: pd.DataFrame
    exposure_scores: pd.DataFrame
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
