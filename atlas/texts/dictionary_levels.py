"""What a column means at one geography (the exports' dictionary sheet is written for one
level): the US, China's cities and the countries. ``atlas.texts.dictionary`` holds the texts that
hold at every level (the database comments)."""

from __future__ import annotations

US_COLUMNS: dict[str, str] = {
    "level": "Geography level: us_area (OEWS MSA or nonmetro area), us_state, us_nation.",
    "region_id": "Region code: OEWS area code (5-digit CBSA for metros, 7-digit for nonmetro "
                 "areas), 2-digit state FIPS, or US.",
    "name": "Region name as published by BLS OEWS May 2025.",
    "kind": "msa, nonmetro, state or national.",
    "total_employment": "Jobs, OEWS May 2025 published total (wage and salary jobs; "
                        "self-employed excluded).",
    "unemployment_rate": "Unemployment rate, percent, 2023 annual average (BLS LAUS via USDA "
                         "ERS): sum unemployed / sum labour force over member counties.",
    "median_hh_income": "Median household income 2023, US$ (Census SAIPE), population-weighted "
                        "mean of county medians. Not available for Puerto Rico.",
    "population": "Population, 2020 Census (sum of member counties).",
    "labor_force": "Civilian labour force, 2023 annual average (LAUS).",
    "poverty_rate": "People in poverty, percent, 2023 (SAIPE).",
    "imputed_share": "Share of employment in imputed residual rows (suppressed OEWS cells), "
                     "scored with national major-group means.",
    "entropy_norm": "Shannon entropy of the occupational shares over published detailed "
                    "occupations, divided by ln N (N = occupations in the national composition); "
                    "0 = one occupation, 1 = perfectly even.",
    "hhi": "Herfindahl-Hirschman index: sum s_i^2 over occupational shares.",
    "effective_n": "1 / hhi: number of equally sized occupations with the same concentration.",
}


def _composition(unit: str, source: str) -> dict[str, str]:
    """Diversity and exposure texts for a level whose composition is over ``unit``."""
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
        "automation_mean": f"Employment-weighted mean of eloundou_automation, {source}.",
    }


CN_COLUMNS: dict[str, str] = {
    **_composition("the 19 GB/T 4754-2017 sectors",
                   "each sector scored with the US occupational mix of that sector (OEWS "
                   "May 2025 staffing patterns; a proxy)"),
    "level": "Geography level: cn_city (China's prefecture-level city units, 2019), "
             "cn_city@YYYY for the yearbook years 2003-2018.",
    "region_id": "Administrative division code of the city (6-digit adcode).",
    "name": "City name in Chinese and pinyin, e.g. 石家庄市 Shijiazhuang.",
    "parent": "Province in pinyin, e.g. Hebei.",
    "parents": "Province in pinyin (a city lies in one province).",
    "state": "Province in pinyin, e.g. Hebei.",
    "states": "Province in pinyin (a city lies in one province).",
    "kind": "prefecture (地级市) or municipality (直辖市).",
    "total_employment": "Jobs: year-end employment in urban units (城镇单位就业人员) of the "
                        "level's year, China City Statistical Yearbook; urban private and "
                        "individual workers and rural employment are not included.",
    "unemployment_rate": "Registered urban unemployment rate of the level's year, percent: "
                         "registered urban unemployed / (registered unemployed + urban-unit "
                         "employment + urban private and individual workers), City Statistical "
                         "Yearbook. Understates unemployment (only people with local urban "
                         "registration who sign on); not comparable with BLS LAUS or ILO rates. "
                         "Rates above 20% are taken as unit errors and left out.",
    "labor_force": "Registered urban unemployed + urban-unit employment + urban private and "
                   "individual workers of the level's year, persons.",
    "population": "Year-end population of the level's year, persons (CSMAR city panel, "
                  "research use).",
    "gdp_per_capita": "GDP per capita of the level's year, CNY (CSMAR city panel).",
}

COUNTRY_COLUMNS: dict[str, str] = {
    **_composition("the nine ISCO-08 major groups",
                   "each major group the mean of its unit groups' scores (ILO measures "
                   "directly; US measures through the BLS SOC-ISCO-08 crosswalks)"),
    "level": "Geography level: country (countries and territories).",
    "region_id": "ISO 3166-1 alpha-3 code (NE-... for a territory without one).",
    "name": "Country or territory name (World Bank, else Natural Earth).",
    "parent": "World Bank region, e.g. South Asia.",
    "parents": "World Bank region.",
    "state": "World Bank region, e.g. South Asia.",
    "states": "World Bank region.",
    "kind": "country.",
    "total_employment": "Jobs, estimated: ILOSTAT employment shares by ISCO-08 major group "
                        "(latest year >= 2015; modelled where ILOSTAT has none) x estimated "
                        "employment (population x ILO employment rate 15+ x 0.74); China: ILO "
                        "modelled counts 2023.",
    "unemployment_rate": "Unemployment rate, percent of the labour force aged 15+ (ILO "
                         "modelled estimates via Gapminder, latest year <= 2024).",
    "labor_force": "Estimated labour force: total_employment / (1 - unemployment_rate / 100).",
    "population": "Population (Gapminder; latest annual value, see population_year).",
    "gdp_per_capita": "GDP per capita, constant US$ (World Bank via Gapminder).",
}


def level_columns(level: str) -> dict[str, str]:
    """The texts particular to ``level``'s geography (``cn_city@2010`` is a ``cn_city``)."""
    geography = level.partition("@")[0]
    if geography.startswith("us_"):
        return US_COLUMNS
    return {"cn_city": CN_COLUMNS, "country": COUNTRY_COLUMNS}.get(geography, {})
