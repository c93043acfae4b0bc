"""The vectorised risk step's tables, named and written once, straight from Arrow.

:func:`atlas.engine.risk_vector.compute_model_risk` computes its results as integer-coded
arrays (``k`` a component, ``mp`` a pillar, ``r`` a region, ``model_code`` a model); this
module puts the names back as Arrow columns (dictionary-encoded: the codes index the names,
so no string is repeated in memory) and writes each table with one
``CREATE TABLE ... AS SELECT * FROM`` the Arrow table, into the schema asked for: ``temp``
for a re-specification on a read-only atlas, ``main`` (the database file) in a build, so no
table is materialised in memory first and copied into the file afterwards.

Columns and types are those of ``risk_scores.sql`` (the readable reference; a test compares
both): ``region_components``, ``region_gates``, ``region_pillars``, ``region_risk`` of the
model in use, ``risk_model_scores`` and ``risk_model_components`` of every model.
``region_components`` is a view: the rows of ``risk_model_components`` of the model in use
with their component's names and weight (``region_components_view.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.engine.sql import sql_text
from atlas.store.database import beside, one_thread
from atlas.store.fingerprint import quote_literal

SCHEMAS = ("temp", "main")


def create_table_sql(schema: str, name: str) -> str:
    """``CREATE OR REPLACE [TEMP] TABLE`` for ``name`` in ``schema`` (``temp`` or ``main``)."""
    if schema not in SCHEMAS:
        raise ValueError(f"schema must be one of {SCHEMAS}, not {schema!r}")
    return (f"CREATE OR REPLACE TEMP TABLE {name}" if schema == "temp"
            else f"CREATE OR REPLACE TABLE main.{name}")


def run_sql_into(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                 **variables: Any) -> None:
    """Run the engine SQL file ``name`` (its variables set first, as ``run_sql_file``) with
    its ``CREATE OR REPLACE TEMP TABLE`` statements creating their tables in ``schema``."""
    for key, value in variables.items():
        con.execute(f"SET VARIABLE {key} = ?", [value])
    text = sql_text(name)
    if schema != "temp":
        text = text.replace("CREATE OR REPLACE TEMP TABLE ", create_table_sql(schema, ""))
    con.execute(text)


def write_arrow(con: duckdb.DuckDBPyConnection, schema: str, name: str, table: pa.Table,
                select: str = "*") -> None:
    """Create ``schema.name`` from the Arrow ``table`` in one statement (``select``: the
    column list, e.g. with casts), with one DuckDB thread (:func:`one_thread`)."""
    con.register("_risk_rows", table)
    try:
        with one_thread(con):
            con.execute(f"{create_table_sql(schema, name)} AS SELECT {select} FROM _risk_rows")
    finally:
        con.unregister("_risk_rows")


def drop_object(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop the table or view ``schema.name`` if there is one (a view and a table of one
    name cannot be replaced by each other)."""
    create_table_sql(schema, name)  # checks the schema
    for kind, catalog, column in (("TABLE", "duckdb_tables()", "table_name"),
                                  ("VIEW", "duckdb_views()", "view_name")):
        if con.execute(f"SELECT count(*) FROM {catalog} WHERE {column} = ? AND temporary = ? "
                       "AND (temporary OR database_name = current_database())",
                       [name, schema == "temp"]).fetchone()[0]:
            con.execute(f"DROP {kind} {schema}.{name}")


def create_components_view(con: duckdb.DuckDBPyConnection, schema: str, model: str) -> None:
    """``region_components`` as a view over ``risk_model_components`` (the rows of
    ``model``, the model in use) and ``risk_components`` (``region_components_view.sql``):
    the same rows and columns as a table, not written twice."""
    drop_object(con, schema, "region_components")
    text = sql_text("region_components_view.sql").replace(
        "{model}", quote_literal(model))
    if schema != "temp":
        text = text.replace("CREATE OR REPLACE TEMP VIEW ", f"CREATE VIEW {schema}.")
    con.execute(text)


