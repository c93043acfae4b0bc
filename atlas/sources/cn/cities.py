"""China's prefecture-level cities (level cn_city) over the 19 sectors of GB/T 4754-2017.

- Composition: year-end urban-unit employment by sector, China City Statistical Yearbook,
  2019 (the latest year with sectors). Sector shares are normalised over the reported
  sectors and scaled to the published unit total, so a city's employment equals its
  published total; cities whose 19 sectors sum to outside 0.98..1.02 of that total, or that
  miss sectors, are kept and flagged in ``data_quality``.
- Exposure: no Chinese data by occupation exist, so every measure reaches a section through
  the US national staffing patterns (``atlas.sources.staffing``): the proxy assumes the US
  occupational mix within each sector.
- Unemployment: registered urban unemployed / (registered unemployed + urban-unit employment
  + urban private and individual workers), percent. Registered unemployment counts only
  people with local urban registration who sign on, so it understates unemployment (rural
  migrants are not covered); it ranks cities but is not comparable with LAUS rates. Rates
  above 20% are taken as unit errors (one city, Haidong, 41%) and left out (``data_quality``).
- Population and GDP per capita: CSMAR city panel, 2019 (research-use data).
- The context indicators read the employment and population series after the screens of
  :mod:`atlas.sources.cn.screen` (years off by 3x or more left out, changes across a break
  not computed), which ``data_quality`` records.
- Every one of the 370 city-level units of the boundary file is a region (on the map, "no
  data" where the yearbook has no sectors); tiers are yicai's 2025 list.
"""

from __future__ import annotations

import pandas as pd
import shapely

from atlas.errors import InputError
from atlas.sources.cn.context import city_context, employment_series, indicators, window
from atlas.sources.cn.screen import joined, outlier_notes, screen_panels
from atlas.sources.geometry_reading import valid_polygonal
from atlas.sources.inputs import Inputs
from atlas.sources.levelset import (
    REGION_COLUMNS,
    LevelSet,
    conform_regions,
    context_frame,
    indicator_frame,
    region_attributes,
)
from atlas.spec import reference_path
from atlas.store.cache import cache_key, cached_frame

LEVEL = "cn_city"
TAXONOMY = "gbt4754_section"
YEAR = 2019
CONCORDANCE = reference_path("gbt4754_2017_sections.csv")
TIER_LABELS = {"tier1": "1", "new_tier1": "new-1", "tier2": "2", "tier3": "3", "tier4": "4",
               "tier5": "5"}
LOWER_TIERS = {"tier3", "tier4", "tier5"}
PERSONS_PER_10K = 10_000
# Registered urban unemployment rates run from 0.3% to about 10% across cities; a rate above
# this is taken as a unit error in the yearbook compilation and not used.
IMPLAUSIBLE_REGISTERED_RATE = 20.0
# The level's own facts (region_attributes): names, province, tier.
ATTRIBUTES = ("name_zh", "name_pinyin", "name_en", "province", "tier", "tier_zh", "tier_rank")


def read_concordance() -> pd.DataFrame:
    """The GB/T 4754-2017 section table (data/reference), one row per section."""
    return pd.read_csv(CONCORDANCE, dtype=str).fillna("")


def section_industries(concordance: pd.DataFrame) -> pd.DataFrame:
    """``industry_code, category``: the OEWS industries of every section."""
    rows = [(code, section) for section, codes in zip(concordance["section"],
                                                      concordance["oews_industries"], strict=True)
            for code in codes.split(";") if code]
    return pd.DataFrame(rows, columns=["industry_code", "category"])


