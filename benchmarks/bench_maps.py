"""Size of every map and the time headless Chromium takes to draw it, with screenshots.

    python benchmarks/bench_maps.py --maps out/maps

For each map: file size, and the time from navigation until every region path is in the
page (``path.atlas-region`` count = number of features), measured in one run; a screenshot
is saved beside the map as ``<name>.png``. Needs Chromium and the npm assets of ``.ci/run``.
Prints ``map=.. size_mb=.. draw_s=.. paths=..`` per map and the ratio of the slowest to the
fastest draw.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, local_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--maps", default="out/maps")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in sorted(Path(args.maps).glob("*.html")):
            if path.name == "index.html":
                continue
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", lambda route: route.fulfill(path=str(local_file(route.request.url)))
                       if local_file(route.request.url) else (route.continue_() if
                       route.request.url.startswith("file://") else route.abort()))
            started = time.perf_counter()
            page.goto(path.resolve().as_uri())
            page.wait_for_function("window.atlasMap !== undefined")
            expected = page.evaluate("Object.keys(window.atlasMap.byId).length")
            page.wait_for_function(
                f"document.querySelectorAll('path.atlas-region').length >= {expected}")
            draw = time.perf_counter() - started
            page.screenshot(path=str(path.with_suffix(".png")))
            page.close()
            size = path.stat().st_size / 1e6
            results.append({"map": path.name, "size_mb": size, "draw_s": draw, "paths": expected})
            print(f"map={path.name} size_mb={size:.2f} draw_s={draw:.2f} paths={expected}")
        browser.close()
    if results:
        draws = [r["draw_s"] for r in results]
        print(f"slowest_over_fastest={max(draws) / min(draws):.2f}")
        Path(args.maps, "bench_maps.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
