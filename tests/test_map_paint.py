"""The map's start-up order (issue 32 item 4): the regions are drawn in their classes' colours
and reach the screen in an animation frame before the panels, the legend and the search are
made; the page then finishes its start-up with the same colours. Synthetic DATA
(tests/map_fixture.py) in headless Chromium with every network request refused."""

from __future__ import annotations

import os

import pytest

from atlas.maps.page import SCRIPTS, atlas_script, render_page
from tests.browser import (
    PHONE,
    VIOLATIONS,
    block_requests,
    browser_available,
    chromium,
    wait_until,
)
from tests.map_fixture import fixture_data

needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="needs /usr/bin/chromium and playwright")

# Watches every animation frame from the first one; at the first frame in which region paths
# exist it records what the page holds then (the frame that paints them).
FIRST_FRAME = """window.__firstFrame = null;
(function watch() {
  requestAnimationFrame(() => {
    const paths = document.querySelectorAll("path.atlas-region");
    if (!paths.length) { watch(); return; }
    window.__firstFrame = {
      paths: paths.length, started: window.atlasMap !== undefined,
      legend: document.getElementById("atlas-legend") !== null,
      search: document.getElementById("atlas-q") !== null,
      rest: performance.getEntriesByName("atlas-rest").length > 0,
      fills: [...paths].map((p) => [p.getAttribute("data-id"), p.getAttribute("fill")]) };
  });
})();"""


def test_paint_runs_first_in_one_async_function():
    code = atlas_script()
    assert SCRIPTS.index("atlas_paint.js") == SCRIPTS.index("atlas_util.js") + 1
    assert code.startswith("(async function () {") and "await nextFrame();" in code
    # the first await comes after the regions layer is added and before any panel is made
    first = code.index("await nextFrame();")
    assert code.index("regionsLayer.addTo(map);") < first < code.index('const side = h("div"')
    # the regions' rows (the rest of DATA) are read after that first frame
    assert first < code.index("atlasMerge(DATA, DATA_FIRST, await atlasRest());\nperformance.mark")


def _expected_fills(data: dict, layer_key: str) -> dict[str, str]:
    layer = next(layer for layer in data["layers"] if layer["key"] == layer_key)
    fills = {}
    for rid in (f["id"] for f in data["geo"]["features"]):
        region = data["regions"][rid]
        cls = None if region.get("nodata") else (region.get("c") or {}).get(layer_key)
        fills[rid] = "url(#atlas-hatch)" if cls is None else layer["colors"][cls]
    return fills


def _mixed_classes() -> dict:
    """Fixture DATA whose regions' classes are not stored by column (other keys in one): the
    page then reads all of DATA before it paints."""
    data = fixture_data()
    data["regions"]["r07"]["c"] = {key: 0 for key in list(data["regions"]["r07"]["c"])[:3]}
    return data


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize(("phone", "make"), [(False, fixture_data), (True, fixture_data),
                                             (False, _mixed_classes)])
def test_regions_are_painted_before_the_rest_of_the_start_up(tmp_path, phone, make):
    data = make()
    layer_key = data["layers"][2]["key"]  # not the default layer: taken from the address
    path = tmp_path / "paint.html"
    path.write_text(render_page(data), encoding="utf-8")
    refused, errors = [], []
    with chromium() as browser:
        context = browser.new_context(**(PHONE if phone else {"viewport": {"width": 1400,
                                                                             "height": 900}}))
        page = context.new_page()
        page.add_init_script(VIOLATIONS)
        page.add_init_script(FIRST_FRAME)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        block_requests(page, refused)
        page.goto(path.as_uri() + f"#layer={layer_key}")
        wait_until(page, "() => window.atlasMap !== undefined")
        first = page.evaluate("window.__firstFrame")
        final = page.evaluate("""[...document.querySelectorAll("path.atlas-region")].map(
            (p) => [p.getAttribute("data-id"), p.getAttribute("fill")])""")
        marks = dict(page.evaluate(
            "performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])"))
        chosen = page.evaluate("window.atlasMap.state.layer.key")
        context.close()
    assert not refused and not errors
    expected = _expected_fills(data, layer_key)
    # the frame that first shows the regions shows all of them, in the chosen layer's colours,
    # and comes before the legend, the search box and the page's API exist
    assert first["paths"] == len(data["geo"]["features"])
    assert dict(first["fills"]) == expected
    assert not first["started"] and not first["legend"] and not first["search"]
    # ... and before the regions' rows (the rest of DATA, after the script) are read
    assert not first["rest"]
    # the finished page draws the same regions in the same colours
    assert chosen == layer_key and dict(final) == expected
    assert (marks["atlas-script"] <= marks["atlas-data"] <= marks["atlas-painted"]
            < marks["atlas-rest"] < marks["atlas-ready"])


