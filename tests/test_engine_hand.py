"""The engine's indices against values computed by hand on a tiny composition."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from atlas.engine.core import compute_indices
from atlas.errors import AtlasError
from tests.tiny import tiny_config, tiny_database


@pytest.fixture(scope="module")
def rows():
    con = tiny_database()
    frame = con.execute("SELECT * FROM region_indices WHERE level = 'tiny'").df()
    return frame.set_index("region_id")


def test_exposure_of_region_one(rows):
    r1 = rows.loc["R1"]
    # (60*0.8 + 40*0.3) / 100
    assert r1.exposure_mean == pytest.approx(0.6)
    assert r1.share_ge_10 == pytest.approx(1.0)
    assert r1.share_ge_50 == pytest.approx(0.6)
    assert r1.vulnerable_share == pytest.approx(0.6)
    assert r1.exposed_jobs == pytest.approx(60.0)
    assert r1.coverage == pytest.approx(1.0)


def test_diversity_of_region_one(rows):
    r1 = rows.loc["R1"]
    s = [0.6, 0.4]
    entropy = -sum(x * math.log(x) for x in s)
    assert r1.entropy_norm == pytest.approx(entropy / math.log(3))  # N = 3 reference categories
    assert r1.hhi == pytest.approx(0.52)
    assert r1.effective_n == pytest.approx(1 / 0.52)
    ref = {"A": 70 / 200, "B": 50 / 200, "C": 80 / 200}
    assert r1.hachman == pytest.approx(1 / (0.6**2 / ref["A"] + 0.4**2 / ref["B"]))
    assert r1.krugman == pytest.approx(abs(0.6 - 0.35) + abs(0.4 - 0.25) + 0.4)


def test_diversity_of_region_two(rows):
    r2 = rows.loc["R2"]
    assert r2.hhi == pytest.approx(0.01 + 0.01 + 0.64)
    assert r2.krugman == pytest.approx(abs(0.1 - 0.35) + abs(0.1 - 0.25) + abs(0.8 - 0.4))


def test_substitutable_indicators_by_hand(rows):
    # only A (score 0.8, automation 0.8) is substitutable; nation N: A 70 of 200 jobs
    r1, r2 = rows.loc["R1"], rows.loc["R2"]
    assert (r1.substitutable_share, r2.substitutable_share) == pytest.approx((0.6, 0.1))
    assert r1.substitutable_jobs == pytest.approx(60.0)
    # excess by group: G1 (A, B) reference 70/200 = 0.35 substitutable; G2 (C) 0
    assert r1.substitutable_excess == pytest.approx(0.6 - 0.35)
    assert r2.substitutable_excess == pytest.approx(0.0)  # 0.1 < 0.35: no excess


def test_group_entropy_by_hand(rows):
    # groups G1 = A + B, G2 = C; two groups in the reference, so / ln 2
    assert rows.loc["R1"].group_entropy == pytest.approx(0.0)  # all jobs in G1
    expected = -(0.2 * math.log(0.2) + 0.8 * math.log(0.8)) / math.log(2)
    assert rows.loc["R2"].group_entropy == pytest.approx(expected)
    ref = {"G1": 120 / 200, "G2": 80 / 200}
    assert rows.loc["R2"].group_hachman == pytest.approx(
        1 / (0.2 ** 2 / ref["G1"] + 0.8 ** 2 / ref["G2"]))


def test_trap_model_by_hand(rows):
    """Two regions: every mid-rank percentile is 0.25 (lower) or 0.75 (higher).

    R1 is riskier on substitutable share (0.6 > 0.1), excess (0.25 > 0), prior decline
    (-10% < +5%) and lack of diversity (entropy 0 < 0.72); R2 on unemployment (8 > 4).
    shock: R1 0.75, R2 0.25; absorption means R1 (0.75+0.25+0.75)/3, R2 (0.25+0.75+0.25)/3;
    pillar scores are their percentiles, 0.75 and 0.25; risk = sqrt(S_shock S_absorption).
    """
    r1, r2 = rows.loc["R1"], rows.loc["R2"]
    assert (r1.risk_p_substitutable_share, r2.risk_p_substitutable_share) == (0.75, 0.25)
    assert (r1.risk_p_persistent_unemployment, r2.risk_p_persistent_unemployment) == (0.25, 0.75)
    assert (r1.pillar_shock, r1.pillar_absorption) == pytest.approx((0.75, 0.75))
    assert r1.collapse_risk == pytest.approx(math.sqrt(0.75 * 0.75))
    assert r2.collapse_risk == pytest.approx(math.sqrt(0.25 * 0.25))
    assert (r1.risk_rank, r2.risk_rank) == (1, 2)
    assert r1.regions_in_level == 2
    assert not r1.flag_trap  # a level needs 10 regions for a top decile


def test_pillars_combine_geometrically():
    """R1 high shock, low absorption; R2 the reverse; R3 middling on both: the geometric
    mean ranks the middling region first, where the arithmetic mean ties all three."""
    context = {"R1": {"employment_change": 9.0, "unemployment_persistent": 1.0},
               "R2": {"employment_change": -9.0, "unemployment_persistent": 9.0},
               "X0": {"employment_change": 0.0, "unemployment_persistent": 5.0}}
    con = tiny_database(extra_regions=1, context=context)
    frame = con.execute("SELECT region_id, pillar_shock, pillar_absorption, collapse_risk "
                        "FROM region_indices WHERE level = 'tiny' ORDER BY region_id").df()
    frame = frame.set_index("region_id")
    expected = np.sqrt(frame.pillar_shock * frame.pillar_absorption)
    assert np.allclose(frame.collapse_risk, expected)


def test_v1_model_is_reproduced_by_hand():
    """v1: percent ranks of vulnerable share (R1 1, R2 0), 1 - entropy_norm (R2 1),
    unemployment 2023 (R2 1) and smallness (a tie: 0), weights 0.4/0.2/0.2/0.2."""
    con = tiny_database()
    v1 = dict(con.execute("SELECT region_id, collapse_risk FROM risk_model_scores "
                          "WHERE model = 'v1' AND level = 'tiny'").fetchall())
    assert v1["R1"] == pytest.approx(0.4 * 1 + 0.2 * 0 + 0.2 * 0 + 0.2 * 0)
    assert v1["R2"] == pytest.approx(0.4 * 0 + 0.2 * 1 + 0.2 * 1 + 0.2 * 0)


def test_a_missing_component_renormalises_within_its_pillar():
    context = {"R1": {"employment_change": -10.0}, "R2": dict(
        employment_change=5.0, unemployment_persistent=8.0)}
    con = tiny_database(context=context)
    pillars = dict(con.execute("SELECT region_id, pillar_mean FROM region_pillars "
                               "WHERE level = 'tiny' AND pillar = 'absorption'").fetchall())
    # R1 lacks unemployment: (0.75 + 0.75) / 2; R2 has all three: (0.25 + 0.5 + 0.25) / 3
    # (R2 is alone in the unemployment ranking: mid-rank 0.5)
    assert pillars["R1"] == pytest.approx(0.75)
    assert pillars["R2"] == pytest.approx((0.25 + 0.5 + 0.25) / 3)
    missing = dict(con.execute("SELECT region_id, missing_components FROM region_risk "
                               "WHERE level = 'tiny'").fetchall())
    assert missing == {"R1": 1, "R2": 0}


def test_a_region_without_a_pillar_gets_no_risk():
    context = {"R1": {}, "R2": {"employment_change": 5.0, "unemployment_persistent": 8.0}}
    # R1 still has lack_of_diversity (from its composition): weight 0 removes it
    weights = tiny_config().with_overrides({"risk": {"weights": {"lack_of_diversity": 0.0}}})
    con = tiny_database(context=context, config=weights)
    risk = dict(con.execute("SELECT region_id, collapse_risk FROM region_indices "
                            "WHERE level = 'tiny'").fetchall())
    assert risk["R1"] is None and risk["R2"] is not None


def test_sheltered_categories_are_never_substitutable():
    config = tiny_config()
    config = config.replaced("exposure.sheltered", {"t": ("A",)})
    con = tiny_database(config=config)
    shares = dict(con.execute("SELECT region_id, substitutable_share FROM region_indices "
                              "WHERE level = 'tiny'").fetchall())
    assert shares == pytest.approx({"R1": 0.0, "R2": 0.0})
    # the jobs still count in the denominator: exposure is unchanged
    assert con.execute("SELECT exposure_mean FROM region_indices WHERE region_id = 'R1' "
                       "AND level = 'tiny'").fetchone()[0] == pytest.approx(0.6)


def test_reference_level_is_neutral():
    con = tiny_database()
    nation = con.execute(
        "SELECT hachman, krugman FROM region_indices WHERE level = 'tiny_nation'").fetchone()
    assert nation == pytest.approx((1.0, 0.0))


def test_a_region_code_repeated_in_another_level_stays_apart(rows):
    """The pass runs level by level and keys on region_id alone: the reference region coded
    R1 like a tiny region must not mix their compositions."""
    con = tiny_database(nation_id="R1")
    same = con.execute("SELECT * FROM region_indices WHERE level = 'tiny'").df()
    same = same.set_index("region_id").loc[rows.index]
    columns = ["total_employment", "exposure_mean", "entropy_norm", "hhi", "hachman",
               "krugman", "collapse_risk"]
    pd.testing.assert_frame_equal(same[columns], rows[columns])
    nation = con.execute("SELECT total_employment, hachman, krugman FROM region_indices "
                         "WHERE level = 'tiny_nation' AND region_id = 'R1'").fetchone()
    assert nation[0] == 200
    assert nation[1] == pytest.approx(1.0) and nation[2] == pytest.approx(0.0, abs=1e-12)


def test_a_composition_level_missing_from_levels_is_an_error():
    con = tiny_database()
    con.execute("INSERT INTO employment VALUES ('tiny_county', 'R9', 'A', 5.0, false)")
    with pytest.raises(AtlasError, match=r"employment.*'level'.*tiny_county.*not in table levels"):
        compute_indices(con, tiny_config())


@pytest.mark.parametrize("jobs", ["nan", "inf"])
def test_jobs_that_are_not_a_finite_number_are_an_error_naming_the_cell(jobs):
    con = tiny_database()
    con.execute(f"INSERT INTO employment VALUES ('tiny', 'R1', 'Z', '{jobs}'::DOUBLE, false)")
    with pytest.raises(AtlasError, match=r"employment: level 'tiny', region 'R1', category 'Z': "
                                         r"employment is (nan|inf) \(expected a finite"):
        compute_indices(con, tiny_config())


def test_trap_flag_matches_its_definition_recomputed_in_python():
    """flag_trap = risk_rank <= ceil(0.1 N) and every pillar >= 0.5 (levels of 10+)."""
    con = tiny_database(extra_regions=10)
    frame = con.execute("SELECT region_id, risk_rank, pillar_shock, pillar_absorption, "
                        "flag_trap, regions_in_level FROM region_indices WHERE level = 'tiny'"
                        ).df()
    n = len(frame)
    assert n == 12 and (frame.regions_in_level == 12).all()
    expected = ((frame["risk_rank"] <= math.ceil(0.1 * n))
                & (frame[["pillar_shock", "pillar_absorption"]].min(axis=1) >= 0.5))
    assert expected.any()
    assert frame["flag_trap"].tolist() == expected.tolist()


def test_transition_target_and_rust_belt_by_hand():
    """Rust belt needs industrial jobs >= 1.2 x the reference share and employment change
    <= -5%: with the measure m as the industrial trait, R1 (share 0.6 vs the nation's 0.375)
    lost 10% and qualifies."""
    config = tiny_config()
    config = config.replaced("flags.industrial_measure", "m")
    con = tiny_database(extra_regions=10, config=config)
    frame = con.execute("SELECT region_id, industrial_share, employment_change, risk_rank, "
                        "regions_in_level, min_pillar, flag_rust_belt, flag_trap, "
                        "flag_lower_tier, flag_transition_target FROM region_indices "
                        "WHERE level = 'tiny'").df().set_index("region_id")
    assert frame.loc["R1", "flag_rust_belt"]
    reference = 0.375  # nation: (70*0.8 + 50*0.3 + 80*0.05) / 200
    expected_rust = (frame.industrial_share >= 1.2 * reference) & (frame.employment_change <= -5)
    assert frame.flag_rust_belt.tolist() == expected_rust.tolist()
    near = (frame.risk_rank <= math.ceil(0.25 * 12)) & (frame.min_pillar >= 0.5)
    expected = frame.flag_trap | (near & (frame.flag_rust_belt | frame.flag_lower_tier))
    assert frame.flag_transition_target.tolist() == expected.tolist()


def test_top_categories_by_exposed_jobs():
    con = tiny_database()
    rows = con.execute("SELECT region_id, position, title, exposed_jobs FROM region_top_categories "
                       "WHERE level = 'tiny' ORDER BY region_id, position").fetchall()
    # R2: Cooks 80*0.05 = 4, Clerks 10*0.8 = 8, Nurses 10*0.3 = 3
    assert [r[2] for r in rows if r[0] == "R2"] == ["Clerks", "Cooks", "Nurses"]
    assert rows[0][3] == pytest.approx(48.0)  # R1 Clerks 60*0.8


def test_a_measure_with_a_gap_uses_only_scored_jobs():
    """Measure m2 scores A and B but not C: coverage and means use the scored jobs only."""
    from atlas.store.database import write_tables

    con = tiny_database()
    scores = con.execute("SELECT * FROM exposure_scores").df()
    gap = scores.loc[scores.category != "C"].assign(measure="m2", score=[0.5, 0.1])
    write_tables(con, {"exposure_scores": pd.concat([scores, gap], ignore_index=True)})
    con.execute("INSERT INTO measures VALUES ('m2', 'm2', 'unit', '', '')")
    compute_indices(con, tiny_config())
    r2 = con.execute("SELECT exposure_mean, coverage FROM region_exposure "
                     "WHERE level = 'tiny' AND region_id = 'R2' AND measure = 'm2'").fetchone()
    # R2: A 10 (0.5), B 10 (0.1), C 80 unscored
    assert r2 == pytest.approx(((10 * 0.5 + 10 * 0.1) / 20, 20 / 100))
    full = con.execute("SELECT coverage FROM region_exposure WHERE level = 'tiny' "
                       "AND region_id = 'R2' AND measure = 'm'").fetchone()[0]
    assert full == pytest.approx(1.0)


def test_a_region_without_substitutable_shares_has_no_excess(monkeypatch):
    """A region whose categories have no substitutable share still has an excess of 0 in
    region_base (nothing beyond the reference mix), so it keeps its collapse risk; the
    per-measure list of region_measure_sums says NULL (unknown) for it."""
    import tests.tiny as tiny

    scores = tiny.SCORES.copy()
    scores.loc[scores["category"] == "A", "substitutable"] = None
    monkeypatch.setattr(tiny, "SCORES", scores)
    con = tiny.tiny_database(extra_regions=1)  # X0: jobs in category A only
    excess, risk = con.execute("SELECT substitutable_excess, collapse_risk FROM region_indices "
                               "WHERE level = 'tiny' AND region_id = 'X0'").fetchone()
    assert excess == 0.0 and risk is not None
    listed = con.execute("SELECT substitutable_excess FROM region_measure_sums "
                         "WHERE level = 'tiny' AND region_id = 'X0'").fetchone()[0]
    assert listed == [None]
