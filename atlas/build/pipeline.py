"""The whole atlas in one call, as ``atlas build`` makes it: the database, then the maps and
the default exports, staged and published together (:mod:`atlas.build.publish`).

Work that does not depend on the database starts at once: the second process is started
(:func:`atlas.build.worker.second_process`): it checks the geometry inputs and reads the levels
declared independent; the build hands it the trap zones' Local Moran and the backtests'
bootstrap, then the maps' imports (queued behind them, not at its start, so
that they never share the cores with the engine), and then it draws the maps while this
process writes the exports (imported in the background meanwhile: :mod:`atlas.build.prefetch`).
Both processes make NumPy's arrays on small memory pages (:mod:`atlas.store.memory`): only
faster, never another value; and both run NumPy's BLAS on one thread (:mod:`atlas.store.blas`: the
database's build, :func:`atlas.build.database.build`, and the second process's initializer),
so that the figures' last bits do not depend on the machine's cores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from atlas.build.outputs import EXPORT_IMPORTS, write_outputs
from atlas.build.prefetch import prefetch
from atlas.build.publish import new_build_id, publish, staging, write_manifest
from atlas.build.worker import second_process
from atlas.spec.config_types import AtlasConfig
from atlas.store.cache import cache_home, geometry_cache
from atlas.store.memory import small_pages


def build_all(out: str | Path, data_dir: str | Path | None, config: AtlasConfig | None,
              *, maps: bool = True, exports: bool = True, edition: str = "shareable",
              step: Callable[[str], None] | None = None, cache_dir: str | Path | None = None
              ) -> tuple[Any, list[Path]]:
    """Build ``<out>/atlas.duckdb`` and (optionally) the maps and exports beside it, in
    ``edition`` (:mod:`atlas.edition`: shareable, the default, or internal). ``cache_dir``
    (default :func:`atlas.store.cache.cache_home`) is the cache shared by every output folder.

    Returns
    -------
    (atlas.build.database.BuildResult, list of Path)
        The build's result and the output files written.
    """
    from atlas.build.database import build, check_output_folder, prepare_output_folder

    out = Path(out)
    step = step or (lambda message: None)
    check_output_folder(out)  # one line, before anything starts or is created
    started = time.time()
    build_id = new_build_id()
    cache = Path(cache_dir) if cache_dir is not None else cache_home()
    with staging(out, lambda folder: prepare_output_folder(folder, started, step)) as stage, \
            geometry_cache(cache, report=step), small_pages():
        with second_process(maps) as worker:
            result = build(stage, data_dir, config, step=step, executor=worker,
                           cache_dir=cache, build_id=build_id,
                           on_read=(lambda: prefetch(EXPORT_IMPORTS)) if exports else None)
            written = write_outputs(result.database, stage, maps=maps, exports=exports,
                                    step=step, worker=worker, cache_dir=cache, shown_dir=out,
                                    edition=edition)
        write_manifest(stage, build_id)
        publish(stage, out)
        step(f"published build {build_id}: the database, maps and exports together")
    result.database = out / result.database.relative_to(stage)
    return result, [out / path.relative_to(stage) for path in written]
