"""The atlas configuration: default TOML merged with a user's TOML file."""

from __future__ import annotations

import tomllib
from copy import deepcopy
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")
RISK_COMPONENTS = ("vulnerable_share", "concentration", "unemployment_rate", "smallness")


def _merge(base: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    merged = deepcopy(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"unknown config key '{where}{key}'; valid keys: {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{where}{key}' must be a table")
            merged[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            merged[key] = value
    return merged


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Return the default configuration, overridden by the TOML file at ``path`` if given.

    Raises
    ------
    ConfigError
        for an unreadable file, an unknown key or invalid risk weights.
    """
    with DEFAULT_CONFIG_PATH.open("rb") as handle:
        config = tomllib.load(handle)
    if path is not None:
        try:
            with Path(path).open("rb") as handle:
                user = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {path}: {exc}") from exc
        scenarios = user.pop("scenarios", {})  # users may add scenarios of their own
        config = _merge(config, user, "")
        config["scenarios"].update(scenarios)
    for name, scenario in config["scenarios"].items():
        check_scenario(name, scenario)
    weights = config["risk"]["weights"]
    if any(not isinstance(w, int | float) or w < 0 for w in weights.values()):
        raise ConfigError(f"risk weights must be numbers >= 0, got {weights}")
    if sum(weights.values()) <= 0:
        raise ConfigError("risk weights must not all be zero")
    return config


SCENARIO_KEYS = ("adoption", "displacement", "reabsorption", "horizon_years")


def check_scenario(name: str, scenario: dict[str, Any]) -> None:
    """A scenario has adoption, displacement and reabsorption in [0, 1] and a horizon > 0."""
    missing = [key for key in SCENARIO_KEYS if key not in scenario]
    if missing:
        raise ConfigError(f"scenario '{name}' lacks {missing}; a scenario needs {SCENARIO_KEYS}")
    for key in SCENARIO_KEYS[:3]:
        value = scenario[key]
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(f"scenario '{name}': {key} must be a share in [0, 1], got {value!r}")
    if not isinstance(scenario["horizon_years"], int | float) or scenario["horizon_years"] <= 0:
        raise ConfigError(f"scenario '{name}': horizon_years must be > 0")
