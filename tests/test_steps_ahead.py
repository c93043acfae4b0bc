"""A first build's cached steps that read only model tables are computed ahead in its second
process, from the model tables' closed file (:mod:`atlas.engine.steps_ahead`, issue #32
item 3, round s10): their file entries are handed over to the build's cache block, where the
build's own calls of the steps find them, equal to what it computes itself; if the work there
fails, the build computes them and nothing reaches the user."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import atlas.engine.core as core
import atlas.engine.scenarios as scenarios
from atlas.build.database import AHEAD
from atlas.build.worker import prepare, second_process
from atlas.engine.steps_ahead import compute_ahead, steps
from atlas.spec.config import load_config
from atlas.store.cache import adopt, cache_file, geometry_cache, hand_over_files, new_cache_file

WRITTEN = {"top_categories": "region_top_categories", "scenario_base": "scenario_base"}


def _measures() -> tuple[str, str]:
    config = load_config()
    return config.exposure.default_measure, config.exposure.automation_measure


def _model_tables(fixture_atlas: Path, tmp_path: Path) -> Path:
    """A copy of the fixtures' atlas without the tables the steps write (as the model
    tables' file is before the engine runs)."""
    path = tmp_path / "model_tables.duckdb"
    shutil.copy(fixture_atlas / "atlas.duckdb", path)
    with duckdb.connect(str(path)) as con:
        for table in WRITTEN.values():
            con.execute(f"DROP TABLE {table}")
    return path


def _run_steps(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The build's own calls of the steps (as build_database makes them), their tables."""
    exposure, automation = _measures()
    core.compute_top_categories(con, exposure)
    scenarios.scenario_base(con, exposure, automation)
    return {table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
            for table in WRITTEN.values()}


def test_the_steps_ahead_are_the_builds_own_calls():
    exposure, automation = _measures()
    chosen = steps(exposure, automation)
    assert [step.step.name for step, _ in chosen] == list(WRITTEN)
    for step, _ in chosen:  # they read nothing the engine writes
        assert set(step.step.reads) <= {"employment", "exposure_scores", "levels", "categories"}


def test_steps_computed_ahead_are_found_by_the_build_equal_to_its_own(
        fixture_atlas, tmp_path, monkeypatch):
    model_tables = _model_tables(fixture_atlas, tmp_path)
    build_copy = tmp_path / "build.duckdb"
    shutil.copy(model_tables, build_copy)
    with duckdb.connect(str(build_copy)) as con:
        con.execute("SET preserve_insertion_order = false")  # as the engine sets it
        own = _run_steps(con)  # outside a cache block: computed
    cache = tmp_path / "cache"
    with geometry_cache(cache, write=False):  # as the second process runs it
        assert compute_ahead(model_tables, *_measures()) == 2
        files = hand_over_files()
    assert sorted(name for name, _, _ in files) == sorted(WRITTEN)
    assert all(path.is_file() for path in files.values())

    def never(*args, **kwargs):
        raise AssertionError("the build computed a step it had been handed")

    shutil.copy(model_tables, build_copy)
    with geometry_cache(cache), duckdb.connect(str(build_copy)) as con:
        adopt(files)
        monkeypatch.setattr(core, "run_sql_file", never)
        monkeypatch.setattr(scenarios, "run_sql_file", never)
        reused = _run_steps(con)
    for table, frame in own.items():
        pd.testing.assert_frame_equal(reused[table], frame)
    written = sorted(p.name.split("-")[0] for p in cache.glob("*.duckdb"))
    assert written == sorted(WRITTEN)  # the handed-over entries, written with the block
    assert all((cache / (p.name + ".sha256")).is_file() for p in cache.glob("*.duckdb"))


def test_handed_over_files_are_removed_if_the_build_fails(tmp_path):
    cache = tmp_path / "cache"
    with geometry_cache(cache, write=False):
        temp = new_cache_file("scenario_base", "k", ".duckdb")
        duckdb.connect(str(temp)).close()
        files = hand_over_files()
    assert temp.is_file()  # handed over: not removed by the block that made it
    with pytest.raises(RuntimeError), geometry_cache(cache):
        adopt(files)
        assert cache_file("scenario_base", "k", ".duckdb") == temp  # the block's own
        raise RuntimeError("the build failed")
    assert not temp.exists() and not list(cache.glob("scenario_base-*"))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no second process")
def test_a_failure_ahead_never_reaches_the_build_which_computes_the_steps(
        fixture_atlas, tmp_path):
    model_tables = _model_tables(fixture_atlas, tmp_path)
    cache = tmp_path / "cache"
    unreadable = tmp_path / "not_a_database.duckdb"
    unreadable.write_text("not a database", encoding="utf-8")
    with geometry_cache(cache), second_process(maps=False) as worker, \
            duckdb.connect(str(model_tables)) as con:
        handle = prepare(worker, AHEAD, unreadable, *_measures(), cache=cache)
        handle.collect()  # a DuckDB error there: nothing taken, nothing raised
        tables = _run_steps(con)  # computed here
    assert all(len(frame) for frame in tables.values())
    assert sorted(p.name.split("-")[0] for p in cache.glob("*.duckdb")) == sorted(WRITTEN)
