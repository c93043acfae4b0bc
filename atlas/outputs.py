"""Everything derived from a built database: maps and default exports.

With two or more cores the exports are written by a second process while this one draws the
maps (both only read the database); the index page, which lists the exports, is written
last. An error in either is raised here, the exports' with its own message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from atlas.errors import AtlasError

# what atlas.prefetch may import while the database is built, when maps will be drawn
MAP_IMPORTS = ("atlas.maps",)


def _exports(database: Path, folder: Path) -> tuple[list[Path], str | None]:
    """The default exports (run in the second process); an AtlasError comes back as its
    message, since its arguments need not pickle."""
    from atlas.export import write_default_exports

    try:
        return write_default_exports(database, folder), None
    except AtlasError as exc:
        return [], str(exc)


def _result(future: Future) -> list[Path]:
    written, error = future.result()
    if error is not None:
        raise AtlasError(error)
    return written


def write_outputs(database: Path, out_dir: Path, *, maps: bool, exports: bool,
                  step: Callable[[str], None]) -> list[Path]:
    """Write the maps and default exports that read ``database``; returns the files written."""
    out_dir = Path(out_dir)
    if maps and exports and (os.cpu_count() or 1) > 1:
        from atlas.maps import write_maps

        step("writing exports and drawing maps at once: the default exports (top 100 per "
             "level, CSV and XLSX) in a second process, the HTML maps in this one")
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            future = pool.submit(_exports, database, out_dir / "exports")
            ready: list[Path] = []
            maps_written = write_maps(database, out_dir / "maps",
                                      before_index=lambda: ready.extend(_result(future)))
            return ready + maps_written
    written: list[Path] = []
    if exports:
        step("writing default exports (top 100 per level, CSV and XLSX)")
        from atlas.export import write_default_exports

        written += write_default_exports(database, out_dir / "exports")
    if maps:
        from atlas.maps import write_maps

        step("drawing the HTML maps")
        written += write_maps(database, out_dir / "maps")
    return written

