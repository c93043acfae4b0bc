"""What every output column means: unit, source and formula.

Used for the ``dictionary`` sheet of exports and for ``COMMENT ON COLUMN`` in the database.
"""

from __future__ import annotations

from atlas.texts.dictionary_levels import level_columns

REGION_INDEX_COLUMNS: dict[str, str] = {
    "level": ("Geography level (table levels): us_area, us_state, us_nation, cn_city (with its "
              "earlier periods cn_city@YYYY), country."),
    "region_id": ("Region code within the level: OEWS area code or state FIPS (US), 6-digit adcode"
                  " (China), ISO 3166-1 alpha-3 (countries)."),
    "name": ("Region name: as published by BLS OEWS (US), in Chinese and pinyin (China), World "
             "Bank or Natural Earth (countries)."),
    "parent": "The unit the region belongs to: the principal state's postal code (US), the "
              "province in pinyin (China), the World Bank region (countries).",
    "parents": "Every such unit: the states with member counties, joined by '-' (US).",
    "state": "Same as parent (kept for readers of earlier releases).",
    "state_fips": "Principal state FIPS code (US).",
    "states": "All states with member counties, joined by '-'.",
    "kind": ("Kind of region: msa, nonmetro, state, national (US); prefecture, municipality "
             "(China); country."),
    "total_employment": ("Jobs in the region's composition: the OEWS May 2025 published total (US;"
                         " wage and salary jobs), year-end urban-unit employment of the yearbook "
                         "year (China), ILOSTAT shares x estimated employment (countries)."),
    "coverage": "Share of total_employment with a score under the exposure measure.",
    "imputed_share": ("Share of employment in imputed residual rows (suppressed OEWS cells, US), "
                      "scored with national major-group means; 0 elsewhere."),
    "exposure_mean": "Employment-weighted mean exposure score of the exposure measure: "
                     "sum e_i*score_i / sum e_i (0..1: share of tasks exposed).",
    "share_ge_10": "Employment share in occupations with score >= 0.1 (>= 10% of tasks exposed).",
    "share_ge_50": "Employment share in occupations with score >= 0.5 (>= 50% of tasks exposed).",
    "exposed_jobs": "Job-equivalents of exposed task time: exposure_mean x total_employment.",
    "automation_mean": "Employment-weighted mean of eloundou_automation (task automation 0..1).",
    "vulnerable_share": "v1's vulnerable jobs: employment share in occupations with "
                        "eloundou_automation >= 0.5 AND a national median annual wage below the "
                        "all-occupation median ($50,980; hourly-only occupations: hourly "
                        "median x 2080).",
    "entropy_norm": ("v1's diversity: Shannon entropy of the shares over the published detailed "
                     "categories, divided by ln N (N = categories of the national composition); 0 "
                     "= one category, 1 = perfectly even."),
    "hhi": ("Herfindahl-Hirschman index: sum s_i^2 over the category shares."),
    "effective_n": ("1 / hhi: number of equally sized categories with the same concentration."),
    "hachman": "Hachman index 1 / sum s_i * LQ_i, LQ_i = s_i / s_nat_i (1 = national mix).",
    "krugman": "Krugman dissimilarity sum |s_i - s_nat_i| (0 = national mix, max 2).",
    "unemployment_rate": ("Unemployment rate, percent: BLS LAUS 2023 (US), registered urban "
                          "unemployment of the yearbook year (China; understates unemployment), "
                          "ILO modelled rate 15+ (countries)."),
    "median_hh_income": ("Median household income 2023, US$ (Census SAIPE), population-weighted "
                         "mean of county medians (US areas and states; not Puerto Rico)."),
    "population": ("Population: Census 2020 (US), year-end population of the year (China, CSMAR), "
                   "Gapminder (countries)."),
    "labor_force": ("Labour force: LAUS 2023 (US), registered unemployed + urban-unit and "
                    "private/individual workers (China), estimated (countries)."),
    "poverty_rate": ("People in poverty, percent, 2023 (SAIPE; US)."),
    "collapse_risk": ("Collapse risk on (0, 1] (formula and weights: 'collapse risk' in the "
                      "method, rendered from the configuration in use)."),
    "risk_rank": "Rank by collapse_risk within the level, 1 = highest risk; ties broken by larger "
                 "total_employment, then region_id.",
    "regions_in_level": "Number of regions in the level (the N of 'rank of N').",
    "industrial_share": "Employment share in industrial jobs (the trait measure "
                        "industrial_jobs): SOC 51 production occupations (US), sections B-D "
                        "mining, manufacturing, utilities (China).",
    "substitutable_share": "Share of jobs generative AI could substitute: in occupations with "
                           "an exposure score >= the substitutable threshold and an automation "
                           "score >= its threshold; state-funded (sheltered) categories count "
                           "0 (see the method).",
    "substitutable_jobs": "substitutable_share x total_employment.",
    "substitutable_excess": "Substitutable jobs beyond the reference (national) mix, group by "
                            "group: sum_g max(0, X_g / E - X_g_ref / E_ref), X_g = "
                            "substitutable jobs in diversity group g (share of all jobs).",
    "group_entropy": "Diversity at a fixed aggregation level: Shannon entropy of the jobs "
                     "over the diversity groups (SOC major groups, GB/T sections, ISCO major "
                     "groups) of the full composition, imputed rows included, / ln G; "
                     "size-neutral.",
    "group_hachman": "Hachman index over the diversity groups: 1 / sum_g s_g^2 / r_g.",
    "p_trap": "Share of specifications in which the region is a trap (top decile with every "
              "pillar above the minimum).",
    "n_specs": "Number of specifications of the rank uncertainty.",
    "employment_change": "Employment change over the level's window, percent (US: LAUS "
                         "2000-2023; China: urban-unit employment over the nine years to the "
                         "yearbook year (from 2000 before 2009), 2010-2019 for cn_city; "
                         "countries: "
                         "employment-to-population ratio change 2013-2023, points).",
    "flag_rust_belt": ("Rust belt: industrial jobs above the national share and prior employment "
                       "decline (thresholds: the method)."),
    "flag_lower_tier": ("Lower tier: US small and poor areas, Chinese cities of tiers 3-5, low and"
                        " lower-middle income countries (rules: the method)."),
    "flag_global_south": "Country in the World Bank's low or lower-middle income groups "
                         "(FY2025).",
    "global_south": "Low or lower-middle income country (World Bank FY2025).",
    "flag_trap": ("Trap: top share of collapse risk with every pillar high (thresholds: the "
                  "method)."),
    "exposure_measure": "Measure behind exposure_mean, share_ge_10/50, exposed_jobs and the "
                        "substitutable indicators.",
    "median_rank": "Median rank over all specifications of the rank uncertainty.",
    "rank_p05": "5th percentile of the rank over the specifications (the 90% interval's best).",
    "rank_p95": "95th percentile of the rank over the specifications (the 90% interval's worst).",
    "p_top_decile": "Share of specifications in which the region is in the level's top decile "
                    "of collapse risk.",
    "flag_robust_trap": "Trap in at least the configured share of the specifications (the method).",
    "flag_transition_target": "Transition target: a trap, or a near-trap that is a rust-belt "
                              "or lower-tier place (thresholds: the method).",
    "flag_low_confidence": "Low confidence: many imputed jobs, a missing component or a "
                           "modelled composition (thresholds: the method).",
    "in_rust_belt_states": "Principal state in the reference rust-belt state list (context).",
    "reference_industrial_share": "The national industrial share behind flag_rust_belt.",
    "min_pillar": "The region's lowest pillar score.",
    "missing_components": "Components of the model the region has no value for.",
    "risk_model": "Name of the collapse-risk model in use.",
    "composition_source": "Where the composition comes from (countries: ilostat or modelled).",
    "population_year": "Year of the population figure used.",
    "trap_zone": "Id of the contiguous trap zone (Local Moran's I High-High cluster of "
                 "collapse_risk, p < 0.05) the region belongs to; NULL if none.",
    "name_zh": "Name in Chinese (cn_city).",
    "name_pinyin": "Name in pinyin (cn_city; generated with pypinyin plus conventional "
                   "romanisations, not an official list).",
    "name_en": "English name from the CSMAR panel, e.g. Harbin for Haerbin (cn_city; a search "
               "name of the map).",
    "name_common": "Everyday English name from Gapminder, e.g. Turkey, South Korea (country; a "
                   "search name of the map).",
    "province": "Province, in Chinese (cn_city).",
    "tier": "City tier (yicai 2025 list): 1, new-1, 2, 3, 4, 5 (cn_city).",
    "tier_zh": "City tier in Chinese, e.g. 三线城市 (cn_city).",
    "tier_rank": "Tier as a number: 1 = tier 1 ... 6 = tier 5 (cn_city).",
    "gdp_per_capita": "GDP per capita: CNY of the yearbook year (China, CSMAR) or "
                      "constant US$ (country, World Bank via Gapminder).",
    "income_group": "World Bank income group FY2025: LIC, LMC, UMC, HIC (country).",
    "iso3": "ISO 3166-1 alpha-3 code (country).",
    "data_quality": "Notes on the composition: missing sectors, sectors not summing to the "
                    "published total (cn_city), share-only data (country).",
    "selection_rank": "Position in this export (1 = highest collapse risk among the selection).",
    "allocation": "Transition-fund amount, whole currency units (see the method sheet).",
    "allocation_need": "Need the allocation rule used: exposed_jobs, exposed_jobs x "
                       "collapse_risk, or 1 (equal).",
}

