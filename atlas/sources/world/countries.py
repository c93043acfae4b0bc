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
- Major group = the mean of its 4-digit unit groups weighted by an employment proxy, US
  employment by unit group (OEWS May 2025 through the same SOC -> ISCO links), for every
  measure through :func:`atlas.sources.scores.derive`; the unweighted mean is kept for comparison
  (``ilo_gradient_comparison``), and the weighting closer to the ILO's published
  exposed-gradient shares is used.
- Compositions (:mod:`atlas.sources.world.compose`): ILOSTAT shares, modelled shares
  (:mod:`atlas.sources.world.modelled`) or China's ILO modelled counts.
- Context (:mod:`atlas.sources.world.context`): honest vintages per country and the context
  indicators of the absorption-capacity pillar; World Bank income groups FY2025;
  ``flag_global_south`` = low or lower-middle income.
- Geometry: Natural Earth 1:50m (de-facto boundaries, which differ from the PRC's claims used
  on the China map). Every country and territory is a region; those without a composition
  are drawn as "no data" and ``data_quality`` says why.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from atlas.sources.inputs import Inputs
from atlas.sources.levelset import LevelSet, conform_regions, region_attributes
from atlas.sources.region_geometry import split_antimeridian
from atlas.sources.scores import derive
from atlas.sources.world.compose import (
    ADULT_SHARE,
    MAJOR_GROUPS,
    Compositions,
    Sizes,
    china_composition,
    compose,
    employment_rows,
    estimate_sizes,
    gradient_comparison,
)
from atlas.sources.world.context import (
    CountrySeries,
    common_names,
    country_context,
    read_series,
    vintage_table,
)
from atlas.sources.world.quality import (
    composition_note,
    read_caveats,
    sizing_note,
    task_content_flag,
    unranked_note,
    with_caveats,
)
from atlas.store.cache import cache_key
from atlas.store.cache_geo import cached_geoframe

LEVEL = "country"
TAXONOMY = "isco08_major"
UNIT_TAXONOMY = "isco08_unit"
GLOBAL_SOUTH = {"LIC", "LMC"}
__all__ = ["ADULT_SHARE", "MAJOR_GROUPS", "read", "soc_to_isco_links",
           "unit_group_employment"]


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


def country_shapes(inputs: Inputs) -> gpd.GeoDataFrame:
    """One (multi)polygon per country, ``region_id`` = ISO3 (or NE-<name> for the few
    Natural Earth units without one).

    The GeoJSON supplies the ISO3 codes; the geometry comes from the world-atlas TopoJSON by
    ISO numeric code, whose raw rings can be split at the antimeridian (the GeoJSON's
    make_valid has already turned Russia's and Fiji's wrapping rings into bands). Cached by
    the two files' sha256 (:mod:`atlas.store.cache`).
    """
    attributes = inputs.geometry("world_countries")
    raw = inputs.geometry("world_countries_topo", layer="countries")
    key = cache_key("world_country_shapes", *(inputs.provenance[name]["sha256"] for name in
                                              ("world_countries", "world_countries_topo")))
    return cached_geoframe("world_country_shapes", key,
                           lambda: (_dissolve_countries(attributes, raw), []))[0]


def _dissolve_countries(attributes: gpd.GeoDataFrame, raw: gpd.GeoDataFrame
                        ) -> gpd.GeoDataFrame:
    """The shapes of :func:`country_shapes`."""
    raw_by_id = dict(zip(raw["id"].astype(str), raw.geometry, strict=True))
    shapes = []
    for _, row in attributes.iterrows():
        source = raw_by_id.get(str(row["iso_n3"])) if pd.notna(row["iso_n3"]) else None
        shapes.append(split_antimeridian(source if source is not None else row.geometry))
    frame = gpd.GeoDataFrame(attributes.drop(columns="geometry"), geometry=shapes, crs=4326)
    frame["region_id"] = frame["iso_a3"].fillna("NE-" + frame["name"].str.replace(
        r"\W+", "", regex=True))
    return frame.dissolve(by="region_id", aggfunc="first").reset_index()


