"""The vectorised risk step (atlas.engine.risk_vector) equals the SQL one (risk_scores.sql).

Both write the same tables; every column is compared (numbers to 1e-12, texts, ranks and
NULLs exactly, column types too), on the real atlas and on a synthetic level with ties.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from atlas.engine.core import compute_indices, compute_risk
from atlas.engine.risk_vector import duck_round, mid_ranks
from atlas.engine.synth import generate_level, synthetic_config
from atlas.store.database import stored_config

TABLES = {"region_components": ["level", "region_id", "component"],
          "region_pillars": ["level", "region_id", "pillar"],
          "region_risk": ["level", "region_id"],
          "risk_model_scores": ["model", "level", "region_id"],
          "risk_model_components": ["model", "level", "region_id", "component"],
          "region_pillar_wide": ["level", "region_id"],
          "region_component_wide": ["level", "region_id"],
          "region_flags": ["level", "region_id"]}


def risk_tables(con: duckdb.DuckDBPyConnection, config: dict, method: str) -> dict:
    compute_risk(con, config, risk_method=method)
    out = {}
    for table, keys in TABLES.items():
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


def test_vector_equals_sql_on_a_synthetic_level_with_ties():
    con = duckdb.connect()
    generate_level(con, 400, 12, 3, 3)
    con.execute("UPDATE region_context SET value = round(value, 1)")  # ties in components
    config = synthetic_config()
    compute_indices(con, config)
    ranked = assert_same(risk_tables(con, config, "sql"), risk_tables(con, config, "vector"))
    assert ranked > 300


@pytest.mark.realdata
def test_vector_equals_sql_on_the_real_atlas(built_atlas):
    con = duckdb.connect(str(built_atlas), read_only=True)
    try:
        config = stored_config(con)
        ranked = assert_same(risk_tables(con, config, "sql"),
                             risk_tables(con, config, "vector"))
    finally:
        con.close()
    assert ranked > 1000
