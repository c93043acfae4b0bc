"""The shift already observed since ChatGPT: national jobs by occupation May 2022 -> May 2025,
and per region a shift-share projection of its substitutable jobs.

Both panels are BLS OEWS national estimates by sector x occupation (``[shift]`` of
``atlas/spec/evidence.toml`` names them). A cross-industry occupation total is the sum over the 20
sectors; because cells are suppressed (``tot_emp`` empty) in different sectors in different
years, an occupation's trend is measured on its *common support*, the sectors where both
panels publish it (``coverage``: the May 2025 jobs on that support / all its May 2025 jobs).
Each OEWS panel pools three survey years (May 2022: November 2019 to May 2022; May 2025:
November 2022 to May 2025), so the two panels do not overlap and the change is between two
three-year averages, not an annual change.

The projection (``shift_projection``, SQL in ``atlas/engine/sql/shift_projection.sql``) applies each
occupation's national trend, continued ``horizon_years``, to a region's May 2025 mix: it
applies national trends to local mixes and is no forecast.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.input_results import input_key
from atlas.sources.inputs import Inputs
from atlas.spec.config_types import AtlasConfig
from atlas.spec.evidence import evidence
from atlas.store.cache import cached_frame
from atlas.store.cache_steps import cached_step
from atlas.store.database import register_table
from atlas.store.sql_files import run_sql_file

TOTAL_CODE = "00-0000"


def sector_panels(inputs: Inputs, spec: dict[str, Any]) -> pd.DataFrame:
    """Jobs per panel, sector and detailed occupation (``occupation`` = ``00-0000`` for the
    sector total); ``jobs`` is NaN where BLS suppressed the cell.

    Panels are named by year (``"2022"``, ``"2023"``, ...) for ``before`` and ``"after"``
    for the later file, restricted to the sectors of ``before``."""
    before = inputs.table(spec["before"])
    before = before.loc[before["o_group"].isin(["detailed", "total"])]
    frame = pd.DataFrame({"panel": before["year"].astype(int).astype(str),
                          "sector": before["industry_code_ts"], "occupation": before["occ_code"],
                          "jobs": before["tot_emp"].astype(float)})
    after = inputs.table(spec["after"])
    after = after.loc[(after["industry_level"].astype(int) == int(spec["sectors_level"]))
                      & after["industry_code"].isin(set(frame["sector"]))
                      & ((after["occ_level"] == "detailed") | (after["soc_code"] == TOTAL_CODE))]
    later = pd.DataFrame({"panel": "after", "sector": after["industry_code"],
                          "occupation": after["soc_code"], "jobs": after["tot_emp"].astype(float)})
    return pd.concat([frame, later], ignore_index=True)


def panel_total(panels: pd.DataFrame, panel: str) -> float:
    """The panel's national total: the sum of its sector totals."""
    rows = panels.loc[(panels["panel"] == panel) & (panels["occupation"] == TOTAL_CODE)]
    return float(rows["jobs"].sum())


def occupation_trend(panels: pd.DataFrame, before: str) -> pd.DataFrame:
    """Per detailed occupation: jobs in both panels (all sectors, and on the common support of
    sectors published in both), ``growth`` = after / before on the common support and its
    ``coverage``."""
    detailed = panels.loc[panels["occupation"] != TOTAL_CODE]
    chosen = detailed.loc[detailed["panel"].isin([before, "after"])]
    # a suppressed cell stays NaN (sum of NaN alone is NaN, not 0): off the common support
    wide = chosen.groupby(["occupation", "sector", "panel"])["jobs"].sum(min_count=1) \
        .unstack("panel").reindex(columns=[before, "after"])
    both = wide.notna().all(axis=1)
    grouped = wide.groupby(level="occupation")
    out = pd.DataFrame({
        "jobs_before": grouped[before].sum(min_count=1),
        "jobs_after": grouped["after"].sum(min_count=1),
        "matched_before": wide.loc[both, before].groupby(level="occupation").sum(),
        "matched_after": wide.loc[both, "after"].groupby(level="occupation").sum(),
    })
    out["growth"] = out["matched_after"] / out["matched_before"].where(out["matched_before"] > 0)
    out["coverage"] = out["matched_after"] / out["jobs_after"].where(out["jobs_after"] > 0)
    out = out.reset_index(names="occupation")
    out["major_group"] = out["occupation"].str[:2] + "-0000"
    return out


