"""Size of every map and the time headless Chromium takes to draw it, offline, with screenshots.

    python benchmarks/bench_maps.py --maps out/maps [--runs 3]

The maps are self-contained, so every network request is refused (and counted: any refused
request or JavaScript error is reported and makes the exit status 1). For each map: file
size, and the time from navigation until the page is ready and every region path is in the
document (``path.atlas-region`` count = number of features), the median of ``--runs`` cold
loads in fresh browser contexts; the time to switch to each layer (median and slowest over
all layers and runs, until the next frame); the first paint of the polygons on a phone (a
390 x 844 viewport with the CPU slowed 4x through ``Emulation.setCPUThrottlingRate``): the
page's own clock, from navigation until every region path is in the document, at the first
animation frame that sees them (watched from a script installed before the page's own), the
median of ``--runs``; on the same phone loads the time
until the first frame after the whole start-up (``window.atlasMap`` set: panels, search,
legend, labels) and
where the time went, from the page's own marks (``atlas-early`` / ``atlas-early-drawn``: the
regions drawn before Leaflet's script, from the first part of DATA, by ``atlas_early.js``;
their paths count as region paths, as they are every region's polygon in its class colour;
``atlas-script``: Leaflet and the page up to the script are parsed and the atlas script
starts; ``atlas-data``: the first part of DATA (geometry and classes) parsed;
``atlas-painted``: Leaflet's regions are drawn; ``atlas-rest``: the rest of DATA, after the
script in the document, read after the paint; ``atlas-ready``); and
a screenshot beside the map as
``<name>.png``. With ``--db out/atlas.duckdb`` also the Python side: the seconds
``atlas.maps.render.render_map`` takes per map (data, classification, geometry, page). Prints
``map=.. size_mb=.. draw_s=.. phone_paint_s=.. phone_ready_s=.. switch_s=.. switch_max_s=..
paths=..`` and the phone marks per map and the ratio of the slowest to the fastest draw;
writes ``bench_maps.json``. Several ``--maps`` folders (say, a build before and after a change)
are measured map by map in turns, so that the machine's load weighs on both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, block_requests  # noqa: E402

READY = ("() => window.atlasMap !== undefined && document.querySelectorAll("
         "'path.atlas-region').length >= Object.keys(window.atlasMap.byId).length")
# Installed before any script of the page runs: the page's clock in the first animation frame
# (the frame that paints them) whose document holds all N region paths. A poll that Playwright
# injects can start late, when the page's main thread is first free, so it may miss that frame.
# The same for the first frame after the start-up is over (``window.atlasMap`` set).
FIRST_FRAME = """window.__atlasFirstFrame = null; window.__atlasReadyFrame = null;
(function watch() {
  requestAnimationFrame(() => {
    const n = document.querySelectorAll("path.atlas-region").length;
    if (n >= N && window.__atlasFirstFrame === null) window.__atlasFirstFrame = performance.now();
    if (window.atlasMap !== undefined) window.__atlasReadyFrame = performance.now(); else watch();
  });
})();"""
PAINTED = "() => window.__atlasFirstFrame"
STARTED = "() => window.__atlasReadyFrame"
MARKS = "() => performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])"
THROTTLE = 4  # the CPU slow-down of the phone runs
SWITCH = """async () => { const times = [], layers = window.atlasMap.data.layers;
    for (const layer of layers.slice(1).concat(layers[0])) {
      const t0 = performance.now();
      window.atlasMap.setLayer(layer.key);
      await new Promise((done) => requestAnimationFrame(() => done()));
      times.push(performance.now() - t0);
    }
    return times; }"""


def measure(browser, path: Path, runs: int) -> dict:
    """Median cold draw and layer-switch times of one map."""
    draws, switches, refused, errors, paths = [], [], [], [], 0
    for run in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        block_requests(page, refused)
        started = time.perf_counter()
        page.goto(path.resolve().as_uri())
        page.wait_for_function(READY, timeout=60000)
        draws.append(time.perf_counter() - started)
        paths = page.locator("path.atlas-region").count()
        if run == 0:
            page.screenshot(path=str(path.with_suffix(".png")))
        switches += [t / 1000 for t in page.evaluate(SWITCH)]
        context.close()
    phones = [phone_paint(browser, path, paths, refused, errors) for _ in range(runs)]
    marks = {name: statistics.median(p["marks"][name] for p in phones if name in p["marks"])
             for name in phones[0]["marks"]}
    return {"map": path.name, "size_mb": path.stat().st_size / 1e6,
            "draw_s": statistics.median(draws),
            "phone_paint_s": statistics.median(p["paint_s"] for p in phones),
            "phone_ready_s": statistics.median(p["ready_s"] for p in phones), "phone_marks": marks,
            "switch_s": statistics.median(switches),
            "switch_max_s": max(switches), "paths": paths, "refused": refused,
            "errors": errors}


def phone_paint(browser, path: Path, paths: int, refused: list, errors: list) -> dict:
    """Seconds from navigation until the page has all ``paths`` region paths (``paint_s``) and
    until its start-up is over (``ready_s``), and the page's marks in seconds (``marks``), by
    the page's clock, on a phone viewport with the CPU throttled ``THROTTLE`` times."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    block_requests(page, refused)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    page.add_init_script(FIRST_FRAME.replace("N", str(paths)))
    page.goto(path.resolve().as_uri(), wait_until="commit")
    painted = page.wait_for_function(PAINTED, timeout=120000)
    seconds = painted.json_value() / 1000
    ready = page.wait_for_function(STARTED, timeout=120000).json_value() / 1000
    marks = {name: t / 1000 for name, t in page.evaluate(MARKS) if name.startswith("atlas-")}
    context.close()
    return {"paint_s": seconds, "ready_s": ready, "marks": marks}


