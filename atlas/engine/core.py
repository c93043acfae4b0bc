"""The generic engine: (composition, scores, context, model) -> indices, for every level alike.

Reads the generic tables ``levels, regions, employment, categories, measures,
exposure_scores, region_context, rust_belt_states`` and the configuration, and writes

- ``region_measure_sums`` / ``region_group_sums``: every sum the indices need, per region and
  per diversity group, level by level: as matrix products (``atlas.engine.matrix_engine``, the
  default) or the SQL reference pass (``region_sums*.sql``);
- ``region_base``: exposure, substitutable share and excess, diversity (``region_base.sql``);
- ``region_components``, ``region_pillars``, ``region_risk``: the collapse-risk model in use
  (``risk_scores.sql``), and ``risk_model_scores`` for the comparison models;
- ``region_flags`` (``region_flags.sql``) and the views ``region_indices`` (one row per region:
  every index, flag, uncertainty and zone column), ``region_exposure``, ``region_diversity``.

The risk steps write their tables once, straight into the database file in a build; a
re-specification on a read-only atlas (``atlas rank --measure``) writes them as temp
tables, where they shadow the stored ones for that connection.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from atlas.engine.matrix_engine import finish_level, matrix_level, reference_first, write_tables
from atlas.engine.risk_tables import drop_object, run_sql_into
from atlas.engine.risk_vector import compute_model_risk, write_rank_groups
from atlas.engine.sql import run_sql_file, sql_text
from atlas.errors import AtlasError, ConfigError
from atlas.spec import declarations
from atlas.spec.config_types import AtlasConfig
from atlas.spec.risk_model import risk_models
from atlas.store.cache_steps import cached_step
from atlas.store.database import one_thread, persist, register_table, table_exists

RISK_TABLES = ("region_base", "region_components", "region_gates", "region_pillars",
               "region_risk", "region_pillar_wide", "region_component_wide", "region_flags")
PLACEHOLDERS = {
    "rank_uncertainty": "level VARCHAR, region_id VARCHAR, median_rank DOUBLE, "
                        "rank_p05 DOUBLE, rank_p95 DOUBLE, p_top_decile DOUBLE, p_trap DOUBLE, "
                        "n_specs BIGINT, flag_robust_trap BOOLEAN",
    "region_lisa": "level VARCHAR, region_id VARCHAR, quadrant BIGINT, p_value DOUBLE, "
                   "high_high BOOLEAN, trap_zone VARCHAR",
}


def check_measure(con: duckdb.DuckDBPyConnection, measure: str, role: str) -> None:
    """A measure that exists and is not a trait; ConfigError lists the valid ones."""
    known = dict(con.execute("SELECT measure, scale FROM measures").fetchall())
    if measure not in known or known[measure] == "trait":
        valid = sorted(m for m, scale in known.items() if scale != "trait")
        raise ConfigError(f"unknown {role} '{measure}'; valid measures: {valid}")


def engine_variables(config: AtlasConfig, measure: str | None = None) -> dict[str, Any]:
    """The SQL variables of the risk steps, from the configuration (``measure`` overrides the
    exposure measure)."""
    flags = config.flags
    return {
        "exposure_measure": measure or config.exposure.default_measure,
        "vulnerability_measure": config.risk.v1.vulnerability_measure,
        "industrial_measure": flags.industrial_measure,
        **{key: float(getattr(flags, key)) for key in (
            "min_regions", "trap_top_share", "trap_min_pillar", "trap_min_shock_ratio",
            "near_trap_top_share",
            "rust_belt_min_industrial_ratio", "rust_belt_max_employment_change",
            "low_confidence_max_imputed_share")},
        "trap_confident_only": flags.trap_confident_only,
    }


def write_model_tables(con: duckdb.DuckDBPyConnection, config: AtlasConfig) -> None:
    """``risk_components``, ``risk_pillars`` (every model) and ``sheltered_categories``."""
    levels = [row[0] for row in con.execute("SELECT level FROM levels ORDER BY level").fetchall()]
    models = risk_models(config)
    wanted = [config.risk.model, *config.risk.compare]
    check_component_levels({name: models[name] for name in wanted}, levels)
    register_table(con, "risk_components", pd.concat(
        [models[name].component_rows(levels) for name in wanted], ignore_index=True))
    register_table(con, "risk_pillars", pd.concat(
        [models[name].pillar_rows() for name in wanted], ignore_index=True))
    register_table(con, "sheltered_categories", sheltered_categories(con, config))
    check_indicators(con)


def sheltered_categories(con: duckdb.DuckDBPyConnection, config: AtlasConfig
                         ) -> pd.DataFrame:
    """``taxonomy, category, public_share``: the publicly funded share of each category's
    jobs, never substitutable: 1 for the categories of ``[exposure.sheltered]``, and with
    ``exposure.shelter_public_share`` the shares the readers derived from data
    (``category_public_share``); a category in both keeps the larger."""
    listed = pd.DataFrame([(taxonomy, code, 1.0) for taxonomy, codes in
                           config.exposure.sheltered.items() for code in codes],
                          columns=["taxonomy", "category", "public_share"])
    frames = [listed]
    if config.exposure.shelter_public_share and table_exists(con, "category_public_share"):
        frames.append(con.execute("SELECT taxonomy, category, public_share "
                                  "FROM category_public_share").df())
    both = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(
        len(f) for f in frames) else listed
    shares = both.groupby(["taxonomy", "category"], as_index=False)["public_share"].max()
    return shares.astype({"taxonomy": object, "category": object, "public_share": float})


def check_component_levels(models: dict[str, Any], levels: list[str]) -> None:
    """Every level a component is limited to (or excluded from) is a level of the database
    or a declared level or geography (``levels.toml``)."""
    from atlas.spec import declarations

    known = set(levels) | {level.partition("@")[0] for level in levels}
    known |= {name for decl in declarations.levels() for name in (decl.id, decl.geography)}
    for name, model in models.items():
        for component in model.components:
            for key in ("levels", "except_levels"):
                unknown = sorted(set(getattr(component, key)) - known)
                if unknown:
                    raise ConfigError(
                        f"config key 'risk.models.{name}.components.{component.component}."
                        f"{key}': unknown level '{unknown[0]}'; valid: {sorted(known)}")


def check_indicators(con: duckdb.DuckDBPyConnection) -> None:
    """Every component names an indicator that region_base or region_context can provide."""
    context = {row[0] for row in con.execute(
        "SELECT DISTINCT indicator FROM region_context").fetchall()}
    engine = set(REGION_BASE_INDICATORS)
    for model, component, indicator in con.execute(
            "SELECT DISTINCT model, component, indicator FROM risk_components").fetchall():
        if indicator not in engine | context:
            raise ConfigError(
                f"config key 'risk.models.{model}.components.{component}.indicator': unknown "
                f"indicator '{indicator}'; valid: {sorted(engine | context)}")


REGION_BASE_INDICATORS = (
    "total_employment", "coverage", "imputed_share", "exposure_mean", "share_ge_10",
    "share_ge_50", "exposed_jobs", "substitutable_share", "substitutable_jobs",
    "substitutable_excess", "automation_mean", "industrial_share", "vulnerable_share",
    "group_entropy", "group_hachman", "entropy_norm", "hhi", "effective_n", "hachman", "krugman")


SUMS_METHODS = ("matrix", "sql")


def compute_measure_sums(con: duckdb.DuckDBPyConnection, method: str = "matrix",
                         count_uncounted: bool = False) -> None:
    """``region_measure_sums``, ``region_group_sums`` (:func:`measure_sums`: cached) and the
    views ``region_exposure`` and ``region_diversity`` over them.

    Parameters
    ----------
    method
        ``matrix`` (default, faster): matrix products (``atlas.engine.matrix_engine``); ``sql``:
        the readable reference (``region_unscored.sql``, ``region_sums_level.sql`` level by
        level). Both give the same tables (to 1e-9, tested).
    count_uncounted
        ``exposure.count_uncounted_jobs``: ``region_context``'s uncounted workers join the
        AI-shock denominators (``region_uncounted.sql``).

    Raises
    ------
    AtlasError
        if a number of jobs is not finite, or a level of the composition is not in ``levels``.
    """
    if method not in SUMS_METHODS:
        raise ValueError(f"method must be one of {SUMS_METHODS}, not {method!r}")
    con.execute("ALTER TABLE categories ADD COLUMN IF NOT EXISTS diversity_group VARCHAR")
    if not table_exists(con, "sheltered_categories"):  # written by write_model_tables
        con.execute("CREATE TABLE sheltered_categories (taxonomy VARCHAR, category VARCHAR, "
                    "public_share DOUBLE)")
    if bad := con.execute("SELECT level, region_id, category, employment FROM employment WHERE "
                          "NOT isfinite(employment) ORDER BY ALL LIMIT 1").fetchone():
        raise AtlasError(f"table employment: level {bad[0]!r}, region {bad[1]!r}, category "
                         f"{bad[2]!r}: employment is {bad[3]} (expected a finite number of jobs)")
    measure_sums(con, method, count_uncounted)
    for name in ("region_exposure.sql", "region_diversity.sql"):
        run_sql_file(con, name)


@cached_step("measure_sums", reads=("employment", "exposure_scores", "levels", "categories",
                                    "sheltered_categories", "region_context"),
             writes=("measure_order", "region_measure_sums", "region_group_sums"))
def measure_sums(con: duckdb.DuckDBPyConnection, method: str, count_uncounted: bool) -> None:
    """The sums of :func:`compute_measure_sums`, a cached step (no weight can change them)."""
    run_sql_file(con, "region_sums.sql")
    listed = [row[0] for row in con.execute("SELECT level FROM levels ORDER BY level").fetchall()]
    occurring = {row[0] for row in con.execute(
        "SELECT DISTINCT level FROM category_margins").fetchall()}
    unlisted = sorted(occurring - set(listed))
    if unlisted:
        raise AtlasError(f"table employment: column 'level': {unlisted} not in table levels "
                         f"(expected one of {listed})")
    measures = con.execute("SELECT measures FROM measure_order").fetchone()[0] or []
    unscored_done = False
    references = dict(con.execute(
        "SELECT level, coalesce(reference_level, level) FROM levels").fetchall())
    tables = []  # the matrix engine's rows of every level, written together at the end
    shares: dict[str, dict] = {}  # reference shares of the levels summed here
    excess_in_sql = []  # levels summed in SQL, or whose reference was
    for level in reference_first(listed, references):
        if method == "matrix" and level in occurring:
            try:
                summed = matrix_level(con, level, measures)
            except ValueError:  # NULL jobs: the SQL pass has the NULL semantics
                pass
            else:
                if summed is not None:
                    rows, with_excess = finish_level(summed, references, shares)
                    tables.append(rows)
                    excess_in_sql += [] if with_excess else [level]
                continue
        if not unscored_done:
            run_sql_file(con, "region_unscored.sql")
            unscored_done = True
        run_sql_file(con, "region_sums_level.sql", level=level)
        excess_in_sql += [level] if level in occurring else []
    write_tables(con, tables)
    con.execute("ALTER TABLE region_measure_sums ADD COLUMN IF NOT EXISTS "
                "uncounted_employment DOUBLE")
    if excess_in_sql:
        run_sql_file(con, "region_excess.sql", excess_levels=excess_in_sql,
                     with_uncounted=False)
    if count_uncounted and _has_uncounted(con):
        run_sql_file(con, "region_uncounted.sql")
        wider = [row[0] for row in con.execute(
            "SELECT level FROM uncounted_levels ORDER BY level").fetchall()]
        if wider:
            run_sql_file(con, "region_excess.sql", excess_levels=wider, with_uncounted=True)
    run_sql_file(con, "region_sums_end.sql")  # its scratch tables: a reused run has none


def _has_uncounted(con: duckdb.DuckDBPyConnection) -> bool:
    """True if ``region_context`` has an uncounted-workers row that ``region_uncounted.sql``
    would use (without one that file changes nothing, and its passes over the sums cost
    seconds at scale)."""
    return table_exists(con, "region_context") and con.execute(
        "SELECT count(*) > 0 FROM (SELECT 1 FROM region_context WHERE indicator = "
        "'uncounted_jobs' AND isfinite(value) AND value > 0 LIMIT 1)").fetchone()[0]


def compute_risk(con: duckdb.DuckDBPyConnection, config: AtlasConfig,
                 measure: str | None = None, risk_method: str = "vector",
                 schema: str = "temp") -> None:
    """The risk steps (``RISK_TABLES``, ``risk_model_scores``, ``risk_model_components``):
    base indices, comparison models, the model in use, flags. ``schema``: ``"temp"``
    (default) writes temp tables, so this works on a read-only atlas (every measure's sums
    are stored); ``"main"`` writes each table once, straight into the database file (a
    build). ``risk_method``: ``"vector"`` (default) scores every model at once over all
    regions (:mod:`atlas.engine.risk_vector`); ``"sql"`` runs ``risk_scores.sql`` once per
    model, the readable reference the tests compare it with."""
    variables = engine_variables(config, measure)
    check_measure(con, variables["exposure_measure"], "exposure measure")
    run_sql_into(con, schema, "region_base.sql", **variables)
    if not table_exists(con, "region_indicator_values"):
        run_sql_file(con, "region_indicator_values.sql")
    models = [*config.risk.compare, config.risk.model]  # the model in use last
    grouped = config.flags.rank_within_groups
    if risk_method != "vector":
        _sql_model_risk(con, models, grouped)
        if schema == "main":
            drop_object(con, "main", "region_components")  # a view, in a vector build
            persist(con, RISK_TABLES[1:5] + ("risk_model_scores", "risk_model_components"))
        run_sql_into(con, schema, "risk_wide.sql")
    with one_thread(con):  # these statements gain nothing from a second DuckDB thread
        if risk_method == "vector":  # the wide tables too (risk_tables.write_wide)
            compute_model_risk(con, models, grouped, schema)
        run_sql_into(con, schema, "region_flags.sql", **variables)


def _sql_model_risk(con: duckdb.DuckDBPyConnection, models: list[str],
                    grouped: bool = True) -> None:
    """Every model's scores and components with ``risk_scores.sql``, one model at a time."""
    con.execute("CREATE OR REPLACE TEMP TABLE risk_model_scores (model VARCHAR, level VARCHAR, "
                "region_id VARCHAR, collapse_risk DOUBLE, risk_rank BIGINT)")
    con.execute("CREATE OR REPLACE TEMP TABLE risk_model_components (model VARCHAR, "
                "level VARCHAR, region_id VARCHAR, component VARCHAR, value DOUBLE, "
                "score DOUBLE)")
    drop_object(con, "temp", "region_components")  # the vectorised step's view
    run_sql_file(con, "gate_references.sql")
    write_rank_groups(con, grouped)
    for model in models:
        run_sql_file(con, "risk_scores.sql", risk_model=model)
        con.execute("INSERT INTO risk_model_scores SELECT risk_model, level, region_id, "
                    "collapse_risk, risk_rank FROM region_risk")
        con.execute("INSERT INTO risk_model_components SELECT ?, level, region_id, component, "
                    "value, score FROM region_components", [model])


