"""Tables of ``docs/world.md`` generated from a built atlas, so the page cannot drift.

    python -m atlas.sources.world.report out/atlas.duckdb docs/world.md

rewrites every block between ``<!-- world:NAME -->`` and ``<!-- /world:NAME -->`` with the
table ``NAME`` of :func:`snippets` (a test checks the page against a fresh build).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import pandas as pd

TASK_CONTENT_TOP = 12
COMPOSED_SIZE = 1_000_000


def markdown(frame: pd.DataFrame, digits: dict[str, int] | None = None) -> str:
    """A pipe table; numbers rounded per column (``digits``), NULL as an empty cell."""
    digits = digits or {}
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                cells.append("")
            elif column in digits:
                cells.append(f"{value:,.{digits[column]}f}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def model_errors(con: duckdb.DuckDBPyConnection) -> str:
    """The leave-one-out table."""
    frame = con.execute("""
        SELECT category AS "group", title, mae_full_pp AS "model", mae_no_gdp_pp AS "model, no GDP",
               mae_gdp_only_pp AS "model, GDP only",
               mae_income_mean_pp AS "income-group mean",
               100 * (1 - mae_full_pp / mae_income_mean_pp) AS "model gain %"
        FROM composition_model_errors ORDER BY category = 'all', category""").df()
    counts = con.execute("SELECT any_value(n_full), any_value(n_no_gdp), any_value(n_gdp_only) "
                         "FROM composition_model_errors").fetchone()
    note = (f"\n\nMean absolute leave-one-out error in percentage points; training countries: "
            f"{counts[0]} (full), {counts[1]} (no GDP), {counts[2]} (GDP only).")
    return markdown(frame, {c: 2 for c in frame.columns[2:-1]} | {"model gain %": 0}) + note


def gradient(con: duckdb.DuckDBPyConnection) -> str:
    """The ILO exposed-gradient comparison, in percent."""
    frame = con.execute("""
        SELECT scope, countries, employment / 1e6 AS "employment (M)",
               100 * share_unit_mean AS "unweighted unit groups %",
               100 * share_us_employment AS "US-employment weighted %",
               100 * published AS "ILO published %", kept
        FROM ilo_gradient_comparison""").df()
    return markdown(frame, {"employment (M)": 0, "unweighted unit groups %": 1,
                            "US-employment weighted %": 1, "ILO published %": 0})


def coverage(con: duckdb.DuckDBPyConnection) -> str:
    """Countries per composition source and model variant."""
    frame = con.execute("""
        SELECT coalesce(s.composition_source, 'none') AS composition_source,
               coalesce(s.model_variant, '') AS model_variant,
               count(*) AS regions, count(i.region_id) AS ranked
        FROM country_sources s
        LEFT JOIN region_indices i ON i.level = s.level AND i.region_id = s.region_id
        GROUP BY ALL ORDER BY ranked DESC, regions DESC""").df()
    return markdown(frame)


def large_without(con: duckdb.DuckDBPyConnection) -> str:
    """Economies of more than 1M people without a ranked composition, and why."""
    frame = con.execute(f"""
        SELECT r.region_id, r.name, r.population, r.data_quality
        FROM regions r LEFT JOIN region_indices i USING (level, region_id)
        WHERE r.level = 'country' AND r.population > {COMPOSED_SIZE} AND i.region_id IS NULL
        ORDER BY r.population DESC""").df()
    if frame.empty:
        return "None: every economy of more than 1M people has a ranked composition."
    return markdown(frame, {"population": 0})


def vintages(con: duckdb.DuckDBPyConnection) -> str:
    """Years used per series over the ranked countries."""
    rows = []
    for column in ("population_year", "employment_rate_year", "sector_year",
                   "unemployment_year", "gdp_year"):
        years = con.execute(f"""
            SELECT s.{column} AS year, count(*) AS n FROM country_sources s
            JOIN region_indices i USING (level, region_id)
            WHERE s.{column} IS NOT NULL GROUP BY 1 ORDER BY 1 DESC""").df()
        missing = con.execute(f"""
            SELECT count(*) FROM country_sources s JOIN region_indices i USING (level, region_id)
            WHERE s.{column} IS NULL""").fetchone()[0]
        spread = ", ".join(f"{int(y)}: {n}" for y, n in years.itertuples(index=False))
        rows.append((column.removesuffix("_year"), spread, missing))
    return markdown(pd.DataFrame(rows, columns=["series", "year: ranked countries", "none"]))


def task_content(con: duckdb.DuckDBPyConnection) -> str:
    """Low and lower-middle income economies with the largest US-based exposure."""
    frame = con.execute(f"""
        SELECT r.region_id, r.name, r.income_group, r.composition_source,
               100 * g.exposure_mean AS "Eloundou GPT-4 beta %",
               100 * i.exposure_mean AS "ILO 2025 %",
               100 * x.exposure_mean AS "ILO gradients %"
        FROM v_regions r
        JOIN country_sources s ON s.level = r.level AND s.region_id = r.region_id
        JOIN region_exposure g ON g.level = r.level AND g.region_id = r.region_id
             AND g.measure = 'eloundou_gpt4_beta'
        JOIN region_exposure i ON i.level = r.level AND i.region_id = r.region_id
             AND i.measure = 'ilo_genai_2025'
        JOIN region_exposure x ON x.level = r.level AND x.region_id = r.region_id
             AND x.measure = 'ilo_exposed_gradient'
        WHERE r.level = 'country' AND s.task_content_caveat
        ORDER BY g.exposure_mean DESC LIMIT {TASK_CONTENT_TOP}""").df()
    return markdown(frame, {c: 1 for c in frame.columns[4:]})


SNIPPETS = {"model_errors": model_errors, "gradient": gradient, "coverage": coverage,
            "large_without": large_without, "vintages": vintages, "task_content": task_content}
# blocks that depend only on the country reader (the others also on the engine's indices)
READER_ONLY = ("model_errors", "gradient", "coverage", "large_without", "vintages")


def snippets(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every generated table of the page, by block name."""
    return {name: make(con) for name, make in SNIPPETS.items()}


def block(text: str, name: str) -> str:
    """The current content of block ``name`` of the page."""
    match = re.search(rf"<!-- world:{name} -->\n(.*?)\n<!-- /world:{name} -->", text, re.S)
    if match is None:
        raise KeyError(f"docs/world.md has no block '{name}'")
    return match.group(1)


def update_page(page: Path, con: duckdb.DuckDBPyConnection) -> bool:
    """Rewrite the generated blocks of ``page``; returns True if it changed."""
    text = page.read_text(encoding="utf-8")
    new = text
    for name, content in snippets(con).items():
        block(new, name)
        new = re.sub(rf"(<!-- world:{name} -->\n).*?(\n<!-- /world:{name} -->)",
                     lambda m, c=content: m.group(1) + c + m.group(2), new, flags=re.S)
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> None:
    """``python -m atlas.sources.world.report DB PAGE``."""
    database, page = Path(argv[0]), Path(argv[1])
    con = duckdb.connect(str(database), read_only=True)
    try:
        changed = update_page(page, con)
    finally:
        con.close()
    print(f"{page}: {'updated' if changed else 'up to date'}")


if __name__ == "__main__":
    main(sys.argv[1:])
