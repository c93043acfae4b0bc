"""Size of every map and the time headless Chromium takes to draw it, offline, with screenshots.

    python benchmarks/bench_maps.py --maps out/maps [more folders] [--runs 15] [--draw-runs 3]

The maps are self-contained, so every network request is refused (and counted: any refused
request or JavaScript error is reported and makes the exit status 1). For each map: file
size; the time from navigation until the page is ready and every region path is in the
document (``path.atlas-region`` count = number of features) on a desktop window, the median of
``--draw-runs`` cold loads in fresh browser contexts, and the time to switch to each layer
(median and slowest over all layers and loads, until the next frame); and **the first paint of
the polygons on a phone** (a 390 x 844 viewport with the CPU slowed 4x through
``Emulation.setCPUThrottlingRate``): the page's own clock, from navigation until every region
path is in the document, at the first animation frame that sees them (watched from a script
installed before the page's own, which says it through the console: nothing of Playwright runs
in the page before that), over ``--runs`` cold loads, with its median, quartiles and range. On
the same phone loads: the time until the first frame after the whole start-up
(``window.atlasMap`` set: panels, search, legend, labels) and where the time went, from the
page's own marks (``atlas-early`` / ``atlas-early-drawn``: the regions drawn before Leaflet's
script, from the first part of DATA, by ``atlas_early.js``; their paths count as region paths,
as they are every region's polygon in its class colour; ``atlas-script``: Leaflet and the page
up to the script are parsed and the atlas script starts; ``atlas-data``: the first part of DATA
(geometry and classes) parsed; ``atlas-painted``: Leaflet's regions are drawn; ``atlas-rest``:
the rest of DATA, after the script in the document, read after the paint; ``atlas-ready``) and
the browser's ``first-contentful-paint`` (the frame with the polygons on screen: the animation
frame above is when that frame starts; its style, layout and paint follow).

The phone loads go round every map of every folder (say, main's pages and a branch's) and
two **floor** pages, one load each per round, ``--runs`` rounds, so that the machine's load
weighs on all alike: ``floor_tiny`` (a ``<div>`` and a script drawing one region path) and
``floor_size`` (the same followed by inert JSON up to the largest map's size): what any page,
and any page of that size, costs this browser before its first paint. The load average is
printed. A screenshot of each map is saved beside it as ``<name>.png``. With ``--db
out/atlas.duckdb`` also the Python side: the seconds ``atlas.maps.render.render_map`` takes per
map. Prints ``map=.. size_mb=.. draw_s=.. phone_paint_s=.. (quartiles, range, n)
phone_ready_s=.. switch_s=.. switch_max_s=.. paths=..`` and the phone marks per map, the floor
pages, each map's median paint over the first folder's, and the ratio of the slowest to the
fastest draw; writes ``bench_maps.json`` in each folder. With ``--trace N``, N more phone loads
per page (in turns, the floor pages too) under a Chromium trace: the renderer main thread's
own time (thread clock, so other processes' load does not count) from the navigation's commit
until the painted frame, in all and by kind of work (decoding, CSS, scripts, style, layout,
the parser), the median per page: steadier than the wall clock on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, block_requests  # noqa: E402

READY = ("() => window.atlasMap !== undefined && document.querySelectorAll("
         "'path.atlas-region').length >= Object.keys(window.atlasMap.byId).length")
# Installed before any script of the page runs. It says through the console (which Playwright
# hears without running anything in the page) the page's clock in the first animation frame
# (the frame that paints them) whose document holds all N region paths, then in the first frame
# after the start-up is over (``window.atlasMap`` set). Nothing of Playwright runs in the page
# before that: ``wait_for_function`` would first compile Playwright's injected script in the
# page, on the page's main thread, in the middle of its parsing (0.1-0.2 s at 4x in a trace).
FIRST_FRAME = """(function watch(painted) {
  requestAnimationFrame(() => {
    const n = document.querySelectorAll("path.atlas-region").length, now = performance.now();
    if (n >= __PATHS__ && !painted) { painted = true; console.debug("__atlas painted " + now); }
    if (window.atlasMap !== undefined) console.debug("__atlas ready " + now); else watch(painted);
  });
})(false);"""
# the page's marks, and when the browser painted its first content (the polygons, drawn first)
MARKS = ("() => performance.getEntriesByType('mark').concat(performance.getEntriesByType("
         "'paint')).map((m) => [m.name, m.startTime])")
THROTTLE = 4  # the CPU slow-down of the phone runs
SWITCH = """async () => { const times = [], layers = window.atlasMap.data.layers;
    for (const layer of layers.slice(1).concat(layers[0])) {
      const t0 = performance.now();
      window.atlasMap.setLayer(layer.key);
      await new Promise((done) => requestAnimationFrame(() => done()));
      times.push(performance.now() - t0);
    }
    return times; }"""
# The floor: pages with nothing of ours, in the same phone loads: "tiny" (a <div> and a script
# drawing one path.atlas-region), "size" (the same, followed by inert JSON up to the size of the
# largest map: what a page of that size costs the browser by itself).
FLOOR = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
         'content="width=device-width, initial-scale=1"><title>floor</title></head><body '
         'style="margin:0"><div id="m" style="width:100vw;height:100vh"></div><script>'
         'const s = document.createElementNS("http://www.w3.org/2000/svg", "svg"), '
         'p = document.createElementNS(s.namespaceURI, "path");'
         's.setAttribute("width", 390); s.setAttribute("height", 844);'
         'p.setAttribute("class", "atlas-region"); p.setAttribute("d", "M10 10L380 10L200 800z");'
         'p.setAttribute("fill", "#f03b20"); s.append(p); document.getElementById("m").append(s);'
         'window.atlasMap = {};'  # its start-up is over at once
         '</script></body></html>')


def floor_pages(folder: Path, size: int) -> list[Path]:
    """The two floor pages (see ``FLOOR``) written in ``folder``."""
    tiny, sized = folder / "floor_tiny.html", folder / "floor_size.html"
    tiny.write_text(FLOOR, encoding="ascii")
    pad = "x" * max(0, size - len(FLOOR) - 60)
    sized.write_text(FLOOR.replace("</body>", f'<script type="application/json">"{pad}"'
                                   "</script></body>"), encoding="ascii")
    return [tiny, sized]


def desktop(browser, path: Path, runs: int, refused: list, errors: list) -> dict:
    """Median cold draw (desktop, until ready with every region path) and layer-switch times."""
    draws, switches, paths = [], [], 0
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
    return {"draw_s": statistics.median(draws), "switch_s": statistics.median(switches),
            "switch_max_s": max(switches), "paths": paths}


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
    page.add_init_script(FIRST_FRAME.replace("__PATHS__", str(paths)))
    said = {}

    def heard(message) -> None:
        words = message.text.split()
        if len(words) == 3 and words[0] == "__atlas":
            said.setdefault(words[1], float(words[2]) / 1000)

    page.on("console", heard)
    with page.expect_console_message(lambda m: m.text.startswith("__atlas ready"),
                                     timeout=120000):
        page.goto(path.resolve().as_uri(), wait_until="commit")
    marks = {name: t / 1000 for name, t in page.evaluate(MARKS)
             if name.startswith("atlas-") or name == "first-contentful-paint"}
    context.close()
    return {"paint_s": said["painted"], "ready_s": said["ready"], "marks": marks}


TRACED = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing",
          "loading", "blink", "navigation"]
KINDS = {"decode": "TextResourceDecoder::Decode", "css": "CSSParserImpl::parseStyleSheet",
         "scripts": "EvaluateScript", "style": "UpdateLayoutTree", "layout": "Layout",
         "html": "ParseHTML"}


def phone_cpu(browser, path: Path, paths: int) -> dict:
    """One phone load (as :func:`phone_paint`) under a Chromium trace: the renderer main
    thread's CPU time (thread clock, in ms), from the navigation's commit until the first
    frame with all ``paths`` region paths, in all (``main``) and by kind of work (outermost
    events only; ``html`` is the parser's, including the scripts and styles it runs)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    block_requests(page, [])
    context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    page.add_init_script(FIRST_FRAME.replace("__PATHS__", str(paths)).replace(
        'console.debug("__atlas painted "', 'performance.mark("__painted"); console.debug('
        '"__atlas painted "'))
    page.goto("about:blank")
    browser.start_tracing(page=page, categories=TRACED)
    with page.expect_console_message(lambda m: m.text.startswith("__atlas painted"),
                                     timeout=120000):
        page.goto(path.resolve().as_uri(), wait_until="commit")
    events = json.loads(browser.stop_tracing())
    events = events["traceEvents"] if isinstance(events, dict) else events
    context.close()
    end = min(e["ts"] for e in events if e.get("name") == "__painted")
    parser = next(e for e in events if e.get("name") == "ParseHTML")
    thread = [e for e in events if (e["pid"], e["tid"]) == (parser["pid"], parser["tid"])
              and e.get("ph") == "X" and e["ts"] < end]
    start = min(e["ts"] for e in thread if e["name"] == "RenderFrameImpl::CommitNavigation")
    out = {"main": sum(e.get("tdur", 0) for e in thread
                       if e["name"] == "RunTask" and e["ts"] >= start) / 1000}
    for kind, name in KINDS.items():
        last, out[kind] = 0, 0.0
        for e in sorted((e for e in thread if e["name"] == name and e["ts"] >= start),
                        key=lambda e: e["ts"]):
            if e["ts"] >= last:
                out[kind] += e.get("tdur", 0) / 1000
                last = e["ts"] + e.get("dur", 0)
    return out


def spread(values: list[float]) -> dict:
    """Median, quartiles and range of ``values``."""
    q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
    return {"median": statistics.median(values), "q1": q1, "q3": q3, "min": min(values),
            "max": max(values), "n": len(values)}


def summary(r: dict) -> dict:
    """One map's result from its desktop loads and its list of phone loads ``r["phones"]``."""
    phones = r.pop("phones")
    marks = {name: statistics.median(p["marks"][name] for p in phones if name in p["marks"])
             for name in phones[0]["marks"]}
    paint = spread([p["paint_s"] for p in phones])
    return {**r, "phone_paint_s": paint["median"], "phone_paint": paint,
            "phone_ready_s": statistics.median(p["ready_s"] for p in phones),
            "phone_marks": marks}


def report(r: dict, folder: bool) -> None:
    """Print one map's line and its phone marks."""
    render = f" render_s={r['render_s']:.2f}" if r["render_s"] is not None else ""
    where = f"maps={r['folder']} " if folder else ""
    p = r["phone_paint"]
    print(f"{where}map={r['map']} size_mb={r['size_mb']:.2f} draw_s={r['draw_s']:.2f} "
          f"phone_paint_s={r['phone_paint_s']:.2f} (quartiles {p['q1']:.2f}-{p['q3']:.2f}, "
          f"range {p['min']:.2f}-{p['max']:.2f}, n={p['n']}) "
          f"phone_ready_s={r['phone_ready_s']:.2f} "
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
                        help="map folders; several are measured in turns, load by load")
    parser.add_argument("--runs", type=int, default=15, help="phone loads per map and folder")
    parser.add_argument("--draw-runs", type=int, default=3, help="desktop loads per map")
    parser.add_argument("--db", default=None, help="also time render_map on this atlas")
    parser.add_argument("--trace", type=int, default=0,
                        help="traced phone loads per page (main-thread CPU until the paint)")
    args = parser.parse_args()
    rendered = python_side(Path(args.db)) if args.db else {}
    from playwright.sync_api import sync_playwright

    names = sorted({p.name for folder in args.maps for p in Path(folder).glob("*.html")}
                   - {"index.html", "floor_tiny.html", "floor_size.html"})
    pages = [Path(folder, name) for name in names for folder in args.maps
             if Path(folder, name).is_file()]
    refused, errors, loads = [], [], [os.getloadavg()[0]]
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        results = {path: {"map": path.name, "folder": str(path.parent), "phones": [],
                          "size_mb": path.stat().st_size / 1e6, "refused": refused,
                          "errors": errors, "render_s": rendered.get(path.name),
                          **desktop(browser, path, args.draw_runs, refused, errors)}
                   for path in pages}
        floors = floor_pages(Path(tmp), max(p.stat().st_size for p in pages))
        floor = {path: [] for path in floors}
        sizes = {path: path.stat().st_size / 1e6 for path in floors}
        for _ in range(args.runs):  # one load of every page in turn, so the load weighs alike
            for path in pages:
                results[path]["phones"].append(
                    phone_paint(browser, path, results[path]["paths"], refused, errors))
            for path in floors:
                floor[path].append(phone_paint(browser, path, 1, refused, errors)["paint_s"])
            loads.append(os.getloadavg()[0])
        traced = {path: [] for path in [*pages, *floors]}
        for _ in range(args.trace):  # in turns too
            for path in traced:
                traced[path].append(phone_cpu(browser, path, results[path]["paths"]
                                              if path in results else 1))
        browser.close()
    results = [summary(r) for r in results.values()]
    print(f"load average (1 min) during the phone loads: {min(loads):.1f}-{max(loads):.1f}")
    for r in results:
        report(r, len(args.maps) > 1)
    for path, times in floor.items():
        f = spread(times)
        print(f"floor={path.stem} size_mb={sizes[path]:.2f} "
              f"phone_paint_s={f['median']:.2f} (quartiles {f['q1']:.2f}-{f['q3']:.2f}, "
              f"range {f['min']:.2f}-{f['max']:.2f}, n={f['n']})")
    for path, cpu in traced.items():
        if cpu:
            print(f"cpu {path.parent.name}/{path.name}: main-thread ms until the paint, median "
                  f"of {len(cpu)}: " + " ".join(f"{k}={statistics.median(c[k] for c in cpu):.1f}"
                                                for k in cpu[0]))
    for name in names:
        mine = [r for r in results if r["map"] == name]
        if len(mine) > 1:
            print(f"map={name} phone_paint over {mine[0]['folder']}: " + " ".join(
                f"{r['folder']}={r['phone_paint_s'] / mine[0]['phone_paint_s']:.2f}"
                for r in mine[1:]))
    for folder in args.maps:
        mine = [r for r in results if r["folder"] == folder]
        if mine:
            draws = [r["draw_s"] for r in mine]
            print(f"maps={folder} slowest_over_fastest={max(draws) / min(draws):.2f}")
            Path(folder, "bench_maps.json").write_text(json.dumps(mine, indent=1))
    if refused or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