def unit_group_employment(inputs: Inputs, occupations: pd.DataFrame) -> pd.Series:
    """US employment by ISCO-08 unit group: OEWS national employment of each SOC code spread
    over its ISCO codes by the link weights (an employment proxy for the weighting)."""
    detailed = occupations.loc[~occupations["category"].str.endswith("-0000")]
    links = soc_to_isco_links(inputs, detailed["category"])
    employment = detailed.set_index("category")["national_employment"].fillna(0.0)
    jobs = links["link_weight"] * links["soc_code"].map(employment)
    return jobs.groupby(links["isco_code"]).sum()


def major_group_map(codes: pd.Series, weights: pd.Series | None) -> pd.DataFrame:
    """Category map unit group -> major group (first digit): equal weights, or ``weights``
    (unit groups without one are left out)."""
    frame = pd.DataFrame({"from_code": pd.Series(codes).drop_duplicates().to_numpy()})
    frame["to_code"] = frame["from_code"].str[0]
    if weights is None:
        return frame.assign(weight=1.0, rule="isco_unit_group_mean")
    frame["weight"] = frame["from_code"].map(weights).fillna(0.0)
    return frame.loc[frame["weight"] > 0].assign(rule="isco_unit_group_us_employment")


def region_frame(ids: pd.Index, names: pd.Series, income: pd.DataFrame,
                 series: CountrySeries) -> pd.DataFrame:
    """Region rows with names, income groups and the latest context values."""
    code = income["income_group_code"].reindex(ids)
    return pd.DataFrame({
        "level": LEVEL, "region_id": ids,
        "name": names.reindex(ids).fillna(pd.Series(ids, index=ids)).to_numpy(),
        "iso3": [None if i.startswith("NE-") else i for i in ids],
        "state": income["wb_region"].reindex(ids).to_numpy(),
        "kind": "country",
        "income_group": code.to_numpy(),
        "lower_tier": code.isin(GLOBAL_SOUTH).to_numpy(),
        "global_south": code.isin(GLOBAL_SOUTH).to_numpy(),
        "unemployment_rate": series.unemployment["value"].reindex(ids).to_numpy(),
        "population": series.population["value"].reindex(ids).to_numpy(),
        "population_year": series.population["year"].reindex(ids).to_numpy(dtype=float),
        "gdp_per_capita": series.gdp["value"].reindex(ids).to_numpy(),
    })


def quality_notes(ids: pd.Index, compositions: Compositions, sizes: Sizes,
                  series: CountrySeries, sized: pd.Index) -> pd.Series:
    """``data_quality`` before caveats: composition source and sizing, or why unranked."""
    notes = pd.Series(None, index=ids, dtype=object)
    years = series.population["year"]
    for iso3 in ids:
        source = compositions.source.get(iso3)
        if iso3 not in sized:
            notes[iso3] = unranked_note(source is not None, iso3 in compositions.covariates.index)
            continue
        sizing = "" if source == "ilo_modelled_counts" else sizing_note(
            years[iso3], sizes.rate_year.get(iso3) if pd.notna(sizes.rate_year.get(iso3))
            else None, sizes.median_rate, ADULT_SHARE)
        year = series.sectors["year"].get(iso3, series.gdp["year"].get(iso3))
        notes[iso3] = composition_note(source, sizing, year,
                                       compositions.model.variant.get(iso3))
    return notes


def sources_table(ids: pd.Index, compositions: Compositions, series: CountrySeries,
                  caveats: pd.DataFrame, task_content: pd.Series) -> pd.DataFrame:
    """``country_sources``: per country the composition source, model variant, the year of
    every series used and the caveats that apply."""
    table = vintage_table(series, ids)
    table.insert(0, "level", LEVEL)
    table.insert(2, "composition_source", compositions.source.reindex(ids).to_numpy())
    table.insert(3, "model_variant", compositions.model.variant.reindex(ids).to_numpy())
    table["survey_caveat_basis"] = caveats["basis"].reindex(ids).to_numpy()
    table["task_content_caveat"] = task_content.reindex(ids).fillna(False).to_numpy(bool)
    return table


