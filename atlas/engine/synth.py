"""Synthetic levels for scale tests: any number of regions x categories, deterministic.

The generator writes the same generic tables a source reader writes (levels, regions,
employment, categories, measures, exposure_scores), so the engine treats the level like any
other. Randomness comes from DuckDB's ``hash`` of (seed, region, category), so the output is
the same for a seed whatever the number of threads.

- region size: log-normal, ``exp(mu + sigma z_r)`` jobs with mu = 9, sigma = 1.2;
- category shares: Zipf-like, ``(k + 1)^-1.1`` times a log-normal regional factor
  ``exp(0.6 z_rk)``; employment = max(1, round(size x share));
- one category in 40 is marked imputed (a residual row);
- scores: ``measures`` unit-scale measures per category, uniform on [0, 1] with a common
  factor so that measures correlate; low_wage for half the categories; ``synth_m1`` is the
  automation measure (substitutable: score >= 0.5 and synth_m1 >= 0.5);
- diversity groups of ten categories each (``g0`` = c0..c9, ...);
- context: employment change uniform on [-20, 40] percent and a persistent unemployment rate
  uniform on [2, 12] percent per region.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from atlas.engine.core import compute_indices
from atlas.errors import AtlasError
from atlas.sources.levelset import conform_regions_table
from atlas.spec.config import load_config
from atlas.spec.config_types import AtlasConfig
from atlas.store.database import write_tables
from atlas.store.files import atomic_write

LEVEL = "synth"
TAXONOMY = "synth_categories"
EXPOSURE_MEASURE = "synth_m0"
VULNERABILITY_MEASURE = "synth_m1"


def _uniform(*parts: str) -> str:
    """SQL for a uniform (0, 1) number from a hash of the parts (never exactly 0 or 1)."""
    return f"((hash({', '.join(parts)}) % 9007199254740881)::DOUBLE + 0.5) / 9007199254740881"


def _normal(tag: str, *parts: str) -> str:
    """SQL for a standard normal number (Box-Muller on two hashed uniforms)."""
    u1 = _uniform(f"'{tag}1'", *parts)
    u2 = _uniform(f"'{tag}2'", *parts)
    return f"(sqrt(-2 * ln({u1})) * cos(2 * pi() * {u2}))"


def generate_level(con: duckdb.DuckDBPyConnection, regions: int, categories: int,
                   seed: int = 0, measures: int = 9) -> None:
    """Write a synthetic level of ``regions x categories`` composition rows into ``con``."""
    if regions < 1 or categories < 2 or measures < 2:
        raise ValueError("need regions >= 1, categories >= 2 and measures >= 2")
    s = str(int(seed))
    import pandas as pd

    write_tables(con, {
        "levels": pd.DataFrame({"level": [LEVEL], "taxonomy": [TAXONOMY],
                                "reference_level": [LEVEL],
                                "description": [f"synthetic: {regions} regions x {categories} "
                                                f"categories, seed {seed}"]}),
        "measures": pd.DataFrame({
            "measure": [f"synth_m{i}" for i in range(measures)],
            "label": [f"synthetic measure {i}" for i in range(measures)],
            "scale": "unit", "description": "uniform score with a common factor",
            "source": "atlas.engine.synth"}),
        "rust_belt_states": pd.DataFrame({"state_fips": [], "state_abbr": [], "state_name": []},
                                         dtype=str),
    })
    con.execute(f"""
        CREATE OR REPLACE TABLE categories AS
        SELECT '{TAXONOMY}' AS taxonomy, 'c' || k AS category, 'Category ' || k AS title,
            NULL::DOUBLE AS national_employment, NULL::DOUBLE AS median_wage,
            (k % 2)::DOUBLE AS low_wage, 'g' || (k // 10) AS diversity_group
        FROM range({categories}) AS t(k)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE exposure_scores AS
        WITH base AS (
            SELECT k, m,
                0.5 * {_uniform("'common'", s, "k")} + 0.5 * {_uniform("'own'", s, "k", "m")}
                    AS score
            FROM range({categories}) AS a(k), range({measures}) AS b(m)
        )
        SELECT '{TAXONOMY}' AS taxonomy, 'synth_m' || b.m AS measure, 'c' || b.k AS category,
            b.score, (b.score >= 0.1)::DOUBLE AS ge_10, (b.score >= 0.5)::DOUBLE AS ge_50,
            ((b.score >= 0.5) AND b.k % 2 = 1)::DOUBLE AS vulnerable,
            ((b.score >= 0.5) AND a.score >= 0.5)::DOUBLE AS substitutable,
            'synthetic' AS rule
        FROM base AS b JOIN base AS a ON a.k = b.k AND a.m = 1""")
    con.execute(f"""
        CREATE OR REPLACE TABLE regions AS
        SELECT '{LEVEL}' AS level, 'r' || r AS region_id, 'Region ' || r AS name,
            'S' || (r % 50) AS parent, 'S' || (r % 50) AS parents, 'synthetic' AS kind,
            NULL::DOUBLE AS published_total,
            round(2 + 8 * {_uniform("'unemp'", s, "r")}, 2) AS unemployment_rate,
            NULL::DOUBLE AS labor_force, NULL::DOUBLE AS population,
            false AS lower_tier
        FROM range({regions}) AS t(r)""")
    conform_regions_table(con)
    con.execute(f"""
        CREATE OR REPLACE TABLE region_context AS
        SELECT '{LEVEL}' AS level, 'r' || r AS region_id, 'employment_change' AS indicator,
            round(-20 + 60 * {_uniform("'change'", s, "r")}, 2) AS value
        FROM range({regions}) AS t(r)
        UNION ALL
        SELECT '{LEVEL}', 'r' || r, 'unemployment_persistent',
            round(2 + 10 * {_uniform("'persistent'", s, "r")}, 2)
        FROM range({regions}) AS t(r)
        UNION ALL
        SELECT level, region_id, 'unemployment_rate', unemployment_rate FROM regions""")
    con.execute(f"""
        CREATE OR REPLACE TABLE employment AS
        SELECT '{LEVEL}' AS level, 'r' || r AS region_id, 'c' || k AS category,
            greatest(1, round(exp(9 + 1.2 * {_normal("size", s, "r")})
                * pow(k + 1, -1.1) / 4.5 * exp(0.6 * {_normal("mix", s, "r", "k")}))) AS employment,
            (k % 40 = 39) AS imputed
        FROM range({regions}) AS a(r), range({categories}) AS b(k)""")


def synthetic_config(config: AtlasConfig | None = None) -> AtlasConfig:
    """``config`` (default: the atlas's) with the synthetic measures for exposure and
    vulnerability."""
    config = config or load_config()
    return config.replaced("exposure.default_measure", EXPOSURE_MEASURE).replaced(
        "exposure.automation_measure", VULNERABILITY_MEASURE).replaced(
        "risk.v1.vulnerability_measure", VULNERABILITY_MEASURE)


def write_synthetic_database(path: str | Path, regions: int, categories: int, seed: int = 0,
                             measures: int = 9, indices: bool = True) -> Path:
    """Write a synthetic level into its own DuckDB file (replaced atomically) and, with
    ``indices``, run the engine on it.

    Raises
    ------
    AtlasError
        if ``path`` holds a built atlas (it has a ``provenance`` table): never replaced.
    """
    path = Path(path)
    if path.exists():
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                built = con.execute("SELECT count(*) FROM duckdb_tables() "
                                    "WHERE table_name = 'provenance'").fetchone()[0] > 0
        except duckdb.Error as exc:
            raise AtlasError(f"{path}: exists and is not a DuckDB database ({exc})") from exc
        if built:
            raise AtlasError(f"{path}: is a built atlas (it has a provenance table); "
                             "write the synthetic level to another file")

    def write(temp: Path) -> None:
        temp.unlink()  # DuckDB creates the file itself
        with duckdb.connect(str(temp)) as con:
            generate_level(con, regions, categories, seed, measures)
            if indices:
                compute_indices(con, synthetic_config())

    return atomic_write(path, write)
