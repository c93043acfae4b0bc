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
