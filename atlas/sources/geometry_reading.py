"""Validated reading of geometry inputs (GeoJSON, TopoJSON, ...), and polygon helpers.

:func:`read_geometry` reads a layer and checks it against its manifest entry: the file is
complete JSON (a truncated file is named with the line and column where it breaks), the layer
exists and has at least ``min_rows`` features, the declared property columns pass
:func:`atlas.sources.checks.validate_frame`, no geometry is null, none is empty unless its id is
in ``allow_empty``, types are among ``geometry_types``, ids are unique, and every geometry is
valid. An invalid geometry stops the build unless the manifest asks for a ``repair``
(``make_valid`` or ``split_antimeridian``); the ids of the repaired features are returned so
that the reader can say so in a data-quality note.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity

from atlas.errors import InputError
from atlas.sources.checks import check_encoding, validate_frame, where
from atlas.spec.manifest import InputSpec
from atlas.store.cache import cache_key
from atlas.store.cache_geo import cached_geoframe

POLYGONAL = {"Polygon", "MultiPolygon"}
WORLD = shapely.box(-180, -90, 180, 90)


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygons of a geometry (dissolving can leave stray lines or points)."""
    if geometry.geom_type in POLYGONAL:
        return geometry
    parts = [part for part in shapely.get_parts(geometry) if part.geom_type in POLYGONAL]
    return shapely.union_all(parts)


def valid_polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """A valid (multi)polygon: ``make_valid`` where needed, then only its polygons.

    Used on dissolved regions, whose unions can come out invalid or with stray lines.
    """
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return polygonal(geometry)


def split_antimeridian(geometry: shapely.Geometry) -> shapely.Geometry:
    """Split polygon parts that wrap across +-180 degrees (RFC 7946, section 3.1.9).

    A part whose longitudes span more than 180 degrees is taken to cross the antimeridian:
    its western longitudes are shifted by +360, and the part is cut at 180 and the eastern
    piece shifted back by -360. Works on raw rings (before any make_valid, which would turn a
    wrapping ring into a band round the globe); Antarctica is left whole.
    """
    parts = []
    for part in shapely.get_parts(geometry):
        if part.geom_type not in POLYGONAL:
            continue
        minx, miny, maxx, _ = part.bounds
        if maxx - minx <= 180 or miny < -60:  # no wrap, or the south polar cap (Antarctica)
            parts.append(shapely.make_valid(part))
            continue
        shifted = shapely.make_valid(
            shapely.transform(part, lambda xy: xy + [[360.0, 0.0]] * (xy[:, :1] < 0)))
        parts.append(shifted.intersection(WORLD))
        east = shifted.intersection(shapely.box(180, -90, 540, 90))
        parts.append(shapely.affinity.translate(east, -360.0, 0.0))
    return polygonal(shapely.union_all([p for p in parts if not p.is_empty]))


REPAIRS: dict[str, Callable[[shapely.Geometry], shapely.Geometry]] = {
    "make_valid": lambda geometry: polygonal(shapely.make_valid(geometry)),
    "split_antimeridian": split_antimeridian,
}


def check_json(data: bytes, spec: InputSpec, label: str) -> None:
    """A GeoJSON FeatureCollection or TopoJSON Topology that is complete and has features.

    Raises
    ------
    InputError
        for undecodable bytes, broken JSON (with the line and column where it breaks, as a
        truncated file does), another kind of document, a missing layer or no features.
    """
    text = check_encoding(data, label, spec.encoding)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(label, f"not valid JSON at line {exc.lineno}, column {exc.colno} "
                         f"({exc.msg})", expected="a complete GeoJSON or TopoJSON file; a "
                                                  "file cut short breaks here") from None
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        features = document.get("features")
        geometry_of = "geometry"
    elif kind == "Topology":
        objects = document.get("objects") or {}
        layer = spec.layer or next(iter(objects), None)
        if layer not in objects:
            raise InputError(label, f"no layer {layer!r} among the TopoJSON objects "
                             f"{sorted(objects)}",
                             expected="the layer atlas/spec/manifest.toml names")
        features = objects[layer].get("geometries")
        geometry_of = "type"  # a TopoJSON geometry object is its own feature
    else:
        raise InputError(label, f"a JSON document of type {kind!r}",
                         expected="a GeoJSON FeatureCollection or a TopoJSON Topology")
    if not isinstance(features, list) or len(features) < spec.min_rows:
        count = len(features) if isinstance(features, list) else 0
        raise InputError(label, f"has {count} features",
                         expected=f"at least {spec.min_rows} features, the min_rows of "
                                  "atlas/spec/manifest.toml; is the file empty or cut short?")
    # GDAL drops a TopoJSON feature whose type is null without a word: catch nulls here.
    for position, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get(geometry_of) is None:
            raise InputError(label, "null geometry", column="geometry",
                             feature=_json_feature(feature, spec, position),
                             expected="a geometry for every feature")


