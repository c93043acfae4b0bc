"""The build's second process imports its heavy libraries when its work needs them, not at its
start (where they shared the two cores with the engine of a rebuild): the map modules only
once :func:`atlas.build.worker.warm_up_later` queues them, and only for a process that will
draw the maps."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from atlas.build.worker import (
    AT_A_POINT,
    BEFORE_A_MISS,
    SecondProcess,
    call,
    collect_prepared,
    prepare,
    result,
    second_process,
    warm_up_later,
)
from atlas.errors import AtlasError
from atlas.store.cache import cached_frame, geometry_cache

HEAVY = ("esda", "libpysal", "mapclassify", "folium", "atlas.maps.render")
needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2,
                                     reason="one core: no second process")


def _loaded() -> list[str]:
    """The heavy modules imported in the process that runs this."""
    return [name for name in HEAVY if name in sys.modules]


@needs_two_cores
def test_the_map_modules_load_only_when_queued_and_once():
    with second_process() as worker:
        assert isinstance(worker, SecondProcess)
        assert worker.submit(_loaded).result() == []  # started, nothing heavy imported
        warm_up_later(worker)
        warm_up_later(worker)
        assert worker.warming
        loaded = worker.submit(_loaded).result()
        assert "atlas.maps.render" in loaded and "folium" in loaded and "mapclassify" in loaded
        assert "esda" not in loaded  # the trap zones' libraries: with their first level


@needs_two_cores
def test_a_process_that_draws_no_maps_never_imports_them():
    with second_process(maps=False) as worker:
        warm_up_later(worker)
        assert not worker.warming
        assert worker.submit(_loaded).result() == []


@needs_two_cores
def test_a_failed_prepare_never_fails_the_build_which_computes_it_itself(tmp_path):
    """Work queued with :func:`prepare` that fails in the second process (an AtlasError, any
    other error) is collected without raising, at either collection point; the lookup that
    missed computes its entry here, and the block writes it as without the work."""
    cache = tmp_path / "cache"
    frame = pd.DataFrame({"region_id": ["a", "b"], "value": [1.5, 2.5]})
    bad = ("atlas.nowhere:missing",)  # a ConfigError there
    wrong = ("atlas.build.worker:_started", "an argument it does not take")  # a TypeError there
    with geometry_cache(cache), second_process(maps=False) as worker:
        with pytest.raises(AtlasError, match="cannot be found"):
            result(worker.submit(call, *bad))  # they do fail there
        with pytest.raises(TypeError):
            result(worker.submit(call, *wrong))
        handles = [prepare(worker, *bad, cache=cache, collect=BEFORE_A_MISS),
                   prepare(worker, *wrong, cache=cache, collect=BEFORE_A_MISS)]
        later = [prepare(worker, *bad, cache=cache), prepare(worker, *wrong, cache=cache)]
        assert worker.prepared == later  # queued for collect_prepared, the others for a miss
        got = cached_frame("dissolved", "k1", lambda: frame)  # the miss collects the first two
        pd.testing.assert_frame_equal(got, frame)
        assert all(handle._future is None for handle in handles)  # collected, once
        later[0].collect()  # collected by its caller, then the rest at the point
        collect_prepared(worker)
        assert worker.prepared == [] and later[1]._future is None
    assert len(list(cache.glob("dissolved-*.parquet"))) == 1


def test_without_a_second_process_nothing_is_prepared(tmp_path):
    with geometry_cache(tmp_path):
        handle = prepare(None, "atlas.nowhere:missing", cache=tmp_path, collect=BEFORE_A_MISS)
        handle.collect()
        assert cached_frame("x", "k", lambda: pd.DataFrame({"a": [1]}))["a"].tolist() == [1]
    with pytest.raises(ValueError, match="collection point"):
        prepare(None, "atlas.nowhere:missing", cache=tmp_path, collect="whenever")
    assert AT_A_POINT != BEFORE_A_MISS


def test_other_executors_are_left_alone():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        warm_up_later(pool)  # not a SecondProcess: nothing submitted, nothing raised
        warm_up_later(None)


def test_the_index_page_module_needs_neither_folium_nor_mapclassify():
    """The build's main process writes the index page (after the exports, while the second
    process draws the maps): its module must not pull the pages' or the classes' libraries
    (1.8-3 s of CPU); the map modules still import them when they draw."""
    import subprocess

    code = ("import sys, atlas.maps.index_page; "
            "print(sorted(m for m in ('folium', 'branca', 'mapclassify', 'atlas.maps.page', "
            "'atlas.maps.render') if m in sys.modules)); "
            "import atlas.maps.render; "
            "from atlas.maps.layers import classify; import pandas as pd; "
            "classify(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), 'Quantiles', k=3); "
            "print(sorted(m for m in ('folium', 'mapclassify') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__))).stdout
    assert out.splitlines() == ["[]", "['folium', 'mapclassify']"]


class _Witness:
    """Writes ``path`` when it is freed: at the interpreter's teardown, if that runs."""

    def __init__(self, path: str) -> None:
        # bound now: the builtins may be gone when it is freed at the teardown
        self.path, self.calls = path, (os.open, os.write, os.close, os.O_CREAT | os.O_WRONLY)

    def __del__(self) -> None:
        opened, write, close, flags = self.calls
        handle = opened(self.path, flags)
        write(handle, b"torn down")
        close(handle)


_KEPT: list[_Witness] = []


def _leave_a_witness(path: str) -> int:
    """Keep a :class:`_Witness` until the process ends; print a line (buffered: written to
    the inherited stdout only when it is flushed); return the process id."""
    _KEPT.append(_Witness(path))
    print("second process: done", end="")
    return os.getpid()


@needs_two_cores
def test_the_second_process_ends_without_its_teardown_and_loses_no_output(tmp_path, capfd):
    witness = tmp_path / "teardown.txt"
    with second_process() as worker:
        pid = worker.submit(_leave_a_witness, str(witness)).result()
        processes = list(worker._processes.values())  # noqa: SLF001  (its exit code below)
    assert [p.pid for p in processes] == [pid]
    assert processes[0].exitcode == 0  # a clean end
    assert not witness.exists()  # its objects were never freed one by one
    assert "second process: done" in capfd.readouterr().out  # its output flushed first


def test_the_quick_exit_is_the_last_exit_handler_and_flushes():
    script = ("import atexit, sys\n"
              "from atlas.build.worker import _initialize\n"
              "_initialize()\n"
              "atexit.register(lambda: print('a later handler ran', end=''))\n"
              "print('buffered', end='')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=os.getcwd(), timeout=120)
    # the handler registered after it ran first, then its output and this were flushed
    assert done.stdout == "buffereda later handler ran"
    assert done.returncode == 0