def city_composition(yearbook: pd.DataFrame, concordance: pd.DataFrame, year: int
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Employment rows (``region_id, category, employment``) and per-city facts of a year."""
    frame = yearbook.loc[(yearbook["year"] == year) & yearbook["adcode_cnmaps"].notna()
                         & (yearbook["n_sectors_reported"] > 0)].copy()
    sections = concordance.loc[concordance["ccsy_column"] != ""]
    long = frame.melt(id_vars=["adcode_cnmaps"], value_vars=list(sections["ccsy_column"]),
                      var_name="column", value_name="sector_10k").dropna(subset=["sector_10k"])
    long["category"] = long["column"].map(dict(zip(sections["ccsy_column"], sections["section"],
                                                   strict=True)))
    sums = long.groupby("adcode_cnmaps")["sector_10k"].transform("sum")
    totals = frame.set_index("adcode_cnmaps")["emp_units_total_10k"]
    long["employment"] = long["sector_10k"] / sums * long["adcode_cnmaps"].map(totals) \
        * PERSONS_PER_10K
    employment = long.loc[long["employment"] > 0, ["adcode_cnmaps", "category", "employment"]]
    employment = employment.rename(columns={"adcode_cnmaps": "region_id"})
    ratio = frame["sum19_ratio_to_total"]
    quality = pd.Series("ok", index=frame.index)
    missing = (len(sections) - frame["n_sectors_reported"]).astype(int)
    quality[missing > 0] = ("missing " + missing.astype(str) + " sector"
                            + missing.gt(1).map({True: "s", False: ""}))
    quality[(ratio < 0.98) | (ratio > 1.02)] = quality + "; sectors sum to " + ratio.round(
        2).astype(str) + " x total"
    unemployed = frame["registered_unemployed_persons"]
    labour = unemployed + frame["emp_units_total_10k"] * PERSONS_PER_10K + frame[
        "urban_private_individual_workers_persons"]
    rate = 100 * unemployed / labour
    implausible = rate > IMPLAUSIBLE_REGISTERED_RATE  # the same screen as registered_rate
    quality[implausible] = quality + "; registered unemployment rate " + rate.round(1).astype(
        str) + "% implausible (likely a unit error): not used"
    facts = pd.DataFrame({
        "region_id": frame["adcode_cnmaps"],
        "published_total": frame["emp_units_total_10k"] * PERSONS_PER_10K,
        "unemployment_rate": rate.where(~implausible),
        "labor_force": labour,
        "data_quality": quality.str.replace("^ok; ", "", regex=True),
    })
    return employment, facts


def city_regions(units: pd.DataFrame, panel: pd.DataFrame, facts: pd.DataFrame, level: str,
                 year: int) -> pd.DataFrame:
    """Every city-level unit as a region of ``level``, with the facts of ``year``."""
    panel = panel.loc[(panel["year"] == year) & panel["adcode_cnmaps"].notna()].drop_duplicates(
        "adcode_cnmaps").set_index("adcode_cnmaps")
    regions = pd.DataFrame({
        "level": level,
        "region_id": units["adcode"],
        "name": units["name_zh"] + " " + units["name_pinyin"],
        "name_zh": units["name_zh"],
        "name_pinyin": units["name_pinyin"],
        # CSMAR's English name ("Harbin(city)" -> "Harbin"), where it differs from the pinyin
        "name_en": units["adcode"].map(panel["city_name_en"].str.replace(r"\s*\(.*\)$", "",
                                                                        regex=True)),
        "province": units["province_zh"],
        "state": units["province_pinyin"],
        "states": units["province_pinyin"],
        "kind": units["unit_type"],
        "tier": units["tier"].map(TIER_LABELS),
        "tier_zh": units["tier_zh"],
        "tier_rank": units["tier_rank"],
        "lower_tier": units["tier"].isin(LOWER_TIERS),
        "population": units["adcode"].map(panel["pop_total_yearend_10k"]) * PERSONS_PER_10K,
        "gdp_per_capita": units["adcode"].map(panel["gdp_per_capita_cny"]),
    })
    return regions.merge(facts, on="region_id", how="left")


def city_geometry(inputs: Inputs, level: str) -> pd.DataFrame:
    """City polygons of ``level`` and the provinces dissolved from them (``cn_province``);
    cached by the boundaries' sha256 (:mod:`atlas.store.cache`)."""
    boundaries = inputs.geometry("cn_boundaries")
    key = cache_key("cn_city_geometry", level, inputs.provenance["cn_boundaries"]["sha256"])
    return cached_frame("cn_city_geometry", key, lambda: _city_shapes(boundaries, level))


def _city_shapes(boundaries, level: str) -> pd.DataFrame:
    """The WKB rows of :func:`city_geometry`."""
    geometry = pd.DataFrame({"level": level, "region_id": boundaries["adcode"],
                             "geometry": shapely.to_wkb([valid_polygonal(g) for g in
                                                         boundaries.geometry])})
    provinces = boundaries.dissolve(by="province_adcode")[["geometry"]].reset_index()
    outlines = pd.DataFrame({"level": "cn_province", "region_id": provinces["province_adcode"],
                             "geometry": shapely.to_wkb([valid_polygonal(g) for g in
                                                          provinces.geometry])})
    return pd.concat([geometry, outlines], ignore_index=True)


def _with_notes(quality: pd.Series, notes: pd.Series) -> pd.Series:
    """``data_quality`` with the screens' notes added ("ok" gives way to them)."""
    # object first: a column with no note at all is float (NaN), which pandas will not fill
    # with text in a future version
    added = quality.where(quality != "ok", "").str.cat(notes.astype(object).fillna(""),
                                                      sep="; ")
    added = added.str.strip("; ")
    return added.where(added != "", quality)


def read(context, instances: list) -> LevelSet:
    """The level reader of cn_city, once per yearbook year (period); the default period gets
    the geometry and the yearly series."""
    inputs = context.inputs
    concordance = read_concordance()
    units, panel = inputs.table("cn_units"), inputs.table("cn_panel")
    yearbook = inputs.table("cn_employment")
    # the context indicators read the series without their implausible jumps
    screened_yearbook, screened_panel, found_breaks, outliers = screen_panels(yearbook, panel)
    frames: dict[str, list[pd.DataFrame]] = {"regions": [], "employment": [], "context": [],
                                             "indicators": [], "attributes": []}
    default = None
    for decl, period in instances:
        level, year = decl.level_id(period), period or YEAR
        default = level if level == decl.id else default
        employment, facts = city_composition(yearbook, concordance, year)
        indicator_values, break_notes = city_context(screened_yearbook, screened_panel, year,
                                                     found_breaks)
        notes = joined(outlier_notes(outliers, *window(year)), break_notes)
        facts["data_quality"] = _with_notes(facts["data_quality"], facts["region_id"].map(notes))
        regions = city_regions(units, panel, facts, level, year)
        unknown = set(employment["region_id"]) - set(regions["region_id"])
        if unknown:  # yearbook cities must exist among the units; never drop one silently
            raise InputError(inputs.specs["cn_employment"].path,
                             f"cities {sorted(unknown)} are not in cn_prefecture_units.csv",
                             column="adcode_cnmaps")
        frames["regions"].append(conform_regions(regions)[list(REGION_COLUMNS)])
        frames["attributes"].append(region_attributes(regions[["level", "region_id",
                                                               *ATTRIBUTES]]))
        frames["employment"].append(employment.assign(level=level, imputed=False)[
            ["level", "region_id", "category", "employment", "imputed"]])
        frames["context"].append(context_frame(level, indicator_values))
        frames["indicators"].append(indicator_frame(level, indicators(year)))
    national = frames["employment"][-1].groupby("category")["employment"].sum()
    categories = pd.DataFrame({
        "taxonomy": TAXONOMY,
        "category": concordance["section"],
        "title": concordance["name_zh"] + " " + concordance["name_en"],
        "national_employment": concordance["section"].map(national),
        "median_wage": None,
        "low_wage": None,
        "diversity_group": concordance["section"],
    })
    extra = {"region_series": employment_series(yearbook, default or LEVEL),
             "region_geometry": city_geometry(inputs, default or LEVEL)}
    return LevelSet(
        regions=pd.concat(frames["regions"], ignore_index=True),
        employment=pd.concat(frames["employment"], ignore_index=True),
        categories=categories,
        extra_tables=extra,
        context=pd.concat(frames["context"], ignore_index=True),
        indicators=pd.concat(frames["indicators"], ignore_index=True),
        attributes=pd.concat(frames["attributes"], ignore_index=True),
    )