def with_substitutable(trend: pd.DataFrame, con: duckdb.DuckDBPyConnection, taxonomy: str,
                       measure: str) -> pd.DataFrame:
    """The trend with each occupation's substitutable share under ``measure`` (0 for a
    sheltered category; NaN where the measure gives none)."""
    scores = con.execute("""
        SELECT s.category AS occupation,
               CASE WHEN h.category IS NOT NULL THEN 0.0 ELSE s.substitutable END
                   AS substitutable
        FROM exposure_scores AS s
        LEFT JOIN sheltered_categories AS h USING (taxonomy, category)
        WHERE s.taxonomy = ? AND s.measure = ?""", [taxonomy, measure]).df() \
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                       "'sheltered_categories'").fetchone()[0] else con.execute("""
        SELECT category AS occupation, substitutable FROM exposure_scores
        WHERE taxonomy = ? AND measure = ?""", [taxonomy, measure]).df()
    return trend.merge(scores, on="occupation", how="left")


def substitution_gap(trend: pd.DataFrame, within: str = "overall") -> dict[str, float]:
    """Growth of substitutable jobs minus growth of the other jobs, in percentage points.

    Substitutable jobs of an occupation = its jobs x its substitutable share (the share held
    at its 2025 value), on the common support. ``within = "major_group"``: the gap within
    each SOC major group, averaged with the groups' substitutable jobs before as weights (the
    shift between major groups removed). Returns the gap, the two growths (overall only) and
    the number of groups where substitutable jobs fell behind (within groups only)."""
    rows = trend.dropna(subset=["growth", "substitutable", "matched_before"])
    sub_before = rows["matched_before"] * rows["substitutable"]
    sub_after = rows["matched_after"] * rows["substitutable"]
    rest_before = rows["matched_before"] - sub_before
    rest_after = rows["matched_after"] - sub_after
    parts = pd.DataFrame({"group": rows["major_group"], "sb": sub_before, "sa": sub_after,
                          "rb": rest_before, "ra": rest_after})
    if within == "overall":
        sums = parts[["sb", "sa", "rb", "ra"]].sum()
        growth_sub = sums["sa"] / sums["sb"] - 1
        growth_rest = sums["ra"] / sums["rb"] - 1
        return {"value": 100 * (growth_sub - growth_rest), "growth_substitutable": growth_sub,
                "growth_rest": growth_rest, "substitutable_before": float(sums["sb"]),
                "substitutable_after": float(sums["sa"])}
    groups = parts.groupby("group")[["sb", "sa", "rb", "ra"]].sum()
    groups = groups.loc[(groups["sb"] > 0) & (groups["rb"] > 0)]
    gaps = 100 * ((groups["sa"] / groups["sb"]) - (groups["ra"] / groups["rb"]))
    weights = groups["sb"] / groups["sb"].sum()
    return {"value": float((gaps * weights).sum()), "groups": int(len(gaps)),
            "groups_behind": int((gaps < 0).sum())}


def group_shift(trend: pd.DataFrame) -> pd.DataFrame:
    """``shift_by_group``: per SOC major group, substitutable and other jobs before and after
    (common support) and the gap in percentage points."""
    rows = trend.dropna(subset=["growth", "substitutable", "matched_before"])
    frame = pd.DataFrame({
        "major_group": rows["major_group"],
        "substitutable_before": rows["matched_before"] * rows["substitutable"],
        "substitutable_after": rows["matched_after"] * rows["substitutable"],
        "other_before": rows["matched_before"] * (1 - rows["substitutable"]),
        "other_after": rows["matched_after"] * (1 - rows["substitutable"])})
    out = frame.groupby("major_group", as_index=False).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["substitutable_growth_pct"] = 100 * (out["substitutable_after"]
                                                 / out["substitutable_before"] - 1)
        out["other_growth_pct"] = 100 * (out["other_after"] / out["other_before"] - 1)
    out["gap_pp"] = out["substitutable_growth_pct"] - out["other_growth_pct"]
    return out.replace([np.inf, -np.inf], np.nan)


def panel_figures(panels: pd.DataFrame) -> pd.DataFrame:
    """The panels' figures the validation reads, as rows (panel, occupation, jobs): each
    panel's total (:func:`panel_total`, occupation ``00-0000``), then the jobs per panel and
    detailed occupation (all sectors)."""
    totals = pd.DataFrame([{"panel": panel, "occupation": TOTAL_CODE,
                            "jobs": panel_total(panels, panel)}
                           for panel in sorted(set(panels["panel"]))],
                          columns=["panel", "occupation", "jobs"])
    jobs = panels.loc[panels["occupation"] != TOTAL_CODE].groupby(
        ["panel", "occupation"])["jobs"].sum().reset_index()
    return pd.concat([totals, jobs[["panel", "occupation", "jobs"]]], ignore_index=True)


