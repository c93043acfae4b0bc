"""County context (LAUS 2023, Census 2020 population, SAIPE 2023) aggregated to OEWS areas,
states and the nation.

- unemployment_rate: sum of unemployed / sum of civilian labour force over the member
  counties (that is, the labour-force-weighted mean of county rates), LAUS 2023.
- unemployment_persistent: the mean of those annual rates over the decade 2014-2023.
- employment_change: percent change of LAUS employment (by residence) 2000 -> 2023, and
  employment_change_2007: 2007 -> 2023 (the peak before the Great Recession).
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

from atlas.sources.inputs import Inputs

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


LAUS_YEARS = range(2000, 2024)
LAUS_MEASURES = {"labor_force": "Civilian_labor_force_{year}", "employed": "Employed_{year}",
                 "unemployed": "Unemployed_{year}"}
CONTEXT_YEAR = 2023
DECADE = range(2014, 2024)


def laus_columns() -> dict[str, str]:
    """``<measure>_<year>`` -> the LAUS column it comes from, for every year 2000-2023."""
    return {f"{measure}_{year}": column.format(year=year)
            for year in LAUS_YEARS for measure, column in LAUS_MEASURES.items()}


def county_labour_force(inputs: Inputs) -> pd.DataFrame:
    """LAUS labour force, employed and unemployed 2000-2023 per 2023 county (CT carried from
    its legacy counties by areal interpolation).

    Returns
    -------
    DataFrame ``county_fips`` and ``labor_force_<year>``, ``employed_<year>``,
    ``unemployed_<year>`` for 2000-2023.
    """
    laus = inputs.table("laus")
    counties = laus.loc[laus["geo_level"] == "county"]
    columns = laus_columns()
    frame = pd.DataFrame({"county_fips": counties["FIPS_Code"].to_numpy()})
    for name, column in columns.items():
        frame[name] = counties[column].to_numpy(dtype=float)
    counts = list(columns)
    legacy = frame.loc[frame["county_fips"].str.startswith(CT_STATE_FIPS)
                       & frame[f"labor_force_{CONTEXT_YEAR}"].notna()]
    shares = connecticut_interpolation(inputs)
    moved = legacy.merge(shares, left_on="county_fips", right_on="legacy_fips")
    moved[counts] = moved[counts].mul(moved["share"], axis=0)
    ct_regions = moved.groupby("region_fips", as_index=False)[counts].sum(min_count=1)
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
    laus = list(laus_columns())
    yearly = frame.groupby("region_id")[laus].sum(min_count=1)
    sums = frame.groupby("region_id").agg(
        population=("population", "sum"),
        income_x_pop=("income_x_pop", "sum"),
        pop_with_income=("pop_with_income", "sum"),
        poor=("poor", "sum"),
        poverty_universe=("poverty_universe", "sum"),
        counties=("county_fips", "size"),
        counties_without_laus=(f"labor_force_{CONTEXT_YEAR}", lambda s: int(s.isna().sum())),
    ).join(yearly)
    out = pd.DataFrame(index=sums.index)
    rate = 100.0 * yearly.filter(like="unemployed_").to_numpy() / yearly.filter(
        like="labor_force_").where(yearly.filter(like="labor_force_") > 0).to_numpy()
    rates = pd.DataFrame(rate, index=yearly.index, columns=list(LAUS_YEARS))
    out["unemployment_rate"] = rates[CONTEXT_YEAR]
    out["labor_force"] = sums[f"labor_force_{CONTEXT_YEAR}"].where(
        sums[f"labor_force_{CONTEXT_YEAR}"] > 0)
    out["population"] = sums["population"].where(sums["population"] > 0)
    out["median_hh_income"] = (sums["income_x_pop"] / sums["pop_with_income"]).where(
        sums["pop_with_income"] > 0)
    out["poverty_rate"] = (100.0 * sums["poor"] / sums["poverty_universe"]).where(
        sums["poverty_universe"] > 0)
    out["counties"] = sums["counties"]
    out["counties_without_laus"] = sums["counties_without_laus"]
    employed = yearly.filter(like="employed_").drop(
        columns=[c for c in yearly if c.startswith("unemployed_")])
    employed.columns = [int(c.rsplit("_", 1)[1]) for c in employed.columns]
    out["employment_change"] = 100.0 * (employed[2023] / employed[2000].where(
        employed[2000] > 0) - 1)
    out["employment_change_2007"] = 100.0 * (employed[2023] / employed[2007].where(
        employed[2007] > 0) - 1)
    decade = rates[list(DECADE)]
    out["unemployment_persistent"] = decade.mean(axis=1).where(decade.notna().sum(axis=1) >= 8)
    for year in LAUS_YEARS:  # the yearly series, split off by us_region_context
        out[f"employed_{year}"] = employed[year]
    return out


def us_region_context(inputs: Inputs, regions: pd.DataFrame
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Context for every region of the three US levels, keyed by ``level, region_id``, and
    the yearly LAUS employment series (``level, region_id, series, year, value``)."""
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
    yearly = [f"employed_{year}" for year in LAUS_YEARS]
    series = out.melt(id_vars=["level", "region_id"], value_vars=yearly, var_name="year",
                      value_name="value").dropna(subset=["value"])
    series = series.assign(series="employment",
                           year=series["year"].str.rsplit("_", n=1).str[1].astype(int))
    return (out.drop(columns=yearly),
            series[["level", "region_id", "series", "year", "value"]].reset_index(drop=True))
