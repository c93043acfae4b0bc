"""Trap model v3, each correction by hand on the tiny level (``tests/tiny.py``: R1 = A 60,
B 40; R2 = A 10, B 10, C 80; nation N = A 70, B 50, C 80; only A is substitutable; groups
G1 = A + B, G2 = C), and each one off reproducing the model of 2026-11-27."""

from __future__ import annotations

import pandas as pd
import pytest

from atlas.errors import ConfigError
from atlas.exports.allocation import pool_tiers
from atlas.sources.staffing import public_shares
from atlas.sources.us.context import uncounted_jobs
from atlas.spec.config import load_config
from atlas.spec.config_types import AtlasConfig
from tests.tiny import tiny_config, tiny_database

PUBLIC_A = {"category_public_share": pd.DataFrame(
    {"taxonomy": ["t"], "category": ["A"], "public_share": [0.25]})}


def indices(con, columns: str) -> pd.DataFrame:
    return con.execute(f"SELECT region_id, {columns} FROM region_indices WHERE level = 'tiny' "
                       "ORDER BY region_id").df().set_index("region_id")


def test_public_shares_from_the_staffing_matrix_by_hand():
    table = pd.DataFrame({
        "industry_code": ["000001", "999001", "000001", "999001", "000001", "311000"],
        "soc_code": ["43-6014", "43-6014", "33-3051", "33-3051", "15-1252", "43-6014"],
        "tot_emp": [1_600_000, 400_000, 10_000, 990_000, 1_000_000, 5_000]})
    shares = public_shares(table).set_index("category")["public_share"]
    # 400k / (1.6M + 0.4M); police 990k / 1M; no government row: left out; 311000 ignored
    assert shares.to_dict() == pytest.approx({"33-3051": 0.99, "43-6014": 0.2})


def test_a_public_share_is_sheltered_by_hand():
    """A is 25% publicly funded: R1 60 x 0.75 / 100 = 0.45, R2 10 x 0.75 / 100 = 0.075;
    the nation 70 x 0.75 / 200 = 0.2625, so R1's excess in G1 is 0.45 - 0.2625."""
    rows = indices(tiny_database(tables=PUBLIC_A),
                   "substitutable_share, substitutable_excess, exposure_mean")
    assert rows.substitutable_share.to_dict() == pytest.approx({"R1": 0.45, "R2": 0.075})
    assert rows.loc["R1", "substitutable_excess"] == pytest.approx(0.45 - 0.2625)
    assert rows.loc["R1", "exposure_mean"] == pytest.approx(0.6)  # exposure is unchanged
    off = tiny_config().replaced("exposure.shelter_public_share", False)
    rows = indices(tiny_database(tables=PUBLIC_A, config=off), "substitutable_share")
    assert rows.substitutable_share.to_dict() == pytest.approx({"R1": 0.6, "R2": 0.1})


def test_uncounted_jobs_by_hand():
    # county ratios 0.4, 0.5, 0.6: r = 0.5; 1,000 people with 400 in the labour force
    population = pd.Series([1000.0, 1000.0, 1000.0, None])
    labour = pd.Series([400.0, 500.0, 600.0, 50.0])
    assert uncounted_jobs(population, labour).tolist()[:3] == pytest.approx([100.0, 0.0, 0.0])
    assert pd.isna(uncounted_jobs(population, labour).iloc[3])


UNCOUNTED = [("tiny", "R1", "uncounted_jobs", 50.0), ("tiny_nation", "N", "uncounted_jobs", 40.0)]


