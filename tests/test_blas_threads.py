"""The build runs NumPy's BLAS on one thread in both its processes (:mod:`atlas.store.blas`),
so that the figures' last bits do not depend on the building machine's cores.

OpenBLAS's products change their last bits with its number of threads (round s10: a real
build with one BLAS thread differed from one with two in 11 tables and views, by at most
2.6e-15 relatively). The first test shows that on a product of the engine's shape, the
others that a build really limits BLAS to one thread, whatever it was before.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import atlas.build.database as database
from atlas.build.pipeline import build_all
from atlas.build.worker import second_process
from atlas.store.blas import blas_threads, one_blas_thread

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "data"
PRODUCT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    from atlas.store.blas import one_blas_thread
    rng = np.random.default_rng(0)
    jobs = rng.integers(0, 1000, (2000, 500)).astype(float) * (rng.random((2000, 500)) < 0.3)
    scores = rng.random((500, 45))
    if sys.argv[1] == "pinned":
        with one_blas_thread():
            product = jobs @ scores
    else:
        product = jobs @ scores
    print(hashlib.sha256(product.tobytes()).hexdigest())
""")


def _product(threads: int, mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", PRODUCT, mode], capture_output=True,
                          text=True, check=True, timeout=120,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": str(threads)})
    return done.stdout.strip()


def test_a_product_has_one_threads_bits_with_one_blas_thread_on_any_number():
    one = _product(1, "free")
    assert _product(2, "pinned") == one
    assert _product(4, "pinned") == one


def test_one_blas_thread_restores_the_numbers_also_after_an_error():
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        try:
            with one_blas_thread():
                assert set(blas_threads()) == {1}
                raise RuntimeError("inside")
        except RuntimeError:
            pass
        assert blas_threads() == before


def test_the_second_process_runs_blas_on_one_thread():
    with second_process(maps=False) as worker:
        assert set(worker.submit(blas_threads).result()) == {1}


@pytest.mark.parametrize("entry", ["database", "pipeline"])
def test_a_build_computes_its_figures_with_one_blas_thread(entry, tmp_path, monkeypatch):
    """Both entry points: the database's build (what the session's ``built_atlas`` and
    researchers' scripts call) and the whole build (``atlas build``)."""
    seen: list[list[int]] = []
    compute = database.compute_indices

    def watched(con, config):
        seen.append(blas_threads())
        return compute(con, config)

    monkeypatch.setattr(database, "compute_indices", watched)
    np.ones(1)  # NumPy's BLAS loaded
    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        if entry == "database":
            database.build(tmp_path / "out", FIXTURES, cache_dir=tmp_path / "cache")
        else:
            build_all(tmp_path / "out", FIXTURES, None, maps=False, exports=False,
                      cache_dir=tmp_path / "cache")
        assert blas_threads() == before  # given back after the build
    assert seen and all(set(threads) == {1} for threads in seen)
    assert set(before) == {2}


def test_the_sums_and_the_grid_use_one_blas_thread_when_called_on_their_own(
        fixture_atlas, tmp_path, monkeypatch):
    """Outside a build (a notebook, a benchmark), the matrix sums and the rank-uncertainty
    grid still compute with one BLAS thread, so they give the build's bits."""
    import shutil

    import duckdb

    import atlas.engine.matrix_engine as matrix_engine
    import atlas.engine.uncertainty as uncertainty
    from atlas.engine.core import compute_measure_sums
    from atlas.spec.config import load_config

    seen: dict[str, list[list[int]]] = {"sums": [], "grid": []}
    block_sums, level_inputs = matrix_engine.block_sums, uncertainty.level_inputs

    def sums(*args):
        seen["sums"].append(blas_threads())
        return block_sums(*args)

    def inputs(*args):
        seen["grid"].append(blas_threads())
        return level_inputs(*args)

    monkeypatch.setattr(matrix_engine, "block_sums", sums)
    monkeypatch.setattr(uncertainty, "level_inputs", inputs)
    path = tmp_path / "copy.duckdb"
    shutil.copy(fixture_atlas / "atlas.duckdb", path)
    np.ones(1)  # NumPy's BLAS loaded
    with threadpool_limits(2, user_api="blas"), duckdb.connect(str(path)) as con:
        compute_measure_sums(con)
        uncertainty.compute_rank_uncertainty(con, load_config())
        assert set(blas_threads()) == {2}  # given back
    assert seen["sums"] and all(set(threads) == {1} for threads in seen["sums"])
    assert seen["grid"] and all(set(threads) == {1} for threads in seen["grid"])
