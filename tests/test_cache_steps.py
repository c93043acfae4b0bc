"""Cached build steps (atlas.store.cache_steps): the engine's sums and the uncertainty's
indicator variants are reused from the shared cache when nothing they read changed. A reused
result is identical to a recomputed one; a change of any table a step reads, of its
arguments or of its code is another key, and the step runs again; a damaged entry is a miss.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from atlas.engine import core
from atlas.engine.core import compute_measure_sums, measure_sums
from atlas.engine.uncertainty_choices import choice_settings, variant_table
from atlas.engine.uncertainty_inputs import unit_exposure
from atlas.spec.config import load_config
from atlas.store import cache_steps
from atlas.store.cache import geometry_cache
from atlas.store.cache_steps import code_files, step_key, table_digest
from atlas.store.database import analysed_levels
from atlas.store.fingerprint import differing, fingerprints
from tests.conftest import FIXTURES

SUMS = ("measure_order", "region_measure_sums", "region_group_sums")


@pytest.fixture()
def atlas_copy(fixture_atlas: Path, tmp_path: Path):
    """A writable copy of the fixtures' atlas database, opened."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(fixture_atlas / "atlas.duckdb", path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


class Counter:
    """Counts the calls of the matrix engine's per-level sums (made only when computing)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = core.matrix_level

        def counted(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(core, "matrix_level", counted)


def sums_fingerprints(con: duckdb.DuckDBPyConnection) -> dict:
    return {name: value for name, value in fingerprints(con).items()
            if name in (*SUMS, "region_exposure", "region_diversity", "region_totals")}


def test_reused_sums_equal_the_recomputed_ones(atlas_copy, tmp_path: Path, monkeypatch):
    counter = Counter(monkeypatch)
    compute_measure_sums(atlas_copy)  # outside a cache block: computed
    assert counter.calls > 0
    computed = sums_fingerprints(atlas_copy)
    assert len(computed) == 6 and computed["region_measure_sums"][0] > 0
    with geometry_cache(tmp_path / "cache"):
        compute_measure_sums(atlas_copy)  # a miss: computed, kept
    calls = counter.calls
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "cache").glob("*.duckdb")) \
        == ["measure_sums"]
    atlas_copy.execute("DROP TABLE region_measure_sums; DROP TABLE region_group_sums; "
                       "DROP TABLE measure_order")
    with geometry_cache(tmp_path / "cache"):
        compute_measure_sums(atlas_copy)  # a hit: copied from the entry
    assert counter.calls == calls  # nothing summed
    assert differing(sums_fingerprints(atlas_copy), computed) == []


@pytest.mark.parametrize("table", ["employment", "exposure_scores", "levels", "categories",
                                   "sheltered_categories", "region_context"])
def test_a_change_of_any_table_read_is_another_key(atlas_copy, table: str):
    reads = ["employment", "exposure_scores", "levels", "categories", "sheltered_categories",
             "region_context"]
    before = step_key(atlas_copy, "measure_sums", core.__name__, reads, ["matrix", False])
    digest = table_digest(atlas_copy, table)
    numeric = atlas_copy.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND "
        "data_type IN ('DOUBLE', 'BIGINT', 'INTEGER', 'BOOLEAN') ORDER BY column_index",
        [table]).fetchall()
    if numeric and atlas_copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
        column, kind = numeric[0]
        changed = f"NOT {column}" if kind == "BOOLEAN" else f"coalesce({column}, 0) + 1"
        # one value of one row changed (rowid: the first row stored)
        atlas_copy.execute(f"UPDATE {table} SET {column} = {changed} "
                           f"WHERE rowid = (SELECT min(rowid) FROM {table})")
    else:  # a table without numbers or rows: a row more
        atlas_copy.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1")
        if atlas_copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
            atlas_copy.execute(f"ALTER TABLE {table} ADD COLUMN extra_column INTEGER")
    assert table_digest(atlas_copy, table) != digest
    assert step_key(atlas_copy, "measure_sums", core.__name__, reads,
                    ["matrix", False]) != before


def test_two_rows_swapping_values_are_another_key(atlas_copy):
    """Per row, not per column: swapping one column's values between two rows changes
    no column's sum of hashes, but changes the rows."""
    first, second = atlas_copy.execute(
        "SELECT rowid, employment FROM employment WHERE employment > 0 ORDER BY rowid "
        "LIMIT 2").fetchall()
    assert first[1] != second[1] or pytest.skip("two equal figures")
    digest = table_digest(atlas_copy, "employment")
    atlas_copy.execute("UPDATE employment SET employment = ? WHERE rowid = ?",
                       [second[1], first[0]])
    atlas_copy.execute("UPDATE employment SET employment = ? WHERE rowid = ?",
                       [first[1], second[0]])
    assert table_digest(atlas_copy, "employment") != digest


def test_changed_arguments_or_code_recompute(atlas_copy, tmp_path: Path, monkeypatch):
    counter = Counter(monkeypatch)
    with geometry_cache(tmp_path / "cache"):
        measure_sums(atlas_copy, "matrix", False)
    calls = counter.calls
    with geometry_cache(tmp_path / "cache"):
        measure_sums(atlas_copy, "matrix", False)  # the same: a hit
        assert counter.calls == calls
        measure_sums(atlas_copy, "matrix", True)  # another argument: computed
        assert counter.calls > calls
        calls = counter.calls
        monkeypatch.setattr(cache_steps, "code_digest", lambda module: "other code")
        measure_sums(atlas_copy, "matrix", False)  # other code: computed
        assert counter.calls > calls


