"""Results computed from inputs alone (the shift's national trend, the split-sample test's
county sums, the backtests' outcomes read from an input) are kept in the shared cache by
content (atlas.engine.input_results): a hit gives exactly what computing gives, without
reading the inputs; a change of an input's bytes, of the settings or of the reading code is
another key, a miss, and the new result is computed from the new bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from atlas.engine import backtest, backtest_split, input_results, shift
from atlas.engine.backtest import outcome_index
from atlas.engine.backtest_split import area_laus
from atlas.engine.input_results import input_key
from atlas.engine.shift import national_trend
from atlas.sources.inputs import Inputs
from atlas.spec.evidence import evidence
from atlas.store.cache import geometry_cache
from tests.conftest import FIXTURES

SHIFT = evidence()["shift"]
SPLIT = evidence()["backtest"]["us_area"]
OUTCOME = evidence()["backtest"]["cn_city"]["outcomes"]["population"]


def refuse(*args, **kwargs):
    raise AssertionError("an input was read although the result is cached")


def test_the_shift_from_the_cache_equals_the_computed_one(tmp_path: Path, monkeypatch):
    computed = national_trend(Inputs(FIXTURES), SHIFT)  # outside a cache block: computed
    panels = shift.sector_panels(Inputs(FIXTURES), SHIFT)
    # the totals are the panels' sums of sector totals (test_evidence_real: published figures)
    assert computed[1] == {panel: shift.panel_total(panels, panel) for panel in computed[1]}
    assert sum(jobs for (panel, _), jobs in computed[2].items() if panel == "after") \
        == pytest.approx(panels.loc[(panels["panel"] == "after")
                                    & (panels["occupation"] != shift.TOTAL_CODE), "jobs"].sum())
    with geometry_cache(tmp_path):
        first = national_trend(Inputs(FIXTURES), SHIFT)
    monkeypatch.setattr(Inputs, "table", refuse)
    with geometry_cache(tmp_path):
        again = national_trend(Inputs(FIXTURES), SHIFT)
    for result in (first, again):
        # text columns come back from parquet as strings (DuckDB: VARCHAR both)
        pd.testing.assert_frame_equal(result[0], computed[0], check_dtype=False)
        assert list(result[0].dtypes == "float64") == list(computed[0].dtypes == "float64")
        assert result[1] == computed[1] and result[2] == computed[2]  # every float, exactly
        assert list(result[2]) == list(computed[2])  # in the same order


def changed_copy(tmp_path: Path, key: str) -> Inputs:
    """The fixtures with one jobs figure of input ``key`` (a parquet file) doubled."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES, data)
    inputs = Inputs(data)
    path = inputs.path(key)
    table = pq.read_table(path).to_pandas()
    column = "tot_emp"
    row = table[column].first_valid_index()
    table.loc[row, column] = table.loc[row, column] * 2
    table.to_parquet(path, index=False)
    return Inputs(data)


def test_a_changed_input_setting_or_reading_code_misses(tmp_path: Path, monkeypatch):
    cache = tmp_path / "cache"
    with geometry_cache(cache):
        before = national_trend(Inputs(FIXTURES), SHIFT)
    calls: list[str] = []
    real = shift.sector_panels
    monkeypatch.setattr(shift, "sector_panels",
                        lambda inputs, spec: calls.append("read") or real(inputs, spec))
    with geometry_cache(cache):
        national_trend(Inputs(FIXTURES), SHIFT)
    assert calls == []  # a hit
    changed = changed_copy(tmp_path, SHIFT["after"])
    with geometry_cache(cache):
        after = national_trend(changed, SHIFT)
    assert calls == ["read"]  # other bytes: a miss, computed from them
    assert after[1]["after"] != before[1]["after"] or after[2] != before[2]
    with geometry_cache(cache):
        national_trend(Inputs(FIXTURES), {**SHIFT, "before_year": int(SHIFT["before_year"]) + 1})
        national_trend(Inputs(FIXTURES), {**SHIFT, "sectors_level": "3"})
    assert calls == ["read"] * 3  # each other setting: a miss
    monkeypatch.setattr(input_results, "_reader_code", lambda: "other reading code")
    with geometry_cache(cache):
        national_trend(Inputs(FIXTURES), SHIFT)
    assert calls == ["read"] * 4


def test_the_key_follows_each_input_and_the_code(tmp_path: Path):
    inputs = Inputs(FIXTURES)
    keys = [SPLIT["laus"], SPLIT["crosswalk"]]
    key = input_key("area_laus", inputs, keys, SPLIT, modules=[backtest_split.__name__])
    assert key == input_key("area_laus", Inputs(FIXTURES), keys[::-1], SPLIT,
                            modules=[backtest_split.__name__])
    assert key != input_key("area_laus", inputs, keys[:1], SPLIT,
                            modules=[backtest_split.__name__])
    assert key != input_key("area_laus", inputs, keys, {**SPLIT, "end": 2022},
                            modules=[backtest_split.__name__])
    assert key != input_key("area_laus", inputs, keys, SPLIT,
                            modules=[backtest_split.__name__, backtest.__name__])


def test_the_county_sums_and_the_outcome_from_the_cache_equal_the_computed_ones(
        tmp_path: Path, monkeypatch):
    start, split, end = (int(SPLIT[k]) for k in ("start", "split", "end"))
    years = sorted({start, end, *range(split - int(SPLIT["persistence"]) + 1, split + 1)})
    sums = area_laus(Inputs(FIXTURES), SPLIT, years)
    outcome = outcome_index(None, "cn_city", OUTCOME, Inputs(FIXTURES))
    assert len(sums) and len(outcome)
    assert sums[("Civilian_labor_force", split)].sum() == pytest.approx(
        (sums[("Employed", split)] + sums[("Unemployed", split)]).sum())  # a sum that holds
    with geometry_cache(tmp_path):
        area_laus(Inputs(FIXTURES), SPLIT, years)
        outcome_index(None, "cn_city", OUTCOME, Inputs(FIXTURES))
    monkeypatch.setattr(Inputs, "table", refuse)
    with geometry_cache(tmp_path):
        cached_sums = area_laus(Inputs(FIXTURES), SPLIT, years)
        cached_outcome = outcome_index(None, "cn_city", OUTCOME, Inputs(FIXTURES))
        with pytest.raises(AssertionError, match="was read"):  # other years: a miss
            area_laus(Inputs(FIXTURES), SPLIT, years[:-1])
    pd.testing.assert_frame_equal(cached_sums, sums, check_index_type=False)
    pd.testing.assert_frame_equal(cached_outcome, outcome, check_index_type=False)
