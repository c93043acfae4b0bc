"""The programme mix: default rules pinned by hand, shares and amounts that sum exactly,
instruments left out with a reason, and a config that removes an instrument everywhere."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from atlas.engine.programmes import compute_programmes, level_mix
from atlas.errors import ConfigError
from atlas.exports.programmes_sheet import programme_amounts
from atlas.exports.ranking import RankRequest, rank_regions
from atlas.exports.write import write_ranking
from atlas.spec.config import load_config
from atlas.spec.programmes import programmes

SETTINGS = replace(load_config().uncertainty, draws=200, seed=1, concentration=20.0)


def _hand_level():
    """Three regions with component scores and indicators chosen by hand."""
    regions = pd.Index(["a", "b", "c"])
    components = pd.DataFrame({
        "substitutable_share": [0.9, 0.5, 0.1],
        "prior_decline": [0.8, 0.2, np.nan],  # c: no value -> the median 0.5
        "persistent_unemployment": [0.2, 0.8, 0.5],
        "low_income": [0.5, 0.5, 0.5],
    }, index=regions)
    indicators = pd.DataFrame({"share_ge_50": [0.4, 0.2, 0.3],          # ranks 3, 1, 2
                               "substitutable_share": [0.3, 0.2, 0.1]},  # ranks 3, 2, 1
                              index=regions)
    return regions, components, indicators


def test_each_default_rule_by_hand():
    regions, components, indicators = _hand_level()
    instruments = programmes(load_config())
    mix, status = level_mix("x", regions, instruments, components, indicators, SETTINGS,
                            ranges=False)
    fit = mix.pivot(index="region_id", columns="programme", values="fit")
    # skills accounts: the substitutable-share component's score
    assert fit["skills_accounts"].tolist() == pytest.approx([0.9, 0.5, 0.1])
    # collaboration: sqrt(percentile of share_ge_50 x percentile of low substitutable share)
    # percentiles (below + half ties) / n: share_ge_50 a 5/6, b 1/6, c 3/6;
    # -substitutable_share a 1/6, b 3/6, c 5/6
    assert fit["collaboration_grants"].tolist() == pytest.approx(
        [math.sqrt(5 / 36), math.sqrt(3 / 36), math.sqrt(15 / 36)])
    # public employment: sqrt(prior decline x persistent unemployment), c's decline is 0.5
    assert fit["public_employment"].tolist() == pytest.approx(
        [math.sqrt(0.16), math.sqrt(0.16), 0.5])
    assert fit["income_floor"].tolist() == pytest.approx([0.5, 0.5, 0.5])
    # informality is absent here: left out with the reason, never a silent zero
    left = status.set_index("programme").loc["informal_support"]
    assert not left["available"] and "informality" in left["reason"]
    assert "informal_support" not in set(mix["programme"])
    # shares: fit x weight / sum, one region by hand
    a = fit.loc["a"]
    assert mix.set_index(["region_id", "programme"]).loc[("a", "skills_accounts"), "share"] \
        == pytest.approx(0.9 / a.sum())
    note = mix.set_index(["region_id", "programme"]).loc[("c", "public_employment"), "note"]
    assert "prior_decline" in note


def test_shares_sum_to_one_and_ranges_hold_the_share():
    regions, components, indicators = _hand_level()
    mix, _ = level_mix("x", regions, programmes(load_config()), components, indicators,
                       SETTINGS, ranges=True)
    assert mix.groupby("region_id")["share"].sum().tolist() == pytest.approx([1, 1, 1])
    assert (mix["share_p05"] <= mix["share"] + 1e-12).all()
    assert (mix["share"] <= mix["share_p95"] + 1e-12).all()


@pytest.mark.parametrize("amount", [0, 1, 7, 1_000_003])
def test_amounts_are_whole_and_sum_exactly(amount):
    shares = pd.Series([0.41, 0.33, 0.26 / 3, 0.26 / 3, 0.26 / 3])
    amounts = programme_amounts(shares, amount)
    assert amounts.dtype.kind == "i" and int(amounts.sum()) == amount
    assert (np.abs(amounts - shares * amount) < 1).all()


@pytest.mark.parametrize(("change", "message"), [
    ({"weight": -1}, "programmes.skills_accounts.weight"),
    ({"terms": []}, "programmes.skills_accounts.terms"),
    ({"terms": [{"component": "x", "direction": "lower"}]}, "direction"),
    ({"colour": "red"}, "programmes.skills_accounts.colour"),
])
def test_bad_instruments_are_named(change, message):
    """Checked when the configuration is parsed (one pass with the rest)."""
    with pytest.raises(ConfigError, match=message):
        load_config().with_overrides({"programmes": {"skills_accounts": change}})


@pytest.mark.realdata
def test_mix_and_amounts_on_the_real_atlas(built_atlas, tmp_path):
    import duckdb

    with duckdb.connect(str(built_atlas), read_only=True) as con:
        sums = con.execute("SELECT level, region_id, sum(share) AS s FROM programme_mix "
                           "GROUP BY ALL").df()
        assert len(sums) > 1000 and np.allclose(sums["s"], 1.0, atol=1e-12)
        levels = dict(con.execute("SELECT level || '/' || programme, reason FROM "
                                  "programme_levels WHERE NOT available").fetchall())
        assert "informality" in levels["us_area/informal_support"]
        request = RankRequest(level="us_area", top=15, budget=10_000_001)
        ranking = rank_regions(con, request)
        path = write_ranking(con, ranking, request, tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(path)["programmes"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert "amount" in header
    mix = pd.DataFrame([r for r in body if r["item"] == "mix"])
    per_region = mix.groupby("region_id")["amount"].sum()
    allocation = ranking.set_index("region_id")["allocation"]
    assert (per_region == allocation.loc[per_region.index]).all()
    assert len(per_region) == 15
    assert any(r["item"] == "worked example" for r in body)
    assert any(r["item"] == "left out" and "informal" in r["instrument"].lower()
               for r in body)


@pytest.mark.realdata
def test_a_config_that_removes_an_instrument_removes_it_everywhere(built_atlas, tmp_path):
    import shutil

    import duckdb

    copy = tmp_path / "atlas.duckdb"
    shutil.copy(built_atlas, copy)
    config = load_config().with_overrides({"programmes": {"income_floor": {"weight": 0}}})
    with duckdb.connect(str(copy)) as con:
        compute_programmes(con, config)
        assert "income_floor" not in {r[0] for r in con.execute(
            "SELECT DISTINCT programme FROM programme_mix").fetchall()}
        request = RankRequest(level="cn_city", top=5, budget=1000)
        path = write_ranking(con, rank_regions(con, request), request, tmp_path / "c.xlsx")
    text = " ".join(str(v) for row in openpyxl.load_workbook(path)["programmes"].iter_rows(
        values_only=True) for v in row if v is not None)
    assert "basic income" not in text.lower() and "Lifelong skills" in text


@pytest.mark.realdata
def test_the_profile_gets_each_region_mix_in_the_map_languages(built_atlas):
    import duckdb

    from atlas.maps.data import programme_mix

    with duckdb.connect(str(built_atlas), read_only=True) as con:
        english = programme_mix(con, "us_area", ("en",))
        bilingual = programme_mix(con, "cn_city", ("zh", "en"))
    assert len(english) == 528
    for rows in english.values():
        assert abs(sum(share for _, share, _, _ in rows) - 1) < 0.01  # shares rounded to 0.001
        assert all(low <= share <= high for _, share, low, high in rows)
    first = next(iter(bilingual.values()))[0][0]
    assert first.startswith("终身技能账户") and "Lifelong skills" in first