def national_trend(inputs: Inputs, spec: dict[str, Any]
                   ) -> tuple[pd.DataFrame, dict[str, float], dict[tuple[str, str], float]]:
    """:func:`occupation_trend` of the two panels, their totals and their jobs per
    occupation: computed from the two OEWS inputs alone, so kept in the shared cache under
    their content, the ``[shift]`` settings and this code
    (:func:`atlas.engine.input_results.input_key`); a rebuild then reads neither file."""
    key = input_key("shift", inputs, [spec["before"], spec["after"]], spec,
                    modules=[__name__])
    read: list[pd.DataFrame] = []

    def panels() -> pd.DataFrame:
        if not read:
            read.append(sector_panels(inputs, spec))
        return read[0]

    trend = cached_frame("shift_trend", key,
                         lambda: occupation_trend(panels(), str(spec["before_year"])))
    figures = cached_frame("shift_figures", key, lambda: panel_figures(panels()))
    total = figures["occupation"] == TOTAL_CODE
    totals = {str(panel): float(jobs) for panel, jobs in zip(
        figures.loc[total, "panel"], figures.loc[total, "jobs"], strict=True)}
    jobs = {(str(panel), str(occ)): float(j) for panel, occ, j in figures.loc[
        ~total, ["panel", "occupation", "jobs"]].itertuples(index=False)}
    return trend, totals, jobs


def compute_shift(con: duckdb.DuckDBPyConnection, inputs: Inputs, config: AtlasConfig
                  ) -> dict[str, Any]:
    """Write ``occupation_shift``, ``shift_by_group`` and ``shift_projection``, and the
    projection as a context indicator of every level of the trend's taxonomy (so that
    ``region_indices``, the maps and the exports carry it); returns the figures the
    validation table reads (panel totals, the gaps)."""
    spec = evidence()["shift"]
    measure = config.exposure.default_measure
    national, totals, jobs = national_trend(inputs, spec)
    trend = with_substitutable(national, con, spec["taxonomy"], measure)
    trend["measure"] = measure
    register_table(con, "occupation_shift", trend)
    register_table(con, "shift_by_group", group_shift(trend))
    project(con, spec["taxonomy"], measure, float(spec["horizon_years"]) / float(spec["years"]))
    add_context(con, spec)
    return {"totals": totals, "jobs": jobs,
            "gaps": {within: substitution_gap(trend, within)
                     for within in ("overall", "major_group")}}


@cached_step("shift_projection", reads=("employment", "levels", "occupation_shift"),
             writes=("shift_projection",))
def project(con: duckdb.DuckDBPyConnection, taxonomy: str, measure: str, power: float) -> None:
    """``shift_projection`` (``shift_projection.sql``: every region's mix of ``taxonomy``
    under the national trend to the ``power``): a cached step
    (:func:`atlas.store.cache_steps.cached_step`)."""
    run_sql_file(con, "shift_projection.sql", taxonomy=taxonomy, measure=measure, power=power)


def add_context(con: duckdb.DuckDBPyConnection, spec: dict[str, Any]) -> None:
    """The projection's substitutable change as the context indicator ``spec['indicator']``
    (percent) of every level that has it, with its label, formula, source and vintage."""
    indicator = spec["indicator"]
    con.execute("DELETE FROM region_context WHERE indicator = ?", [indicator])
    con.execute("DELETE FROM context_indicators WHERE indicator = ?", [indicator])
    con.execute("""
        INSERT INTO region_context (level, region_id, indicator, value)
        SELECT level, region_id, ?, substitutable_change_pct FROM shift_projection
        WHERE substitutable_change_pct IS NOT NULL""", [indicator])
    formula = (f"100 * (sum_o s_o e_o g_o^({spec['horizon_years']}/{spec['years']}) / "
               "sum_o s_o e_o - 1): e_o the region's May 2025 jobs in occupation o, s_o its "
               "substitutable share, g_o its national jobs May 2025 / May 2022 (sectors "
               "published in both). " + spec["caveat"])
    con.execute("""
        INSERT INTO context_indicators (level, indicator, label, unit, formula, source, vintage)
        SELECT DISTINCT level, ?, ?, 'percent', ?, ?, ? FROM shift_projection""",
                [indicator, spec["label"], formula,
                 "BLS OEWS national sector x occupation estimates, May 2022 and May 2025; the "
                 "region's OEWS May 2025 mix", spec["vintage"]])
