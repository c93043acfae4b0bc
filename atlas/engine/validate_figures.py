"""The ``validation`` table: every published figure the atlas reproduces from its inputs.

The checks are declared in ``atlas/spec/evidence.toml`` (``[[figure]]``: the reference, its source,
the tolerance); this module holds only the functions that compute the atlas's value of each
kind of figure (:data:`FIGURES`). A check *holds* when ``|value - reference| <= tolerance``;
a check without a reference (a finding, such as the shift since ChatGPT) holds when its value
has the sign the check's text states (negative: substitutable jobs fell behind).
``atlas validate`` prints the table and exits 1 if a gating check does not hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from atlas.errors import ConfigError
from atlas.sources.inputs import Inputs
from atlas.spec.evidence import evidence


@dataclass
class Context:
    """What the figure functions read: the database being built, the inputs and the shift's
    results (:func:`atlas.engine.shift.compute_shift`)."""

    con: duckdb.DuckDBPyConnection
    inputs: Inputs
    shift: dict[str, Any]


def eloundou_headline(ctx: Context, share: str) -> tuple[float, str]:
    """The paper's headline share under its own weighting (human-rated beta)."""
    from atlas.sources.exposure.eloundou import headline_shares

    shares = headline_shares(ctx.inputs)
    return shares[share], f"{shares['occupations']} O*NET occupations, OEWS May 2021 weights"


def ilo_gradient(ctx: Context, scope: str) -> tuple[float, str]:
    """The exposed-gradient share of jobs of ``scope`` (world or an income group) under the
    weighting the build kept (``ilo_gradient_comparison``)."""
    row = ctx.con.execute("""
        SELECT CASE WHEN kept = 'us_employment' THEN share_us_employment
                    ELSE share_unit_mean END, kept, countries
        FROM ilo_gradient_comparison WHERE scope = ?""", [scope]).fetchone()
    if row is None:
        raise ConfigError(f"evidence.toml: no scope {scope!r} in ilo_gradient_comparison")
    return float(row[0]), f"{row[2]} countries, unit groups weighted by {row[1]}"


def level_jobs(ctx: Context, level: str, exclude: list[str] | None = None
               ) -> tuple[float, str]:
    """The jobs of a level's composition (``employment``), leaving out ``exclude`` ids."""
    exclude = list(exclude or [])
    row = ctx.con.execute("""
        SELECT sum(employment), count(DISTINCT region_id) FROM employment
        WHERE level = ? AND NOT list_contains(?, region_id)""", [level, exclude]).fetchone()
    left_out = f" ({', '.join(exclude)} left out)" if exclude else ""
    return float(row[0] or 0), f"{row[1]} regions of {level}{left_out}"


def sector_total(ctx: Context, panel: str) -> tuple[float, str]:
    """A national OEWS panel's total as the sum of its sector totals."""
    return ctx.shift["totals"][panel], "sum of the 20 sector totals (00-0000 rows)"


def occupation_jobs(ctx: Context, occupation: str, panel: str) -> tuple[float, str]:
    """One occupation's jobs in a national panel, summed over the sectors."""
    return ctx.shift["jobs"][(panel, occupation)], f"{occupation} summed over the sectors"


def exact_code_coverage(ctx: Context, measure: str, taxonomy: str) -> tuple[float, str]:
    """Share of national detailed employment whose code has an exact match in ``measure``."""
    row = ctx.con.execute("""
        SELECT sum(c.national_employment) FILTER (WHERE s.rule = 'exact')
                 / sum(c.national_employment)
        FROM categories AS c
        LEFT JOIN exposure_scores AS s ON s.category = c.category AND s.taxonomy = c.taxonomy
             AND s.measure = ?
        WHERE c.national_employment IS NOT NULL AND c.taxonomy = ?""",
                          [measure, taxonomy]).fetchone()
    return float(row[0]), f"national {taxonomy} employment, {measure}, rule 'exact'"


