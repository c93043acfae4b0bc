"""The vectorised risk step (atlas.engine.risk_vector) equals the SQL one (risk_scores.sql).

Both write the same tables, the pillar gates (region_gates) and their caps included; every
column is compared (numbers to 1e-12, texts, booleans, ranks and NULLs exactly, column types
too), on the real atlas, on a synthetic level with ties and gates, and on four regions whose
gates are checked by hand.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from atlas.engine.core import (
    RISK_TABLES,
    _sql_model_risk,
    compute_indices,
    compute_risk,
    drop_respecification,
)
from atlas.engine.risk_vector import (
    _first_rows,
    _grouped,
    compute_model_risk,
    duck_round,
    mid_ranks,
)
from atlas.engine.synth import generate_level, synthetic_config
from atlas.store.database import stored_config
from atlas.store.edition import figure_columns, withhold

TABLES = {"region_components": ["level", "region_id", "component"],
          "region_gates": ["level", "region_id", "pillar"],
          "region_pillars": ["level", "region_id", "pillar"],
          "region_risk": ["level", "region_id"],
          "risk_model_scores": ["model", "level", "region_id"],
          "risk_model_components": ["model", "level", "region_id", "component"],
          "region_pillar_wide": ["level", "region_id"],
          "region_component_wide": ["level", "region_id"],
          "region_flags": ["level", "region_id"]}


def risk_tables(con: duckdb.DuckDBPyConnection, config: dict, method: str) -> dict:
    compute_risk(con, config, risk_method=method)
    return read_tables(con, TABLES)


def read_tables(con: duckdb.DuckDBPyConnection, tables: dict) -> dict:
    out = {}
    for table, keys in tables.items():
        types = con.execute(f"DESCRIBE {table}").df()[["column_name", "column_type"]]
        frame = con.execute(f"SELECT * FROM {table}").df().sort_values(keys)
        out[table] = (types.values.tolist(), frame.reset_index(drop=True))
    return out


def assert_same(sql: dict, vector: dict) -> int:
    """Every table equal; returns the number of ranked regions compared."""
    for table, (types, frame) in sql.items():
        other_types, other = vector[table]
        assert other_types == types, table
        assert len(other) == len(frame) > 0, table
        for column in frame.columns:
            a, b = frame[column], other[column]
            if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
                x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
                assert np.array_equal(np.isnan(x), np.isnan(y)), (table, column)
                np.testing.assert_allclose(y, x, rtol=0, atol=1e-12, err_msg=f"{table}.{column}")
            else:
                assert a.astype(object).where(a.notna(), None).tolist() == \
                    b.astype(object).where(b.notna(), None).tolist(), (table, column)
    return int(sql["region_risk"][1]["risk_rank"].notna().sum())


def test_duck_round_halves_away_from_zero():
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, np.inf])
    assert duck_round(values, 0).tolist() == [1.0, 2.0, 3.0, -1.0, -3.0, 0.0, np.inf]


def test_mid_ranks_by_hand():
    groups = np.array([0, 0, 0, 0, 1])
    values = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    mid = mid_ranks(groups, values, np.zeros(5, dtype=bool))
    assert mid.tolist() == [0.125, 0.5, 0.5, 0.875, 0.5]
    percent = mid_ranks(groups[::-1], values[::-1], np.ones(5, dtype=bool))
    assert percent.tolist() == [0.0, 1.0, 1 / 3, 1 / 3, 0.0]


@pytest.mark.parametrize("span", [40, 10**9])  # counted in a table; sorted (sparse keys)
def test_grouped_keys_equal_numpy_unique(span):
    keys = np.random.default_rng(3).integers(0, min(span, 40), 500) * (span // 40)
    distinct, position = _grouped(keys, span)
    expected, inverse = np.unique(keys, return_inverse=True)
    assert np.array_equal(distinct, expected) and np.array_equal(position, inverse)
    first = _first_rows(position, len(distinct))
    assert np.array_equal(position[first], np.arange(len(distinct)))  # a row of each


def test_vector_equals_sql_on_a_synthetic_level_with_ties():
    con = duckdb.connect()
    generate_level(con, 400, 12, 3, 3)
    con.execute("UPDATE region_context SET value = round(value, 1)")  # ties in components
    config = synthetic_config()
    compute_indices(con, config)
    # The employment change a percent change: the trap model's absorption gate applies.
    con.execute("INSERT INTO context_indicators (level, indicator, unit) "
                "VALUES ('synth', 'employment_change', 'percent')")
    sql = risk_tables(con, config, "sql")
    ranked = assert_same(sql, risk_tables(con, config, "vector"))
    assert ranked > 300
    gates = sql["region_gates"][1]
    assert 50 < gates["gated"].sum() < len(gates) - 50  # a real mix of gated and not


# Four regions of one level, equal jobs. Shock: x (higher). Absorption: change (lower, the
# gate) and pov (higher), weight 1 each; percentile pillar scores, arithmetic mean.
HAND_VALUES = {"x": [4, 3, 2, 1], "change": [-10, 0, 10, 20], "pov": [1, 2, 4, 3]}


def hand_level(con: duckdb.DuckDBPyConnection) -> None:
    regions = ["a", "b", "c", "d"]
    con.execute("CREATE TABLE levels AS SELECT 'L' AS level, 'L' AS reference_level")
    con.execute("CREATE TABLE context_indicators AS SELECT 'L' AS level, "
                "'change' AS indicator, 'percent' AS unit")
    con.register("b", pd.DataFrame({"level": "L", "region_id": regions,
                                    "total_employment": 100.0}))
    con.execute("CREATE TABLE region_base AS SELECT * FROM b")
    con.register("v", pd.DataFrame([("L", region, indicator, float(value))
                                    for indicator, values in HAND_VALUES.items()
                                    for region, value in zip(regions, values, strict=True)],
                                   columns=["level", "region_id", "indicator", "value"]))
    con.execute("CREATE TABLE region_indicator_values AS SELECT * FROM v")
    con.register("c", pd.DataFrame({
        "model": "m", "level": "L", "component": ["s", "decline", "pov"],
        "label": ["S", "Decline", "Poverty"], "pillar": ["shock", "absorption", "absorption"],
        "indicator": ["x", "change", "pov"], "direction": ["higher", "lower", "higher"],
        "transform": "percentile", "weight": 1.0}))
    con.execute("CREATE TABLE risk_components AS SELECT * FROM c")
    con.register("p", pd.DataFrame({
        "model": "m", "pillar": ["shock", "absorption"], "label": ["Shock", "Absorption"],
        "weight": 1.0, "aggregation": "arithmetic", "pillar_scale": "percentile",
        "gate": [None, "decline"]}).astype({"gate": object}))
    con.execute("CREATE TABLE risk_pillars AS SELECT * FROM p")
    for name in ("b", "v", "c", "p"):
        con.unregister(name)


def test_gates_by_hand_vector_equals_sql():
    """The reference change of equal jobs: 100 (4 / sum 1 / (1 + x / 100) - 1) = 3.80%; c
    (+10%) and d (+20%) grew faster, so their absorption score is capped at their decline
    score. Absorption means: a (7/8 + 1/8) / 2 = 1/2, b (5/8 + 3/8) / 2 = 1/2, c (3/8 + 7/8)
    / 2 = 5/8, d (1/8 + 5/8) / 2 = 3/8; percentiles 1/2, 1/2, 7/8, 1/8; c capped at 3/8."""
    tables = {name: keys for name, keys in TABLES.items()
              if name in ("region_components", "region_gates", "region_pillars",
                          "region_risk", "risk_model_scores", "risk_model_components")}
    out = {}
    for method, step in (("sql", _sql_model_risk), ("vector", compute_model_risk)):
        con = duckdb.connect()
        hand_level(con)
        step(con, ["m"])
        out[method] = read_tables(con, tables)
        con.close()
    assert_same(out["sql"], out["vector"])
    gates = out["vector"]["region_gates"][1]
    reference = 100 * (4 / sum(1 / (1 + x / 100) for x in HAND_VALUES["change"]) - 1)
    assert gates["reference_change"].tolist() == pytest.approx([reference] * 4, abs=1e-12)
    assert round(reference, 2) == 3.80
    assert gates["gate"].tolist() == ["decline"] * 4
    assert gates["gated"].tolist() == [False, False, True, True]
    assert gates["gate_score"].tolist() == [7 / 8, 5 / 8, 3 / 8, 1 / 8]
    pillars = out["vector"]["region_pillars"][1].set_index(["pillar", "region_id"])
    assert pillars.loc["absorption", "pillar_mean"].tolist() == [1 / 2, 1 / 2, 5 / 8, 3 / 8]
    assert pillars.loc["absorption", "pillar_score"].tolist() == [1 / 2, 1 / 2, 3 / 8, 1 / 8]
    assert pillars.loc["shock", "pillar_score"].tolist() == [7 / 8, 5 / 8, 3 / 8, 1 / 8]
    risk = out["vector"]["region_risk"][1]
    assert risk["collapse_risk"].tolist() == [11 / 16, 9 / 16, 3 / 8, 1 / 8]
    assert risk["risk_rank"].tolist() == [1, 2, 3, 4]  # ungated, c (5/8) would rank 2nd


@pytest.mark.realdata
def test_vector_equals_sql_on_the_real_atlas(built_atlas):
    con = duckdb.connect(str(built_atlas), read_only=True)
    try:
        config = stored_config(con)
        sql = risk_tables(con, config, "sql")
        ranked = assert_same(sql, risk_tables(con, config, "vector"))
    finally:
        con.close()
    assert ranked > 1000
    gates = sql["region_gates"][1]
    assert 0 < gates["gated"].sum() < len(gates)  # the gates are exercised


def test_build_writes_the_risk_tables_once_into_the_file():
    """``compute_indices`` creates every risk table in the database file, leaving no temp
    copy; a re-specification with the same settings writes temp tables that shadow them,
    with the same contents, and ``drop_respecification`` shows the stored ones again.
    ``region_components`` is a view (over ``risk_model_components``) in both."""
    con = duckdb.connect()
    generate_level(con, 300, 12, 5, 3)
    config = synthetic_config()
    compute_indices(con, config)  # creates context_indicators
    con.execute("INSERT INTO context_indicators (level, indicator, unit) "
                "VALUES ('synth', 'employment_change', 'percent')")  # gates: not empty
    compute_indices(con, config)
    names = {*RISK_TABLES, "risk_model_scores", "risk_model_components"}

    def tables(temporary: bool) -> set[str]:
        return {row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary = ? UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE temporary = ? AND NOT internal",
            [temporary, temporary]).fetchall()}

    def views(temporary: bool) -> set[str]:
        return {row[0] for row in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE temporary = ?", [temporary]).fetchall()}

    assert names <= tables(False)
    assert not names & tables(True)
    assert "region_components" in views(False)
    built = read_tables(con, TABLES)
    assert len(built["region_components"][1]) > 0
    compute_risk(con, config)
    assert names <= tables(True)
    assert "region_components" in views(True)
    assert_same(built, read_tables(con, TABLES))
    drop_respecification(con)
    assert not names & tables(True)
    assert_same(built, read_tables(con, TABLES))


def test_shareable_copy_empties_the_view_through_its_table():
    """``region_components`` is a view: the shareable edition's emptying
    (``atlas.store.edition.withhold``) updates the tables only, and the view shows the
    restricted indicator's values emptied (through ``risk_model_components``), the others
    kept."""
    con = duckdb.connect()
    generate_level(con, 300, 12, 5, 3)
    compute_indices(con, synthetic_config())
    con.execute("CREATE TABLE figure_lineage AS SELECT 'synth' AS level, "
                "'context.employment_change' AS figure, true AS restricted")
    places = {place[0] for place in figure_columns(con, "synth",
                                                   "context.employment_change")}
    assert places == {"region_context", "region_context_wide", "risk_model_components"}
    withhold(con)
    counts = dict(con.execute("SELECT indicator = 'employment_change', count(value) "
                              "FROM region_components GROUP BY 1").fetchall())
    assert counts == {True: 0, False: 4 * 300}
