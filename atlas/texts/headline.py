"""The README's table of headline figures (install, build and rebuild times, page and database
sizes, what users wait on once it is built, the machine), rendered from ``docs/headline.json``,
which ``benchmarks/bench_headline.py`` writes; ``atlas report --update-docs`` puts it between
the README's ``headline`` markers. The history of every figure stays in docs/performance.md.
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
             f"| first build of the whole atlas (empty cache) | {_time(build)} |"]
    if figures.get("rebuild"):
        lines.append("| a rebuild into the same folder (what the cache holds reused, "
                     f"everything else computed again) | {_time(figures['rebuild'])} |")
    lines.append(f"| `out/atlas.duckdb` | {build['database_mb']:g} MB |")
    lines += [f"| `out/maps/{name}` | {size:g} MB |"
              for name, size in sorted(build["pages_mb"].items())]
    if figures.get("speed"):
        lines += _speed_rows(figures["speed"])
    return "\n".join(lines)


def _speed_rows(speed: dict[str, Any]) -> list[str]:
    """What users wait on once the atlas is built (``bench_headline.py --speed``)."""
    when = f"(load {speed['load_1min']:g}, {speed['date']})"
    paint = ", ".join(f"`{name}` {seconds:.2f} s"
                      for name, seconds in sorted(speed["phone_paint_s"].items()))
    engine, one_pass = speed["engine_10m_s"], speed["duckdb_pass_10m_s"]
    return [f"| the rank-uncertainty grid of every level ({speed['grid_specifications']:,} "
            f"specifications) | {speed['grid_s']:.2f} s {when} |",
            "| first paint of the regions on a phone (390 x 844 pixels, CPU slowed 4x), "
            f"offline | {paint} {when} |",
            "| the engine on 10 million composition rows (synthetic) | "
            f"{engine:.2f} s: {engine / one_pass:.1f}x one DuckDB grouped pass of the sums "
            f"({one_pass:.2f} s); polars computing the sums alone {speed['polars_10m_s']:.2f} s "
            f"{when} |"]
