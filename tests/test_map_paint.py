"""The map's start-up order (issue 32 item 4): the regions are drawn in their classes' colours
and reach the screen in an animation frame before the panels, the legend and the search are
made; the page then finishes its start-up with the same colours. Synthetic DATA
(tests/map_fixture.py) in headless Chromium with every network request refused."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from atlas.maps.page import SCRIPTS, atlas_script, render_page
from tests.browser import (
    PHONE,
    VIOLATIONS,
    assert_same_screens,
    block_requests,
    browser_available,
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


DESKTOP = {"viewport": {"width": 1400, "height": 900}}
STARTED = "() => window.atlasMap !== undefined"  # the whole start-up is over


def _written(tmp_path, name: str, data: dict, edit=lambda html: html):
    """``data`` rendered as the page ``<tmp_path>/<name>`` (its HTML passed through ``edit``)."""
    path = tmp_path / name
    path.write_text(edit(render_page(data)), encoding="utf-8")
    return path


@contextmanager
def _opened(browser, url: str, refused: list[str], errors: list[str], options: dict = DESKTOP,
            init_scripts: tuple[str, ...] = (), console: bool = False, until: str | None = None):
    """A page of the module's Chromium (the ``browser`` fixture) in a context of its own, at
    ``url``: every request refused and counted in ``refused``, script errors (and, with
    ``console``, console errors) in ``errors``; with ``until`` (say :data:`STARTED`), once that
    condition holds; the context is closed on leaving."""
    context = browser.new_context(**options)
    page = context.new_page()
    for script in init_scripts:
        page.add_init_script(script)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if console:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    block_requests(page, refused)
    page.goto(url)
    try:
        if until is not None:
            wait_until(page, until)
        yield page
    finally:
        context.close()


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize(("phone", "make"), [(False, fixture_data), (True, fixture_data),
                                             (False, _mixed_classes)])
def test_regions_are_painted_before_the_rest_of_the_start_up(browser, tmp_path, phone, make):
    data = make()
    layer_key = data["layers"][2]["key"]  # not the default layer: taken from the address
    path = _written(tmp_path, "paint.html", data)
    refused, errors = [], []
    with _opened(browser, path.as_uri() + f"#layer={layer_key}", refused, errors,
                 PHONE if phone else DESKTOP, (VIOLATIONS, FIRST_FRAME), console=True,
                 until=STARTED) as page:
        first = page.evaluate("window.__firstFrame")
        final = page.evaluate("""[...document.querySelectorAll("path.atlas-region")].map(
            (p) => [p.getAttribute("data-id"), p.getAttribute("fill")])""")
        marks = dict(page.evaluate(
            "performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])"))
        chosen = page.evaluate("window.atlasMap.state.layer.key")
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
def test_outlines_decode_when_first_read(browser, tmp_path):
    data = fixture_data()
    path = _written(tmp_path, "outlines.html", data)
    refused, errors = [], []
    with _opened(browser, path.as_uri(), refused, errors, {}, until=STARTED) as page:
        outline = page.evaluate("window.atlasMap.data.outlines.features[0].geometry.coordinates")
        drawn = page.locator("path.atlas-outline").count()
    assert not refused and not errors
    assert outline == data["outlines"]["features"][0]["geometry"]["coordinates"]
    assert drawn == len(data["outlines"]["features"])


@pytest.mark.browser
@needs_browser
def test_an_error_after_the_paint_is_reported(browser, tmp_path, monkeypatch):
    from atlas.maps import page as map_page

    read = map_page._read_template
    monkeypatch.setattr(map_page, "_read_template", lambda name: read(name) + (
        '\nthrow new Error("broken start-up");\n' if name == "atlas_start.js" else ""))
    path = _written(tmp_path, "broken.html", fixture_data())
    errors = []
    with _opened(browser, path.as_uri(), [], errors, {}, until=STARTED) as page:
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
def test_region_paths_are_those_of_leaflet_geojson(browser, tmp_path):
    data = fixture_data()
    path = _written(tmp_path, "paths.html", data)
    refused, errors = [], []
    with _opened(browser, path.as_uri(), refused, errors, until=STARTED) as page:
        seen = _same_paths(page)
    assert not refused and not errors
    assert seen["n"] == len(data["geo"]["features"])
    assert seen["views"] == [[], [], []]
    assert seen["inside"] > 0 and seen["cut"] > 0  # both ways of clipping were taken


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
def test_real_region_paths_are_those_of_leaflet_geojson(browser, real_maps):
    for name in ("us_areas.html", "world.html"):
        with _opened(browser, (real_maps / name).as_uri(), [], [], PHONE) as page:
            wait_until(page, "() => window.atlasMap !== undefined", timeout=60)
            seen = _same_paths(page)
        assert seen["views"] == [[], [], []], name


# ---- The early drawing (atlas_early.js): the regions before Leaflet's script runs. ----
# At the hand-over (the task that adds Leaflet's regions removes the early drawing), what each
# drawing holds: every path's data-id, d and fill.
HANDOVER = """window.__handover = null;
new MutationObserver((records) => {
  for (const r of records) for (const n of r.removedNodes) {
    if (!n.classList || !n.classList.contains("atlas-early")) continue;
    const read = (paths) => [...paths].map((p) => [p.getAttribute("data-id"),
                                                   p.getAttribute("d"), p.getAttribute("fill")]);
    const leaflet = document.querySelectorAll(".leaflet-pane path.atlas-region");
    window.__handover = { early: read(n.querySelectorAll("path")), leaflet: read(leaflet) };
  }
}).observe(document, { childList: true, subtree: true });"""


def _without_leaflet(document: str) -> str:
    from atlas.maps.assets import leaflet_assets

    script = f"<script>{leaflet_assets().js}</script>"
    assert document.count(script) == 1
    return document.replace(script, "")


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("phone", [False, True])
def test_early_drawing_has_every_region_in_its_class_colour_before_leaflet(browser, tmp_path,
                                                                           phone):
    data = fixture_data()
    layer_key = data["layers"][2]["key"]
    # Leaflet's script taken out: what the page shows before it runs (folium's L.map then fails)
    path = _written(tmp_path, "early.html", data, _without_leaflet)
    refused, errors = [], []
    with _opened(browser, path.as_uri() + f"#layer={layer_key}", refused, errors,
                 PHONE if phone else DESKTOP) as page:
        wait_until(page, "() => performance.getEntriesByName('atlas-early-drawn').length > 0")
        seen = page.evaluate("""() => ({ leaflet: typeof L,
          svg: [...document.querySelectorAll("#atlas_map > svg.atlas-early")].map((s) => [
            s.getAttribute("aria-hidden"), s.getBoundingClientRect().width,
            s.getBoundingClientRect().height]),
          fills: [...document.querySelectorAll("svg.atlas-early path.atlas-region")].map((p) => [
            p.getAttribute("data-id"), p.getAttribute("fill"), p.getAttribute("d").length,
            p.getBoundingClientRect().width]),
          hatch: document.querySelector("svg.atlas-early pattern#atlas-hatch rect")
            .getAttribute("fill") })""")
        size = page.viewport_size
    assert not refused
    assert seen["leaflet"] == "undefined" and all("L is not defined" in e for e in errors)
    assert seen["svg"] == [["true", size["width"], size["height"]]]
    expected = _expected_fills(data, layer_key)
    assert {rid: fill for rid, fill, _, _ in seen["fills"]} == expected
    assert len(seen["fills"]) == len(expected)  # one path per region
    assert all(length > 10 and width > 1 for _, _, length, width in seen["fills"])
    assert seen["hatch"] == data["nodata"] and "url(#atlas-hatch)" in expected.values()


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize(("phone", "address"), [(False, ""), (True, ""),
                                                (False, "#view=33,-80,5.5"),
                                                (True, "#view=10,20,1")])
def test_early_drawing_is_leaflets_and_leaves_at_the_hand_over(browser, tmp_path, phone,
                                                                address):
    data = fixture_data()
    path = _written(tmp_path, "handover.html", data)
    refused, errors = [], []
    with _opened(browser, path.as_uri() + address, refused, errors, PHONE if phone else DESKTOP,
                 (VIOLATIONS, HANDOVER), console=True, until=STARTED) as page:
        seen = page.evaluate("window.__handover")
        after = page.evaluate("""() => ({ early: document.querySelectorAll(".atlas-early").length,
          ids: [...document.querySelectorAll("[id]")].map((e) => e.id),
          regions: [...document.querySelectorAll("path.atlas-region")].map(
            (p) => p.getAttribute("data-id")),
          first: window.atlasFirst === undefined })""")
    assert not refused and not errors
    n = len(data["geo"]["features"])
    # the same paths, point for point, in the same colours, as Leaflet's at the same view
    assert len(seen["early"]) == n and sorted(seen["early"]) == sorted(seen["leaflet"])
    # nothing left behind: one path per region, no id twice
    assert after["early"] == 0 and after["first"]
    assert sorted(after["regions"]) == sorted(f["id"] for f in data["geo"]["features"])
    assert len(after["ids"]) == len(set(after["ids"]))


@pytest.mark.browser
@needs_browser
def test_final_page_equals_the_page_without_the_early_drawing(browser, tmp_path):
    import re

    from atlas.maps.page import _policy

    data = fixture_data()
    document = render_page(data)
    call = 'atlasEarly({"id":'
    assert document.count(call) == 1
    plain = document.replace(call, '({"id":')  # the same page, drawing nothing before Leaflet
    plain = re.sub(r'content="default-src[^"]*"', lambda m: f'content="{_policy(plain)}"', plain)
    (tmp_path / "early.html").write_text(document, encoding="utf-8")
    (tmp_path / "plain.html").write_text(plain, encoding="utf-8")
    assert_same_screens(browser, tmp_path / "early.html", tmp_path / "plain.html",
                        f"#layer={data['layers'][1]['key']}&sel=r00")


# Counts the animation frames in which the map's <div> is not in the document yet.
FRAMES_BEFORE_MAP = """window.__framesBeforeMap = 0;
(function watch() {
  requestAnimationFrame(() => {
    if (document.getElementById("atlas_map")) return;
    window.__framesBeforeMap += 1;
    watch();
  });
})();"""


@pytest.mark.browser
@needs_browser
def test_no_frame_before_the_map_div(browser, tmp_path):
    """The head asks the browser not to render before the map's <div> is parsed (``<link
    rel=expect blocking=render>``): no frame of an empty page while the head and the geometry
    before the early drawing are parsed (the page padded with a large head comment, parsed
    slowly: CPU 4x slower); without the link, such frames are drawn."""
    document = render_page(fixture_data())
    link = '<link rel="expect" href="#atlas_map" blocking="render">'
    assert document.count(link) == 1 and document.index(link) < document.index("<style>")
    padded = document.replace("</head>", "<!--" + "x" * 3_000_000 + "--></head>", 1)
    counts = {}
    for name, page_text in (("with", padded), ("without", padded.replace(link, ""))):
        path = tmp_path / f"{name}.html"
        path.write_text(page_text, encoding="utf-8")
        context = browser.new_context(**PHONE)
        page = context.new_page()
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.add_init_script(FRAMES_BEFORE_MAP)
        refused: list[str] = []
        block_requests(page, refused)
        page.goto(path.as_uri())
        wait_until(page, "() => window.atlasMap !== undefined", timeout=60)
        counts[name] = page.evaluate("window.__framesBeforeMap")
        context.close()
        assert not refused
    assert counts["with"] == 0 and counts["without"] > 0, counts
