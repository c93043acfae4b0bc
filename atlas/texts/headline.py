"""The README's table of headline figures (install and build times, page and database sizes,
the machine), rendered from ``docs/headline.json``, which ``benchmarks/bench_headline.py``
writes; ``atlas report --update-docs`` puts it between the README's ``headline`` markers.
The history of every figure stays in docs/performance.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError

FILE = Path("docs") / "headline.json"
INSTALL = 'pip install -e ".[dev,spatial]"'  # the README's install, what the benchmark times


def read_headline(root: Path) -> dict[str, Any] | None:
    """``docs/headline.json`` of the project at ``root``; None where there is none.

    Raises
    ------
    ConfigError
        naming the file when it is not JSON or lacks the build's figures.
    """
    path = root / FILE
    if not path.is_file():
        return None
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); rewrite it "
                          "with python benchmarks/bench_headline.py") from exc
    for key in ("machine", "build"):
        if not isinstance(figures.get(key), dict):
            raise ConfigError(f"{path}: expected an object '{key}'; rewrite it with python "
                              "benchmarks/bench_headline.py")
    return figures


def _time(figure: dict[str, Any] | None) -> str:
    if not figure:
        return "not measured yet (`python benchmarks/bench_headline.py --install`)"
    minutes = figure["wall_s"] / 60
    wall = f"{minutes:.1f} min" if minutes >= 1 else f"{figure['wall_s']:.0f} s"
    return (f"{wall} wall clock, {figure['cpu_s']:.0f} s CPU (load {figure['load_1min']:g}, "
            f"{figure['date']})")


def headline_table(figures: dict[str, Any]) -> str:
    """The figures as one Markdown table, the machine in its first line."""
    box, build = figures["machine"], figures["build"]
    lines = [f"Measured by `python benchmarks/bench_headline.py` on a {box['cores']}-core, "
             f"{box['memory_gb']} GB {box['system']} machine with Python {box['python']}; the "
             "machine is shared, so the load average is given: wall-clock times grow with it, "
             "CPU seconds much less.", "",
             "| what | figure |", "|---|---|",
             f"| install (`{figures.get('install', {}).get('command', INSTALL)}` into a fresh "
             f"virtual environment) | {_time(figures.get('install'))} |",
             f"| first build of the whole atlas (empty cache) | {_time(build)} |",
             f"| `out/atlas.duckdb` | {build['database_mb']:g} MB |"]
    lines += [f"| `out/maps/{name}` | {size:g} MB |"
              for name, size in sorted(build["pages_mb"].items())]
    return "\n".join(lines)
