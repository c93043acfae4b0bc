"""Choosing a place on the real maps (issue 30): a small metro is drawn readably, a place
without a shape gets a marker, the phone's world view has no Antarctica, and everyday English
names find their countries. Every network request refused."""

from __future__ import annotations

import os

import pytest

from atlas.errors import ConfigError
from atlas.maps.specs import map_spec
from tests.browser import browser_available, map_page, wait_until

needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="needs /usr/bin/chromium and playwright")


def test_label_points_are_checked():
    block = {"file": "x.html", "title": "X", "label_points": {"TUV": [-8.5, 179.2]},
             "search_aliases": {"CIV": ["Ivory Coast"]}, "leave_out": ["ATA"]}
    spec = map_spec("country", block, [])
    assert spec.label_points == {"TUV": (-8.5, 179.2)} and spec.leave_out == ("ATA",)
    with pytest.raises(ConfigError, match=r"label_points\.TUV must be \[lat, lon\]"):
        map_spec("country", {**block, "label_points": {"TUV": [179.2, -8.5, 1]}}, [])


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
def test_a_small_metro_is_drawn_readably_when_chosen(real_maps, atlas_con):
    flint = atlas_con.execute("SELECT region_id FROM regions WHERE level = 'us_area' "
                              "AND name LIKE 'Flint, %'").fetchone()[0]
    with map_page((real_maps / "us_areas.html").as_uri(), 1366, 768) as (page, refused, errors):
        page.locator("#atlas-q").fill("flint")
        page.keyboard.press("Enter")
        wait_until(page, "(id) => window.atlasMap.state.selected === id", flint)
        box = page.evaluate("""(id) => { const r = window.atlasMap.byId[id].getElement()
            .getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }""", flint)
        assert max(box[2], box[3]) >= 120, box
        assert box[0] >= 0 and box[1] >= 0 and box[0] + box[2] <= 1366  # and in view
        assert refused == [] and errors == []


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
def test_world_on_a_phone_markers_and_everyday_names(real_maps):
    with map_page((real_maps / "world.html").as_uri(), phone=True) as (page, refused, errors):
        assert "ATA" not in page.evaluate("Object.keys(window.atlasMap.byId)")
        south = page.evaluate("""() => Math.min(...Object.values(window.atlasMap.byId)
            .map((l) => l.getBounds().getSouth()))""")
        assert south > -60  # nothing drawn in Antarctica's latitudes
        for query, country in (("guam", "GUM"), ("ivory", "CIV"), ("burma", "MMR"),
                               ("swaziland", "SWZ"), ("east timor", "TLS"), ("laos", "LAO"),
                               ("holland", "NLD"), ("czech republic", "CZE")):
            page.locator("#atlas-q").fill(query)
            first = page.locator("#atlas-suggest li").first.get_attribute("data-id")
            assert first == country, query
        for query, country in (("tuvalu", "TUV"), ("gibraltar", "GIB"),
                               ("channel islands", "CHI")):
            page.locator("#atlas-q").fill(query)
            page.keyboard.press("Enter")
            wait_until(page, "(id) => window.atlasMap.state.selected === id", country)
            marker = page.locator("path.atlas-marker")
            assert marker.count() == 1, country
            box = marker.bounding_box()
            sheet = page.locator("#atlas-profile").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, country
            assert box["y"] >= 0 and box["y"] + box["height"] <= sheet["y"], country
            page.keyboard.press("Escape")
        assert refused == [] and errors == []
