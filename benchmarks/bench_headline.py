"""Measure the figures a newcomer asks about first and write them to ``docs/headline.json``:
how long the install and the first build take, how big the pages and the database are, on
which machine. ``atlas report --update-docs`` renders the file as the README's table
(``atlas/texts/headline.py``); docs/performance.md keeps the history.

    python benchmarks/bench_headline.py --data-dir ../shared/data
    python benchmarks/bench_headline.py --data-dir ../shared/data --install
    python benchmarks/bench_headline.py --install --no-build

The build runs ``build_atlas.py`` in a fresh process into an empty temporary folder (a first
build: no cache), timed by the wall clock and by the CPU seconds of the process and its
children (steadier on a shared machine); the page and database sizes are those of that
build. ``--install`` also times the README's install (``python3 -m venv`` and ``pip install
-e ".[dev,spatial]"``) into a temporary virtual environment: it downloads every dependency
not in pip's cache. A figure that was not measured in the run keeps its previous value in the
file, with its own date. The load average is recorded: on a shared machine wall-clock times
say little.
"""

from __future__ import annotations

import argparse
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


def measure_build(data_dir: str) -> dict:
    """A first build into an empty folder: times, page and database sizes."""
    with tempfile.TemporaryDirectory(prefix="headline-") as folder:
        out = Path(folder) / "out"
        load = os.getloadavg()[0]
        wall, cpu = timed([sys.executable, str(ROOT / "build_atlas.py"), "--data-dir", data_dir,
                           "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL)
        pages = {p.name: round(p.stat().st_size / 1e6, 2) for p in sorted((out / "maps").glob(
            "*.html"))}
        return {"wall_s": wall, "cpu_s": cpu, "load_1min": round(load, 1),
                "database_mb": round((out / "atlas.duckdb").stat().st_size / 1e6, 1),
                "pages_mb": pages, "date": datetime.now(UTC).date().isoformat()}


def measure_install() -> dict:
    """The README's install into a new virtual environment (pip's cache as it is)."""
    with tempfile.TemporaryDirectory(prefix="headline-venv-") as folder:
        venv = Path(folder) / "venv"
        load = os.getloadavg()[0]
        wall_venv, cpu_venv = timed([sys.executable, "-m", "venv", str(venv)])
        wall, cpu = timed([str(venv / "bin" / "pip"), "install", "-q", "-e", ".[dev,spatial]"],
                          cwd=ROOT)
        return {"wall_s": round(wall + wall_venv, 1), "cpu_s": round(cpu + cpu_venv, 1),
                "load_1min": round(load, 1), "command": INSTALL,
                "date": datetime.now(UTC).date().isoformat()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("ATLAS_DATA_DIR", "../shared/data"))
    parser.add_argument("--install", action="store_true", help="also time the install")
    parser.add_argument("--no-build", action="store_true",
                        help="keep the file's build figures (time the install only)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    figures = json.loads(args.output.read_text()) if args.output.is_file() else {}
    figures["machine"] = machine()
    if not args.no_build or "build" not in figures:
        figures["build"] = measure_build(args.data_dir)
    if args.install:
        figures["install"] = measure_install()
    args.output.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
    print(json.dumps(figures, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
