"""Transition-fund allocation: exact sums, floors and caps, proportionality, clear errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from atlas.allocation import allocate, need_for_rule
from atlas.errors import ConfigError


def test_proportional_split_by_hand():
    assert allocate([1, 2, 3], 600) == [100, 200, 300]
    assert allocate([1, 1, 1], 100) == [34, 33, 33]


def test_cap_cut_is_redistributed_in_proportion():
    # uncapped shares: 10, 20, 70; cap 40 -> the 30 cut off goes 1:2 to the others
    assert allocate([1, 2, 7], 100, cap=40) == [20, 40, 40]


def test_floor_lifts_small_needs():
    assert allocate([1, 100], 100, floor=10) == [10, 90]


@pytest.mark.parametrize("kwargs, message", [
    ({"need": [1, 1], "budget": 10, "floor": 6}, "floors exceed the budget"),
    ({"need": [1, 1], "budget": 100, "cap": 40}, "caps cannot reach the budget"),
    ({"need": [1, 1], "budget": 100, "floor": 50, "cap": 40}, "above the cap"),
    ({"need": [], "budget": 100}, "no regions"),
    ({"need": [-1, 2], "budget": 100}, ">= 0"),
])
def test_impossible_combinations_raise(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        allocate(**kwargs)


def test_needs_too_small_to_scale_still_fill_their_caps():
    # no finite multiplier lifts 1e-310 to its cap: the limit allocation fills both caps
    amounts = allocate([1, 1e-310], 10**10, cap=6 * 10**9)
    assert sum(amounts) == 10**10
    assert max(amounts) <= 6 * 10**9


def test_unknown_rule_lists_valid_rules():
    with pytest.raises(ConfigError, match="exposed_jobs"):
        need_for_rule("biggest", [1.0], [0.5])


@settings(max_examples=300, deadline=None)
@given(
    need=st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=40),
    budget=st.integers(0, 10**10),
    floor_fraction=st.floats(0, 1),
    cap_factor=st.one_of(st.none(), st.floats(1, 50)),
)
def test_allocation_properties(need, budget, floor_fraction, cap_factor):
    count = len(need)
    floor = int(floor_fraction * budget / count)
    cap = None if cap_factor is None else max(floor, math.ceil(cap_factor * budget / count))
    positive = sum(1 for n in need if n > 0) or count
    if cap is not None:
        assume(cap * positive + floor * (count - positive) >= budget or positive == count)
    try:
        amounts = allocate(need, budget, floor, cap)
    except ConfigError as exc:
        assert "caps cannot reach" in str(exc)
        return
    assert sum(amounts) == budget
    assert all(isinstance(a, int) for a in amounts)
    assert min(amounts) >= floor
    if cap is not None:
        assert max(amounts) <= cap
    # order is preserved up to rounding: more need never means over 1 unit less money
    pairs = sorted(zip(need, amounts, strict=False))
    for (n1, a1), (n2, a2) in zip(pairs, pairs[1:], strict=False):
        if n2 > n1:
            assert a2 >= a1 - 1
