"""Context indicators of China's cities for the absorption pillar, from the yearbook panel
(China City Statistical Yearbook via the 19-sector file) and the CSMAR city panel.

Every indicator is computed for a period (a yearbook year) over the window of the nine years
before it (``window``: 2010-2019 for 2019; from 2000 for the early years):

- ``employment_change``: percent change of year-end urban-unit employment over the window.
- ``population_change``: percent change of year-end registered population (CSMAR).
- ``unemployment_persistent``: mean registered urban unemployment rate over the window (at
  least 5 years), each year's rate = registered unemployed / (registered unemployed + urban-unit
  employment + urban private and individual workers); rates above 20% are unit errors and
  left out. Registered unemployment covers only people with a local urban hukou who register,
  so it understates unemployment: it ranks cities within China only.
- ``gdp_per_capita``: GDP per head, CNY, of the year (CSMAR).
- ``private_individual_share``: urban private and individual workers (城镇私营和个体从业人员)
  / (those + urban-unit employment): the informal/individual share. Context, not a risk
  component: it does not separate informal from entrepreneurial work (it is uncorrelated with
  GDP per head across cities).
- ``uncounted_jobs``: the urban private and individual workers (persons) of the year, whom
  the urban-unit composition leaves out: with ``exposure.count_uncounted_jobs`` they join the
  denominator of the AI-shock indicators as jobs that are not substitutable (their sector
  mix is not published).
- ``secondary_share_change``: change of the secondary-industry share of urban-unit employment
  over the window, percentage points (deindustrialisation when negative).
- ``state_funded_share``: share of urban-unit jobs in sections P, Q and S (education, health,
  public administration).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas.sources.cn.screen import WHAT, joined, unreverted

PERSONS_PER_10K = 10_000
WINDOW = 9  # years before the period: 2010-2019 for 2019
FIRST_YEAR = 2000  # the yearbook file starts here
IMPLAUSIBLE_REGISTERED_RATE = 20.0
STATE_FUNDED_COLUMNS = ("emp_education_10k", "emp_health_social_security_welfare_10k",
                        "emp_public_admin_social_org_10k")
# the columns city_context reads
YEARBOOK_COLUMNS = ["adcode_cnmaps", "year", "registered_unemployed_persons",
                    "emp_units_total_10k", "urban_private_individual_workers_persons",
                    "emp_secondary_10k", "sum19_10k", *STATE_FUNDED_COLUMNS]
PANEL_COLUMNS = ["adcode_cnmaps", "year", "pop_total_yearend_10k", "gdp_per_capita_cny"]

def window(year: int) -> tuple[int, int]:
    """The years of the change indicators of a period: ``year - 9 .. year`` (from 2000)."""
    return max(FIRST_YEAR, year - WINDOW), year


def indicators(year: int) -> list[tuple[str, str, str, str, str, str]]:
    """Metadata of the indicators of ``year`` (``atlas.sources.levelset.indicator_frame`` rows)."""
    first, last = window(year)
    span = f"{first}-{last}"
    return [
        ("employment_change", f"Urban-unit employment change {span}", "percent",
         f"100 * (urban-unit employment {last} / {first} - 1)",
         "China City Statistical Yearbook", span),
        ("population_change", f"Population change {span}", "percent",
         f"100 * (year-end population {last} / {first} - 1)", "CSMAR (NBS yearbook figures)",
         span),
        ("unemployment_persistent", f"Mean registered unemployment rate {span}", "percent",
         f"mean over {span} of registered unemployed / (registered unemployed + urban-unit "
         "employment + urban private and individual workers); rates > 20% left out; registered "
         "unemployment understates unemployment", "China City Statistical Yearbook", span),
        ("unemployment_rate", f"Registered unemployment rate {last}", "percent",
         "registered unemployed / (registered unemployed + urban-unit employment + urban "
         "private and individual workers)", "China City Statistical Yearbook", str(last)),
        ("gdp_per_capita", "GDP per head", "CNY", "GDP / year-end population",
         "CSMAR (NBS yearbook figures)", str(last)),
        ("private_individual_share", "Urban private and individual workers", "share",
         "private and individual workers / (those + urban-unit employment)",
         "China City Statistical Yearbook", str(last)),
        ("uncounted_jobs", "Urban private and individual workers (not in the composition)",
         "persons", "urban private and individual workers (城镇私营和个体从业人员), counted "
         "as jobs that are not substitutable", "China City Statistical Yearbook", str(last)),
        ("secondary_share_change", f"Change of the secondary-industry share {span}",
         "percentage points", f"secondary share of urban-unit employment {last} - {first}",
         "China City Statistical Yearbook", span),
        ("state_funded_share", "State-funded jobs (sections P, Q, S)", "share",
         "(education + health and social work + public administration) / urban-unit "
         "employment", "China City Statistical Yearbook", str(last)),
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


def _change(frame: pd.DataFrame, column: str, first: int, last: int) -> pd.Series:
    start, end = _by_city(frame, first, column), _by_city(frame, last, column)
    return 100 * (end / start.where(start > 0).reindex(end.index) - 1)


def city_context(yearbook: pd.DataFrame, panel: pd.DataFrame, year: int,
                 found_breaks: dict[str, pd.DataFrame] | None = None
                 ) -> tuple[dict[str, pd.Series], pd.Series]:
    """Every indicator of ``indicators(year)``, a series by city adcode, from the screened
    yearbook and panel (:mod:`atlas.sources.cn.screen`), and notes per city: a change over a
    window that spans a break of its series (``found_breaks``: per indicator) that the
    window's ends do not undo is not computed."""
    first, last_year = window(year)
    # only the columns used: every row filter below then copies 12 columns, not 35
    yearbook = yearbook.loc[yearbook["adcode_cnmaps"].notna(), YEARBOOK_COLUMNS]
    panel = panel.loc[panel["adcode_cnmaps"].notna(), PANEL_COLUMNS]
    rates = yearbook.assign(rate=registered_rate(yearbook))
    span = rates.loc[rates["year"].between(first, last_year)]
    counts = span.groupby("adcode_cnmaps")["rate"].count()
    persistent = span.groupby("adcode_cnmaps")["rate"].mean().where(
        counts >= min(5, last_year - first + 1))
    last = yearbook.loc[yearbook["year"] == last_year].drop_duplicates("adcode_cnmaps").set_index(
        "adcode_cnmaps")
    units = last["emp_units_total_10k"] * PERSONS_PER_10K
    private = last["urban_private_individual_workers_persons"]
    state = last[list(STATE_FUNDED_COLUMNS)].sum(axis=1, min_count=1) / last[
        "sum19_10k"].where(last["sum19_10k"] > 0)
    secondary = yearbook.assign(share=100 * yearbook["emp_secondary_10k"] / yearbook[
        "emp_units_total_10k"].where(yearbook["emp_units_total_10k"] > 0))
    changes = {"employment_change": _change(yearbook, "emp_units_total_10k", first, last_year),
               "population_change": _change(panel, "pop_total_yearend_10k", first, last_year)}
    notes = []
    for indicator, table in (found_breaks or {}).items():
        notes.append(unreverted(table, changes[indicator], first, last_year, WHAT[indicator]))
        changes[indicator] = changes[indicator].mask(
            changes[indicator].index.isin(notes[-1].index))
    return {
        **changes,
        "unemployment_persistent": persistent,
        "unemployment_rate": registered_rate(last),
        "gdp_per_capita": _by_city(panel, last_year, "gdp_per_capita_cny"),
        "private_individual_share": private / (private + units).where(private + units > 0),
        "uncounted_jobs": private.where(private >= 0),
        "secondary_share_change": _by_city(secondary, last_year, "share")
        - _by_city(secondary, first, "share"),
        "state_funded_share": state.where(np.isfinite(state)),
    }, joined(*notes)


def employment_series(yearbook: pd.DataFrame, level: str) -> pd.DataFrame:
    """Urban-unit employment by year (persons): ``level, region_id, series, year, value``."""
    rows = yearbook.loc[yearbook["adcode_cnmaps"].notna() & yearbook["emp_units_total_10k"]
                        .notna()].drop_duplicates(["adcode_cnmaps", "year"])
    return pd.DataFrame({"level": level, "region_id": rows["adcode_cnmaps"].to_numpy(),
                         "series": "employment", "year": rows["year"].astype(int).to_numpy(),
                         "value": rows["emp_units_total_10k"].to_numpy() * PERSONS_PER_10K})