def _json_feature(feature: object, spec: InputSpec, position: int) -> str:
    """How a message names a feature of a JSON document: its position and id."""
    label = str(position + 1)
    if isinstance(feature, dict) and spec.id_column:
        properties = feature.get("properties") or {}
        value = properties.get(spec.id_column, feature.get(spec.id_column))
        if value is not None:
            label += f" ({spec.id_column} {str(value)!r})"
    return label


def read_layer(path: Path, data: bytes, spec: InputSpec, label: str) -> gpd.GeoDataFrame:
    """Read the manifest's layer of a geometry file; any reader error becomes one InputError."""
    if spec.suffix in {".json", ".geojson"}:
        check_json(data, spec, label)
    try:
        return gpd.read_file(path, layer=spec.layer)
    except Exception as exc:  # pyogrio/GDAL say what is wrong, in their own words
        raise InputError(label, f"could not be read as geometry: {exc}",
                         expected=f"a readable {spec.suffix} file with layer "
                                  f"{spec.layer or '(the first)'}") from exc


def feature_ids(frame: pd.DataFrame, spec: InputSpec, positions: np.ndarray) -> list[str]:
    """Ids of the features at ``positions`` (their id column, else ``#<position>``)."""
    if spec.id_column:
        return [str(frame[spec.id_column].iloc[p]) for p in positions]
    return [f"#{p + 1}" for p in positions]


def validate_geometry(frame: gpd.GeoDataFrame, spec: InputSpec,
                      label: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check (and where the manifest allows, repair) a geometry layer.

    Returns
    -------
    (GeoDataFrame, list of str)
        the layer with valid geometries, and the ids of the features that were repaired.

    Raises
    ------
    InputError
        naming the file, the feature (position and id) and the column for the first
        violation.
    """
    frame = validate_frame(frame, spec, label)
    geometry = np.asarray(frame.geometry.array, dtype=object)

    def fail(mask: np.ndarray, problem: Callable[[int], str], expected: str,
             column: str = "geometry") -> None:
        hits = np.asarray(mask).nonzero()[0]
        if len(hits):
            position = int(hits[0])
            raise InputError(label, problem(position), column=column, expected=expected,
                             **where(frame, spec, position))

    fail(shapely.is_missing(geometry), lambda p: "null geometry",
         "a geometry for every feature")
    ids = frame[spec.id_column].astype(str).to_numpy() if spec.id_column else None
    may_be_empty = (np.isin(ids, list(spec.allow_empty)) if ids is not None
                    else np.zeros(len(geometry), dtype=bool))
    fail(shapely.is_empty(geometry) & ~may_be_empty, lambda p: "empty geometry",
         "a non-empty geometry, or its id in allow_empty of atlas/spec/manifest.toml")
    if spec.geometry_types:
        types = np.array([g.geom_type for g in geometry])
        fail(~np.isin(types, spec.geometry_types), lambda p: f"a {types[p]}",
             f"one of {list(spec.geometry_types)}")
    if spec.id_column:
        id_values = frame[spec.id_column]
        fail((id_values.notna() & id_values.duplicated(keep="first")).to_numpy(),
             lambda p: "duplicate feature id", "one feature per id", spec.id_column)
    invalid = ~shapely.is_valid(geometry)
    reasons = shapely.is_valid_reason(geometry)
    if not spec.repair:
        fail(invalid, lambda p: f"invalid geometry: {reasons[p]}",
             "a valid geometry; repair = true in atlas/spec/manifest.toml would repair it with "
             "shapely.make_valid")
        return frame, []
    positions = invalid.nonzero()[0]
    repair = REPAIRS[spec.repair]
    geometry[positions] = [repair(g) for g in geometry[positions]]
    unrepaired = np.zeros(len(geometry), dtype=bool)
    unrepaired[positions] = ~shapely.is_valid(geometry[positions]) | (
        shapely.is_empty(geometry[positions]) & ~may_be_empty[positions])
    fail(unrepaired, lambda p: f"invalid geometry: {reasons[p]}, which {spec.repair} cannot "
         "repair", "a valid geometry")
    frame = frame.copy()
    frame[frame.geometry.name] = gpd.GeoSeries(geometry, index=frame.index, crs=frame.crs)
    return frame, feature_ids(frame, spec, positions)


def read_geometry(path: Path, data: bytes, spec: InputSpec,
                  label: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read and validate one geometry input; returns the layer and the repaired feature ids.

    The validated layer depends only on the file's bytes, its manifest entry and the
    geometry libraries, so within :func:`atlas.store.cache.geometry_cache` it is cached under the
    sha256 of those (a file that changed by one byte is read and validated again).
    """
    from importlib.metadata import version

    key = cache_key("read_geometry", hashlib.sha256(data).hexdigest(), repr(spec),
                    gpd.__version__, shapely.__version__, version("pyogrio"))  # GDAL inside
    return cached_geoframe(f"layer_{spec.key}", key, lambda: validate_geometry(
        read_layer(path, data, spec, label), spec, label))
