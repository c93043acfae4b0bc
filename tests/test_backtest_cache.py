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
        pool.submit(int).result()  # one worker, in order: every part of the bootstrap done
        table = finish(con)
        assert HERE == []  # the second process's table, nothing evaluated here
        pd.testing.assert_frame_equal(table, evaluate_windows(windows()))
        finish = evidence.start_backtests(con, None, pool)
        con.execute("UPDATE model SET shift = 0.5")  # the model changes in between
        table = finish(con)
        assert HERE[-1] == 2  # evaluated again, here, in one go (after any part taken back)
        pd.testing.assert_frame_equal(table, evaluate_windows(windows(shift=0.5)))


class Started:
    """An executor that runs the first ``started`` calls submitted to it at once and never
    starts the others (their futures stay pending, so they can be cancelled)."""

    def __init__(self, started: int) -> None:
        self.started, self.futures = started, []

    def submit(self, function, *args):
        from concurrent.futures import Future

        future = Future()
        if len(self.futures) < self.started:
            future.set_running_or_notify_cancel()
            future.set_result(function(*args))
        self.futures.append(future)
        return future


def many_windows() -> list[Window]:
    """Eleven windows of different data, seeds and roles (a bootstrap in several parts)."""
    return [window for seed in range(11, 22, 2) for window in windows(shift=seed / 7, seed=seed)
            ][:11]


@pytest.mark.parametrize("started", [0, 1, 3, 7, 8])
def test_parts_not_started_are_taken_back_and_give_the_same_table(monkeypatch, started):
    """The bootstrap goes to the second process in parts; those it has not started when the
    table is asked for are cancelled there and evaluated here, from the last one back; the
    table is the one computed in one go, exactly (values, types, order)."""
    import duckdb

    from atlas.build import evidence

    found = many_windows()
    parts = evidence.split(found, evidence.PARTS)
    monkeypatch.setattr(evidence, "backtest_windows", lambda con, inputs: many_windows())
    monkeypatch.setattr(evidence, "evaluate_windows", counting_evaluate)
    executor = Started(started)
    finish = evidence.start_backtests(duckdb.connect(), None, executor)
    HERE.clear()
    table = finish(duckdb.connect())
    assert len(executor.futures) == len(parts) == min(evidence.PARTS, len(found))
    # the parts after the started ones, evaluated here from the last one back
    taken_back = [len(part) for part in parts[started:]][::-1]
    assert taken_back == HERE
    assert all(future.cancelled() for future in executor.futures[started:])
    pd.testing.assert_frame_equal(table, evaluate_windows(found), check_exact=True)


def test_the_parts_are_the_windows_in_order_as_even_as_can_be():
    from atlas.build.evidence import split

    for count in (0, 1, 2, 7, 8, 9, 76):
        for parts in (1, 3, 8):
            items = list(range(count))
            pieces = split(items, parts)
            assert [item for piece in pieces for item in piece] == items
            assert len(pieces) == min(parts, count) and all(pieces)
            assert max(map(len, pieces), default=0) - min(map(len, pieces), default=0) <= 1
