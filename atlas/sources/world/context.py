"""Country time series (Gapminder / ILO / World Bank) with honest vintages, and the country
context indicators of the trap model's absorption-capacity pillar.

Vintage rules (the year actually used is kept per country, never a projection):

- Population: the file is annual only up to the end of its annual run (2013 in the staged
  file), then jumps to the UN projections for 2050 and 2100. The annual run's end is found in
  the data (:func:`annual_run_end`), and each country takes its latest value up to it.
- Employment-to-population ratio 15+, sector shares, self-employment and contributing family
  workers: ILO modelled estimates; the latest year used is 2023 (``MODELLED_LAST``): the sector
  columns stop there, and the 2024-2026 employment ratios of the file are ILO projections.
- Unemployment rate 15+ and GDP per capita: observed series, latest year <= 2024
  (``OBSERVED_LAST``; one 2025 unemployment value, for Mexico, is a partial year). The latest
  unemployment rate must be from 2014 or later (``UNEMPLOYMENT_FIRST``): a few countries'
  last observation is from the 1980s-2000s, too old to describe today's labour market.

Gapminder ``geo`` ids are mapped to ISO3 with the Gapminder entity file (``gbm`` -> IMN,
``nld_curacao`` -> CUW ...), plus the World Bank's codes for Kosovo (XKX) and the Channel
Islands (CHI), which have no ISO 3166 code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from atlas.sources.inputs import Inputs
from atlas.sources.levelset import context_frame, indicator_frame

MODELLED_LAST = 2023
OBSERVED_LAST = 2024
UNEMPLOYMENT_FIRST = 2014
CHANGE_FROM = 2013
PERSISTENT_YEARS = (2014, 2023)
PERSISTENT_MIN_YEARS = 3
WORLD_BANK_CODES = {"kos": "XKX", "chanisl": "CHI"}
GAPMINDER = "ILO / World Bank / UN series via Gapminder Systema Globalis (CC BY 4.0)"
SECTOR_SOURCE = "ILO modelled estimates (ILOSTAT) via Gapminder Systema Globalis (CC BY 4.0)"


def geo_to_iso3(inputs: Inputs) -> pd.Series:
    """Map Gapminder ``geo`` ids to ISO3 codes (upper case)."""
    entities = inputs.table("gm_entities")
    iso = entities["iso3166_1_alpha3"].str.upper()
    fallback = entities["country"].map(WORLD_BANK_CODES)
    codes = iso.fillna(fallback).fillna(entities["country"].str.upper())
    return pd.Series(codes.to_numpy(), index=entities["country"].to_numpy())


def common_names(inputs: Inputs) -> pd.Series:
    """Gapminder's everyday English name of each country by ISO3 ("Turkey", "South Korea",
    "Russia"): another name to find it by."""
    entities = inputs.table("gm_entities")
    names = pd.Series(entities["name"].to_numpy(), index=geo_to_iso3(inputs).to_numpy())
    return names[~names.index.duplicated()].dropna()


def gapminder_series(inputs: Inputs, key: str, value: str) -> pd.DataFrame:
    """A Gapminder DDF file as ``iso3, year, value`` (rows without a value dropped)."""
    frame = inputs.table(key)
    codes = geo_to_iso3(inputs)
    iso3 = frame["geo"].map(codes).fillna(frame["geo"].str.upper())
    out = pd.DataFrame({"iso3": iso3, "year": frame["time"].astype(int), "value": frame[value]})
    return out.dropna(subset=["value"]).reset_index(drop=True)


def annual_run_end(series: pd.DataFrame, start: int = 1950) -> int:
    """Last year of the file's unbroken annual run from ``start`` (later years are sparse
    projection points)."""
    years = set(series["year"])
    year = start
    while year + 1 in years:
        year += 1
    return year


def latest(series: pd.DataFrame, last: int, first: int | None = None) -> pd.DataFrame:
    """Latest value per country up to ``last`` (and from ``first``): ``value, year`` by ISO3."""
    rows = series.loc[series["year"] <= last]
    if first is not None:
        rows = rows.loc[rows["year"] >= first]
    rows = rows.sort_values("year").groupby("iso3").tail(1)
    return rows.set_index("iso3")[["value", "year"]]


def earliest(series: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Earliest value per country in ``[first, last]``: ``value, year`` by ISO3."""
    rows = series.loc[series["year"].between(first, last)]
    rows = rows.sort_values("year").groupby("iso3").head(1)
    return rows.set_index("iso3")[["value", "year"]]


