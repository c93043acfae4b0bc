"""The substitution threshold as a structural choice of the uncertainty grid (issue #28 item 6):
the sources step's shares at each threshold, the variant indicators, the factorial."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest

from atlas.engine.uncertainty_choices import (
    Choices,
    choice_settings,
    factorial,
    rule_name,
    variant_table,
)
from atlas.errors import ConfigError
from atlas.sources.scores import derive, substitutable_variants, with_substitutable
from atlas.spec.config import load_config
from atlas.spec.risk_model import active_model

THRESHOLDS = (0.4, 0.5, 0.6)


def occupations() -> pd.DataFrame:
    """Two occupations, both automatable (0.8): a exposed 0.45, b exposed 0.55."""
    return pd.DataFrame({"measure": ["beta", "beta", "auto", "auto"],
                         "code": ["a", "b", "a", "b"], "score": [0.45, 0.55, 0.8, 0.8],
                         "ge_10": 1.0, "ge_50": [0.0, 1.0, 1.0, 1.0]})


def test_a_score_of_045_is_substitutable_at_04_not_at_05():
    out = with_substitutable(occupations(), "auto", 0.5, 0.5, variant_thresholds=THRESHOLDS)
    beta = out.loc[out["measure"] == "beta"].set_index("code")
    assert beta["substitutable@0.4"].tolist() == [1.0, 1.0]
    assert beta["substitutable@0.5"].tolist() == [0.0, 1.0]
    assert beta["substitutable@0.6"].tolist() == [0.0, 0.0]
    # today's threshold gives today's column
    assert (beta["substitutable@0.5"] == beta["substitutable"]).all()


def test_derive_carries_each_threshold_by_the_weighted_mean():
    scores = with_substitutable(occupations(), "auto", 0.5, 0.5, variant_thresholds=THRESHOLDS)
    mapping = pd.DataFrame({"from_code": ["a", "b"], "to_code": ["x", "x"],
                            "weight": [3.0, 1.0]})
    out = derive(scores, mapping).set_index("measure").loc["beta"]
    assert out["substitutable@0.4"] == pytest.approx(1.0)
    assert out["substitutable@0.5"] == pytest.approx(0.25) == out["substitutable"]
    assert out["substitutable@0.6"] == pytest.approx(0.0)
    long = substitutable_variants(derive(scores, mapping), ["measure", "code"])
    assert sorted(long.loc[long["measure"] == "beta", "threshold"]) == list(THRESHOLDS)


def tiny_atlas() -> duckdb.DuckDBPyConnection:
    """One level of two regions over the two occupations (diversity groups ga, gb), the
    level its own reference: r1 has 30 jobs in a, 70 in b; r2 80 in a, 20 in b."""
    scores = with_substitutable(occupations(), "auto", 0.5, 0.5,
                                variant_thresholds=THRESHOLDS).assign(taxonomy="t")
    con = duckdb.connect()
    con.register("s", scores.rename(columns={"code": "category"}))
    con.register("v", substitutable_variants(scores.rename(columns={"code": "category"}),
                                             ["taxonomy", "category", "measure"]))
    con.execute("CREATE TABLE exposure_scores AS SELECT * FROM s")
    con.execute("CREATE TABLE category_substitutable_variants AS SELECT * FROM v")
    con.execute("CREATE TABLE levels AS SELECT 'toy' AS level, 't' AS taxonomy, "
                "NULL::VARCHAR AS reference_level")
    con.execute("CREATE TABLE categories AS SELECT * FROM (VALUES ('t', 'a', 'ga'), "
                "('t', 'b', 'gb')) AS c(taxonomy, category, diversity_group)")
    con.execute("CREATE TABLE employment AS SELECT * FROM (VALUES ('toy', 'r1', 'a', 30.0), "
                "('toy', 'r1', 'b', 70.0), ('toy', 'r2', 'a', 80.0), ('toy', 'r2', 'b', 20.0)) "
                "AS e(level, region_id, category, employment)")
    con.execute("CREATE TABLE region_measure_sums AS SELECT level, region_id, "
                "sum(employment) AS total_employment FROM employment GROUP BY ALL")
    return con


def test_variant_indicators_at_each_threshold_by_hand():
    choices = Choices(substitution_threshold=THRESHOLDS[1:2] + THRESHOLDS[::2])  # 0.5 first
    table = variant_table(tiny_atlas(), ["toy"], ["beta"], choices)
    today = table.loc[table["shelter"] & table["uncounted"]].set_index(["rule", "region_id"])
    # 0.5: only b counts; shares 0.7 and 0.2; reference b share 90/200 = 0.45
    assert today.loc[("substitutable", "r1"), "substitutable_share"] == pytest.approx(0.7)
    assert today.loc[("substitutable", "r2"), "substitutable_share"] == pytest.approx(0.2)
    assert today.loc[("substitutable", "r1"), "substitutable_excess"] == pytest.approx(0.25)
    assert today.loc[("substitutable", "r2"), "substitutable_excess"] == pytest.approx(0.0)
    # 0.4: a (0.45) counts too: every job; reference shares ga 0.55, gb 0.45
    low = rule_name(0.4)
    assert today.loc[(low, "r1"), "substitutable_share"] == pytest.approx(1.0)
    assert today.loc[(low, "r2"), "substitutable_share"] == pytest.approx(1.0)
    assert today.loc[(low, "r1"), "substitutable_excess"] == pytest.approx(0.7 - 0.45)
    assert today.loc[(low, "r2"), "substitutable_excess"] == pytest.approx(0.8 - 0.55)
    # 0.6: nothing counts
    assert (today.loc[rule_name(0.6), "substitutable_share"] == 0).all()
    # the continuous rule has no threshold: one set of rows
    assert set(table["rule"]) == {"substitutable", "continuous", low, rule_name(0.6)}


def test_factorial_crosses_the_thresholds_and_stays_balanced():
    model = active_model(load_config())
    components = model.components_for("us_area")
    choices = Choices(("substitutable", "continuous"), weight_draws=2,
                      substitution_threshold=(0.5, 0.4, 0.6))
    variants = [("a", "continuous", True, True), ("a", rule_name(0.4), True, True),
                ("a", rule_name(0.6), True, True)]
    specs = factorial(model, components, ["a"], variants, ["geometric"], choices,
                      load_config().uncertainty)
    assert len(specs) == 2 * 2 * 3
    for codes in specs.factors.values():
        assert len(set(np.bincount(codes))) == 1
    rule, threshold = specs.factors["exposure_rule"], specs.factors["substitution_threshold"]
    # substitutable cells read today's scores (0) or the threshold's variant (2, 3);
    # continuous cells read the continuous variant (1) whatever the threshold
    assert set(specs.measure[(rule == 0) & (threshold == 0)]) == {0}
    assert set(specs.measure[(rule == 0) & (threshold == 1)]) == {2}
    assert set(specs.measure[(rule == 0) & (threshold == 2)]) == {3}
    assert set(specs.measure[rule == 1]) == {1}


def test_choice_settings_put_todays_threshold_first_and_check_the_list():
    config = load_config()
    today = config.exposure.substitutable_exposure

    def thresholds(values: list[float]):
        return config.with_overrides(
            {"uncertainty": {"choices": {"substitution_threshold": values}}})

    assert choice_settings(config).substitution_threshold[0] == today
    assert choice_settings(thresholds([0.6, 0.4])).substitution_threshold == (
        today, 0.6, 0.4)  # today's added
    assert choice_settings(thresholds([today])).substitution_threshold == (today,)  # fixed
    with pytest.raises(ConfigError, match="uncertainty.choices.substitution_threshold"):
        thresholds([0.4, 1.5])
    with pytest.raises(ConfigError, match="uncertainty.choices.substitution_threshold"):
        thresholds([])


def test_real_shares_at_todays_threshold_are_the_engines(atlas_con):
    config = load_config()
    today = config.exposure.substitutable_exposure
    both = atlas_con.execute("""
        SELECT v.substitutable AS variant, s.substitutable AS engine
        FROM category_substitutable_variants AS v
        JOIN exposure_scores AS s USING (taxonomy, category, measure)
        WHERE v.threshold = ?""", [today]).df()
    engine = atlas_con.execute("SELECT count(*) FROM exposure_scores WHERE substitutable "
                               "IS NOT NULL").fetchone()[0]
    assert len(both) == engine > 1000
    assert np.abs(both["variant"] - both["engine"]).max() <= 1e-12
    # a lower threshold never makes fewer jobs substitutable
    ordered = atlas_con.execute("""
        SELECT count(*) FILTER (WHERE lo.substitutable < hi.substitutable - 1e-12), count(*)
        FROM category_substitutable_variants AS lo
        JOIN category_substitutable_variants AS hi USING (taxonomy, category, measure)
        WHERE lo.threshold < hi.threshold""").fetchone()
    assert ordered[0] == 0 and ordered[1] > 1000
    taxonomies = {row[0] for row in atlas_con.execute(
        "SELECT DISTINCT taxonomy FROM category_substitutable_variants").fetchall()}
    assert len(taxonomies) >= 3  # carried to the Chinese and country categories too


def test_real_variant_at_todays_threshold_reproduces_the_engine_share(atlas_con):
    """With 0.4 taken as today's, the 0.5 variant (from category_substitutable_variants)
    gives region_exposure's substitutable share and excess again."""
    config = load_config()
    today = config.exposure.substitutable_exposure
    choices = replace(choice_settings(config), substitution_threshold=(0.4, today))
    measures = [config.exposure.default_measure]
    table = variant_table(atlas_con, ["us_area", "cn_city", "country"], measures, choices)
    variant = table.loc[(table["rule"] == rule_name(today)) & table["shelter"]
                        & table["uncounted"]]
    engine = atlas_con.execute("SELECT level, region_id, measure, substitutable_share AS s, "
                               "substitutable_excess AS x FROM region_exposure").df()
    both = variant.merge(engine, on=["level", "region_id", "measure"])
    assert len(both) == len(variant) > 1000
    assert np.allclose(both["substitutable_share"], both["s"], atol=1e-9, equal_nan=True)
    assert np.allclose(both["substitutable_excess"], both["x"], atol=1e-9, equal_nan=True)
    # at 0.4 (a variant now, today's 0.5 the engine's) no share is smaller, most larger
    table = variant_table(atlas_con, ["us_area", "cn_city", "country"], measures,
                          replace(choice_settings(config), substitution_threshold=(today, 0.4)))
    lower = table.loc[(table["rule"] == rule_name(0.4)) & table["shelter"]
                      & table["uncounted"]].merge(both, on=["level", "region_id", "measure"])
    assert len(lower) == len(both)
    assert (lower["substitutable_share_x"] >= lower["substitutable_share_y"] - 1e-12).all()
    assert (lower["substitutable_share_x"] > lower["substitutable_share_y"] + 1e-6).mean() > 0.5


def test_rank_sensitivity_lists_the_threshold(atlas_con):
    config = load_config()
    table = atlas_con.execute("SELECT * FROM rank_sensitivity WHERE choice = "
                              "'substitution_threshold'").df()
    levels = atlas_con.execute("SELECT DISTINCT level FROM rank_sensitivity").df()
    assert len(table) == len(levels) > 3
    values = len(set(config.uncertainty.choices.substitution_threshold))
    assert (table["n_values"] == values).all() and values == 3
    ranked = table.dropna(subset=["first_order"])  # NaN: the top decile never moves
    assert len(ranked) >= 3 and ranked["first_order"].between(0, 1).all()
    assert (ranked["first_order"] > 0).any()
    assert (table["n_specs"] >= 2000).all()
