"""Collapse-risk models declared as data: pillars, components, weights, directions, transforms.

A model (``[risk.models.<name>]`` in the configuration) has pillars (label, weight) and
components (indicator, pillar, direction, transform, weight, levels). Every consumer reads the
same parsed model: the SQL engine (as the ``risk_components`` table), the NumPy rank
uncertainty, the pandas reference, the method texts of maps, exports and the dictionary.

Formulas (per level, per model):

- component score ``c_k = P(o_k)``: ``o_k`` is the indicator oriented so that higher is riskier
  (``direction = "lower"`` negates it); ``P`` is the within-level mid-rank percentile
  ``(count below + half the ties) / n`` (``transform = "percentile"``) or ``percent_rank``
  ``(rank - 1) / (n - 1)`` (``transform = "percent_rank"``, the v1 convention);
- pillar mean ``m_p = sum_k w_k c_k / sum_k w_k`` over the pillar's components the region has;
- pillar score ``S_p = P(m_p)`` (``pillar_scale = "percentile"``) or ``m_p`` (``"mean"``); a
  pillar with a ``gate`` component g caps it, ``S_p = min(S_p, c_g)``, for a region whose
  indicator of g (a percent change over the level's window) is on the safe side of its
  reference: the change of the reference level's summed jobs ``E``,
  ``100 * (sum E / sum (E / (1 + x / 100)) - 1)`` (the nation's growth); so a place that grew
  faster than its nation cannot reach weak absorption through its other components alone
  (capping the score, not the mean, leaves the other places' percentiles as they were);
- collapse risk ``prod_p S_p^(w_p / W)`` (``aggregation = "geometric"``) or
  ``sum_p w_p S_p / W`` (``"arithmetic"``), ``W = sum_p w_p``, over the level's pillars; a
  region without a score for one of them gets none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from atlas.errors import ConfigError

if TYPE_CHECKING:
    from atlas.spec.config_types import AtlasConfig

DIRECTIONS = ("higher", "lower")
TRANSFORMS = ("percentile", "percent_rank")
AGGREGATIONS = ("geometric", "arithmetic")
PILLAR_SCALES = ("percentile", "mean")
COMPONENT_KEYS = {"component", "label", "pillar", "indicator", "direction", "transform",
                  "weight", "levels", "except_levels"}
MODEL_KEYS = {"label", "aggregation", "pillar_scale", "pillars", "components"}
PILLAR_KEYS = {"label", "weight", "gate"}


@dataclass(frozen=True)
class Component:
    """One risk component: an indicator, oriented, transformed and weighted within a pillar."""

    component: str
    label: str
    pillar: str
    indicator: str
    direction: str
    transform: str
    weight: float
    levels: tuple[str, ...] = ()
    except_levels: tuple[str, ...] = ()

    def applies_to(self, level: str) -> bool:
        """True if the component is part of the model at ``level``; ``levels`` and
        ``except_levels`` name levels or geographies, so ``cn_city`` covers every period
        (``cn_city@2010``)."""
        names = {level, level.partition("@")[0]}
        return ((not self.levels or bool(names & set(self.levels)))
                and not names & set(self.except_levels))


@dataclass(frozen=True)
class Pillar:
    """A pillar: its label, weight in the aggregation and gate component (or None)."""

    pillar: str
    label: str
    weight: float
    gate: str | None = None


@dataclass(frozen=True)
class RiskModel:
    """A collapse-risk model (see the module docstring for the formulas)."""

    name: str
    label: str
    aggregation: str
    pillar_scale: str
    pillars: tuple[Pillar, ...]
    components: tuple[Component, ...] = field(default_factory=tuple)

    def components_for(self, level: str) -> list[Component]:
        """The components that apply at ``level``."""
        return [c for c in self.components if c.applies_to(level)]

    def component_rows(self, levels: list[str]) -> pd.DataFrame:
        """One row per level and applicable component (the ``risk_components`` table)."""
        rows = [{"model": self.name, "level": level, "component": c.component,
                 "label": c.label, "pillar": c.pillar, "indicator": c.indicator,
                 "direction": c.direction, "transform": c.transform, "weight": c.weight}
                for level in levels for c in self.components_for(level)]
        columns = ["model", "level", "component", "label", "pillar", "indicator",
                   "direction", "transform", "weight"]
        return pd.DataFrame(rows, columns=columns)

    def pillar_rows(self) -> pd.DataFrame:
        """One row per pillar (the ``risk_pillars`` table)."""
        return pd.DataFrame([{"model": self.name, "pillar": p.pillar, "label": p.label,
                              "weight": p.weight, "aggregation": self.aggregation,
                              "pillar_scale": self.pillar_scale, "gate": p.gate}
                             for p in self.pillars]).astype({"gate": object})

    def with_weights(self, component_weights: dict[str, float] | None = None,
                     pillar_weights: dict[str, float] | None = None) -> RiskModel:
        """A copy with some component or pillar weights replaced."""
        components = tuple(replace(c, weight=(component_weights or {}).get(c.component,
                                                                            c.weight))
                           for c in self.components)
        pillars = tuple(replace(p, weight=(pillar_weights or {}).get(p.pillar, p.weight))
                        for p in self.pillars)
        return replace(self, components=components, pillars=pillars)


def _weight(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or value < 0:
        raise ConfigError(f"config key '{key}' must be a finite weight >= 0, got {value!r}")
    return float(value)


def _choice(value: Any, valid: tuple[str, ...], key: str) -> str:
    if value not in valid:
        raise ConfigError(f"config key '{key}': unknown value {value!r}; valid: {list(valid)}")
    return value


def _known_keys(table: Any, valid: set[str], where: str) -> None:
    """``table`` is a table with only ``valid`` keys, or a ConfigError with the dotted path of
    the first unknown one."""
    if not isinstance(table, dict):
        raise ConfigError(f"config key '{where}' must be a table")
    unknown = sorted(set(table) - valid)
    if unknown:
        raise ConfigError(f"unknown config key '{where}.{unknown[0]}'; valid keys: "
                          f"{sorted(valid)}")


def _names(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"config key '{key}' must be a list of level names")
    return tuple(value)


def _overlap(a: Component, b: Component) -> str | None:
    """A level (or ``"every level"``) at which both components apply, or None."""
    named = [*a.levels, *b.levels]
    if not a.levels and not b.levels:
        return "every level"
    return next((level for level in named if a.applies_to(level) and b.applies_to(level)),
                None)


def _no_duplicates(components: list[Component], where: str) -> None:
    """A component name may repeat only for disjoint levels (``low_income``: poverty for
    the US, GDP per head elsewhere)."""
    for index, first in enumerate(components):
        for second in components[index + 1:]:
            if first.component != second.component:
                continue
            level = _overlap(first, second)
            if level is not None:
                raise ConfigError(f"config key '{where}.components': component "
                                  f"'{first.component}' is listed twice for {level}; give "
                                  "each entry its own `levels`, or another name")


def parse_model(name: str, table: dict[str, Any]) -> RiskModel:
    """Parse and validate ``[risk.models.<name>]``; ConfigError names the bad key."""
    where = f"risk.models.{name}"
    _known_keys(table, MODEL_KEYS, where)
    for key in ("aggregation", "pillar_scale", "pillars", "components"):
        if key not in table:
            raise ConfigError(f"config key '{where}.{key}' is missing")
    if not isinstance(table["pillars"], dict):
        raise ConfigError(f"config key '{where}.pillars' must be a table of pillars")
    for pillar, spec in table["pillars"].items():
        _known_keys(spec, PILLAR_KEYS, f"{where}.pillars.{pillar}")
    if not isinstance(table["components"], list):
        raise ConfigError(f"config key '{where}.components' must be an array of tables "
                          "([[...components]])")
    pillars = tuple(Pillar(pillar, str(spec.get("label", pillar)),
                           _weight(spec.get("weight"), f"{where}.pillars.{pillar}.weight"),
                           spec.get("gate") or None)
                    for pillar, spec in table["pillars"].items())
    if not pillars or sum(p.weight for p in pillars) <= 0:
        raise ConfigError(f"config key '{where}.pillars': the pillar weights must not all be "
                          "zero")
    components = []
    for index, spec in enumerate(table["components"]):
        named = spec.get("component") if isinstance(spec, dict) else None
        key = f"{where}.components.{named}" if isinstance(named, str) and named else \
            f"{where}.components[{index}]"
        _known_keys(spec, COMPONENT_KEYS, key)
        for required in ("component", "pillar", "indicator"):
            if not isinstance(spec.get(required), str) or not spec[required]:
                raise ConfigError(f"config key '{key}.{required}' must be a name")
        name_key = f"{where}.components.{spec['component']}"
        if spec["pillar"] not in {p.pillar for p in pillars}:
            raise ConfigError(f"config key '{name_key}.pillar': unknown pillar "
                              f"'{spec['pillar']}'; pillars: {[p.pillar for p in pillars]}")
        components.append(Component(
            component=spec["component"], label=str(spec.get("label", spec["component"])),
            pillar=spec["pillar"], indicator=spec["indicator"],
            direction=_choice(spec.get("direction"), DIRECTIONS, f"{name_key}.direction"),
            transform=_choice(spec.get("transform", "percentile"), TRANSFORMS,
                              f"{name_key}.transform"),
            weight=_weight(spec.get("weight"), f"{name_key}.weight"),
            levels=_names(spec.get("levels", []), f"{name_key}.levels"),
            except_levels=_names(spec.get("except_levels", []), f"{name_key}.except_levels")))
    _no_duplicates(components, where)
    for pillar in pillars:
        members = [c for c in components if c.pillar == pillar.pillar]
        if pillar.gate is not None and pillar.gate not in {c.component for c in members}:
            raise ConfigError(f"config key '{where}.pillars.{pillar.pillar}.gate': no component "
                              f"'{pillar.gate}' in the pillar; components: "
                              f"{sorted(c.component for c in members)}")
        if not members or sum(c.weight for c in members) <= 0:
            raise ConfigError(f"config key '{where}.components': pillar '{pillar.pillar}' has "
                              "no component with a positive weight")
    return RiskModel(name=name, label=str(table.get("label", name)),
                     aggregation=_choice(table["aggregation"], AGGREGATIONS,
                                         f"{where}.aggregation"),
                     pillar_scale=_choice(table["pillar_scale"], PILLAR_SCALES,
                                          f"{where}.pillar_scale"),
                     pillars=pillars, components=tuple(components))


def model_table(model: RiskModel) -> dict[str, Any]:
    """``model`` as the ``[risk.models.<name>]`` table it was parsed from (what a build stores)."""
    pillars = {p.pillar: {"label": p.label, "weight": p.weight, **({"gate": p.gate} if p.gate
                                                                     else {})}
               for p in model.pillars}
    components = [{"component": c.component, "label": c.label, "pillar": c.pillar,
                   "indicator": c.indicator, "direction": c.direction,
                   "transform": c.transform, "weight": c.weight,
                   **({"levels": list(c.levels)} if c.levels else {}),
                   **({"except_levels": list(c.except_levels)} if c.except_levels else {})}
                  for c in model.components]
    return {"label": model.label, "aggregation": model.aggregation,
            "pillar_scale": model.pillar_scale, "pillars": pillars, "components": components}


def with_overrides(models: dict[str, RiskModel], active: str, overrides: dict[str, Any],
                   pillar_overrides: dict[str, Any]) -> dict[str, RiskModel]:
    """``models`` with ``[risk.weights]`` and ``[risk.pillar_weights]`` applied to the model in
    use (``active``); ConfigError names an unknown component or pillar or a bad weight."""
    models = dict(models)
    if active in models and (overrides or pillar_overrides):
        model = models[active]
        known = {c.component for c in model.components}
        for key, value in overrides.items():
            if key not in known:
                raise ConfigError(f"config key 'risk.weights.{key}': no component '{key}' in "
                                  f"model '{active}'; components: {sorted(known)}")
            _weight(value, f"risk.weights.{key}")
        for key, value in pillar_overrides.items():
            if key not in {p.pillar for p in model.pillars}:
                raise ConfigError(f"config key 'risk.pillar_weights.{key}': no pillar '{key}' "
                                  f"in model '{active}'")
            _weight(value, f"risk.pillar_weights.{key}")
        models[active] = model.with_weights(overrides, pillar_overrides)
        parse_check = models[active]
        if sum(p.weight for p in parse_check.pillars) <= 0:
            raise ConfigError("config key 'risk.pillar_weights': the weights must not all be 0")
        for pillar in parse_check.pillars:
            if sum(c.weight for c in parse_check.components if c.pillar == pillar.pillar) <= 0:
                raise ConfigError(f"config key 'risk.weights': pillar '{pillar.pillar}' has no "
                                  "component with a positive weight")
    return models


def risk_models(config: AtlasConfig) -> dict[str, RiskModel]:
    """Every declared model, the model in use with the ``[risk.weights]`` and
    ``[risk.pillar_weights]`` overrides applied (parsed with the configuration)."""
    return config.risk.models


def active_model(config: AtlasConfig) -> RiskModel:
    """The model in use (``risk.model``)."""
    return config.risk.active
