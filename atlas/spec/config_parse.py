"""One pass from the merged configuration mapping to :class:`AtlasConfig`: every section is
checked as it is built, and every error is one line naming the dotted key.

The plain sections (``exposure``, ``flags``, ``uncertainty``, ``trap_zones``, ``risk.v1``) are
read field by field from their dataclass in :mod:`atlas.spec.config_types`: a field's
annotation gives its type (``bool``, ``int``, ``float``, ``str``, ``tuple[str, ...]``),
:data:`RANGES` its bounds and :data:`CHOICES` its valid values. Risk models, scenarios and
programmes have their own parsers (:func:`atlas.spec.risk_model.parse_model`,
:func:`parse_scenario`, :func:`atlas.spec.programmes.parse_programmes`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from atlas.errors import ConfigError
from atlas.spec.config import MAX_DRAWS, MAX_SEED, number
from atlas.spec.config_types import (
    AtlasConfig,
    ChoicesConfig,
    ExposureConfig,
    FlagsConfig,
    RiskConfig,
    Scenario,
    TrapZonesConfig,
    UncertaintyConfig,
    V1Config,
)
from atlas.spec.programmes import parse_programmes
from atlas.spec.risk_model import parse_model, with_overrides

SHARE = {"low": 0, "high": 1}
# Bounds of numeric settings (keyword arguments of atlas.spec.config.number); a numeric field
# not listed here must only be a finite number (an int field: an integer).
RANGES: dict[str, dict[str, Any]] = {
    "exposure.substitutable_exposure": SHARE,
    "exposure.substitutable_automation": SHARE,
    "flags.min_regions": {"positive": True, "high": MAX_DRAWS},
    "flags.trap_top_share": SHARE,
    "flags.trap_min_pillar": SHARE,
    "flags.trap_min_shock_ratio": {"low": 0},
    "flags.near_trap_top_share": SHARE,
    "flags.rust_belt_min_industrial_ratio": {"low": 0},
    "flags.us_lower_tier_max_jobs": {"low": 0},
    "flags.us_lower_tier_max_income_ratio": SHARE,
    "flags.low_confidence_max_imputed_share": SHARE,
    "uncertainty.draws": {"low": 0, "high": MAX_DRAWS},
    "uncertainty.concentration": {"positive": True},
    "uncertainty.seed": {"low": 0, "high": MAX_SEED},
    "uncertainty.robust_share": SHARE,
    "trap_zones.permutations": {"positive": True, "high": MAX_DRAWS},
    "trap_zones.seed": {"low": 0, "high": MAX_SEED},
    "trap_zones.alpha": SHARE,
    "trap_zones.min_regions": {"positive": True, "high": MAX_DRAWS},
    "uncertainty.choices.weight_draws": {"positive": True, "high": MAX_DRAWS},
    "uncertainty.choices.substitution_threshold": SHARE,
}
# Settings that take one of a few words (for a tuple field: each of its entries).
CHOICES: dict[str, tuple[str, ...]] = {
    "uncertainty.periods": ("default", "all"),
    "uncertainty.aggregations": ("arithmetic", "geometric"),
    "uncertainty.choices.exposure_rule": ("substitutable", "continuous"),
    "uncertainty.choices.absorption_mean": ("arithmetic", "geometric"),
}
# List settings that must hold at least one value.
NON_EMPTY = ("uncertainty.choices.",)
SCENARIO_KEYS = ("adoption", "displacement", "reabsorption_min", "reabsorption_max",
                 "horizon_years")
SECTIONS = ("exposure", "risk", "flags", "uncertainty", "scenarios", "programmes",
            "trap_zones")
RISK_KEYS = ("model", "compare", "shock_pillar", "absorption_pillar", "weights",
             "pillar_weights", "models", "v1")


def table_keys(table: Any, valid: tuple[str, ...] | list[str], where: str,
               required: bool = True) -> dict[str, Any]:
    """``table`` if it is a table with only (and, if ``required``, all) ``valid`` keys;
    otherwise a ConfigError naming the first unknown or missing key by its dotted path."""
    if not isinstance(table, dict):
        raise ConfigError(f"config key '{where}' must be a table")
    prefix = f"{where}." if where else ""
    unknown = [key for key in table if key not in valid]
    if unknown:
        raise ConfigError(f"unknown config key '{prefix}{unknown[0]}'; valid keys: "
                          f"{sorted(valid)}")
    missing = [key for key in valid if key not in table] if required else []
    if missing:
        raise ConfigError(f"config key '{prefix}{missing[0]}' is missing")
    return table


def setting(value: Any, kind: str, key: str) -> Any:
    """``value`` checked as a ``kind`` (a field annotation) within :data:`RANGES` and
    :data:`CHOICES`; ConfigError names ``key``."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"config key '{key}' must be true or false, got {value!r}")
        return value
    if kind in ("int", "float"):
        return number(value, key, integer=kind == "int", **RANGES.get(key, {}))
    if kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"config key '{key}' must be a text, got {value!r}")
        if key in CHOICES and value not in CHOICES[key]:
            words = " or ".join(repr(c) for c in CHOICES[key])
            raise ConfigError(f"config key '{key}' must be {words}, got {value!r}")
        return value
    if kind.startswith("tuple[") and key.startswith(NON_EMPTY) and value == []:
        raise ConfigError(f"config key '{key}' must be a non-empty list")
    if kind == "tuple[float, ...]":
        if not isinstance(value, list):
            raise ConfigError(f"config key '{key}' must be a list of numbers, got {value!r}")
        return tuple(number(v, key, **RANGES.get(key, {})) for v in value)
    if kind == "tuple[bool, ...]":
        if not isinstance(value, list) or not all(isinstance(v, bool) for v in value):
            raise ConfigError(f"config key '{key}' must be a list of true/false, got {value!r}")
        return tuple(value)
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config key '{key}' must be a list of names")
        wrong = [v for v in value if key in CHOICES and v not in CHOICES[key]]
        if wrong:
            what = key.rpartition(".")[2].removesuffix("s")  # aggregations: aggregation
            raise ConfigError(f"config key '{key}': unknown {what} '{wrong[0]}'; valid: "
                              f"{list(CHOICES[key])}")
        return tuple(value)
    raise TypeError(f"{key}: no parser for a field of type {kind}")  # a programming error