def names(values: pa.Array | pd.Series | list, codes: np.ndarray) -> pa.Array:
    """The string column ``values[codes]``: a dictionary array (codes into ``values``), or,
    where ``values`` has NULLs, the values taken."""
    if isinstance(values, pd.Series):
        values = values.astype(object).where(values.notna(), None).tolist()
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=pa.string())
    if values.null_count:
        return values.take(pa.array(codes, type=pa.int64()))
    return pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), values)


@dataclass
class RiskCodes:
    """What the codes stand for: the regions (``level, region_id, rank_group`` in ``r``
    order, ``level_code`` per region), the components (``risk_v_components`` in ``k`` order),
    the pillars (``risk_v_pillars`` in ``mp`` order), the models (the one in use last)."""

    regions: pa.Table
    level_code: np.ndarray
    components: pd.DataFrame
    pillars: pd.DataFrame
    models: list[str]

    def __post_init__(self) -> None:
        levels = self.regions.column("level").combine_chunks()
        level_names = [None] * (int(self.level_code.max(initial=-1)) + 1)
        for code, level in zip(self.level_code, levels.to_pylist(), strict=True):
            level_names[code] = level
        self.level_names = pa.array(level_names, type=pa.string())
        self.region_ids = self.regions.column("region_id").combine_chunks()
        self.rank_group = self.regions.column("rank_group").combine_chunks()
        self.model = self.models[-1]

    def region(self, r: np.ndarray) -> dict[str, pa.Array]:
        """``level`` and ``region_id`` columns of the regions ``r``."""
        return {"level": names(self.level_names, self.level_code[r]),
                "region_id": names(self.region_ids, r)}

    def component(self, column: str, k: np.ndarray) -> pa.Array:
        return names(self.components[column], k)

    def pillar(self, column: str, mp: np.ndarray) -> pa.Array:
        return names(self.pillars[column], mp)


def write_risk_tables(con: duckdb.DuckDBPyConnection, schema: str, codes: RiskCodes,
                      scored: dict[str, np.ndarray], pillars: dict[str, np.ndarray],
                      gates: pa.Table, risk: dict[str, np.ndarray | pa.Array]) -> None:
    """The six tables of the risk step from the coded results (each a dict of columns:
    ``scored`` k, r, value, score; ``pillars`` mp, r, components, pillar_mean,
    pillar_score; ``gates`` k, r, mp, gate_score, reference_change, gated; ``risk``
    model_code, r, collapse_risk, min_pillar, missing_components, risk_rank,
    regions_in_level, group_rank, regions_in_group)."""
    k, r = scored["k"], scored["r"]
    with beside(con, schema) as run:  # the largest table while the others are written
        run(write_arrow, schema, "risk_model_components", pa.table({
            "model": codes.component("model", k), **codes.region(r),
            "component": codes.component("component", k),
            "value": scored["value"], "score": scored["score"]}))
        _write_rest(con, schema, codes, scored, pillars, gates, risk)
    create_components_view(con, schema, codes.model)


