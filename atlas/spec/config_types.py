"""The typed configuration: one frozen dataclass per section of ``default_config.toml``.

:func:`atlas.spec.config.parse_config` builds an :class:`AtlasConfig` from the merged TOML
mapping in one pass (every value checked as it is read); the build stores
:meth:`AtlasConfig.to_dict` as JSON in ``build_info`` and :meth:`AtlasConfig.from_stored` reads
it back as the same type. Readers use attributes (``config.exposure.default_measure``), never
``config["..."]`` chains.

Adding a key: one line in the section's dataclass here (a field whose name is the TOML key;
a plain value type: ``bool``, ``int``, ``float``, ``str`` or ``tuple[str, ...]``) plus the key
with its comment in ``default_config.toml``; :func:`atlas.spec.config.parse_config` checks a
field's type from its annotation, and a range from :data:`atlas.spec.config.RANGES` if one is
listed there (see ``docs/extending.md``).

Values keep the TOML's number type (``10`` stays an integer), as texts print them as given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from atlas.spec.programmes import Programme
from atlas.spec.risk_model import RiskModel, model_table

__all__ = ["AtlasConfig", "ChoicesConfig", "ExposureConfig", "FlagsConfig", "RiskConfig",
           "Scenario", "TrapZonesConfig", "UncertaintyConfig", "V1Config"]


@dataclass(frozen=True, slots=True)
class ExposureConfig:
    """``[exposure]``: the measures behind exposure and substitution, and what is sheltered."""

    default_measure: str
    automation_measure: str
    substitutable_exposure: float
    substitutable_automation: float
    shelter_public_share: bool
    count_uncounted_jobs: bool
    sheltered: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class V1Config:
    """``[risk.v1]``: the vulnerability rule of the v1 model."""

    vulnerability_measure: str


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """``[risk]``: the model in use, the compared models, weight overrides and the models.

    ``declared`` holds the models as the configuration declares them; ``models`` the same
    with ``weights`` and ``pillar_weights`` applied to the model in use."""

    model: str
    compare: tuple[str, ...]
    shock_pillar: str
    absorption_pillar: str
    weights: dict[str, float]
    pillar_weights: dict[str, float]
    declared: dict[str, RiskModel]
    models: dict[str, RiskModel]
    v1: V1Config

    @property
    def active(self) -> RiskModel:
        """The model in use, with the weight overrides applied."""
        return self.models[self.model]


@dataclass(frozen=True, slots=True)
class FlagsConfig:
    """``[flags]``: the thresholds of the trap, transition, rust-belt and other flags."""

    min_regions: int
    trap_top_share: float
    trap_min_pillar: float
    trap_min_shock_ratio: float
    rank_within_groups: bool
    trap_confident_only: bool
    near_trap_top_share: float
    industrial_measure: str
    rust_belt_min_industrial_ratio: float
    rust_belt_max_employment_change: float
    us_lower_tier_max_jobs: float
    us_lower_tier_max_income_ratio: float
    low_confidence_max_imputed_share: float


@dataclass(frozen=True, slots=True)
class ChoicesConfig:
    """``[uncertainty.choices]``: the structural choices of the factorial block, each a
    non-empty list of values (one value fixes the choice)."""

    exposure_rule: tuple[str, ...]
    shelter_public_share: tuple[bool, ...]
    count_uncounted_jobs: tuple[bool, ...]
    absorption_gate: tuple[bool, ...]
    absorption_mean: tuple[str, ...]
    substitution_threshold: tuple[float, ...]
    weight_draws: int


@dataclass(frozen=True, slots=True)
class UncertaintyConfig:
    """``[uncertainty]``: the grid and random draws of the rank uncertainty."""

    draws: int
    concentration: float
    seed: int
    aggregations: tuple[str, ...]
    leave_one_out: bool
    robust_share: float
    periods: str
    choices: ChoicesConfig


@dataclass(frozen=True, slots=True)
class Scenario:
    """``[scenarios.<name>]``: one AI-adoption scenario."""

    name: str
    adoption: float
    displacement: float
    reabsorption_min: float
    reabsorption_max: float
    horizon_years: float


@dataclass(frozen=True, slots=True)
class TrapZonesConfig:
    """``[trap_zones]``: the Local Moran's I of collapse risk."""

    permutations: int
    seed: int
    alpha: float
    min_regions: int


