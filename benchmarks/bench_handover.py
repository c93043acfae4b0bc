"""Pixels at the hand-over from the early drawing (``atlas_early.js``) to Leaflet's regions.

    python benchmarks/bench_handover.py --maps out/maps

For each map, desktop (1400 x 900) and phone (390 x 844): a screenshot of the early drawing
alone (the page without Leaflet's script, once the mark ``atlas-early-drawn`` is set) and
one of Leaflet's first frame (the page's start-up stopped right after ``atlas-painted``, the
task that replaces the early drawing), and how many pixels differ, in all and outside
Leaflet's controls (zoom buttons, attribution: drawn only by Leaflet), by how much at most and
on average. The variant pages get their Content-Security-Policy recomputed; every network
request is refused.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from atlas.maps.assets import leaflet_assets  # noqa: E402
from atlas.maps.page import _policy  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, block_requests  # noqa: E402

PAINTED = 'performance.mark("atlas-painted");\nawait nextFrame();'
VIEWS = {"desktop": {"viewport": {"width": 1400, "height": 900}}, "phone": PHONE}
CONTROLS = """() => [...document.querySelectorAll('.leaflet-control')].map((e) => {
  const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def variants(document: str) -> dict[str, tuple[str, str]]:
    """The early drawing alone and Leaflet's first frame: (page, the mark to wait for)."""
    script = f"<script>{leaflet_assets().js}</script>"
    if document.count(script) != 1 or document.count(PAINTED) != 1:
        raise SystemExit("not a page of this version (Leaflet inlined, atlas_early.js)")
    stop = document.replace(PAINTED, 'performance.mark("atlas-painted");\n'
                                     "await new Promise(() => {});")
    stop = re.sub(r'content="default-src[^"]*"', lambda m: f'content="{_policy(stop)}"', stop)
    return {"early": (document.replace(script, ""), "atlas-early-drawn"),
            "leaflet": (stop, "atlas-painted")}


def shot(browser, path: Path, options: dict, mark: str) -> tuple[np.ndarray, list]:
    """The screenshot once ``mark`` is set, and Leaflet's controls' boxes."""
    page = browser.new_page(**options)
    block_requests(page, [])
    page.goto(path.as_uri())
    page.wait_for_function(f"() => performance.getEntriesByName('{mark}').length > 0",
                           timeout=60000)
    page.wait_for_timeout(400)
    image = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)
    boxes = page.evaluate(CONTROLS)
    page.close()
    return image, boxes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--maps", default="out/maps")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for source in sorted(Path(args.maps).glob("*.html")):
            if source.name == "index.html":
                continue
            pages = {}
            for kind, (document, mark) in variants(source.read_text(encoding="utf-8")).items():
                pages[kind] = (Path(tmp, f"{kind}-{source.name}"), mark)
                pages[kind][0].write_text(document, encoding="utf-8")
            for label, options in VIEWS.items():
                (early, _), (leaflet, boxes) = (shot(browser, p, options, m)
                                                for p, m in pages.values())
                diff = np.abs(early - leaflet).max(axis=2)
                keep = np.ones_like(diff, bool)
                scale = diff.shape[1] / options["viewport"]["width"]
                for left, top, right, bottom in boxes:
                    keep[max(0, int((top - 1) * scale)):int((bottom + 1) * scale) + 1,
                         max(0, int((left - 1) * scale)):int((right + 1) * scale) + 1] = False
                rest = diff[keep]
                print(f"map={source.name} view={label} pixels={diff.size} "
                      f"differing={(diff > 0).sum()} outside_controls={(rest > 0).sum()} "
                      f"({100 * (rest > 0).mean():.1f}%) over_8={(rest > 8).sum()} "
                      f"max={rest.max()}/255 mean={rest[rest > 0].mean() if rest.any() else 0:.1f}",
                      flush=True)
        browser.close()


if __name__ == "__main__":
    main()
