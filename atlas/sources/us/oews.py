"""US employment compositions from BLS OEWS May 2025 (levels us_area, us_state, us_nation).

OEWS suppresses some cells, so detailed occupations do not add up to an area's published
total. We keep every published total: each major group's unallocated residual (group total
minus its published detailed rows) becomes an explicit imputed category ``XX-0000``, and
what no major group accounts for (suppressed group totals) becomes ``00-0000``. Both are
scored later with national employment-weighted means, so every job is scored and every
region's employment equals its published total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from atlas.errors import InputError
from atlas.sources.inputs import Inputs, parquet_columns

AREA_KINDS = {"msa": "us_area", "nonmetro": "us_area", "state": "us_state", "national": "us_nation"}
HOURS_PER_YEAR = 2080
UNALLOCATED = "00-0000"


@dataclass
class OewsLevels:
    """Regions, compositions and national occupation facts read from OEWS."""

    # level, region_id, area_code, name, state, state_fips, kind, published_total
    regions: pd.DataFrame
    employment: pd.DataFrame  # level, region_id, category, employment, imputed
    occupations: pd.DataFrame  # category, title, national_employment, median_wage, low_wage
    national_median_wage: float


def residual_code(soc_code: str) -> str:
    """Category that holds a major group's unallocated employment: ``43-4051`` -> ``43-0000``."""
    return f"{soc_code[:2]}-0000"


def _state_abbreviations(inputs: Inputs) -> dict[str, str]:
    crosswalk = inputs.table("county_crosswalk")
    pairs = crosswalk[["state_fips", "state_abbr"]].drop_duplicates()
    lookup = dict(zip(pairs.state_fips, pairs.state_abbr, strict=False))
    lookup.update({"66": "GU", "78": "VI", "00": "US"})
    return lookup


