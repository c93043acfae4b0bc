"""Rank uncertainty, adoption scenarios and trap zones."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

from atlas.engine.local_moran import local_clusters
from atlas.engine.scenarios import project
from atlas.engine.uncertainty import (
    component_scores,
    level_inputs,
    rank_order,
    specification_risk,
    specifications,
    within_percentile,
)
from atlas.spec.config import load_config
from atlas.spec.config_parse import parse_scenario
from atlas.spec.risk_model import active_model
from tests.tiny import tiny_database


def test_within_percentile_matches_sql_semantics():
    values = np.array([[3.0, 1.0, np.nan, 2.0, 2.0]])
    # mid-rank: (below + half the ties) / n over the 4 present values
    assert np.allclose(within_percentile(values)[0], [3.5 / 4, 0.5 / 4, np.nan, 2 / 4, 2 / 4],
                       equal_nan=True)
    assert np.allclose(within_percentile(values, "percent_rank")[0],
                       [1.0, 0.0, np.nan, 1 / 3, 1 / 3], equal_nan=True)


def test_specifications_are_seeded_and_structured():
    config = load_config()
    model = active_model(config)
    components = model.components_for("us_area")
    a = specifications(model, components, 3, config.uncertainty)
    b = specifications(model, components, 3, config.uncertainty)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.measure, b.measure)
    grid = 3 * len(config.uncertainty.aggregations) * (1 + len(components))
    assert len(a.measure) == grid + config.uncertainty.draws
    assert np.allclose(a.weights[0], [c.weight for c in components])  # spec 0 = the model
    assert a.geometric[0] == (model.aggregation == "geometric") and a.measure[0] == 0
    omitted = (a.weights[:grid] == 0).sum(axis=1)
    assert sorted(set(omitted)) == [0, 1]  # leave-one-out rows drop exactly one component
    draws = a.weights[grid:]
    assert np.allclose(draws.mean(axis=0) / draws.mean(axis=0).sum(),
                       a.weights[0] / a.weights[0].sum(), atol=0.02)


@pytest.mark.parametrize("level", ["us_area", "cn_city", "us_state"])
def test_default_specification_reproduces_the_engine_ranking(atlas_con, level):
    config = load_config()
    model = active_model(config)
    inputs = level_inputs(atlas_con, level, model, config.exposure.default_measure)
    measures = sorted(inputs.by_measure, key=lambda m: (m != inputs.default_measure, m))
    scores = np.stack([component_scores(inputs, m) for m in measures])
    specs = specifications(model, inputs.components, len(measures), config.uncertainty)
    risk, _ = specification_risk(model, scores, specs, inputs.components, inputs.gated)
    ranks = rank_order(risk, inputs.size, inputs.region_ids)[0]
    engine = atlas_con.execute("SELECT region_id, risk_rank, collapse_risk FROM region_indices "
                               "WHERE level = ? ORDER BY region_id", [level]).df()
    assert (ranks == engine.risk_rank.to_numpy()).all()
    # one unit of the 12th decimal at most: both engines round collapse risk to 12 decimals,
    # and a gated score (the gate component's percentile, computed by each) may differ in
    # its last bit, so the rounding can fall either side
    assert np.abs(risk[0] - engine.collapse_risk.to_numpy()).max() <= 1.001e-12


def test_rank_uncertainty_table(atlas_con):
    frame = atlas_con.execute("SELECT * FROM rank_uncertainty WHERE level = 'us_area'").df()
    assert len(frame) == 528
    config = load_config()
    components = len(active_model(config).components_for("us_area"))
    measures = atlas_con.execute("SELECT count(DISTINCT measure) FROM region_exposure r "
                                 "JOIN measures m USING (measure) WHERE m.scale = 'unit' "
                                 "AND level = 'us_area' AND substitutable_share IS NOT NULL"
                                 ).fetchone()[0]
    grid = measures * len(config.uncertainty.aggregations) * (1 + components)
    choices = config.uncertainty.choices  # the factorial block of the structural choices
    varied = [getattr(choices, f.name) for f in fields(choices) if f.name != "weight_draws"]
    block = measures * len(config.uncertainty.aggregations) * choices.weight_draws \
        * int(np.prod([len(v) for v in varied]))
    assert (frame.n_specs == grid + config.uncertainty.draws + block).all()
    assert (frame.rank_p05 <= frame.median_rank).all()
    assert (frame.median_rank <= frame.rank_p95).all()
    assert frame.p_top_decile.between(0, 1).all() and (frame.p_trap <= frame.p_top_decile).all()
    robust = atlas_con.execute("SELECT count(*) FROM region_indices WHERE flag_robust_trap "
                               "AND NOT flag_trap AND level = 'us_area'").fetchone()[0]
    assert robust <= 5  # robust traps are (nearly always) traps under the defaults too
    seed = dict(atlas_con.execute("SELECT key, value FROM build_info").fetchall())
    assert seed["uncertainty_seed"] == "20261127"


BASE = pd.DataFrame({"level": ["x", "x", "x"], "region_id": ["a", "b", "c"],
                     "tilted_exposed_jobs": [1000.0, 400.0, 1000.0],
                     "labor_force": [20000.0, None, 20000.0], "absorption": [0.5, 0.2, 0.9]})
CENTRAL = {"adoption": 0.35, "displacement": 0.35, "reabsorption_min": 0.35,
           "reabsorption_max": 0.65, "horizon_years": 10}


def run(name: str, table: dict) -> pd.DataFrame:
    """The scenario ``table`` (as the configuration declares it) projected on BASE."""
    return project(BASE, parse_scenario(name, table))


def test_scenario_by_hand():
    rows = run("central", CENTRAL)
    row = rows.iloc[0]
    assert row.displaced == pytest.approx(1000 * 0.35 * 0.35)
    assert row.reabsorption == pytest.approx(0.65 - 0.3 * 0.5)  # the median place: 0.5
    assert row.net_loss == pytest.approx(1000 * 0.35 * 0.35 * 0.5)
    assert row.unemployment_rate_shock == pytest.approx(100 * 61.25 / 20000)
    assert row.net_loss_per_year == pytest.approx(6.125)
    assert pd.isna(rows.iloc[1].unemployment_rate_shock)
    # the same exposure with weaker absorption loses more
    assert rows.iloc[2].reabsorption == pytest.approx(0.65 - 0.3 * 0.9)
    assert rows.iloc[2].net_loss > row.net_loss


def test_a_single_reabsorption_value_means_a_range_of_one():
    single = {"adoption": 0.35, "displacement": 0.35, "reabsorption": 0.5, "horizon_years": 10}
    rows = run("s", single)
    assert np.allclose(rows.reabsorption, 0.5)


def test_zero_adoption_gives_zero_loss():
    result = run("none", {**CENTRAL, "adoption": 0.0})
    assert (result.displaced == 0).all() and (result.net_loss == 0).all()


@pytest.mark.parametrize("parameter, sign", [("adoption", 1), ("displacement", 1),
                                             ("reabsorption_max", -1)])
def test_scenarios_are_monotone(parameter, sign):
    losses = [run("s", {**CENTRAL, parameter: value,
                                  "reabsorption_min": min(value, 0.35)}).net_loss.sum()
              if parameter == "reabsorption_max" else
              run("s", {**CENTRAL, parameter: value}).net_loss.sum()
              for value in np.linspace(0, 1, 11)]
    steps = np.diff(losses) * sign
    assert (steps >= 0).all() and steps.sum() > 0


def test_scenario_base_by_hand_and_totals_add_up():
    con = tiny_database()
    from atlas.engine.sql import run_sql_file

    run_sql_file(con, "scenario_base.sql", exposure_measure="m", automation_measure="m")
    base = dict(con.execute("SELECT region_id, tilted_exposed_jobs FROM scenario_base "
                            "WHERE level = 'tiny'").fetchall())
    # reference (nation N: A 70, B 50, C 80): a_mean = (70*.8 + 50*.3 + 80*.05) / 200 = 0.375
    # R1: A 60*0.8*min(1, .8/.375) + B 40*0.3*min(1, .3/.375) = 48 + 9.6
    assert base["R1"] == pytest.approx(48 + 40 * 0.3 * 0.3 / 0.375)
    nation = con.execute("SELECT tilted_exposed_jobs FROM scenario_base WHERE level = "
                         "'tiny_nation'").fetchone()[0]
    pooled = 70 * 0.8 + 50 * 0.3 * 0.8 + 80 * 0.05 * (0.05 / 0.375)
    assert nation == pytest.approx(pooled)
    # linear in the composition: pooled regions R1 + R2 = the sum of their values
    r2 = 10 * 0.8 + 10 * 0.3 * 0.8 + 80 * 0.05 * (0.05 / 0.375)
    assert base["R1"] + base["R2"] == pytest.approx(48 + 40 * 0.3 * 0.8 + r2)


def test_real_scenarios_are_ordered(atlas_con):
    totals = dict(atlas_con.execute("""SELECT scenario, sum(net_loss) FROM scenario_results
        WHERE level = 'us_area' GROUP BY scenario""").fetchall())
    assert totals["slow"] < totals["central"] < totals["fast"]


def test_net_loss_is_largest_where_exposure_meets_weak_absorption(atlas_con):
    """Per exposed job, the net loss rises with the weak-absorption pillar."""
    frame = atlas_con.execute("""
        SELECT s.net_loss / nullif(s.displaced, 0) AS loss_per_displaced, i.pillar_absorption,
            s.unemployment_rate_shock, i.pillar_shock
        FROM scenario_results AS s JOIN region_indices AS i USING (level, region_id)
        WHERE s.level = 'us_area' AND s.scenario = 'central'""").df().dropna()
    assert frame.loss_per_displaced.corr(frame.pillar_absorption, method="spearman") > 0.99
    top = frame.pillar_absorption > 0.5
    assert frame.loc[top, "loss_per_displaced"].mean() > frame.loc[~top,
                                                                  "loss_per_displaced"].mean()


def test_planted_hot_spot_comes_out_high_high():
    rng = np.random.default_rng(0)
    values = rng.normal(0, 1, (12, 12))
    values[3:6, 4:7] += 4.0  # a 3x3 hot spot
    weights = lat2W(12, 12, rook=False)
    weights.transform = "r"
    result = local_clusters(values.ravel(), weights, seed=1)
    planted = np.zeros((12, 12), bool)
    planted[3:6, 4:7] = True
    assert result.high_high.to_numpy()[planted.ravel()].sum() >= 8
    clusters = set(result.cluster[planted.ravel() & result.high_high.to_numpy()])
    assert len(clusters) == 1  # one connected zone
    assert result.high_high.to_numpy()[~planted.ravel()].sum() <= 6


def test_random_field_yields_almost_no_zones():
    rng = np.random.default_rng(2)
    weights = lat2W(15, 15, rook=False)
    weights.transform = "r"
    result = local_clusters(rng.normal(0, 1, 225), weights, seed=3)
    assert result.high_high.mean() <= 0.05


def test_real_trap_zones(atlas_con):
    zones = atlas_con.execute("SELECT * FROM trap_zones WHERE level = 'us_area'").df()
    assert len(zones) >= 1
    members = atlas_con.execute("""SELECT trap_zone, count(*) n FROM region_indices
        WHERE level = 'us_area' AND trap_zone IS NOT NULL GROUP BY trap_zone""").df()
    assert dict(zip(members.trap_zone, members.n, strict=True)) == dict(
        zip(zones.zone_id, zones.regions, strict=True))
    puerto_rico = atlas_con.execute("""SELECT count(*) FROM region_indices
        WHERE level = 'us_area' AND state = 'PR' AND trap_zone IS NOT NULL""").fetchone()[0]
    assert puerto_rico >= 4  # Puerto Rico's high-risk areas form a contiguous zone


def _queen_reference(geometries) -> set[tuple[int, int]]:
    """libpysal's Queen neighbours (shared vertices) as ordered pairs."""
    import warnings

    import geopandas as gpd
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = Queen.from_dataframe(gpd.GeoDataFrame(geometry=list(geometries)),
                                       use_index=False, silence_warnings=True)
    return {(i, j) for i, neighbours in weights.neighbors.items() for j in neighbours}


