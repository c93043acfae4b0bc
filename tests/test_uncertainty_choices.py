"""The uncertainty grid over structural choices (issue #28 item 6, issue #32 item 2)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from atlas.engine.uncertainty import (
    LevelInputs,
    component_scores,
    level_inputs,
    level_uncertainty,
    rank_order,
    specification_risk,
)
from atlas.engine.uncertainty_choices import (
    Choices,
    choice_settings,
    factorial,
    first_order,
    level_variants,
    variant_table,
)
from atlas.engine.uncertainty_draws import Specifications
from atlas.errors import ConfigError
from atlas.spec.config import load_config
from atlas.spec.risk_model import Component, Pillar, RiskModel, active_model

MODEL = RiskModel("toy", "toy", "geometric", "percentile", (
    Pillar("shock", "shock", 0.5), Pillar("absorption", "absorption", 0.5)), (
    Component("share", "share", "shock", "substitutable_share", "higher", "percentile", 1.0),
    Component("decline", "decline", "absorption", "employment_change", "lower", "percentile",
              1.0)))
SETTINGS = replace(load_config().uncertainty, draws=0, concentration=20.0, seed=1,
                   aggregations=("geometric",), leave_one_out=False)
TRAP = replace(load_config().flags, trap_top_share=0.1, trap_min_pillar=0.5, min_regions=5,
               trap_min_shock_ratio=0.0)
TODAY = ("substitutable", True, True)


def toy_level() -> LevelInputs:
    """Ten regions: region 0 tops the list under the substitutable rule, region 1 under the
    continuous one (its shock percentile 0.95 and absorption 0.85 against region 0's 0.05
    and 0.95; every other region has a strong shock only where absorption is strong)."""
    ids = np.array([f"r{i}" for i in range(10)])
    today = np.r_[0.9, np.arange(1, 10) / 100]  # region 0 the largest share
    continuous = np.r_[0.0, 0.99, np.arange(2, 10) / 10]  # region 1 the largest
    decline = np.arange(10, dtype=float) - 10.0  # region 0 declined most, then region 1
    return LevelInputs(ids, np.full(10, 100.0), list(MODEL.components),
                       {"employment_change": decline},
                       {"m": {"substitutable_share": today}}, "m",
                       variants={("m", "continuous", True, True):
                                 {"substitutable_share": continuous}})


RULES = Choices(exposure_rule=("substitutable", "continuous"), weight_draws=1)


def test_hand_computed_p_top_decile_and_sensitivity():
    frame, sensitivity = level_uncertainty(toy_level(), MODEL, SETTINGS, TRAP, RULES)
    # specs: the grid's one spec (today), then the factorial block: today, continuous
    assert (frame["n_specs"] == 3).all()
    p = frame.set_index("region_id")["p_top_decile"]
    assert p["r0"] == pytest.approx(2 / 3) and p["r1"] == pytest.approx(1 / 3)
    assert p.drop(["r0", "r1"]).eq(0).all()
    index = sensitivity.set_index("choice")["first_order"]
    # within the block T_r0 = [1, 0], T_r1 = [0, 1]: the rule explains all the variance
    assert index["exposure_rule"] == pytest.approx(1.0)
    assert index["weights"] == 0 and index["measure"] == 0  # one value each
    assert (sensitivity["n_specs"] == 2).all()


def test_first_order_by_hand():
    top = np.array([[1, 0], [1, 0], [0, 0], [0, 1]], dtype=bool)
    factors = {"a": np.array([0, 0, 1, 1]), "b": np.array([0, 1, 0, 1])}
    index = first_order(top, factors).set_index("choice")["first_order"]
    # region 0: Var = 1/4, E[T | a] = (1, 0): Var_a = 1/4; E[T | b] = (1/2, 1/2): 0;
    # region 1: Var = 3/16, E[T | a] = (0, 1/2): Var_a = 1/16; E[T | b] = (0, 1/2): 1/16
    assert index["a"] == pytest.approx((1 / 4 + 1 / 16) / (1 / 4 + 3 / 16))
    assert index["b"] == pytest.approx((1 / 16) / (1 / 4 + 3 / 16))
    assert np.isnan(first_order(np.zeros((4, 2), bool), factors)["first_order"]).all()


def test_every_choice_at_one_value_gives_the_old_grid():
    inputs = toy_level()
    old, empty = level_uncertainty(inputs, MODEL, SETTINGS, TRAP, None)
    fixed, none = level_uncertainty(inputs, MODEL, SETTINGS, TRAP, Choices(weight_draws=8))
    pd.testing.assert_frame_equal(old, fixed)
    assert empty.empty and none.empty


def test_rank_groups_rank_within_each_group():
    risk = np.array([[0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4]])
    ids = np.array(["a", "b", "c", "d"])
    ranks = rank_order(risk, np.ones(4), ids, np.array([0, 1, 0, 1]))
    assert ranks.tolist() == [[1, 1, 2, 2], [2, 2, 1, 1]]
    assert (rank_order(risk, np.ones(4), ids, np.zeros(4, int)) ==
            rank_order(risk, np.ones(4), ids)).all()


def test_factorial_is_balanced_and_today_comes_first():
    model = active_model(load_config())
    components = model.components_for("us_area")
    choices = Choices(("substitutable", "continuous"), (True, False), (True, False),
                      (True, False), 4)
    variants = [(m, r, s, u) for m in ("a", "b") for r in ("substitutable", "continuous")
                for s in (True, False) for u in (True, False) if (r, s, u) != TODAY]
    specs = factorial(model, components, ["a", "b"], variants, ["geometric", "arithmetic"],
                      choices, load_config().uncertainty)
    assert len(specs) == 2 * 2 * 2 * 2 * 2 * 2 * 4
    for codes in specs.factors.values():  # every value of every choice equally often
        assert len(set(np.bincount(codes))) == 1
    assert specs.measure[0] == 0 and specs.geometric[0] and specs.gate[0]
    assert np.allclose(specs.weights[0], [c.weight for c in components])
    # each cell reads its own variant: today's rule under measure b is b itself
    today_b = (specs.factors["measure"] == 1) & (specs.factors["exposure_rule"] == 0) & (
        specs.factors["shelter_public_share"] == 0) & (specs.factors["count_uncounted_jobs"]
                                                       == 0)
    assert (specs.measure[today_b] == 1).all()
    assert set(specs.measure[~today_b & (specs.factors["measure"] == 1)]) == {
        2 + i for i, v in enumerate(variants) if v[0] == "b"}


def test_bad_choices_are_one_line_config_errors():
    with pytest.raises(ConfigError, match="uncertainty.choices.exposure_rule"):
        load_config().with_overrides(
            {"uncertainty": {"choices": {"exposure_rule": ["substitutable", "linear"]}}})
    with pytest.raises(ConfigError, match="uncertainty.choices.weight_draws"):
        load_config().with_overrides({"uncertainty": {"choices": {"weight_draws": 0}}})
    with pytest.raises(ConfigError, match="uncertainty.choices.absorption_gate"):
        load_config().with_overrides({"uncertainty": {"choices": {"absorption_gate": []}}})


def test_todays_variant_reproduces_the_engine_indicators(atlas_con):
    config = load_config()
    choices = choice_settings(config)
    levels = ["us_area", "us_state", "cn_city", "country"]
    measures = [config.exposure.default_measure, "felten_aioe_pct"]
    table = variant_table(atlas_con, levels, measures, choices)
    today = table.loc[(table["rule"] == "substitutable") & table["shelter"]
                      & table["uncounted"]]
    engine = atlas_con.execute("SELECT level, region_id, measure, substitutable_share AS s, "
                               "substitutable_excess AS x FROM region_exposure").df()
    both = today.merge(engine, on=["level", "region_id", "measure"])
    assert len(both) == len(today) > 1000
    assert np.allclose(both["substitutable_share"], both["s"], atol=1e-9, equal_nan=True)
    assert np.allclose(both["substitutable_excess"], both["x"], atol=1e-9, equal_nan=True)
    # turning a correction off moves the figures where it applies, and only there
    off = table.loc[(table["rule"] == "substitutable") & table["shelter"] & ~table["uncounted"]]
    moved = off.merge(today, on=["level", "region_id", "measure"])
    country = moved["level"] == "country"  # no uncounted workers declared for countries
    assert np.allclose(moved.loc[country, "substitutable_share_x"],
                       moved.loc[country, "substitutable_share_y"], equal_nan=True)
    uncounted = atlas_con.execute("SELECT level, region_id FROM region_context WHERE "
                                  "indicator = 'uncounted_jobs' AND value > 0").df()
    has = moved.merge(uncounted.assign(u=True), how="left", on=["level", "region_id"])[
        "u"].fillna(False).to_numpy(bool)
    share = moved[["substitutable_share_x", "substitutable_share_y"]].dropna()
    larger = share["substitutable_share_x"] > share["substitutable_share_y"]
    # without them in the denominator the share is larger exactly where a place has some
    assert (larger == has[share.index]).all() and has[(moved["level"] == "cn_city")].mean() > 0.8


@pytest.mark.parametrize("level", ["us_area", "cn_city"])
def test_todays_factorial_cell_reproduces_risk_rank(atlas_con, level):
    config = load_config()
    model, choices = active_model(config), choice_settings(config)
    inputs = level_inputs(atlas_con, level, model, config.exposure.default_measure)
    measures = sorted(inputs.by_measure, key=lambda m: (m != inputs.default_measure, m))
    table = variant_table(atlas_con, [level], measures[:2], choices)
    inputs.variants = level_variants(table, level, inputs.region_ids, choices)
    variants = sorted(inputs.variants, key=str)
    scores = np.stack([component_scores(inputs, m) for m in [*measures, *variants]])
    specs = factorial(model, inputs.components, measures, variants,
                      [model.aggregation], choices, config.uncertainty)
    risk, _ = specification_risk(model, scores, specs, inputs.components, inputs.gated)
    ranks = rank_order(risk, inputs.size, inputs.region_ids)
    engine = atlas_con.execute("SELECT risk_rank FROM region_indices WHERE level = ? "
                               "ORDER BY region_id", [level]).df()["risk_rank"].to_numpy()
    assert all(codes[0] == 0 for codes in specs.factors.values())
    assert (ranks[0] == engine).all()
    assert not (ranks[1:] == engine).all(axis=1).all()  # the other cells move something


def test_rank_sensitivity_and_robust_traps(atlas_con):
    config = load_config()
    table = atlas_con.execute("SELECT * FROM rank_sensitivity").df()
    assert set(table["choice"]) >= {"exposure_rule", "shelter_public_share",
                                    "count_uncounted_jobs", "absorption_gate", "absorption_mean",
                                    "weights",
                                    "measure", "aggregation", "substitution_threshold"}
    ranked = table.dropna(subset=["first_order"])
    assert ranked["first_order"].between(0, 1).all() and len(ranked) > 20
    assert (table["n_specs"] >= 2000).all()
    weights = table.loc[table["choice"] == "weights", "n_values"]
    assert (weights == config.uncertainty.choices.weight_draws).all()
    doubtful = atlas_con.execute("""
        SELECT count(*) FROM rank_uncertainty AS u
        JOIN region_risk AS r USING (level, region_id)
        LEFT JOIN region_flags AS f USING (level, region_id)
        WHERE u.flag_robust_trap AND (r.missing_components > 0
                                      OR coalesce(f.flag_low_confidence, false))""").fetchone()
    assert doubtful[0] == 0
    countries = atlas_con.execute("""
        SELECT count(*) FROM rank_uncertainty AS u JOIN region_risk AS r USING (level,
        region_id) WHERE u.level = 'country' AND r.missing_components > 0""").fetchone()[0]
    assert countries > 0  # the rule above had countries with missing components to exclude


def test_the_absorption_mean_by_hand():
    """Component scores 0.25 and 1.0 with equal weights: the arithmetic mean 0.625, the
    geometric mean 0.5; a third region lacking its second score keeps its one score."""
    model = RiskModel("hand", "hand", "geometric", "mean", (
        Pillar("absorption", "absorption", 1.0),), (
        Component("a", "a", "absorption", "x", "higher", "percentile", 1.0),
        Component("b", "b", "absorption", "y", "higher", "percentile", 1.0)))
    scores = np.array([[[0.25, 1.0], [0.5, 0.5], [0.64, np.nan]]])  # (measures, regions, K)
    specs = Specifications(np.zeros(2, np.int64), np.ones(2, bool), np.ones((2, 2)),
                           np.ones((2, 1)), inner_geometric=np.array([False, True]),
                           inner_pillar="absorption")
    risk, lowest = specification_risk(model, scores, specs, list(model.components))
    assert risk[0].tolist() == pytest.approx([0.625, 0.5, 0.64])
    assert risk[1].tolist() == pytest.approx([0.5, 0.5, 0.64])
    assert np.allclose(lowest, risk)


def test_the_factorial_crosses_the_absorption_mean():
    model = active_model(load_config())
    components = model.components_for("us_area")
    choices = Choices(absorption_mean=("arithmetic", "geometric"), weight_draws=2)
    specs = factorial(model, components, ["a"], [], ["geometric"], choices,
                      load_config().uncertainty)
    assert len(specs) == 2 * 2 and specs.inner_pillar == "absorption"
    assert specs.inner_geometric.tolist() == (specs.factors["absorption_mean"] == 1).tolist()
    assert specs.inner_geometric.sum() == 2


def test_blocks_of_specifications_give_the_same_distribution(monkeypatch):
    """Aggregating and ranking the specifications a few at a time (ragged last block) gives
    the frame and the sensitivity of one block of all of them, value for value."""
    from atlas.engine import uncertainty

    settings = replace(SETTINGS, draws=40, aggregations=("geometric", "arithmetic"),
                       leave_one_out=True)
    choices = Choices(exposure_rule=("substitutable", "continuous"), weight_draws=3)
    whole = level_uncertainty(toy_level(), MODEL, settings, TRAP, choices)
    monkeypatch.setattr(uncertainty, "SPEC_ROWS", 7)
    blocked = level_uncertainty(toy_level(), MODEL, settings, TRAP, choices)
    assert whole[0]["n_specs"].iloc[0] > 7 * 3
    pd.testing.assert_frame_equal(whole[0], blocked[0], check_exact=True)
    pd.testing.assert_frame_equal(whole[1], blocked[1], check_exact=True)
