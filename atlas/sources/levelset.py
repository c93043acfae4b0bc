"""The data model every source family hands to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Region columns every level has (NULL where a level has no such fact), with their kind.
# `parent` is the unit a region belongs to (US: the principal state's postal code; China: the
# province in pinyin; countries: the World Bank region), `parents` every such unit.
REGION_COLUMN_KINDS = {
    "level": "str", "region_id": "str", "name": "str", "parent": "str", "parents": "str",
    "kind": "str", "published_total": "num", "unemployment_rate": "num", "labor_force": "num",
    "population": "num", "lower_tier": "bool", "global_south": "bool", "data_quality": "str",
}
REGION_COLUMNS = tuple(REGION_COLUMN_KINDS)
# What readers call `state` / `states` is the parent of a region.
PARENT_ALIASES = {"state": "parent", "states": "parents"}
ATTRIBUTE_COLUMNS = ("level", "region_id", "attribute", "value")


def conform_regions(frame: pd.DataFrame) -> pd.DataFrame:
    """The generic region columns (typed, NULL where a level lacks one) in the shared order;
    a reader's other columns are its level's attributes (``region_attributes``)."""
    frame = frame.rename(columns={k: v for k, v in PARENT_ALIASES.items()
                                  if k in frame and v not in frame})
    out = pd.DataFrame(index=frame.index)
    for column, kind in REGION_COLUMN_KINDS.items():
        values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        if kind == "num":
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif kind == "bool":
            out[column] = values.astype("object").where(values.notna(), False).astype(bool)
        else:  # a string dtype, so that an all-NULL column is still VARCHAR in DuckDB
            out[column] = values.astype("string")
    return out


def region_attributes(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """The level-specific facts of a reader's region frame, long: every column that is not a
    generic region column (``level, region_id, attribute, value``; values as text)."""
    frame = frame.rename(columns={k: v for k, v in PARENT_ALIASES.items()
                                  if k in frame and v not in frame})
    names = [c for c in frame.columns if c not in REGION_COLUMN_KINDS and c not in exclude]
    if not names:
        return pd.DataFrame(columns=list(ATTRIBUTE_COLUMNS))
    long = frame.melt(id_vars=["level", "region_id"], value_vars=names, var_name="attribute",
                      value_name="value").dropna(subset=["value"])
    values = long["value"].map(lambda v: f"{v:g}" if isinstance(v, float) else str(v))
    return long.assign(value=values)[list(ATTRIBUTE_COLUMNS)].reset_index(drop=True)


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
        one row per region with ``REGION_COLUMNS`` (context may be NULL); ``attributes``
        holds the level-specific facts (names in other scripts, tiers, ISO codes ...).
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
    attributes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(ATTRIBUTE_COLUMNS)))
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
