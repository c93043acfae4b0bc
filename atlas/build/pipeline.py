"""The whole atlas in one call, as ``atlas build`` makes it: the database, then the maps and
the default exports.

Work that does not depend on the database starts at once: the second process is started
(:func:`atlas.build.worker.second_process`) and imports the trap zones' and the maps' libraries
while the database is built; the build hands it the trap zones' Local Moran, and then it
draws the maps while this process writes the exports (imported in the background meanwhile:
:mod:`atlas.build.prefetch`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from atlas.build.outputs import EXPORT_IMPORTS, write_outputs
from atlas.build.prefetch import prefetch
from atlas.build.worker import second_process


def build_all(out: str | Path, data_dir: str | Path | None, config: dict[str, Any] | None,
              *, maps: bool = True, exports: bool = True,
              step: Callable[[str], None] | None = None) -> tuple[Any, list[Path]]:
    """Build ``<out>/atlas.duckdb`` and (optionally) the maps and exports beside it.

    Returns
    -------
    (atlas.build.database.BuildResult, list of Path)
        The build's result and the output files written.
    """
    from atlas.build.database import build

    step = step or (lambda message: None)
    if exports:
        prefetch(EXPORT_IMPORTS)
    with second_process(maps) as worker:
        result = build(out, data_dir, config, step=step, executor=worker)
        written = write_outputs(result.database, Path(out), maps=maps, exports=exports,
                                step=step, worker=worker)
    return result, written