@pytest.mark.browser
@needs_browser
def test_outlines_decode_when_first_read(tmp_path):
    data = fixture_data()
    path = tmp_path / "outlines.html"
    path.write_text(render_page(data), encoding="utf-8")
    refused, errors = [], []
    with chromium() as browser:
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        block_requests(page, refused)
        page.goto(path.as_uri())
        wait_until(page, "() => window.atlasMap !== undefined")
        outline = page.evaluate("window.atlasMap.data.outlines.features[0].geometry.coordinates")
        drawn = page.locator("path.atlas-outline").count()
    assert not refused and not errors
    assert outline == data["outlines"]["features"][0]["geometry"]["coordinates"]
    assert drawn == len(data["outlines"]["features"])


@pytest.mark.browser
@needs_browser
def test_an_error_after_the_paint_is_reported(tmp_path, monkeypatch):
    from atlas.maps import page as map_page

    read = map_page._read_template
    monkeypatch.setattr(map_page, "_read_template", lambda name: read(name) + (
        '\nthrow new Error("broken start-up");\n' if name == "atlas_start.js" else ""))
    path = tmp_path / "broken.html"
    path.write_text(render_page(fixture_data()), encoding="utf-8")
    errors = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        block_requests(page, [])
        page.goto(path.as_uri())
        wait_until(page, "() => window.atlasMap !== undefined")
        page.wait_for_timeout(300)
    assert any("broken start-up" in e for e in errors)


# The region paths against those L.geoJSON(DATA.geo) draws with the same style in the same pane,
# at the start-up view, zoomed in on a region (polygons cut by the clip bounds) and zoomed out.
SAME_PATHS = """() => {
  const a = window.atlasMap, map = a.map, views = [];
  const d = (layer) => layer.getElement().getAttribute("d");
  const ref = L.geoJSON(a.data.geo, { pane: "atlas-regions", style: { weight: 0.5 } }).addTo(map);
  const byRef = {};
  ref.eachLayer((layer) => { byRef[layer.feature.id] = layer; });
  const compare = () => Object.keys(a.byId).filter((id) => d(a.byId[id]) !== d(byRef[id]));
  const cut = () => Object.values(a.byId).filter((l) => l._pxBounds
    && !map.getRenderer(l)._bounds.contains(l._pxBounds)).length;
  const ids = Object.keys(a.byId), id = ids[Math.floor(ids.length / 2)];
  views.push(compare());
  const inside = ids.length - cut();
  map.setView(a.byId[id].getBounds().getCenter(), map.getZoom() + 3, { animate: false });
  views.push(compare());
  const zoomedCut = cut();
  map.setView(map.getCenter(), Math.max(map.getMinZoom(), map.getZoom() - 5), { animate: false });
  views.push(compare());
  return { views: views, n: ids.length, inside: inside, cut: zoomedCut };
}"""


def _same_paths(browser_page) -> dict:
    return browser_page.evaluate(SAME_PATHS)


@pytest.mark.browser
@needs_browser
def test_region_paths_are_those_of_leaflet_geojson(tmp_path):
    data = fixture_data()
    path = tmp_path / "paths.html"
    path.write_text(render_page(data), encoding="utf-8")
    refused, errors = [], []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        block_requests(page, refused)
        page.goto(path.as_uri())
        wait_until(page, "() => window.atlasMap !== undefined")
        seen = _same_paths(page)
    assert not refused and not errors
    assert seen["n"] == len(data["geo"]["features"])
    assert seen["views"] == [[], [], []]
    assert seen["inside"] > 0 and seen["cut"] > 0  # both ways of clipping were taken


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
def test_real_region_paths_are_those_of_leaflet_geojson(real_maps):
    with chromium() as browser:
        for name in ("us_areas.html", "world.html"):
            page = browser.new_page(**PHONE)
            block_requests(page, [])
            page.goto((real_maps / name).as_uri())
            wait_until(page, "() => window.atlasMap !== undefined", timeout=60)
            seen = _same_paths(page)
            page.close()
            assert seen["views"] == [[], [], []], name
