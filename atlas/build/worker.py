"""The build's second process: started when the build starts, so that this process never
imports the heavy libraries (esda, libpysal, the map modules with mapclassify and folium:
about 3 s of CPU).

It imports them when its work needs them, not at its start: a rebuild reaches the engine
about 2.5 s after it starts, and an import at the start then shared the two cores with the
engine. esda and libpysal are imported by the first trap zones' Local Moran (after the
engine, while this process computes the rank uncertainty); the map modules are queued by
:func:`warm_up_later` behind the backtests' bootstrap, so that they load while this process
writes the diagnostics and the evidence, before the maps are asked for; behind them, the
maps' drawn shapes are simplified from the closed model-tables file into the cache
(:data:`PREPARE_TARGET`), so that the maps, drawn once the database is written, find them.

The build hands it work that needs nothing of this process's state: the check of the geometry
inputs (:func:`atlas.sources.inputs.check_inputs`) and the readers of levels declared
``independent`` (:func:`atlas.sources.registry.read_group`), first (a pool runs its work in
order, so nothing imported for later work delays them), the trap zones' Local Moran
(:mod:`atlas.engine.local_moran`), the backtests' bootstrap, then the maps
(:mod:`atlas.build.outputs`). Work goes there as
``submit(call, "module:function", *args, cache=...)`` and comes back with :func:`result`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from atlas.errors import AtlasError
from atlas.spec.declarations import resolve
from atlas.store.cache import adopt, computed_entries, geometry_cache

# what the second process runs to compute the maps' drawn shapes early (module:function)
PREPARE_TARGET = "atlas.maps.render:prepare_shapes"
# Cache entries computed by earlier calls of this (second) process that handed them back: a
# later such call starts with them (the validated geometry the China reader reads, say).
_HANDED_BACK: dict = {}


def _started() -> None:
    """Nothing: submitted at the start so that the process is spawned then."""


def _warm_up_maps() -> None:
    """Import the map modules (in the second process, before the maps are asked for)."""
    import mapclassify  # noqa: F401  (imported by the classes when they are made)

    import atlas.maps.render  # noqa: F401


class SecondProcess(ProcessPoolExecutor):
    """The second process (one worker, spawned); ``maps``: it will draw the maps;
    ``prepared``: the work :func:`warm_up_later` queued for them (see :func:`take_prepared`)."""

    def __init__(self, maps: bool) -> None:
        super().__init__(1, mp_context=get_context("spawn"))
        self.maps, self.warming = maps, False
        self.prepared: list[Future] = []


def warm_up_later(executor: Executor | None, model_tables: Path | None = None,
                  cache: Path | None = None) -> None:
    """Queue the map modules' import in ``executor`` (a :class:`SecondProcess` that will draw
    the maps; once), behind the work already submitted to it; then, given the closed file of
    the build's ``model_tables`` (a model-tables cache entry) and the ``cache`` folder, the
    maps' drawn shapes computed from it (:data:`PREPARE_TARGET`), so that the maps find them
    in the cache instead of simplifying the shapes after the database is written."""
    if isinstance(executor, SecondProcess) and executor.maps and not executor.warming:
        executor.warming = True
        executor.submit(_warm_up_maps)
        if model_tables is not None and cache is not None:
            executor.prepared.append(executor.submit(
                call, PREPARE_TARGET, model_tables, cache=cache, hand_back=True))


def take_prepared(executor: Executor | None) -> None:
    """Take what :func:`warm_up_later` prepared into this process's cache block (written
    with it); called once the maps are drawn. Its failure is not the build's: the maps
    compute the shapes themselves (and raise any error in them)."""
    if not isinstance(executor, SecondProcess):
        return
    for future in executor.prepared:
        try:
            result(future)
        except Exception:  # noqa: BLE001  (the maps computed the shapes: a cache only saves time)
            continue
    executor.prepared.clear()


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


@contextlib.contextmanager
def second_process(maps: bool = True) -> Iterator[ProcessPoolExecutor | None]:
    """A second process for the independent readers, the trap zones' Local Moran, the
    backtests' bootstrap and (with ``maps``) the maps, started now; None with one core. It ends
    with the block; work not yet started is cancelled if the block fails."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    pool = SecondProcess(maps)
    try:
        pool.submit(_started)  # spawned now (its interpreter and base modules), nothing heavy
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
