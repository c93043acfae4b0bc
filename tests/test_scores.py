"""Score derivation: the weighted-mean map, the SOC hierarchy rule, percentiles, residuals."""

from __future__ import annotations

import pandas as pd
import pytest

from atlas.sources.scores import derive, soc_hierarchy_map, weighted_percentile, with_substitutable
from atlas.sources.us.oews import compose_with_residuals


def test_derive_is_weighted_mean_of_every_column():
    scores = pd.DataFrame({"measure": "m", "code": ["a", "b"], "score": [0.2, 0.8],
                           "ge_10": [1.0, 1.0], "ge_50": [0.0, 1.0], "vulnerable": [0.0, 1.0],
                           "substitutable": [1.0, 0.0]})
    mapping = pd.DataFrame({"from_code": ["a", "b"], "to_code": ["x", "x"], "weight": [3.0, 1.0]})
    out = derive(scores, mapping).iloc[0]
    assert out.score == pytest.approx((3 * 0.2 + 0.8) / 4)
    assert out.ge_50 == pytest.approx(0.25)
    assert out.vulnerable == pytest.approx(0.25)
    assert out.substitutable == pytest.approx(0.75)
    # a statistic the source lacks stays NULL instead of failing
    assert pd.isna(derive(scores.drop(columns="substitutable"), mapping).iloc[0].substitutable)


def test_substitutable_needs_exposure_and_automation():
    scores = pd.DataFrame({"measure": ["beta"] * 3 + ["auto"] * 3,
                           "code": ["clerk", "nurse", "coder"] * 2,
                           "score": [0.8, 0.3, 0.9, 0.7, 0.6, 0.3],
                           "ge_10": 1.0, "ge_50": [1.0, 0.0, 1.0, 1.0, 1.0, 0.0]})
    out = with_substitutable(scores, "auto", 0.5, 0.5).set_index(["measure", "code"])
    # clerk: exposed and automatable; nurse: not exposed; coder: exposed, augmented (0.3)
    assert out.loc["beta", "substitutable"].tolist() == [1.0, 0.0, 0.0]
    assert out.loc["auto", "substitutable"].tolist() == [1.0, 1.0, 0.0]


def test_hierarchy_rule_members_siblings_and_exact():
    scored = ["31-1121", "31-1122", "11-9031", "11-9032", "25-9044", "25-9042", "25-9043"]
    targets = pd.DataFrame({
        "code": ["31-1120", "11-9039", "11-9031", "11-9032", "25-9044", "25-9045"],
        "national_employment": [100.0, 5.0, 30.0, 10.0, 7.0, 50.0],
    })
    mapping = soc_hierarchy_map(scored, targets)
    by_target = {t: group for t, group in mapping.groupby("to_code")}
    # aggregate code: the unpublished members it stands for, equal weights
    assert set(by_target["31-1120"].from_code) == {"31-1121", "31-1122"}
    assert set(by_target["31-1120"].rule) == {"broad_members"}
    # "All Other": published siblings weighted by national employment
    siblings = by_target["11-9039"].set_index("from_code").weight.to_dict()
    assert siblings == {"11-9031": 30.0, "11-9032": 10.0}
    # 25-9045 stands for 25-9042 + 25-9043, not the separately published 25-9044
    assert set(by_target["25-9045"].from_code) == {"25-9042", "25-9043"}
    assert by_target["11-9031"].rule.tolist() == ["exact"]


def test_hierarchy_rule_climbs_to_minor_group():
    mapping = soc_hierarchy_map(["19-1011", "19-1021"], pd.DataFrame({
        "code": ["19-1011", "19-1021", "19-1099"], "national_employment": [1.0, 3.0, 2.0]}))
    rows = mapping.loc[mapping.to_code == "19-1099"]
    assert set(rows.rule) == {"minor_siblings"}
    assert rows.weight.sum() == pytest.approx(4.0)


def test_weighted_percentile_mid_rank():
    values = pd.Series([1.0, 2.0, 2.0, 3.0])
    weights = pd.Series([1.0, 1.0, 1.0, 1.0])
    pct = weighted_percentile(values, weights).tolist()
    assert pct == pytest.approx([0.125, 0.5, 0.5, 0.875])


def test_residuals_close_each_area_to_its_published_total():
    frame = pd.DataFrame({
        "area_code": ["A"] * 6,
        "soc_code": ["00-0000", "11-0000", "11-1011", "11-1021", "13-0000", "13-1011"],
        "occ_level": ["major", "major", "detailed", "detailed", "major", "detailed"],
        "tot_emp": [1000.0, 300.0, 100.0, None, None, 50.0],
    })
    out = compose_with_residuals(frame, "test.parquet").set_index("category")
    assert out.loc["11-0000", "employment"] == 200.0  # 300 - 100 (11-1021 suppressed)
    assert out.loc["00-0000", "employment"] == 1000.0 - 100 - 200 - 50  # 13 total suppressed
    assert out["employment"].sum() == 1000.0
    assert out.loc[["11-0000", "00-0000"], "imputed"].all()


def test_rounding_excess_is_trimmed_from_imputed_rows():
    frame = pd.DataFrame({
        "area_code": ["A"] * 4,
        "soc_code": ["00-0000", "11-0000", "11-1011", "13-1011"],
        "occ_level": ["major", "major", "detailed", "detailed"],
        "tot_emp": [100.0, 60.0, 70.0, 40.0],
    })
    out = compose_with_residuals(frame, "test.parquet")
    assert out["employment"].sum() == 100.0
    assert (out["employment"] > 0).all()