def test_uncounted_jobs_join_the_denominator_by_hand():
    """R1: 60 substitutable of 100 + 50 = 0.4 (60 jobs); the nation 70 / 240; R1's excess
    in G1 0.4 - 70 / 240; R2 (none uncounted) keeps 0.1 and no excess."""
    con = tiny_database(more_context=UNCOUNTED)
    rows = indices(con, "substitutable_share, substitutable_jobs, substitutable_excess, "
                        "uncounted_employment, reference_substitutable_share")
    assert rows.substitutable_share.to_dict() == pytest.approx({"R1": 0.4, "R2": 0.1})
    assert rows.loc["R1", "substitutable_jobs"] == pytest.approx(60.0)
    assert rows.loc["R1", "uncounted_employment"] == 50.0
    assert rows.substitutable_excess.to_dict() == pytest.approx(
        {"R1": 0.4 - 70 / 240, "R2": 0.0})
    assert rows.reference_substitutable_share.iloc[0] == pytest.approx(70 / 240)
    # the same under every measure (what the uncertainty analysis reads)
    share = con.execute("SELECT substitutable_share FROM region_exposure WHERE level = 'tiny' "
                        "AND region_id = 'R1' AND measure = 'm'").fetchone()[0]
    assert share == pytest.approx(0.4)
    off = tiny_config().replaced("exposure.count_uncounted_jobs", False)
    rows = indices(tiny_database(more_context=UNCOUNTED, config=off),
                   "substitutable_share, substitutable_excess, uncounted_employment")
    assert rows.substitutable_share.to_dict() == pytest.approx({"R1": 0.6, "R2": 0.1})
    assert rows.loc["R1", "substitutable_excess"] == pytest.approx(0.6 - 0.35)
    assert rows.uncounted_employment.tolist() == [0.0, 0.0]


def test_a_trap_needs_an_absolute_shock_by_hand():
    """Ten extra regions X0..X9 hold only A (share 1); R2's share 0.1 is below the
    nation's 70 / 200 = 0.35, R1's 0.6 above; with a ratio of 2 the floor is 0.7."""
    rows = indices(tiny_database(extra_regions=10),
                   "substitutable_share, above_shock_floor, reference_substitutable_share, "
                   "flag_trap")
    assert rows.reference_substitutable_share.iloc[0] == pytest.approx(0.35)
    assert rows.loc["R1", "above_shock_floor"] and not rows.loc["R2", "above_shock_floor"]
    assert not (rows.flag_trap & ~rows.above_shock_floor).any()
    config = tiny_config()
    config = config.replaced("flags.trap_min_shock_ratio", 2.0)
    rows = indices(tiny_database(extra_regions=10, config=config), "above_shock_floor")
    assert not rows.loc["R1", "above_shock_floor"] and rows.loc["X0", "above_shock_floor"]


def test_the_floor_is_rendered_from_the_config():
    from atlas.texts.method_text import flag_texts

    config = load_config()
    config = config.replaced("flags.trap_min_shock_ratio", 1.5)
    assert "substitutable share of at least 1.5 times the national" in flag_texts(config)[
        "trap"]
    config = config.replaced("flags.trap_min_shock_ratio", 0.0)
    assert "absolute shock" not in flag_texts(config)["trap"]


PERCENT = {"context_indicators": pd.DataFrame({
    "level": ["tiny_nation"], "indicator": ["employment_change"], "label": ["change"],
    "unit": ["percent"], "formula": [""], "source": [""], "vintage": [""]})}


def absorption_scores(config=None, nation_change=0.0, tables=PERCENT) -> dict[str, float]:
    con = tiny_database(config=config, tables=tables, more_context=[
        ("tiny_nation", "N", "employment_change", nation_change)])
    return dict(con.execute("SELECT region_id, pillar_score FROM region_pillars WHERE "
                            "level = 'tiny' AND pillar = 'absorption'").fetchall())