def compute_indices(con: duckdb.DuckDBPyConnection, config: AtlasConfig,
                    sums_method: str = "matrix") -> None:
    """Compute and store the engine's tables and views (see the module docstring);
    ``sums_method``: see :func:`compute_measure_sums`."""
    con.execute("SET preserve_insertion_order = false")  # row order of outputs is not a contract
    ensure_context(con)
    write_model_tables(con, config)
    compute_measure_sums(con, sums_method, config.exposure.count_uncounted_jobs)
    drop_respecification(con)  # a re-specification's temp tables would shadow the file's
    compute_risk(con, config, schema="main")
    for name, columns in PLACEHOLDERS.items():
        if not table_exists(con, name):
            con.execute(f"CREATE TABLE {name} ({columns})")
    create_views(con)


def wide_table(con: duckdb.DuckDBPyConnection, name: str, source: str, key: str,
               names: list[str]) -> None:
    """``name``: one column per ``key`` value in ``names`` from the long table ``source``
    (``level, region_id, <key>, value``), one row per region."""
    listed = ", ".join("'" + n.replace("'", "''") + "'" for n in names)
    con.execute(f"""
        CREATE OR REPLACE TABLE {name} AS
        SELECT * FROM (PIVOT (SELECT level, region_id, {key}, value FROM {source}
                              WHERE {key} IN ({listed}))
                       ON {key} IN ({listed}) USING first(value)
                       GROUP BY level, region_id)""" if names else f"""
        CREATE OR REPLACE TABLE {name} AS
        SELECT level, region_id FROM {source} WHERE false""")