def test_the_code_of_a_step_is_its_layer_and_those_below():
    names = {str(p.relative_to(Path(core.__file__).parents[1])) for p in
             code_files(core.__name__)}
    assert {"errors.py", "engine/core.py", "engine/sql/region_sums.sql",
            "engine/matrix_engine.py", "spec/default_config.toml", "spec/levels.toml",
            "store/cache_steps.py", "sources/inputs.py"} <= names
    assert not any(name.startswith(("texts/", "maps/", "build/", "exports/"))
                   for name in names)
    assert not any(name.startswith("engine/") for name in
                   (str(p) for p in code_files("atlas.store.cache_steps")))
    with pytest.raises(ValueError):
        code_files("tests.test_cache_steps")


def test_a_damaged_entry_is_recomputed(atlas_copy, tmp_path: Path, monkeypatch):
    counter = Counter(monkeypatch)
    compute_measure_sums(atlas_copy)
    computed = sums_fingerprints(atlas_copy)
    with geometry_cache(tmp_path / "cache"):
        compute_measure_sums(atlas_copy)
    entry = next((tmp_path / "cache").glob("measure_sums-*.duckdb"))
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))
    calls, told = counter.calls, []
    with geometry_cache(tmp_path / "cache", report=told.append):
        compute_measure_sums(atlas_copy)
    assert counter.calls > calls and "does not match the sha256" in told[0]
    assert differing(sums_fingerprints(atlas_copy), computed) == []
    # replaced by a sound entry, which is used
    calls = counter.calls
    with geometry_cache(tmp_path / "cache"):
        compute_measure_sums(atlas_copy)
    assert counter.calls == calls


def test_reused_variants_equal_the_computed_ones(atlas_copy, tmp_path: Path, monkeypatch):
    config = load_config()
    choices = choice_settings(config)
    assert choices.varied  # the default configuration varies the indicators
    levels = analysed_levels(atlas_copy, config.uncertainty.periods)
    measures = sorted(unit_exposure(atlas_copy)["measure"].unique())
    computed = variant_table(atlas_copy, levels, measures, choices)
    assert len(computed) > 0
    with geometry_cache(tmp_path / "cache"):
        variant_table(atlas_copy, levels, measures, choices)
    monkeypatch.setattr("atlas.engine.uncertainty_choices.variant_wide", None)  # not called
    with geometry_cache(tmp_path / "cache"):
        again = variant_table(atlas_copy, levels, measures, choices)
    pd.testing.assert_frame_equal(again, computed, check_dtype=False)  # every float, exactly
    assert list(again.dtypes == "float64") == list(computed.dtypes == "float64")
    with geometry_cache(tmp_path / "cache"), pytest.raises(TypeError):
        variant_table(atlas_copy, levels, measures[:1], choices)  # another key: computed


def test_a_rebuild_after_a_weight_change_equals_a_cold_build(tmp_path: Path):
    """The fixtures built, then rebuilt into the same folder with another weight: every
    cached step is reused (one entry of each, none added by the rebuild), and the rebuilt
    database equals a cold build of that configuration with an empty cache, table by table."""
    from atlas.build.database import build

    changed = tmp_path / "weights.toml"
    changed.write_text("[risk.pillar_weights]\nshock = 0.45\n", encoding="utf-8")
    config = load_config(changed)
    cache = tmp_path / "cache"
    build(tmp_path / "out", FIXTURES, load_config(), cache_dir=cache)
    first = sorted(p.name for p in cache.glob("*.duckdb"))
    steps = {name.split("-")[0] for name in first}
    assert {"measure_sums", "shift_projection", "scenario_base", "programmes",
            "top_categories"} <= steps
    rebuilt = build(tmp_path / "out", FIXTURES, config, cache_dir=cache).database
    assert sorted(p.name for p in cache.glob("*.duckdb")) == first  # every step reused
    assert len(list(cache.glob("uncertainty_variants-*.parquet"))) == 1
    cold = build(tmp_path / "cold", FIXTURES, config, cache_dir=tmp_path / "empty").database
    with duckdb.connect(str(rebuilt), read_only=True) as a, \
            duckdb.connect(str(cold), read_only=True) as b:
        assert differing(fingerprints(a), fingerprints(b)) == []
        assert a.execute("SELECT value FROM build_info WHERE key = 'config'").fetchone() \
            == b.execute("SELECT value FROM build_info WHERE key = 'config'").fetchone()


def test_every_cached_step_reads_only_the_tables_it_declares(tmp_path: Path, monkeypatch):
    """Every cached step (every function marked with ``cached_step`` in atlas, found by
    importing every module) is run during a build of the fixtures both as usual and on a
    fresh database holding only its ``reads`` (tests/step_isolation.py): the same tables (or
    frame) must come out, and nothing else may be changed or left behind."""
    import importlib
    import pkgutil

    import atlas
    from atlas.build.database import build
    from tests.step_isolation import Audit

    for module in pkgutil.walk_packages(atlas.__path__, "atlas."):
        if not module.name.endswith(".__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    assert len(cache_steps.STEPS) >= 6  # the six of round s8 at least
    audit = Audit()
    monkeypatch.setattr(cache_steps, "run_step", audit)
    build(tmp_path / "out", FIXTURES, load_config(), cache_dir=tmp_path / "cache")
    assert not audit.faults, "\n".join(audit.faults)
    assert sorted(set(audit.steps)) == sorted(cache_steps.STEPS), \
        "a cached step the build of the fixtures does not run is not checked: cover it"