@dataclass
class CountrySeries:
    """The country series the level uses, each as ``value, year`` by ISO3."""

    population: pd.DataFrame
    population_end: int
    employment_rate: pd.DataFrame
    employment_rate_start: pd.DataFrame
    unemployment: pd.DataFrame
    unemployment_panel: pd.DataFrame
    gdp: pd.DataFrame
    sectors: pd.DataFrame
    sectors_start: pd.DataFrame


SECTOR_COLUMNS = ("agri_emp_pct", "industry_emp_pct", "services_emp_pct", "self_employed_pct",
                  "contributing_family_workers_pct", "emp_to_pop_15plus_pct")


def sector_rows(inputs: Inputs) -> pd.DataFrame:
    """Sector file rows with all sector columns, up to ``MODELLED_LAST``."""
    frame = inputs.table("world_sectors")
    frame = frame.loc[frame["iso3"].notna() & (frame["year"] <= MODELLED_LAST)]
    return frame.dropna(subset=list(SECTOR_COLUMNS))


def read_series(inputs: Inputs) -> CountrySeries:
    """Read every country series with the vintage rules of the module docstring."""
    population = gapminder_series(inputs, "gm_population", "total_population_with_projections")
    end = annual_run_end(population)
    employment = gapminder_series(inputs, "gm_employment_rate",
                                  "aged_15plus_employment_rate_percent")
    unemployment = gapminder_series(inputs, "gm_unemployment",
                                    "aged_15plus_unemployment_rate_percent")
    gdp = gapminder_series(inputs, "gm_gdp", "gdppercapita_us_inflation_adjusted")
    sectors = sector_rows(inputs)
    ordered = sectors.sort_values("year")
    return CountrySeries(
        population=latest(population, end), population_end=end,
        employment_rate=latest(employment, MODELLED_LAST),
        employment_rate_start=earliest(employment, CHANGE_FROM, MODELLED_LAST),
        unemployment=latest(unemployment, OBSERVED_LAST, UNEMPLOYMENT_FIRST),
        unemployment_panel=unemployment.loc[unemployment["year"].between(*PERSISTENT_YEARS)],
        gdp=latest(gdp, OBSERVED_LAST),
        sectors=ordered.groupby("iso3").tail(1).set_index("iso3"),
        sectors_start=ordered.loc[ordered["year"] >= CHANGE_FROM].groupby("iso3").head(1)
        .set_index("iso3"),
    )


def persistent_unemployment(panel: pd.DataFrame) -> pd.Series:
    """Mean unemployment rate over ``PERSISTENT_YEARS`` where at least 3 years are observed."""
    stats = panel.groupby("iso3")["value"].agg(["mean", "count"])
    return stats.loc[stats["count"] >= PERSISTENT_MIN_YEARS, "mean"]


def change(end: pd.DataFrame, start: pd.DataFrame, column: str = "value") -> pd.Series:
    """End minus start per country, where the two years differ."""
    joined = end[[column, "year"]].merge(start[[column, "year"]], left_index=True,
                                         right_index=True, suffixes=("", "_start"))
    joined = joined.loc[joined["year"] > joined["year_start"]]
    return joined[column] - joined[f"{column}_start"]


