"""Region geometry, the helpers every level's reader uses (the US dissolves are in
:mod:`atlas.sources.us.geometry`).

Stored in the database as ``region_geometry(level, region_id, geometry)`` with WKB in
EPSG:4326, readable by ``geopandas.GeoSeries.from_wkb``; every stored geometry is a valid
(multi)polygon. The counties come through :meth:`atlas.sources.inputs.Inputs.geometry`, which has
already checked and repaired them (``atlas/spec/manifest.toml``).
"""

from __future__ import annotations

from atlas.sources.geometry_reading import WORLD, polygonal, split_antimeridian, valid_polygonal
from atlas.store.cache import KEY_FIELD, cache_key, cached_frame, geometry_cache

__all__ = ["KEY_FIELD", "WORLD", "cache_key", "cached_frame", "geometry_cache", "polygonal",
           "split_antimeridian", "valid_polygonal"]
