"""Countries (level ``country``) over the nine ISCO-08 major groups.

- ILO measures: ``ilo_genai_2025`` and ``ilo_genai_2023`` (mean task score 0..1 per ISCO-08
  unit group, Gmyrek et al. 2025 / 2023) and the trait ``ilo_exposed_gradient`` (1 for unit
  groups in one of the ILO's "Exposed: Gradient 1-4" classes).
- US measures carried to ISCO: each OEWS SOC 2018 code spreads a weight of 1 evenly over the
  SOC 2010 codes it came from (BLS 2010 -> 2018 crosswalk, read backwards), and each SOC 2010
  code its share evenly over its ISCO-08 codes (BLS ISCO-08 <-> SOC 2010 crosswalk); an ISCO
  unit group's score is the mean of its SOC codes' scores weighted by US employment x link
  weight. OEWS aggregate codes (31-1120 ...) link through the crosswalk codes of their broad
  group that OEWS does not publish.
- Major group = the unweighted mean of its 4-digit unit groups (no employment by unit group
  exists for most countries); the threshold shares become shares of unit groups.
- Composition: ILOSTAT employment shares by major group (latest year >= 2015, shares only);
  China from ILO modelled counts for 2023, whose combined groups 6+9 are split using the
  agricultural employment share (group 6 = agriculture's share of all employment, capped at
  6+9; group 9 the rest). Employment counts are estimated: population 2024 x employment rate
  15+ x 0.74 (the world's share of people aged 15+), except China's modelled total; eight
  small territories outside the ILO estimates take the median employment rate, and two with
  no population (Curacao, Isle of Man) are not ranked (``data_quality`` says which).
- Context: unemployment rate 15+ (ILO via Gapminder, latest year <= 2024), GDP per capita
  (constant US$), World Bank income groups FY2025; ``flag_global_south`` = low or
  lower-middle income.
- Geometry: Natural Earth 1:50m (de-facto boundaries, which differ from the PRC's claims used
  on the China map). Every country and territory is a region; those without occupation data
  are drawn as "no data".
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas.geometry import split_antimeridian
from atlas.inputs import Inputs
from atlas.model import LevelSet, conform_regions
from atlas.scores import SCORE_COLUMNS, derive, with_thresholds

LEVEL = "country"
TAXONOMY = "isco08_major"
UNIT_TAXONOMY = "isco08_unit"
ADULT_SHARE = 0.74
LATEST_YEAR = 2024
MAJOR_GROUPS = {
    "1": ("isco08_1_managers_pct", "Managers"),
    "2": ("isco08_2_professionals_pct", "Professionals"),
    "3": ("isco08_3_technicians_assoc_prof_pct", "Technicians and associate professionals"),
    "4": ("isco08_4_clerical_pct", "Clerical support workers"),
    "5": ("isco08_5_service_sales_pct", "Service and sales workers"),
    "6": ("isco08_6_skilled_agri_forestry_fishery_pct",
          "Skilled agricultural, forestry and fishery workers"),
    "7": ("isco08_7_craft_trades_pct", "Craft and related trades workers"),
    "8": ("isco08_8_plant_machine_operators_pct", "Plant and machine operators, and assemblers"),
    "9": ("isco08_9_elementary_pct", "Elementary occupations"),
}
GLOBAL_SOUTH = {"LIC", "LMC"}


def soc_to_isco_links(inputs: Inputs, oews_codes: pd.Series) -> pd.DataFrame:
    """Link weights OEWS SOC 2018 code -> ISCO-08 unit group; they sum to 1 per linked code.

    Returns
    -------
    DataFrame ``soc_code, isco_code, link_weight``.
    """
    crosswalk = inputs.table("soc2010_to_2018")
    soc = pd.DataFrame({"soc2010": crosswalk["2010 SOC Code"].str.strip(),
                        "soc2018": crosswalk["2018 SOC Code"].str.strip()}).drop_duplicates()
    isco = inputs.table("isco_soc2010")
    isco = pd.DataFrame({"soc2010": isco["soc2010_code"].str.strip(),
                         "isco_code": isco["isco08_code"].str.strip()}).drop_duplicates()
    published = set(oews_codes)
    crosswalk_codes = set(soc["soc2018"])
    rows = []
    for code in oews_codes:
        if code in crosswalk_codes:
            members = [code]
        else:  # an OEWS aggregate: the crosswalk codes of its broad group it stands for
            members = sorted(c for c in crosswalk_codes
                             if c.startswith(code[:6]) and c not in published)
        rows += [(code, member, 1.0 / len(members)) for member in members]
    to_2018 = pd.DataFrame(rows, columns=["soc_code", "soc2018", "w1"])
    to_2010 = soc.assign(w2=1.0 / soc.groupby("soc2018")["soc2010"].transform("size"))
    to_isco = isco.assign(w3=1.0 / isco.groupby("soc2010")["isco_code"].transform("size"))
    chain = to_2018.merge(to_2010, on="soc2018").merge(to_isco, on="soc2010")
    chain["link_weight"] = chain["w1"] * chain["w2"] * chain["w3"]
    links = chain.groupby(["soc_code", "isco_code"], as_index=False)["link_weight"].sum()
    # renormalise codes whose SOC 2010 codes lack an ISCO link, so each sums to 1
    links["link_weight"] /= links.groupby("soc_code")["link_weight"].transform("sum")
    return links


def isco_unit_scores(inputs: Inputs, occupation_scores: pd.DataFrame,
                     occupations: pd.DataFrame) -> pd.DataFrame:
    """Scores per ISCO-08 unit group: ILO measures as published, US measures carried over."""
    ilo = inputs.table("ilo_2025")
    published = pd.concat([
        pd.DataFrame({"measure": "ilo_genai_2025", "code": ilo["isco08_4d"],
                      "score": ilo["mean_score_2025"]}),
        pd.DataFrame({"measure": "ilo_genai_2023", "code": ilo["isco08_4d"],
                      "score": ilo["mean_score_2023"]}),
    ]).dropna(subset=["score"])
    published = with_thresholds(published, unit_scale=True).assign(rule="published")
    gradient = pd.DataFrame({
        "measure": "ilo_exposed_gradient", "code": ilo["isco08_4d"],
        "score": ilo["potential25"].str.startswith("Exposed: Gradient").astype(float),
        "ge_10": np.nan, "ge_50": np.nan, "vulnerable": np.nan, "rule": "published"})
    links = soc_to_isco_links(inputs, occupations["category"])
    employment = occupations.set_index("category")["national_employment"].fillna(0.0)
    mapping = pd.DataFrame({"from_code": links["soc_code"], "to_code": links["isco_code"],
                            "weight": links["link_weight"] * links["soc_code"].map(employment),
                            "rule": "soc_isco_crosswalk"})
    source = occupation_scores.rename(columns={"category": "code"})
    carried = derive(source[["measure", "code", *SCORE_COLUMNS]], mapping)
    return pd.concat([published, gradient, carried], ignore_index=True)


def latest(frame: pd.DataFrame, value: str, max_year: int = LATEST_YEAR) -> pd.Series:
    """Latest value per ISO3 (upper case) up to ``max_year``."""
    rows = frame.loc[(frame["time"] <= max_year) & frame[value].notna()]
    rows = rows.sort_values("time").groupby("geo").tail(1)
    return pd.Series(rows[value].to_numpy(), index=rows["geo"].str.upper())


def china_composition(inputs: Inputs) -> tuple[pd.Series, float]:
    """China's employment by major group (persons) for 2023, with 6+9 split; and the total."""
    frame = inputs.table("cn_occupations")
    rows = frame.loc[(frame["year"] == 2023) & (frame["sex"] == "SEX_T")]
    values = rows.set_index(rows["classif1"].str.replace("ocu_details_", ""))["emp_thousands"]
    total = float(values["total"]) * 1000
    sectors = inputs.table("world_sectors")
    agri = sectors.loc[(sectors["iso3"] == "CHN") & (sectors["year"] == 2023),
                       "agri_emp_pct"].iloc[0]
    combined = float(values["96"]) * 1000
    group6 = min(combined, agri / 100 * total)
    counts = {g: float(values[g]) * 1000 for g in ("1", "2", "3", "4", "5", "7", "8")}
    counts.update({"6": group6, "9": combined - group6})
    return pd.Series(counts).sort_index(), total


