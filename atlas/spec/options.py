"""Checks of the numeric and coded options of the commands, each failing with one line.

Every function raises ``ConfigError`` with a message that names the option (``--budget``),
what is allowed and what was given, so the CLI prints one line and the Python API says the
same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from atlas.errors import ConfigError

# Whole currency units are exact in a float64 up to 2**53: beyond it the allocation's
# continuous amounts could not be rounded to whole units that sum exactly to the budget.
MAX_AMOUNT = 2**53
CURRENCY = re.compile(r"[A-Za-z]{3}")


def parse_amount(option: str, text: str | int | float | None) -> int | None:
    """A whole number of currency units in ``0 .. 2**53`` from ``250000000``, ``250_000_000``,
    ``250,000,000`` or ``2.5e8``; ``None`` stays ``None``."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ConfigError(f"{option} must be a whole amount, got {text!r}")
    try:
        value = Decimal(str(text).strip().replace("_", "").replace(",", ""))
    except InvalidOperation:
        raise ConfigError(f"{option} must be a whole amount such as 250000000 or 2.5e8, "
                          f"got '{text}'") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ConfigError(f"{option} must be a whole amount of currency units, got '{text}'")
    return check_amount(option, int(value))


def check_amount(option: str, value: int | None) -> int | None:
    """``value`` if it is a whole number in ``0 .. 2**53``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{option} must be a whole amount of currency units, got {value!r}")
    if not 0 <= value <= MAX_AMOUNT:
        raise ConfigError(f"{option} must be between 0 and {MAX_AMOUNT:,} (2**53, the largest "
                          f"amount split exactly in whole units), got {value:,}")
    return value


def check_positive(option: str, value: int | None, minimum: int = 1) -> int | None:
    """``value`` if it is a whole number >= ``minimum`` (``None`` passes)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{option} must be a whole number >= {minimum}, got {value!r}")
    return value


def check_nonnegative(option: str, value: float | None) -> float | None:
    """``value`` if it is a finite number >= 0 (``None`` passes)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{option} must be a number >= 0, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ConfigError(f"{option} must be a finite number >= 0, got {value!r}")
    return number


def check_currency(code: str) -> str:
    """The upper-cased three-letter ISO 4217 code; a label only, nothing is converted."""
    if not isinstance(code, str) or not CURRENCY.fullmatch(code.strip()):
        raise ConfigError(f"--currency must be a three-letter ISO 4217 code such as USD, EUR "
                          f"or CNY, got '{code}'")
    return code.strip().upper()


def parse_tier_shares(text: str | Sequence[float], tiers: int = 3) -> tuple[float, ...]:
    """``tiers`` finite shares >= 0 with a positive sum, from ``0.6,0.3,0.1`` or a sequence.

    The shares are returned as given; the allocation renormalises them over the tiers that
    have regions.
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        shares = tuple(float(part) for part in parts)
    except (TypeError, ValueError):
        raise ConfigError(f"--tier-shares must be {tiers} numbers separated by commas, such as "
                          f"0.6,0.3,0.1, got '{text}'") from None
    if len(shares) != tiers:
        raise ConfigError(f"--tier-shares needs {tiers} shares (tiers 1 to {tiers}), got "
                          f"{len(shares)} in '{text}'")
    if not all(math.isfinite(s) and s >= 0 for s in shares) or sum(shares) <= 0:
        raise ConfigError(f"--tier-shares must be finite numbers >= 0 with a positive sum, "
                          f"got '{text}'")
    return shares
