"""Geometry for display: insets, simplification, bounds and label points.

Everything here changes only what is drawn, never the database: insets move far-away parts
(Alaska, Hawaii, Puerto Rico) next to the main map as declared in ``atlas/spec/levels.toml``, and
shapes are simplified to the map's tolerance and rounded to 0.001 degrees (about 100 m) so a
map stays a few megabytes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from atlas.maps.specs import Inset, MapSpec
from atlas.store.cache import cache_key, cached_frame

PRECISION = 0.001  # degrees: coordinates are rounded to this grid after simplification
FRAME_MARGIN = 0.6  # degrees around an inset's frame


def apply_inset(inset: Inset, geometry: shapely.Geometry) -> shapely.Geometry:
    """Move one region's geometry into its inset.

    Parameters
    ----------
    inset : Inset
        ``unwrap`` shifts positive longitudes by -360 (Alaska's Aleutians), then the shape is
        scaled by ``scale`` about ``origin`` and translated so that ``origin`` lands on ``to``.
    geometry : shapely.Geometry
        WGS84 longitude / latitude.

    Returns
    -------
    shapely.Geometry
        The moved geometry (for display only).
    """
    if inset.unwrap:
        geometry = shapely.transform(geometry, lambda xy: np.where(
            np.c_[xy[:, 0] > 0, np.zeros(len(xy), bool)], xy - [360, 0], xy))
    moved = affinity.scale(geometry, inset.scale[0], inset.scale[1], origin=inset.origin)
    return affinity.translate(moved, inset.to[0] - inset.origin[0],
                              inset.to[1] - inset.origin[1])


def inset_for(spec: MapSpec, row: dict[str, Any]) -> Inset | None:
    """The inset a region belongs to (by its declared column), or None."""
    for inset in spec.insets:
        if row.get(inset.column) in inset.values:
            return inset
    return None


def display_shapes(con: duckdb.DuckDBPyConnection, level: str, spec: MapSpec
                   ) -> tuple[dict[str, shapely.Geometry], dict[int, list], dict[str, list]]:
    """The level's shapes as drawn: moved into insets, simplified, rounded.

    The result depends only on the level's geometry, the regions' inset columns and the
    spec's insets and tolerance, so within :func:`atlas.store.cache.geometry_cache` it is cached
    under the sha256 of those (simplifying takes most of a map's drawing time).

    Returns
    -------
    shapes : dict
        ``{region_id: geometry}``, empty geometries left out.
    moved : dict
        ``{inset index: [geometry, ...]}``: what each inset holds (for its frame).
    points : dict
        ``{region_id: [lat, lon]}``: :func:`label_points` of the drawn shapes (computed
        before they are cached: GEOS snaps a point on a reduced-precision shape to its grid).
    """
    columns = sorted({inset.column for inset in spec.insets})
    select = "".join(f", r.{c}" for c in columns)
    rows = con.execute(f"""
        SELECT g.region_id, g.geometry{select}
        FROM region_geometry AS g
        LEFT JOIN regions AS r ON r.level = g.level AND r.region_id = g.region_id
        WHERE g.level = ? ORDER BY g.region_id""", [level]).fetchall()
    digest = hashlib.sha256(repr((spec.insets, spec.simplify, PRECISION)).encode())
    for region_id, wkb, *values in rows:
        digest.update(repr((region_id, values, len(wkb))).encode() + bytes(wkb))
    drawn = cached_frame("display_shapes", cache_key("display_shapes", digest.hexdigest()),
                         lambda: _drawn(rows, columns, spec))
    geometries = shapely.from_wkb(drawn["geometry"].to_numpy())
    shapes = dict(zip(drawn["region_id"], geometries, strict=True))
    moved: dict[int, list] = {}
    for inset, geometry in zip(drawn["inset"], geometries, strict=True):
        if inset >= 0:
            moved.setdefault(int(inset), []).append(geometry)
    points = {region_id: [float(lat), float(lon)] for region_id, lat, lon
              in zip(drawn["region_id"], drawn["lat"], drawn["lon"], strict=True)}
    return shapes, moved, points


def _drawn(rows: list[tuple], columns: list[str], spec: MapSpec) -> pd.DataFrame:
    """``region_id, inset`` (-1: none), the drawn ``geometry`` (WKB) and its label point
    ``lat, lon`` of each region whose drawn shape is not empty, in the order of ``rows``."""
    out = []
    for region_id, wkb, *values in rows:
        geometry = shapely.from_wkb(bytes(wkb))
        inset = inset_for(spec, dict(zip(columns, values, strict=True)))
        if inset is not None:
            geometry = apply_inset(inset, geometry)
        geometry = shapely.set_precision(
            geometry.simplify(spec.simplify, preserve_topology=True), PRECISION)
        if not geometry.is_empty:
            lat, lon = label_points({region_id: geometry})[region_id]
            out.append((region_id, -1 if inset is None else spec.insets.index(inset),
                        shapely.to_wkb(geometry), lat, lon))
    return pd.DataFrame(out, columns=["region_id", "inset", "geometry", "lat", "lon"]).astype(
        {"inset": "int64", "lat": "float64", "lon": "float64"})


def feature_collection(shapes: dict[str, shapely.Geometry]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection, feature ``id`` = region_id."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": region_id, "properties": {},
         "geometry": shapely.geometry.mapping(geometry)}
        for region_id, geometry in shapes.items()]}


def inset_frames(moved: dict[int, list]) -> list[dict[str, Any]]:
    """One rectangle around each inset's shapes, so a reader sees they were moved."""
    frames = []
    for index, geometries in sorted(moved.items()):
        minx, miny, maxx, maxy = shapely.union_all(geometries).bounds
        box = shapely.box(minx - FRAME_MARGIN, miny - FRAME_MARGIN, maxx + FRAME_MARGIN,
                          maxy + FRAME_MARGIN)
        frames.append({"type": "Feature", "id": f"inset-{index}", "properties": {},
                       "geometry": shapely.geometry.mapping(
                           shapely.LineString(box.exterior.coords))})
    return frames


def label_points(shapes: dict[str, shapely.Geometry]) -> dict[str, list[float]]:
    """``{region_id: [lat, lon]}``: a point inside each region's largest part."""
    points = {}
    for region_id, shape in shapes.items():
        if shape.geom_type in ("MultiPolygon", "GeometryCollection"):
            parts = [g for g in shape.geoms if g.area > 0] or list(shape.geoms)
            shape = max(parts, key=lambda g: g.area)
        point = shape.representative_point()
        points[region_id] = [round(point.y, 3), round(point.x, 3)]
    return points


def bounds(shapes: list[shapely.Geometry]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the shapes (None when there are none)."""
    if not shapes:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(shapes)
    return [[round(miny, 3), round(minx, 3)], [round(maxy, 3), round(maxx, 3)]]


def map_geometry(con: duckdb.DuckDBPyConnection, spec: MapSpec,
                 with_data: set[str]) -> dict[str, Any]:
    """The geometry part of a map's DATA.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database.
    spec : MapSpec
        The level's map declaration (insets, simplification, outline level).
    with_data : set of str
        Regions that have indices: the map opens on their bounds.

    Returns
    -------
    dict
        ``geo``, ``outlines`` (the outline level and the inset frames, or None),
        ``centroids`` (label points) and ``bounds``.
    """
    shapes, moved, points = display_shapes(con, spec.level, spec)
    outlines = []
    if spec.outline_level:
        outline_shapes, _, _ = display_shapes(con, spec.outline_level, spec)
        outlines = feature_collection(outline_shapes)["features"]
    outlines += inset_frames(moved)
    shown = [shape for region_id, shape in shapes.items() if region_id in with_data]
    return {"geo": feature_collection(shapes),
            "outlines": {"type": "FeatureCollection", "features": outlines} if outlines else None,
            "centroids": points,
            "bounds": bounds(shown) or bounds(list(shapes.values()))}