def ensure_context(con: duckdb.DuckDBPyConnection) -> None:
    """``region_context`` / ``context_indicators`` / ``region_attributes`` exist (empty for
    levels without them), and ``region_context_wide`` / ``region_attributes_wide`` hold the
    indicators and attributes that are not region columns, a column each."""
    if not table_exists(con, "region_attributes"):
        con.execute("CREATE TABLE region_attributes (level VARCHAR, region_id VARCHAR, "
                    "attribute VARCHAR, value VARCHAR)")
    if not table_exists(con, "region_context"):
        con.execute("CREATE TABLE region_context (level VARCHAR, region_id VARCHAR, "
                    "indicator VARCHAR, value DOUBLE)")
    if not table_exists(con, "context_indicators"):
        con.execute("CREATE TABLE context_indicators (level VARCHAR, indicator VARCHAR, "
                    "label VARCHAR, unit VARCHAR, formula VARCHAR, source VARCHAR, "
                    "vintage VARCHAR)")
    region_columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'regions'").fetchall()}
    taken = region_columns | set(REGION_BASE_INDICATORS) | {"state", "states"}
    indicators = [row[0] for row in con.execute(
        "SELECT DISTINCT indicator FROM region_context ORDER BY 1").fetchall()
        if row[0] not in taken]
    wide_table(con, "region_context_wide", "region_context", "indicator", indicators)
    attributes = [row[0] for row in con.execute(
        "SELECT DISTINCT attribute FROM region_attributes ORDER BY 1").fetchall()
        if row[0] not in taken | set(indicators)]
    wide_table(con, "region_attributes_wide", "region_attributes", "attribute", attributes)