def compose_with_residuals(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Detailed rows plus imputed residual rows that close each area to its published total.

    Parameters
    ----------
    frame
        OEWS rows of some areas with ``area_code, soc_code, occ_level, tot_emp``.
    label
        File name for error messages.

    Returns
    -------
    DataFrame with ``area_code, category, employment, imputed``.
    """
    frame = frame.assign(major=frame["soc_code"].str[:2])
    totals = frame.loc[frame["soc_code"] == UNALLOCATED].set_index("area_code")["tot_emp"]
    missing_total = set(frame["area_code"]) - set(totals.dropna().index)
    if missing_total:
        raise InputError(label, f"areas without a published 00-0000 total: {sorted(missing_total)}",
                         column="tot_emp")
    detailed = frame.loc[(frame["occ_level"] == "detailed") & frame["tot_emp"].notna()]
    majors = frame.loc[(frame["occ_level"] == "major") & (frame["soc_code"] != UNALLOCATED)]
    detailed_sums = detailed.groupby(["area_code", "major"])["tot_emp"].sum()
    major_totals = majors.set_index(["area_code", "major"])["tot_emp"]
    groups = pd.concat([major_totals.rename("major_total"), detailed_sums.rename("detailed")],
                       axis=1).fillna({"detailed": 0.0})
    # Rounding can make the detailed rows exceed their group total by a few tens of jobs:
    # such a group gets no residual, and the area-level residual absorbs the difference.
    groups["residual"] = (groups["major_total"] - groups["detailed"]).clip(lower=0)
    group_rows = groups.loc[groups["residual"] > 0].reset_index()
    group_rows = pd.DataFrame({
        "area_code": group_rows["area_code"],
        "category": group_rows["major"] + "-0000",
        "employment": group_rows["residual"],
    })
    accounted = (
        detailed.groupby("area_code")["tot_emp"].sum()
        .add(group_rows.groupby("area_code")["employment"].sum(), fill_value=0.0)
    )
    leftover = (totals - accounted.reindex(totals.index).fillna(0.0)).rename("employment")
    leftover_rows = leftover.loc[leftover > 0].reset_index().assign(category=UNALLOCATED)
    over = leftover.loc[leftover < 0]
    rows = [
        detailed[["area_code", "soc_code", "tot_emp"]].set_axis(
            ["area_code", "category", "employment"], axis=1).assign(imputed=False),
        group_rows.assign(imputed=True),
        leftover_rows[["area_code", "category", "employment"]].assign(imputed=True),
    ]
    composition = pd.concat(rows, ignore_index=True)
    if not over.empty:
        composition = _trim_rounding_excess(composition, over)
    return composition


def _trim_rounding_excess(composition: pd.DataFrame, excess: pd.Series) -> pd.DataFrame:
    """Remove a (rounding-sized) excess over the published total from imputed rows first.

    Per area with an excess x (``-excess``, jobs), its rows in the order imputed first, then
    larger employment first (ties: row order), each give up
    ``take_i = min(e_i, max(0, x - sum_(j < i) e_j))``, which is what taking greedily row
    by row until x is used up gives; done for all areas at once (one sort and a cumulative
    sum). Rows left without jobs are dropped.
    """
    amount = -excess
    employment = composition["employment"].to_numpy(dtype=float, copy=True)
    area_codes = composition["area_code"].to_numpy()
    selected = np.flatnonzero(pd.Index(amount.index).get_indexer(area_codes) >= 0)
    if len(selected):
        area, _ = pd.factorize(area_codes[selected])
        imputed = composition["imputed"].to_numpy(dtype=bool)[selected]
        order = np.lexsort((selected, -employment[selected], ~imputed, area))
        rows, area = selected[order], area[order]
        jobs = employment[rows]
        cumulative = np.cumsum(jobs)
        starts = np.flatnonzero(np.r_[True, area[1:] != area[:-1]])
        before = cumulative - jobs - np.repeat(cumulative[starts] - jobs[starts],
                                               np.diff(np.r_[starts, len(rows)]))
        wanted = amount.reindex(area_codes[rows]).to_numpy(dtype=float)
        employment[rows] = jobs - np.clip(wanted - before, 0.0, jobs)
    composition = composition.assign(employment=employment)
    return composition.loc[composition["employment"] > 0]


def _raw_rows(inputs: Inputs) -> pd.DataFrame:
    """The OEWS rows of the areas of the three US levels."""
    raw = inputs.table("oews_area_occ")
    return raw.loc[raw["area_kind"].isin(list(AREA_KINDS))]


def read_regions(inputs: Inputs) -> pd.DataFrame:
    """The regions of the three US levels (``level, region_id, area_code, name, state,
    state_fips, kind, published_total``), as :func:`read_oews` gives them."""
    return oews_regions(_raw_rows(inputs), _state_abbreviations(inputs))


def area_ids(inputs: Inputs) -> pd.DataFrame:
    """``level, area_code, region_id`` of the regions of level us_area, as
    :func:`read_regions` gives them, from only the OEWS columns that say them
    (``area_code``, ``area_kind`` and, where the checked read loads it, ``oews_area``), read
    without the checks: what the build's second process needs to key the dissolve it does
    ahead (:func:`atlas.sources.us.geometry.prepare`). The key holds these ids, so the
    reader, whose ids come from the checked file, finds that dissolve only if they are its
    own."""
    path = inputs.path("oews_area_occ")
    loaded = parquet_columns(path.read_bytes(), inputs.specs["oews_area_occ"])
    present = pq.read_schema(path).names
    wanted = [c for c in ("area_code", "area_kind", "oews_area")
              if c in present and (loaded is None or c in loaded)]
    raw = pq.read_table(path, columns=wanted).to_pandas()
    raw = raw.loc[raw["area_kind"].isin(list(AREA_KINDS))].drop_duplicates("area_code")
    oews_area = raw.set_index("area_code").get("oews_area")
    areas = raw.loc[raw["area_kind"].map(AREA_KINDS) == "us_area", "area_code"]
    region_id = areas.map(oews_area) if oews_area is not None else areas
    return pd.DataFrame({"level": "us_area", "area_code": areas.to_numpy(),
                         "region_id": region_id.to_numpy()})


def oews_regions(raw: pd.DataFrame, abbreviations: dict[str, str]) -> pd.DataFrame:
    """The regions of the OEWS rows ``raw`` (see :func:`read_regions`)."""
    areas = raw.drop_duplicates("area_code")[["area_code", "area_kind", "state_code", "area_name"]]
    oews_area = raw.drop_duplicates("area_code").set_index("area_code").get("oews_area")
    regions = areas.assign(level=areas["area_kind"].map(AREA_KINDS))
    regions["region_id"] = np.select(
        [regions["level"] == "us_nation", regions["level"] == "us_state"],
        ["US", regions["state_code"]],
        default=regions["area_code"].map(oews_area) if oews_area is not None
        else regions["area_code"],
    )
    regions["state_fips"] = regions["state_code"]
    regions["state"] = regions["state_code"].map(abbreviations)
    regions["kind"] = regions["area_kind"]
    regions["name"] = regions["area_name"]
    totals = raw.loc[raw["soc_code"] == UNALLOCATED].set_index("area_code")["tot_emp"]
    regions["published_total"] = regions["area_code"].map(totals)
    return regions[["level", "region_id", "area_code", "name", "state", "state_fips", "kind",
                    "published_total"]].reset_index(drop=True)


def read_oews(inputs: Inputs) -> OewsLevels:
    """Read OEWS May 2025 into the three US levels."""
    spec = inputs.specs["oews_area_occ"]
    raw = _raw_rows(inputs)
    regions = oews_regions(raw, _state_abbreviations(inputs))
    composition = compose_with_residuals(raw, spec.path)

    keys = regions.set_index("area_code")[["level", "region_id"]]
    employment = composition.join(keys, on="area_code")[
        ["level", "region_id", "category", "employment", "imputed"]]

    national = raw.loc[(raw["area_kind"] == "national") & (raw["occ_level"] == "detailed")]
    annual = national["a_median"].fillna(national["h_median"] * HOURS_PER_YEAR)
    overall = raw.loc[(raw["area_kind"] == "national") & (raw["soc_code"] == UNALLOCATED)]
    national_median = float(overall["a_median"].fillna(overall["h_median"] * HOURS_PER_YEAR)
                            .iloc[0])
    occupations = pd.DataFrame({
        "category": national["soc_code"].to_numpy(),
        "title": national["occupation_name"].to_numpy() if "occupation_name" in national
        else national["soc_code"].to_numpy(),
        "national_employment": national["tot_emp"].to_numpy(),
        "median_wage": annual.to_numpy(),
    })
    occupations["low_wage"] = (occupations["median_wage"] < national_median).astype(float)
    occupations.loc[occupations["median_wage"].isna(), "low_wage"] = np.nan
    return OewsLevels(regions, employment.reset_index(drop=True), occupations, national_median)
