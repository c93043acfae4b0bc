"""Context indicators of China's cities for the absorption pillar, from the yearbook panel
(China City Statistical Yearbook via the 19-sector file) and the CSMAR city panel.

- ``employment_change``: percent change of year-end urban-unit employment 2010 -> 2019.
- ``population_change``: percent change of year-end registered population 2010 -> 2019 (CSMAR).
- ``unemployment_persistent``: mean registered urban unemployment rate 2010-2019 (at least 5
  years), each year's rate = registered unemployed / (registered unemployed + urban-unit
  employment + urban private and individual workers); rates above 20% are unit errors and
  left out. Registered unemployment covers only people with a local urban hukou who register,
  so it understates unemployment: it ranks cities within China only.
- ``gdp_per_capita``: GDP per head, CNY, 2019 (CSMAR).
- ``private_individual_share``: urban private and individual workers (城镇私营和个体从业人员)
  / (those + urban-unit employment), 2019: the informal/individual share. Context, not a risk
  component: it does not separate informal from entrepreneurial work (it is uncorrelated with
  GDP per head across cities).
- ``secondary_share_change``: change of the secondary-industry share of urban-unit employment
  2010 -> 2019, percentage points (deindustrialisation when negative).
- ``state_funded_share``: share of urban-unit jobs in sections P, Q and S (education, health,
  public administration), 2019.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PERSONS_PER_10K = 10_000
FIRST, LAST = 2010, 2019
IMPLAUSIBLE_REGISTERED_RATE = 20.0
STATE_FUNDED_COLUMNS = ("emp_education_10k", "emp_health_social_security_welfare_10k",
                        "emp_public_admin_social_org_10k")

INDICATORS = [
    ("employment_change", "Urban-unit employment change 2010-2019", "percent",
     "100 * (urban-unit employment 2019 / 2010 - 1)", "China City Statistical Yearbook",
     "2010-2019"),
    ("population_change", "Population change 2010-2019", "percent",
     "100 * (year-end population 2019 / 2010 - 1)", "CSMAR (NBS yearbook figures)",
     "2010-2019"),
    ("unemployment_persistent", "Mean registered unemployment rate 2010-2019", "percent",
     "mean over 2010-2019 of registered unemployed / (registered unemployed + urban-unit "
     "employment + urban private and individual workers); rates > 20% left out; registered "
     "unemployment understates unemployment", "China City Statistical Yearbook", "2010-2019"),
    ("unemployment_rate", "Registered unemployment rate 2019", "percent",
     "registered unemployed / (registered unemployed + urban-unit employment + urban private "
     "and individual workers)", "China City Statistical Yearbook", "2019"),
    ("gdp_per_capita", "GDP per head", "CNY", "GDP / year-end population",
     "CSMAR (NBS yearbook figures)", "2019"),
    ("private_individual_share", "Urban private and individual workers", "share",
     "private and individual workers / (those + urban-unit employment)",
     "China City Statistical Yearbook", "2019"),
    ("secondary_share_change", "Change of the secondary-industry share 2010-2019",
     "percentage points", "secondary share of urban-unit employment 2019 - 2010",
     "China City Statistical Yearbook", "2010-2019"),
    ("state_funded_share", "State-funded jobs (sections P, Q, S)", "share",
     "(education + health and social work + public administration) / urban-unit employment",
     "China City Statistical Yearbook", "2019"),
]


def registered_rate(frame: pd.DataFrame) -> pd.Series:
    """Registered unemployment rate, percent; implausible rates (> 20%) are NaN."""
    unemployed = frame["registered_unemployed_persons"]
    labour = unemployed + frame["emp_units_total_10k"] * PERSONS_PER_10K + frame[
        "urban_private_individual_workers_persons"]
    rate = 100 * unemployed / labour.where(labour > 0)
    return rate.where(rate <= IMPLAUSIBLE_REGISTERED_RATE)


def _by_city(frame: pd.DataFrame, year: int, column: str) -> pd.Series:
    rows = frame.loc[frame["year"] == year].drop_duplicates("adcode_cnmaps")
    return rows.set_index("adcode_cnmaps")[column]


def _change(frame: pd.DataFrame, column: str) -> pd.Series:
    first, last = _by_city(frame, FIRST, column), _by_city(frame, LAST, column)
    return 100 * (last / first.where(first > 0).reindex(last.index) - 1)


def city_context(yearbook: pd.DataFrame, panel: pd.DataFrame) -> dict[str, pd.Series]:
    """Every indicator of ``INDICATORS``, a series by city adcode."""
    yearbook = yearbook.loc[yearbook["adcode_cnmaps"].notna()]
    panel = panel.loc[panel["adcode_cnmaps"].notna()]
    rates = yearbook.assign(rate=registered_rate(yearbook))
    window = rates.loc[rates["year"].between(FIRST, LAST)]
    counts = window.groupby("adcode_cnmaps")["rate"].count()
    persistent = window.groupby("adcode_cnmaps")["rate"].mean().where(counts >= 5)
    last = yearbook.loc[yearbook["year"] == LAST].drop_duplicates("adcode_cnmaps").set_index(
        "adcode_cnmaps")
    units = last["emp_units_total_10k"] * PERSONS_PER_10K
    private = last["urban_private_individual_workers_persons"]
    state = last[list(STATE_FUNDED_COLUMNS)].sum(axis=1, min_count=1) / last[
        "sum19_10k"].where(last["sum19_10k"] > 0)
    secondary = yearbook.assign(share=100 * yearbook["emp_secondary_10k"] / yearbook[
        "emp_units_total_10k"].where(yearbook["emp_units_total_10k"] > 0))
    return {
        "employment_change": _change(yearbook, "emp_units_total_10k"),
        "population_change": _change(panel, "pop_total_yearend_10k"),
        "unemployment_persistent": persistent,
        "unemployment_rate": registered_rate(last),
        "gdp_per_capita": _by_city(panel, LAST, "gdp_per_capita_cny"),
        "private_individual_share": private / (private + units).where(private + units > 0),
        "secondary_share_change": _by_city(secondary, LAST, "share")
        - _by_city(secondary, FIRST, "share"),
        "state_funded_share": state.where(np.isfinite(state)),
    }


def employment_series(yearbook: pd.DataFrame, level: str) -> pd.DataFrame:
    """Urban-unit employment by year (persons): ``level, region_id, series, year, value``."""
    rows = yearbook.loc[yearbook["adcode_cnmaps"].notna() & yearbook["emp_units_total_10k"]
                        .notna()].drop_duplicates(["adcode_cnmaps", "year"])
    return pd.DataFrame({"level": level, "region_id": rows["adcode_cnmaps"].to_numpy(),
                         "series": "employment", "year": rows["year"].astype(int).to_numpy(),
                         "value": rows["emp_units_total_10k"].to_numpy() * PERSONS_PER_10K})