def _write_rest(con: duckdb.DuckDBPyConnection, schema: str, codes: RiskCodes,
                scored: dict[str, np.ndarray], pillars: dict[str, np.ndarray],
                gates: pa.Table, risk: dict[str, np.ndarray | pa.Array]) -> None:
    """The risk tables other than ``risk_model_components`` (:func:`write_risk_tables`)."""
    comps, pills = codes.components, codes.pillars
    k, r = scored["k"], scored["r"]
    mine = (comps["model"].to_numpy() == codes.model)[k]
    km, rm = k[mine], r[mine]

    write_wide(con, schema, "region_component_wide", codes, rm,
               np.array(["risk_p_" + c for c in comps["component"]], dtype=object), km,
               scored["score"][mine])

    in_use = pills["model"].to_numpy() == codes.model
    mine = in_use[pillars["mp"]]
    mp, rp = pillars["mp"][mine], pillars["r"][mine]
    write_arrow(con, schema, "region_pillars", pa.table({
        **codes.region(rp), "pillar": codes.pillar("pillar", mp),
        "label": codes.pillar("label", mp), "weight": pills["weight"].to_numpy(float)[mp],
        "aggregation": codes.pillar("aggregation", mp),
        **{c: pillars[c][mine] for c in ("components", "pillar_mean", "pillar_score")}}))

    write_wide(con, schema, "region_pillar_wide", codes, rp,
               np.array(["pillar_" + p for p in pills["pillar"]], dtype=object), mp,
               pillars["pillar_score"][mine])

    model_names = pa.array(codes.models, type=pa.string())
    model_code, rr = risk["model_code"], risk["r"]
    write_arrow(con, schema, "risk_model_scores", pa.table({
        "model": names(model_names, model_code), **codes.region(rr),
        "collapse_risk": risk["collapse_risk"], "risk_rank": risk["risk_rank"]}))
    rows = np.flatnonzero(np.array(codes.models, dtype=object)[model_code] == codes.model)
    taken = {c: (v.take(pa.array(rows)) if isinstance(v, pa.Array) else v[rows])
             for c, v in risk.items()}
    write_arrow(con, schema, "region_risk", pa.table({
        **codes.region(rr[rows]),
        **{c: taken[c] for c in ("collapse_risk", "min_pillar", "missing_components",
                                 "risk_rank", "regions_in_level")},
        "rank_group": codes.rank_group.take(pa.array(rr[rows])),
        **{c: taken[c] for c in ("group_rank", "regions_in_group")},
        "risk_model": names(pa.array([codes.model]), np.zeros(len(rows), np.int64))}),
        select="* REPLACE (missing_components::HUGEINT AS missing_components)")

    gk, gmp = (gates.column(c).to_numpy() for c in ("k", "mp"))
    rows = np.flatnonzero(in_use[gmp])
    gates = gates.take(pa.array(rows))
    write_arrow(con, schema, "region_gates", pa.table({
        **codes.region(gates.column("r").to_numpy()),
        "pillar": codes.pillar("pillar", gmp[rows]), "gate": codes.component("component",
                                                                            gk[rows]),
        **{c: gates.column(c) for c in ("gate_score", "reference_change", "gated")}}))


def write_wide(con: duckdb.DuckDBPyConnection, schema: str, name: str, codes: RiskCodes,
               r: np.ndarray, labels: np.ndarray, code: np.ndarray, values: np.ndarray) -> None:
    """``name``: one row per region of ``r``, a column per distinct label (sorted) of the
    rows' codes (``labels[code]``), holding ``values`` (NULL where a region has none): what
    ``risk_wide.sql``'s ``PIVOT ... USING first(...)`` gives, from the arrays (a region has
    one value per label). Regions and labels are found by counting, not by sorting rows."""
    if not len(r):  # nothing to spread: the SQL pass decides what an empty PIVOT is
        sql = sql_text("risk_wide.sql")
        start = sql.index(f"CREATE OR REPLACE TEMP TABLE {name} AS")
        statement = sql[start:sql.index(";", start) + 1]
        con.execute(statement.replace("CREATE OR REPLACE TEMP TABLE ",
                                      create_table_sql(schema, "")))
        return
    seen = np.bincount(r) > 0
    regions = np.flatnonzero(seen)
    row = (np.cumsum(seen) - 1)[r]
    used = np.bincount(code, minlength=len(labels)) > 0
    listed = np.unique(labels[used])
    column = np.searchsorted(listed, labels)[code]
    matrix = np.zeros((len(regions), len(listed)))
    present = np.zeros(matrix.shape, dtype=bool)
    matrix[row, column], present[row, column] = values, True
    table = {**codes.region(regions)}
    for j, label in enumerate(listed):
        table[str(label)] = pa.array(matrix[:, j], mask=~present[:, j])
    write_arrow(con, schema, name, pa.table(table))
