"""The transition-fund instruments declared in ``[programmes]`` of the configuration.

Each instrument has a label (and a Chinese label), a purpose in plain words, a ``weight``
(0 removes it everywhere) and ``terms``: what makes it fit a region. A term reads either a
component of the trap model (``component = "prior_decline"``: the model's own percentile
score, level-aware) or any indicator (``indicator = "share_ge_50"`` with ``direction =
"higher" | "lower"``), ranked within the level. See :mod:`atlas.engine.programmes` for the
mix and ``docs/programmes.md`` for the reasoning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atlas.errors import ConfigError

if TYPE_CHECKING:
    from atlas.spec.config_types import AtlasConfig

__all__ = ["Programme", "Term", "parse_programmes", "programmes"]

PROGRAMME_KEYS = {"label", "label_zh", "purpose", "weight", "terms"}
DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Term:
    """One reason an instrument fits a region: a component's score or a ranked indicator."""

    component: str | None = None
    indicator: str | None = None
    direction: str = "higher"
    label: str | None = None

    @property
    def name(self) -> str:
        """The component or the oriented indicator, as the texts name it."""
        if self.component:
            return self.component
        return self.indicator if self.direction == "higher" else f"low {self.indicator}"

    def table(self) -> dict[str, str]:
        """The term as the configuration declares it."""
        if self.component:
            return {"component": self.component}
        return {"indicator": self.indicator, "direction": self.direction,
                **({"label": self.label} if self.label else {})}


@dataclass(frozen=True)
class Programme:
    """One instrument of the transition fund."""

    name: str
    label: str
    label_zh: str
    purpose: str
    weight: float
    terms: tuple[Term, ...]

    def rule_text(self, component_labels: dict[str, str] | None = None) -> str:
        """The rule in words: which percentiles make the instrument fit a region."""
        labels = component_labels or {}
        parts = [labels.get(t.component, t.component) if t.component else
                 t.label or (t.indicator if t.direction == "higher" else f"low {t.indicator}")
                 for t in self.terms]
        if len(parts) == 1:
            return f"percentile of {parts[0]}"
        return "geometric mean of the percentiles of " + " and ".join(parts)

    def table(self) -> dict[str, Any]:
        """The instrument as ``[programmes.<name>]`` declares it (what a build stores)."""
        return {"label": self.label, "label_zh": self.label_zh, "purpose": self.purpose,
                "weight": self.weight, "terms": [t.table() for t in self.terms]}


def _term(name: str, index: int, raw: Any) -> Term:
    where = f"programmes.{name}.terms[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"config key '{where}' must be a table with 'component' or 'indicator'")
    unknown = sorted(set(raw) - {"component", "indicator", "direction", "label"})
    if unknown:
        raise ConfigError(f"config key '{where}.{unknown[0]}' is unknown; valid keys: "
                          "['component', 'direction', 'indicator', 'label']")
    if ("component" in raw) == ("indicator" in raw):
        raise ConfigError(f"config key '{where}' needs exactly one of 'component' or "
                          "'indicator'")
    direction = raw.get("direction", "higher")
    if direction not in DIRECTIONS or ("component" in raw and "direction" in raw):
        raise ConfigError(f"config key '{where}.direction' must be one of {list(DIRECTIONS)} "
                          "and goes only with 'indicator' (a component has its own direction)")
    for key in ("component", "indicator", "label"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key]):
            raise ConfigError(f"config key '{where}.{key}' must be a text")
    if "label" in raw and "component" in raw:
        raise ConfigError(f"config key '{where}.label' goes only with 'indicator' (a "
                          "component has its own label)")
    return Term(raw.get("component"), raw.get("indicator"), direction, raw.get("label"))


def programmes(config: AtlasConfig) -> list[Programme]:
    """The instruments with a positive weight, in the order the configuration lists them.

    Examples
    --------
    >>> from atlas.spec.config import load_config
    >>> [p.name for p in programmes(load_config())]  # doctest: +NORMALIZE_WHITESPACE
    ['skills_accounts', 'collaboration_grants', 'informal_support', 'public_employment',
     'income_floor']
    """
    return [p for p in config.programmes if p.weight > 0]


def parse_programmes(table: Any) -> tuple[Programme, ...]:
    """Parse and validate ``[programmes]``: every declared instrument, a zero weight included.

    Raises
    ------
    ConfigError
        naming the key of the first unknown key, missing text, bad weight or bad term.

    Examples
    --------
    >>> parse_programmes({"x": {"label": "X", "label_zh": "X", "purpose": "p",
    ...                   "weight": 1, "terms": [{"component": "a", "indicator": "b"}]}})
    Traceback (most recent call last):
    ...
    atlas.errors.ConfigError: config key 'programmes.x.terms[0]' needs exactly one of ...
    """
    if not isinstance(table, dict):
        raise ConfigError("config key 'programmes' must be a table")
    found = []
    for name, raw in table.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"config key 'programmes.{name}' must be a table")
        unknown = sorted(set(raw) - PROGRAMME_KEYS)
        missing = sorted(PROGRAMME_KEYS - set(raw))
        if unknown or missing:
            key = unknown[0] if unknown else missing[0]
            what = "is unknown" if unknown else "is missing"
            raise ConfigError(f"config key 'programmes.{name}.{key}' {what}; an instrument "
                              f"has {sorted(PROGRAMME_KEYS)}")
        for key in ("label", "label_zh", "purpose"):
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise ConfigError(f"config key 'programmes.{name}.{key}' must be a text")
        weight = raw["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int | float) \
                or not math.isfinite(weight) or weight < 0:
            raise ConfigError(f"config key 'programmes.{name}.weight' must be a finite number "
                              f">= 0 (0 removes the instrument), got {weight!r}")
        terms = raw["terms"]
        if not isinstance(terms, list) or not terms:
            raise ConfigError(f"config key 'programmes.{name}.terms' must list at least one "
                              "term")
        parsed = tuple(_term(name, i, t) for i, t in enumerate(terms))
        found.append(Programme(name, raw["label"], raw["label_zh"], raw["purpose"],
                               float(weight), parsed))
    return tuple(found)
