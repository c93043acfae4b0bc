"""Everything derived from a built database: maps and default exports.

With two or more cores the maps are drawn by a second process while this one writes the
exports (both only read the database); the index page, which lists the exports, is written
last. An error in either is raised here in one line. The second process is started before
the database is built (:func:`second_process`), so that its imports (esda, libpysal, the map
modules with mapclassify and folium: about 3 s) overlap the build, which hands it the trap
zones' Local Moran meanwhile (:mod:`atlas.local_moran`); this process never imports them.
The maps' drawn shapes are cached in the output folder's ``.cache``
(:func:`atlas.map_geometry.display_shapes`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from atlas.cache import CACHE_FOLDER, geometry_cache
from atlas.declarations import resolve
from atlas.errors import AtlasError

# what atlas.prefetch may import while the database is built, when this process writes exports
EXPORT_IMPORTS = ("atlas.export",)


def _warm_up(maps: bool) -> None:
    """Import what the second process will be asked to run, before it is asked."""
    from atlas.local_moran import warm_up

    warm_up()
    if maps:
        import atlas.maps  # noqa: F401


def _call(target: str, *args: Any, cache: Path | None = None) -> tuple[Any, str | None]:
    """``module:function(*args)`` as the second process runs it: imported there, inside the
    output folder's ``cache`` (if given); an AtlasError comes back as its message, since its
    arguments need not pickle."""
    try:
        with geometry_cache(cache):
            return resolve(target)(*args), None
    except AtlasError as exc:
        return None, str(exc)


def _result(future: Future) -> Any:
    result, error = future.result()
    if error is not None:
        raise AtlasError(error)
    return result


@contextlib.contextmanager
def second_process(maps: bool = True) -> Iterator[ProcessPoolExecutor | None]:
    """A second process for the trap zones' Local Moran and (with ``maps``) the maps,
    started now and importing what it needs; None with one core. It ends with the block."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        pool.submit(_warm_up, maps)
        yield pool


def write_outputs(database: Path, out_dir: Path, *, maps: bool, exports: bool,
                  step: Callable[[str], None],
                  worker: ProcessPoolExecutor | None = None) -> list[Path]:
    """Write the maps and default exports that read ``database``; returns the files written.

    The maps are drawn by ``worker`` (or, with both maps and exports, a second process
    started here, with two or more cores) while the exports are written here."""
    out_dir = Path(out_dir)
    with geometry_cache(out_dir / CACHE_FOLDER), contextlib.ExitStack() as stack:
        if maps and exports and worker is None:
            worker = stack.enter_context(second_process())
        if maps and worker is not None:
            step("writing exports and drawing maps at once: the HTML maps in a second "
                 "process, the default exports (top 100 per level, CSV and XLSX) in this one"
                 if exports else "drawing the HTML maps in a second process")
            drawn = worker.submit(_call, "atlas.maps:write_level_maps", database,
                                  out_dir / "maps", cache=out_dir / CACHE_FOLDER)
            written: list[Path] = []
            if exports:
                from atlas.export import write_default_exports

                written += write_default_exports(database, out_dir / "exports")
            written += _result(drawn)
            index = worker.submit(_call, "atlas.maps:write_index", database, out_dir / "maps")
            return [*written, _result(index)]
        written = []
        if exports:
            from atlas.export import write_default_exports

            step("writing default exports (top 100 per level, CSV and XLSX)")
            written += write_default_exports(database, out_dir / "exports")
        if maps:
            from atlas.maps import write_maps

            step("drawing the HTML maps")
            written += write_maps(database, out_dir / "maps")
        return written
