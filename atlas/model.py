"""The data model every source family hands to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# Region columns every level provides (NULL where a level has no such fact), with their kind.
REGION_COLUMN_KINDS = {
    "level": "str", "region_id": "str", "name": "str", "state": "str", "states": "str",
    "kind": "str", "published_total": "num", "unemployment_rate": "num", "labor_force": "num",
    "population": "num", "median_hh_income": "num", "poverty_rate": "num", "lower_tier": "bool",
    "name_zh": "str", "name_pinyin": "str", "province": "str", "tier": "str", "tier_zh": "str",
    "tier_rank": "num", "gdp_per_capita": "num", "income_group": "str", "iso3": "str",
    "data_quality": "str", "global_south": "bool",
}
REGION_COLUMNS = tuple(REGION_COLUMN_KINDS)


def conform_regions(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the region columns a level lacks (typed NULLs) and put them in the shared order."""
    frame = frame.copy()
    for column, kind in REGION_COLUMN_KINDS.items():
        if column not in frame:
            frame[column] = None
        if kind == "num":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif kind == "bool":
            frame[column] = frame[column].fillna(False).astype(bool)
        else:  # a string dtype, so that an all-NULL column is still VARCHAR in DuckDB
            frame[column] = frame[column].astype("string")
    return frame


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


SQL_TYPES = {"str": "VARCHAR", "num": "DOUBLE", "bool": "BOOLEAN"}


def conform_regions_table(con) -> None:
    """Add the region columns a ``regions`` table in DuckDB lacks, as typed NULLs."""
    present = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'regions'").fetchall()}
    for column, kind in REGION_COLUMN_KINDS.items():
        if column not in present:
            con.execute(f"ALTER TABLE regions ADD COLUMN {column} {SQL_TYPES[kind]}")
