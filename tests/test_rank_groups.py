"""Ranking within groups of peers (a level's ``rank_group``, countries: income groups).

The collapse risk stays scored over the whole level; its rank, the top-decile rule and the
trap and transition flags are taken within each group, and the whole-level rank stays as
context. Checked by hand on six regions, on a synthetic level (vector = SQL reference, every
group's top decile flagged) and on the real atlas (every income group flagged, no country
with missing components or low confidence a robust trap).
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from atlas.engine.core import _sql_model_risk, compute_indices, compute_risk
from atlas.engine.risk_vector import compute_model_risk
from atlas.engine.synth import generate_level, synthetic_config
from atlas.spec.declarations import level_decl
from atlas.store.database import stored_config
from tests.test_risk_vector import TABLES, assert_same, read_tables

# Six regions, one pillar of one component x (higher = riskier), equal jobs: the collapse
# risk is the mid-rank percentile of x over the level, (2i - 1) / 12 for the i-th smallest.
# Groups: A = a, c, e and B = b, d, f.
HAND_X = {"a": 6, "b": 5, "c": 4, "d": 3, "e": 2, "f": 1}
HAND_GROUP = {"a": "A", "b": "B", "c": "A", "d": "B", "e": "A", "f": "B"}


def hand_level(con: duckdb.DuckDBPyConnection, grouped: bool = True) -> None:
    regions = list(HAND_X)
    group = "'grp'" if grouped else "NULL::VARCHAR"
    con.execute(f"CREATE TABLE levels AS SELECT 'L' AS level, 'L' AS reference_level, "
                f"{group} AS rank_group")
    con.execute("CREATE TABLE context_indicators (level VARCHAR, indicator VARCHAR, "
                "unit VARCHAR)")
    frames = {
        "region_base": pd.DataFrame({"level": "L", "region_id": regions,
                                     "total_employment": 100.0}),
        "region_indicator_values": pd.DataFrame({
            "level": "L", "region_id": regions, "indicator": "x",
            "value": [float(HAND_X[r]) for r in regions]}),
        "region_attributes": pd.DataFrame({
            "level": "L", "region_id": regions, "attribute": "grp",
            "value": [HAND_GROUP[r] for r in regions]}),
        "risk_components": pd.DataFrame({
            "model": ["m"], "level": "L", "component": "s", "label": "S", "pillar": "shock",
            "indicator": "x", "direction": "higher", "transform": "percentile",
            "weight": 1.0}),
        "risk_pillars": pd.DataFrame({
            "model": ["m"], "pillar": "shock", "label": "Shock", "weight": 1.0,
            "aggregation": "arithmetic", "pillar_scale": "percentile",
            "gate": [None]}).astype({"gate": object}),
    }
    for name, frame in frames.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")


def hand_risk(grouped: bool) -> dict:
    tables = {name: TABLES[name] for name in ("region_risk", "risk_model_scores")}
    out = {}
    for method, step in (("sql", _sql_model_risk), ("vector", compute_model_risk)):
        con = duckdb.connect()
        hand_level(con, grouped)
        step(con, ["m"])
        out[method] = read_tables(con, tables)
        con.close()
    assert_same(out["sql"], out["vector"])
    return out["vector"]["region_risk"][1].set_index("region_id")


def test_group_ranks_by_hand():
    risk = hand_risk(grouped=True)
    # the risk itself is scored over the whole level, not within the group
    assert risk["collapse_risk"].to_dict() == pytest.approx(
        {"a": 11 / 12, "b": 9 / 12, "c": 7 / 12, "d": 5 / 12, "e": 3 / 12, "f": 1 / 12})
    assert risk["risk_rank"].to_dict() == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
    assert risk["regions_in_level"].tolist() == [6] * 6
    assert risk["rank_group"].to_dict() == HAND_GROUP
    assert risk["group_rank"].to_dict() == {"a": 1, "c": 2, "e": 3, "b": 1, "d": 2, "f": 3}
    assert risk["regions_in_group"].tolist() == [3] * 6


def test_a_level_without_groups_is_one_group():
    risk = hand_risk(grouped=False)
    assert risk["rank_group"].isna().all()
    assert risk["group_rank"].tolist() == risk["risk_rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert risk["regions_in_group"].tolist() == [6] * 6


def grouped_synthetic(con: duckdb.DuckDBPyConnection, groups: int) -> None:
    """A synthetic level of 300 regions in ``groups`` groups of region number modulo groups;
    one region without a group (ranked with none)."""
    generate_level(con, 300, 10, 5, 3)
    con.execute("ALTER TABLE levels ADD COLUMN rank_group VARCHAR")
    con.execute("UPDATE levels SET rank_group = 'peer_group'")
    con.execute("CREATE OR REPLACE TABLE region_attributes AS "
                "SELECT level, region_id, 'peer_group' AS attribute, "
                "'g' || (row_number() OVER (ORDER BY region_id) % ?) AS value "
                "FROM regions QUALIFY row_number() OVER (ORDER BY region_id) > 1", [groups])


def test_vector_equals_sql_with_groups_and_every_group_gets_its_top_decile():
    con = duckdb.connect()
    grouped_synthetic(con, 3)
    config = synthetic_config()
    compute_indices(con, config)
    compute_risk(con, config, risk_method="sql")
    sql = read_tables(con, TABLES)
    compute_risk(con, config, risk_method="vector")
    assert_same(sql, read_tables(con, TABLES))
    rows = con.execute("SELECT k.*, f.flag_top_decile, f.flag_trap, f.flag_transition_target "
                       "FROM region_risk AS k JOIN region_flags AS f USING (level, region_id)"
                       ).df()
    ranked = rows.dropna(subset=["collapse_risk"])
    counts = ranked.groupby("rank_group", dropna=False).size()
    assert len(counts) == 4  # three groups and the region without one
    for group, frame in ranked.groupby("rank_group", dropna=False):
        n = len(frame)
        assert (frame["regions_in_group"] == n).all()
        assert sorted(frame["group_rank"]) == list(range(1, n + 1))
        top = frame.loc[frame["flag_top_decile"]]
        # ceil(trap_top_share x n), in groups of min_regions (10) or more ranked regions
        assert len(top) == (math.ceil(0.1 * n) if n >= 10 else 0), group
        if n > 1:  # the top decile of the group is its highest collapse risks
            assert top["collapse_risk"].min() >= frame.loc[~frame["flag_top_decile"],
                                                           "collapse_risk"].max()
    # a group of one region (below min_regions) gets no trap; traps lie in the top decile
    assert not rows.loc[rows["rank_group"].isna(), "flag_trap"].any()
    assert not (rows["flag_trap"] & ~rows["flag_top_decile"]).any()
    # the whole-level rank stays: one order over the level
    assert sorted(ranked["risk_rank"]) == list(range(1, len(ranked) + 1))
    assert (ranked["regions_in_level"] == len(ranked)).all()


def test_trap_confident_only_leaves_out_low_confidence_traps():
    con = duckdb.connect()
    grouped_synthetic(con, 2)
    # diversity groups: every region has every component of the model ...
    con.execute("ALTER TABLE categories ADD COLUMN IF NOT EXISTS diversity_group VARCHAR")
    con.execute("UPDATE categories SET diversity_group = 'd' || (hash(category) % 4)")
    # ... but a third of the regions lose one: low confidence
    con.execute("DELETE FROM region_context WHERE indicator = 'employment_change' "
                "AND hash(region_id) % 3 = 0")
    config = synthetic_config()
    compute_indices(con, config)
    query = ("SELECT region_id, flag_trap, flag_transition_target, flag_low_confidence "
             "FROM region_flags ORDER BY region_id")
    compute_risk(con, config)
    loose = con.execute(query).df().set_index("region_id")
    config = config.replaced("flags.trap_confident_only", True)
    compute_risk(con, config)
    strict = con.execute(query).df().set_index("region_id")
    assert loose["flag_trap"].sum() > strict["flag_trap"].sum() > 0
    assert (loose["flag_trap"] & loose["flag_low_confidence"]).any()
    assert not (strict["flag_trap"] & strict["flag_low_confidence"]).any()
    assert not (strict["flag_transition_target"] & strict["flag_low_confidence"]).any()
    # the confident traps are untouched
    sure = ~loose["flag_low_confidence"]
    assert strict.loc[sure, "flag_trap"].tolist() == loose.loc[sure, "flag_trap"].tolist()


@pytest.mark.realdata
def test_every_income_group_is_flagged_and_no_thin_data_is_a_robust_trap(atlas_con):
    """Countries rank within their World Bank income group: each group's top decile is
    flagged (the world list had none of the low-income countries), traps lie in it, and no
    country with a missing component or of low confidence is a robust trap."""
    config = stored_config(atlas_con)
    share, least = config.flags.trap_top_share, config.flags.min_regions
    column = level_decl("country").rank_group.column
    frame = atlas_con.execute(
        f"SELECT {column}, rank_group, group_rank, regions_in_group, risk_rank, "
        "regions_in_level, flag_top_decile, flag_trap, flag_robust_trap, flag_low_confidence, "
        "missing_components FROM region_indices WHERE level = 'country' "
        "AND collapse_risk IS NOT NULL").df()
    assert frame["rank_group"].equals(frame[column])  # the declared attribute
    assert set(frame["rank_group"].dropna()) == {"LIC", "LMC", "UMC", "HIC"}
    for group, rows in frame.groupby("rank_group"):
        n = len(rows)
        assert n >= least and (rows["regions_in_group"] == n).all()
        assert sorted(rows["group_rank"]) == list(range(1, n + 1))
        assert rows["flag_top_decile"].sum() == math.ceil(share * n) >= 1, group
    assert sorted(frame["risk_rank"]) == list(range(1, len(frame) + 1))  # world rank kept
    assert not (frame["flag_trap"] & ~frame["flag_top_decile"]).any()
    everyone = atlas_con.execute(
        "SELECT level, region_id FROM region_indices WHERE flag_robust_trap "
        "AND (flag_low_confidence OR coalesce(missing_components, 1) > 0)").fetchall()
    assert everyone == []


def test_rank_within_groups_off_ranks_the_level_as_a_whole():
    con = duckdb.connect()
    grouped_synthetic(con, 3)
    config = synthetic_config()
    config = config.replaced("flags.rank_within_groups", False)
    compute_indices(con, config)
    risk = con.execute("SELECT rank_group, group_rank, risk_rank, regions_in_group, "
                       "regions_in_level FROM region_risk").df()
    assert risk["rank_group"].isna().all()
    assert risk["group_rank"].equals(risk["risk_rank"])
    assert risk["regions_in_group"].equals(risk["regions_in_level"])
