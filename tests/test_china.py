"""The cn_city level: composition, sector exposure through the staffing matrix, flags."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.stats import spearmanr

from atlas.exports.ranking import RankRequest, rank_regions
from atlas.sources.inputs import Inputs
from atlas.sources.staffing import us_industry_scores

SECTOR_COLUMNS = [
    "emp_agri_forestry_fishery_10k", "emp_mining_10k", "emp_manufacturing_10k",
    "emp_utilities_power_gas_water_10k", "emp_construction_10k", "emp_transport_storage_post_10k",
    "emp_ict_software_10k", "emp_wholesale_retail_10k", "emp_accommodation_catering_10k",
    "emp_finance_10k", "emp_real_estate_10k", "emp_leasing_business_services_10k",
    "emp_research_tech_services_geology_10k", "emp_water_environment_public_facilities_10k",
    "emp_resident_repair_other_services_10k", "emp_education_10k",
    "emp_health_social_security_welfare_10k", "emp_culture_sports_entertainment_10k",
    "emp_public_admin_social_org_10k",
]


def test_about_296_cities_have_indices(atlas_con):
    count = atlas_con.execute("SELECT count(*) FROM region_indices WHERE level = 'cn_city'"
                              ).fetchone()[0]
    assert abs(count - 296) <= 5


def test_every_prefecture_level_unit_is_on_the_map(atlas_con, data_dir):
    units = pd.read_csv(data_dir / "cn" / "cn_prefecture_units.csv", dtype={"adcode": str})
    drawn = {row[0] for row in atlas_con.execute(
        "SELECT region_id FROM region_geometry WHERE level = 'cn_city'").fetchall()}
    assert set(units.loc[units.is_prefecture_level, "adcode"]) <= drawn
    assert len(drawn) == 370
    listed = atlas_con.execute("SELECT count(*) FROM regions WHERE level = 'cn_city'").fetchone()[0]
    assert listed == 370


def test_sector_shares_sum_to_one_and_totals_hold(atlas_con):
    frame = atlas_con.execute("""
        SELECT e.region_id, sum(e.employment) AS total, any_value(r.published_total) AS published,
               count(*) AS sectors
        FROM employment e JOIN regions r USING (level, region_id)
        WHERE e.level = 'cn_city' GROUP BY e.region_id""").df()
    assert ((frame.total / frame.published) - 1).abs().max() < 1e-9  # shares sum to 1
    assert frame.sectors.max() == 19


def test_entropy_of_ordos_by_hand(atlas_con, data_dir):
    raw = pd.read_csv(data_dir / "cn" / "cn_city_employment_19sectors_2000_2022_ccsy.csv",
                      dtype={"adcode_cnmaps": str})
    ordos = raw.loc[(raw.year == 2019) & (raw.adcode_cnmaps == "150600"), SECTOR_COLUMNS]
    values = ordos.iloc[0].to_numpy(dtype=float)
    shares = values / values.sum()
    expected = -sum(s * math.log(s) for s in shares if s > 0) / math.log(19)
    entropy, unemployment = atlas_con.execute(
        "SELECT entropy_norm, unemployment_rate FROM region_indices "
        "WHERE level = 'cn_city' AND region_id = '150600'").fetchone()
    assert entropy == pytest.approx(expected, rel=1e-9)
    assert unemployment == pytest.approx(100 * 23631 / (23631 + 339870 + 588048))


def test_staffing_matrix_reproduces_felten_aiie(atlas_con, data_dir):
    """Felten's AIIE is the employment-weighted AIOE of an industry's occupations."""
    inputs = Inputs(data_dir)
    occupations = atlas_con.execute("""
        SELECT measure, category AS code, score, ge_10, ge_50, vulnerable FROM exposure_scores
        WHERE taxonomy = 'soc2018' AND category NOT LIKE '%-0000'
          AND measure IN ('felten_aioe', 'eloundou_gpt4_beta')""").df()
    industries = us_industry_scores(inputs.table("oews_industry_occ"), occupations, "4")
    aiie = inputs.table("felten_aiie")
    aiie = aiie.loc[~aiie.NAICS.duplicated(keep=False)]  # 4 codes stand for two groupings
    aiie = aiie.assign(code=aiie.NAICS.astype(int).astype(str) + "00")
    felten = industries.loc[industries.measure == "felten_aioe"].merge(aiie, on="code")
    assert len(felten) >= 200
    assert spearmanr(felten.score, felten.AIIE).statistic >= 0.95
    eloundou = industries.loc[industries.measure == "eloundou_gpt4_beta"].merge(aiie, on="code")
    rho = spearmanr(eloundou.score, eloundou.AIIE).statistic
    print(f"Spearman(eloundou_gpt4_beta, AIIE) = {rho:.3f} over {len(eloundou)} industries")
    assert rho > 0.5


def test_sections_are_scored_under_every_measure(atlas_con):
    counts = atlas_con.execute("""
        SELECT measure, count(*) FROM exposure_scores WHERE taxonomy = 'gbt4754_section'
        GROUP BY measure""").fetchall()
    assert len(counts) >= 12 and all(n == 19 for _, n in counts)
    ict, catering = (atlas_con.execute(
        "SELECT score FROM exposure_scores WHERE taxonomy = 'gbt4754_section' "
        "AND measure = 'eloundou_gpt4_beta' AND category = ?", [c]).fetchone()[0]
        for c in ("I", "H"))
    assert ict > catering  # software work is more exposed than catering


def test_lower_tier_and_tier_columns(atlas_con):
    frame = atlas_con.execute("SELECT tier, flag_lower_tier FROM region_indices "
                              "WHERE level = 'cn_city'").df()
    assert (frame.flag_lower_tier == frame.tier.isin(["3", "4", "5"])).all()
    assert set(frame.tier.dropna()) <= {"1", "new-1", "2", "3", "4", "5"}


def test_rank_by_province_in_chinese_or_pinyin(atlas_con):
    chinese = rank_regions(atlas_con, RankRequest(level="cn_city", flags=["lower_tier"],
                                                  states=["河北省"]))
    pinyin = rank_regions(atlas_con, RankRequest(level="cn_city", flags=["lower_tier"],
                                                 states=["Hebei"]))
    assert len(chinese) > 0
    assert chinese.region_id.tolist() == pinyin.region_id.tolist()
    assert (chinese.province == "河北省").all() and chinese.flag_lower_tier.all()


def test_implausible_registered_unemployment_is_screened(atlas_con):
    rate, quality = atlas_con.execute("SELECT unemployment_rate, data_quality FROM regions "
                                      "WHERE level = 'cn_city' AND region_id = '630200'"
                                      ).fetchone()
    assert rate is None and "implausible" in quality
    highest = atlas_con.execute("SELECT max(unemployment_rate) FROM regions "
                                "WHERE level = 'cn_city'").fetchone()[0]
    assert highest < 20
