"""The two components that drive a region, as the generated documents print them
(``atlas.texts.top30.component_drivers``): computed only for the regions printed, they equal
the per-region sort they replaced, for every region of every level of the fixture atlas."""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.texts.top30 import component_drivers


def drivers_one_region_at_a_time(con: duckdb.DuckDBPyConnection, level: str) -> dict[str, str]:
    """The former form: every region's components sorted on their own."""
    components = con.execute("SELECT region_id, label, score FROM region_components "
                             "WHERE level = ?", [level]).df()
    return {rid: ", ".join(f"{r.label} {r.score:.0%}" for r in group.sort_values(
        ["score", "label"], ascending=[False, True]).head(2).itertuples())
        for rid, group in components.groupby("region_id")}


def test_drivers_equal_the_per_region_sort_on_every_level(fixture_con):
    levels = [row[0] for row in fixture_con.execute(
        "SELECT DISTINCT level FROM region_components ORDER BY 1").fetchall()]
    assert levels
    for level in levels:
        expected = drivers_one_region_at_a_time(fixture_con, level)
        regions = sorted(expected)
        assert component_drivers(fixture_con, level, regions) == expected, level
        some = regions[::3]  # only the regions asked for
        assert component_drivers(fixture_con, level, some) == {r: expected[r] for r in some}


def test_ties_missing_scores_and_no_regions():
    con = duckdb.connect()
    con.register("frame", pd.DataFrame({
        "level": "l", "region_id": ["a", "a", "a", "b", "b", "c"],
        "label": ["z", "y", "x", "p", "q", "r"],
        "score": [0.9, 0.9, 0.1, float("nan"), 0.2, float("nan")]}))
    con.execute("CREATE TABLE region_components AS SELECT * FROM frame")
    drivers = component_drivers(con, "l", ["a", "b", "c"])
    assert drivers == drivers_one_region_at_a_time(con, "l")
    assert drivers["a"] == "y 90%, z 90%"  # a tie on the score goes by label
    assert drivers["b"] == "q 20%, p nan%"  # a missing score comes last
    assert component_drivers(con, "l", []) == {}
    assert component_drivers(con, "other", ["a"]) == {}
