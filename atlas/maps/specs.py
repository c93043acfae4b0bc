"""The maps as data: the ``[level.map]`` blocks of ``atlas/spec/levels.toml`` and the layers,
overlays and UI strings of ``atlas/spec/layers.toml``, read into frozen dataclasses.

Nothing here touches the database: :mod:`atlas.maps.data` decides, per level, which declared
layer and overlay has values. A misspelt key stops with a :class:`~atlas.errors.ConfigError`
naming the file, the entry and the key, so a declaration cannot be ignored by a typo.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError
from atlas.spec import declarations, spec_path

LEVELS_PATH = spec_path("levels.toml")
LAYERS_PATH = spec_path("layers.toml")
FORMATS = {"pct", "rate", "num", "int", "pctile", "pp"}
SOURCES = {"indices", "scenario", "exposure"}
SCHEMES = {"Quantiles", "Fisher-Jenks", "UserDefined"}
LAYER_KEYS = {"key", "source", "kind", "column", "scenario", "measure", "fmt", "label", "labels",
              "what", "whats", "what_text", "note_text", "levels", "scheme", "x", "y", "x_fmt",
              "y_fmt", "x_label", "y_label", "x_labels", "y_labels", "colors", "bins"}
OVERLAY_KEYS = {"key", "column", "label", "labels", "color", "dash", "on", "what_text",
                "levels"}
MAP_KEYS = {"file", "title", "subtitle", "howto", "languages", "outline_level", "insets",
            "simplify", "top_n", "also_inputs", "region_subtitle", "words", "search_columns",
            "trend", "notes", "ui", "jobs_inputs", "lines", "search_aliases", "label_points",
            "leave_out"}
INSET_KEYS = {"column", "values", "unwrap", "scale", "origin", "to"}


def _per_level(default: str | None, table: dict[str, str] | None, level: str) -> str | None:
    return (table or {}).get(level, default)


@dataclass(frozen=True)
class LayerDecl:
    """A switchable base layer (see the comments at the top of ``atlas/spec/layers.toml``)."""

    key: str
    source: str = "indices"
    kind: str = "choropleth"
    column: str | None = None
    scenario: str | None = None
    measure: str | None = None
    fmt: str | None = None
    label: str = "{label}"
    labels: dict[str, str] = field(default_factory=dict)
    what: str | None = None
    whats: dict[str, str] = field(default_factory=dict)
    what_text: str | None = None
    note_text: str | None = None
    levels: tuple[str, ...] = ()
    scheme: str = "Quantiles"
    bins: tuple[float | str, ...] = ()  # UserDefined: upper edges, numbers or config keys
    x: str | None = None
    y: str | None = None
    x_fmt: str = "num"
    y_fmt: str = "num"
    x_label: str = "{label}"
    y_label: str = "{label}"
    x_labels: dict[str, str] = field(default_factory=dict)
    y_labels: dict[str, str] = field(default_factory=dict)
    colors: tuple[str, ...] = ()

    @property
    def value_column(self) -> str:
        """The region_indices column of an ``indices`` layer."""
        return self.column or self.key

    def applies_to(self, level: str) -> bool:
        """True if the declaration names ``level`` (or names no level)."""
        return not self.levels or level in self.levels

    def label_for(self, level: str) -> str:
        """The label template for ``level``."""
        return _per_level(self.label, self.labels, level) or self.key

    def what_for(self, level: str) -> str | None:
        """The typed "what" sentence for ``level`` (None: from ``what_text``)."""
        return _per_level(self.what, self.whats, level)


@dataclass(frozen=True)
class OverlayDecl:
    """An outline overlay of the regions whose ``column`` is true (or not null)."""

    key: str
    color: str
    label: str
    labels: dict[str, str] = field(default_factory=dict)
    column: str | None = None
    dash: str | None = None
    on: bool = False
    what_text: str | None = None
    levels: tuple[str, ...] = ()

    @property
    def flag_column(self) -> str:
        """The region_indices column the overlay reads."""
        return self.column or f"flag_{self.key}"

    def applies_to(self, level: str) -> bool:
        """True if the declaration names ``level`` (or names no level)."""
        return not self.levels or level in self.levels

    def label_for(self, level: str) -> str:
        """The label for ``level``."""
        return _per_level(self.label, self.labels, level) or self.key


@dataclass(frozen=True)
class Inset:
    """Regions moved for display: unwrapped, scaled about ``origin``, moved onto ``to``."""

    column: str
    values: tuple[str, ...]
    origin: tuple[float, float]
    to: tuple[float, float]
    scale: tuple[float, float] = (1.0, 1.0)
    unwrap: bool = False


@dataclass(frozen=True)
class MapSpec:
    """How one level is drawn (its ``[level.map]`` block)."""

    level: str
    file: str
    title: str
    subtitle: str = ""
    howto: str = ""
    languages: tuple[str, ...] = ("en",)
    outline_level: str | None = None
    insets: tuple[Inset, ...] = ()
    simplify: float = 0.01
    top_n: int = 5
    inputs: tuple[str, ...] = ()
    jobs_inputs: tuple[str, ...] = ()  # where the profile's jobs figure comes from
    region_subtitle: tuple[str, ...] = ()
    words: dict[str, dict[str, str]] = field(default_factory=dict)
    search_columns: tuple[str, ...] = ()
    search_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> names
    label_points: dict[str, tuple[float, float]] = field(default_factory=dict)  # id -> lat, lon
    leave_out: tuple[str, ...] = ()  # boundary-file shapes not drawn (no region, no data)
    trend: dict[str, str] | None = None
    notes: tuple[dict[str, str], ...] = ()
    lines: tuple[dict[str, str], ...] = ()  # profile lines: a context indicator and a note
    ui: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Declarations:
    """Everything ``atlas/spec/layers.toml`` declares."""

    layers: tuple[LayerDecl, ...]
    overlays: tuple[OverlayDecl, ...]
    measure_layers: dict[str, Any]
    units: dict[str, str]
    indicators: dict[str, dict[str, Any]]
    ui: dict[str, dict[str, Any]]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc


def _check_keys(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (valid: {sorted(allowed)})")


def _layer(entry: dict[str, Any], where: str) -> LayerDecl:
    _check_keys(entry, LAYER_KEYS, where)
    if not isinstance(entry.get("key"), str):
        raise ConfigError(f"{where}: 'key' must be a name")
    checks = [("source", SOURCES), ("fmt", FORMATS), ("x_fmt", FORMATS), ("y_fmt", FORMATS),
              ("scheme", SCHEMES), ("kind", {"choropleth", "bivariate"})]
    for name, valid in checks:
        if name in entry and entry[name] not in valid:
            raise ConfigError(f"{where}: {name} = {entry[name]!r} (valid: {sorted(valid)})")
    if entry.get("kind") == "bivariate" and (len(entry.get("colors", [])) != 9
                                             or not entry.get("x") or not entry.get("y")):
        raise ConfigError(f"{where}: a bivariate layer needs x, y and 9 colors")
    if entry.get("source") == "scenario" and not entry.get("scenario"):
        raise ConfigError(f"{where}: a scenario layer needs 'scenario'")
    if entry.get("source") == "exposure" and not entry.get("measure"):
        raise ConfigError(f"{where}: an exposure layer needs 'measure'")
    if (entry.get("scheme") == "UserDefined") != bool(entry.get("bins")):
        raise ConfigError(f"{where}: bins go with scheme = \"UserDefined\" (and it needs them)")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
    return LayerDecl(**values)


def _overlay(entry: dict[str, Any], where: str) -> OverlayDecl:
    _check_keys(entry, OVERLAY_KEYS, where)
    for required in ("key", "color", "label"):
        if not isinstance(entry.get(required), str):
            raise ConfigError(f"{where}: '{required}' must be a text")
    return OverlayDecl(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()})


def load_declarations(path: Path = LAYERS_PATH) -> Declarations:
    """Read ``atlas/spec/layers.toml``.

    Parameters
    ----------
    path : Path
        The declarations file (default: the atlas's own).

    Returns
    -------
    Declarations
        Layers and overlays in file order, the measure-layer template, the unit and
        indicator formats and the UI strings per language.

    Raises
    ------
    ConfigError
        For an unknown key, a bad value or a duplicate key, naming the entry.
    """
    raw = _read(path)
    layers = tuple(_layer(e, f"{path.name} [[layer]] {i + 1} ({e.get('key')})")
                   for i, e in enumerate(raw.get("layer", [])))
    overlays = tuple(_overlay(e, f"{path.name} [[overlay]] {i + 1} ({e.get('key')})")
                     for i, e in enumerate(raw.get("overlay", [])))
    for kind, items in (("layer", layers), ("overlay", overlays)):
        keys = [item.key for item in items]
        if len(keys) != len(set(keys)):
            duplicate = next(k for k in keys if keys.count(k) > 1)
            raise ConfigError(f"{path.name}: two [[{kind}]] entries have key '{duplicate}'")
    for fmt in raw.get("units", {}).values():
        if fmt not in FORMATS:
            raise ConfigError(f"{path.name} [units]: {fmt!r} is not one of {sorted(FORMATS)}")
    return Declarations(layers, overlays, dict(raw.get("measure_layers", {})),
                        dict(raw.get("units", {})), dict(raw.get("indicators", {})),
                        dict(raw.get("ui", {})))


def _inset(entry: dict[str, Any], where: str) -> Inset:
    _check_keys(entry, INSET_KEYS, where)
    try:
        return Inset(column=entry["column"], values=tuple(entry["values"]),
                     origin=tuple(entry["origin"]), to=tuple(entry["to"]),
                     scale=tuple(entry.get("scale", (1.0, 1.0))),
                     unwrap=bool(entry.get("unwrap", False)))
    except KeyError as exc:
        raise ConfigError(f"{where}: missing key {exc}") from exc


def map_spec(level: str, block: dict[str, Any], inputs: list[str]) -> MapSpec:
    """One level's ``[level.map]`` block as a :class:`MapSpec` (``inputs``: the level's)."""
    where = f"levels.toml [level.map] of {level}"
    _check_keys(block, MAP_KEYS, where)
    for required in ("file", "title"):
        if not isinstance(block.get(required), str):
            raise ConfigError(f"{where}: '{required}' must be a text")
    languages = tuple(block.get("languages", ["en"]))
    if not 1 <= len(languages) <= 2:
        raise ConfigError(f"{where}: languages must name one or two languages")
    return MapSpec(
        level=level, file=block["file"], title=block["title"],
        subtitle=block.get("subtitle", ""), howto=block.get("howto", ""), languages=languages,
        outline_level=block.get("outline_level"),
        insets=tuple(_inset(e, f"{where} insets {i + 1}")
                     for i, e in enumerate(block.get("insets", []))),
        simplify=float(block.get("simplify", 0.01)), top_n=int(block.get("top_n", 5)),
        inputs=tuple(inputs) + tuple(block.get("also_inputs", [])),
        jobs_inputs=tuple(block.get("jobs_inputs", list(inputs)[:1])),
        region_subtitle=tuple(block.get("region_subtitle", [])),
        words=dict(block.get("words", {})), search_columns=tuple(block.get("search_columns", [])),
        search_aliases={str(k): tuple(v) for k, v in block.get("search_aliases", {}).items()},
        label_points=_points(block.get("label_points", {}), where),
        leave_out=tuple(block.get("leave_out", [])),
        trend=block.get("trend"), notes=tuple(block.get("notes", [])),
        lines=tuple(block.get("lines", [])), ui=dict(block.get("ui", {})))


def _points(table: dict[str, Any], where: str) -> dict[str, tuple[float, float]]:
    """``label_points``: ``{region_id: [lat, lon]}`` for places the boundary file has no
    shape for (a marker shows them when chosen)."""
    out = {}
    for region_id, point in table.items():
        if not (isinstance(point, list) and len(point) == 2 and -90 <= point[0] <= 90
                and -180 <= point[1] <= 180):
            raise ConfigError(f"{where}: label_points.{region_id} must be [lat, lon], got "
                              f"{point!r}")
        out[str(region_id)] = (float(point[0]), float(point[1]))
    return out


def load_map_specs(path: Path | None = None) -> dict[str, MapSpec]:
    """The maps of the declared levels (``atlas/spec/levels.toml`` and the extra declaration
    files of :func:`atlas.spec.declarations.levels`, or the levels file ``path``):
    ``{level id: MapSpec}`` for every level with a ``[level.map]`` block, in declaration
    order (maps draw the default period, the plain id).

    Raises
    ------
    ConfigError
        For an unknown key or a missing file name or title.
    """
    decls = declarations.levels() if path is None else declarations.levels(path)
    return {decl.id: map_spec(decl.id, decl.map, list(decl.inputs))
            for decl in decls if decl.map}
