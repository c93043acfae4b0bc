"""Everything derived from a built database: maps and default exports.

With two or more cores the exports are written by a second process while this one draws the
maps (both only read the database); the index page, which lists the exports, is written
last. An error in either is raised here, the exports' with its own message. The second
process can be started before the database is built (:func:`second_process`), so that its
imports overlap the build, which hands it the trap zones' Local Moran meanwhile
(:mod:`atlas.local_moran`). The maps' drawn shapes are cached in the output folder's
``.cache`` (:func:`atlas.map_geometry.display_shapes`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from atlas.cache import CACHE_FOLDER, geometry_cache
from atlas.errors import AtlasError

# what atlas.prefetch may import while the database is built, when maps will be drawn
MAP_IMPORTS = ("atlas.maps",)


def _warm_up(exports: bool) -> None:
    """Import what the second process will be asked to run, before it is asked."""
    from atlas.local_moran import warm_up

    warm_up()
    if exports:
        import atlas.export  # noqa: F401


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


@contextlib.contextmanager
def second_process(exports: bool = True) -> Iterator[ProcessPoolExecutor | None]:
    """A second process for the trap zones' Local Moran and (with ``exports``) the exports,
    started now and importing what it needs; None with one core. It ends with the block."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        pool.submit(_warm_up, exports)
        yield pool


def write_outputs(database: Path, out_dir: Path, *, maps: bool, exports: bool,
                  step: Callable[[str], None],
                  worker: ProcessPoolExecutor | None = None) -> list[Path]:
    """Write the maps and default exports that read ``database``; returns the files written.

    With both, the exports are written by ``worker`` (or a second process started here, with
    two or more cores) while the maps are drawn."""
    out_dir = Path(out_dir)
    with geometry_cache(out_dir / CACHE_FOLDER), contextlib.ExitStack() as stack:
        if maps and exports and worker is None:
            worker = stack.enter_context(second_process())
        if maps and exports and worker is not None:
            from atlas.maps import write_maps

            step("writing exports and drawing maps at once: the default exports (top 100 "
                 "per level, CSV and XLSX) in a second process, the HTML maps in this one")
            future = worker.submit(_exports, database, out_dir / "exports")
            ready: list[Path] = []
            maps_written = write_maps(database, out_dir / "maps",
                                      before_index=lambda: ready.extend(_result(future)))
            return ready + maps_written
        written: list[Path] = []
        if exports:
            from atlas.export import write_default_exports

            step("writing default exports (top 100 per level, CSV and XLSX)")
            written += write_default_exports(database, out_dir / "exports")
        if maps:
            from atlas.maps import write_maps

            step("drawing the HTML maps")
            written += write_maps(database, out_dir / "maps")
        return written
