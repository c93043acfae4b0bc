"""The maps' faster per-region steps (round s9) give exactly what the steps they replace gave.

- ``atlas.maps.frames.rows`` / ``records`` equal ``DataFrame.itertuples`` / ``to_dict("records")``
  (values and their Python types, NaN where NaN) on the atlas's own frames and on frames of
  every dtype the maps read;
- ``atlas.maps.pack.pack_regions`` (a fast path by exact type) equals the general form it
  replaced (kept below as the reference) on every drawn map's regions and on tricky values
  (NumPy scalars, tuples, texts like the packer's own keys, non-finite and large numbers);
- ``atlas.maps.data.clean`` (a fast path for ``float``) equals its general form.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

from atlas.maps.data import clean, map_data
from atlas.maps.frames import records, rows
from atlas.maps.pack import SHARED_MIN, pack_regions

TABLES = ("region_indices", "region_components", "region_series", "scenario_results",
          "v_regions", "region_top_categories", "region_pillars")


def same(a: Any, b: Any) -> bool:
    """Equal values of the same type (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if a is pd.NA:
        return b is pd.NA
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b) if not isinstance(a, tuple | list) else (
        len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True)))


def check_frame(frame: pd.DataFrame) -> None:
    expected_rows = [tuple(row) for row in frame.itertuples(index=False)]
    assert same(list(rows(frame)), expected_rows)
    expected = frame.to_dict("records")
    found = records(frame)
    assert len(found) == len(expected)
    for a, b in zip(found, expected, strict=True):
        assert list(a) == list(b)
        assert all(same(a[k], b[k]) for k in a), (a, b)


def test_rows_and_records_equal_pandas_on_the_atlas(fixture_con):
    for table in TABLES:
        frame = fixture_con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
        assert len(frame), table
        check_frame(frame)


def test_rows_and_records_equal_pandas_for_every_dtype():
    frame = pd.DataFrame({
        "text": pd.Series(["a", None, "c"], dtype="str"),
        "number": [1.5, np.nan, -0.0], "whole": [1, 2, 3], "flag": [True, False, True],
        "nullable": pd.Series([1, None, 3], dtype="Int64"),
        "maybe": pd.Series([True, None, False], dtype="boolean"),
        "objects": [None, "x", 3]})
    check_frame(frame)
    check_frame(frame.iloc[:0])
    assert list(rows(pd.DataFrame())) == []


def _number(value: float) -> float | int:
    """The reference's number rule (atlas 93a4924's ``atlas.maps.pack._number``)."""
    return int(value) if math.isfinite(value) and value.is_integer() and abs(value) < 2**53 \
        else value


def reference_pack_regions(regions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """pack_regions as it was before its fast path (atlas 93a4924)."""
    shapes: dict[tuple[str, ...], int] = {}
    nodes: dict[tuple[Any, ...], str] = {}
    bodies: list[tuple[Any, ...]] = []
    uses: Counter[str] = Counter()

    def node(value: Any) -> Any:
        if isinstance(value, float):
            return _number(value)
        if isinstance(value, str):
            key = "t~" + value if value.startswith("~") else "t" + value
            uses[key] += 1
            return key
        if isinstance(value, dict):
            head, items = shapes.setdefault(tuple(value), len(shapes)), value.values()
        elif isinstance(value, list | tuple):
            head, items = -1, value
        elif isinstance(value, bool):
            return f"b{value:d}"
        else:
            return value
        body = (head, *[node(v) for v in items])
        key = nodes.get(body)
        if key is None:
            key = nodes[body] = f"n{len(bodies)}"
            bodies.append(body)
        uses[key] += 1
        return key

    tops = [node(region) for region in regions.values()]
    shared = [k for k, n in uses.items() if n > 1 and (
        len(k) > SHARED_MIN if k[0] == "t" else len(bodies[int(k[1:])]) > 2)]
    shared.sort(key=lambda k: -uses[k])
    index = {k: i for i, k in enumerate(shared)}
    words: list[Any] = [None] * len(shared)

    def emit(key: Any, top: bool = False) -> Any:
        if not isinstance(key, str):
            return key
        if key[0] == "b":
            return key == "b1"
        i = index.get(key)
        if key[0] == "t":
            if i is None:
                return key[1:]
            words[i] = key[1:]
        else:
            if i is None or top:
                return [emit(k) for k in bodies[int(key[1:])]]
            if words[i] is None:
                words[i] = [emit(k) for k in bodies[int(key[1:])]]
        return f"~{i}"

    return {"ids": list(regions), "rows": [emit(k, top=True) for k in tops],
            "shapes": [list(k) for k in shapes], "words": words}


def assert_packed_alike(regions: dict[str, dict[str, Any]]) -> None:
    found, expected = pack_regions(regions), reference_pack_regions(regions)
    assert repr(found) == repr(expected)  # types too: 1 and 1.0, True and 1, np.float64


def test_pack_regions_equals_the_general_form_on_the_maps(fixture_con):
    from atlas.maps.render import drawn_specs, load_declarations
    from atlas.maps.text import tables_known

    decls = load_declarations()
    with tables_known(fixture_con):
        specs = drawn_specs(fixture_con, None)
        assert specs
        for spec in specs:
            regions = map_data(fixture_con, spec, decls)["regions"]
            assert len(regions) > 5
            assert_packed_alike(regions)


def test_pack_regions_equals_the_general_form_on_tricky_values():
    tricky = [np.float64(2.0), np.float64(2.5), np.float32(0.25), np.int64(7), np.bool_(True),
              True, False, 1, 1.0, 0, -0.0, math.nan, math.inf, -math.inf, 2.0**53, 2.0**60,
              1e300, None, "~", "~~5", "~5", "n0", "b1", "t", "", "same words here",
              (1, 2, 3), [1, 2, 3], (), [], {}, {"a": 1}, {"b": (1.0, "x")},
              [{"b": [1, 2, 3]}, {"b": [1, 2, 3]}]]
    regions = {f"r{i}": {"n": f"Region {i % 3}", "v": tricky[i:] + tricky[:i],
                         "nested": {"same": ["same words here", i % 2 == 0],
                                    "x": tricky[i % len(tricky)]}}
               for i in range(len(tricky))}
    assert_packed_alike(regions)
    assert_packed_alike({})


def reference_clean(value: Any) -> Any:
    """clean as it was before its fast path (atlas 93a4924)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 5) if np.isfinite(value) else None
    return value


@pytest.mark.parametrize("value", [
    0.123456789, -1.000005, 1e-7, 2.0**60, math.nan, math.inf, -math.inf, -0.0,
    np.float64(0.123456789), np.float64(math.nan), np.float32(1.5), np.int64(3), np.bool_(False),
    None, pd.NA, 3, True, "text", 1e308])
def test_clean_equals_its_general_form(value):
    assert same(clean(value), reference_clean(value))