def shift_gap(ctx: Context, within: str) -> tuple[float, str]:
    """Substitutable jobs' growth minus the other jobs' growth, May 2022 -> May 2025 (pp)."""
    gap = ctx.shift["gaps"][within]
    if within == "overall":
        return gap["value"], (f"substitutable jobs {gap['growth_substitutable']:+.1%}, "
                              f"other jobs {gap['growth_rest']:+.1%}")
    return gap["value"], (f"substitutable jobs fell behind in {gap['groups_behind']} of "
                          f"{gap['groups']} major groups")


FIGURES: dict[str, Callable[..., tuple[float, str]]] = {
    f.__name__: f for f in (eloundou_headline, ilo_gradient, level_jobs, sector_total,
                            occupation_jobs, exact_code_coverage, shift_gap)}


def validation_table(ctx: Context, figures: list[dict[str, Any]] | None = None
                     ) -> pd.DataFrame:
    """One row per declared figure: check, reference, tolerance, the atlas's value, holds,
    gates, unit, source, detail, note."""
    rows = []
    for figure in evidence()["figure"] if figures is None else figures:
        function = FIGURES.get(figure["figure"])
        if function is None:
            raise ConfigError(f"evidence.toml: check {figure['check']!r}: unknown figure "
                              f"{figure['figure']!r} (expected one of {sorted(FIGURES)})")
        value, detail = function(ctx, **figure.get("args", {}))
        reference = figure.get("reference")
        tolerance = figure.get("tolerance")
        holds = bool(value < 0) if reference is None else \
            bool(abs(value - reference) <= tolerance)
        rows.append({"check": figure["check"], "reference": reference,
                     "tolerance": tolerance, "value": float(value), "holds": holds,
                     "gates": bool(figure.get("gates", True)), "unit": figure.get("unit", ""),
                     "source": figure["source"], "detail": detail,
                     "note": figure.get("note", "")})
    return pd.DataFrame(rows, columns=["check", "reference", "tolerance", "value", "holds",
                                       "gates", "unit", "source", "detail", "note"])


def show(value: float | None, unit: str) -> str:
    """A value in its unit for people: shares as %, jobs in millions or with separators."""
    if value is None or pd.isna(value):
        return ""
    if unit == "share":
        return f"{value:.1%}"
    if unit == "pp":
        return f"{value:+.1f} pp"
    if unit == "jobs":
        return f"{value / 1e6:.3f}M" if abs(value) >= 1e7 else f"{value:,.0f}"
    return f"{value:g}"


def check_lines(table: pd.DataFrame) -> list[str]:
    """``atlas validate``'s lines: one per check, ``ok`` / ``FAIL`` / ``gap`` (a miss that
    does not gate) / ``yes`` / ``no`` (findings)."""
    lines = []
    for row in table.itertuples(index=False):
        finding = row.reference is None or pd.isna(row.reference)
        status = ("yes" if row.holds else "no") if finding else \
            ("ok" if row.holds else ("FAIL" if row.gates else "gap"))
        target = "finding" if finding else \
            f"reference {show(row.reference, row.unit)} +- {show(row.tolerance, row.unit)}"
        note = f" [{row.note}]" if row.note else ""
        lines.append(f"{status:4} {row.check}: atlas {show(row.value, row.unit)}, {target}; "
                     f"{row.detail}{note}")
    return lines


def failed(table: pd.DataFrame) -> pd.DataFrame:
    """The gating checks that do not hold."""
    return table.loc[table["gates"] & ~table["holds"]]


def markdown(table: pd.DataFrame) -> str:
    """The README's validation block: one row per check."""
    lines = ["| check | published | atlas | tolerance | holds | source |",
             "|---|---|---|---|---|---|"]
    for row in table.itertuples(index=False):
        finding = row.reference is None or pd.isna(row.reference)
        holds = ("finding: " + ("yes" if row.holds else "no")) if finding else \
            ("yes" if row.holds else ("no (known gap)" if not row.gates else "**no**"))
        lines.append(f"| `{row.check}` | {show(row.reference, row.unit)} | "
                     f"{show(row.value, row.unit)} | {show(row.tolerance, row.unit)} | {holds} "
                     f"| {row.source.replace('|', '/')} |")
    return "\n".join(lines)

