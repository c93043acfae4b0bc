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
from atlas.maps import MAP_SPECS, MapSpec, classify, safe_json, write_level_map
from tests.browser import browser_available, hover, map_page, open_profile
from tests.tiny import tiny_database

XSS_NAME = '<img src=x onerror="window.__xss=1">'
# In CI the browser must be there (.ci/run installs it): the tests run and fail without it.
needs_browser = pytest.mark.skipif(
    not browser_available() and not os.environ.get("CI"),
    reason="needs /usr/bin/chromium and playwright")


@pytest.fixture(scope="module")
def us_maps(real_maps: Path) -> Path:
    return real_maps


def test_classify_quantiles_and_missing():
    index, labels = classify(pd.Series([1.0, 2.0, None, 3.0, 4.0, 5.0]), "Quantiles", k=5,
                             fmt="pct")
    assert index == [0, 1, None, 2, 3, 4]
    assert labels[0] == "100.0% - 180.0%"


def test_classify_ties_give_unique_classes():
    index, labels = classify(pd.Series([0.0] * 10 + [1.0] * 10 + [2.0]), "Quantiles", fmt="num")
    assert labels == ["0.000", "1.000", "2.000"]
    assert index == [0] * 10 + [1] * 10 + [2]
    tiny = pd.Series([0.00001 * i for i in range(20)])  # all read "0.0%" once formatted
    assert classify(tiny, "Quantiles", fmt="pct") == ([0] * 20, ["0.0%"])
    index, labels = classify(pd.Series([0.0] * 30 + [0.01, 0.02, 0.05]), "Quantiles", fmt="pct")
    assert len(set(labels)) == len(labels) and index[:30] == [0] * 30


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
        assert XSS_NAME in hover(page, "R1")
        assert XSS_NAME in open_profile(page, "R1")
        page.fill("#atlas-q", "<img")
        assert XSS_NAME in page.locator("#atlas-suggest").inner_text()
        assert page.evaluate("() => window.__xss") is None
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert refused == [] and errors == []


@needs_browser
def test_profile_of_detroit_shows_name_rank_and_interval(us_maps, atlas_con):
    rank, low, high = atlas_con.execute(
        "SELECT risk_rank, rank_p05, rank_p95 FROM region_indices "
        "WHERE level = 'us_area' AND region_id = '19820'").fetchone()
    with map_page((us_maps / "us_areas.html").as_uri()) as (page, refused, errors):
        tip = hover(page, "19820")
        assert "Detroit-Warren-Dearborn, MI" in tip and f"rank {rank} of 528" in tip
        text = open_profile(page, "19820")
        assert re.search(rf"Ranks {rank}(st|nd|rd|th) of 528 US areas", text)
        assert re.search(rf"between {int(low)}(st|nd|rd|th) and {int(high)}(st|nd|rd|th)",
                         text)
        assert "Occupations with the most exposed jobs" in text
        assert "higher than" in text and "of US areas" in text
        assert refused == [] and errors == []


@needs_browser
def test_chinese_profile_is_bilingual(us_maps):
    with map_page((us_maps / "cn_cities.html").as_uri()) as (page, refused, errors):
        text = open_profile(page, "150600")
        assert "鄂尔多斯" in text and "Ordos" in text
        assert "排名" in text and "Ranks" in text and "采矿业 Mining" in text
        page.locator("#atlas-q").fill("ordos")
        assert page.locator("#atlas-suggest li").first.get_attribute("data-id") == "150600"
        nodata = open_profile(page, "653100")  # Kashgar: no data
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
