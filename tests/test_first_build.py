"""A first build (empty cache) shares the checking of the inputs with its second process: the
geometry inputs are validated there, before its reader and its imports, and come back as cache
entries that this process's own check then finds (tables are parsed here: they are not cached);
an input the second process finds bad is still named here, by this process's check."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
from conftest import FIXTURES

import atlas.sources.geometry_reading as geometry_reading
from atlas.build import worker
from atlas.build.reading import start_geometry_checks
from atlas.build.worker import call, second_process
from atlas.errors import InputError
from atlas.sources.inputs import Inputs
from atlas.store.cache import adopt, geometry_cache


def geometry_keys(inputs: Inputs) -> list[str]:
    return [key for key, spec in inputs.specs.items() if spec.is_geometry]


def test_check_all_skips_only_what_it_is_told():
    inputs = Inputs(FIXTURES)
    later = geometry_keys(inputs)
    assert later and len(later) < len(inputs.specs)
    inputs.check_all(skip=later)
    assert set(inputs.provenance) == set(inputs.specs) - set(later)
    inputs.check_all()
    assert set(inputs.provenance) == set(inputs.specs)


def test_geometry_checked_elsewhere_is_found_here_not_validated_again(tmp_path, monkeypatch):
    """What check_inputs hands back (as the second process does) is, layer by layer and with
    the repaired ids, what validating here gives; with it adopted nothing is validated again."""
    monkeypatch.setattr(worker, "_HANDED_BACK", {})
    keys = geometry_keys(Inputs(FIXTURES))
    value, error, entries = call("atlas.sources.inputs:check_inputs", FIXTURES, keys,
                                 cache=tmp_path / "cache", hand_back=True)
    assert value is None and error is None
    assert {name for name, _ in entries} == {f"layer_{key}" for key in keys}
    assert not (tmp_path / "cache").exists()  # handed back, not written there
    here = Inputs(FIXTURES)
    expected = {key: here.geometry(key) for key in keys}  # no cache: validated here

    def validated_again(*args):
        raise AssertionError("validated again")

    monkeypatch.setattr(geometry_reading, "validate_geometry", validated_again)
    with geometry_cache(tmp_path / "cache"):
        adopt(entries)
        inputs = Inputs(FIXTURES)
        inputs.check_all()
        for key in keys:
            found = inputs.geometry(key)
            pd.testing.assert_frame_equal(found.drop(columns=found.geometry.name),
                                          expected[key].drop(columns=found.geometry.name))
            assert found.geometry.to_wkb().tolist() == expected[key].geometry.to_wkb().tolist()
            assert found.crs == expected[key].crs
            assert inputs.repaired[key] == here.repaired[key]
            assert {**inputs.provenance[key], "loaded_at": ""} == \
                {**here.provenance[key], "loaded_at": ""}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the second process needs two cores")
def test_a_bad_geometry_input_is_named_by_this_process(tmp_path):
    """The second process's failure is left to this process's check, which raises the
    InputError naming the file and what is wrong, as a build without a second process does."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES, data)
    inputs = Inputs(data)
    key = geometry_keys(inputs)[-1]
    path = data / inputs.specs[key].path
    path.write_bytes(path.read_bytes()[:200])  # cut short
    with second_process(maps=False) as executor, \
            geometry_cache(tmp_path / "cache"):
        later, take = start_geometry_checks(inputs, executor, tmp_path / "cache")
        assert key in later
        inputs.check_all(skip=later)
        take()  # the second process's error is not raised here
        with pytest.raises(InputError, match="not valid JSON at line") as raised:
            inputs.check_all()
    assert inputs.specs[key].path in str(raised.value)
    assert "\n" not in str(raised.value)


def test_without_a_second_process_everything_is_checked_here():
    inputs = Inputs(FIXTURES)
    later, take = start_geometry_checks(inputs, None, FIXTURES)
    assert later == []
    take()


def test_deferred_inputs_are_collected_once_when_first_asked_for():
    inputs = Inputs(FIXTURES)
    later = geometry_keys(inputs)
    calls = []
    inputs.defer(later, lambda: calls.append(1))
    inputs.check_all(skip=later)
    assert calls == []  # the tables do not wait for the geometry
    inputs.geometry(later[0])
    assert calls == [1]
    inputs.check_all()
    assert calls == [1]
    assert set(inputs.provenance) == set(inputs.specs)


def test_model_tables_read_through_arrow_are_those_read_from_pandas():
    """as_arrow: the same DuckDB types and values as registering the frame itself, for the
    column kinds the model tables have; the frame itself where Arrow would read a column
    otherwise (mixed objects, only nulls)."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    from atlas.store.database import as_arrow, write_tables
    from atlas.store.fingerprint import fingerprints

    frame = pd.DataFrame({
        "text": pd.array(["a", None, "é"], dtype="str"),
        "objects": pd.Series(["x", None, np.nan], dtype=object),
        "value": [0.1, np.nan, -0.0],
        "count": pd.array([1, None, 3], dtype="Int32"),
        "big": np.array([1, 2, 2**40], dtype=np.int64),
        "flag": [True, False, True],
    })
    assert isinstance(as_arrow(frame), pa.Table)
    mixed = pd.DataFrame({"mixed": pd.Series(["x", 1, None], dtype=object)})
    empty = pd.DataFrame({"nothing": pd.Series([None, None], dtype=object)})
    assert as_arrow(mixed) is mixed and as_arrow(empty) is empty
    tables = {"frame": frame, "mixed": mixed.astype(str), "empty": empty}
    plain, through_arrow = duckdb.connect(), duckdb.connect()
    write_tables(plain, tables)
    write_tables(through_arrow, tables, arrow=True)
    types = "SELECT table_name, column_name, data_type FROM information_schema.columns " \
            "ORDER BY ALL"
    assert through_arrow.execute(types).fetchall() == plain.execute(types).fetchall()
    assert fingerprints(through_arrow) == fingerprints(plain)
    assert plain.execute("SELECT count(*) FROM frame WHERE objects IS NULL").fetchone()[0] == 2
