"""Split a transition-fund budget among regions, in whole currency units.

Rule: every region gets ``clamp(t * need_i, floor, cap)`` with the one ``t`` that makes the
amounts sum to the budget, so money a cap cuts off flows to the uncapped regions in
proportion to their need, and regions whose share falls below the floor are lifted to it.
The continuous amounts are then rounded to whole units by the largest-remainder method,
which keeps the exact sum and never crosses a floor or a cap.

The tiered rule (``allocate_tiered``) applies the same rule twice: first to split the budget
over tiers (need = the tier's share, bounds = the floors and reachable caps of its regions),
then within every tier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from atlas.errors import ConfigError

RULES = ("exposed_jobs", "risk_weighted", "equal", "tiered")
WITHIN = ("need", "equal")
DEFAULT_TIER_SHARES = (0.6, 0.3, 0.1)


@dataclass(frozen=True)
class Allocation:
    """Whole-unit amounts and how each came about.

    Attributes
    ----------
    amounts
        Whole currency units per region; they sum exactly to the budget.
    multiplier
        Per region, the common ``t`` of its group (all regions, or its tier), in currency
        units per unit of need: the continuous amount is ``clamp(t * need, floor, cap)``.
    bound
        Per region, ``"floor"`` or ``"cap"`` when that bound set its amount, else ``""``.
    group_budget
        Per region, the budget of its group (the whole budget, or its tier's budget).
    """

    amounts: list[int]
    multiplier: list[float]
    bound: list[str]
    group_budget: list[int]


def _amounts(t: float, need: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # a huge t * need is clipped anyway
        share = np.where(need > 0, t * need, 0.0)
    return np.clip(share, lower, upper)


def _solve(need: np.ndarray, budget: int, lower: np.ndarray, upper: np.ndarray,
           what: str) -> tuple[list[int], float, list[str]]:
    """Whole amounts ``clamp(t * need, lower, upper)`` summing to ``budget``, and ``t``.

    ``lower`` and ``upper`` are per-item bounds (``upper`` may be ``inf``); the caller has
    checked ``sum(lower) <= budget``. ``what`` names the items in the error message.
    """
    values = need if need.sum() > 0 else np.ones(len(need))  # nobody has a need: equal split
    scale = values.max()
    values = values / scale  # keeps t in range whatever the unit of need
    reachable = np.where(values > 0, upper, lower).sum()
    if reachable < budget:
        raise ConfigError(f"caps cannot reach the budget: at most {reachable:,.0f} of "
                          f"{budget:,} can be allocated to {len(values)} {what}")
    low, high = 0.0, 1.0
    while _amounts(high, values, lower, upper).sum() < budget and high < 1e300:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if _amounts(middle, values, lower, upper).sum() < budget:
            low = middle
        else:
            high = middle
    exact = _amounts(high, values, lower, upper)
    with np.errstate(over="ignore"):  # a need too small to scale: t is infinite
        t = float(high / scale)
    # a region without need never rises above its floor, not even when rounding hands out
    # the last units in bulk
    ceiling = np.where(values > 0, upper, lower)
    amounts = _largest_remainder(exact, budget, lower, ceiling, values)
    # what set each amount, read from the whole amounts (the bisection's t * need may fall a
    # rounding error short of a cap that the amount reaches)
    bound = ["cap" if a >= u else "floor" if a <= lo and lo > 0 else ""
             for a, lo, u in zip(amounts, lower, upper, strict=True)]
    return amounts, t, bound


def _largest_remainder(exact: np.ndarray, budget: int, lower: np.ndarray,
                       upper: np.ndarray, need: np.ndarray) -> list[int]:
    """Round down, then hand out the missing units by largest remainder within the bounds.

    Normally fewer units are missing than there are regions, and each region gets at most one.
    A larger gap arises only when some needs are too small for any finite ``t`` to lift them
    to their cap (the limit t -> infinity fills every cap); it is then closed in bulk, filling
    regions to their cap in the order of their need (the largest first), as that limit would.
    """
    whole = np.clip(np.floor(exact + 1e-9), lower, upper).astype(np.int64)
    remainder = exact - whole
    missing = int(budget - whole.sum())
    while missing != 0:
        step = 1 if missing > 0 else -1
        bulk = abs(missing) > len(whole)
        order = (np.lexsort((-remainder, -need)) if bulk
                 else np.argsort(-remainder, kind="stable"))
        moved = False
        for index in (order if step > 0 else order[::-1]):
            if missing == 0:
                break
            room = (upper[index] - whole[index]) if step > 0 else (whole[index] - lower[index])
            if room < 1:
                continue
            amount = int(min(room, abs(missing))) if bulk else 1
            whole[index] += step * amount
            missing -= step * amount
            moved = True
        if not moved:  # cannot happen after the feasibility checks
            raise ConfigError("the budget cannot be split within the floor and cap")
    return [int(value) for value in whole]


def _checked(need: Sequence[float], budget: int, floor: int,
             cap: int | None) -> tuple[np.ndarray, float]:
    """The needs as an array and the cap as a float, after the checks every rule shares."""
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
    return values, upper


def allocate_detailed(need: Sequence[float], budget: int, floor: int = 0,
                      cap: int | None = None) -> Allocation:
    """``allocate`` with the multiplier ``t`` and the binding bound of every region."""
    values, upper = _checked(need, budget, floor, cap)
    count = len(values)
    lower_bounds, upper_bounds = np.full(count, float(floor)), np.full(count, upper)
    what = "regions" + ("" if cap is None else f" with cap {cap:,}")
    amounts, t, bound = _solve(values, budget, lower_bounds, upper_bounds, what)
    return Allocation(amounts, [t] * count, bound, [int(budget)] * count)


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

    Examples
    --------
    >>> allocate([3, 1, 0], budget=1000)
    [750, 250, 0]
    >>> allocate([3, 1, 0], budget=1000, floor=100)  # max(floor, t x need), t = 225
    [675, 225, 100]
    >>> sum(allocate([1, 1, 1], budget=100))  # whole units that always sum to the budget
    100
    """
    return allocate_detailed(need, budget, floor, cap).amounts


def allocate_tiered(need: Sequence[float], tiers: Sequence[int], budget: int, floor: int = 0,
                    cap: int | None = None, shares: Sequence[float] = DEFAULT_TIER_SHARES,
                    within: str = "need") -> Allocation:
    """Split ``budget`` over tiers by ``shares``, then within every tier, in whole units.

    Parameters
    ----------
    need
        Non-negative need per region (used within a tier when ``within="need"``).
    tiers
        Tier of every region, 1 .. len(shares).
    budget, floor, cap
        As for ``allocate``; floors and caps hold for every region.
    shares
        Share of the budget per tier; renormalised over the tiers that have regions.
    within
        ``"need"``: proportional to need within a tier; ``"equal"``: equal within a tier.

    Returns
    -------
    Allocation
        ``group_budget`` is the budget of the region's tier.

    Notes
    -----
    The tier budgets are themselves ``clamp(t * share, floors of the tier, reachable caps
    of the tier)`` with one ``t``: a tier whose caps cannot absorb its share passes the rest
    to the other tiers in proportion to their shares, and a tier with a zero share still
    gets its floors.
    """
    values, upper = _checked(need, budget, floor, cap)
    if within not in WITHIN:
        raise ConfigError(f"unknown --within '{within}'; valid values: {list(WITHIN)}")
    tier_of = np.asarray(tiers, dtype=int)
    shares = np.asarray(shares, dtype=float)
    if len(tier_of) != len(values) or np.any((tier_of < 1) | (tier_of > len(shares))):
        raise ConfigError(f"every region needs a tier between 1 and {len(shares)}")
    weights = values if within == "need" else np.ones(len(values))
    present = [tier for tier in range(1, len(shares) + 1) if np.any(tier_of == tier)]
    tier_shares = np.array([shares[tier - 1] for tier in present])
    if tier_shares.sum() <= 0:
        raise ConfigError(f"--tier-shares gives nothing to the tiers that have regions "
                          f"(tiers {', '.join(map(str, present))})")
    lower, reach = [], []
    for tier in present:
        members = weights[tier_of == tier]
        lower.append(float(floor) * len(members))
        live = members > 0 if members.sum() > 0 else np.ones(len(members), dtype=bool)
        reach.append(upper * live.sum() + float(floor) * (~live).sum())
    if sum(reach) < budget:
        raise ConfigError(f"caps cannot reach the budget: at most {sum(reach):,.0f} of "
                          f"{budget:,} can be allocated to {len(values)} regions with cap {cap:,}")
    what = "tiers (a tier with share 0 gets only its floors)"
    tier_budgets, _, _ = _solve(tier_shares / tier_shares.sum(), budget, np.array(lower),
                                np.array(reach), what)
    amounts = np.zeros(len(values), dtype=np.int64)
    multiplier, bound = [0.0] * len(values), [""] * len(values)
    group_budget = [0] * len(values)
    for tier, tier_budget in zip(present, tier_budgets, strict=True):
        index = np.flatnonzero(tier_of == tier)
        count = len(index)
        part, t, part_bound = _solve(weights[index], tier_budget, np.full(count, float(floor)),
                                     np.full(count, upper), f"regions of tier {tier}")
        amounts[index] = part
        for position, i in enumerate(index):
            multiplier[i], bound[i], group_budget[i] = t, part_bound[position], tier_budget
    return Allocation([int(a) for a in amounts], multiplier, bound, group_budget)


def need_for_rule(rule: str, exposed_jobs: Sequence[float],
                  collapse_risk: Sequence[float]) -> np.ndarray:
    """Need per region for an allocation rule (see ``RULES``).

    ``tiered`` uses exposed jobs within a tier (the tier already carries the risk).
    """
    jobs = np.nan_to_num(np.asarray(exposed_jobs, dtype=float))
    risk = np.nan_to_num(np.asarray(collapse_risk, dtype=float))
    if rule in {"exposed_jobs", "tiered"}:
        return jobs
    if rule == "risk_weighted":
        return jobs * risk
    if rule == "equal":
        return np.ones(len(jobs))
    raise ConfigError(f"unknown allocation rule '{rule}'; valid rules: {list(RULES)}")
