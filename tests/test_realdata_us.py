"""The US atlas built from the real inputs: published figures and sums that must hold."""

from __future__ import annotations

import pandas as pd
import pytest

from atlas.sources.exposure.eloundou import headline_shares
from atlas.sources.inputs import Inputs

REQUIRED_COLUMNS = [
    "level", "region_id", "name", "state", "kind", "total_employment", "coverage",
    "imputed_share", "exposure_mean", "share_ge_10", "share_ge_50", "exposed_jobs",
    "automation_mean", "vulnerable_share", "entropy_norm", "hhi", "effective_n", "hachman",
    "krugman", "unemployment_rate", "median_hh_income", "population", "collapse_risk",
    "risk_rank", "flag_rust_belt", "flag_lower_tier", "flag_trap", "flag_transition_target",
    "flag_low_confidence", "pillar_shock", "pillar_absorption", "substitutable_share",
    "substitutable_excess", "group_entropy", "employment_change", "unemployment_persistent",
    "rank_p05", "rank_p95", "p_top_decile", "p_trap", "flag_robust_trap", "trap_zone",
]


def test_paper_headline_is_reproduced(data_dir):
    shares = headline_shares(Inputs(data_dir))
    assert shares["share_ge_10"] == pytest.approx(0.809, abs=0.003)
    assert shares["share_ge_50"] == pytest.approx(0.194, abs=0.003)


def test_every_region_is_kept(atlas_con):
    counts = dict(atlas_con.execute(
        "SELECT level, count(*) FROM region_indices WHERE level LIKE 'us_%' GROUP BY level"
    ).fetchall())
    assert counts == {"us_area": 528, "us_state": 54, "us_nation": 1}
    kinds = dict(atlas_con.execute("SELECT kind, count(*) FROM region_indices "
                                   "WHERE level = 'us_area' GROUP BY kind").fetchall())
    assert kinds == {"msa": 393, "nonmetro": 135}


def test_region_indices_has_the_promised_columns(atlas_con):
    columns = {row[0] for row in atlas_con.execute("DESCRIBE region_indices").fetchall()}
    assert set(REQUIRED_COLUMNS) <= columns


def test_employment_equals_published_totals(atlas_con, data_dir):
    oews = pd.read_parquet(data_dir / "us" / "oews_m2025_area_occ_all.parquet",
                           columns=["area_kind", "soc_code", "tot_emp"])
    published = oews.loc[oews.area_kind.isin(["msa", "nonmetro"]) & (oews.soc_code == "00-0000"),
                         "tot_emp"].sum()
    total = atlas_con.execute(
        "SELECT sum(employment) FROM employment WHERE level = 'us_area'").fetchone()[0]
    assert total == published
    mismatched = atlas_con.execute("""
        SELECT count(*) FROM regions r
        JOIN (SELECT level, region_id, sum(employment) AS e FROM employment GROUP BY ALL) e
          USING (level, region_id)
        WHERE abs(r.published_total - e.e) > 1e-6 * r.published_total
    """).fetchone()[0]
    assert mismatched == 0


def test_eloundou_coverage_of_national_detailed_employment(atlas_con):
    coverage = atlas_con.execute("""
        SELECT sum(c.national_employment) FILTER (WHERE s.score IS NOT NULL)
                 / sum(c.national_employment) AS covered,
               sum(c.national_employment) FILTER (WHERE s.rule = 'exact')
                 / sum(c.national_employment) AS exact
        FROM categories c
        LEFT JOIN exposure_scores s
          ON s.category = c.category AND s.measure = 'eloundou_gpt4_beta'
        WHERE c.national_employment IS NOT NULL AND c.taxonomy = 'soc2018'
    """).fetchone()
    assert coverage[0] >= 0.97
    assert coverage[1] == pytest.approx(0.925, abs=0.002)  # plain code match, as SOURCES.md says


def test_national_exposure_matches_category_weighted_mean(atlas_con):
    national = atlas_con.execute("""
        SELECT exposure_mean FROM region_exposure
        WHERE level = 'us_nation' AND measure = 'eloundou_gpt4_beta'""").fetchone()[0]
    direct = atlas_con.execute("""
        SELECT sum(e.employment * s.score) / sum(e.employment)
        FROM employment e JOIN exposure_scores s USING (category)
        WHERE e.level = 'us_nation' AND s.measure = 'eloundou_gpt4_beta'""").fetchone()[0]
    assert national == pytest.approx(direct)
    assert 0.2 < national < 0.5


