"""Everything derived from a built database: maps and default exports.

With two or more cores the maps are drawn by a second process while this one writes the
exports (both only read the database); the index page, which lists the exports (not the
maps' files), is written here once the exports are, while the maps are still being drawn. An
error in either is raised here in one line. The second process
(:func:`atlas.build.worker.second_process`) is started before the database is built, so that its
imports overlap the build; of the map modules this process imports only
:mod:`atlas.maps.index_page`, which needs neither folium nor mapclassify (only the pages and
their classes do): about 0.1 s of CPU instead of 1.8-3 s.
The maps' drawn shapes are cached in the shared cache folder
(:func:`atlas.store.cache.cache_home`, :func:`atlas.maps.display_geometry.display_shapes`).
Every output is drawn from an edition copy of the database
(:func:`atlas.store.edition.edition_database`): shareable by default, internal on request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from atlas.build.worker import call, collect_prepared, result, second_process
from atlas.store.cache import cache_home, geometry_cache
from atlas.store.edition import DEFAULT_EDITION, edition_database

# what the second process runs to draw the maps (a module:function name)
MAPS_TARGET = "atlas.maps.render:write_level_maps"
# what atlas.build.prefetch may import while the database is built, when this process writes exports
EXPORT_IMPORTS = ("atlas.exports.write",)


def write_outputs(database: Path, out_dir: Path, *, maps: bool, exports: bool,
                  step: Callable[[str], None],
                  worker: ProcessPoolExecutor | None = None, cache_dir: Path | None = None,
                  shown_dir: Path | None = None, edition: str = DEFAULT_EDITION) -> list[Path]:
    """Write the maps and default exports that read ``database``; returns the files written.

    The maps are drawn by ``worker`` (or, with both maps and exports, a second process
    started here, with two or more cores) while the exports are written here; all of them
    read an ``edition`` copy of ``database`` (:mod:`atlas.store.edition`). ``cache_dir``
    defaults to the shared cache folder (:func:`atlas.store.cache.cache_home`); the cache
    entries the second process computes are written with this process's (when its cache
    block ends without an error). ``shown_dir`` is the folder the outputs will be published
    in (the exports record their command with it; default ``out_dir``)."""
    out_dir = Path(out_dir)
    if not (maps or exports):
        return []
    cache = Path(cache_dir) if cache_dir is not None else cache_home()
    shown = Path(shown_dir) if shown_dir is not None else out_dir
    with geometry_cache(cache, report=step), contextlib.ExitStack() as stack:
        database = stack.enter_context(edition_database(database, edition, cache))
        if maps and exports and worker is None:
            worker = stack.enter_context(second_process())
        if maps and worker is not None:
            step("writing exports and drawing maps at once: the HTML maps in a second "
                 "process, the default exports (top 100 per level, CSV and XLSX) in this one"
                 if exports else "drawing the HTML maps in a second process")
            drawn = worker.submit(call, MAPS_TARGET, database,
                                  out_dir / "maps", cache=cache, hand_back=True)
            written: list[Path] = []
            if exports:
                from atlas.exports.write import write_default_exports

                written += write_default_exports(database, out_dir / "exports",
                                                 shown=shown)
            # the index lists the exports, not the maps' files: written here while they are drawn
            from atlas.maps.index_page import write_index

            index = write_index(database, out_dir / "maps")
            written += result(drawn)
            collect_prepared(worker)  # the drawn shapes computed early, into the cache
            return [*written, index]
        written = []
        if exports:
            from atlas.exports.write import write_default_exports

            step("writing default exports (top 100 per level, CSV and XLSX)")
            written += write_default_exports(database, out_dir / "exports",
                                                 shown=shown)
        if maps:
            from atlas.maps.render import write_maps

            step("drawing the HTML maps")
            written += write_maps(database, out_dir / "maps")
        return written