def plain_section(cls: type, table: Any, where: str, **parsed: Any) -> Any:
    """The dataclass ``cls`` from ``table``: every field read by :func:`setting`, except
    those given already parsed in ``parsed``."""
    names = [f.name for f in fields(cls)]
    table_keys(table, names, where)
    values = {f.name: parsed[f.name] if f.name in parsed else
              setting(table[f.name], str(f.type), f"{where}.{f.name}") for f in fields(cls)}
    return cls(**values)


def _sheltered(table: Any) -> dict[str, tuple[str, ...]]:
    from atlas.spec.declarations import levels

    if not isinstance(table, dict):
        raise ConfigError("config key 'exposure.sheltered' must be a table")
    taxonomies = sorted({level.taxonomy for level in levels()})
    for taxonomy, codes in table.items():
        if taxonomy not in taxonomies:
            raise ConfigError(f"config key 'exposure.sheltered.{taxonomy}': unknown taxonomy; "
                              f"the levels' taxonomies: {taxonomies}")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"config key 'exposure.sheltered.{taxonomy}' must be a list of "
                              "category codes")
    return {taxonomy: tuple(codes) for taxonomy, codes in table.items()}


def _risk(table: Any) -> RiskConfig:
    table_keys(table, RISK_KEYS, "risk")
    if not isinstance(table["models"], dict):
        raise ConfigError("config key 'risk.models' must be a table of models")
    declared = {name: parse_model(name, model) for name, model in table["models"].items()}
    names = {key: setting(table[key], "str", f"risk.{key}")
             for key in ("model", "shock_pillar", "absorption_pillar")}
    compare = setting(table["compare"], "tuple[str, ...]", "risk.compare")
    for name in [names["model"], *compare]:
        if name not in declared:
            raise ConfigError(f"config key 'risk.model' / 'risk.compare': unknown model "
                              f"'{name}'; models: {sorted(declared)}")
    weights = {}
    for key in ("weights", "pillar_weights"):
        if not isinstance(table[key], dict):
            raise ConfigError(f"config key 'risk.{key}' must be a table")
        weights[key] = dict(table[key])
    models = with_overrides(declared, names["model"], weights["weights"],
                            weights["pillar_weights"])
    v1 = plain_section(V1Config, table["v1"], "risk.v1")
    return RiskConfig(compare=compare, declared=declared, models=models, v1=v1, **names,
                      **weights)


def _uncertainty(table: Any) -> UncertaintyConfig:
    choices = table.get("choices") if isinstance(table, dict) else None
    return plain_section(UncertaintyConfig, table, "uncertainty", choices=plain_section(
        ChoicesConfig, choices, "uncertainty.choices"))


def parse_scenario(name: str, scenario: Any) -> Scenario:
    """A scenario has adoption, displacement and a reabsorption range within [0, 1] and a
    horizon > 0 (``reabsorption`` alone stands for a range of one value); nothing else."""
    if not isinstance(scenario, dict):
        raise ConfigError(f"config key 'scenarios.{name}' must be a table")
    scenario = dict(scenario)
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
    return Scenario(name, *(scenario[key] for key in SCENARIO_KEYS))


def _scenarios(table: Any) -> dict[str, Scenario]:
    if not isinstance(table, dict):
        raise ConfigError("config key 'scenarios' must be a table")
    return {name: parse_scenario(name, scenario) for name, scenario in table.items()}


def parse_sections(mapping: Any, source: str = "") -> AtlasConfig:
    """The :class:`AtlasConfig` of ``mapping`` (see :func:`atlas.spec.config.parse_config`,
    which adds the file's name to the errors)."""
    table_keys(mapping, SECTIONS, "")
    exposure = mapping["exposure"]
    sheltered = _sheltered(exposure.get("sheltered", {}) if isinstance(exposure, dict) else {})
    return AtlasConfig(
        exposure=plain_section(ExposureConfig, exposure, "exposure", sheltered=sheltered),
        risk=_risk(mapping["risk"]),
        flags=plain_section(FlagsConfig, mapping["flags"], "flags"),
        uncertainty=_uncertainty(mapping["uncertainty"]),
        trap_zones=plain_section(TrapZonesConfig, mapping["trap_zones"], "trap_zones"),
        scenarios=_scenarios(mapping["scenarios"]),
        programmes=parse_programmes(mapping["programmes"]),
        source=source)
