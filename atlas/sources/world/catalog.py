"""Comments (``COMMENT ON``) for the tables only the country level writes."""

from __future__ import annotations

LEVEL = "Geography level (country)."
COUNTRY = "ISO3 code of the country (see regions.region_id)."

WORLD_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "composition_model_errors": (
        "Leave-one-out error of the modelled ISCO-08 major-group compositions (additive "
        "log-ratios against group 5, ridge per log-ratio, penalty chosen by nested "
        "leave-one-out), per major group, with the income-group-mean baseline.", {
            "level": LEVEL,
            "category": "ISCO-08 major group 1-9, or 'all' (mean over the nine groups).",
            "title": "Major-group title.",
            "mae_full_pp": "Mean absolute leave-one-out error, percentage points: model on "
                           "sector log-ratios, self-employment, family workers, employment "
                           "rate and ln GDP per capita.",
            "mae_no_gdp_pp": "The same for the variant without GDP per capita.",
            "mae_gdp_only_pp": "The same for the variant on ln GDP per capita only.",
            "mae_income_mean_pp": "Baseline: mean composition of the other countries of the "
                                  "same World Bank income group (over the full variant's "
                                  "countries), percentage points.",
            "n_full": "Training countries of the full variant.",
            "n_no_gdp": "Training countries of the variant without GDP.",
            "n_gdp_only": "Training countries of the GDP-only variant.",
        }),
    "ilo_gradient_comparison": (
        "Share of employment in the ILO's exposed gradients 1-4 from the atlas's country "
        "compositions, under two ways of scoring a major group from its unit groups, next to "
        "the ILO's published figures.", {
            "scope": "world, or a World Bank income group (HIC, UMC, LMC, LIC).",
            "countries": "Countries with a composition in the scope.",
            "employment": "Their estimated employment, persons.",
            "share_unit_mean": "Exposed share with the unweighted mean of unit groups.",
            "share_us_employment": "Exposed share with unit groups weighted by US employment "
                                   "(OEWS May 2025 through the SOC -> ISCO links).",
            "published": "The ILO's published share (NULL where none is published).",
            "kept": "The weighting the atlas uses (smallest largest gap to a published share).",
            "source": "Where the published figures come from.",
        }),
    "country_sources": (
        "Per country: where the composition comes from, the year of every series used and "
        "the caveats that apply (the vintages behind data_quality).", {
            "level": LEVEL, "region_id": COUNTRY,
            "composition_source": "ilostat (survey shares), modelled, ilo_modelled_counts "
                                  "(China) or NULL (no composition).",
            "model_variant": "For modelled compositions: full, no_gdp or gdp_only.",
            "population_year": "Year of the population used (latest annual value; never a "
                               "projection year).",
            "employment_rate_year": "Year of the ILO employment-to-population ratio 15+ used "
                                    "(latest <= 2023).",
            "sector_year": "Year of the ILO sector shares and self-employment used (latest "
                           "<= 2023).",
            "unemployment_year": "Year of the latest unemployment rate used (2014-2024).",
            "gdp_year": "Year of the GDP per capita used (latest <= 2024).",
            "survey_caveat_basis": "Basis of the survey caveat in data_quality: "
                                   "inputs_sources_md or survey_documentation "
                                   "(atlas/spec/reference/world_survey_caveats.csv).",
            "task_content_caveat": "Low or lower-middle income economy with a composition: "
                                   "occupation-level exposure is likely overstated there "
                                   "(ILO Working Paper 166).",
        }),
}