def test_percentile_measures_have_employment_weighted_mean_one_half(atlas_con):
    mean = atlas_con.execute("""
        SELECT sum(c.national_employment * s.score) / sum(c.national_employment)
        FROM categories c JOIN exposure_scores s USING (taxonomy, category)
        WHERE s.measure = 'felten_aioe_pct' AND c.national_employment > 0
          AND c.taxonomy = 'soc2018'""").fetchone()[0]
    assert mean == pytest.approx(0.5, abs=0.01)


def test_connecticut_areas_have_unemployment(atlas_con):
    rows = atlas_con.execute("""
        SELECT name, unemployment_rate FROM region_indices
        WHERE level = 'us_area' AND state = 'CT'""").fetchall()
    assert len(rows) == 6
    assert all(2.0 < rate < 6.0 for _, rate in rows)


def test_risk_is_a_unit_score_and_ranks_are_a_permutation(atlas_con):
    frame = atlas_con.execute("SELECT level, collapse_risk, risk_rank FROM region_indices "
                              "WHERE level = 'us_area'").df()
    assert frame.collapse_risk.between(0, 1).all()
    assert sorted(frame.risk_rank) == list(range(1, 529))
    ordered = frame.sort_values("risk_rank").collapse_risk.to_numpy()
    assert (ordered[:-1] >= ordered[1:]).all()


def test_flags_follow_their_definitions(atlas_con):
    frame = atlas_con.execute("SELECT * FROM region_indices WHERE level = 'us_area'").df()
    national = atlas_con.execute("SELECT industrial_share FROM region_indices "
                                 "WHERE level = 'us_nation'").fetchone()[0]
    assert national == pytest.approx(frame.reference_industrial_share.iloc[0])
    rust = (frame.industrial_share >= 1.2 * national) & (frame.employment_change <= -5.0)
    assert (frame.flag_rust_belt == rust).all()
    income = atlas_con.execute("SELECT median_hh_income FROM region_indices "
                               "WHERE level = 'us_nation'").fetchone()[0]
    lower = ((frame.kind == "nonmetro") | (frame.total_employment < 100_000)) & (
        frame.median_hh_income < 0.8 * income)
    assert (frame.flag_lower_tier == lower).all()
    traps = frame.loc[frame.flag_trap]
    assert len(traps) > 0
    assert traps.risk_rank.max() <= 53
    assert (traps[["pillar_shock", "pillar_absorption"]].min(axis=1) >= 0.5).all()
    assert frame.flag_trap.sum() <= frame.flag_transition_target.sum()


def test_flags_single_places_out(atlas_con):
    shares = atlas_con.execute("""SELECT avg(flag_lower_tier::INT), avg(flag_rust_belt::INT),
        avg(flag_transition_target::INT) FROM region_indices WHERE level = 'us_area'""").fetchone()
    assert all(0 < share < 0.35 for share in shares)  # a flag on most areas singles none out


def test_laus_employment_change_reproduces_the_national_figure(atlas_con, data_dir):
    laus = pd.read_csv(data_dir / "us" / "ers_laus_unemployment_medhhinc_2000_2023.csv",
                       dtype={"FIPS_Code": str})
    nation = laus.loc[laus.geo_level == "national"].iloc[0]
    published = 100 * (nation.Employed_2023 / nation.Employed_2000 - 1)  # +17.3%
    ours = atlas_con.execute("SELECT value FROM region_context WHERE level = 'us_nation' "
                             "AND indicator = 'employment_change'").fetchone()[0]
    assert ours == pytest.approx(published, abs=0.2)  # counties summed vs the national row


def test_provenance_records_sha256_of_inputs(atlas_con):
    sha = dict(atlas_con.execute("SELECT file, sha256 FROM provenance").fetchall())
    assert sha["us/oews_m2025_area_occ_all.parquet"] == (
        "74b38d182f43bcb75d6b8ac379c32d3b7826813d6a61f55dd15e238c07cd3ea4")
    assert len(sha) >= 12
    keys = {row[0] for row in atlas_con.execute("SELECT key FROM build_info").fetchall()}
    assert {"atlas_version", "git_commit", "config", "created_at"} <= keys
