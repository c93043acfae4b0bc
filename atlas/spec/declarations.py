"""The declared pieces of the atlas: levels (``levels.toml``), measures, crosswalks and
taxonomy hooks (``measures.toml``), read into plain dataclasses and checked.

A reader, builder or hook is named ``"module:function"`` and resolved on use, so a new
level or measure is a module and an entry, not an edit of the build.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError

HERE = Path(__file__).parent
LEVELS_PATH = HERE / "levels.toml"
MEASURES_PATH = HERE / "measures.toml"
SCALES = ("unit", "z", "usage", "trait")
ROLES = ("exposure", "automation", "trait")


@dataclass(frozen=True)
class LevelDecl:
    """A geography (see ``levels.toml``)."""

    id: str
    geography: str
    description: str
    reader: str
    taxonomy: str
    reference_level: str
    inputs: tuple[str, ...] = ()
    periods: tuple[int, ...] = ()
    default_period: int | None = None
    map: dict[str, Any] = field(default_factory=dict)
    independent: bool = False

    def level_id(self, period: int | None) -> str:
        """``cn_city`` for the default period (or no period), ``cn_city@2010`` otherwise."""
        return self.id if period is None or period == self.default_period else \
            f"{self.id}@{period}"

    def instances(self) -> list[int | None]:
        """The periods to build (``[None]`` for a level without periods)."""
        return list(self.periods) or [None]


@dataclass(frozen=True)
class MeasureDecl:
    """A measure in its native taxonomy, or one derived at a taxonomy (``measures.toml``)."""

    name: str
    taxonomy: str
    scale: str
    role: str
    label: str
    description: str = ""
    source: str = ""
    reader: str | None = None
    derive: str | None = None
    from_measure: str | None = None
    map_layer: bool = False
    carry: bool | None = None

    @property
    def carried(self) -> bool:
        """Whether the measure travels along the crosswalks (traits do not, unless asked)."""
        return self.scale != "trait" if self.carry is None else self.carry


@dataclass(frozen=True)
class CrosswalkDecl:
    """An edge ``source -> target`` of the taxonomy graph with its category-map builder."""

    source: str
    target: str
    builder: str


def resolve(name: str) -> Callable[..., Any]:
    """The function ``"package.module:function"`` names; ConfigError if there is none."""
    module_name, _, function = name.partition(":")
    try:
        return getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"declared function '{name}' cannot be found ({exc})") from exc


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@cache
def levels(path: Path = LEVELS_PATH) -> tuple[LevelDecl, ...]:
    """The declared levels, in declaration order."""
    out = []
    for index, entry in enumerate(_load(path)["level"]):
        where = f"{path.name}: level[{index}]"
        missing = [key for key in ("id", "reader", "taxonomy", "reference_level")
                   if key not in entry]
        if missing:
            raise ConfigError(f"{where}: missing {missing}")
        periods = tuple(int(p) for p in entry.get("periods", ()))
        default = entry.get("default_period", max(periods) if periods else None)
        if periods and default not in periods:
            raise ConfigError(f"{where}: default_period {default} is not among its periods")
        independent = entry.get("independent", False)
        if not isinstance(independent, bool):
            raise ConfigError(f"{where}: independent = {independent!r} (expected true or false)")
        out.append(LevelDecl(
            id=entry["id"], geography=entry.get("geography", entry["id"]),
            description=entry.get("description", ""), reader=entry["reader"],
            taxonomy=entry["taxonomy"], reference_level=entry["reference_level"],
            inputs=tuple(entry.get("inputs", ())), periods=periods, default_period=default,
            map=dict(entry.get("map", {})), independent=independent))
    ids = [level.id for level in out]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path.name}: level ids repeat: {ids}")
    for reader in {level.reader for level in out}:
        flags = {level.id: level.independent for level in out if level.reader == reader}
        if len(set(flags.values())) > 1:
            raise ConfigError(f"{path.name}: the levels of reader {reader} differ in "
                              f"'independent' ({flags}); a reader runs once for all its levels, "
                              "so declare it on all of them or on none")
    return tuple(out)


@cache
def measures(path: Path = MEASURES_PATH) -> tuple[MeasureDecl, ...]:
    """The declared measures."""
    out = []
    for index, entry in enumerate(_load(path)["measure"]):
        where = f"{path.name}: measure[{index}] ({entry.get('name', '?')})"
        if entry.get("scale") not in SCALES:
            raise ConfigError(f"{where}: scale {entry.get('scale')!r}; valid: {list(SCALES)}")
        if entry.get("role") not in ROLES:
            raise ConfigError(f"{where}: role {entry.get('role')!r}; valid: {list(ROLES)}")
        if bool(entry.get("reader")) == bool(entry.get("derive")):
            raise ConfigError(f"{where}: needs either a reader or a derive rule")
        taxonomy = entry.get("taxonomy", entry.get("at"))
        if not taxonomy:
            raise ConfigError(f"{where}: needs a taxonomy (or `at` for a derived measure)")
        out.append(MeasureDecl(
            name=entry["name"], taxonomy=taxonomy, scale=entry["scale"], role=entry["role"],
            label=entry.get("label", entry["name"]), description=entry.get("description", ""),
            source=entry.get("source", ""), reader=entry.get("reader"),
            derive=entry.get("derive"), from_measure=entry.get("from_measure"),
            map_layer=bool(entry.get("map_layer", False)), carry=entry.get("carry")))
    return tuple(out)


@cache
def crosswalks(path: Path = MEASURES_PATH) -> tuple[CrosswalkDecl, ...]:
    """The declared edges of the taxonomy graph."""
    return tuple(CrosswalkDecl(entry["from"], entry["to"], entry["builder"])
                 for entry in _load(path).get("crosswalk", []))


@cache
def arrival_hooks(path: Path = MEASURES_PATH) -> dict[str, str]:
    """Taxonomy -> the hook that completes the scores arriving there."""
    return {entry["name"]: entry["on_arrival"] for entry in _load(path).get("taxonomy", [])
            if "on_arrival" in entry}