def report(r: dict, folder: bool) -> None:
    """Print one map's line and its phone marks."""
    render = f" render_s={r['render_s']:.2f}" if r["render_s"] is not None else ""
    where = f"maps={r['folder']} " if folder else ""
    print(f"{where}map={r['map']} size_mb={r['size_mb']:.2f} draw_s={r['draw_s']:.2f} "
          f"phone_paint_s={r['phone_paint_s']:.2f} phone_ready_s={r['phone_ready_s']:.2f} "
          f"switch_s={r['switch_s']:.3f} switch_max_s={r['switch_max_s']:.3f} "
          f"paths={r['paths']}{render} refused={len(r['refused'])} errors={len(r['errors'])}")
    if r["phone_marks"]:
        print("  phone marks: " + " ".join(f"{name}={t:.2f}" for name, t
                                          in sorted(r["phone_marks"].items(), key=lambda m: m[1])))


def python_side(database: Path) -> dict[str, float]:
    """Seconds ``render_map`` takes per map file (the median of 3)."""
    from atlas.maps.render import drawn_specs, render_map
    from atlas.store.database import open_atlas

    con = open_atlas(database)
    try:
        out = {}
        for spec in drawn_specs(con):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                render_map(con, spec)
                times.append(time.perf_counter() - started)
            out[spec.file] = statistics.median(times)
        return out
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--maps", nargs="+", default=["out/maps"],
                        help="map folders; several are measured map by map in turns")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default=None, help="also time render_map on this atlas")
    args = parser.parse_args()
    rendered = python_side(Path(args.db)) if args.db else {}
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        names = sorted({p.name for folder in args.maps for p in Path(folder).glob("*.html")}
                       - {"index.html"})
        for name in names:
            for folder in args.maps:
                path = Path(folder, name)
                if not path.is_file():
                    continue
                r = measure(browser, path, args.runs)
                r["render_s"] = rendered.get(path.name)
                r["folder"] = folder
                results.append(r)
                report(r, len(args.maps) > 1)
        browser.close()
    for folder in args.maps:
        mine = [r for r in results if r["folder"] == folder]
        if mine:
            draws = [r["draw_s"] for r in mine]
            print(f"maps={folder} slowest_over_fastest={max(draws) / min(draws):.2f}")
            Path(folder, "bench_maps.json").write_text(json.dumps(mine, indent=1))
    if any(r["refused"] or r["errors"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
