"""The input side of a first build: only the Parquet columns the readers use are loaded
(``also_read`` in atlas/spec/manifest.toml), and the second process dissolves the regions
ahead of the readers (``prepare`` in atlas/spec/levels.toml, :func:`atlas.build.worker.prepare`)
without ever deciding a result."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from atlas.errors import ConfigError, InputError
from atlas.sources.checks import validate_frame
from atlas.sources.inputs import parse_table
from atlas.spec import declarations
from atlas.spec.manifest import spec_from_entry
from atlas.store.cache import adopt, cached_frame, computed_entries, geometry_cache, on_next_miss

ENTRY = {"path": "x/table.parquet", "columns": {"code": "str", "jobs": "count"},
         "also_read": ["title"]}


def _parquet(**columns: list) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()


def test_only_the_declared_and_also_read_columns_are_loaded():
    data = _parquet(code=["a", "b"], jobs=[1.0, 2.0], title=["A", "B"], noise=[9, 9])
    frame = parse_table(data, spec_from_entry("t", ENTRY))
    assert list(frame.columns) == ["code", "jobs", "title"]
    assert frame["title"].tolist() == ["A", "B"]
    everything = parse_table(data, spec_from_entry("t", {k: v for k, v in ENTRY.items()
                                                         if k != "also_read"}))
    assert list(everything.columns) == ["code", "jobs", "title", "noise"]


def test_an_absent_also_read_column_is_left_out_and_a_missing_declared_one_is_named():
    spec = spec_from_entry("t", ENTRY)
    frame = parse_table(_parquet(code=["a"], jobs=[1.0]), spec)  # no title: as before
    assert list(frame.columns) == ["code", "jobs"]
    with pytest.raises(InputError, match=r"missing column\(s\) \['jobs'\]"):
        validate_frame(parse_table(_parquet(code=["a"], title=["A"]), spec), spec, spec.path)


def test_also_read_is_for_parquet_inputs_only():
    with pytest.raises(ConfigError, match="also_read applies to Parquet inputs only"):
        spec_from_entry("t", {**ENTRY, "path": "x/table.csv"})


def test_an_announced_entry_is_waited_for_once_on_the_first_miss(tmp_path):
    calls = []
    frame = pd.DataFrame({"region_id": ["a"], "value": [1.5]})

    def collect():  # what the second process computed, handed back
        calls.append(1)
        with geometry_cache(tmp_path / "there", write=False):
            cached_frame("dissolved", "k1", lambda: frame)
            entries = computed_entries()
        adopt(entries)

    def never():
        raise AssertionError("computed here although the second process had it")

    with geometry_cache(tmp_path / "here"):
        on_next_miss(collect)
        got = cached_frame("dissolved", "k1", never)
        assert calls == [1]
        pd.testing.assert_frame_equal(got, frame)
        again = cached_frame("other", "k2", lambda: frame.assign(value=2.0))  # a plain miss
        assert calls == [1] and again["value"].tolist() == [2.0]
    on_next_miss(collect)  # outside a block: nothing kept, nothing called
    assert calls == [1]


def test_only_the_us_reader_declares_work_ahead():
    prepared = {decl.reader: decl.prepare for decl in declarations.levels() if decl.prepare}
    assert prepared == {"atlas.sources.us.levels:read": "atlas.sources.us.geometry:prepare"}


@pytest.mark.realdata
def test_the_dissolve_done_ahead_is_the_one_the_reader_finds(data_dir, tmp_path, monkeypatch):
    from atlas.build.worker import call
    from atlas.sources.inputs import Inputs
    from atlas.sources.us import geometry
    from atlas.sources.us.oews import read_oews

    _, error, entries = call("atlas.sources.registry:prepare", data_dir,
                                 cache=tmp_path, hand_back=True)
    assert error is None and any(name == "us_region_geometry" for name, _ in entries)
    inputs = Inputs(data_dir)
    regions = read_oews(inputs).regions
    fresh = geometry.us_region_geometry(inputs, regions)  # no cache: dissolved here
    monkeypatch.setattr(geometry, "_dissolve_us", lambda *args: pytest.fail("dissolved again"))
    with geometry_cache(tmp_path):
        adopt(entries)
        ahead = geometry.us_region_geometry(inputs, regions)
    pd.testing.assert_frame_equal(ahead, fresh, check_dtype=False)
