"""Deterministic builds (#20.6): the same inputs and config give identical table contents.

Floating-point sums run in a fixed order (the matrix engine; ordered aggregates in SQL where
sums run over regions or groups), so two runs agree to the last bit whatever the threads.
Tables are compared by content fingerprints (``atlas.store.fingerprint``), which leave out only
the build's timestamps.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from atlas.build.database import build
from atlas.engine.core import compute_indices
from atlas.engine.scenarios import compute_scenarios
from atlas.engine.synth import generate_level, synthetic_config
from atlas.engine.uncertainty import compute_rank_uncertainty
from atlas.sources.inputs import load_manifest
from atlas.store.cache import CACHE_ENV, verified_file
from atlas.store.fingerprint import differing, fingerprints, table_fingerprint


def synthetic_run(threads: int) -> dict[str, tuple]:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    # 240,000 composition rows (two of DuckDB's 122,880-row groups, both threads busy) over
    # 1,000 regions: the rank-uncertainty grid, whose cost grows with the regions, stays small
    generate_level(con, 1000, 240, 11)
    config = synthetic_config()
    compute_indices(con, config)
    compute_rank_uncertainty(con, config)
    compute_scenarios(con, config)
    return fingerprints(con)


def test_engine_twice_with_two_threads_gives_identical_tables():
    first, second = synthetic_run(2), synthetic_run(2)
    assert {"region_measure_sums", "region_group_sums", "region_indices", "rank_uncertainty",
            "scenario_results"} <= set(first)
    assert differing(first, second) == []


def test_fingerprint_sees_the_last_bit_and_ignores_timestamps():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 0.1::DOUBLE + 0.2::DOUBLE AS x")
    con.execute("CREATE TABLE build_info AS SELECT * FROM (VALUES ('created_at', 'a'), "
                "('git_commit', 'c1'), ('data_dir', '/d1'), ('seed', '1')) AS v(key, value)")
    con.execute("CREATE TABLE provenance AS SELECT 'f' AS file, 'a' AS loaded_at")
    before = fingerprints(con)
    con.execute("UPDATE t SET x = 0.3::DOUBLE")  # 0.1 + 0.2 differs from 0.3 in the last bit
    con.execute("UPDATE build_info SET value = 'b' WHERE key = 'created_at'")
    con.execute("UPDATE build_info SET value = 'c2' WHERE key = 'git_commit'")  # where, not what
    con.execute("UPDATE build_info SET value = '/d2' WHERE key = 'data_dir'")
    con.execute("UPDATE provenance SET loaded_at = 'b'")
    assert differing(before, fingerprints(con)) == ["t"]
    con.execute("UPDATE build_info SET value = '2' WHERE key = 'seed'")
    assert table_fingerprint(con, "build_info") != before["build_info"]


@pytest.mark.realdata
def test_two_real_builds_give_identical_tables(built_atlas, data_dir, tmp_path):
    """The second build starts with the first one's cache (validated layers, dissolved
    geometry, contiguity) but its model tables entry is damaged: the entry is a reported miss,
    the readers run again, and the entry is replaced. This also checks that a warm geometry
    cache gives the tables a cold one gives."""
    cache = built_atlas.parent / ".cache"
    names = sorted(p.name.split("-")[0] for p in cache.iterdir()
                   if not p.name.endswith(".sha256"))  # the entries, not their recorded sha256
    assert names.count("contiguity") == 4 and "us_region_geometry" in names
    assert {"layer_counties_2023", "layer_cn_boundaries", "model_tables", "cn_city_geometry",
            "world_country_shapes"} <= set(names)
    copied = tmp_path / "cache"
    shutil.copytree(cache, copied)
    [entry] = copied.glob("model_tables-*.duckdb")
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    entry.write_bytes(bytes(data))
    steps: list[str] = []
    again = build(tmp_path / "again", data_dir, step=steps.append, cache_dir=copied).database
    assert any(entry.name in step and "does not match the sha256" in step for step in steps)
    assert any(step.startswith("checking every input") for step in steps)
    assert verified_file(entry)  # rebuilt and replaced
    with duckdb.connect(str(built_atlas), read_only=True) as one, \
            duckdb.connect(str(again), read_only=True) as other:
        first, second = fingerprints(one), fingerprints(other)
    assert len(first) > 40
    assert differing(first, second) == []


@pytest.mark.realdata
def test_a_build_from_cached_model_tables_equals_a_cold_one(built_atlas, data_dir, tmp_path,
                                                             monkeypatch):
    """A build into another output folder finds the first one's cache in the shared cache
    folder (``ATLAS_CACHE_DIR``): nothing is read or validated again, and every table, its
    column types and the provenance are those of the cold build."""
    shared = tmp_path / "shared"
    shutil.copytree(built_atlas.parent / ".cache", shared)
    monkeypatch.setenv(CACHE_ENV, str(shared))
    steps: list[str] = []
    warm = build(tmp_path / "warm", data_dir, step=steps.append).database
    assert not any(step.startswith(("checking every input", "reading")) for step in steps)
    assert any(step.startswith(f"copying the model tables from {shared}") for step in steps)
    assert not (tmp_path / "warm" / ".cache").exists()  # nothing cached in the output folder
    types = ("SELECT table_name, column_name, data_type FROM information_schema.columns "
             "ORDER BY ALL")
    with duckdb.connect(str(built_atlas), read_only=True) as one, \
            duckdb.connect(str(warm), read_only=True) as other:
        assert differing(fingerprints(one), fingerprints(other)) == []
        assert one.execute(types).fetchall() == other.execute(types).fetchall()
        assert other.execute("SELECT count(*) FROM provenance").fetchone()[0] == len(
            load_manifest())
