"""Rank uncertainty, adoption scenarios and trap zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

from atlas.clusters import local_clusters
from atlas.config import load_config
from atlas.scenarios import project
from atlas.uncertainty import dirichlet_weights, percent_rank, rank_specifications
from tests.tiny import tiny_database


def test_percent_rank_matches_sql_semantics():
    values = np.array([[3.0, 1.0, np.nan, 2.0, 2.0]])
    assert np.allclose(percent_rank(values)[0], [1.0, 0.0, np.nan, 1 / 3, 1 / 3], equal_nan=True)


def test_dirichlet_draws_are_seeded_and_centred():
    default = load_config()["risk"]["weights"]
    a = dirichlet_weights(default, 2000, 20.0, seed=1)
    assert np.array_equal(a, dirichlet_weights(default, 2000, 20.0, seed=1))
    assert a.shape == (2001, 4)
    assert np.allclose(a.sum(axis=1), 1.0)
    assert np.allclose(a[1:].mean(axis=0), [0.4, 0.2, 0.2, 0.2], atol=0.01)


def test_default_specification_reproduces_the_engine_ranking(atlas_con):
    frame = atlas_con.execute("""
        SELECT region_id, total_employment, risk_rank, risk_p_vulnerable, risk_p_concentration,
               risk_p_unemployment, risk_p_smallness
        FROM region_indices WHERE level = 'us_area' ORDER BY region_id""").df()
    percentiles = frame[["risk_p_vulnerable", "risk_p_concentration", "risk_p_unemployment",
                         "risk_p_smallness"]].to_numpy()[None, :, :]
    ranks = rank_specifications(percentiles, np.array([[0.4, 0.2, 0.2, 0.2]]),
                                frame.total_employment.to_numpy(), frame.region_id.to_numpy())
    assert (ranks[0] == frame.risk_rank.to_numpy()).all()


def test_rank_uncertainty_table(atlas_con):
    frame = atlas_con.execute("SELECT * FROM rank_uncertainty WHERE level = 'us_area'").df()
    assert len(frame) == 528
    measures = atlas_con.execute("SELECT count(DISTINCT measure) FROM region_exposure r "
                                 "JOIN measures m USING (measure) WHERE m.scale = 'unit' "
                                 "AND level = 'us_area'").fetchone()[0]
    assert (frame.n_specs == measures * 1001).all()
    assert (frame.rank_p05 <= frame.median_rank).all()
    assert (frame.median_rank <= frame.rank_p95).all()
    assert frame.p_top_decile.between(0, 1).all()
    robust = atlas_con.execute("SELECT count(*) FROM region_indices WHERE flag_robust_trap "
                               "AND NOT flag_trap AND level = 'us_area'").fetchone()[0]
    assert robust <= 5  # robust traps are (nearly always) traps under the defaults too
    seed = dict(atlas_con.execute("SELECT key, value FROM build_info").fetchall())
    assert seed["uncertainty_seed"] == "20261127"


BASE = pd.DataFrame({"level": ["x", "x"], "region_id": ["a", "b"],
                     "tilted_exposed_jobs": [1000.0, 400.0], "labor_force": [20000.0, None]})
CENTRAL = {"adoption": 0.35, "displacement": 0.35, "reabsorption": 0.5, "horizon_years": 10}


def test_scenario_by_hand():
    row = project(BASE, "central", CENTRAL).iloc[0]
    assert row.displaced == pytest.approx(1000 * 0.35 * 0.35)
    assert row.net_loss == pytest.approx(1000 * 0.35 * 0.35 * 0.5)
    assert row.unemployment_rate_shock == pytest.approx(100 * 61.25 / 20000)
    assert row.net_loss_per_year == pytest.approx(6.125)
    assert pd.isna(project(BASE, "central", CENTRAL).iloc[1].unemployment_rate_shock)


def test_zero_adoption_gives_zero_loss():
    result = project(BASE, "none", {**CENTRAL, "adoption": 0.0})
    assert (result.displaced == 0).all() and (result.net_loss == 0).all()


@pytest.mark.parametrize("parameter, sign", [("adoption", 1), ("displacement", 1),
                                             ("reabsorption", -1)])
def test_scenarios_are_monotone(parameter, sign):
    losses = [project(BASE, "s", {**CENTRAL, parameter: value}).net_loss.sum()
              for value in np.linspace(0, 1, 11)]
    steps = np.diff(losses) * sign
    assert (steps >= 0).all() and steps.sum() > 0


def test_scenario_base_by_hand_and_totals_add_up():
    con = tiny_database()
    config = load_config()
    config["exposure"]["default_measure"] = "m"
    con.execute("SET VARIABLE exposure_measure = 'm'")
    con.execute("SET VARIABLE automation_measure = 'm'")
    from atlas.sql import run_sql_file

    run_sql_file(con, "scenario_base.sql")
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
