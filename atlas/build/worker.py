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

Work that only fills the cache goes there as :func:`prepare` (one mechanism for all of it:
the geometry checks' validated layers, the dissolves declared ``prepare`` in levels.toml, a
first build's cached steps that read only model tables (:mod:`atlas.engine.steps_ahead`), the
maps' drawn shapes): its cache entries (file entries too) are handed back and taken into
this process's cache block at a collection point, before the block's next miss or where the
caller says (:meth:`Prepared.collect`, :func:`collect_prepared`); a failure there never fails
or changes a build (what asks for the entries computes them itself).

The process ends without the interpreter's teardown (:func:`_quick_exit`): once its work is
done and its results sent, freeing every module and object it loaded (pandas, DuckDB, the map
modules) only made the build wait for it, 0.3-1.0 s at the end of every build.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from atlas.errors import AtlasError
from atlas.spec.declarations import resolve
from atlas.store.blas import use_one_blas_thread
from atlas.store.cache import (
    adopt,
    computed_entries,
    geometry_cache,
    hand_over_files,
    on_next_miss,
)
from atlas.store.memory import use_small_pages

# what the second process runs to compute the maps' drawn shapes early (module:function)
PREPARE_TARGET = "atlas.maps.render:prepare_shapes"
# the collection points of prepare(): before the cache's next miss, or when the caller says
BEFORE_A_MISS, AT_A_POINT = "before a miss", "at a point"
# Cache entries computed by earlier calls of this (second) process that handed them back: a
# later such call starts with them (the validated geometry the China reader reads, say).
_HANDED_BACK: dict = {}


def _started() -> None:
    """Nothing: submitted at the start so that the process is spawned then."""


def _quick_exit() -> None:
    """End this (second) process now: its standard streams and logging flushed, then
    ``os._exit(0)``, without the teardown of its modules and objects. Registered by
    :func:`_initialize` as the first exit handler, so it runs last, after every other one
    (exit handlers run in reverse order), once the pool's worker has sent its last result and
    the process has joined its queues' threads."""
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _initialize() -> None:
    """The second process's initializer: NumPy's arrays on small memory pages
    (:func:`atlas.store.memory.use_small_pages`), its BLAS on one thread
    (:func:`atlas.store.blas.use_one_blas_thread`, as the build's), and its end without the
    interpreter's teardown (:func:`_quick_exit`)."""
    use_small_pages()
    use_one_blas_thread()
    atexit.register(_quick_exit)


def _warm_up_maps() -> None:
    """Import the map modules (in the second process, before the maps are asked for)."""
    import mapclassify  # noqa: F401  (imported by the classes when they are made)

    import atlas.maps.render  # noqa: F401


class SecondProcess(ProcessPoolExecutor):
    """The second process (one worker, spawned); ``maps``: it will draw the maps;
    ``prepared``: the work queued for a collection point of its own (:func:`collect_prepared`)."""

    def __init__(self, maps: bool) -> None:
        super().__init__(1, mp_context=get_context("spawn"), initializer=_initialize)
        self.maps, self.warming = maps, False
        self.prepared: list[Prepared] = []


class Prepared:
    """Cache entries the second process is computing (:func:`prepare`), to be taken into
    this process's cache block by :meth:`collect`, once."""

    def __init__(self, future: Future | None) -> None:
        self._future = future

    def collect(self) -> None:
        """Wait for the work and take the cache entries it handed back into the running cache
        block (written with it); the first call only: later ones return at once. Its failure
        (an AtlasError, any other error, a broken process) is never the build's: nothing is
        taken, and what asks for the entries computes them itself (and reports any error in
        them, in one line)."""
        future, self._future = self._future, None
        if future is None:
            return
        with contextlib.suppress(Exception):  # a cache only saves time: the caller computes it
            result(future)


def prepare(executor: Executor | None, target: str, *args: Any, cache: Path | None,
            collect: str = AT_A_POINT) -> Prepared:
    """Queue ``module:function(*args)`` in ``executor`` (the second process; behind the work
    already submitted to it), for the cache entries it computes in the output folder's
    ``cache``: they are handed back, to be written with this process's cache block, never
    deciding a result (the function only fills the cache, under keys of everything each
    result depends on). ``collect`` is the collection point:

    - :data:`BEFORE_A_MISS`: before the running cache block's next lookup that finds
      nothing (:func:`atlas.store.cache.on_next_miss`), so that the lookup finds them;
    - :data:`AT_A_POINT`: when the caller calls :meth:`Prepared.collect`, or, queued in a
      :class:`SecondProcess`, at :func:`collect_prepared`.

    Without an ``executor`` nothing is queued (the handle collects nothing)."""
    if collect not in (BEFORE_A_MISS, AT_A_POINT):
        raise ValueError(f"unknown collection point {collect!r}")
    if executor is None:
        return Prepared(None)
    handle = Prepared(executor.submit(call, target, *args, cache=cache, hand_back=True))
    if collect == BEFORE_A_MISS:
        on_next_miss(handle.collect)
    elif isinstance(executor, SecondProcess):
        executor.prepared.append(handle)
    return handle


def collect_prepared(executor: Executor | None) -> None:
    """Collect (:meth:`Prepared.collect`) what :func:`prepare` queued in ``executor`` to be
    collected at a point: the maps' drawn shapes, once the maps are drawn."""
    if isinstance(executor, SecondProcess):
        handles, executor.prepared = executor.prepared, []
        for handle in handles:
            handle.collect()


def warm_up_later(executor: Executor | None, model_tables: Path | None = None,
                  cache: Path | None = None) -> None:
    """Queue the map modules' import in ``executor`` (a :class:`SecondProcess` that will draw
    the maps; once), behind the work already submitted to it; then, given the closed file of
    the build's ``model_tables`` (a model-tables cache entry) and the ``cache`` folder, the
    maps' drawn shapes computed from it (:data:`PREPARE_TARGET`, :func:`prepare`), collected
    once the maps are drawn (:func:`collect_prepared`), so that the maps find them in the
    cache instead of simplifying the shapes after the database is written."""
    if isinstance(executor, SecondProcess) and executor.maps and not executor.warming:
        executor.warming = True
        executor.submit(_warm_up_maps)
        if model_tables is not None and cache is not None:
            prepare(executor, PREPARE_TARGET, model_tables, cache=cache)


def call(target: str, *args: Any, cache: Path | None = None, hand_back: bool = False
         ) -> tuple[Any, str | None, dict]:
    """``module:function(*args)`` as the second process runs it: imported there, inside the
    output folder's ``cache`` (if given); an AtlasError comes back as its message, since its
    arguments need not pickle. With ``hand_back`` the cache entries it computed are not
    written there but returned, for :func:`result` to add to the caller's cache block (so
    that they are written only if the caller's build succeeds: file entries too, handed over
    as they are); such a call also starts with the table entries earlier ones computed here."""
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
            return value, None, {**fresh, **hand_over_files()}  # files: the caller's now
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
