"""What every output column means: unit, source and formula.

Used for the ``dictionary`` sheet of exports and for ``COMMENT ON COLUMN`` in the database.
"""

from __future__ import annotations

REGION_INDEX_COLUMNS: dict[str, str] = {
    "level": "Geography level: us_area (OEWS MSA or nonmetro area), us_state, us_nation.",
    "region_id": "Region code: OEWS area code (5-digit CBSA for metros, 7-digit for nonmetro "
                 "areas), 2-digit state FIPS, or US.",
    "name": "Region name as published by BLS OEWS May 2025.",
    "parent": "The unit the region belongs to: the principal state's postal code (US), the "
              "province in pinyin (China), the World Bank region (countries).",
    "parents": "Every such unit: the states with member counties, joined by '-' (US).",
    "state": "Same as parent (kept for readers of earlier releases).",
    "state_fips": "Principal state FIPS code (US).",
    "states": "All states with member counties, joined by '-'.",
    "kind": "msa, nonmetro, state or national.",
    "total_employment": "Jobs, OEWS May 2025 published total (wage and salary jobs; "
                        "self-employed excluded).",
    "coverage": "Share of total_employment with a score under the exposure measure.",
    "imputed_share": "Share of employment in imputed residual rows (suppressed OEWS cells), "
                     "scored with national major-group means.",
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
    "entropy_norm": "Shannon entropy of the occupational shares over published detailed "
                    "occupations, divided by ln N (N = occupations in the national composition); "
                    "0 = one occupation, 1 = perfectly even.",
    "hhi": "Herfindahl-Hirschman index: sum s_i^2 over occupational shares.",
    "effective_n": "1 / hhi: number of equally sized occupations with the same concentration.",
    "hachman": "Hachman index 1 / sum s_i * LQ_i, LQ_i = s_i / s_nat_i (1 = national mix).",
    "krugman": "Krugman dissimilarity sum |s_i - s_nat_i| (0 = national mix, max 2).",
    "unemployment_rate": "Unemployment rate, percent, 2023 annual average (BLS LAUS via USDA "
                         "ERS): sum unemployed / sum labour force over member counties.",
    "median_hh_income": "Median household income 2023, US$ (Census SAIPE), population-weighted "
                        "mean of county medians. Not available for Puerto Rico.",
    "population": "Population, 2020 Census (sum of member counties).",
    "labor_force": "Civilian labour force, 2023 annual average (LAUS).",
    "poverty_rate": "People in poverty, percent, 2023 (SAIPE).",
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
                         "2000-2023; China: urban-unit employment 2010-2019; countries: "
                         "employment-to-population ratio change, points).",
    "flag_rust_belt": ("Rust belt: industrial jobs above the national share and prior "
                       "employment decline (thresholds: the method)."),
    "flag_lower_tier": ("Lower tier: US small and poor areas, Chinese cities of tiers 3-5, "
                        "low and lower-middle income countries (rules: the method)."),
    "flag_global_south": "Country in the World Bank's low or lower-middle income groups "
                         "(FY2025).",
    "global_south": "Low or lower-middle income country (World Bank FY2025).",
    "flag_trap": ("Trap: top share of collapse risk with every pillar high "
                  "(thresholds: the method)."),
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
    "province": "Province, in Chinese (cn_city).",
    "tier": "City tier (yicai 2025 list): 1, new-1, 2, 3, 4, 5 (cn_city).",
    "tier_zh": "City tier in Chinese, e.g. 三线城市 (cn_city).",
    "tier_rank": "Tier as a number: 1 = tier 1 ... 6 = tier 5 (cn_city).",
    "gdp_per_capita": "GDP per capita: CNY 2019 (cn_city, CSMAR) or constant US$ (country, "
                      "World Bank via Gapminder).",
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


def _composition(unit: str, source: str) -> dict[str, str]:
    """Diversity texts for a level whose composition is over ``unit`` (not occupations)."""
    return {
        "entropy_norm": f"Shannon entropy of the employment shares over {unit}, divided by "
                        f"ln N (N = {unit} with jobs in the level); 0 = one, 1 = even.",
        "hhi": f"Herfindahl-Hirschman index: sum s_i^2 over the shares of {unit}.",
        "effective_n": f"1 / hhi: number of equally sized {unit} with the same concentration.",
        "hachman": "Hachman index 1 / sum s_i * LQ_i against the level's overall mix "
                   "(1 = that mix).",
        "krugman": "Krugman dissimilarity sum |s_i - s_ref_i| against the level's overall mix "
                   "(0 = that mix, max 2).",
        "imputed_share": "0: no suppressed cells are imputed at this level.",
        "exposure_mean": f"Employment-weighted mean exposure over {unit}; {source}.",
        "vulnerable_share": f"Employment share in vulnerable work (score >= 0.5 and a US "
                            f"national median wage below the all-occupation median), "
                            f"{source}.",
        "production_share": f"Employment share in production occupations (SOC 51), {source}.",
        "automation_mean": f"Employment-weighted mean of eloundou_automation, {source}.",
    }


LEVEL_COLUMNS: dict[str, dict[str, str]] = {
    "cn_city": {
        **_composition("the 19 GB/T 4754-2017 sectors",
                       "each sector scored with the US occupational mix of that sector (OEWS "
                       "May 2025 staffing patterns; a proxy)"),
        "level": "Geography level: cn_city (China's prefecture-level city units).",
        "region_id": "Administrative division code of the city (6-digit adcode).",
        "name": "City name in Chinese and pinyin, e.g. 石家庄市 Shijiazhuang.",
        "state": "Province in pinyin, e.g. Hebei.",
        "states": "Province in pinyin (a city lies in one province).",
        "kind": "prefecture (地级市) or municipality (直辖市).",
        "total_employment": "Jobs: year-end employment in urban units (城镇单位就业人员), China "
                            "City Statistical Yearbook 2019; urban private and individual "
                            "workers and rural employment are not included.",
        "unemployment_rate": "Registered urban unemployment rate, percent, 2019: registered "
                             "urban unemployed / (registered unemployed + urban-unit employment "
                             "+ urban private and individual workers), City Statistical "
                             "Yearbook. Understates unemployment (only people with local "
                             "urban registration who sign on); not comparable with BLS LAUS or "
                             "ILO rates. Rates above 20% are taken as unit errors and left out.",
        "labor_force": "Registered urban unemployed + urban-unit employment + urban private "
                       "and individual workers, 2019, persons.",
        "population": "Year-end population 2019, persons (CSMAR city panel, research use).",
        "gdp_per_capita": "GDP per capita 2019, CNY (CSMAR city panel).",
    },
    "country": {
        **_composition("the nine ISCO-08 major groups",
                       "each major group the mean of its unit groups' scores (ILO measures "
                       "directly; US measures through the BLS SOC-ISCO-08 crosswalks)"),
        "level": "Geography level: country (countries and territories).",
        "region_id": "ISO 3166-1 alpha-3 code (NE-... for a territory without one).",
        "name": "Country or territory name (World Bank, else Natural Earth).",
        "state": "World Bank region, e.g. South Asia.",
        "states": "World Bank region.",
        "kind": "country.",
        "total_employment": "Jobs, estimated: ILOSTAT employment shares by ISCO-08 major group "
                            "(latest year >= 2015) x estimated employment (population 2024 x "
                            "ILO employment rate 15+ x 0.74); China: ILO modelled counts 2023.",
        "unemployment_rate": "Unemployment rate, percent of the labour force aged 15+ (ILO "
                             "modelled estimates via Gapminder, latest year <= 2024).",
        "labor_force": "Estimated labour force: total_employment / (1 - unemployment_rate / "
                       "100).",
        "population": "Population 2024 (Gapminder, with projections).",
        "gdp_per_capita": "GDP per capita, constant US$ (World Bank via Gapminder).",
    },
}

# Flags that cannot be true at a level: exported as empty, like a column with no data.
NOT_APPLICABLE: dict[str, set[str]] = {
    "cn_city": {"flag_rust_belt", "flag_global_south"},
    "country": {"flag_rust_belt"},
}
US_NOT_APPLICABLE = {"flag_global_south"}


def not_applicable(level: str) -> set[str]:
    """Columns that carry no information at ``level`` (US levels: flag_global_south)."""
    return NOT_APPLICABLE.get(level, US_NOT_APPLICABLE if level.startswith("us_") else set())


def column_meaning(column: str, level: str, comments: dict[str, str] | None = None) -> str:
    """What ``column`` means at ``level``.

    Looks up the level's own text, then the general text, then the database's column comment
    (``comments``), then the export-only and engine texts; "" if none.
    """
    for texts in (LEVEL_COLUMNS.get(level, {}), REGION_INDEX_COLUMNS, comments or {},
                  EXPORT_COLUMNS, ENGINE_COLUMNS):
        if texts.get(column):
            return texts[column]
    return ""
