"""Split a transition-fund budget among regions, in whole currency units.

Rule: every region gets ``clamp(t * need_i, floor, cap)`` with the one ``t`` that makes the
amounts sum to the budget, so money a cap cuts off flows to the uncapped regions in
proportion to their need, and regions whose share falls below the floor are lifted to it.
The continuous amounts are then rounded to whole units by the largest-remainder method,
which keeps the exact sum and never crosses a floor or a cap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from atlas.errors import ConfigError

RULES = ("exposed_jobs", "risk_weighted", "equal")


def _amounts(t: float, need: np.ndarray, floor: float, cap: float) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # a huge t * need is clipped anyway
        share = np.where(need > 0, t * need, 0.0)
    return np.clip(share, floor, cap)


def allocate(need: Sequence[float], budget: int, floor: int = 0,
             cap: int | None = None) -> list[int]:
    """Whole-unit amounts proportional to ``need``, within ``[floor, cap]``, summing to ``budget``.

    Parameters
    ----------
    need
        Non-negative need per region (exposed jobs, exposed jobs x risk, or 1 for equal).
    budget
        Total to split, whole currency units.
    floor, cap
        Per-region minimum and maximum (``cap=None``: no maximum).

    Raises
    ------
    ConfigError
        if the floors exceed the budget, the caps cannot reach it, or the inputs are invalid.
    """
    values = np.asarray(need, dtype=float)
    count = len(values)
    if count == 0:
        raise ConfigError("no regions selected: nothing to allocate the budget to")
    if budget < 0 or floor < 0 or (cap is not None and cap < 0):
        raise ConfigError("budget, floor and cap must be >= 0")
    if np.any(~np.isfinite(values)) or np.any(values < 0):
        raise ConfigError("every region's need must be a finite number >= 0")
    upper = math.inf if cap is None else float(cap)
    if floor > upper:
        raise ConfigError(f"floor {floor:,} is above the cap {cap:,}")
    if floor * count > budget:
        raise ConfigError(f"floors exceed the budget: {count} regions x floor {floor:,} = "
                          f"{floor * count:,} > budget {budget:,}")
    if values.sum() == 0:
        values = np.ones(count)  # nobody has a need: split equally
    values = values / values.max()  # keeps t in range whatever the unit of need
    reachable = np.where(values > 0, upper, float(floor)).sum()
    if reachable < budget:
        raise ConfigError(f"caps cannot reach the budget: at most {reachable:,.0f} of "
                          f"{budget:,} can be allocated to {count} regions with cap {cap:,}")
    low, high = 0.0, 1.0
    while _amounts(high, values, floor, upper).sum() < budget and high < 1e300:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if _amounts(middle, values, floor, upper).sum() < budget:
            low = middle
        else:
            high = middle
    return _largest_remainder(_amounts(high, values, floor, upper), budget, floor, upper)


def _largest_remainder(exact: np.ndarray, budget: int, floor: int, cap: float) -> list[int]:
    """Round down, then hand out the missing units by largest remainder within the bounds.

    Normally fewer units are missing than there are regions, and each region gets at most one.
    A larger gap arises only when some needs are too small for any finite ``t`` to lift them
    to their cap (the limit t -> infinity fills every cap); it is then closed in bulk, filling
    regions to their cap in the same order.
    """
    whole = np.floor(exact + 1e-9).astype(np.int64)
    whole = np.clip(whole, floor, cap if math.isfinite(cap) else None).astype(np.int64)
    remainder = exact - whole
    missing = int(budget - whole.sum())
    order = np.argsort(-remainder, kind="stable")
    while missing != 0:
        step = 1 if missing > 0 else -1
        bulk = abs(missing) > len(whole)
        moved = False
        for index in (order if step > 0 else order[::-1]):
            if missing == 0:
                break
            room = (cap - whole[index]) if step > 0 else (whole[index] - floor)
            if room < 1:
                continue
            amount = int(min(room, abs(missing))) if bulk else 1
            whole[index] += step * amount
            missing -= step * amount
            moved = True
        if not moved:  # cannot happen after the feasibility checks
            raise ConfigError("the budget cannot be split within the floor and cap")
    return [int(value) for value in whole]


def need_for_rule(rule: str, exposed_jobs: Sequence[float],
                  collapse_risk: Sequence[float]) -> np.ndarray:
    """Need per region for an allocation rule (see ``RULES``)."""
    jobs = np.nan_to_num(np.asarray(exposed_jobs, dtype=float))
    risk = np.nan_to_num(np.asarray(collapse_risk, dtype=float))
    if rule == "exposed_jobs":
        return jobs
    if rule == "risk_weighted":
        return jobs * risk
    if rule == "equal":
        return np.ones(len(jobs))
    raise ConfigError(f"unknown allocation rule '{rule}'; valid rules: {list(RULES)}")
