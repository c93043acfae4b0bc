"""The declared pieces of the atlas: levels (``levels.toml``), measures, crosswalks and
taxonomy hooks (``measures.toml``), read into plain dataclasses and checked.

A reader, builder or hook is named ``"module:function"`` and resolved on use, so a new
level or measure is a module and an entry, not an edit of the build.
"""

from __future__ import annotations

import importlib
import os
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
# Extra declaration files (os.pathsep-separated): their levels follow those of levels.toml
# and their families join its families (a test level, a level of one's own).
EXTRA_LEVELS_VARIABLE = "ATLAS_EXTRA_LEVELS"
# What every level must declare (itself or through its family), with what it is.
REQUIRED_LEVEL_KEYS = {
    "id": "its name", "reader": "the 'module:function' that reads it",
    "taxonomy": "the taxonomy of its composition",
    "reference_level": "the level whose mix diversity and specialisation compare with",
    "family": "the [family.<name>] it belongs to", "name": "its display name",
    "within": "the geography its regions belong to: { columns, header, concept }",
}
SCALES = ("unit", "z", "usage", "trait")
ROLES = ("exposure", "automation", "trait")


@dataclass(frozen=True)
class Within:
    """How a level's regions are placed in a larger geography (``within`` of a level).

    Attributes
    ----------
    columns
        Columns naming the principal geography, shown joined (first is the canonical value).
    header
        Column header in the workbook.
    concept
        The word for it in messages ("state", "province", "World Bank region").
    members
        Column listing every member geography joined by '-' (US: states with member
        counties), or None where a region lies in one only.
    """

    columns: tuple[str, ...]
    header: str
    concept: str
    members: str | None = None


@dataclass(frozen=True)
class RankGroup:
    """How a level ranks its regions (``rank_group`` of a level): within groups of peers.

    Attributes
    ----------
    column
        The region attribute holding each region's group (e.g. ``income_group``).
    concept
        The word for a group in texts ("income group").
    whole
        The word for the whole level in texts ("world"): its rank is shown as context.
    """

    column: str
    concept: str
    whole: str


@dataclass(frozen=True)
class LevelDecl:
    """A geography (see ``levels.toml``), with its description: display name, family, the
    geography its regions belong to (``within``), notes, the texts of its columns and of
    the flag rules that differ between families, and what does not apply to it."""

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
    prepare: str | None = None
    family: str = ""
    name: str = ""
    within: Within = Within(("state",), "State", "state")
    aliases_level: str | None = None
    in_reports: bool = True
    readme_top: bool = True
    views: tuple[str, ...] = ()
    notes: str = ""
    summary_note: str = ""
    decline_window: str | None = None
    lower_tier: str | None = None
    not_applicable: frozenset[str] = frozenset()
    columns: dict[str, str] = field(default_factory=dict)
    catalogue: str | None = None
    lineage: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rank_group: RankGroup | None = None

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


def _within(where: str, value: Any) -> Within:
    if not isinstance(value, dict) or not {"columns", "header", "concept"} <= set(value):
        raise ConfigError(f"{where}: within = {value!r} (expected a table with columns, "
                          "header and concept)")
    return Within(tuple(value["columns"]), value["header"], value["concept"],
                  value.get("members"))


def _rank_group(where: str, value: Any) -> RankGroup | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not {"column", "concept", "whole"} <= set(value) \
            or not all(isinstance(value[key], str) for key in ("column", "concept", "whole")):
        raise ConfigError(f"{where}: rank_group = {value!r} (expected a table with texts "
                          "column, concept and whole)")
    return RankGroup(value["column"], value["concept"], value["whole"])


def _flag(where: str, entry: dict[str, Any], key: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} = {value!r} (expected true or false)")
    return value


def _level(where: str, entry: dict[str, Any], families: dict[str, Any]) -> LevelDecl:
    """One ``[[level]]`` with the keys of its family (its own keys win)."""
    name = entry.get("id", "?")
    family = families.get(entry.get("family"), {})
    if "family" in entry and not family:
        raise ConfigError(f"{where}: level '{name}': family {entry['family']!r} is not "
                          f"declared (expected one of {sorted(families)})")
    merged = {**family, **entry}
    missing = [key for key in REQUIRED_LEVEL_KEYS if key not in merged]
    if missing:
        raise ConfigError(f"{where}: level '{name}' lacks '{missing[0]}' "
                          f"({REQUIRED_LEVEL_KEYS[missing[0]]})")
    periods = tuple(int(p) for p in merged.get("periods", ()))
    default = merged.get("default_period", max(periods) if periods else None)
    if periods and default not in periods:
        raise ConfigError(f"{where}: default_period {default} is not among its periods")
    return LevelDecl(
        id=merged["id"], geography=merged.get("geography", merged["id"]),
        description=merged.get("description", ""), reader=merged["reader"],
        taxonomy=merged["taxonomy"], reference_level=merged["reference_level"],
        inputs=tuple(merged.get("inputs", ())), periods=periods, default_period=default,
        map=dict(merged.get("map", {})),
        independent=_flag(where, merged, "independent", False),
        prepare=merged.get("prepare"),
        family=merged["family"], name=merged["name"], within=_within(where, merged["within"]),
        aliases_level=merged.get("aliases_level"),
        in_reports=_flag(where, merged, "in_reports", True),
        readme_top=_flag(where, merged, "readme_top", True),
        views=tuple(merged.get("views", ())), notes=merged.get("notes", ""),
        summary_note=merged.get("summary_note", ""),
        decline_window=merged.get("decline_window"), lower_tier=merged.get("lower_tier"),
        not_applicable=frozenset(merged.get("not_applicable", ())),
        columns=dict(merged.get("columns", {})), catalogue=merged.get("catalogue"),
        lineage={figure: tuple(keys) for figure, keys in merged.get("lineage", {}).items()},
        rank_group=_rank_group(where, merged.get("rank_group")))


def extra_level_files() -> tuple[Path, ...]:
    """The extra declaration files named by ``$ATLAS_EXTRA_LEVELS`` (none if unset)."""
    value = os.environ.get(EXTRA_LEVELS_VARIABLE, "")
    paths = tuple(Path(part) for part in value.split(os.pathsep) if part)
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"${EXTRA_LEVELS_VARIABLE}: {path} is not a file (expected a "
                              "levels.toml fragment)")
    return paths


def levels(path: Path = LEVELS_PATH) -> tuple[LevelDecl, ...]:
    """The declared levels, in declaration order (those of ``$ATLAS_EXTRA_LEVELS`` last)."""
    return _levels(path, extra_level_files())


@cache
def _levels(path: Path, extra: tuple[Path, ...]) -> tuple[LevelDecl, ...]:
    files = [(path, _load(path)) for path in (path, *extra)]
    families: dict[str, Any] = {}
    for _, loaded in files:
        families.update(loaded.get("family", {}))
    out = [_level(f"{file.name if file == path else file}: level[{index}]", entry, families)
           for file, loaded in files for index, entry in enumerate(loaded.get("level", []))]
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


def level_decl(level: str) -> LevelDecl | None:
    """The declaration of ``level`` (``cn_city@2010`` is a ``cn_city``); None if undeclared."""
    geography = level.partition("@")[0]
    return next((decl for decl in levels() if decl.id == geography), None)


def default_level() -> str:
    """The level commands show unless told otherwise: the first declared."""
    return levels()[0].id


def families() -> dict[str, LevelDecl]:
    """The first declared level of every family, in declaration order (family texts)."""
    out: dict[str, LevelDecl] = {}
    for decl in levels():
        out.setdefault(decl.family, decl)
    return out


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
