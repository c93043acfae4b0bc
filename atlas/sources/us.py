"""The US levels (us_area, us_state, us_nation) over SOC 2018 occupations."""

from __future__ import annotations

from typing import Any

import pandas as pd

from atlas.geometry import us_region_geometry
from atlas.inputs import Inputs
from atlas.model import REGION_COLUMNS, LevelSet, conform_regions
from atlas.scores import derive, soc_hierarchy_map, weighted_percentile, with_thresholds
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
    thresholds = with_thresholds(derived.drop(columns=["ge_10", "ge_50", "vulnerable"]), True)
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


def production_trait(categories: pd.Series) -> pd.DataFrame:
    """Trait measure: 1 for production occupations (SOC major group 51), else 0."""
    return pd.DataFrame({"measure": "soc51_production_share", "code": categories,
                         "score": categories.str.startswith("51-").astype(float),
                         "ge_10": float("nan"), "ge_50": float("nan"),
                         "vulnerable": float("nan"), "rule": "soc_major_group"})


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
    detailed = pd.concat([unit, z_scores], ignore_index=True)
    trait = production_trait(occupations["category"])
    residuals = _residual_scores(pd.concat([detailed, trait], ignore_index=True), occupations)
    scores = pd.concat([detailed, trait, residuals], ignore_index=True)
    scores = scores.rename(columns={"code": "category"}).assign(taxonomy=TAXONOMY)

    measures = pd.concat([eloundou.measures(), felten.measures(), pd.DataFrame([{
        "measure": "soc51_production_share", "label": "Production occupations (SOC 51)",
        "scale": "trait", "description": "1 for SOC major group 51, used by flag_rust_belt",
        "source": "SOC 2018 structure"}])], ignore_index=True)

    context = us_region_context(inputs, oews.regions)
    regions = oews.regions.merge(context, on=["level", "region_id"], how="left")
    regions["states"] = regions["states"].fillna(regions["state"])
    max_jobs = config["flags"]["lower_tier_max_jobs"]
    regions["lower_tier"] = (regions["level"] == "us_area") & (
        (regions["kind"] == "nonmetro") | (regions["published_total"] < max_jobs))

    residual_titles = pd.DataFrame({
        "category": [f"{g}-0000" for g in sorted(occupations["category"].str[:2].unique())]
        + [UNALLOCATED]})
    residual_titles["title"] = [f"Unallocated employment in major group {c[:2]} (imputed)"
                                for c in residual_titles["category"][:-1]] + [
        "Employment in suppressed major groups (imputed)"]
    categories = pd.concat([occupations, residual_titles], ignore_index=True).assign(
        taxonomy=TAXONOMY)

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
        exposure_scores=scores[["taxonomy", "measure", "category", "score", "ge_10", "ge_50",
                                "vulnerable", "rule"]],
        extra_tables={"unmatched_codes": unmatched.assign(taxonomy=TAXONOMY),
                      "region_geometry": us_region_geometry(inputs, oews.regions),
                      "us_region_details": regions[["level", "region_id", "area_code",
                                                    "state_fips", "counties",
                                                    "counties_without_laus"]]},
    )
