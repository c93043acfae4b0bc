"""Measure the figures a newcomer asks about first and write them to ``docs/headline.json``: how
long the install and the first build take, how big the pages and the database are, on which
machine. ``atlas report --update-docs`` renders the file as the README's table
(``atlas/texts/headline.py``); docs/performance.md keeps the history.

    python benchmarks/bench_headline.py --data-dir ../shared/data
    python benchmarks/bench_headline.py --data-dir ../shared/data --install
    python benchmarks/bench_headline.py --install --no-build
    python benchmarks/bench_headline.py --data-dir ../shared/data --speed

The build runs ``build_atlas.py`` in a fresh process into an empty temporary folder with an
empty cache folder (``ATLAS_CACHE_DIR``: a first build, nothing parsed before), timed by the
wall clock and by the CPU seconds of the process and its children (steadier on a shared
machine); then once more into the same folder with that cache (a rebuild: what the cache holds,
such as the inputs' parsed tables, is reused; everything else is computed again). The page and
database sizes are those of that build. ``--speed`` also measures, on that build, what the users
wait on once it is built: the rank-uncertainty grid of every level (``bench_uncertainty.py
--json``, the fastest of 3), the first paint of the polygons on a phone with the CPU slowed 4x
(``bench_maps.py --runs 5``, the median per map), and the engine on a synthetic level of 10
million composition rows against one DuckDB grouped pass and polars (``bench_scale.py --rows
10000000 --repeat 3``); it needs the ``bench`` extra (polars), Playwright and Chromium, and
names any of them missing before it starts. ``--install`` also times the README's install
(``python3 -m venv`` and ``pip install -e ".[dev,spatial]"``) into a temporary virtual
environment: it downloads every dependency not in pip's cache. A figure that was not measured in
the run keeps its previous value in the file, with its own date. The load average is recorded:
on a shared machine wall-clock times say little.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "headline.json"
INSTALL = 'pip install -e ".[dev,spatial]"'


def machine() -> dict:
    """Cores, memory, Python and the load average now."""
    memory = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
    return {"cores": os.cpu_count(), "memory_gb": round(memory), "system": platform.system(),
            "python": platform.python_version(), "load_1min": round(os.getloadavg()[0], 1)}


def timed(command: list[str], **kwargs) -> tuple[float, float]:
    """Run ``command``; its wall-clock and CPU seconds (the children's user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return round(wall, 1), round(cpu, 1)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def measure_build(data_dir: str, speed: bool) -> dict[str, dict]:
    """A first build into an empty folder with an empty cache, then a rebuild into it: times,
    page and database sizes; with ``speed`` also :func:`measure_speed` on that build."""
    with tempfile.TemporaryDirectory(prefix="headline-") as folder:
        out = Path(folder) / "out"
        env = {**os.environ, "ATLAS_CACHE_DIR": str(Path(folder) / "cache")}
        command = [sys.executable, str(ROOT / "build_atlas.py"), "--data-dir", data_dir,
                   "--out", str(out)]
        figures = {}
        for name in ("build", "rebuild"):
            load = os.getloadavg()[0]
            wall, cpu = timed(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            figures[name] = {"wall_s": wall, "cpu_s": cpu, "load_1min": round(load, 1),
                             "date": today()}
        figures["build"]["pages_mb"] = {p.name: round(p.stat().st_size / 1e6, 2)
                                        for p in sorted((out / "maps").glob("*.html"))}
        figures["build"]["database_mb"] = round((out / "atlas.duckdb").stat().st_size / 1e6, 1)
        if speed:
            figures["speed"] = measure_speed(out)
        return figures


def last_json(command: list[str], **kwargs) -> dict:
    """Run a benchmark; the JSON object on the last line of its output."""
    done = subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)
    return json.loads(done.stdout.strip().splitlines()[-1])


def missing_for_speed() -> list[str]:
    """What ``--speed`` needs and this machine lacks, one plain phrase each: the ``bench``
    extra (polars, the engine's peer), Playwright and a Chromium to drive (``ATLAS_CHROMIUM``,
    default ``/usr/bin/chromium``), so that a missing one is said before the build, not as
    a traceback after it."""
    chromium = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
    needs = {"polars (pip install -e \".[dev,spatial,bench]\")":
             importlib.util.find_spec("polars") is not None,
             "playwright (pip install -e \".[dev,spatial]\")":
             importlib.util.find_spec("playwright") is not None,
             f"Chromium at {chromium} (apt-get install chromium, or set ATLAS_CHROMIUM)":
             os.access(chromium, os.X_OK)}
    return [what for what, present in needs.items() if not present]


def measure_speed(out: Path) -> dict:
    """What users wait on once the atlas at ``out`` is built: the uncertainty grid, the first
    paint on a phone, and the engine at 10M rows against its peers."""
    bench = ROOT / "benchmarks"
    load = os.getloadavg()[0]
    grid = [last_json([sys.executable, str(bench / "bench_uncertainty.py"), "--db",
                       str(out / "atlas.duckdb"), "--json"], cwd=ROOT) for _ in range(3)]
    fastest = min(grid, key=lambda run: run["total"])
    subprocess.run([sys.executable, str(bench / "bench_maps.py"), "--maps", str(out / "maps"),
                    "--runs", "5"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    maps = json.loads((out / "maps" / "bench_maps.json").read_text())
    with tempfile.TemporaryDirectory(prefix="headline-scale-") as work:
        runs = Path(work) / "runs.json"
        subprocess.run([sys.executable, str(bench / "bench_scale.py"), "--rows", "10000000",
                        "--repeat", "3", "--pandas-max-rows", "0", "--work", work,
                        "--json", str(runs)], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
        scale = json.loads(runs.read_text().splitlines()[-1])
    engine, one_pass, polars = (min(scale[key]) for key in ("engine", "duckdb_pass", "polars"))
    return {"load_1min": round(load, 1), "date": today(),
            "grid_s": round(fastest["total"], 2), "grid_specifications": fastest["total_specs"],
            "phone_paint_s": {r["map"]: round(r["phone_paint_s"], 2) for r in maps},
            "engine_10m_s": round(engine, 2), "duckdb_pass_10m_s": round(one_pass, 2),
            "polars_10m_s": round(polars, 2)}


def measure_install() -> dict:
    """The README's install into a new virtual environment (pip's cache as it is)."""
    with tempfile.TemporaryDirectory(prefix="headline-venv-") as folder:
        venv = Path(folder) / "venv"
        load = os.getloadavg()[0]
        wall_venv, cpu_venv = timed([sys.executable, "-m", "venv", str(venv)])
        wall, cpu = timed([str(venv / "bin" / "pip"), "install", "-q", "-e", ".[dev,spatial]"],
                          cwd=ROOT)
        return {"wall_s": round(wall + wall_venv, 1), "cpu_s": round(cpu + cpu_venv, 1),
                "load_1min": round(load, 1), "command": INSTALL, "date": today()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("ATLAS_DATA_DIR", "../shared/data"))
    parser.add_argument("--install", action="store_true", help="also time the install")
    parser.add_argument("--no-build", action="store_true",
                        help="keep the file's build figures (time the install only)")
    parser.add_argument("--speed", action="store_true",
                        help="also the uncertainty grid, the phone's first paint and the "
                             "engine at 10M rows (about 10 more minutes)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    missing = missing_for_speed() if args.speed else []
    if missing:
        parser.exit(2, "bench_headline.py: --speed needs " + "; ".join(missing) + "\n")
    figures = json.loads(args.output.read_text()) if args.output.is_file() else {}
    figures["machine"] = machine()
    if not args.no_build or "build" not in figures:
        figures.update(measure_build(args.data_dir, args.speed))
    if args.install:
        figures["install"] = measure_install()
    args.output.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
    print(json.dumps(figures, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
