"""Maps and exports written at once: the exports' process reports errors in one line, and the
index page, written last, lists every export."""

from __future__ import annotations

import os

import pytest

from atlas.errors import AtlasError
from atlas.outputs import _exports, _result, export_worker, write_outputs

needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2,
                                     reason="the second process runs with two cores only")


@needs_two_cores
def test_an_error_in_the_exports_process_comes_back_as_one_line(tmp_path):
    with export_worker() as worker:
        assert worker is not None
        future = worker.submit(_exports, tmp_path / "missing.duckdb", tmp_path / "exports")
        with pytest.raises(AtlasError, match=r"missing\.duckdb not found"):
            _result(future)


def test_no_second_process_when_not_wanted():
    with export_worker(False) as worker:
        assert worker is None


@needs_two_cores
@pytest.mark.realdata
def test_the_index_lists_the_exports_written_beside_the_maps(built_atlas, tmp_path):
    steps: list[str] = []
    written = write_outputs(built_atlas, tmp_path, maps=True, exports=True, step=steps.append)
    assert steps[0].startswith("writing exports and drawing maps at once")
    exports = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert len(exports) == 8 and {p.name for p in written} >= set(exports)
    index = (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    assert all(f"href='../exports/{name}'" in index for name in exports)
    assert written[-1].name == "index.html"
    assert list((tmp_path / ".cache").glob("display_shapes-*.parquet"))  # drawn shapes kept
