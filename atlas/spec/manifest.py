"""``atlas/spec/manifest.toml``: every input of the atlas and the checks it must pass.

The manifest is the single place that says what a valid input looks like (columns and their
kinds, ranges, row counts, text columns, geometry rules); :mod:`atlas.sources.checks` and
:mod:`atlas.sources.geometry_reading` apply it.
The keys are documented at the top of the manifest and in
``docs/validation.md``. A misspelt or inconsistent key stops the build with a
:class:`~atlas.errors.ConfigError` naming the entry, so a check cannot be switched off by a
typo.
"""

from __future__ import annotations

import codecs
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from atlas.errors import ConfigError
from atlas.spec import spec_path  # noqa: E402

# The checkout this package sits in (a source tree: README, docs, ``../shared/data``); in an
# installed wheel it is site-packages' parent and only serves as a default to look beside.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_PATH = spec_path("manifest.toml")

KINDS = {"str", "num", "count"}
NUMERIC_KINDS = {"num", "count"}
GEOMETRY_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb"}
REPAIRS = {"make_valid", "split_antimeridian"}
# what an input's terms allow, from the most open; the last two make an input restricted: its
# raw values stay out of the shareable outputs (atlas.terms)
TERMS = ("public domain", "open with attribution", "research use only", "unknown")
SHAREABLE_TERMS = TERMS[:2]
KEYS = {"use", "path", "vintage", "licence", "terms", "attribution", "key", "columns", "sheet",
        "min_rows", "ranges",
        "text_columns", "encoding", "layer", "id", "repair", "allow_empty", "geometry_types",
        "also_read"}
GEOMETRY_ONLY = {"layer", "id", "repair", "allow_empty", "geometry_types"}
# What a [profiles.<name>] table may set on every entry: only the size of a complete file
PROFILE_KEYS = {"min_rows"}
# The file by which a data folder selects a profile (tests/fixtures/data has one)
PROFILE_FILE = "atlas_profile.toml"


@dataclass(frozen=True)
class InputSpec:
    """One manifest entry: where the input is and what a valid copy of it looks like.

    Attributes
    ----------
    key, path, vintage, licence, use
        identification (``path`` is relative to the data directory).
    terms, attribution
        what the terms allow (one of ``TERMS``) and the credit line the outputs give.
    columns
        ``{column: kind}`` with kind ``str``, ``num`` or ``count`` (numeric, >= 0).
    unique_key
        columns whose combination must be unique (manifest key ``key``).
    sheet
        the Excel sheet, for ``.xlsx`` inputs.
    min_rows
        fewest data rows (features for geometry) a valid copy has; at least 1.
    ranges
        ``{column: (low, high)}``, inclusive bounds for numeric columns.
    text_columns
        ``str`` columns checked for mis-decoded text (mojibake, U+FFFD).
    also_read
        Parquet inputs only: columns the readers use without checks; when set, only the
        declared ``columns`` and these are loaded (the file's other columns never are).
    encoding
        the encoding of a text file (CSV, TSV, GeoJSON, TopoJSON); undecodable bytes stop
        the build.
    layer, id_column, repair, allow_empty, geometry_types
        geometry inputs only: the layer to read; the feature id column (unique, used in
        messages); ``"make_valid"`` / ``"split_antimeridian"`` to repair invalid geometries
        (None: an invalid geometry is an error); ids whose geometry may be empty; the
        geometry types allowed.
    """

    key: str
    path: str
    vintage: str
    licence: str
    use: str = ""
    terms: str = "unknown"
    attribution: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    unique_key: tuple[str, ...] = ()
    sheet: str | None = None
    min_rows: int = 1
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    text_columns: tuple[str, ...] = ()
    encoding: str = "utf-8"
    layer: str | None = None
    id_column: str | None = None
    repair: str | None = None
    allow_empty: tuple[str, ...] = ()
    geometry_types: tuple[str, ...] = ()
    also_read: tuple[str, ...] = ()

    @property
    def restricted(self) -> bool:
        """True when the terms do not allow redistribution (research use only, or unknown)."""
        return self.terms not in SHAREABLE_TERMS

    @property
    def is_geometry(self) -> bool:
        """True for geometry inputs (GeoJSON, TopoJSON, GeoPackage, ...)."""
        return Path(self.path).suffix.lower() in GEOMETRY_SUFFIXES

    @property
    def suffix(self) -> str:
        """The file's suffix, lower case (``.csv``, ``.parquet``, ``.json`` ...)."""
        return Path(self.path).suffix.lower()


def _repair(value: object, where: str) -> str | None:
    if value is False or value is None:
        return None
    if value is True:
        return "make_valid"
    if value in REPAIRS:
        return str(value)
    raise ConfigError(f"{where}: repair = {value!r} (expected true, false or one of "
                      f"{sorted(REPAIRS)})")


def _ranges(entry: dict, where: str) -> dict[str, tuple[float, float]]:
    ranges = {}
    for column, bounds in entry.get("ranges", {}).items():
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, int | float) for b in bounds)
                or any(math.isnan(b) for b in bounds) or bounds[0] > bounds[1]):
            raise ConfigError(f"{where}: ranges.{column} = {bounds!r} (expected [low, high] "
                              "with low <= high; use inf for an open end)")
        ranges[column] = (float(bounds[0]), float(bounds[1]))
    return ranges