def test_shared_vertex_pairs_are_libpysal_queen_neighbours():
    """Squares of a lattice (corner contact counts), a polygon with a hole holding another,
    a multipolygon touching by one part, and a square touching only along an edge whose
    vertices differ (not a queen neighbour under libpysal's vertex rule)."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon, box

    from atlas.engine.clusters import shared_vertex_pairs

    squares = [box(x, y, x + 1, y + 1) for x in range(4) for y in range(3)]
    ring = Polygon([(10, 0), (14, 0), (14, 4), (10, 4)], [[(11, 1), (13, 1), (13, 3), (11, 3)]])
    inner = box(11, 1, 13, 3)
    parts = MultiPolygon([box(20, 0, 21, 1), box(14, 4, 15, 5)])  # touches ``ring`` at a corner
    offset = Polygon([(4, 0.5), (5, 0.5), (5, 1.5), (4, 1.5)])  # edge contact, no shared vertex
    geometries = np.array([*squares, ring, inner, parts, offset], dtype=object)
    pairs = shared_vertex_pairs(geometries)
    got = set(zip(pairs["focal"].tolist(), pairs["neighbour"].tolist(), strict=True))
    assert got == _queen_reference(geometries)
    assert (12, 13) in got and (12, 14) in got and not any(15 in pair for pair in got)
    assert pairs.equals(pairs.sort_values(["focal", "neighbour"]).reset_index(drop=True))
    assert len(shared_vertex_pairs(np.array([shapely.box(0, 0, 1, 1)], dtype=object))) == 0


@pytest.mark.parametrize("level", ["us_area", "cn_city", "country"])
def test_real_contiguity_is_libpysal_queen_with_islands_attached(atlas_con, level):
    """The contiguity the trap zones use is libpysal's: Queen neighbours, then
    ``attach_islands`` with a ``KNN`` of k = 1 on the centroids (EPSG:5070)."""
    import warnings

    import geopandas as gpd
    import shapely
    from libpysal.weights import KNN, Queen, attach_islands

    from atlas.engine.clusters import contiguity_pairs

    rows = atlas_con.execute("""
        SELECT g.geometry FROM region_indices AS r JOIN region_geometry AS g
        USING (level, region_id) WHERE r.level = ? AND r.collapse_risk IS NOT NULL
        ORDER BY r.region_id""", [level]).df()
    frame = gpd.GeoDataFrame(geometry=shapely.from_wkb(rows["geometry"].map(bytes)),
                             crs="EPSG:4326")
    pairs = contiguity_pairs(frame)
    got = set(zip(pairs["focal"].tolist(), pairs["neighbour"].tolist(), strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
        assert weights.islands  # Hawaii, Alaska, island nations and provinces
        centroids = frame.to_crs("EPSG:5070").centroid
        nearest = KNN.from_array(np.column_stack([centroids.x, centroids.y]), k=1,
                                 silence_warnings=True)
        weights = attach_islands(weights, nearest)
    assert got == {(i, j) for i, neighbours in weights.neighbors.items() for j in neighbours}
    assert len(pairs) == sum(weights.cardinalities.values())
