"""What each country's numbers rest on: composition source, vintages and caveats.

- ``atlas/spec/reference/world_survey_caveats.csv`` (authored, sources in
  ``atlas/spec/reference/README.md``): survey coverage facts per country, each marked with its
  basis: ``inputs_sources_md`` (stated in the inputs' SOURCES.md), ``input_data`` (seen in
  the input files themselves) or ``survey_documentation`` (a documented fact about the
  national survey, cited in the row).
- The task-content caveat: every exposure measure assumes that an occupation involves the
  same tasks everywhere (US O*NET tasks for Eloundou and Felten, one global task list for the
  ILO). Gmyrek, Viollaz and Winkler (2026, ILO Working Paper 166) show with skills surveys that
  workers in developing countries perform substantially fewer non-routine analytical tasks
  within the same occupations, so conventional occupation-level measures overestimate
  exposure there. Low and lower-middle income economies carry the caveat.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from atlas.errors import InputError
from atlas.sources.inputs import PROJECT_ROOT
from atlas.spec import reference_path

CAVEATS_FILE = reference_path("world_survey_caveats.csv")
CAVEAT_COLUMNS = ("iso3", "caveat", "basis", "source")
BASES = {"inputs_sources_md", "survey_documentation", "input_data"}
TASK_CONTENT_GROUPS = {"LIC", "LMC"}
TASK_CONTENT_NOTE = ("task-content caveat: exposure assumes US/global task content per "
                     "occupation and is likely overstated here (ILO WP 166)")


def read_caveats(path: Path = CAVEATS_FILE) -> pd.DataFrame:
    """The survey caveats, validated: one row per ISO3, every column filled, a known basis.

    Raises
    ------
    InputError
        naming the file, the row and the column of the first problem.
    """
    label = str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(
        path)
    if not path.is_file():
        raise InputError(label, "file not found", expected="the authored survey caveats")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CAVEAT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(label, f"missing column(s) {missing}",
                         expected=f"columns {list(CAVEAT_COLUMNS)}")
    for position, row in frame.iterrows():
        line = int(position) + 2
        for column in CAVEAT_COLUMNS:
            if not row[column].strip():
                raise InputError(label, "empty value", column=column, row=line)
        if len(row["iso3"]) != 3 or not row["iso3"].isupper():
            raise InputError(label, f"not an ISO3 code: {row['iso3']!r}", column="iso3",
                             row=line, expected="three upper-case letters")
        if row["basis"] not in BASES:
            raise InputError(label, f"unknown basis {row['basis']!r}", column="basis",
                             row=line, expected=" or ".join(sorted(BASES)))
    duplicated = frame["iso3"].duplicated()
    if duplicated.any():
        line = int(duplicated.to_numpy().nonzero()[0][0]) + 2
        raise InputError(label, f"duplicate row for {frame.loc[line - 2, 'iso3']}",
                         column="iso3", row=line, expected="one row per country")
    return frame.set_index("iso3")


MODEL_COVARIATES = {
    "full": "sector shares, self-employment, contributing family workers, employment rate "
            "and GDP per capita",
    "no_gdp": "sector shares, self-employment, contributing family workers and employment "
              "rate (no GDP per capita)",
    "gdp_only": "GDP per capita only (no ILO sector estimates: the weakest variant)",
}


def composition_note(source: str, sizing: str, covariate_year: float | None,
                     variant: str | None) -> str:
    """The first sentence of ``data_quality``: where the composition comes from."""
    if source == "ilostat":
        return (f"ILOSTAT survey shares by major group (latest year >= 2015, year not "
                f"recorded); {sizing}")
    if source == "modelled":
        year = f", {int(covariate_year)}" if covariate_year is not None and pd.notna(
            covariate_year) else ""
        return (f"MODELLED composition (compositional ridge model on "
                f"{MODEL_COVARIATES[str(variant)]}{year}; its cross-validated errors are in "
                "the atlas database, table composition_model_errors); "
                f"{sizing}")
    return ("ILO modelled counts 2023 (not a survey); groups 6 and 9 split by the "
            "agricultural employment share")


def sizing_note(population_year: float, rate_year: float | None, median_rate: float,
                adult_share: float) -> str:
    """How the employment size was estimated, with the years used."""
    rate = (f"employment rate 15+ {int(rate_year)}" if rate_year is not None
            else f"the median employment rate ({median_rate:.1f}%: no ILO estimate)")
    return (f"employment = population {int(population_year)} x {rate} x {adult_share} "
            "(world share aged 15+)")


def unranked_note(has_shares: bool, has_covariates: bool) -> str:
    """Why a country has no composition (or cannot be sized)."""
    if has_shares or has_covariates:
        return "a composition but no population to size it: not ranked"
    return ("no ILOSTAT occupation shares and no ILO sector covariates to model them: "
            "not ranked")


def with_caveats(notes: pd.Series, caveats: pd.DataFrame, task_content: pd.Series) -> pd.Series:
    """Append the survey caveat and the task-content caveat to each note."""
    out = notes.copy()
    survey = caveats["caveat"].reindex(out.index)
    has = survey.notna() & out.notna()
    out[has] = out[has] + "; survey caveat: " + survey[has]
    flagged = task_content.reindex(out.index).fillna(False).astype(bool) & out.notna()
    out[flagged] = out[flagged] + "; " + TASK_CONTENT_NOTE
    return out


def task_content_flag(income: pd.Series, composed: pd.Index) -> pd.Series:
    """True for low and lower-middle income economies that have a composition."""
    return income.isin(TASK_CONTENT_GROUPS) & income.index.isin(composed)