def category_frame(inputs: Inputs, employment: pd.DataFrame) -> pd.DataFrame:
    """Major groups (with summed employment) and the unit groups."""
    majors = pd.DataFrame({"taxonomy": TAXONOMY, "category": list(MAJOR_GROUPS),
                           "title": [f"{g} {title}" for g, (_, title) in MAJOR_GROUPS.items()],
                           "national_employment": employment.groupby("category")[
                               "employment"].sum().reindex(list(MAJOR_GROUPS)).to_numpy()})
    ilo = inputs.table("ilo_2025")
    units = pd.DataFrame({"taxonomy": UNIT_TAXONOMY, "category": ilo["isco08_4d"],
                          "title": ilo["title"]})
    return pd.concat([majors, units], ignore_index=True)


def gradient_weightings(inputs: Inputs, occupations: pd.DataFrame, employment: pd.DataFrame,
                        income: pd.Series) -> pd.DataFrame:
    """``ilo_gradient_comparison``: the exposed-gradient share of jobs with major groups as the
    unweighted mean of their unit groups and weighted by US employment by unit group, against
    the ILO's published shares (the registry carries every measure with the weighted one)."""
    ilo = inputs.table("ilo_2025")
    units = pd.DataFrame({"measure": "ilo_exposed_gradient", "code": ilo["isco08_4d"],
                          "score": ilo["potential25"].str.startswith(
                              "Exposed: Gradient").astype(float)})
    weights = unit_group_employment(inputs, occupations)
    gradient = {name: derive(units, major_group_map(units["code"], w)).set_index("code")["score"]
                for name, w in (("unit_mean", None), ("us_employment", weights))}
    table, _ = gradient_comparison(employment, gradient, income)
    return table


def read(context, instances: list) -> LevelSet:
    """The level reader of the countries (the measures reach ISCO through the registry)."""
    inputs = context.inputs
    series = read_series(inputs)
    income = inputs.table("wb_income").set_index("iso3")
    countries = country_shapes(inputs)
    names = pd.concat([income["economy"], countries.set_index("region_id")["name"]])
    names = names[~names.index.duplicated()]
    compositions = compose(inputs, series, income["income_group_code"], names.index)
    sizes = estimate_sizes(compositions.shares, series)
    china, china_total = china_composition(inputs, series)
    employment = employment_rows(compositions, sizes, china)
    gradient = gradient_weightings(inputs, context.occupations, employment,
                                   income["income_group_code"])
    totals = employment.groupby("region_id")["employment"].sum()
    ids = pd.Index(names.index).union(totals.index)
    regions = region_frame(ids, names, income, series)
    regions["published_total"] = totals.reindex(ids).to_numpy()
    regions.loc[regions["region_id"] == "CHN", "published_total"] = china_total
    regions["labor_force"] = regions["published_total"] / (1 - regions["unemployment_rate"] / 100)
    regions["states"] = regions["state"]
    regions["name_common"] = regions["region_id"].map(common_names(inputs))
    regions["composition_source"] = compositions.source.reindex(ids).where(
        ids.isin(totals.index)).to_numpy()
    caveats = read_caveats()
    task_content = task_content_flag(income["income_group_code"], totals.index)
    notes = quality_notes(ids, compositions, sizes, series, totals.index)
    regions["data_quality"] = with_caveats(notes, caveats, task_content).to_numpy()

    geometry = pd.DataFrame({"level": LEVEL, "region_id": countries["region_id"],
                             "geometry": shapely.to_wkb(countries.geometry.values)})
    context, indicators = country_context(series, LEVEL, ids)
    extra = {"region_geometry": geometry,
             "composition_model_errors": compositions.model.errors.assign(level=LEVEL),
             "ilo_gradient_comparison": gradient,
             "country_sources": sources_table(ids, compositions, series, caveats,
                                              task_content)}
    return LevelSet(
        regions=conform_regions(regions),
        attributes=region_attributes(regions[["level", "region_id", "iso3", "income_group",
                                              "composition_source", "population_year",
                                              "name_common"]]),
        employment=employment.assign(level=LEVEL, imputed=False)[
            ["level", "region_id", "category", "employment", "imputed"]],
        categories=category_frame(inputs, employment),
        extra_tables=extra, context=context, indicators=indicators,
    )