@dataclass(frozen=True)
class AtlasConfig:
    """The whole configuration, validated (see :func:`atlas.spec.config.parse_config`).

    ``programmes`` lists every declared instrument (a zero weight included, as declared);
    :func:`atlas.spec.programmes.programmes` gives the ones in use."""

    exposure: ExposureConfig
    risk: RiskConfig
    flags: FlagsConfig
    uncertainty: UncertaintyConfig
    scenarios: dict[str, Scenario]
    programmes: tuple[Programme, ...]
    trap_zones: TrapZonesConfig
    source: str = field(default="", compare=False)

    @property
    def default_measure(self) -> str:
        """The exposure measure in use (``exposure.default_measure``)."""
        return self.exposure.default_measure

    @property
    def active_model(self) -> RiskModel:
        """The collapse-risk model in use (``risk.model``, weight overrides applied)."""
        return self.risk.active

    @property
    def model_names(self) -> list[str]:
        """The model in use, then the compared models."""
        return [self.risk.model, *self.risk.compare]

    def value(self, dotted: str) -> Any:
        """The value of a setting named ``section.key`` (e.g. ``"flags.trap_top_share"``);
        KeyError if there is none."""
        node: Any = self
        for part in dotted.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif is_dataclass(node) and part in {f.name for f in fields(node)}:
                node = getattr(node, part)
            else:
                raise KeyError(dotted)
        return node

    def replaced(self, dotted: str, value: Any) -> AtlasConfig:
        """A copy with the setting ``section.key`` (one dataclass field per part) set to
        ``value``, given in its typed form and not validated (for tests and synthetic data;
        a user's settings go through :func:`atlas.spec.config.parse_config`)."""
        head, _, rest = dotted.partition(".")
        return _replaced(self, head, rest, value)

    def with_overrides(self, overrides: dict[str, Any]) -> AtlasConfig:
        """A copy with ``overrides`` (nested tables, as a user's TOML file gives them) merged
        in and the whole validated again."""
        from atlas.spec.config import merge, parse_config

        return parse_config(merge(self.to_dict(), overrides))

    def to_dict(self) -> dict[str, Any]:
        """The configuration as TOML-like plain data (what the build stores as JSON)."""
        risk = self.risk
        return {
            "exposure": {**_plain(self.exposure),
                         "sheltered": {k: list(v) for k, v in self.exposure.sheltered.items()}},
            "risk": {"model": risk.model, "compare": list(risk.compare),
                     "shock_pillar": risk.shock_pillar,
                     "absorption_pillar": risk.absorption_pillar,
                     "weights": dict(risk.weights), "pillar_weights": dict(risk.pillar_weights),
                     "models": {name: model_table(m) for name, m in risk.declared.items()},
                     "v1": _plain(risk.v1)},
            "flags": _plain(self.flags),
            "uncertainty": _plain(self.uncertainty),
            "scenarios": {name: {k: v for k, v in _plain(s).items() if k != "name"}
                          for name, s in self.scenarios.items()},
            "programmes": {p.name: p.table() for p in self.programmes},
            "trap_zones": _plain(self.trap_zones),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as the JSON text stored in ``build_info``."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_stored(cls, stored: str | dict[str, Any], source: str = "") -> AtlasConfig:
        """The configuration a build stored (:meth:`to_json` text or its parsed mapping),
        validated again and read back as the same type; ``source`` (the file it came from, if
        any) starts the error messages."""
        from atlas.spec.config import parse_config

        mapping = json.loads(stored) if isinstance(stored, str) else stored
        return parse_config(mapping, source=source)


def _plain(section: Any) -> dict[str, Any]:
    """A section's fields as plain TOML-like values (tuples as lists, a nested section as a
    table)."""
    return {f.name: list(v) if isinstance(v := getattr(section, f.name), tuple)
            else _plain(v) if is_dataclass(v) else v for f in fields(section)}


def _replaced(node: Any, head: str, rest: str, value: Any) -> Any:
    if isinstance(node, dict):
        if head not in node:
            raise KeyError(head)
        inner = _replaced(node[head], *rest.partition(".")[::2], value) if rest else value
        return {**node, head: inner}
    if head not in {f.name for f in fields(node)}:
        raise KeyError(head)
    inner = _replaced(getattr(node, head), *rest.partition(".")[::2], value) if rest else value
    return replace(node, **{head: inner})

