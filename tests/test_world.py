"""The country level: ISCO crosswalks, ILO measures, compositions and flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr, spearmanr

from atlas.inputs import Inputs
from atlas.ranking import RankRequest, rank_regions
from atlas.sources.world import MAJOR_GROUPS, soc_to_isco_links


def test_crosswalk_keeps_total_weight_per_soc_code(atlas_con, data_dir):
    codes = atlas_con.execute("SELECT category FROM categories WHERE taxonomy = 'soc2018' "
                              "AND national_employment IS NOT NULL").df()["category"]
    links = soc_to_isco_links(Inputs(data_dir), codes)
    totals = links.groupby("soc_code")["link_weight"].sum()
    assert np.allclose(totals, 1.0)
    employment = atlas_con.execute("SELECT category, national_employment FROM categories "
                                   "WHERE taxonomy = 'soc2018'").df().set_index("category")
    linked = employment.loc[employment.index.isin(totals.index), "national_employment"].sum()
    assert linked / employment["national_employment"].sum() > 0.97


def test_ilo_and_eloundou_agree_across_isco_codes(atlas_con):
    frame = atlas_con.execute("""
        PIVOT (SELECT category, measure, score FROM exposure_scores
               WHERE taxonomy = 'isco08_unit'
                 AND measure IN ('ilo_genai_2025', 'eloundou_gpt4_beta'))
        ON measure USING first(score)""").df().dropna()
    r = pearsonr(frame.ilo_genai_2025, frame.eloundou_gpt4_beta).statistic
    rho = spearmanr(frame.ilo_genai_2025, frame.eloundou_gpt4_beta).statistic
    print(f"ILO 2025 vs Eloundou GPT-4 beta over {len(frame)} ISCO unit groups: "
          f"Pearson {r:.3f}, Spearman {rho:.3f}")
    assert len(frame) >= 400
    assert r > 0.5


def test_shares_sum_to_one_per_country(atlas_con):
    sums = atlas_con.execute("""
        SELECT e.region_id, sum(e.employment) / any_value(r.published_total) AS ratio
        FROM employment e JOIN regions r USING (level, region_id)
        WHERE e.level = 'country' AND e.region_id <> 'CHN' GROUP BY e.region_id""").df()
    assert len(sums) >= 150
    assert (sums.ratio - 1).abs().max() < 1e-9


def test_a_country_by_hand(atlas_con, data_dir):
    """Afghanistan: ILO exposure = sum_g s_g * (mean of group g's unit-group scores)."""
    shares = pd.read_csv(data_dir / "world" /
                         "world_employment_isco08_major_group_shares_ilostat_spinlife.csv")
    afg = shares.loc[shares.iso3 == "AFG"].iloc[0]
    s = np.array([afg[column] for column, _ in MAJOR_GROUPS.values()], dtype=float)
    s = s / s.sum()
    ilo = pd.read_csv(data_dir / "world" / "ilo_genai_exposure_2025_isco08_4digit.csv",
                      dtype={"isco08_1d": str})
    group_mean = ilo.groupby("isco08_1d")["mean_score_2025"].mean()
    expected = float(sum(s[i] * group_mean[g] for i, g in enumerate(MAJOR_GROUPS)))
    exposure = atlas_con.execute("""SELECT exposure_mean FROM region_exposure
        WHERE level = 'country' AND region_id = 'AFG' AND measure = 'ilo_genai_2025'"""
                                 ).fetchone()[0]
    assert exposure == pytest.approx(expected, rel=1e-9)
    entropy = atlas_con.execute("SELECT entropy_norm FROM region_indices "
                                "WHERE level = 'country' AND region_id = 'AFG'").fetchone()[0]
    assert entropy == pytest.approx(-sum(x * math.log(x) for x in s if x > 0) / math.log(9))


def test_china_is_in_with_modelled_counts(atlas_con):
    total, quality = atlas_con.execute("SELECT total_employment, data_quality FROM "
                                       "region_indices WHERE level = 'country' AND region_id = "
                                       "'CHN'").fetchone()
    assert total == pytest.approx(744_649_326, rel=1e-6)
    assert "split" in quality


def test_countries_without_data_are_listed_not_dropped(atlas_con):
    regions, ranked, drawn = (atlas_con.execute(q).fetchone()[0] for q in (
        "SELECT count(*) FROM regions WHERE level = 'country'",
        "SELECT count(*) FROM region_indices WHERE level = 'country'",
        "SELECT count(*) FROM region_geometry WHERE level = 'country'"))
    assert ranked >= 150 and regions >= drawn >= 235
    unranked = atlas_con.execute("""SELECT region_id, data_quality FROM regions
        WHERE level = 'country' AND region_id IN ('CUW', 'IMN')""").fetchall()
    assert all("not ranked" in q for _, q in unranked)


def test_global_south_flag_and_filter(atlas_con):
    ranked = rank_regions(atlas_con, RankRequest(level="country", flags=["global_south"]))
    assert len(ranked) > 40
    assert set(ranked.income_group) <= {"LIC", "LMC"}
    assert "IND" in set(ranked.region_id)