# Columns the collapse-risk engine is adding; the database's own column comment (or an entry
# in REGION_INDEX_COLUMNS) takes precedence once it exists.
ENGINE_COLUMNS: dict[str, str] = {
    "pillar_shock": "Pillar score 0..1: the AI shock to the jobs the region depends on.",
    "pillar_absorption": "Pillar score 0..1: weak capacity to absorb displaced workers.",
    "substitutable_share": "Employment share in work generative AI could substitute for.",
    "p_trap": "Share of specifications in which the region is a trap.",
    "flag_transition_target": "Region the model marks as a transition-fund target.",
    "flag_low_confidence": "The region's result rests on weak or incomplete data.",
}

# Columns that exist only in exports.
EXPORT_COLUMNS: dict[str, str] = {
    "risk_tier": "Tier of the robust ranking: 'Robust top decile' if the whole 90% rank "
                 "interval (rank_p95) lies within the level's top decile, 'Reaches top "
                 "decile' if the interval reaches it (rank_p05), else 'Other'.",
    "note": "Why the region is in the selection although its principal state was not "
            "requested (--any-county-in).",
    "allocation_bound": "'floor' or 'cap' when that bound set the region's amount, else empty.",
    "currency": "ISO 4217 code of the amounts (a label: nothing is converted).",
}


# Flags that cannot be true at a level: exported as empty, like a column with no data.
NOT_APPLICABLE: dict[str, set[str]] = {
    "cn_city": {"flag_global_south", "in_rust_belt_states"},
    "country": {"flag_rust_belt", "in_rust_belt_states"},
}
US_NOT_APPLICABLE = {"flag_global_south"}


def not_applicable(level: str) -> set[str]:
    """Columns that carry no information at ``level`` (US levels: flag_global_south)."""
    geography = level.partition("@")[0]
    return NOT_APPLICABLE.get(geography, US_NOT_APPLICABLE if geography.startswith("us_")
                              else set())


def column_meaning(column: str, level: str, comments: dict[str, str] | None = None) -> str:
    """What ``column`` means at ``level``.

    Looks up the level's own text, then the general text, then the database's column comment
    (``comments``), then the export-only and engine texts; "" if none.
    """
    for texts in (level_columns(level), REGION_INDEX_COLUMNS, comments or {},
                  EXPORT_COLUMNS, ENGINE_COLUMNS):
        if texts.get(column):
            return texts[column]
    return ""
