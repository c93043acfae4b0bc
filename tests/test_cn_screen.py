"""The screens of China's yearly city series (atlas/sources/cn/screen.py): synthetic series
with a known outlier or break, and the real cases they were written for."""

from __future__ import annotations

import pandas as pd
import pytest

from atlas.sources.cn.screen import point_outliers, screened, unreverted


def _series(values: dict[str, list[float]], first: int = 2000) -> pd.DataFrame:
    rows = [(city, first + i, v) for city, series in values.items() for i, v in enumerate(series)]
    return pd.DataFrame(rows, columns=["adcode_cnmaps", "year", "emp"])


def test_a_year_far_off_its_agreeing_neighbours_is_an_outlier():
    frame = _series({"a": [100, 102, 10, 101, 99], "first": [900, 90, 92, 91, 93],
                     "smooth": [100, 130, 170, 220, 290]})
    flagged = frame.loc[point_outliers(frame, "emp")]
    found = sorted(zip(flagged["adcode_cnmaps"], flagged["year"], strict=True))
    assert found == [("a", 2002), ("first", 2000)]


def test_neighbours_that_disagree_describe_no_level():
    """A level shift is not an outlier: the years around it disagree."""
    frame = _series({"shift": [100, 100, 100, 1000, 1000, 1000]})
    assert not point_outliers(frame, "emp").any()


def test_a_break_drops_the_change_only_where_the_ends_stay_apart():
    frame = _series({"shift": [100, 100, 100, 1000, 1000, 1000],
                     "dip": [100, 100, 25, 25, 100, 100]})
    clean, found, notes = screened(frame, "emp", "employment")
    assert notes.empty and clean["emp"].equals(frame["emp"])
    assert sorted(found["adcode_cnmaps"]) == ["dip", "dip", "shift"]
    change = pd.Series({"shift": 900.0, "dip": 0.0})
    dropped = unreverted(found, change, 2000, 2005, "employment")
    assert list(dropped.index) == ["shift"]
    assert dropped["shift"] == ("employment jumps 10x from 2002 to 2003 (a break in the "
                                "series): its change 2000-2005 is not computed")
    assert unreverted(found, change, 2003, 2005, "employment").empty  # not inside


def test_the_outlier_is_left_out_and_noted_in_persons():
    clean, _, notes = screened(_series({"a": [100, 102, 10, 101, 99]}), "emp", "population")
    assert clean["emp"].isna().tolist() == [False, False, True, False, False]
    assert notes["note"].tolist() == ["population 2002 (100,000) is at least 3x off its "
                                      "neighbouring years: left out of the changes and means "
                                      "over the years"]


@pytest.mark.realdata
def test_the_real_breaks_are_screened(atlas_con):
    """Shangluo's 2010 population and Dongguan's 2013 employment break no longer drive a
    change; the city says why."""
    rows = dict(((level, region, indicator), value) for level, region, indicator, value in
                atlas_con.execute("""
        SELECT level, region_id, indicator, value FROM region_context
        WHERE region_id IN ('611000', '441900') AND level IN ('cn_city', 'cn_city@2010')
          AND indicator IN ('employment_change', 'population_change')""").fetchall())
    assert ("cn_city@2010", "611000", "population_change") not in rows
    assert ("cn_city", "611000", "population_change") not in rows
    assert ("cn_city", "441900", "employment_change") not in rows
    assert ("cn_city", "611000", "employment_change") in rows  # its employment is fine
    quality = dict(atlas_con.execute("SELECT region_id, data_quality FROM regions WHERE "
                                     "level = 'cn_city' AND region_id IN ('611000', '441900')"
                                     ).fetchall())
    assert "population 2010" in quality["611000"] and "left out" in quality["611000"]
    assert "jumps 9.68x from 2012 to 2013" in quality["441900"]
    extreme = atlas_con.execute("""SELECT max(abs(value)) FROM region_context
        WHERE level LIKE 'cn_city%' AND indicator = 'population_change'""").fetchone()[0]
    assert extreme < 300


def test_the_largest_break_names_the_problem():
    """A dip that reverts and a later shift that stays: the note names the shift."""
    frame = _series({"both": [100, 25, 100, 100, 1000, 1000]})
    _, found, _ = screened(frame, "emp", "employment")
    note = unreverted(found, pd.Series({"both": 900.0}), 2000, 2005, "employment")
    assert "from 2003 to 2004" in note["both"]


def _point_outliers_one_by_one(frame: pd.DataFrame, column: str) -> pd.Series:
    """The screen as first written: city by city, year by year, with numpy's median."""
    import numpy as np

    from atlas.sources.cn.screen import AGREE, JUMP, NEIGHBOURS

    flagged = pd.Series(False, index=frame.index)
    valid = frame.loc[frame[column] > 0, ["adcode_cnmaps", "year", column]]
    for _, city in valid.sort_values("year").groupby("adcode_cnmaps", sort=False):
        values = city[column].to_numpy(float)
        for i in range(len(values)):
            around = np.r_[values[max(0, i - NEIGHBOURS):i], values[i + 1:i + 1 + NEIGHBOURS]]
            if len(around) < 2 or around.max() > AGREE * around.min():
                continue
            ratio = values[i] / np.median(around)
            if ratio >= JUMP or ratio <= 1 / JUMP:
                flagged[city.index[i]] = True
    return flagged


def test_the_screen_of_all_rows_at_once_flags_what_the_loop_flags():
    """Random short series (gaps, zeros, NaN, values on the JUMP and AGREE borders, a
    shuffled index): the vectorised screen flags exactly the rows the loop flags."""
    import numpy as np

    rng = np.random.default_rng(7)
    levels = [1.0, 1.2, 1.4, 1.5, 2.1, 3.0, 3.6, 1 / 3, 10.0]
    for _ in range(200):
        n = int(rng.integers(1, 40))
        emp = rng.choice(levels, n)
        emp[rng.random(n) < 0.15] = rng.choice([0.0, np.nan, -1.0])
        frame = pd.DataFrame({"adcode_cnmaps": rng.integers(0, 4, n).astype(str),
                              "year": rng.permutation(2000 + np.arange(n)), "emp": emp},
                             index=rng.permutation(n) * 3)
        pd.testing.assert_series_equal(point_outliers(frame, "emp"),
                                       _point_outliers_one_by_one(frame, "emp"))
