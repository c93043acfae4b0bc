"""The build's second process: started when the build starts, it imports the heavy libraries
(esda, libpysal, the map modules with mapclassify and folium: about 3 s) while this process
validates and reads, so that this one never imports them.

The build hands it work that needs nothing of this process's state: the readers of levels
declared ``independent`` (:func:`atlas.sources.registry.read_group`), the trap zones' Local Moran
(:mod:`atlas.engine.local_moran`), then the maps (:mod:`atlas.build.outputs`). Work goes there as
``submit(call, "module:function", *args, cache=...)`` and comes back with :func:`result`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from atlas.errors import AtlasError
from atlas.spec.declarations import resolve
from atlas.store.cache import adopt, computed_entries, geometry_cache


def _warm_up(maps: bool) -> None:
    """Import what the second process will be asked to run, before it is asked."""
    from atlas.engine.local_moran import warm_up

    warm_up()
    if maps:
        import atlas.maps.render  # noqa: F401


def call(target: str, *args: Any, cache: Path | None = None, hand_back: bool = False
         ) -> tuple[Any, str | None, dict]:
    """``module:function(*args)`` as the second process runs it: imported there, inside the
    output folder's ``cache`` (if given); an AtlasError comes back as its message, since its
    arguments need not pickle. With ``hand_back`` the cache entries it computed are not
    written there but returned, for :func:`result` to add to the caller's cache block (so
    that they are written only if the caller's build succeeds)."""
    try:
        with geometry_cache(cache, write=not hand_back):
            value = resolve(target)(*args)
            return value, None, computed_entries() if hand_back else {}
    except AtlasError as exc:
        return None, str(exc), {}


def result(future: Future) -> Any:
    """What :func:`call` returned in the second process; its AtlasError raised here, the
    cache entries it handed back taken into this process's cache block."""
    value, error, entries = future.result()
    if error is not None:
        raise AtlasError(error)
    adopt(entries)
    return value


@contextlib.contextmanager
def second_process(maps: bool = True) -> Iterator[ProcessPoolExecutor | None]:
    """A second process for the independent readers, the trap zones' Local Moran and (with
    ``maps``) the maps, started now and importing what it needs; None with one core. It ends
    with the block; work not yet started is cancelled if the block fails."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
    try:
        pool.submit(_warm_up, maps)
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
