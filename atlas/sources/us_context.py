"""County context (LAUS 2023, Census 2020 population, SAIPE 2023) aggregated to OEWS areas,
states and the nation.

- unemployment_rate: sum of unemployed / sum of civilian labour force over the member
  counties (that is, the labour-force-weighted mean of county rates), LAUS 2023.
- population: sum of 2020 Census population.
- median_hh_income: population-weighted mean of county median household incomes (SAIPE
  2023); a median of medians is not available from county data, so this is an approximation.
- poverty_rate: people in poverty / population in poverty universe proxy (sum of POVALL over
  sum of POVALL / PCTPOVALL), SAIPE 2023.

Connecticut: LAUS still publishes the 8 legacy counties, while OEWS uses the 9 planning
regions of 2022. We carry labour force and unemployed counts from legacy counties to
planning regions by areal interpolation: each legacy county's counts are split in
proportion to the land area it shares with each planning region (2017 and 2023 Census
boundaries, equal-area projection EPSG:5070). Kalawao, HI (15005) has no LAUS row (LAUS
folds it into Maui, which is in the same OEWS area), so it contributes nothing.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from atlas.inputs import Inputs

EQUAL_AREA_CRS = "EPSG:5070"
CT_STATE_FIPS = "09"


def connecticut_interpolation(inputs: Inputs) -> pd.DataFrame:
    """Share of each legacy CT county's area inside each planning region.

    Returns
    -------
    DataFrame ``legacy_fips, region_fips, share`` whose shares sum to 1 per legacy county.
    """
    legacy = inputs.geometry("counties_2017", layer="counties")
    current = inputs.geometry("counties_2023", layer="counties")
    legacy = legacy.loc[legacy["id"].str.startswith(CT_STATE_FIPS)].set_crs(
        4326, allow_override=True)
    current = current.loc[current["id"].str.startswith(CT_STATE_FIPS)].set_crs(
        4326, allow_override=True)
    legacy = legacy.to_crs(EQUAL_AREA_CRS)[["id", "geometry"]].rename(columns={"id": "legacy_fips"})
    current = current.to_crs(EQUAL_AREA_CRS)[["id", "geometry"]].rename(
        columns={"id": "region_fips"})
    pieces = gpd.overlay(legacy, current, how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.geometry.area
    pieces["share"] = pieces["area"] / pieces.groupby("legacy_fips")["area"].transform("sum")
    pieces = pieces.loc[pieces["share"] > 1e-4]
    pieces["share"] = pieces["share"] / pieces.groupby("legacy_fips")["share"].transform("sum")
    return pd.DataFrame(pieces[["legacy_fips", "region_fips", "share"]])


def county_labour_force(inputs: Inputs) -> pd.DataFrame:
    """LAUS 2023 labour force and unemployed per 2023 county (CT via interpolation).

    Returns
    -------
    DataFrame ``county_fips, labor_force, unemployed, median_hh_income_2022``.
    """
    laus = inputs.table("laus")
    counties = laus.loc[laus["geo_level"] == "county"]
    frame = pd.DataFrame({
        "county_fips": counties["FIPS_Code"],
        "labor_force": counties["Civilian_labor_force_2023"],
        "unemployed": counties["Unemployed_2023"],
    })
    legacy = frame.loc[frame["county_fips"].str.startswith(CT_STATE_FIPS)
                       & frame["labor_force"].notna()]
    shares = connecticut_interpolation(inputs)
    moved = legacy.merge(shares, left_on="county_fips", right_on="legacy_fips")
    moved[["labor_force", "unemployed"]] = moved[["labor_force", "unemployed"]].mul(
        moved["share"], axis=0)
    ct_regions = moved.groupby("region_fips", as_index=False)[["labor_force", "unemployed"]].sum()
    ct_regions = ct_regions.rename(columns={"region_fips": "county_fips"})
    rest = frame.loc[~frame["county_fips"].str.startswith(CT_STATE_FIPS)]
    return pd.concat([rest, ct_regions], ignore_index=True)


def county_context(inputs: Inputs) -> pd.DataFrame:
    """All county context columns, keyed by 2023 county FIPS."""
    labour = county_labour_force(inputs)
    rucc = inputs.table("rucc")
    population = pd.DataFrame({"county_fips": rucc["FIPS"], "population": rucc["Population_2020"]})
    saipe = inputs.table("saipe")
    saipe = saipe.loc[saipe["geo_level"] == "county"]
    poverty_universe = saipe["POVALL_2023"] / (saipe["PCTPOVALL_2023"] / 100.0)
    income = pd.DataFrame({
        "county_fips": saipe["FIPS_Code"],
        "median_hh_income": saipe["MEDHHINC_2023"],
        "poor": saipe["POVALL_2023"],
        "poverty_universe": poverty_universe,
    })
    return population.merge(labour, on="county_fips", how="outer").merge(
        income, on="county_fips", how="outer")


def aggregate_context(context: pd.DataFrame, group: pd.Series) -> pd.DataFrame:
    """Aggregate county context to regions given ``group`` (county_fips -> region_id).

    Returns
    -------
    DataFrame indexed by region_id with ``unemployment_rate`` (percent), ``labor_force``,
    ``population``, ``median_hh_income``, ``poverty_rate`` (percent), and the number of
    member counties with and without LAUS data.
    """
    frame = context.assign(region_id=context["county_fips"].map(group)).dropna(
        subset=["region_id"])
    has_income = frame["median_hh_income"].notna() & frame["population"].notna()
    frame = frame.assign(
        income_x_pop=frame["median_hh_income"].where(has_income) * frame["population"],
        pop_with_income=frame["population"].where(has_income),
    )
    sums = frame.groupby("region_id").agg(
        labor_force=("labor_force", "sum"),
        unemployed=("unemployed", "sum"),
        population=("population", "sum"),
        income_x_pop=("income_x_pop", "sum"),
        pop_with_income=("pop_with_income", "sum"),
        poor=("poor", "sum"),
        poverty_universe=("poverty_universe", "sum"),
        counties=("county_fips", "size"),
        counties_without_laus=("labor_force", lambda s: int(s.isna().sum())),
    )
    out = pd.DataFrame(index=sums.index)
    out["unemployment_rate"] = (100.0 * sums["unemployed"] / sums["labor_force"]).where(
        sums["labor_force"] > 0)
    out["labor_force"] = sums["labor_force"].where(sums["labor_force"] > 0)
    out["population"] = sums["population"].where(sums["population"] > 0)
    out["median_hh_income"] = (sums["income_x_pop"] / sums["pop_with_income"]).where(
        sums["pop_with_income"] > 0)
    out["poverty_rate"] = (100.0 * sums["poor"] / sums["poverty_universe"]).where(
        sums["poverty_universe"] > 0)
    out["counties"] = sums["counties"]
    out["counties_without_laus"] = sums["counties_without_laus"]
    return out


def us_region_context(inputs: Inputs, regions: pd.DataFrame) -> pd.DataFrame:
    """Context for every region of the three US levels, keyed by ``level, region_id``."""
    crosswalk = inputs.table("county_crosswalk")
    context = county_context(inputs)
    area_ids = regions.loc[regions["level"] == "us_area"].set_index("area_code")["region_id"]
    groupings = {
        "us_area": crosswalk.set_index("county_fips")["oews_area_code"].map(area_ids),
        "us_state": crosswalk.set_index("county_fips")["state_fips"],
        # The OEWS national total covers the 50 states and DC, not Puerto Rico.
        "us_nation": crosswalk.set_index("county_fips")["state_fips"].map(
            lambda fips: None if fips == "72" else "US"),
    }
    frames = [aggregate_context(context, group).assign(level=level)
              for level, group in groupings.items()]
    out = pd.concat(frames).rename_axis("region_id").reset_index()
    member_states = (crosswalk.assign(region_id=crosswalk["oews_area_code"].map(area_ids))
                     .groupby("region_id")["state_abbr"]
                     .agg(lambda s: "-".join(sorted(set(s)))).rename("states"))
    out = out.merge(member_states, left_on="region_id", right_index=True, how="left")
    return out
