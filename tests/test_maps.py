"""The HTML maps: size, data safety, and behaviour in a real browser (headless Chromium)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import shapely

from atlas.build import write_tables
from atlas.maps import MAP_SPECS, MapSpec, classify, safe_json, write_level_map, write_maps
from tests.browser import browser_available, map_page
from tests.tiny import tiny_database

XSS_NAME = '<img src=x onerror="window.__xss=1">'
# In CI the browser must be there (.ci/run installs it): the tests run and fail without it.
needs_browser = pytest.mark.skipif(
    not browser_available() and not os.environ.get("CI"),
    reason="needs /usr/bin/chromium and .ci/node_modules (run .ci/run once)")


@pytest.fixture(scope="module")
def us_maps(built_atlas: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("maps")
    write_maps(built_atlas, out)
    return out


def test_classify_quantiles_and_missing():
    index, labels = classify(pd.Series([1.0, 2.0, None, 3.0, 4.0, 5.0]), "Quantiles", k=5,
                             fmt="pct")
    assert index == [0, 1, None, 2, 3, 4]
    assert labels[0] == "100.0% - 180.0%"


def test_safe_json_cannot_close_the_script():
    text = safe_json({"n": "</script><script>alert(1)</script>"})
    assert "</script>" not in text and "<" not in text
    assert json.loads(text)["n"] == "</script><script>alert(1)</script>"


def test_us_map_size_and_index(us_maps):
    for name in ("us_areas.html", "cn_cities.html", "world.html"):
        assert (us_maps / name).stat().st_size <= 6 * 1024 * 1024
    index = (us_maps / "index.html").read_text()
    assert "us_areas.html" in index
    assert index.count("<tr>") >= 21  # header + top 20


def tiny_map(tmp_path: Path) -> Path:
    """A map of the tiny level where one region is named like an XSS payload."""
    con = tiny_database(names=[XSS_NAME, "Plain Town"])
    squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    write_tables(con, {"region_geometry": pd.DataFrame({
        "level": ["tiny", "tiny"], "region_id": ["R1", "R2"],
        "geometry": [shapely.to_wkb(g) for g in squares]})})
    spec = MapSpec(**{**MAP_SPECS["us_area"].__dict__, "level": "tiny", "filename": "tiny.html",
                      "outline_level": None, "transform": None})
    return write_level_map(con, spec, tmp_path)


def test_region_names_are_escaped_in_the_html(tmp_path):
    text = tiny_map(tmp_path).read_text()
    assert XSS_NAME not in text
    assert "\\u003cimg" in text


@needs_browser
def test_xss_name_renders_as_text(tmp_path):
    path = tiny_map(tmp_path)
    with map_page(path.as_uri()) as (page, refused, errors):
        assert page.locator("path.atlas-region").count() == 2
        page.evaluate("() => window.atlasMap.byId['R1'].openTooltip()")
        page.wait_for_timeout(300)
        assert XSS_NAME in page.locator(".atlas-tooltip").inner_text()
        page.fill(".atlas-search", XSS_NAME)
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.__xss") is None
        assert page.locator(".atlas-tooltip img").count() == 0
        assert refused == [] and errors == []


@pytest.mark.parametrize("filename, level", [("us_areas.html", "us_area"),
                                             ("cn_cities.html", "cn_city"),
                                             ("world.html", "country")])
@needs_browser
def test_map_in_a_browser(us_maps, atlas_con, filename, level):
    with map_page((us_maps / filename).as_uri()) as (page, refused, errors):
        with_geometry = atlas_con.execute(
            "SELECT count(*) FROM region_geometry WHERE level = ?", [level]).fetchone()[0]
        assert page.locator("path.atlas-region").count() == with_geometry
        assert page.locator(".atlas-legend").count() == 1
        if level != "country":
            assert page.locator("path.atlas-outline").count() > 20  # state, province outlines
        assert page.locator("path.atlas-flag-trap").count() > 0

        def fills():
            return page.eval_on_selector_all(
                "path.atlas-region", "paths => paths.map(p => p.getAttribute('fill'))")
        before = fills()
        page.locator(".atlas-switcher input[value='1']").check()
        page.wait_for_timeout(200)
        after = fills()
        assert sum(a != b for a, b in zip(before, after, strict=True)) > 50
        page.screenshot(path=str(us_maps / filename.replace(".html", ".png")))
        assert refused == [], f"unrouted requests: {refused}"
        assert errors == [], f"JavaScript errors: {errors}"


def hover(page, region_id: str) -> str:
    """Move the mouse onto a region and return its tooltip text."""
    x, y = page.evaluate("""(id) => {
        const layer = window.atlasMap.byId[id];
        const p = window.atlasMap.map.latLngToContainerPoint(layer.getBounds().getCenter());
        return [p.x, p.y]; }""", region_id)
    page.mouse.move(x, y)
    page.wait_for_selector(".atlas-tooltip")
    page.wait_for_timeout(300)  # the previous tooltip fades out
    return page.locator(".atlas-tooltip").last.inner_text()


@needs_browser
def test_hovering_detroit_shows_name_rank_and_interval(us_maps, atlas_con):
    rank, low, high = atlas_con.execute(
        "SELECT risk_rank, rank_p05, rank_p95 FROM region_indices "
        "WHERE level = 'us_area' AND region_id = '19820'").fetchone()
    with map_page((us_maps / "us_areas.html").as_uri()) as (page, refused, errors):
        tip = hover(page, "19820")
        assert "Detroit-Warren-Dearborn, MI" in tip
        assert re.search(rf"Rank {rank} of 528 \(90% interval {int(low)}-{int(high)}\)", tip)
        assert "Occupations with the most exposed jobs" in tip
        assert refused == [] and errors == []


@needs_browser
def test_chinese_tooltip_is_bilingual(us_maps):
    with map_page((us_maps / "cn_cities.html").as_uri()) as (page, refused, errors):
        tip = hover(page, "150600")
        assert "鄂尔多斯" in tip and "Ordos" in tip
        assert "排名 Rank" in tip and "采矿业 Mining" in tip
        page.mouse.move(5, 5)
        page.evaluate("() => window.atlasMap.byId['653100'].openTooltip()")  # Kashgar: no data
        page.wait_for_timeout(300)
        nodata = page.locator(".atlas-tooltip").last.inner_text()
        assert "喀什" in nodata and "无数据 No data" in nodata
        assert refused == [] and errors == []


def test_every_us_area_has_geometry(atlas_con):
    missing = atlas_con.execute("""
        SELECT r.region_id FROM region_indices r
        LEFT JOIN region_geometry g USING (level, region_id)
        WHERE r.level = 'us_area' AND g.geometry IS NULL""").fetchall()
    assert missing == []


def test_duckdb_tables_for_maps_exist(atlas_con: duckdb.DuckDBPyConnection):
    count = atlas_con.execute("SELECT count(DISTINCT region_id) FROM region_top_categories "
                              "WHERE level = 'us_area'").fetchone()[0]
    assert count == 528
