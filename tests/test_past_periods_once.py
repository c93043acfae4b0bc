"""A map's past periods read their layers' values once for the map, with the same results.

- the exposure and scenario values of every level are read in one query each: the values of
  one query per level (and measure or scenario);
- a level's values-only layers built from those reads equal the layers that read their own;
- ``as_dict`` equals ``Series.to_dict`` and ``reclass_many`` equals ``reclass`` value by value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from atlas.maps.layers import as_dict, build_layers, exposure_by_level, scenarios_by_level
from atlas.maps.periods import reclass, reclass_many
from atlas.maps.specs import load_declarations, load_map_specs
from atlas.maps.text import Words
from atlas.spec.risk_model import active_model
from atlas.store.database import stored_config


def _levels(con) -> list[str]:
    return [row[0] for row in con.execute(
        "SELECT DISTINCT level FROM region_indices ORDER BY level").fetchall()]


def _same(found: dict, con, sql: str, level: str, names: list[str], value: str) -> int:
    """Compares each name's values with a query of the level and name alone; the number
    of names that had rows."""
    had = 0
    for name in names:
        alone = con.execute(sql, [level, name]).df().set_index("region_id")[value]
        if alone.empty:
            assert name not in found
            continue
        had += 1
        pd.testing.assert_series_equal(found[name].sort_index(), alone.sort_index(),
                                       check_exact=True)
    return had


def test_values_read_by_level_equal_one_query_per_level(fixture_con):
    con = fixture_con
    levels = _levels(con)
    measures = [r[0] for r in con.execute(
        "SELECT DISTINCT measure FROM region_exposure ORDER BY measure").fetchall()]
    scenarios = [r[0] for r in con.execute(
        "SELECT DISTINCT scenario FROM scenario_results ORDER BY scenario").fetchall()]
    assert len(levels) >= 2 and len(measures) >= 2 and len(scenarios) >= 2
    wanted = [*levels, "no such level"]
    exposure = exposure_by_level(con, wanted, [*measures, "absent"])
    shocks = scenarios_by_level(con, wanted, [*scenarios, "absent"])
    assert shocks is not None and list(exposure) == list(shocks) == wanted
    assert exposure["no such level"] == {} and shocks["no such level"] == {}
    had = 0
    for level in levels:
        had += _same(exposure[level], con, "SELECT region_id, exposure_mean FROM "
                     "region_exposure WHERE level = ? AND measure = ?", level,
                     [*measures, "absent"], "exposure_mean")
        had += _same(shocks[level], con, "SELECT region_id, unemployment_rate_shock FROM "
                     "scenario_results WHERE level = ? AND scenario = ?", level,
                     [*scenarios, "absent"], "unemployment_rate_shock")
    assert had >= len(measures) + len(scenarios)  # values were compared, not only absences
    assert exposure_by_level(con, levels, []) == {level: {} for level in levels}


def test_values_only_layers_from_values_read_beforehand_equal_their_own(fixture_con):
    con = fixture_con
    config, decls = stored_config(con), load_declarations()
    model = active_model(config)
    levels = _levels(con)
    exposure = exposure_by_level(con, levels, [r[0] for r in con.execute(
        "SELECT DISTINCT measure FROM region_exposure").fetchall()])
    shocks = scenarios_by_level(con, levels, ["central", "fast", "slow"])
    specs = list(load_map_specs().values())
    compared = 0
    for level in levels:
        words = Words(next((s for s in specs if s.level == level), specs[0]), decls)
        indices = con.execute("SELECT * FROM region_indices WHERE level = ? ORDER BY "
                              "region_id", [level]).df().set_index("region_id", drop=False)
        own = build_layers(con, level, indices, decls, words, config, model, values_only=True)
        read = build_layers(con, level, indices, decls, words, config, model,
                            values_only=True, exposure=exposure[level],
                            scenarios=shocks[level])
        assert read.values.keys() == own.values.keys()
        for key, values in own.values.items():
            assert repr(read.values[key]) == repr(values), (level, key)  # NaN as NaN
        keys = set(own.values)
        compared += int(any(k.startswith("m:") for k in keys)) + int(
            any("scenario" in k or "shock" in k for k in keys))
    assert compared >= 2


def test_as_dict_equals_to_dict():
    index = pd.Index(["b", "a", "c"], dtype="string[pyarrow]")
    cases = [pd.Series([1.5, math.nan, -0.0], index=index),
             pd.Series([3, 1, 2], index=["x", "y", "z"]),
             pd.Series([1, None, 3], index=index, dtype="Int64"),
             pd.Series(["p", None, 2.0], index=index, dtype=object),
             pd.Series([True, False, True], index=[10, 11, 12]),
             pd.Series([], dtype=float)]
    for series in cases:
        found, expected = as_dict(series), series.to_dict()
        assert repr(found) == repr(expected)
        assert [type(v) for v in found.values()] == [type(v) for v in expected.values()]
        assert [type(k) for k in found] == [type(k) for k in expected]


def test_reclass_many_equals_reclass_value_by_value():
    rng = np.random.default_rng(32)
    edges = [0.2, math.nan, 0.5, 0.9]
    numbers = {f"r{i}": float(v) for i, v in enumerate(rng.uniform(-0.5, 1.5, 200))}
    missing = {"n": None, "f": math.nan, "i": 1, "z": 0, "h": 0.5, "t": np.float32(0.2)}
    nullable = {"a": pd.NA, "b": 0.7}  # pd.NA: the element-by-element path
    for values in (numbers, {**numbers, **missing}, nullable, {}):
        assert reclass_many(values, edges) == {r: reclass(v, edges) for r, v in values.items()}
    assert reclass_many({"a": 1.0}, [math.nan]) == {"a": None}


def test_layer_values_equal_reindexed_to_dict(fixture_con):
    """A region_indices column is taken as it is (it has the level's index) and the values
    made a dict with the level's ids made once: the same as reindexing and ``to_dict``."""
    from atlas.maps.layer_source import LayerSource, declared_layers

    con = fixture_con
    config, decls = stored_config(con), load_declarations()
    model = active_model(config)
    compared = 0
    for level in _levels(con):
        indices = con.execute("SELECT * FROM region_indices WHERE level = ? ORDER BY "
                              "region_id", [level]).df().set_index("region_id", drop=False)
        source = LayerSource(con, level, indices, model, decls)
        for decl in declared_layers(con, decls, level):
            if decl.kind == "bivariate" or decl.source != "indices":
                continue
            values = source.series(decl)
            column = indices.get(decl.value_column)
            if column is None or values is None:
                assert values is None
                continue
            before = pd.to_numeric(column.reindex(indices.index), errors="coerce")
            pd.testing.assert_series_equal(values, before, check_exact=True)
            assert repr(as_dict(values, source.keys)) == repr(before.to_dict())
            compared += 1
    assert compared >= 5


def test_bivariate_recolour_equals_reclass_value_by_value():
    from atlas.maps.periods import _Recolour

    rng = np.random.default_rng(8)
    recolour = _Recolour.__new__(_Recolour)
    recolour.decls, recolour.config = {}, {}
    recolour.edges = {"b": [[0.2, 0.4, math.nan], [0.3, 0.6, 0.9]]}
    values = {f"r{i}": [float(a), float(b)] for i, (a, b) in
              enumerate(rng.uniform(0, 1.2, (100, 2)))}
    values.update({"none": None, "x": [math.nan, 0.5], "y": [0.1, None], "na": [pd.NA, 0.2]})
    found = recolour.classes({"key": "b", "kind": "bivariate"}, values)
    x_edges, y_edges = recolour.edges["b"]
    for rid, pair in values.items():
        x, y = (reclass(pair[0], x_edges), reclass(pair[1], y_edges)) if pair else (None, None)
        assert found[rid] == (None if x is None or y is None else 3 * y + x), rid
    assert len({c for c in found.values() if c is not None}) >= 4
