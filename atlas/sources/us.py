"""The US levels (us_area, us_state, us_nation) over SOC 2018 occupations."""

from __future__ import annotations

from typing import Any

import pandas as pd

from atlas.geometry import us_region_geometry
from atlas.inputs import Inputs
from atlas.model import REGION_COLUMNS, LevelSet, conform_regions, context_frame, indicator_frame
from atlas.scores import (
    SCORE_COLUMNS,
    derive,
    soc_hierarchy_map,
    weighted_percentile,
    with_substitutable,
    with_thresholds,
)
from atlas.sources import eloundou, felten
from atlas.sources.oews import UNALLOCATED, read_oews, residual_code
from atlas.sources.us_context import us_region_context

TAXONOMY = "soc2018"
LEVELS = pd.DataFrame({
    "level": ["us_area", "us_state", "us_nation"],
    "taxonomy": [TAXONOMY] * 3,
    "reference_level": ["us_nation"] * 3,
    "description": [
        "OEWS May 2025 metropolitan (MSA) and nonmetropolitan areas",
        "US states, DC, Puerto Rico, Guam and the Virgin Islands",
        "United States (50 states and DC)",
    ],
})


def _to_oews_codes(source_scores: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Scores of one source family carried onto the OEWS detailed codes."""
    mapping = soc_hierarchy_map(source_scores["code"].unique(), targets)
    return derive(source_scores, mapping)


def _percentile_measures(z_scores: pd.DataFrame, occupations: pd.DataFrame) -> pd.DataFrame:
    """``<measure>_pct``: national-employment-weighted percentile of each z-score measure."""
    weights = occupations.set_index("category")["national_employment"]
    frames = []
    for measure, group in z_scores.groupby("measure"):
        pct = weighted_percentile(group["score"], group["code"].map(weights).fillna(0.0))
        frames.append(group.assign(measure=f"{measure}_pct", score=pct))
    derived = pd.concat(frames, ignore_index=True)
    thresholds = with_thresholds(derived.drop(columns=["ge_10", "ge_50", "vulnerable",
                                                       "substitutable"]), True)
    return thresholds.assign(rule=derived["rule"].to_numpy())


def _residual_scores(detailed: pd.DataFrame, occupations: pd.DataFrame) -> pd.DataFrame:
    """Scores of the imputed categories: national employment-weighted means of their group."""
    weights = occupations[["category", "national_employment"]].dropna()
    weights = weights.loc[weights["national_employment"] > 0]
    by_group = pd.DataFrame({"from_code": weights["category"],
                             "to_code": weights["category"].map(residual_code),
                             "weight": weights["national_employment"],
                             "rule": "imputed_major_group_mean"})
    overall = by_group.assign(to_code=UNALLOCATED, rule="imputed_national_mean")
    return derive(detailed, pd.concat([by_group, overall], ignore_index=True))


INDUSTRIAL = "industrial_jobs"


def production_trait(categories: pd.Series) -> pd.DataFrame:
    """Trait measure ``industrial_jobs``: 1 for production occupations (SOC major group 51)."""
    return pd.DataFrame({"measure": INDUSTRIAL, "code": categories,
                         "score": categories.str.startswith("51-").astype(float),
                         "ge_10": float("nan"), "ge_50": float("nan"),
                         "vulnerable": float("nan"), "substitutable": float("nan"),
                         "rule": "soc_major_group"})


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
    ("median_hh_income", "Median household income", "US$",
     "population-weighted mean of county medians", "Census SAIPE via USDA ERS", "2023"),
]


def lower_tier(regions: pd.DataFrame, flags: dict[str, Any]) -> pd.Series:
    """US lower tier: nonmetro areas and metros under ``us_lower_tier_max_jobs`` jobs whose
    median household income is below ``us_lower_tier_max_income_ratio`` x the national one."""
    national = regions.loc[regions["level"] == "us_nation", "median_hh_income"]
    national_income = float(national.iloc[0]) if len(national) else float("nan")
    small = (regions["kind"] == "nonmetro") | (
        regions["published_total"] < flags["us_lower_tier_max_jobs"])
    poor = regions["median_hh_income"] < flags["us_lower_tier_max_income_ratio"] * national_income
    return (regions["level"] == "us_area") & small & poor


def load_us(inputs: Inputs, config: dict[str, Any]) -> LevelSet:
    """Read every US input and return the three US levels in the engine's model."""
    oews = read_oews(inputs)
    occupations = oews.occupations
    targets = occupations.rename(columns={"category": "code"})[["code", "national_employment"]]

    unit = _to_oews_codes(eloundou.read_soc_scores(inputs), targets)
    z_scores = _to_oews_codes(felten.read_soc_scores(inputs), targets)
    unit = pd.concat([unit, _percentile_measures(z_scores, occupations)], ignore_index=True)
    low_wage = unit["code"].map(occupations.set_index("category")["low_wage"])
    unit["vulnerable"] = unit["ge_50"] * low_wage
    exposure = config["exposure"]
    unit = with_substitutable(unit, exposure["automation_measure"],
                              exposure["substitutable_exposure"],
                              exposure["substitutable_automation"])
    detailed = pd.concat([unit, z_scores], ignore_index=True)
    trait = production_trait(occupations["category"])
    residuals = _residual_scores(pd.concat([detailed, trait], ignore_index=True), occupations)
    scores = pd.concat([detailed, trait, residuals], ignore_index=True)
    scores = scores.rename(columns={"code": "category"}).assign(taxonomy=TAXONOMY)

    measures = pd.concat([eloundou.measures(), felten.measures(), pd.DataFrame([{
        "measure": INDUSTRIAL, "label": "Industrial jobs: production occupations (SOC 51)",
        "scale": "trait", "description": "1 for SOC major group 51, used by flag_rust_belt",
        "source": "SOC 2018 structure"}])], ignore_index=True)

    context, series = us_region_context(inputs, oews.regions)
    regions = oews.regions.merge(context, on=["level", "region_id"], how="left")
    regions["states"] = regions["states"].fillna(regions["state"])
    regions["lower_tier"] = lower_tier(regions, config["flags"])

    residual_titles = pd.DataFrame({
        "category": [f"{g}-0000" for g in sorted(occupations["category"].str[:2].unique())]
        + [UNALLOCATED]})
    residual_titles["title"] = [f"Unallocated employment in major group {c[:2]} (imputed)"
                                for c in residual_titles["category"][:-1]] + [
        "Employment in suppressed major groups (imputed)"]
    categories = pd.concat([occupations, residual_titles], ignore_index=True).assign(
        taxonomy=TAXONOMY)
    # diversity is measured over SOC major groups; imputed XX-0000 rows belong to group XX,
    # the residual of suppressed groups (00-0000) to none (an empty group)
    categories["diversity_group"] = categories["category"].str[:2].where(
        categories["category"] != UNALLOCATED, "")

    matches = scores[["measure", "category", "rule"]]
    unmatched = occupations.loc[:, ["category", "title", "national_employment"]].merge(
        measures[["measure"]], how="cross").merge(
        matches, on=["measure", "category"], how="left")
    unmatched = unmatched.loc[unmatched["rule"].isna()].drop(columns=["rule"])

    return LevelSet(
        levels=LEVELS,
        regions=conform_regions(regions)[list(REGION_COLUMNS)],
        employment=oews.employment,
        categories=categories,
        measures=measures,
        exposure_scores=scores[["taxonomy", "measure", "category", *SCORE_COLUMNS, "rule"]],
        extra_tables={"unmatched_codes": unmatched.assign(taxonomy=TAXONOMY),
                      "region_geometry": us_region_geometry(inputs, oews.regions),
                      "region_series": series,
                      "us_region_details": regions[["level", "region_id", "area_code",
                                                    "state_fips", "counties",
                                                    "counties_without_laus"]]},
        context=pd.concat([context_frame(level, {
            name: group.set_index("region_id")[name] for name, *_ in CONTEXT_INDICATORS})
            for level, group in regions.groupby("level")], ignore_index=True),
        indicators=pd.concat([indicator_frame(level, CONTEXT_INDICATORS)
                              for level in LEVELS["level"]], ignore_index=True),
    )
