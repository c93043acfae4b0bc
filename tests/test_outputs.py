"""Maps and exports written at once: the exports' process reports errors in one line, and the
index page, written last, lists every export."""

from __future__ import annotations

import os

import pytest

from atlas.build.outputs import write_outputs
from atlas.build.worker import call, result, second_process
from atlas.errors import AtlasError

needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2,
                                     reason="the second process runs with two cores only")


@needs_two_cores
def test_an_error_in_the_exports_process_comes_back_as_one_line(tmp_path):
    with second_process() as worker:
        assert worker is not None
        future = worker.submit(call, "atlas.exports.write:write_default_exports",
                               tmp_path / "missing.duckdb", tmp_path / "exports")
        with pytest.raises(AtlasError, match=r"missing\.duckdb not found"):
            result(future)


@needs_two_cores
@pytest.mark.realdata
def test_trap_zones_from_the_second_process_equal_those_computed_here(built_atlas, tmp_path):
    """The build hands the Local Moran of every level to the second process: its zones and
    labels are those computed in this process, to the bit."""
    import shutil

    import duckdb

    from atlas.engine.clusters import compute_trap_zones, start_trap_zones
    from atlas.spec.config import load_config

    config = load_config()
    copy = tmp_path / "copy.duckdb"
    shutil.copy(built_atlas, copy)
    query = {"region_lisa": "SELECT * FROM region_lisa ORDER BY level, region_id",
             "trap_zones": "SELECT * FROM trap_zones ORDER BY level, zone_id"}
    with duckdb.connect(str(copy)) as con:
        compute_trap_zones(con, config)
        here = {name: con.execute(sql).df() for name, sql in query.items()}
        with second_process(maps=False) as worker:
            assert worker is not None
            start_trap_zones(con, config, worker)(con)
        there = {name: con.execute(sql).df() for name, sql in query.items()}
    assert len(here["region_lisa"]) > 1000 and len(here["trap_zones"]) >= 4
    for name, frame in here.items():
        assert frame.equals(there[name]), name


@needs_two_cores
@pytest.mark.realdata
def test_the_index_lists_the_exports_written_beside_the_maps(shareable_outputs):
    # written once per session by write_outputs (conftest.shareable_outputs)
    out, steps, written, cache = shareable_outputs
    assert steps[0].startswith("writing exports and drawing maps at once")
    files = sorted(p.name for p in (out / "exports").iterdir())
    exports = [name for name in files if not name.endswith(".sources.txt")]
    assert len(exports) == 8 and {p.name for p in written} >= set(files)
    # each CSV has its sources file beside it (atlas.texts.attribution)
    assert set(files) - set(exports) == {f"{n}.sources.txt" for n in exports if n.endswith(".csv")}
    index = (out / "maps" / "index.html").read_text(encoding="utf-8")
    assert all(f"href='../exports/{name}'" in index for name in exports)
    assert written[-1].name == "index.html"
    assert list(cache.glob("display_shapes-*.parquet"))  # drawn shapes kept


@needs_two_cores
@pytest.mark.realdata
def test_maps_without_exports_are_drawn_in_the_second_process(built_atlas, tmp_path):
    steps: list[str] = []
    with second_process() as worker:
        written = write_outputs(built_atlas, tmp_path, maps=True, exports=False,
                                step=steps.append, worker=worker)
    assert steps == ["drawing the HTML maps in a second process"]
    assert {p.name for p in written} == {p.name for p in (tmp_path / "maps").iterdir()}
    assert "index.html" in {p.name for p in written} and not (tmp_path / "exports").exists()
