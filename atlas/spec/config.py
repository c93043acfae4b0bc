"""The atlas configuration: default TOML merged with a user's TOML file, then validated.

Validation gives one line naming the key: unknown keys at every depth (with their dotted
path, also inside the tables users may add to: a new model, scenario or sheltered taxonomy),
unknown taxonomies, a component listed twice for a level, weights that are not finite
non-negative numbers with a positive sum, unknown pillars, directions or transforms,
probabilities outside [0, 1], counts outside their bounds. A file larger than
:data:`MAX_CONFIG_BYTES` or nested deeper than :data:`MAX_CONFIG_DEPTH` is refused with its
name before (or instead of) being interpreted.
"""

from __future__ import annotations

import math
import tomllib
from copy import deepcopy
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError

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
                merged[key] = deepcopy(value)  # checked by validate_config
                continue
            raise ConfigError(f"unknown config key '{path}'; valid keys: {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{path}' must be a table")
            merged[key] = _merge(base[key], value, f"{path}.")
        else:
            merged[key] = deepcopy(value)
    return merged


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Return the default configuration, overridden by the TOML file at ``path`` if given.

    Raises
    ------
    ConfigError
        for an unreadable file, an unknown key or an invalid value (one line naming the key).
    """
    with DEFAULT_CONFIG_PATH.open("rb") as handle:
        config = tomllib.load(handle)
    if path is not None:
        user = read_toml(path)
        try:
            config = _merge(config, user, "")
            validate_config(config)
        except ConfigError as exc:
            raise ConfigError(f"config file {path}: {exc}") from None
        return config
    validate_config(config)
    return config


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


def validate_config(config: dict[str, Any]) -> None:
    """Check every value the atlas relies on; raise ConfigError naming the first bad key."""
    from atlas.spec.declarations import levels
    from atlas.spec.risk_model import risk_models

    exposure = config["exposure"]
    for key in ("substitutable_exposure", "substitutable_automation"):
        number(exposure[key], f"exposure.{key}", low=0, high=1)
    taxonomies = sorted({level.taxonomy for level in levels()})
    for key in ("shelter_public_share", "count_uncounted_jobs"):
        if not isinstance(exposure[key], bool):
            raise ConfigError(f"config key 'exposure.{key}' must be true or false, got "
                              f"{exposure[key]!r}")
    for taxonomy, codes in exposure["sheltered"].items():
        if taxonomy not in taxonomies:
            raise ConfigError(f"config key 'exposure.sheltered.{taxonomy}': unknown taxonomy; "
                              f"the levels' taxonomies: {taxonomies}")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"config key 'exposure.sheltered.{taxonomy}' must be a list of "
                              "category codes")
    models = risk_models(config)
    for name in [config["risk"]["model"], *config["risk"]["compare"]]:
        if name not in models:
            raise ConfigError(f"config key 'risk.model' / 'risk.compare': unknown model "
                              f"'{name}'; models: {sorted(models)}")
    flags = config["flags"]
    for key in ("trap_top_share", "trap_min_pillar", "near_trap_top_share",
                "low_confidence_max_imputed_share", "us_lower_tier_max_income_ratio"):
        number(flags[key], f"flags.{key}", low=0, high=1)
    number(flags["min_regions"], "flags.min_regions", integer=True, positive=True,
           high=MAX_DRAWS)
    number(flags["us_lower_tier_max_jobs"], "flags.us_lower_tier_max_jobs", low=0)
    number(flags["rust_belt_min_industrial_ratio"], "flags.rust_belt_min_industrial_ratio",
           low=0)
    number(flags["rust_belt_max_employment_change"], "flags.rust_belt_max_employment_change")
    number(flags["trap_min_shock_ratio"], "flags.trap_min_shock_ratio", low=0)
    settings = config["uncertainty"]
    number(settings["draws"], "uncertainty.draws", integer=True, low=0, high=MAX_DRAWS)
    number(settings["concentration"], "uncertainty.concentration", positive=True)
    number(settings["seed"], "uncertainty.seed", integer=True, low=0, high=MAX_SEED)
    number(settings["robust_share"], "uncertainty.robust_share", low=0, high=1)
    if settings["periods"] not in ("default", "all"):
        raise ConfigError("config key 'uncertainty.periods' must be 'default' or 'all', got "
                          f"{settings['periods']!r}")
    check_choices(settings["choices"])
    for aggregation in settings["aggregations"]:
        if aggregation not in ("geometric", "arithmetic"):
            raise ConfigError("config key 'uncertainty.aggregations': unknown aggregation "
                              f"'{aggregation}'; valid: ['arithmetic', 'geometric']")
    zones = config["trap_zones"]
    number(zones["permutations"], "trap_zones.permutations", integer=True, positive=True,
           high=MAX_DRAWS)
    number(zones["seed"], "trap_zones.seed", integer=True, low=0, high=MAX_SEED)
    number(zones["alpha"], "trap_zones.alpha", low=0, high=1)
    number(zones["min_regions"], "trap_zones.min_regions", integer=True, positive=True,
           high=MAX_DRAWS)
    for name, scenario in config["scenarios"].items():
        check_scenario(name, scenario)


def check_choices(choices: dict[str, Any]) -> None:
    """``uncertainty.choices``: non-empty lists of known values, ``weight_draws`` >= 1,
    ``substitution_threshold`` a non-empty list of numbers in [0, 1]."""
    valid = {"exposure_rule": ("substitutable", "continuous"),
             "shelter_public_share": (True, False), "count_uncounted_jobs": (True, False),
             "absorption_gate": (True, False)}
    for key, allowed in valid.items():
        values = choices[key]
        if not isinstance(values, list) or not values or any(
                type(v) is not type(allowed[0]) or v not in allowed for v in values):
            raise ConfigError(f"config key 'uncertainty.choices.{key}' must be a non-empty "
                              f"list of {list(allowed)}, got {values!r}")
    number(choices["weight_draws"], "uncertainty.choices.weight_draws", integer=True,
           positive=True, high=MAX_DRAWS)
    thresholds = choices["substitution_threshold"]
    if not isinstance(thresholds, list) or not thresholds:
        raise ConfigError("config key 'uncertainty.choices.substitution_threshold' must be a "
                          f"non-empty list of numbers in [0, 1], got {thresholds!r}")
    for value in thresholds:
        number(value, "uncertainty.choices.substitution_threshold", low=0, high=1)


SCENARIO_KEYS = ("adoption", "displacement", "reabsorption_min", "reabsorption_max",
                 "horizon_years")


def check_scenario(name: str, scenario: dict[str, Any]) -> None:
    """A scenario has adoption, displacement and a reabsorption range within [0, 1] and a
    horizon > 0 (``reabsorption`` alone stands for a range of one value); nothing else."""
    if not isinstance(scenario, dict):
        raise ConfigError(f"config key 'scenarios.{name}' must be a table")
    unknown = sorted(set(scenario) - {*SCENARIO_KEYS, "reabsorption"})
    if unknown:
        raise ConfigError(f"unknown config key 'scenarios.{name}.{unknown[0]}'; valid keys: "
                          f"{sorted({*SCENARIO_KEYS, 'reabsorption'})}")
    if "reabsorption" in scenario:
        value = scenario.pop("reabsorption")
        scenario.setdefault("reabsorption_min", value)
        scenario.setdefault("reabsorption_max", value)
    missing = [key for key in SCENARIO_KEYS if key not in scenario]
    if missing:
        raise ConfigError(f"scenario '{name}' lacks {missing}; a scenario needs {SCENARIO_KEYS}")
    for key in SCENARIO_KEYS[:4]:
        value = scenario[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(f"config key 'scenarios.{name}.{key}' must be a share in [0, 1], "
                              f"got {value!r}")
    if scenario["reabsorption_min"] > scenario["reabsorption_max"]:
        raise ConfigError(f"config key 'scenarios.{name}.reabsorption_min' must not exceed "
                          "reabsorption_max")
    number(scenario["horizon_years"], f"scenarios.{name}.horizon_years", positive=True)
