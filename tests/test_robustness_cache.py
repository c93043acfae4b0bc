"""A cache that can only speed things up (issue 34, item 2): every kind of entry (a frame, a
geo-frame, the model tables' database) that is cut short, emptied, swapped or edited is a
miss, reported in one line, recomputed and replaced."""

from __future__ import annotations

import shutil

import duckdb
import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
from shapely.geometry import Point

from atlas.sources.inputs import Inputs, load_manifest
from atlas.sources.reader_cache import ENTRY_TABLE, find_entry, keep, model_key, restore
from atlas.spec.config import load_config
from atlas.store.cache import cache_key, cached_frame, digest_path, geometry_cache
from atlas.store.cache_geo import cached_geoframe
from atlas.store.fingerprint import fingerprints

DAMAGES = ["truncate", "empty", "swap", "edit"]


def frame(value: int) -> pd.DataFrame:
    return pd.DataFrame({"region_id": ["a", "b"], "jobs": [value, value + 1]})


def geoframe(value: int) -> tuple[gpd.GeoDataFrame, list[str]]:
    shapes = gpd.GeoDataFrame({"region_id": ["a", "b"], "jobs": [value, value + 1]},
                              geometry=[Point(0, value), Point(1, value)], crs="EPSG:4326")
    return shapes, [f"note {value}"]


def edit_parquet(path, column="jobs"):
    """Rewrite the table with its jobs multiplied by 10, its metadata (and key) kept."""
    table = pq.read_table(path)
    edited = table.to_pandas()
    edited[column] = edited[column] * 10
    import pyarrow as pa

    pq.write_table(pa.Table.from_pandas(edited, preserve_index=False)
                   .replace_schema_metadata(table.schema.metadata), path)


def damage(path, other, how):
    if how == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "swap":  # another entry's bytes under this entry's name (its record kept)
        shutil.copyfile(other, path)
    elif how == "edit" and path.suffix == ".parquet":
        edit_parquet(path)
    else:  # a region renamed, its jobs multiplied by 10, in the model tables' database
        with duckdb.connect(str(path)) as con:
            con.execute("UPDATE regions SET region_id = 'renamed', share = share * 10")


def run(folder, compute_kind, key, value, notes):
    calls = []

    def compute():
        calls.append(value)
        return frame(value) if compute_kind == "frame" else geoframe(value)

    with geometry_cache(folder, report=notes.append):
        if compute_kind == "frame":
            got = cached_frame("kind", key, compute)
        else:
            got = cached_geoframe("kind", key, compute)[0]
    return got, calls


@pytest.mark.parametrize("kind", ["frame", "geoframe"])
@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_table_entry_is_a_reported_miss_and_replaced(tmp_path, kind, how):
    key, other_key = cache_key("k", 1), cache_key("k", 2)
    notes: list[str] = []
    run(tmp_path, kind, key, 1, notes)
    run(tmp_path, kind, other_key, 2, notes)
    entry = tmp_path / f"kind-{key}.parquet"
    assert digest_path(entry).is_file() and notes == []
    _, calls = run(tmp_path, kind, key, 7, notes)
    assert calls == []  # an intact entry is used
    damage(entry, tmp_path / f"kind-{other_key}.parquet", how)
    got, calls = run(tmp_path, kind, key, 1, notes)
    assert calls == [1]  # recomputed, not read from the damaged entry
    assert list(got["jobs"]) == [1, 2] and list(got["region_id"]) == ["a", "b"]
    assert len(notes) == 1 and "\n" not in notes[0] and entry.name in notes[0]
    again, calls = run(tmp_path, kind, key, 9, notes)  # replaced: read back, not recomputed
    assert calls == [] and list(again["jobs"]) == [1, 2] and len(notes) == 1


def test_a_swapped_entry_with_its_record_is_refused_by_its_key(tmp_path):
    key, other_key = cache_key("k", 1), cache_key("k", 2)
    notes: list[str] = []
    run(tmp_path, "frame", key, 1, notes)
    run(tmp_path, "frame", other_key, 2, notes)
    for suffix in ("", ".sha256"):
        shutil.copyfile(tmp_path / f"kind-{other_key}.parquet{suffix}",
                        tmp_path / f"kind-{key}.parquet{suffix}")
    got, calls = run(tmp_path, "frame", key, 1, notes)
    assert calls == [1] and list(got["jobs"]) == [1, 2]
    assert len(notes) == 1 and "another key" in notes[0]


def test_an_entry_without_its_record_is_a_miss(tmp_path):
    notes: list[str] = []
    key = cache_key("k", 1)
    run(tmp_path, "frame", key, 1, notes)
    digest_path(tmp_path / f"kind-{key}.parquet").unlink()
    _, calls = run(tmp_path, "frame", key, 1, notes)
    assert calls == [1] and "no recorded sha256" in notes[0]


@pytest.fixture()
def fake_data(tmp_path):
    root = tmp_path / "data"
    for spec in load_manifest().values():
        path = root / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"contents of {spec.key}\n".encode())
    return root


def model_tables(con: duckdb.DuckDBPyConnection, value: int) -> list[str]:
    con.execute(f"CREATE TABLE regions AS SELECT 'r{value}' AS region_id, 0.5 AS share")
    con.execute(f"CREATE TABLE employment AS SELECT range * {value} AS jobs FROM range(50)")
    return ["regions", "employment"]


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_model_tables_entry_is_a_reported_miss_and_replaced(tmp_path, fake_data,
                                                                       how):
    inputs, cache = Inputs(fake_data), tmp_path / "cache"
    key = model_key(inputs, load_config())
    other_key = "f" * 64
    notes: list[str] = []
    sources = {}
    for value, entry_key in ((1, key), (2, other_key)):
        sources[entry_key] = duckdb.connect()
        with geometry_cache(cache, report=notes.append):
            keep(sources[entry_key], entry_key, model_tables(sources[entry_key], value), inputs)
    entry = cache / f"model_tables-{key}.duckdb"
    damage(entry, cache / f"model_tables-{other_key}.duckdb", how)
    with geometry_cache(cache, report=notes.append):
        assert find_entry(key) is None  # a miss, not an error, not the damaged tables
        keep(sources[key], key, ["regions", "employment"], inputs)  # what a build then does
    assert len(notes) == 1 and "\n" not in notes[0] and entry.name in notes[0]
    with geometry_cache(cache, report=notes.append):
        stored = find_entry(key)
    assert stored is not None and len(notes) == 1
    target = duckdb.connect()
    restore(target, stored)
    assert fingerprints(target) == fingerprints(sources[key])
    with duckdb.connect(str(entry), read_only=True) as con:
        assert con.execute(f"SELECT value FROM {ENTRY_TABLE} WHERE name = 'key'"
                           ).fetchone()[0] == key