def context_values(series: CountrySeries, ids: pd.Index) -> dict[str, pd.Series]:
    """The eight country context indicators, indexed by region id."""
    sectors, start = series.sectors, series.sectors_start
    values = {
        "employment_change": change(series.employment_rate, series.employment_rate_start),
        "unemployment_persistent": persistent_unemployment(series.unemployment_panel),
        "unemployment_rate": series.unemployment["value"],
        "gdp_per_capita": series.gdp["value"],
        "self_employed_share": sectors["self_employed_pct"] / 100,
        "contributing_family_share": sectors["contributing_family_workers_pct"] / 100,
        "industrial_share": sectors["industry_emp_pct"] / 100,
        "industrial_share_change": change(sectors.assign(value=sectors["industry_emp_pct"]),
                                          start.assign(value=start["industry_emp_pct"])),
    }
    return {name: value.loc[value.index.isin(ids) & np.isfinite(value)]
            for name, value in values.items()}


def year_span(frame: pd.DataFrame) -> str:
    """'2019-2023 (median 2023)' or '2023' for the years in ``frame``."""
    years = frame["year"].astype(int)
    if years.empty:
        return "none"
    low, high, median = years.min(), years.max(), int(years.median())
    return str(high) if low == high else f"{low}-{high} (median {median})"


def indicator_rows(series: CountrySeries, ids: pd.Index) -> list[tuple[str, ...]]:
    """Metadata of the context indicators, with the years the data actually give."""
    def used(frame: pd.DataFrame) -> str:
        return year_span(frame.loc[frame.index.isin(ids)])

    first, last = PERSISTENT_YEARS
    return [
        ("employment_change", "Change of the employment-to-population ratio 15+",
         "percentage points", "ratio(latest year <= 2023) - ratio(earliest year >= 2013)",
         SECTOR_SOURCE, f"{used(series.employment_rate_start)} -> "
                        f"{used(series.employment_rate)}"),
        ("unemployment_persistent", "Persistent unemployment: mean rate 15+", "percent",
         f"mean of the observed annual rates {first}-{last}, at least "
         f"{PERSISTENT_MIN_YEARS} years", GAPMINDER, f"{first}-{last}"),
        ("unemployment_rate", "Unemployment rate 15+ (latest)", "percent",
         f"latest observed annual rate, {UNEMPLOYMENT_FIRST} <= year <= {OBSERVED_LAST}",
         GAPMINDER,
         used(series.unemployment)),
        ("gdp_per_capita", "GDP per capita (latest)", "constant US$",
         f"latest observed year <= {OBSERVED_LAST}", "World Bank WDI via Gapminder (CC BY 4.0)",
         used(series.gdp)),
        ("self_employed_share", "Self-employed share of employment", "share 0..1",
         "self_employed_pct / 100, latest year", SECTOR_SOURCE, used(series.sectors)),
        ("contributing_family_share", "Contributing family workers' share of employment",
         "share 0..1", "contributing_family_workers_pct / 100, latest year", SECTOR_SOURCE,
         used(series.sectors)),
        ("industrial_share", "Industry's share of employment", "share 0..1",
         "industry_emp_pct / 100, latest year", SECTOR_SOURCE, used(series.sectors)),
        ("industrial_share_change", "Change of industry's employment share",
         "percentage points", "industry_emp_pct(latest year) - industry_emp_pct(earliest "
         "year >= 2013)", SECTOR_SOURCE,
         f"{used(series.sectors_start)} -> {used(series.sectors)}"),
    ]


def country_context(series: CountrySeries, level: str,
                    ids: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(context, indicators)`` frames of the level for the regions ``ids``."""
    context = context_frame(level, context_values(series, ids))
    return context, indicator_frame(level, indicator_rows(series, ids))


def vintage_table(series: CountrySeries, ids: pd.Index) -> pd.DataFrame:
    """Per country the year of every series used (NULL where the country has none)."""
    def year(frame: pd.DataFrame) -> np.ndarray:
        return frame["year"].reindex(ids).to_numpy(dtype=float)

    return pd.DataFrame({
        "region_id": ids,
        "population_year": year(series.population),
        "employment_rate_year": year(series.employment_rate),
        "sector_year": year(series.sectors),
        "unemployment_year": year(series.unemployment),
        "gdp_year": year(series.gdp),
    })
