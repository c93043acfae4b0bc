"""Country compositions over the nine ISCO-08 major groups, and their employment sizes.

Three sources, recorded per country in ``composition_source``:

- ``ilostat``: ILOSTAT survey shares (latest year >= 2015, shares only);
- ``modelled``: the compositional model of :mod:`atlas.sources.world.modelled` for economies
  with ILO sector covariates but no ILOSTAT shares;
- ``ilo_modelled_counts``: China, from the ILO modelled counts for 2023.

Sizes: population (latest annual value, see :mod:`atlas.sources.world.context`) x employment
rate 15+ (latest ILO estimate <= 2023; the median rate where the ILO has none) x
``ADULT_SHARE``, except China's modelled total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from atlas.errors import InputError
from atlas.sources.inputs import Inputs
from atlas.sources.world.context import CountrySeries
from atlas.sources.world.modelled import ModelResult, covariates, model_compositions

ADULT_SHARE = 0.74
CHINA_YEAR = 2023
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
TITLES = {group: title for group, (_, title) in MAJOR_GROUPS.items()}


@dataclass
class Compositions:
    """Shares per country (rows sum to 1), their source and the model behind them."""

    shares: pd.DataFrame
    source: pd.Series
    flagged: pd.Index
    model: ModelResult
    covariates: pd.DataFrame


def ilostat_shares(inputs: Inputs) -> tuple[pd.DataFrame, pd.Index]:
    """ILOSTAT shares (closed to 1) by ISO3, and the rows whose missing groups were set to 0.

    Raises
    ------
    InputError
        if a row's shares do not add up to a positive total.
    """
    frame = inputs.table("world_shares")
    table = frame[[column for column, _ in MAJOR_GROUPS.values()]]
    table.columns = list(MAJOR_GROUPS)
    totals = table.sum(axis=1)
    if (totals <= 0).any() or table.isna().any(axis=None):
        position = int(((totals <= 0) | table.isna().any(axis=1)).to_numpy().nonzero()[0][0])
        raise InputError(inputs.specs["world_shares"].path, "shares missing or summing to 0",
                         row=position + 2, column="isco08_*_pct", expected="9 shares in %")
    shares = table.div(totals, axis=0).set_index(frame["iso3"])
    flagged = pd.Index(frame.loc[frame["flag"].notna(), "iso3"])
    return shares, flagged


def compose(inputs: Inputs, series: CountrySeries, income: pd.Series,
            economies: pd.Index) -> Compositions:
    """ILOSTAT shares where they exist, modelled shares for the other ``economies`` that
    have covariates (China has its own counts)."""
    observed, flagged = ilostat_shares(inputs)
    x = covariates(series.sectors, series.gdp["value"])
    train = observed.drop(index=flagged, errors="ignore")
    targets = x.index.intersection(economies).difference(observed.index).drop(
        "CHN", errors="ignore")
    model = model_compositions(train, x, targets, income, TITLES)
    shares = pd.concat([observed, model.shares])
    source = pd.Series("ilostat", index=observed.index)
    source = pd.concat([source, pd.Series("modelled", index=model.shares.index)])
    source["CHN"] = "ilo_modelled_counts"
    return Compositions(shares, source, flagged, model, x)


def china_composition(inputs: Inputs, series: CountrySeries) -> tuple[pd.Series, float]:
    """China's employment by major group (persons) for 2023, with 6+9 split; and the total."""
    frame = inputs.table("cn_occupations")
    rows = frame.loc[(frame["year"] == CHINA_YEAR) & (frame["sex"] == "SEX_T")]
    values = rows.set_index(rows["classif1"].str.replace("ocu_details_", ""))["emp_thousands"]
    total = float(values["total"]) * 1000
    agri = float(series.sectors.loc["CHN", "agri_emp_pct"])
    combined = float(values["96"]) * 1000
    group6 = min(combined, agri / 100 * total)
    counts = {g: float(values[g]) * 1000 for g in ("1", "2", "3", "4", "5", "7", "8")}
    counts.update({"6": group6, "9": combined - group6})
    return pd.Series(counts).sort_index(), total


@dataclass
class Sizes:
    """Estimated employment per country and what it rests on."""

    total: pd.Series
    rate_year: pd.Series
    median_rate: float


def estimate_sizes(shares: pd.DataFrame, series: CountrySeries) -> Sizes:
    """population x employment rate 15+ x ADULT_SHARE for every country with shares."""
    rate = series.employment_rate["value"]
    median_rate = float(rate.median())
    population = series.population["value"].reindex(shares.index)
    total = population * rate.reindex(shares.index).fillna(median_rate) / 100 * ADULT_SHARE
    return Sizes(total.dropna(), series.employment_rate["year"].reindex(shares.index),
                 median_rate)


def employment_rows(compositions: Compositions, sizes: Sizes,
                    china: pd.Series) -> pd.DataFrame:
    """Long ``region_id, category, employment`` (shares x size; China's counts)."""
    sized = compositions.shares.loc[compositions.shares.index.isin(sizes.total.index)]
    counts = sized.mul(sizes.total.reindex(sized.index), axis=0)
    long = counts.rename_axis("region_id").reset_index().melt(
        id_vars="region_id", var_name="category", value_name="employment")
    china_rows = pd.DataFrame({"region_id": "CHN", "category": china.index,
                               "employment": china.to_numpy()})
    long = pd.concat([long, china_rows], ignore_index=True)
    return long.loc[long["employment"] > 0].sort_values(["region_id", "category"]).reset_index(
        drop=True)


PUBLISHED_GRADIENT = {"world": 0.25, "HIC": 0.34}
GRADIENT_SOURCE = ("Gmyrek et al. (2025), ILO Working Paper 140: 25% of global employment in "
                   "the exposed gradients, 34% in high-income countries")


def gradient_shares(employment: pd.DataFrame, scores: pd.Series,
                    income: pd.Series) -> pd.Series:
    """Employment share in the ILO exposed gradients, world and per income group."""
    frame = employment.assign(exposed=employment["category"].map(scores)
                              * employment["employment"],
                              income=employment["region_id"].map(income))
    out = {"world": frame["exposed"].sum() / frame["employment"].sum()}
    for group, rows in frame.groupby("income"):
        out[group] = rows["exposed"].sum() / rows["employment"].sum()
    return pd.Series(out)


def gradient_comparison(employment: pd.DataFrame, candidates: dict[str, pd.Series],
                        income: pd.Series) -> tuple[pd.DataFrame, str]:
    """Compare each weighting's exposed-gradient share with the ILO's published figures.

    Returns the table and the weighting whose largest gap to a published figure is smallest.
    """
    shares = pd.DataFrame({name: gradient_shares(employment, scores, income)
                           for name, scores in candidates.items()})
    scopes = ["world", "HIC", "UMC", "LMC", "LIC"]
    shares = shares.reindex(scopes)
    published = pd.Series(PUBLISHED_GRADIENT).reindex(scopes)
    gaps = shares.sub(published, axis=0).abs().max()
    kept = str(gaps.idxmin())
    members = employment.assign(income=employment["region_id"].map(income))
    size = {"world": members}
    size.update({g: rows for g, rows in members.groupby("income")})
    table = pd.DataFrame({
        "scope": scopes,
        "countries": [size[s]["region_id"].nunique() if s in size else 0 for s in scopes],
        "employment": [size[s]["employment"].sum() if s in size else np.nan for s in scopes],
        **{f"share_{name}": shares[name].to_numpy() for name in candidates},
        "published": published.to_numpy(),
        "kept": kept,
        "source": GRADIENT_SOURCE,
    })
    return table, kept
