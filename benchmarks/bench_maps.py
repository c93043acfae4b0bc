"""Size of every map and the time headless Chromium takes to draw it, offline, with screenshots.

    python benchmarks/bench_maps.py --maps out/maps [--runs 3]

The maps are self-contained, so every network request is refused (and counted: any refused
request or JavaScript error is reported and makes the exit status 1). For each map: file
size, and the time from navigation until the page is ready and every region path is in the
document (``path.atlas-region`` count = number of features), the median of ``--runs`` cold
loads in fresh browser contexts; the time to switch to the second layer; and a screenshot
beside the map as ``<name>.png``. Prints ``map=.. size_mb=.. draw_s=.. switch_s=.. paths=..``
per map and the ratio of the slowest to the fastest draw; writes ``bench_maps.json``.
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
SWITCH = """() => { const t0 = performance.now();
    window.atlasMap.setLayer(window.atlasMap.data.layers[1].key);
    return new Promise((done) => requestAnimationFrame(() => done(performance.now() - t0))); }"""


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
        switches.append(page.evaluate(SWITCH) / 1000)
        context.close()
    return {"map": path.name, "size_mb": path.stat().st_size / 1e6,
            "draw_s": statistics.median(draws), "switch_s": statistics.median(switches),
            "paths": paths, "refused": refused, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--maps", default="out/maps")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in sorted(Path(args.maps).glob("*.html")):
            if path.name == "index.html":
                continue
            r = measure(browser, path, args.runs)
            results.append(r)
            print(f"map={r['map']} size_mb={r['size_mb']:.2f} draw_s={r['draw_s']:.2f} "
                  f"switch_s={r['switch_s']:.3f} paths={r['paths']} "
                  f"refused={len(r['refused'])} errors={len(r['errors'])}")
        browser.close()
    if results:
        draws = [r["draw_s"] for r in results]
        print(f"slowest_over_fastest={max(draws) / min(draws):.2f}")
        Path(args.maps, "bench_maps.json").write_text(json.dumps(results, indent=1))
    if any(r["refused"] or r["errors"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