def spec_from_entry(key: str, entry: dict) -> InputSpec:
    """One manifest entry as an :class:`InputSpec`, its keys checked for consistency.

    Raises
    ------
    ConfigError
        for an unknown key, an unknown kind, or a check on a column the entry does not
        declare.
    """
    where = f"atlas/spec/manifest.toml [inputs.{key}]"
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown} (expected some of {sorted(KEYS)})")
    if "path" not in entry:
        raise ConfigError(f"{where}: no path")
    columns = dict(entry.get("columns", {}))
    bad_kinds = {c: k for c, k in columns.items() if k not in KINDS}
    if bad_kinds:
        raise ConfigError(f"{where}: unknown column kind(s) {bad_kinds} (expected {sorted(KINDS)})")
    spec = InputSpec(
        key=key, path=entry["path"], vintage=entry.get("vintage", ""),
        licence=entry.get("licence", ""), use=entry.get("use", ""),
        terms=entry.get("terms", "unknown"), attribution=entry.get("attribution", ""),
        columns=columns,
        unique_key=tuple(entry.get("key", ())), sheet=entry.get("sheet"),
        min_rows=int(entry.get("min_rows", 1)), ranges=_ranges(entry, where),
        text_columns=tuple(entry.get("text_columns", ())),
        encoding=entry.get("encoding", "utf-8"), layer=entry.get("layer"),
        id_column=entry.get("id"), repair=_repair(entry.get("repair"), where),
        allow_empty=tuple(str(v) for v in entry.get("allow_empty", ())),
        geometry_types=tuple(entry.get("geometry_types", ())),
        also_read=tuple(entry.get("also_read", ())),
    )
    if spec.terms not in TERMS:
        raise ConfigError(f"{where}: terms = {spec.terms!r} (expected one of {list(TERMS)})")
    if spec.min_rows < 1:
        raise ConfigError(f"{where}: min_rows = {spec.min_rows} (expected at least 1: an empty "
                          "input is never valid)")
    numeric = {c for c, kind in columns.items() if kind in NUMERIC_KINDS}
    checks = {
        "ranges": (set(spec.ranges) - numeric, "numeric"),
        "text_columns": (set(spec.text_columns) - {c for c, k in columns.items() if k == "str"},
                         "str"),
        "key": (set(spec.unique_key) - set(columns), "declared"),
        "id": ({spec.id_column} - set(columns) - {None}, "declared"),
    }
    for name, (undeclared, kind) in checks.items():
        if undeclared:
            raise ConfigError(f"{where}: {name} names {sorted(undeclared)}, which are not "
                              f"{kind} columns of this entry (declare them in columns)")
    if not spec.is_geometry and GEOMETRY_ONLY & set(entry):
        raise ConfigError(f"{where}: {sorted(GEOMETRY_ONLY & set(entry))} apply to geometry "
                          f"inputs only ({sorted(GEOMETRY_SUFFIXES)})")
    if spec.also_read and spec.suffix != ".parquet":
        raise ConfigError(f"{where}: also_read applies to Parquet inputs only (the columns "
                          "loaded from a .parquet file)")
    try:
        codecs.lookup(spec.encoding)
    except LookupError as exc:
        raise ConfigError(f"{where}: unknown encoding {spec.encoding!r}") from exc
    return spec


def profile_overrides(raw: dict, profile: str) -> dict[str, object]:
    """The keys ``[profiles.<profile>]`` of the manifest sets on every entry.

    Raises
    ------
    ConfigError
        for a profile the manifest does not declare, or a key a profile may not set.
    """
    profiles = raw.get("profiles", {})
    if profile not in profiles:
        raise ConfigError(f"input profile {profile!r} is not declared in atlas/spec/manifest.toml "
                          f"(expected one of {sorted(profiles)})")
    entry = dict(profiles[profile])
    entry.pop("use", None)
    unknown = sorted(set(entry) - PROFILE_KEYS)
    if unknown:
        raise ConfigError(f"atlas/spec/manifest.toml [profiles.{profile}]: unknown key(s) "
                          f"{unknown} (a profile may set only {sorted(PROFILE_KEYS)})")
    return entry


def load_manifest(path: Path = MANIFEST_PATH, profile: str | None = None
                  ) -> dict[str, InputSpec]:
    """Read the manifest into ``{input key: InputSpec}``.

    ``profile`` names a ``[profiles.<name>]`` table whose keys replace those of every entry
    (only ``min_rows``: the tiny synthetic inputs of ``tests/fixtures/data`` select the
    ``fixture`` profile with their ``atlas_profile.toml``); None (the default, and the real
    inputs) applies the entries as written.

    Raises
    ------
    ConfigError
        if an entry has an unknown or inconsistent key, does not state its terms and
        attribution, or the profile is unknown.
    """
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    for key, entry in raw["inputs"].items():
        missing = [name for name in ("terms", "attribution") if not entry.get(name)]
        if missing:
            raise ConfigError(f"atlas/spec/manifest.toml [inputs.{key}]: no "
                              f"{' or '.join(missing)} (expected terms = one of {list(TERMS)} "
                              "and the credit line the outputs give)")
    overrides = profile_overrides(raw, profile) if profile is not None else {}
    return {key: spec_from_entry(key, {**entry, **overrides})
            for key, entry in raw["inputs"].items()}


def data_profile(data_dir: Path) -> str | None:
    """The input profile a data folder selects in its ``PROFILE_FILE``
    (``profile = "<name>"``), or None where it has none (the real inputs).

    Raises
    ------
    ConfigError
        if the file is not TOML or has no text ``profile``.
    """
    path = data_dir / PROFILE_FILE
    if not path.is_file():
        return None
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("profile")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML ({exc})") from exc
    if not isinstance(value, str):
        raise ConfigError(f"{path}: no profile = \"<name>\" (expected a profile of "
                          "[profiles] in atlas/spec/manifest.toml)")
    return value
