"""The maps' drawn shapes are computed early in the build's second process, from the closed
model-tables file (:func:`atlas.maps.render.prepare_shapes`, queued by
:func:`atlas.build.worker.warm_up_later`): the maps then find them in the cache, equal to
what they would compute, and a file that cannot be read only costs the maps their own
computation (issue #32 item 3, round s6)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import atlas.maps.display_geometry as display_geometry
from atlas.build.worker import collect_prepared, second_process, warm_up_later
from atlas.maps.render import prepare_shapes
from atlas.maps.specs import load_map_specs
from atlas.store.cache import computed_entries, geometry_cache


def _asked(database: Path) -> list[tuple[str, object]]:
    """(level, spec) of every display_shapes call the maps of ``database`` make."""
    with duckdb.connect(str(database), read_only=True) as con:
        levels = {row[0] for row in con.execute(
            "SELECT DISTINCT level FROM region_indices").fetchall()}
    return [(level, spec) for spec in load_map_specs().values() if spec.level in levels
            for level in (spec.level, spec.outline_level) if level]


def _shapes(database: Path, level: str, spec) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        shapes, moved, points = display_geometry.display_shapes(con, level, spec)
    return pd.DataFrame({"wkb": [shape.wkb for shape in shapes.values()],
                         "point": [points[key] for key in shapes]}, index=list(shapes))


def test_the_maps_find_the_prepared_shapes_equal_to_their_own(fixture_atlas, tmp_path,
                                                              monkeypatch):
    database = fixture_atlas / "atlas.duckdb"
    asked = _asked(database)
    assert asked
    own = {level: _shapes(database, level, spec) for level, spec in asked}  # no cache block
    with geometry_cache(tmp_path / "cache", write=False):
        assert prepare_shapes(database) >= len(asked)
        assert sum(name == "display_shapes" for name, _ in computed_entries()) == len(asked)

        def never(*args, **kwargs):
            raise AssertionError("the maps simplified a shape the build had prepared")

        monkeypatch.setattr(display_geometry, "_drawn", never)
        for level, spec in asked:
            pd.testing.assert_frame_equal(_shapes(database, level, spec), own[level])


def test_an_unreadable_file_prepares_nothing(tmp_path):
    text = tmp_path / "model_tables.duckdb"
    text.write_text("not a database", encoding="utf-8")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()  # a database without the model tables
    with geometry_cache(tmp_path / "cache", write=False):
        assert prepare_shapes(tmp_path / "missing.duckdb") == 0
        assert prepare_shapes(text) == 0
        assert prepare_shapes(empty) == 0
        assert computed_entries() == {}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no second process")
def test_the_second_process_hands_the_shapes_to_the_build_cache(fixture_atlas, tmp_path):
    database = fixture_atlas / "atlas.duckdb"
    cache = tmp_path / "cache"
    with geometry_cache(cache), second_process() as worker:
        warm_up_later(worker, database, cache)
        assert len(worker.prepared) == 1
        collect_prepared(worker)
        assert worker.prepared == []
    # written with this (the build's) block, not by the second process
    assert len(list(cache.glob("display_shapes-*.parquet"))) == len(_asked(database))
    with geometry_cache(tmp_path / "other"), second_process(maps=False) as worker:
        warm_up_later(worker, database, tmp_path / "other")
        assert worker.prepared == []  # a process that draws no maps prepares nothing
