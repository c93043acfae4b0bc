"""The build's second process: started when the build starts, it imports the heavy libraries
(esda, libpysal, the map modules with mapclassify and folium: about 3 s) while this process
validates and reads, so that this one never imports them.

The build hands it work that needs nothing of this process's state: the check of the geometry
inputs (:func:`atlas.sources.inputs.check_inputs`) and the readers of levels declared
``independent`` (:func:`atlas.sources.registry.read_group`), first, then the imports (a
pool runs its work in order: :func:`warm_up` is submitted after them), the trap zones' Local Moran
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

# Cache entries computed by earlier calls of this (second) process that handed them back: a
# later such call starts with them (the validated geometry the China reader reads, say).
_HANDED_BACK: dict = {}


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
    that they are written only if the caller's build succeeds); such a call also starts with
    the entries earlier ones computed here."""
    try:
        with geometry_cache(cache, write=not hand_back):
            if hand_back:
                adopt(_HANDED_BACK)
            value = resolve(target)(*args)
            if not hand_back:
                return value, None, {}
            entries = computed_entries()
            fresh = {k: v for k, v in entries.items() if k not in _HANDED_BACK}
            _HANDED_BACK.update(entries)
            return value, None, fresh
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


def warm_up(executor: ProcessPoolExecutor | None, maps: bool = True) -> None:
    """Have the second process import the trap zones' and (with ``maps``) the maps'
    libraries once the work submitted before is done."""
    if executor is not None:
        executor.submit(_warm_up, maps)


@contextlib.contextmanager
def second_process(maps: bool = True, warm: bool = True
                   ) -> Iterator[ProcessPoolExecutor | None]:
    """A second process for the independent readers, the trap zones' Local Moran and (with
    ``maps``) the maps, started now and importing what it needs (``warm=False``: not yet;
    the caller calls :func:`warm_up` after submitting what should come first); None with one
    core. It ends with the block; work not yet started is cancelled if the block fails."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
    try:
        if warm:
            warm_up(pool, maps)
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
