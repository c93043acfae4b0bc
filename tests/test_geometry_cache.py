"""The dissolved-geometry cache: used when the key matches, never read when it differs."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from atlas.sources.region_geometry import (
    KEY_FIELD,
    cache_key,
    cached_frame,
    geometry_cache,
    us_region_geometry,
)


def frame(value: int) -> pd.DataFrame:
    return pd.DataFrame({"region_id": ["a", "b"], "geometry": [bytes([value]), b"\x01\x02"]})


def test_the_cache_returns_the_stored_frame_for_the_same_key(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return frame(7)

    key = cache_key("test", "sha-of-input")
    with geometry_cache(tmp_path):
        first = cached_frame("test", key, compute)
        second = cached_frame("test", key, compute)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, second, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == [f"test-{key}.parquet"]
    assert cached_frame("test", key, compute) is not None and len(calls) == 2  # no cache


def test_a_different_hash_is_never_read(tmp_path):
    old, new = cache_key("test", "sha-1"), cache_key("test", "sha-2")
    assert old != new
    with geometry_cache(tmp_path):
        cached_frame("test", old, lambda: frame(1))
    with geometry_cache(tmp_path):
        assert cached_frame("test", new, lambda: frame(2))["geometry"][0] == b"\x02"
    # a file under the new name whose stored key differs (planted or stale) is ignored
    planted = pa.Table.from_pandas(frame(9)).replace_schema_metadata({KEY_FIELD: old})
    pq.write_table(planted, tmp_path / f"test-{new}.parquet")
    with geometry_cache(tmp_path):
        assert cached_frame("test", new, lambda: frame(3))["geometry"][0] == b"\x03"
    (tmp_path / f"test-{new}.parquet").write_bytes(b"not parquet")  # damaged
    with geometry_cache(tmp_path):
        assert cached_frame("test", new, lambda: frame(4))["geometry"][0] == b"\x04"
    with geometry_cache(tmp_path):  # the replacement is read back
        assert cached_frame("test", new, lambda: frame(5))["geometry"][0] == b"\x04"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"test-{old}.parquet", f"test-{new}.parquet"])


def test_a_block_that_fails_writes_nothing(tmp_path):
    with pytest.raises(RuntimeError), geometry_cache(tmp_path / "cache"):
        cached_frame("test", cache_key(1), lambda: frame(1))
        raise RuntimeError("the build failed after computing")
    assert not (tmp_path / "cache").exists()


def test_only_the_most_recent_keys_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr("atlas.store.cache.KEEP", 2)
    with geometry_cache(tmp_path):
        for index in range(4):
            cached_frame("test", cache_key(index), lambda i=index: frame(i))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"test-{cache_key(i)}.parquet" for i in (2, 3))


@pytest.mark.realdata
def test_cached_us_geometry_equals_the_dissolve(built_atlas, data_dir, tmp_path):
    from atlas.sources.inputs import Inputs
    from atlas.sources.us.oews import read_oews

    cache = built_atlas.parent / ".cache"
    assert list(cache.glob("us_region_geometry-*.parquet"))  # the build left its cache
    inputs = Inputs(data_dir)
    regions = read_oews(inputs).regions
    with geometry_cache(cache):
        cached = us_region_geometry(inputs, regions)
    fresh = us_region_geometry(inputs, regions)  # no cache: dissolved again
    pd.testing.assert_frame_equal(cached, fresh, check_dtype=False)
    changed = regions.copy()
    changed.loc[changed["level"] == "us_area", "region_id"] += "x"  # another mapping
    with geometry_cache(tmp_path):
        other = us_region_geometry(inputs, changed)
    assert other.loc[other["level"] == "us_area", "region_id"].str.endswith("x").all()


@pytest.mark.realdata
def test_validated_layers_come_back_the_same_and_a_changed_file_is_read_again(data_dir,
                                                                             tmp_path):
    import numpy as np
    import shapely

    from atlas.sources.geometry_reading import read_geometry
    from atlas.sources.inputs import Inputs

    inputs = Inputs(data_dir)
    spec = inputs.specs["counties_2023"]
    path, data = inputs._read("counties_2023")
    with geometry_cache(tmp_path):
        cold, cold_repaired = read_geometry(path, data, spec, spec.path)
    assert len(list(tmp_path.glob("layer_counties_2023-*.parquet"))) == 1
    with geometry_cache(tmp_path):
        warm, warm_repaired = read_geometry(path, data, spec, spec.path)
        assert warm_repaired == cold_repaired and warm.crs == cold.crs
        pd.testing.assert_frame_equal(pd.DataFrame(warm.drop(columns="geometry")),
                                      pd.DataFrame(cold.drop(columns="geometry")))
        assert np.array_equal(shapely.to_wkb(warm.geometry.array),
                              shapely.to_wkb(cold.geometry.array))
        changed = data.replace(b'"type"', b'"type" ', 1)  # one more byte, same content
        read_geometry(path, changed, spec, spec.path)
    assert len(list(tmp_path.glob("layer_counties_2023-*.parquet"))) == 2  # a new key
