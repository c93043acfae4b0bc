"""Size of every map and the time headless Chromium takes to draw it, offline, with screenshots.

    python benchmarks/bench_maps.py --maps out/maps [--runs 3]

The maps are self-contained, so every network request is refused (and counted: any refused
request or JavaScript error is reported and makes the exit status 1). For each map: file
size, and the time from navigation until the page is ready and every region path is in the
document (``path.atlas-region`` count = number of features), the median of ``--runs`` cold
loads in fresh browser contexts; the time to switch to each layer (median and slowest over
all layers and runs, until the next frame); and a screenshot beside the map as
``<name>.png``. With ``--db out/atlas.duckdb`` also the Python side: the seconds
``atlas.maps.render.render_map`` takes per map (data, classification, geometry, page). Prints
``map=.. size_mb=.. draw_s=.. switch_s=.. switch_max_s=.. paths=..`` per map and the ratio
of the slowest to the fastest draw; writes ``bench_maps.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, block_requests  # noqa: E402

READY = ("() => window.atlasMap !== undefined && document.querySelectorAll("
         "'path.atlas-region').length >= Object.keys(window.atlasMap.byId).length")
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
    return {"map": path.name, "size_mb": path.stat().st_size / 1e6,
            "draw_s": statistics.median(draws), "switch_s": statistics.median(switches),
            "switch_max_s": max(switches), "paths": paths, "refused": refused,
            "errors": errors}


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
    parser.add_argument("--maps", default="out/maps")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default=None, help="also time render_map on this atlas")
    args = parser.parse_args()
    rendered = python_side(Path(args.db)) if args.db else {}
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in sorted(Path(args.maps).glob("*.html")):
            if path.name == "index.html":
                continue
            r = measure(browser, path, args.runs)
            r["render_s"] = rendered.get(path.name)
            results.append(r)
            render = f" render_s={r['render_s']:.2f}" if r["render_s"] is not None else ""
            print(f"map={r['map']} size_mb={r['size_mb']:.2f} draw_s={r['draw_s']:.2f} "
                  f"switch_s={r['switch_s']:.3f} switch_max_s={r['switch_max_s']:.3f} "
                  f"paths={r['paths']}{render} refused={len(r['refused'])} "
                  f"errors={len(r['errors'])}")
        browser.close()
    if results:
        draws = [r["draw_s"] for r in results]
        print(f"slowest_over_fastest={max(draws) / min(draws):.2f}")
        Path(args.maps, "bench_maps.json").write_text(json.dumps(results, indent=1))
    if any(r["refused"] or r["errors"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
