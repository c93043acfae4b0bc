"""The engine's indices against values computed by hand on a tiny composition."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from atlas.engine import compute_indices
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


def test_collapse_risk_by_hand(rows):
    # Two regions: every percentile rank is 0 (lower) or 1 (higher).
    # R1 has the higher vulnerable share (0.6 vs 0.1), higher concentration? entropy R1 =
    # 0.6730/ln3 = 0.6126, R2 = 0.6390/ln3 = 0.5817 -> R2 more concentrated; unemployment
    # R2 higher (6 vs 3); smallness equal (100 jobs each) -> both percentile 0.
    r1, r2 = rows.loc["R1"], rows.loc["R2"]
    assert r1.collapse_risk == pytest.approx(0.4 * 1 + 0.2 * 0 + 0.2 * 0 + 0.2 * 0)
    assert r2.collapse_risk == pytest.approx(0.4 * 0 + 0.2 * 1 + 0.2 * 1 + 0.2 * 0)
    assert (r1.risk_rank, r2.risk_rank) == (1, 2)
    assert r1.regions_in_level == 2
    assert not r1.flag_trap  # a level needs 10 regions for a top decile


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


def test_missing_component_renormalises_weights():
    con = tiny_database(unemployment=[None, 6.0])
    risk = dict(con.execute("SELECT region_id, collapse_risk FROM region_indices "
                            "WHERE level = 'tiny'").fetchall())
    # R1 lacks unemployment: (0.4*1 + 0.2*0 + 0.2*0) / 0.8
    assert risk["R1"] == pytest.approx(0.5)
    # R2 is alone in the unemployment ranking (percentile 0): (0 + 0.2*1 + 0 + 0) / 1.0
    assert risk["R2"] == pytest.approx(0.2)


def test_trap_flag_top_decile_and_low_entropy():
    con = tiny_database(extra_regions=10)
    flags = con.execute("SELECT region_id, risk_rank, flag_trap, regions_in_level "
                        "FROM region_indices WHERE level = 'tiny' ORDER BY risk_rank").df()
    assert flags.regions_in_level.iloc[0] == 12
    # top decile of 12 regions = ranks 1 and 2 (ceil(1.2)); flagged ones must be among them
    assert set(flags.loc[flags.flag_trap, "risk_rank"]) <= {1, 2}


def test_trap_flag_is_set_where_both_conditions_hold():
    con = tiny_database(extra_regions=10)
    flagged = con.execute("SELECT count(*) FROM region_indices WHERE level = 'tiny' AND flag_trap"
                          ).fetchone()[0]
    assert flagged >= 1


def test_top_categories_by_exposed_jobs():
    con = tiny_database()
    rows = con.execute("SELECT region_id, position, title, exposed_jobs FROM region_top_categories "
                       "WHERE level = 'tiny' ORDER BY region_id, position").fetchall()
    # R2: Cooks 80*0.05 = 4, Clerks 10*0.8 = 8, Nurses 10*0.3 = 3
    assert [r[2] for r in rows if r[0] == "R2"] == ["Clerks", "Cooks", "Nurses"]
    assert rows[0][3] == pytest.approx(48.0)  # R1 Clerks 60*0.8


def test_a_measure_with_a_gap_uses_only_scored_jobs():
    """Measure m2 scores A and B but not C: coverage and means use the scored jobs only."""
    from atlas.build import write_tables

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


def test_trap_flag_matches_its_definition_recomputed_in_python():
    """flag_trap = top decile of collapse_risk and entropy_norm percentile <= 1/3, where the
    percentile is percent_rank over all regions of the level (ties share the lower rank)."""
    con = tiny_database(extra_regions=10)
    frame = con.execute("SELECT region_id, risk_rank, collapse_risk, entropy_norm, flag_trap, "
                        "regions_in_level FROM region_indices WHERE level = 'tiny'").df()
    n = len(frame)
    entropy = frame["entropy_norm"].round(12)
    entropy_pct = entropy.map(lambda x: (entropy < x).sum() / (n - 1))
    assert entropy.duplicated().any()  # the fixture has ties: the rule for them is exercised
    expected = (frame["collapse_risk"].notna() & (frame["risk_rank"] <= math.ceil(0.1 * n))
                & (entropy_pct <= 1 / 3 + 1e-12))
    assert expected.any()
    assert frame["flag_trap"].tolist() == expected.tolist()
