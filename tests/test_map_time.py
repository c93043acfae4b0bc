"""Change over time and comparisons on the map pages (issue 30, items 4 and 5): the packed
per-period values decode to the database's, the period control recolours the China map and the
permalink restores the year, the profile's chart has one point per period, and two or three
pinned places show side by side (and come back from the permalink), on a laptop and a phone.
Every network request refused."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd
import pytest

from atlas.maps.page import page_data, render_page
from atlas.maps.periods import (
    decode,
    encode,
    level_periods,
    period_indices,
    reclass,
    reclass_many,
    unpack_periods,
    upper_edges,
    width_for,
)
from tests.browser import browser_available, inside, map_page
from tests.map_fixture import XSS_NAME, fixture_data

SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"
needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="needs /usr/bin/chromium and playwright")
SIZES = [(1280, 720), (1366, 768), (1400, 900), None]  # None: a phone, 390 x 844


# ---------------------------------------------------------------- packing, by hand
def test_numbers_pack_in_base_64_and_back():
    assert width_for([0, 63, None]) == 1 and width_for([64]) == 2 and width_for([4095]) == 2
    assert width_for([4096]) == 3
    text = encode([0, 63, 64, None, 1000], 2)
    assert text == "00" + "0." + "10" + "~~" + "Fe"  # 1000 = 15 * 64 + 40: "F", "e"
    assert decode(text, 2) == [0, 63, 64, None, 1000]


def test_a_past_year_takes_the_classes_of_the_default_legend():
    values = {"a": 1.0, "b": 2.0, "c": 5.0, "d": 7.0, "e": math.nan}
    classes = {"a": 0, "b": 0, "c": 1, "d": 2, "e": None}
    edges = upper_edges(values, classes, 4)  # class 3 has no value
    assert edges[:3] == [2.0, 5.0, 7.0] and math.isnan(edges[3])
    assert [reclass(v, edges) for v in (0.5, 2.0, 2.1, 5.0, 6.0, 7.0, 99.0)] == \
        [0, 0, 1, 1, 2, 2, 2]  # beyond the ends: the end classes (the empty one is skipped)
    assert reclass(math.nan, edges) is None and reclass(None, edges) is None


@pytest.mark.parametrize("edges", [[2.0, 5.0, 7.0, math.nan], [math.nan, 3.0, math.nan, 1.0],
                                   [math.nan, math.nan], [4.0]])
def test_every_region_reclassed_at_once_as_one_by_one(edges):
    values = {"a": 0.5, "b": 2.0, "c": 2.1, "d": 5.0, "e": 6.0, "f": 7.0, "g": 99.0,
              "h": math.nan, "i": None, "j": -3, "k": pd.NA}
    assert reclass_many(values, edges) == {rid: reclass(v, edges) for rid, v in values.items()}


# ---------------------------------------------------------------- the real China map
def _china(real_maps: Path) -> dict:
    return page_data((real_maps / "cn_cities.html").read_text(encoding="utf-8"))


@pytest.mark.realdata
def test_packed_periods_decode_to_the_database(real_maps, atlas_con):
    data = _china(real_maps)
    periods = unpack_periods(data["periods"])
    years = periods["years"]
    assert years == list(range(2003, 2020)) and periods["default"] == 2019
    names = dict(atlas_con.execute("SELECT period, level FROM levels WHERE geography = "
                                   "'cn_city' AND period IS NOT NULL").fetchall())
    pillars = [p["key"] for p in periods["pillars"]]
    assert pillars == ["shock", "absorption"]
    column = {rid: j for j, rid in enumerate(periods["ids"])}
    checked = 0
    for i, year in enumerate(years):
        rows = atlas_con.execute(
            "SELECT region_id, risk_rank, collapse_risk, pillar_shock, pillar_absorption, "
            "count(collapse_risk) OVER () FROM region_indices WHERE level = ?",
            [names[year]]).fetchall()
        assert periods["count"][i] == rows[0][5]
        for rid, rank, risk, shock, absorption, _ in rows:
            if rid not in column:
                continue
            j = column[rid]
            assert periods["rank"][i][j] == rank
            if risk is None:
                assert periods["risk"][i][j] is None
                continue
            assert abs(periods["risk"][i][j] / 1000 - risk) <= 0.0005 + 1e-12  # 3 decimals shown
            for k, value in enumerate((shock, absorption)):
                assert abs(periods["p"][k][i][j] / 100 - value) <= 0.005 + 1e-12  # whole %
            checked += 1
    assert checked > 17 * 250
    # the default year is the map's own classes, and the ranks the profile states
    last = years.index(2019)
    for rid, j in column.items():
        region = data["regions"][rid]
        assert periods["rank"][last][j] == region.get("rank")
        for key, classes in periods["classes"].items():
            assert classes[last][j] == region["c"].get(key), (rid, key)


@pytest.mark.realdata
def test_only_a_level_with_periods_packs_them(real_maps):
    for page in ("us_areas.html", "world.html"):
        assert page_data((real_maps / page).read_text(encoding="utf-8")).get("periods") is None


def _changing_region(data: dict) -> tuple[str, int, int]:
    """A region whose collapse-risk class differs between 2003 and 2019, with both classes."""
    periods = unpack_periods(data["periods"])
    first, last = periods["years"].index(2003), periods["years"].index(2019)
    classes = periods["classes"]["collapse_risk"]
    for j, rid in enumerate(periods["ids"]):
        a, b = classes[first][j], classes[last][j]
        if a is not None and b is not None and a != b and rid in {
                f["id"] for f in data["geo"]["features"]}:
            return rid, a, b
    raise AssertionError("no region changes class between 2003 and 2019")


FILL = "(id) => window.atlasMap.byId[id].getElement().getAttribute('fill')"


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
def test_the_period_control_recolours_and_the_permalink_restores_it(real_maps):
    data = _china(real_maps)
    rid, old, new = _changing_region(data)
    colors = data["layers"][0]["colors"]
    assert data["layers"][0]["key"] == "collapse_risk" and colors[old] != colors[new]
    url = (real_maps / "cn_cities.html").as_uri()
    with map_page(url, 1400, 900) as (page, refused, errors):
        assert page.evaluate(FILL, rid) == colors[new]
        label = page.locator("label[for=atlas-period]").inner_text()
        assert "年份" in label and "Year" in label  # bilingual
        page.locator("#atlas-period").fill(str(data["periods"]["years"].index(2003)))
        assert page.evaluate(FILL, rid) == colors[old]
        assert page.locator(".atlas-period-year").inner_text() == "2003"
        assert "period=2003" in page.evaluate("location.hash")
        page.evaluate("(id) => window.atlasMap.select(id)", rid)
        text = page.locator("#atlas-profile").inner_text()
        assert "2003" in text and "2019" in text  # the year shown, and the rest's year
        page.locator("#atlas-period").fill(str(data["periods"]["years"].index(2019)))
        assert page.evaluate(FILL, rid) == colors[new]
        assert "period=" not in page.evaluate("location.hash")
        assert refused == [] and errors == []
    for size in SIZES:
        kw = {"phone": True} if size is None else {"width": size[0], "height": size[1]}
        width, height = size or (390, 844)
        with map_page(url + "#layer=collapse_risk&period=2003", **kw) as (page, refused, errors):
            assert page.evaluate("window.atlasMap.state.period") == 2003
            assert page.evaluate(FILL, rid) == colors[old]
            for part in ("#atlas-period", ".atlas-period-year", "label[for=atlas-period]"):
                assert inside(page.locator(part).bounding_box(), width, height), (size, part)
            assert refused == [] and errors == []


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
def test_the_profile_charts_every_period(real_maps):
    data = _china(real_maps)
    periods = unpack_periods(data["periods"])
    years = periods["years"]
    full = next(rid for j, rid in enumerate(periods["ids"])
                if all(periods["rank"][i][j] is not None for i in range(len(years))))
    with map_page((real_maps / "cn_cities.html").as_uri(), 1366, 768) as (page, refused, errors):
        page.evaluate("(id) => window.atlasMap.select(id)", full)
        points = page.locator(".atlas-period-rank circle.atlas-period-pt")
        assert points.count() == len(years)
        assert [int(points.nth(i).get_attribute("data-year")) for i in range(len(years))] == years
        pillar_points = page.locator(".atlas-period-pillars circle.atlas-period-pt")
        assert pillar_points.count() == 2 * len(years)
        # the rank of each point is the packed rank (its tooltip)
        first = points.nth(0).locator("title").text_content()
        assert first.startswith("2003") and f"{periods['rank'][0][periods['ids'].index(full)]}" \
            in first
        page.screenshot(path=str(SHOTS / "time_profile_1366.png"))
        assert refused == [] and errors == []


def _side_by_side(page, width: int, height: int) -> None:
    cols = page.locator("#atlas-compare .atlas-cmp-col")
    assert cols.count() == 2
    heads = [cols.nth(i).locator(".atlas-cmp-head").bounding_box() for i in range(2)]
    for box in heads:
        assert inside(box, width, height), box
    assert abs(heads[0]["y"] - heads[1]["y"]) < 2  # side by side, not stacked
    assert heads[0]["x"] + heads[0]["width"] <= heads[1]["x"] + 0.5
    assert inside(page.locator("#atlas-compare").bounding_box(), width, height)


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
def test_two_pinned_places_side_by_side_and_back_from_the_permalink(real_maps):
    SHOTS.mkdir(parents=True, exist_ok=True)
    data = _china(real_maps)
    ranked = sorted((r["rank"], rid) for rid, r in data["regions"].items() if r.get("rank"))
    a, b = ranked[0][1], ranked[-1][1]
    url = (real_maps / "cn_cities.html").as_uri()
    for size in ((1400, 900), None):
        kw = {"phone": True} if size is None else {"width": size[0], "height": size[1]}
        width, height = size or (390, 844)
        with map_page(url, **kw) as (page, refused, errors):
            for rid in (a, b):
                page.evaluate("(id) => window.atlasMap.select(id)", rid)
                page.locator(".atlas-pin").click()
            page.wait_for_selector("#atlas-compare:not([hidden])")
            _side_by_side(page, width, height)
            text = page.locator("#atlas-compare").inner_text()
            for rid in (a, b):
                assert data["regions"][rid]["n"] in text
            assert "固定" in page.locator(".atlas-unpin").first.inner_text()  # bilingual
            link = page.evaluate("location.href")
            assert f"pins={a}%2C{b}" in link
            page.screenshot(path=str(SHOTS / f"time_compare_{width}.png"))
            assert refused == [] and errors == []
        with map_page(link, **kw) as (page, refused, errors):  # the permalink restores the pins
            assert page.evaluate("window.atlasMap.state.pins") == [a, b]
            _side_by_side(page, width, height)
            page.locator("#atlas-compare .atlas-unpin").first.click()  # one left: no comparison
            assert page.locator("#atlas-compare").is_hidden()
            assert page.evaluate("window.atlasMap.state.pins") == [b]
            assert refused == [] and errors == []


# ---------------------------------------------------------------- synthetic DATA: no periods
@pytest.mark.browser
@needs_browser
def test_pins_escape_names_and_a_level_without_periods_has_no_control(tmp_path):
    path = tmp_path / "fixture.html"
    path.write_text(render_page(fixture_data()), encoding="utf-8")
    with map_page(path.as_uri() + "#pins=r04,r01,r02,r03", 1280, 720) as (page, refused, errors):
        assert page.locator("#atlas-period").count() == 0
        pins = page.evaluate("window.atlasMap.state.pins")
        assert pins == ["r01", "r02", "r03"]  # at most three: the last three named
        page.evaluate("(id) => window.atlasMap.select(id)", "r04")
        page.locator(".atlas-pin").click()  # a fourth pin replaces the oldest
        assert page.evaluate("window.atlasMap.state.pins") == ["r02", "r03", "r04"]
        assert page.locator("#atlas-compare .atlas-cmp-col").count() == 3
        assert XSS_NAME in page.locator("#atlas-compare").inner_text()
        assert page.evaluate("window.__xss") is None
        for i in range(3):
            box = page.locator("#atlas-compare .atlas-cmp-head").nth(i).bounding_box()
            assert inside(box, 1280, 720)
        page.keyboard.press("Escape")  # closes the comparison, keeps the pins
        assert page.locator("#atlas-compare").is_hidden()
        assert page.evaluate("window.atlasMap.state.pins") == ["r02", "r03", "r04"]
        assert refused == [] and errors == []


@pytest.mark.realdata
def test_another_periods_values_are_those_of_its_full_layers(atlas_con):
    """A past period's layers are built as values only (the default legend classes them):
    the values must be exactly those the full layers hold, bivariate pairs included."""
    from atlas.maps.layers import build_layers
    from atlas.maps.specs import load_declarations, load_map_specs
    from atlas.maps.text import Words
    from atlas.spec.risk_model import active_model
    from atlas.store.database import stored_config

    decls, spec = load_declarations(), load_map_specs()["cn_city"]
    config = stored_config(atlas_con)
    model, words = active_model(config), Words(spec, decls)
    level = level_periods(atlas_con, "cn_city")[0][0]  # the oldest period
    assert level != "cn_city"
    indices = atlas_con.execute("SELECT * FROM region_indices WHERE level = ? ORDER BY "
                                "region_id", [level]).df().set_index("region_id", drop=False)
    full = build_layers(atlas_con, level, indices, decls, words, config, model)
    only = build_layers(atlas_con, level, indices, decls, words, config, model,
                        values_only=True)
    assert only.values.keys() == full.values.keys() and len(full.values) > 5
    assert any(layer.get("kind") == "bivariate" for layer in full.layers)
    for key, values in full.values.items():
        assert only.values[key].keys() == values.keys()
        assert repr(only.values[key]) == repr(values), key  # NaN as NaN
    assert only.layers == [] and only.classes == {}


def _assert_read_alone(con, names: list[str]) -> None:
    """:func:`period_indices` equals one ``SELECT *`` per level: values, dtypes, the Python
    type of every cell (None, NaN, NA) and the index."""
    frames = period_indices(con, names)
    assert list(frames) == names
    for name in names:
        alone = con.execute("SELECT * FROM region_indices WHERE level = ? ORDER BY region_id",
                            [name]).df().set_index("region_id", drop=False)
        pd.testing.assert_frame_equal(frames[name], alone, check_exact=True)
        for column in alone.columns:
            assert [type(v) for v in frames[name][column].tolist()] == \
                [type(v) for v in alone[column].tolist()], (name, column)


def test_periods_read_at_once_as_each_alone():
    """One query for every period gives each period's frame as its own query does, where a
    combined read changes dtypes: a text column empty in one level only, an integer or a
    flag missing in another level only, and a level without rows."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE region_indices (level VARCHAR, region_id VARCHAR, "
                "zone VARCHAR, n BIGINT, big HUGEINT, flag BOOLEAN, risk DOUBLE)")
    con.execute("INSERT INTO region_indices VALUES "
                "('a', 'r2', NULL, 3, 7, true, 0.5), ('a', 'r1', NULL, 1, 8, false, NULL), "
                "('b', 'r1', 'hot', NULL, NULL, NULL, 0.25), ('b', 'r3', NULL, 2, 1, true, 1), "
                "('c', 'r9', 'cold', 5, 2, false, NULL)")
    _assert_read_alone(con, ["b", "a", "c", "none"])
    assert period_indices(con, ["a"])["a"]["zone"].dtype == object


@pytest.mark.realdata
def test_china_periods_read_at_once_as_each_alone(atlas_con):
    _assert_read_alone(atlas_con, [name for name, _ in level_periods(atlas_con, "cn_city")])