def country_shapes(inputs: Inputs) -> gpd.GeoDataFrame:
    """One (multi)polygon per country, ``region_id`` = ISO3 (or NE-<name> for the few
    Natural Earth units without one).

    The GeoJSON supplies the ISO3 codes; the geometry comes from the world-atlas TopoJSON by
    ISO numeric code, whose raw rings can be split at the antimeridian (the GeoJSON's
    make_valid has already turned Russia's and Fiji's wrapping rings into bands).
    """
    attributes = inputs.geometry("world_countries")
    raw = inputs.geometry("world_countries_topo", layer="countries")
    raw_by_id = dict(zip(raw["id"].astype(str), raw.geometry, strict=True))
    shapes = []
    for _, row in attributes.iterrows():
        source = raw_by_id.get(str(row["iso_n3"])) if pd.notna(row["iso_n3"]) else None
        shapes.append(split_antimeridian(source if source is not None else row.geometry))
    frame = gpd.GeoDataFrame(attributes.drop(columns="geometry"), geometry=shapes, crs=4326)
    frame["region_id"] = frame["iso_a3"].fillna("NE-" + frame["name"].str.replace(
        r"\W+", "", regex=True))
    return frame.dissolve(by="region_id", aggfunc="first").reset_index()


def load_world(inputs: Inputs, config: dict[str, Any], occupation_scores: pd.DataFrame,
               occupations: pd.DataFrame) -> LevelSet:
    """The country level. ``occupation_scores``/``occupations``: the US SOC scores and facts."""
    detailed = occupation_scores.loc[~occupation_scores["category"].str.endswith("-0000")]
    units = isco_unit_scores(inputs, detailed, occupations)
    to_major = pd.DataFrame({"from_code": units["code"].unique()})
    to_major = to_major.assign(to_code=to_major["from_code"].str[0], weight=1.0,
                               rule="isco_unit_group_mean")
    majors = derive(units, to_major)

    population = latest(inputs.table("gm_population"), "total_population_with_projections")
    employment_rate = latest(inputs.table("gm_employment_rate"),
                             "aged_15plus_employment_rate_percent")
    unemployment = latest(inputs.table("gm_unemployment"), "aged_15plus_unemployment_rate_percent")
    gdp = latest(inputs.table("gm_gdp"), "gdppercapita_us_inflation_adjusted")
    income = inputs.table("wb_income").set_index("iso3")

    shares = inputs.table("world_shares").set_index("iso3")
    share_table = shares[[column for column, _ in MAJOR_GROUPS.values()]]
    share_table.columns = list(MAJOR_GROUPS)
    share_table = share_table.div(share_table.sum(axis=1), axis=0)
    # Employment rate 15+: ILO modelled; small territories outside the ILO estimates get the
    # median rate of the countries that have one (said in data_quality).
    rate = employment_rate.reindex(share_table.index)
    median_rate = float(employment_rate.median())
    estimated = population.reindex(share_table.index) * rate.fillna(median_rate) / 100 \
        * ADULT_SHARE
    rows = []
    for iso3, row in share_table.iterrows():
        total = estimated.get(iso3)
        if total is None or not np.isfinite(total):
            continue
        rows += [(iso3, group, share * total) for group, share in row.items() if share > 0]
    china, china_total = china_composition(inputs)
    rows += [("CHN", group, value) for group, value in china.items() if value > 0]
    employment = pd.DataFrame(rows, columns=["region_id", "category", "employment"])
    totals = employment.groupby("region_id")["employment"].sum()

    countries = country_shapes(inputs)
    names = pd.concat([pd.Series(income["economy"]), countries.set_index("region_id")["name"]])
    names = names[~names.index.duplicated()]
    ids = pd.Index(names.index).union(pd.Index(totals.index))
    quality = pd.Series("ILOSTAT major-group shares (latest year >= 2015); employment estimated "
                        f"as population x employment rate 15+ x {ADULT_SHARE}", index=ids)
    quality["CHN"] = ("ILO modelled counts 2023; groups 6 and 9 split by the agricultural "
                      "employment share")
    no_rate = share_table.index.difference(employment_rate.index)
    quality[no_rate] = quality[no_rate] + (f"; no ILO employment rate: the median rate "
                                           f"({median_rate:.1f}%) was used")
    unsized = share_table.index.difference(totals.index)
    quality[unsized] = "occupation shares but no population to size them: not ranked"
    income_code = income["income_group_code"].reindex(ids)
    regions = pd.DataFrame({
        "level": LEVEL, "region_id": ids, "name": names.reindex(ids).fillna(pd.Series(
            ids, index=ids)).to_numpy(),
        "iso3": [i if not i.startswith("NE-") else None for i in ids],
        "state": income["wb_region"].reindex(ids).to_numpy() if "wb_region" in income else None,
        "kind": "country",
        "income_group": income_code.to_numpy(),
        "lower_tier": income_code.isin(GLOBAL_SOUTH).to_numpy(),
        "published_total": totals.reindex(ids).to_numpy(),
        "unemployment_rate": unemployment.reindex(ids).to_numpy(),
        "population": population.reindex(ids).to_numpy(),
        "gdp_per_capita": gdp.reindex(ids).to_numpy(),
        "data_quality": quality.where(pd.Series(ids.isin(share_table.index.union(
            totals.index)), index=ids)).to_numpy(),
    })
    regions["states"] = regions["state"]
    regions["labor_force"] = regions["published_total"] / (1 - regions["unemployment_rate"] / 100)
    regions.loc[regions["region_id"] == "CHN", "published_total"] = china_total
    regions["global_south"] = regions["lower_tier"]

    categories = pd.DataFrame({"taxonomy": TAXONOMY, "category": list(MAJOR_GROUPS),
                               "title": [f"{g} {title}" for g, (_, title) in MAJOR_GROUPS.items()],
                               "national_employment": employment.groupby("category")[
                                   "employment"].sum().reindex(list(MAJOR_GROUPS)).to_numpy()})
    ilo = inputs.table("ilo_2025")
    unit_categories = pd.DataFrame({"taxonomy": UNIT_TAXONOMY, "category": ilo["isco08_4d"],
                                    "title": ilo["title"]})
    scores = pd.concat([majors.assign(taxonomy=TAXONOMY),
                        units.assign(taxonomy=UNIT_TAXONOMY)], ignore_index=True)
    scores = scores.rename(columns={"code": "category"})
    measures = pd.DataFrame([
        ("ilo_genai_2025", "ILO generative-AI exposure 2025", "unit",
         "mean task exposure score of the ISCO-08 unit group (0..1)",
         "Gmyrek et al. (2025), ILO Working Paper 140"),
        ("ilo_genai_2023", "ILO generative-AI exposure 2023", "unit",
         "mean task exposure score of the ISCO-08 unit group (0..1)",
         "Gmyrek, Berg, Bescond (2023), ILO Working Paper 96"),
        ("ilo_exposed_gradient", "ILO exposed gradients", "trait",
         "1 for unit groups in the ILO's exposed gradients 1-4", "Gmyrek et al. (2025)"),
    ], columns=["measure", "label", "scale", "description", "source"])
    geometry = pd.DataFrame({"level": LEVEL, "region_id": countries["region_id"],
                             "geometry": shapely.to_wkb(countries.geometry.values)})
    return LevelSet(
        levels=pd.DataFrame({"level": [LEVEL], "taxonomy": [TAXONOMY], "reference_level": [LEVEL],
                             "description": ["Countries and territories (ISCO-08 major groups)"]}),
        regions=conform_regions(regions),
        employment=employment.assign(level=LEVEL, imputed=False)[
            ["level", "region_id", "category", "employment", "imputed"]],
        categories=pd.concat([categories, unit_categories], ignore_index=True),
        measures=measures,
        exposure_scores=scores[["taxonomy", "measure", "category", *SCORE_COLUMNS, "rule"]],
        extra_tables={"region_geometry": geometry},
    )
