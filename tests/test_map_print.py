"""The legend, print and "Save as PNG" of the map page (issue 30): the legend's classes and the
outline key in view at common laptop sizes and on a phone; a PDF in Chromium at A4 and Letter,
portrait and landscape, holding the whole view with its legend, sources and date on one page;
a saved PNG with the layer's real legend. Synthetic DATA (tests/map_fixture.py), every network
request refused."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser import browser_available, checked_pages, inside
from tests.map_fixture import fixture_data

SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"
SIZES = [(1280, 720, False), (1366, 768, False), (1400, 900, False), (390, 844, True)]
needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="needs /usr/bin/chromium and playwright")
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext") and not os.environ.get("CI"),
                                   reason="needs poppler-utils (pdfinfo, pdftotext)")
# Every legend item (class rows, the no-data row, the 3 x 3 grid, the outline key) with its box
# and whether the point at its centre belongs to the legend (nothing covers it).
LEGEND_ITEMS = """() => [...document.querySelectorAll(['.atlas-classes li', '.atlas-nodata-row',
      'svg.atlas-bivariate', '.atlas-outline-key li'].map((s) => '#atlas-legend ' + s).join())]
    .map((e) => {
      const r = e.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + Math.min(8, r.width / 2),
                                            r.top + r.height / 2);
      return {text: e.textContent, x: r.left, y: r.top, width: r.width, height: r.height,
              seen: !!top && document.getElementById('atlas-legend').contains(top)}; })"""


@pytest.fixture()
def opened(browser, fixture_url):
    """``open(width, height, phone=False, url=None) -> page``; fails on a request or JS error."""
    with checked_pages(browser, fixture_url) as open_:
        def by_size(width: int = 1400, height: int = 900, phone: bool = False,
                    url: str | None = None):
            return open_(url, width=width, height=height, phone=phone)

        yield by_size


def legend_in_view(page, width: int, height: int) -> list[str]:
    """For every layer, the legend items that are outside the window or covered."""
    problems = []
    for layer in page.evaluate("window.atlasMap.data.layers"):
        page.evaluate("(k) => window.atlasMap.setLayer(k)", layer["key"])
        items = page.evaluate(LEGEND_ITEMS)
        rows = [i for i in items if "svg" not in i["text"]]
        assert len(items) >= 3, (layer["key"], items)
        problems += [f"{layer['key']} @{width}x{height}: {i['text'][:30]!r}" for i in items
                     if not (inside(i, width, height) and i["seen"] and i["height"] > 0)]
        assert rows
    return problems


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("width, height, phone", SIZES)
def test_legend_classes_and_outline_key_in_view(opened, width, height, phone):
    page = opened(width, height, phone=phone)
    assert legend_in_view(page, width, height) == []
    if not phone:
        assert page.locator(".atlas-tools .atlas-print").is_visible()  # the Print button
    page.evaluate("window.atlasMap.setLayer('risk')")
    key = page.locator("#atlas-legend .atlas-outline-key").inner_text()
    assert "Trap areas" in key and "Test state borders" in key  # on at start, and the borders
    page.evaluate("window.atlasMap.setOverlay('rust', true)")
    assert "Rust-belt areas" in page.locator("#atlas-legend .atlas-outline-key").inner_text()
    assert legend_in_view(page, width, height) == []
    if phone:  # the menu open: the legend stays in view under it
        page.locator(".atlas-menu-btn").tap()
        page.wait_for_selector("#atlas-side", state="visible")
        assert legend_in_view(page, width, height) == []
        side = page.locator("#atlas-side").bounding_box()
        legend = page.locator("#atlas-legend").bounding_box()
        assert side["y"] + side["height"] <= legend["y"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"fixture_legend_{width}x{height}.png"))


def pdf_facts(path: Path) -> tuple[int, str]:
    """Pages and text of a PDF (poppler's pdfinfo and pdftotext)."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines()
                     if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return pages, " ".join(text.split())


@pytest.mark.browser
@needs_browser
@needs_poppler
def test_pdf_holds_the_whole_view_legend_sources_and_date(opened, tmp_path):
    page = opened()
    page.evaluate("window.atlasMap.setLayer('biv')")
    for paper, landscape in [("A4", False), ("A4", True), ("Letter", False), ("Letter", True)]:
        path = tmp_path / f"{paper}-{landscape}.pdf"
        page.pdf(path=str(path), format=paper, landscape=landscape, print_background=True)
        pages, text = pdf_facts(path)
        assert pages == 1, (paper, landscape)
        for words in ("Test atlas: where could AI push", "AI shock x weak absorption",
                      "Weak absorption capacity", "No data", "Trap areas", "Test state borders",
                      "Test survey 2025 (public domain)", "Atlas built 2026-01-02"):
            assert words in text, (paper, landscape, words)
    assert page.locator(".atlas-print-sheet svg").count() == 0  # dropped after printing
    assert page.locator("path.atlas-region").count() == 40  # the live map is untouched


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("landscape", [False, True])
def test_printed_map_shows_every_region_of_the_screen_view_at_a4_width(opened, landscape):
    """At A4's printable width (190 mm portrait, 277 mm landscape, at 96 px per inch) every
    region drawn on screen lies inside the printed map, and the printed map on the page."""
    page = opened(1366, 768)
    page.evaluate("window.atlasMap.map.setView([35, -84], 6, {animate: false})")
    on_screen = page.evaluate("""() => { const b = document.getElementById('atlas_map')
        .getBoundingClientRect(); return [...document.querySelectorAll('path.atlas-region')]
        .filter((p) => { const r = p.getBoundingClientRect(); return r.width > 0 && r.left >= b.left
          && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom; }).length; }""")
    assert 10 <= on_screen < 40  # zoomed in: part of the map is off screen
    page.evaluate("window.atlasMap.print()")
    width, height = (1047, 718) if landscape else (718, 1047)
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(media="print")
    shown = page.evaluate("""() => [...document.querySelectorAll('.atlas-print-sheet > svg')]
        .filter((svg) => getComputedStyle(svg).display !== 'none')""")
    assert len(shown) == 1
    boxes = page.evaluate("""() => { const poster = [...document.querySelectorAll(
          '.atlas-print-sheet > svg')].find((svg) => getComputedStyle(svg).display !== 'none');
        const inner = poster.querySelector('.atlas-poster-frame').getBoundingClientRect();
        const paths = [...poster.querySelectorAll('.atlas-poster-map path.atlas-region')]
          .map((p) => p.getBoundingClientRect())
          .filter((r) => r.width > 0 && r.left >= inner.left - 0.5 && r.right <= inner.right + 0.5
                  && r.top >= inner.top - 0.5 && r.bottom <= inner.bottom + 0.5);
        const r = poster.getBoundingClientRect();
        return {poster: {x: r.left, y: r.top, width: r.width, height: r.height},
                inside: paths.length, legend: poster.textContent}; }""")
    assert inside(boxes["poster"], width, height)
    assert boxes["inside"] == on_screen
    assert "Collapse risk (0-1)" in boxes["legend"] and "Atlas built 2026-01-02" in boxes["legend"]
    page.emulate_media(media="screen")


@pytest.mark.browser
@needs_browser
def test_saved_png_carries_the_layer_s_legend(opened, tmp_path):
    page = opened()
    data = fixture_data()
    for layer in data["layers"]:
        page.evaluate("(k) => window.atlasMap.setLayer(k)", layer["key"])
        poster = page.evaluate("""() => { const svg = window.atlasMap.viewSvg();
            return {text: [...svg.querySelectorAll('text')].map((e) => e.textContent).join(' '),
                    fills: [...svg.querySelectorAll(':scope > g rect')].map((r) =>
                      r.getAttribute('fill'))}; }""")
        assert layer["label"] in poster["text"], layer["key"]
        legend_colours = {f for f in poster["fills"] if f and f.startswith("#")}
        if layer.get("kind") == "bivariate":
            assert set(layer["colors"]) <= legend_colours  # the 3 x 3 grid, every cell
            for words in (layer["x_label"], layer["y_label"], *layer["x_classes"]):
                assert words in poster["text"], words
        else:
            shown = {label for label in layer["labels"]}
            assert all(label in poster["text"] for label in shown), layer["key"]
            assert legend_colours & set(layer["colors"])
        for words in ("No data", "Trap areas", "Test state borders",
                      "Data: Test survey 2025 (public domain); Test boundaries 2024 (CC BY 4.0).",
                      "Atlas built 2026-01-02."):
            assert words in poster["text"], (layer["key"], words)
    page.evaluate("window.atlasMap.setLayer('biv')")
    with page.expect_download() as download:
        page.locator(".atlas-png").click()
    path = tmp_path / "view.png"
    download.value.save_as(path)
    png = path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == 2 * (1400 + 16 + 270) and height > 2 * 900
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "fixture_saved_bivariate.png").write_bytes(png)


@pytest.mark.realdata
@pytest.mark.browser
@needs_browser
@needs_poppler
@pytest.mark.parametrize("filename", ["us_areas.html", "cn_cities.html", "world.html"])
def test_real_legends_in_view_and_a4_pdf(opened, real_maps, filename, tmp_path):
    url = (real_maps / filename).as_uri()
    for width, height, phone in SIZES:
        page = opened(width, height, phone=phone, url=url)
        assert legend_in_view(page, width, height) == []
        page.evaluate("window.atlasMap.setLayer(window.atlasMap.data.layers[0].key)")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / filename.replace(".html", f"_{width}x{height}.png")))
        if width == 1366:
            path = tmp_path / filename.replace(".html", "_a4.pdf")
            page.pdf(path=str(path), format="A4", print_background=True)
            pages, text = pdf_facts(path)
            title = page.evaluate("window.atlasMap.data.text.title")
            assert pages == 1 and " ".join(title.split()[:6]) in text
            assert "Atlas built" in text and page.evaluate(
                "window.atlasMap.data.layers[0].labels[0]") in text
