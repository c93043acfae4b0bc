"""The atlas configuration: default TOML merged with a user's TOML file, then validated.

Validation gives one line naming the key: unknown keys at every depth (with their dotted
path, also inside the tables users may add to: a new model, scenario or sheltered taxonomy),
unknown taxonomies, a component listed twice for a level, weights that are not finite
non-negative numbers with a positive sum, unknown pillars, directions or transforms,
probabilities outside [0, 1], counts outside their bounds. A file larger than
:data:`MAX_CONFIG_BYTES` or nested deeper than :data:`MAX_CONFIG_DEPTH` is refused with its
name before (or instead of) being interpreted.

:func:`parse_config` checks and builds the typed :class:`~atlas.spec.config_types.AtlasConfig`
in one pass (the section parsers are in :mod:`atlas.spec.config_parse`).
"""

from __future__ import annotations

import math
import tomllib
from copy import deepcopy
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError
from atlas.spec.config_types import AtlasConfig

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")
# Tables whose entries users may add to (new names), not only override.
OPEN_TABLES = {"scenarios", "risk.models", "exposure.sheltered", "risk.weights", "programmes",
               "risk.pillar_weights"}
# Arrays of tables a user's file replaces as a whole.
REPLACED_ARRAYS = {"components"}
MAX_CONFIG_BYTES = 1_000_000  # a configuration is a few kilobytes
MAX_CONFIG_DEPTH = 8  # tables and arrays inside each other (the defaults need 5)
MAX_DRAWS = 1_000_000  # uncertainty draws and trap-zone permutations
MAX_SEED = 2**63 - 1


def _depth(value: Any, limit: int) -> int:
    """How deeply tables and arrays nest in ``value`` (stops counting past ``limit``)."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def read_toml(path: str | Path) -> dict[str, Any]:
    """The TOML file at ``path``, or a ConfigError naming it (unreadable, too large, not
    UTF-8, invalid, or nested deeper than :data:`MAX_CONFIG_DEPTH`)."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read it ({exc.strerror or exc})"
                          ) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path}: larger than {MAX_CONFIG_BYTES:,} bytes; a "
                          "configuration is a few kilobytes")
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ConfigError(f"config file {path}: {str(exc).splitlines()[0][:120]}") from None
    except RecursionError:
        raise ConfigError(f"config file {path}: tables or arrays nested too deeply (at most "
                          f"{MAX_CONFIG_DEPTH} levels)") from None
    if _depth(parsed, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH:
        raise ConfigError(f"config file {path}: tables or arrays nested more than "
                          f"{MAX_CONFIG_DEPTH} levels deep")
    return parsed


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    merged = deepcopy(base)
    for key, value in override.items():
        path = f"{where}{key}"
        if key not in base:
            if where.rstrip(".") in OPEN_TABLES:
                merged[key] = deepcopy(value)  # checked by parse_config
                continue
            raise ConfigError(f"unknown config key '{path}'; valid keys: {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{path}' must be a table")
            merged[key] = _merge(base[key], value, f"{path}.")
        else:
            merged[key] = deepcopy(value)
    return merged


def load_config(path: str | Path | None = None) -> AtlasConfig:
    """Return the default configuration, overridden by the TOML file at ``path`` if given,
    parsed and validated in one pass (:func:`parse_config`).

    Raises
    ------
    ConfigError
        for an unreadable file, an unknown key or an invalid value (one line naming the file
        and the key).
    """
    with DEFAULT_CONFIG_PATH.open("rb") as handle:
        config = tomllib.load(handle)
    if path is None:
        return parse_config(config)
    user = read_toml(path)
    try:
        config = merge(config, user)
    except ConfigError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    return parse_config(config, source=path)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the keys of ``override`` replacing or (in :data:`OPEN_TABLES`) adding to
    them, as a user's file overrides the defaults; ConfigError names an unknown key."""
    return _merge(base, override, "")


def parse_config(mapping: dict[str, Any], source: str | Path | None = None) -> AtlasConfig:
    """Validate the configuration ``mapping`` and build its :class:`AtlasConfig` in one pass.

    ``source`` (the file the mapping came from) starts every error message.

    Raises
    ------
    ConfigError
        one line naming the first unknown key, missing key or invalid value.
    """
    from atlas.spec.config_parse import parse_sections

    try:
        return parse_sections(mapping, str(source or ""))
    except ConfigError as exc:
        if not source:
            raise
        raise ConfigError(f"config file {source}: {exc}") from None


def number(value: Any, key: str, *, low: float | None = None, high: float | None = None,
           integer: bool = False, positive: bool = False) -> float:
    """``value`` as a finite number within bounds, or a ConfigError naming ``key``."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or (
            isinstance(value, float) and not math.isfinite(value)):
        what = "an integer" if integer else "a finite number"
        raise ConfigError(f"config key '{key}' must be {what}, got {_shown(value)}")
    if positive and value <= 0:
        raise ConfigError(f"config key '{key}' must be > 0, got {_shown(value)}")
    if low is not None and value < low or high is not None and value > high:
        raise ConfigError(f"config key '{key}' must be in [{low}, {high}], got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """``value`` for a message, at most 60 characters (a huge integer by its size)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return f"an integer of {value.bit_length()} bits"
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:57]}..."