def test_a_place_that_grew_faster_than_its_nation_is_gated_by_hand():
    """R2 grew 5% while the nation grew 0%: its absorption score is capped at its
    prior-decline score. Default context: means R1 (0.75 + 0.25 + 0.75) / 3 and R2
    (0.25 + 0.75 + 0.25) / 3 give scores 0.75 and 0.25, and the cap min(0.25, 0.25) changes
    nothing; without the diversity component the two means tie and only R2 is capped."""
    assert absorption_scores() == pytest.approx({"R1": 0.75, "R2": 0.25})
    context = {"R1": {"employment_change": -10.0, "unemployment_persistent": 1.0},
               "R2": {"employment_change": 5.0, "unemployment_persistent": 9.0}}
    con = tiny_database(tables=PERCENT, context=context, more_context=[
        ("tiny_nation", "N", "employment_change", 0.0)])
    query = ("SELECT region_id, pillar_mean, pillar_score FROM region_pillars WHERE "
             "level = 'tiny' AND pillar = 'absorption'")
    rows = {r: (m, s) for r, m, s in con.execute(query).fetchall()}
    # R1: decline 0.75, unemployment 0.25, diversity 0.75; R2: 0.25, 0.75, 0.25
    assert rows["R1"][0] == pytest.approx(1.75 / 3) and rows["R2"][0] == pytest.approx(1.25 / 3)
    weights = tiny_config().with_overrides({"risk": {"weights": {"lack_of_diversity": 0.0}}})
    con = tiny_database(tables=PERCENT, context=context, config=weights, more_context=[
        ("tiny_nation", "N", "employment_change", 0.0)])
    rows = {r: (m, s) for r, m, s in con.execute(query).fetchall()}
    # without diversity: R1 (0.75 + 0.25) / 2 = 0.5, R2 (0.25 + 0.75) / 2 = 0.5: a tie, both
    # score 0.5; R2 grew faster than the nation: min(0.5, 0.25)
    assert rows["R1"] == pytest.approx((0.5, 0.5))
    assert rows["R2"] == pytest.approx((0.5, 0.25))
    off = tiny_config().with_overrides({"risk": {
        "weights": {"lack_of_diversity": 0.0},
        "models": {"trap": {"pillars": {"absorption": {"gate": ""}}}}}})
    con = tiny_database(tables=PERCENT, context=context, config=off, more_context=[
        ("tiny_nation", "N", "employment_change", 0.0)])
    assert dict(con.execute("SELECT region_id, pillar_score FROM region_pillars WHERE level = "
                            "'tiny' AND pillar = 'absorption'").fetchall()) == pytest.approx(
        {"R1": 0.5, "R2": 0.5})
    # the nation grew 20%: R2 grew slower, no gate
    con = tiny_database(tables=PERCENT, context=context, config=weights, more_context=[
        ("tiny_nation", "N", "employment_change", 20.0)])
    assert dict(con.execute(query.replace("pillar_mean, ", "")).fetchall())["R2"] == 0.5
    # the change of a ratio in percentage points is not a percent change: no gate
    points = {"context_indicators": PERCENT["context_indicators"].assign(
        unit="percentage points")}
    con = tiny_database(tables=points, context=context, config=weights, more_context=[
        ("tiny_nation", "N", "employment_change", 0.0)])
    assert dict(con.execute(query.replace("pillar_mean, ", "")).fetchall())["R2"] == 0.5


def test_the_reference_change_is_that_of_the_summed_jobs():
    """Two reference regions of 100 and 300 jobs that grew 0% and 50%: they had 100 + 200
    jobs, now 400, so the reference grew 33.3%."""
    con = tiny_database(tables=PERCENT | {"levels": pd.DataFrame({
        "level": ["tiny", "tiny_nation"], "taxonomy": ["t", "t"],
        "reference_level": ["tiny", "tiny_nation"], "description": ["", ""]}),
        "context_indicators": PERCENT["context_indicators"].assign(level="tiny")},
        context={"R1": {"employment_change": 0.0, "unemployment_persistent": 4.0},
                 "R2": {"employment_change": 50.0, "unemployment_persistent": 8.0}})
    reference = con.execute("SELECT DISTINCT reference_change FROM region_gates "
                            "WHERE level = 'tiny'").fetchone()[0]
    assert reference == pytest.approx(100 * (200 / (100 + 100 / 1.5) - 1))


def test_a_gate_must_be_a_component_of_its_pillar():
    """Checked when the configuration is parsed (one pass), naming the key."""
    gate = {"risk": {"models": {"trap": {"pillars": {"absorption": {
        "gate": "substitutable_share"}}}}}}
    with pytest.raises(ConfigError, match="pillars.absorption.gate"):
        tiny_config().with_overrides(gate)


