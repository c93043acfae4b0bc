"""The vectorised OEWS excess trim against the row-by-row original it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas.sources.us.oews import _trim_rounding_excess, compose_with_residuals


def row_by_row(composition: pd.DataFrame, excess: pd.Series) -> pd.DataFrame:
    """The former implementation: per area, take greedily from imputed rows first."""
    composition = composition.copy()
    for area_code, amount in (-excess).items():
        rows = composition.index[composition["area_code"] == area_code]
        order = composition.loc[rows].sort_values(["imputed", "employment"],
                                                  ascending=[False, False]).index
        remaining = amount
        for row in order:
            take = min(composition.at[row, "employment"], remaining)
            composition.at[row, "employment"] -= take
            remaining -= take
            if remaining <= 0:
                break
    return composition.loc[composition["employment"] > 0]


rows = st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 40),
                          st.booleans()), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(rows, st.dictionaries(st.sampled_from(["A", "B", "C", "E"]), st.integers(1, 200),
                             max_size=3))
def test_vectorised_trim_equals_row_by_row(data, excess):
    composition = pd.DataFrame(data, columns=["area_code", "employment", "imputed"]).assign(
        category=lambda f: [f"c{i}" for i in range(len(f))])
    composition["employment"] = composition["employment"].astype(float)
    over = -pd.Series(excess, dtype=float)
    expected = row_by_row(composition, over)
    got = _trim_rounding_excess(composition, over)
    pd.testing.assert_frame_equal(got, expected)


def test_compose_closes_every_area_to_its_total():
    frame = pd.DataFrame({
        "area_code": ["a"] * 5 + ["b"] * 3,
        "soc_code": ["00-0000", "11-0000", "11-1011", "11-1021", "13-0000",
                     "00-0000", "11-0000", "11-1011"],
        "occ_level": ["total", "major", "detailed", "detailed", "major",
                      "total", "major", "detailed"],
        "tot_emp": [100.0, 50.0, 30.0, 25.0, 30.0, 10.0, 20.0, 21.0],
    })
    composition = compose_with_residuals(frame, "test.parquet")
    totals = composition.groupby("area_code")["employment"].sum()
    assert totals.to_dict() == {"a": 100.0, "b": 10.0}  # b: 11 over its total, trimmed
    assert np.all(composition["employment"] > 0)
