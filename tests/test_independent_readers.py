"""Levels declared ``independent`` (atlas/spec/levels.toml): their reader may run in the build's
second process while this one checks the inputs and reads the other levels."""

from __future__ import annotations

import os
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest

from atlas.build.worker import call, result
from atlas.errors import ConfigError
from atlas.sources import registry
from atlas.sources.levelset import LevelSet
from atlas.sources.registry import ReadContext, read_group, read_levels, reader_groups
from atlas.spec import declarations
from atlas.spec.declarations import LevelDecl
from atlas.store.cache import geometry_cache

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (ROOT / "atlas" / "spec" / "levels.toml").read_text(encoding="utf-8")


def _levels_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in LEVELS
    path = tmp_path / "levels.toml"
    path.write_text(LEVELS.replace(old, new, 1), encoding="utf-8")
    return path


def test_independent_is_true_or_false(tmp_path):
    path = _levels_with(tmp_path, "\nindependent = true\n", '\nindependent = "yes"\n')
    with pytest.raises(ConfigError, match=r"level\[\d\]: independent = 'yes' \(expected true"):
        declarations.levels(path)


def test_the_levels_of_one_reader_agree_on_independent(tmp_path):
    """A reader runs once for all its levels: us_area alone cannot be independent."""
    path = _levels_with(tmp_path, 'reader = "atlas.sources.us.levels:read"\n',
                        'reader = "atlas.sources.us.levels:read"\nindependent = true\n')
    with pytest.raises(ConfigError,
                       match="reader atlas.sources.us.levels:read differ in 'independent'"):
        declarations.levels(path)


def test_the_declared_independent_reader_is_china_s():
    assert list(reader_groups(independent=True)) == ["atlas.sources.cn.cities:read"]
    assert "atlas.sources.cn.cities:read" not in reader_groups(independent=False)


def test_an_independent_reader_that_needs_the_us_occupations_is_stopped():
    context = ReadContext(inputs=None, config={}, alone="atlas.sources.world.countries:read")
    with pytest.raises(ConfigError,
                       match="atlas.sources.world.countries:read are declared independent.*"
                             "remove 'independent = true'"):
        context.occupations  # noqa: B018


def _level_set(name: str) -> LevelSet:
    return LevelSet(regions=pd.DataFrame({"name": [name]}), employment=pd.DataFrame(),
                    categories=pd.DataFrame())


def test_arriving_readers_join_in_declaration_order(monkeypatch):
    """The readers run here see the level sets read before them here; the one started
    elsewhere is collected after them and takes its declared place."""
    decls = tuple(LevelDecl(name, name, "", f"fake:{name}", "t", name)
                  for name in ("first", "second", "third"))
    seen: dict[str, list[str]] = {}

    def reader(name: str):
        def read(context: ReadContext, instances: list) -> LevelSet:
            seen[name] = [s.regions["name"].iloc[0] for s in context.level_sets]
            return _level_set(name)
        return read

    monkeypatch.setattr(declarations, "levels", lambda: decls)
    monkeypatch.setattr(registry, "resolve", lambda target: reader(target.split(":")[1]))
    context = ReadContext(inputs=None, config={})
    sets = read_levels(context, {"fake:second": lambda: _level_set("second (elsewhere)")})
    assert [s.regions["name"].iloc[0] for s in sets] == ["first", "second (elsewhere)", "third"]
    assert seen == {"first": [], "third": ["first"]}
    assert context.level_sets == sets


@pytest.mark.realdata
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the second process needs two cores")
def test_china_read_in_the_second_process_equals_china_read_here(data_dir):
    """What the build collects from its second process is, frame by frame, what this process
    would have read."""
    from atlas.build.worker import second_process
    from atlas.sources.reader_cache import reader_config
    from atlas.spec.config import load_config

    settings = reader_config(load_config())
    reader, instances = next(iter(reader_groups(independent=True).items()))
    with second_process(maps=False) as worker:
        future = worker.submit(call, "atlas.sources.registry:read_group", data_dir, settings,
                               reader, instances)
        here = read_group(data_dir, settings, reader, instances)  # meanwhile, on the other core
        there = result(future)
    for name in ("regions", "employment", "categories", "context", "attributes",
                 "indicators"):
        pd.testing.assert_frame_equal(getattr(there, name), getattr(here, name))
    assert set(there.extra_tables) == set(here.extra_tables)
    for name, frame in here.extra_tables.items():
        pd.testing.assert_frame_equal(there.extra_tables[name], frame)
    assert len(here.regions) > 6000  # every city in every period


def cached_answer() -> int:
    """A job that computes a cache entry (resolved by name, as the second process does)."""
    from atlas.store.cache import cached_frame

    cached_frame("answer", "key", lambda: pd.DataFrame({"x": [42]}))
    return 42


def _as_the_second_process_returns(folder: Path) -> Future:
    future: Future = Future()
    future.set_result(call(f"{__name__}:cached_answer", cache=folder, hand_back=True))
    return future


def test_cache_entries_handed_back_are_written_only_if_the_build_succeeds(tmp_path):
    folder = tmp_path / ".cache"
    future = _as_the_second_process_returns(folder)
    assert not list(folder.glob("answer-*"))  # not written where it was computed
    with pytest.raises(RuntimeError, match="later"), geometry_cache(folder):
        assert result(future) == 42
        raise RuntimeError("the build failed later")
    assert not list(folder.glob("answer-*"))
    with geometry_cache(folder):
        assert result(_as_the_second_process_returns(folder)) == 42
    assert len(list(folder.glob("answer-*.parquet"))) == 1


@pytest.mark.realdata
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the second process needs two cores")
def test_a_build_with_china_read_elsewhere_equals_one_read_here(built_atlas, full_build):
    """``build_all`` (the session's complete build, ``full_build``, cold with a cache of its
    own) reads China's cities in its second process; every table is that of the one-process
    build (``built_atlas``), and China's dissolved cities reach the cache."""
    import duckdb

    from atlas.store.fingerprint import differing, fingerprints

    assert any(step.startswith("checking every input") for step in full_build.steps)
    with duckdb.connect(str(built_atlas), read_only=True) as one, \
            duckdb.connect(str(full_build.out / "atlas.duckdb"), read_only=True) as other:
        assert differing(fingerprints(one), fingerprints(other)) == []
    assert list((full_build.out / ".cache").glob("cn_city_geometry-*.parquet"))


def test_an_independent_reader_sees_no_other_level_in_this_process_too(monkeypatch):
    """With one core (no second process) the declaration means the same: a reader declared
    independent that reaches for the level sets stops the build."""
    decls = (LevelDecl("first", "first", "", "fake:first", "t", "first"),
             LevelDecl("second", "second", "", "fake:second", "t", "second", independent=True))

    def reader(name: str):
        def read(context: ReadContext, instances: list) -> LevelSet:
            _ = [s.regions for s in context.level_sets]
            return _level_set(name)
        return read

    monkeypatch.setattr(declarations, "levels", lambda: decls)
    monkeypatch.setattr(registry, "resolve", lambda target: reader(target.split(":")[1]))
    with pytest.raises(ConfigError, match="fake:second are declared independent.*level sets"):
        read_levels(ReadContext(inputs=None, config={}))