def test_tier_pooling_is_the_pool_adjacent_violators_rule():
    assert pool_tiers([[1], [2]], [10, 10], [1, 0]) == ([[1], [2]], [10, 10])


def model_of_2026_11_27() -> AtlasConfig:
    """The default configuration with every v3 correction off."""
    config = load_config()
    components = config.to_dict()["risk"]["models"]["trap"]["components"]
    for component in components:
        if component["indicator"] == "child_poverty_rate":
            component.update(indicator="poverty_rate", label="Poverty")
    return config.with_overrides({
        "exposure": {"shelter_public_share": False, "count_uncounted_jobs": False},
        "flags": {"trap_min_shock_ratio": 0.0,
                  "rank_within_groups": False},  # countries ranked over the world
        "risk": {"models": {"trap": {"pillars": {"absorption": {"gate": ""}},
                                     "components": components}}}})


@pytest.mark.realdata
def test_every_correction_off_reproduces_the_published_model(built_atlas, tmp_path):
    """The figures of the 2026-11-27 atlas (README, issue 28): 48 US-area, 30 Chinese-city,
    9 country and 6 state traps, and the collapse risk of each level's first place."""
    import shutil

    import duckdb

    from atlas.engine.core import compute_indices

    copy = tmp_path / "atlas.duckdb"
    shutil.copy(built_atlas, copy)
    con = duckdb.connect(str(copy))
    compute_indices(con, model_of_2026_11_27())
    traps = dict(con.execute("SELECT level, sum(flag_trap::INT) FROM region_indices "
                             "GROUP BY level").fetchall())
    assert {k: traps[k] for k in ("us_area", "cn_city", "country", "us_state")} == {
        "us_area": 48, "cn_city": 30, "country": 9, "us_state": 6}
    first = dict(con.execute("SELECT region_id, collapse_risk FROM region_indices "
                             "WHERE risk_rank = 1 AND level IN ('us_area', 'cn_city', "
                             "'country', 'us_state')").fetchall())
    assert first == pytest.approx({"41980": 0.950678, "231000": 0.929053, "DJI": 0.830915,
                                   "11": 0.903573}, abs=5e-7)
    con.close()


@pytest.mark.realdata
def test_child_poverty_matches_the_published_national_rate(atlas_con):
    # SAIPE 2023: 16.0% of children under 18 in poverty (all ages: 12.5%)
    rates = dict(atlas_con.execute(
        "SELECT indicator, value FROM region_context WHERE level = 'us_nation' "
        "AND indicator IN ('child_poverty_rate', 'poverty_rate')").fetchall())
    assert round(rates["child_poverty_rate"], 1) == 16.0
    assert round(rates["poverty_rate"], 1) == 12.5


@pytest.mark.realdata
def test_v3_on_the_real_atlas(atlas_con):
    """Publicly funded shares are sheltered (the nation's substitutable share falls below
    the 21.5% of every job), every trap has an absolute shock, China's denominators include
    the private and individual workers, and growing places are gated."""
    nation = atlas_con.execute("SELECT substitutable_share, uncounted_employment FROM "
                               "region_indices WHERE level = 'us_nation'").fetchone()
    assert 0.15 < nation[0] < 0.215 and nation[1] > 0
    assert atlas_con.execute("SELECT count(*) FROM region_indices WHERE flag_trap AND NOT "
                             "above_shock_floor").fetchone()[0] == 0
    police = atlas_con.execute("SELECT public_share FROM sheltered_categories "
                               "WHERE category = '33-3051'").fetchone()[0]
    assert police > 0.9  # police and sheriff's patrol officers: public budgets
    gated = dict(atlas_con.execute("SELECT level, count(*) FILTER (WHERE gated) FROM "
                                   "region_gates GROUP BY level").fetchall())
    assert gated["us_area"] > 0 and gated["cn_city"] > 0 and gated["country"] == 0
    cn = atlas_con.execute("SELECT count(*) FILTER (WHERE uncounted_employment > 0), count(*) "
                           "FROM region_indices WHERE level = 'cn_city'").fetchone()
    assert cn[0] > 0.8 * cn[1]  # 250 of 294: some cities publish no private workers