def region_indices_query(con: duckdb.DuckDBPyConnection, config: AtlasConfig,
                         measure: str | None = None) -> pd.DataFrame:
    """``region_indices`` re-specified under another exposure measure (read-only safe)."""
    compute_risk(con, config, measure)
    return con.execute("SELECT * FROM region_indices").df()


def drop_respecification(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the temp tables of a re-specification, so the stored ones show again."""
    for name in (*RISK_TABLES, "risk_model_scores", "risk_model_components"):
        drop_object(con, "temp", name)  # region_components is a view


@cached_step("top_categories", reads=("employment", "categories", "exposure_scores", "levels"),
             writes=("region_top_categories",))
def compute_top_categories(con: duckdb.DuckDBPyConnection, measure: str, count: int = 5) -> None:
    """``region_top_categories``: each region's ``count`` most exposed categories (for maps;
    a cached step)."""
    run_sql_file(con, "region_top_categories.sql", exposure_measure=measure,
                 top_categories=count)


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """``region_indices`` and the researchers' views; ``v_measure_comparison`` gets one
    column per measure."""
    run_sql_file(con, "region_indices.sql")
    for decl in declarations.levels():  # the views a level declares, if the atlas has it
        if decl.views and con.execute("SELECT count(*) FROM levels WHERE level = ?",
                                      [decl.id]).fetchone()[0]:
            if not decl.id.isidentifier():
                raise AtlasError(f"levels.toml: level {decl.id!r} declares views but is not "
                                 "a name")
            for name in decl.views:
                con.execute(sql_text(name).replace("{level}", decl.id))
    columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'levels'").fetchall()}
    if {"geography", "period"} <= columns:
        for (geography,) in con.execute(
                "SELECT geography FROM levels GROUP BY geography "
                "HAVING count(DISTINCT period) > 1 ORDER BY 1").fetchall():
            if not geography.isidentifier():
                raise AtlasError(f"table levels: geography {geography!r} is not a name")
            con.execute(sql_text("trend_view.sql").replace("{geography}", geography))
    measures = [row[0] for row in con.execute(
        "SELECT measure FROM measures WHERE scale <> 'trait' ORDER BY measure").fetchall()]
    listed = ", ".join("'" + m.replace("'", "''") + "'" for m in measures)
    con.execute(f"""
        CREATE OR REPLACE VIEW v_measure_comparison AS
        SELECT * FROM (
            PIVOT (SELECT level, region_id, measure, exposure_mean FROM region_exposure)
            ON measure IN ({listed}) USING first(exposure_mean)
        ) ORDER BY level, region_id""")
