"""The data model every source family hands to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Region columns every level provides (NULL where a level has no such fact), with their kind.
REGION_COLUMN_KINDS = {
    "level": "str", "region_id": "str", "name": "str", "state": "str", "states": "str",
    "kind": "str", "published_total": "num", "unemployment_rate": "num", "labor_force": "num",
    "population": "num", "median_hh_income": "num", "poverty_rate": "num", "lower_tier": "bool",
    "name_zh": "str", "name_pinyin": "str", "province": "str", "tier": "str", "tier_zh": "str",
    "tier_rank": "num", "gdp_per_capita": "num", "income_group": "str", "iso3": "str",
    "data_quality": "str", "global_south": "bool", "composition_source": "str",
    "population_year": "num",
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


# Context indicators a reader provides besides the composition, long: one row per region and
# indicator (e.g. employment_change, unemployment_persistent), and their metadata per level.
CONTEXT_COLUMNS = ("level", "region_id", "indicator", "value")
INDICATOR_COLUMNS = ("level", "indicator", "label", "unit", "formula", "source", "vintage")


def context_frame(level: str, values: dict[str, pd.Series]) -> pd.DataFrame:
    """Long context rows ``level, region_id, indicator, value`` from series indexed by region
    (non-finite values are dropped: a missing indicator is a missing row)."""
    frames = [pd.DataFrame({"level": level, "region_id": series.index.astype(str),
                            "indicator": name,
                            "value": pd.to_numeric(series, errors="coerce").to_numpy(float)})
              for name, series in values.items()]
    if not frames:
        return pd.DataFrame(columns=list(CONTEXT_COLUMNS))
    long = pd.concat(frames, ignore_index=True)
    return long.loc[np.isfinite(long["value"])].reset_index(drop=True)


def indicator_frame(level: str, rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    """Indicator metadata: ``(indicator, label, unit, formula, source, vintage)`` per row."""
    return pd.DataFrame([(level, *row) for row in rows], columns=list(INDICATOR_COLUMNS))


@dataclass
class LevelSet:
    """The frames a level reader returns for the levels (and periods) it serves; the
    registry adds the ``levels``, ``measures`` and ``exposure_scores`` tables.

    Attributes
    ----------
    regions
        one row per region with ``REGION_COLUMNS`` (context may be NULL).
    employment
        ``level, region_id, category, employment, imputed``.
    categories
        ``taxonomy, category, title, national_employment, median_wage, low_wage,
        diversity_group``.
    context, indicators
        context indicators (``CONTEXT_COLUMNS``) and their metadata (``INDICATOR_COLUMNS``).
    """

    regions: pd.DataFrame
    employment: pd.DataFrame
    categories: pd.DataFrame
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    context: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(CONTEXT_COLUMNS)))
    indicators: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(INDICATOR_COLUMNS)))


SQL_TYPES = {"str": "VARCHAR", "num": "DOUBLE", "bool": "BOOLEAN"}


def conform_regions_table(con) -> None:
    """Add the region columns a ``regions`` table in DuckDB lacks, as typed NULLs."""
    present = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'regions'").fetchall()}
    for column, kind in REGION_COLUMN_KINDS.items():
        if column not in present:
            con.execute(f"ALTER TABLE regions ADD COLUMN {column} {SQL_TYPES[kind]}")
