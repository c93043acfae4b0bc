"""The build's second process imports its heavy libraries when its work needs them, not at its
start (where they shared the two cores with the engine of a rebuild): the map modules only
once :func:`atlas.build.worker.warm_up_later` queues them, and only for a process that will
draw the maps."""

from __future__ import annotations

import os
import sys

import pytest

from atlas.build.worker import SecondProcess, second_process, warm_up_later

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


def test_other_executors_are_left_alone():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        warm_up_later(pool)  # not a SecondProcess: nothing submitted, nothing raised
        warm_up_later(None)
