"""The map front-end against the data contract: synthetic DATA (tests/map_fixture.py) in
headless Chromium with every network request refused, plus the page's Python side."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from atlas.maps.assets import leaflet_assets
from atlas.maps.page import page_data, render_page, safe_json, validate
from atlas.maps.specs import load_map_specs
from tests.browser import (
    PHONE,
    browser_available,
    checked_pages,
    hover,
    inside,
    open_profile,
    region_point,
)
from tests.map_fixture import FORMULA_NAME, LEVEL_PLURAL, XSS_NAME, fixture_data

SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"
W, H = 1400, 900
needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="needs /usr/bin/chromium and playwright")
browser_test = [pytest.mark.browser, needs_browser]


# ---------------------------------------------------------------- the page's Python side
def test_offline_page_loads_nothing_and_inlines_leaflet():
    page = render_page(fixture_data())
    # no address to load (a link to an element of the page itself, "#...", loads nothing)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=(?![\"']#)", page)
    assert re.search(r"<link[^>]+href=", page)  # the expect link: what the look-ahead lets by
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert f'version="{leaflet_assets().version}"' in page and leaflet_assets().version == "1.9.4"
    assert "sourceMappingURL" not in page and "url(images/" not in page


def test_cdn_variant_loads_leaflet_with_integrity():
    page = render_page(fixture_data(), cdn=True)
    assert re.search(r'<script src="https://cdn\.jsdelivr\.net/npm/leaflet@1\.9\.4/dist/'
                     r'leaflet\.js" integrity="sha384-', page)
    assert 't.version="1.9.4"' not in page  # not inlined as well


def test_untrusted_names_stay_data():
    page = render_page(fixture_data())
    assert XSS_NAME not in page and "<img" not in page
    assert page_data(page)["regions"]["r04"]["n"] == XSS_NAME
    assert "</script" not in safe_json({"n": "</script><script>"})


def test_validate_names_contract_breaches():
    assert validate(fixture_data()) == []
    data = fixture_data()
    data["regions"]["r00"]["c"]["risk"] = 7
    data["layers"][1]["fmt"] = "percent"
    del data["count"]
    assert validate(data) == ["missing key 'count'"]
    data["count"] = 38
    problems = " ".join(validate(data))
    assert "class 7 out of range" in problems and "'percent'" in problems
    with pytest.raises(ValueError, match="contract"):
        render_page(data)


# ---------------------------------------------------------------- in the browser
@pytest.fixture()
def session(browser, fixture_url):
    """``open(url=None, phone=False) -> page``; fails the test on any request or JS error."""
    with checked_pages(browser, fixture_url) as open_:
        yield open_


def profile_text(page) -> str:
    return page.locator("#atlas-profile").inner_text()


@pytest.mark.browser
@needs_browser
def test_every_path_drawn_on_every_layer(session):
    page = session()
    assert page.locator("path.atlas-region").count() == 40
    assert page.locator("path.atlas-outline").count() == 1
    assert page.locator("path.atlas-flag-trap").count() == 4
    for layer in fixture_data()["layers"]:
        page.evaluate("(k) => window.atlasMap.setLayer(k)", layer["key"])
        legend = page.locator(".atlas-legend").inner_text()
        assert layer["what"] in legend, layer["key"]
    assert page.locator(".atlas-legend .atlas-bivariate rect").count() == 9
    page.evaluate("window.atlasMap.setLayer('tied')")
    assert page.locator(".atlas-legend").inner_text().count("0.0%") == 1  # ties: one class
    page.evaluate("window.atlasMap.setLayer('shock')")
    assert "percentage points (pp)" in page.locator(".atlas-legend").inner_text()


@pytest.mark.browser
@needs_browser
def test_search_is_forgiving_and_says_no_match(session):
    page = session()
    box = page.locator("#atlas-q")
    for query, region in [("youngs", "r00"), ("HEGANG", "r01"), ("鹤岗", "r01"),
                          ("philipp", "r02"), ("phl", "r02"), ("sao pa", "r03"),
                          ("zurich", "r07"), ("xian", "r08"), ("warren", "r00")]:
        box.fill(query)
        first = page.locator("#atlas-suggest li").first
        assert first.get_attribute("data-id") == region, query
        box.press("Enter")
        page.wait_for_selector("#atlas-profile:not([hidden])")
        assert page.evaluate("window.atlasMap.state.selected") == region
        name = fixture_data()["regions"][region]["n"]
        assert name in profile_text(page)
        inner = page.evaluate("""(id) => window.atlasMap.map.getBounds().contains(
            window.atlasMap.byId[id].getBounds().getCenter())""", region)
        assert inner, f"{query}: map did not move to {region}"
    box.fill("zzqx")
    assert "No match" in page.locator(".atlas-search-status").inner_text()
    assert page.locator("#atlas-suggest").is_hidden()
    box.fill("test area 1")
    box.press("ArrowDown")
    box.press("ArrowDown")
    second = page.locator("#atlas-suggest li").nth(1).get_attribute("data-id")
    box.press("Enter")
    assert page.evaluate("window.atlasMap.state.selected") == second
    # the profile's title has the focus; the next Tab reaches its Close button
    assert page.evaluate("document.activeElement.id") == "atlas-profile-title"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('atlas-close')")


@pytest.mark.browser
@needs_browser
def test_profile_and_tooltip_stay_inside_the_window_at_edges(session):
    page = session()
    page.evaluate("window.atlasMap.map.setView([35, -84], 6.5, {animate: false})")
    targets = [(6, 300), (6, H - 6), (W / 2, 6), (W / 2, H - 6), (W - 6, H - 160),
               (W - 6, H / 2 + 300), (420, 140), (W - 330, 6)]
    for tx, ty in targets:
        spot = page.evaluate("""([x, y]) => {
            for (let d = 0; d < 200; d += 4) for (const [dx, dy] of [[d,0],[-d,0],[0,d],[0,-d]]) {
              const e = document.elementFromPoint(x + dx, y + dy);
              if (e && e.classList.contains("atlas-region")) return [x + dx, y + dy];
            } return null; }""", [tx, ty])
        assert spot, (tx, ty)
        page.mouse.move(*spot)
        page.wait_for_selector("#atlas-tooltip:not([hidden])")
        tip = page.locator("#atlas-tooltip").bounding_box()
        assert inside(tip, W, H), (spot, tip)
        page.mouse.click(*spot)
        page.wait_for_selector("#atlas-profile:not([hidden])")
        assert inside(page.locator("#atlas-profile").bounding_box(), W, H), spot
        page.keyboard.press("Escape")
        assert page.locator("#atlas-profile").is_hidden()


@pytest.mark.browser
@needs_browser
def test_profile_speaks_plain_words(session):
    page = session()
    tip = hover(page, "r00")
    assert "Youngstown-Warren, OH-PA" in tip and "rank 12 of 38" in tip
    text = open_profile(page, "r00")
    assert f"Ranks 12th of 38 {LEVEL_PLURAL} on collapse risk" in text
    assert ("Under 90% of the model variants tried (other exposure measures, weights and "
            "components), it ranks between 5th and 31st.") in text
    assert f"higher than 73% of {LEVEL_PLURAL}" in text
    assert f"higher than 81% of {LEVEL_PLURAL}" in text  # a component's percentile
    assert text.count("percentage points (pp)") <= 1  # spelled out once at most
    assert "not that jobs will be lost" in text  # exposure is not displacement, in the profile
    # a scenario says over how long and in its own language's unit
    assert ("over 10 years, 4,200 jobs displaced and 1,260 not re-employed locally: "
            "unemployment rate up 0.42 percentage points.") in text
    assert "Rust-belt areas" in text and "historic manufacturing belt" in text
    assert "Customer service representatives" in text and "12,345" in text
    assert page.locator("#atlas-profile svg.atlas-chart rect.atlas-bar").count() >= 3
    assert page.locator("#atlas-profile svg.atlas-spark polyline").count() == 1
    page.evaluate("window.atlasMap.setLayer('shock')")
    assert "percentage points (pp)" in hover(page, "r02")
    missing = open_profile(page, "r01")
    assert "OEWS suppressed 3 occupations" in missing and "鹤岗市 Hegang" in missing
    nodata = open_profile(page, "r39")
    assert "No data" in nodata and "OEWS suppressed" in nodata


@pytest.mark.browser
@needs_browser
def test_hostile_names_render_as_text(session):
    page = session()
    page.evaluate("window.atlasMap.map.setView([27, -80], 7, {animate: false})")
    assert XSS_NAME in hover(page, "r04")
    assert XSS_NAME in open_profile(page, "r04")
    page.locator("#atlas-q").fill("<img")
    assert XSS_NAME in page.locator("#atlas-suggest").inner_text()
    assert FORMULA_NAME in open_profile(page, "r05")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("window.__xss") is None


@pytest.mark.browser
@needs_browser
def test_labels_never_overlap(session):
    page = session()
    boxes_js = """() => [...document.querySelectorAll('.atlas-label:not([hidden])')]
        .map((e) => { const r = e.getBoundingClientRect();
                      return [r.left, r.top, r.right, r.bottom]; })"""
    counts = []
    for zoom in (None, 5.5, 6.5):
        if zoom:
            page.evaluate(f"window.atlasMap.map.setZoom({zoom}, {{animate: false}})")
            page.wait_for_timeout(100)
        boxes = page.evaluate(boxes_js)
        counts.append(len(boxes))
        if zoom is None:  # label_rank 1 is labelled on the first view
            assert "Youngstown-Warren" in page.locator(".atlas-labels").inner_text()
        for i, a in enumerate(boxes):
            assert a[0] >= 0 and a[2] <= W + 0.5, a
            for b in boxes[i + 1:]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    assert counts[0] >= 4 and counts[-1] >= counts[0]


@pytest.mark.browser
@needs_browser
def test_phone_layout_keeps_the_map_and_big_targets(session):
    page = session(phone=True)
    w, h = PHONE["viewport"]["width"], PHONE["viewport"]["height"]
    share_js = f"""() => {{ let hit = 0, n = 0;
        for (let x = 2; x < {w}; x += 8) for (let y = 2; y < {h}; y += 8) {{ n += 1;
          const e = document.elementFromPoint(x, y);
          if (e && document.getElementById("atlas_map").contains(e)
              && !e.closest(".leaflet-control")) hit += 1; }}
        return hit / n; }}"""
    targets_js = """() => [...document.querySelectorAll(
        'button, a[href], input[type=search], .atlas-choice, [role=option], summary')]
        .filter((e) => {
          const r = e.getBoundingClientRect(), s = getComputedStyle(e);
          return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.bottom > 0
                 && r.top < innerHeight; })
        .map((e) => { const r = e.getBoundingClientRect();
                      return [e.className || e.tagName, r.width, r.height]; })"""
    on_top_js = """(sel) => { const e = document.querySelector(sel);
        const r = e.getBoundingClientRect();
        return e.contains(document.elementFromPoint(r.left + r.width / 2,
                                                    r.top + r.height / 2)); }"""
    assert page.evaluate(share_js) >= 0.7
    for state in ("closed", "menu", "profile"):
        if state == "menu":
            page.locator(".atlas-menu-btn").tap()
            page.wait_for_selector("#atlas-side", state="visible")
        if state == "profile":
            page.keyboard.press("Escape")
            page.locator("#atlas-q").fill("youngs")
            page.locator("#atlas-suggest li").first.tap()
            page.wait_for_selector("#atlas-profile:not([hidden])")
        small = [t for t in page.evaluate(targets_js) if t[1] < 40 or t[2] < 40]
        assert small == [], f"{state}: touch targets under 40 px: {small}"
        for selector in (".leaflet-control-zoom-in", ".leaflet-control-zoom-out", "#atlas-q"):
            assert page.evaluate(on_top_js, selector), f"{state}: {selector} is covered"
    box = page.locator("#atlas-profile").bounding_box()
    assert inside(box, w, h) and box["height"] <= 0.55 * h  # a bottom sheet
    assert box["y"] + box["height"] >= h - 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "fixture_phone_profile.png"))


@pytest.mark.browser
@needs_browser
def test_url_restores_layer_overlays_selection_and_view(session):
    page = session()
    page.locator(".atlas-layers input[value='unemp']").check()
    page.locator(".atlas-overlays input[value='rust']").check()
    page.evaluate("window.atlasMap.map.setView([33, -90], 6, {animate: false})")
    open_profile(page, "r10")
    url = page.url
    assert "sel=r10" in url and "layer=unemp" in url and "rust" in url
    again = session(url)
    state = again.evaluate("""() => { const m = window.atlasMap, c = m.map.getCenter();
        return [m.state.layer.key, [...m.state.on].sort(), m.state.selected, c.lat, c.lng,
                m.map.getZoom()]; }""")
    before = page.evaluate("""() => { const c = window.atlasMap.map.getCenter();
        return [c.lat, c.lng, window.atlasMap.map.getZoom()]; }""")
    assert state[:3] == ["unemp", ["rust", "trap"], "r10"]
    assert state[3:] == pytest.approx(before, abs=1e-3)
    assert "Test Area 10" in profile_text(again)
    assert again.locator(".atlas-layers input[value='unemp']").is_checked()
    again.locator(".atlas-copy").click()
    assert again.locator(".atlas-toast").inner_text() != ""
    SHOTS.mkdir(parents=True, exist_ok=True)
    again.screenshot(path=str(SHOTS / "fixture_desktop_profile.png"))


@pytest.mark.browser
@needs_browser
def test_print_shows_map_title_legend_and_profile_only(session):
    page = session()
    open_profile(page, "r00")
    page.evaluate("window.atlasMap.print()")  # what "beforeprint" does
    page.emulate_media(media="print")
    page.wait_for_timeout(200)
    for selector in (".atlas-print-sheet svg.atlas-poster", "#atlas-profile"):
        assert page.locator(selector).first.is_visible(), selector
    poster = page.locator(".atlas-print-sheet svg.atlas-poster").first.text_content()
    assert "Test atlas" in poster and "Collapse risk (0-1)" in poster
    for selector in ("#atlas-q", ".atlas-layers", ".atlas-overlays", ".atlas-tools",
                     ".leaflet-control-zoom", "#atlas_map", "#atlas-legend"):
        assert page.locator(selector).is_hidden(), selector
    assert page.locator(".atlas-print-sheet svg.atlas-poster").first.bounding_box()["height"] > 300
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "fixture_print.png"), full_page=True)


@pytest.mark.browser
@needs_browser
def test_save_as_png(session, tmp_path):
    page = session()
    open_profile(page, "r00")
    with page.expect_download() as download:
        page.locator(".atlas-png").click()
    path = tmp_path / "view.png"
    download.value.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 2 * (W + 16 + 270) and height > 2 * (H + 40)  # the legend beside the map
    assert len(data) > 20_000  # the drawn polygons, not an empty canvas
    assert region_point(page, "r00")  # the page is still alive


# ---------------------------------------------------------------- the real maps
# The share of a phone screen that shows the map or its key (the legend is always in view on
# a phone, issue #30: it reads as part of the map); other panels must not bury the map.
PHONE_MAP_SHARE = """() => { let hit = 0, n = 0;
    for (let x = 2; x < innerWidth; x += 8) for (let y = 2; y < innerHeight; y += 8) { n += 1;
      const e = document.elementFromPoint(x, y);
      if (e && ((document.getElementById("atlas_map").contains(e)
                 && !e.closest(".leaflet-control")) || e.closest("#atlas-legend"))) hit += 1; }
    return hit / n; }"""


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("filename, level", [("us_areas.html", "us_area"),
                                             ("cn_cities.html", "cn_city"),
                                             ("world.html", "country")])
def test_real_map_offline(session, real_maps, atlas_con, filename, level):
    path = real_maps / filename
    assert path.stat().st_size <= 6 * 1024 * 1024
    page = session(path.as_uri())
    left_out = list(load_map_specs()[level].leave_out) or [""]  # not drawn (Antarctica)
    with_geometry = atlas_con.execute(
        "SELECT count(*) FROM region_geometry WHERE level = ? AND NOT list_contains(?, region_id)",
        [level, left_out]).fetchone()[0]
    assert page.locator("path.atlas-region").count() == with_geometry
    if level != "country":
        assert page.locator("path.atlas-outline").count() > 20  # state, province outlines
    targets = atlas_con.execute("SELECT count(*) FROM region_indices WHERE level = ? AND "
                                "flag_transition_target AND region_id IN (SELECT region_id FROM "
                                "region_geometry WHERE level = ?)", [level, level]).fetchone()[0]
    assert page.locator("path.atlas-flag-transition_target").count() == targets > 0
    assert page.locator(".atlas-label:not([hidden])").count() >= 3

    def fills():
        return page.eval_on_selector_all(
            "path.atlas-region", "paths => paths.map(p => p.getAttribute('fill'))")
    before = fills()
    for key in [item["key"] for item in page.evaluate("window.atlasMap.data.layers")][1:]:
        page.evaluate("(k) => window.atlasMap.setLayer(k)", key)
        assert sum(a != b for a, b in zip(before, fills(), strict=True)) > 50, key
    page.locator(".atlas-layers input").nth(0).check()
    top = atlas_con.execute("SELECT region_id, name FROM region_indices WHERE level = ? "
                            "AND risk_rank = 1", [level]).fetchone()
    assert top[1] in open_profile(page, top[0])
    assert inside(page.locator("#atlas-profile").bounding_box(), W, H)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / filename.replace(".html", "_desktop.png")))
    phone = session(path.as_uri(), phone=True)
    assert phone.locator("path.atlas-region").count() == with_geometry
    assert phone.evaluate(PHONE_MAP_SHARE) >= 0.7
    phone.locator("#atlas-q").fill(top[1][:6].lower())
    phone.locator(f"#atlas-suggest li[data-id='{top[0]}']").tap()
    phone.wait_for_selector("#atlas-profile:not([hidden])")
    box = phone.locator("#atlas-profile").bounding_box()
    assert inside(box, PHONE["viewport"]["width"], PHONE["viewport"]["height"])
    assert box["height"] <= 0.55 * PHONE["viewport"]["height"]
    phone.screenshot(path=str(SHOTS / filename.replace(".html", "_phone.png")))
