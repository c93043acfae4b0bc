"""The backtests' speed-ups change nothing: the ranks of bootstrap resamples computed from one
sort of the sample equal those of sorting every resample, bit for bit; the backtest table is
cached under a key that follows every value, seed and setting of its windows, and a cached
table equals the computed one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from atlas.engine import backtest_metrics
from atlas.engine.backtest_metrics import (
    Window,
    evaluate_windows,
    ranks,
    resampled_ranks,
    windows_key,
)
from atlas.store.cache import cached_frame, geometry_cache

SETTINGS = {"bootstrap": 200, "top_share": 0.1, "bottom_quantile": 0.25}


def test_resampled_ranks_equal_sorting_every_resample_bit_for_bit():
    rng = np.random.default_rng(3)
    sample = np.round(rng.normal(0, 2, 300))  # many ties
    sample[:5] = [0.0, -0.0, 0.0, np.inf, -np.inf]  # signed zeros tie; infinities rank last/first
    draws = np.vstack([np.arange(300), rng.integers(0, 300, size=(150, 300))])
    fast = resampled_ranks(sample, draws)
    assert np.array_equal(fast, ranks(sample[draws]))  # exact, not approximate
    assert np.array_equal(fast, rankdata(sample[draws], axis=-1))
    assert fast.sum(axis=-1) == pytest.approx(np.full(151, 300 * 301 / 2))  # ranks 1..n


def windows(shift: float = 0.0, seed: int = 11) -> list[Window]:
    rng = np.random.default_rng(5)
    index = [f"r{i:03d}" for i in range(120)]
    growth = pd.Series(np.exp(rng.normal(0, 0.2, 120)), index=index)
    scores = pd.DataFrame({"model": -np.log(growth) + rng.normal(0, 0.3, 120),
                           "size": np.round(rng.normal(0, 1, 120), 1)}, index=index)
    scores.iloc[7, 0] += shift
    labels = {"geography": "g", "kind": "periods", "model_year": 2010, "horizon": 5,
              "years": "2010-2015", "outcome": "jobs"}
    return [Window(scores, growth, SETTINGS, seed, {"model": "model", "size": "baseline"},
                   labels),
            Window(scores[["size"]], growth, SETTINGS, seed + 1, {}, labels,
                   default_role="baseline", finite=True)]


def test_the_key_follows_every_value_seed_and_setting():
    key = windows_key(windows())
    assert key == windows_key(windows())  # the same windows, the same key
    assert key != windows_key(windows(shift=1e-9))  # one score of one region
    assert key != windows_key(windows(seed=12))
    changed = windows()
    changed[1].settings = {**SETTINGS, "top_share": 0.2}
    assert key != windows_key(changed)
    changed = windows()
    changed[0].growth = changed[0].growth.rename(index={"r000": "r999"})
    assert key != windows_key(changed)


def test_a_cached_table_equals_the_computed_one(tmp_path: Path, monkeypatch):
    found = windows()
    computed = evaluate_windows(found)
    assert set(computed["role"]) == {"model", "baseline"} and len(computed) == 3
    with geometry_cache(tmp_path):
        first = cached_frame("backtest", windows_key(found), lambda: evaluate_windows(found))
    pd.testing.assert_frame_equal(first, computed)

    def refuse(*args, **kwargs):
        raise AssertionError("evaluated again although the table is cached")

    monkeypatch.setattr(backtest_metrics, "evaluate", refuse)
    with geometry_cache(tmp_path):
        again = cached_frame("backtest", windows_key(found), lambda: evaluate_windows(found))
    # the same values; text columns come back from parquet as strings (DuckDB: VARCHAR both)
    pd.testing.assert_frame_equal(again, computed, check_dtype=False)
    assert list(again.dtypes == "float64") == list(computed.dtypes == "float64")
    other = windows(shift=0.5)
    with pytest.raises(AssertionError, match="evaluated again"), geometry_cache(tmp_path):
        cached_frame("backtest", windows_key(other), lambda: evaluate_windows(other))


HERE: list[int] = []  # windows evaluated by counting_evaluate in this process


def counting_evaluate(found: list[Window]) -> pd.DataFrame:
    """evaluate_windows, counted (in the process that runs it)."""
    HERE.append(len(found))
    return evaluate_windows(found)


def test_backtests_started_early_in_the_second_process_give_the_table(monkeypatch):
    """The bootstrap started in a second process is taken when the windows did not change
    (nothing is evaluated here), dropped when they did (evaluated here, for the new windows);
    either way the table is the one computed here in one go."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    import duckdb

    from atlas.build import evidence

    con = duckdb.connect()
    con.execute("CREATE TABLE model AS SELECT 0.0::DOUBLE AS shift")
    monkeypatch.setattr(evidence, "backtest_windows", lambda con, inputs: windows(
        shift=con.execute("SELECT shift FROM model").fetchone()[0]))
    monkeypatch.setattr(evidence, "evaluate_windows", counting_evaluate)
    HERE.clear()
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        finish = evidence.start_backtests(con, None, pool)
        table = finish(con)
        assert HERE == []  # the second process's table, nothing evaluated here
        pd.testing.assert_frame_equal(table, evaluate_windows(windows()))
        finish = evidence.start_backtests(con, None, pool)
        con.execute("UPDATE model SET shift = 0.5")  # the model changes in between
        table = finish(con)
        assert HERE == [2]  # evaluated again, here
        pd.testing.assert_frame_equal(table, evaluate_windows(windows(shift=0.5)))
