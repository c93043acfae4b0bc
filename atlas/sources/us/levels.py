"""The US levels (us_area, us_state, us_nation) over SOC 2018 occupations (the codes OEWS
publishes): compositions from OEWS May 2025 (``atlas.sources.us.oews``), context from LAUS,
SAIPE and the Census (``atlas.sources.us.context``), geometry from the Census 2023 counties.
The exposure measures reach these codes through the registry (``atlas/spec/measures.toml``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from atlas.sources.levelset import (
    REGION_COLUMNS,
    LevelSet,
    conform_regions,
    context_frame,
    indicator_frame,
    region_attributes,
)
from atlas.sources.staffing import public_shares
from atlas.sources.us.context import us_region_context
from atlas.sources.us.geometry import us_region_geometry
from atlas.sources.us.oews import UNALLOCATED, read_oews

TAXONOMY = "soc2018"


CONTEXT_INDICATORS = [
    ("employment_change", "Employment change 2000-2023", "percent",
     "100 * (employed 2023 / employed 2000 - 1), member counties summed",
     "BLS LAUS annual averages via USDA ERS", "2000-2023"),
    ("employment_change_2007", "Employment change 2007-2023", "percent",
     "100 * (employed 2023 / employed 2007 - 1), member counties summed",
     "BLS LAUS annual averages via USDA ERS", "2007-2023"),
    ("unemployment_persistent", "Mean unemployment rate 2014-2023", "percent",
     "mean over 2014-2023 of sum unemployed / sum labour force (at least 8 years)",
     "BLS LAUS annual averages via USDA ERS", "2014-2023"),
    ("unemployment_rate", "Unemployment rate 2023", "percent",
     "sum unemployed / sum labour force over member counties", "BLS LAUS via USDA ERS",
     "2023"),
    ("poverty_rate", "People in poverty", "percent",
     "sum of people in poverty / sum of the poverty universe over member counties",
     "Census SAIPE via USDA ERS", "2023"),
    ("child_poverty_rate", "Children in poverty", "percent",
     "sum of children under 18 in poverty / sum of their poverty universe over member "
     "counties (students do not inflate it)", "Census SAIPE via USDA ERS", "2023"),
    ("uncounted_jobs", "Workers OEWS does not count (estimate)", "persons",
     "sum over member counties of max(0, r x population 2020 - civilian labour force 2020), "
     "r = the median county's civilian labour force per head: uniformed personnel above all "
     "(an upper bound: retirees, children and inmates lower the ratio too)",
     "Census 2020 via USDA ERS; BLS LAUS via USDA ERS", "2020"),
    ("median_hh_income", "Median household income", "US$",
     "population-weighted mean of county medians", "Census SAIPE via USDA ERS", "2023"),
]


def lower_tier(regions: pd.DataFrame, flags: Any) -> pd.Series:
    """US lower tier: nonmetro areas and metros under ``us_lower_tier_max_jobs`` jobs whose
    median household income is below ``us_lower_tier_max_income_ratio`` x the national one."""
    national = regions.loc[regions["level"] == "us_nation", "median_hh_income"]
    national_income = float(national.iloc[0]) if len(national) else float("nan")
    small = (regions["kind"] == "nonmetro") | (
        regions["published_total"] < flags.us_lower_tier_max_jobs)
    poor = regions["median_hh_income"] < flags.us_lower_tier_max_income_ratio * national_income
    return (regions["level"] == "us_area") & small & poor


def categories_frame(occupations: pd.DataFrame) -> pd.DataFrame:
    """The OEWS occupations and the imputed residual categories, with their diversity group:
    the SOC major group (imputed ``XX-0000`` rows belong to ``XX``; the residual of suppressed
    groups, ``00-0000``, to none: an empty group)."""
    residual_titles = pd.DataFrame({
        "category": [f"{g}-0000" for g in sorted(occupations["category"].str[:2].unique())]
        + [UNALLOCATED]})
    residual_titles["title"] = [f"Unallocated employment in major group {c[:2]} (imputed)"
                                for c in residual_titles["category"][:-1]] + [
        "Employment in suppressed major groups (imputed)"]
    categories = pd.concat([occupations, residual_titles], ignore_index=True).assign(
        taxonomy=TAXONOMY)
    categories["diversity_group"] = categories["category"].str[:2].where(
        categories["category"] != UNALLOCATED, "")
    return categories


def read(context, instances: list) -> LevelSet:
    """The level reader of us_area, us_state and us_nation (one pass over OEWS)."""
    inputs, config = context.inputs, context.config
    oews = read_oews(inputs)
    region_context, series = us_region_context(inputs, oews.regions)
    regions = oews.regions.merge(region_context, on=["level", "region_id"], how="left")
    regions["states"] = regions["states"].fillna(regions["state"])
    regions["lower_tier"] = lower_tier(regions, config.flags)
    levels = [decl.level_id(period) for decl, period in instances]
    return LevelSet(
        regions=conform_regions(regions.loc[regions["level"].isin(levels)])[
            list(REGION_COLUMNS)],
        attributes=region_attributes(regions.loc[regions["level"].isin(levels),
                                                 ["level", "region_id", "state_fips"]]),
        employment=oews.employment.loc[oews.employment["level"].isin(levels)],
        categories=categories_frame(oews.occupations),
        extra_tables={"region_geometry": us_region_geometry(inputs, oews.regions),
                      "category_public_share": public_shares(
                          inputs.table("oews_industry_occ")).assign(taxonomy=TAXONOMY)[
                          ["taxonomy", "category", "public_share"]],
                      "region_series": series,
                      "us_region_details": regions[["level", "region_id", "area_code",
                                                    "state_fips", "counties",
                                                    "counties_without_laus"]]},
        context=pd.concat([context_frame(level, {
            name: group.set_index("region_id")[name] for name, *_ in CONTEXT_INDICATORS})
            for level, group in regions.groupby("level")], ignore_index=True),
        indicators=pd.concat([indicator_frame(level, CONTEXT_INDICATORS)
                              for level in levels], ignore_index=True),
    )
