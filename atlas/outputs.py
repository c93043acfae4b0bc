"""Everything derived from a built database: maps and default exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def write_outputs(database: Path, out_dir: Path, *, maps: bool, exports: bool,
                  step: Callable[[str], None]) -> list[Path]:
    """Write the maps and default exports that read ``database``; returns the files written."""
    written: list[Path] = []
    if exports:
        from atlas.export import write_default_exports

        step("writing default exports (top 100 per level, CSV and XLSX)")
        written += write_default_exports(database, Path(out_dir) / "exports")
    if maps:
        from atlas.maps import write_maps

        step("drawing the HTML maps")
        written += write_maps(database, Path(out_dir) / "maps")
    return written
