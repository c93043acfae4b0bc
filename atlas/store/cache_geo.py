"""Geometry frames in the cache (:mod:`atlas.store.cache`): a GeoDataFrame stored as a
table entry, its geometry as WKB."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.store.cache import _CACHE, _cached_table, _store


def cached_geoframe(name: str, key: str, compute: Callable[[], tuple]) -> tuple:
    """:func:`atlas.store.cache.cached_frame` for ``compute() -> (GeoDataFrame, list of str)``:
    the geometry stored as WKB with its column name and CRS, the list in the file's metadata."""
    import geopandas as gpd
    import shapely

    if _CACHE["session"] is None:
        return compute()
    table = _cached_table(name, key)
    if table is not None:
        meta = table.schema.metadata
        column = meta[b"atlas_geometry"].decode()
        frame = table.to_pandas()
        frame[column] = shapely.from_wkb(frame[column].to_numpy())
        crs = meta[b"atlas_crs"].decode() or None
        return (gpd.GeoDataFrame(frame, geometry=column, crs=crs),
                json.loads(meta[b"atlas_extra"]))
    frame, extra = compute()
    column = frame.geometry.name
    plain = pd.DataFrame(frame).assign(**{column: shapely.to_wkb(
        np.asarray(frame.geometry.array, dtype=object))})
    _store(name, key, pa.Table.from_pandas(plain, preserve_index=True), {
        b"atlas_geometry": column.encode(),
        b"atlas_crs": frame.crs.to_wkt().encode() if frame.crs else b"",
        b"atlas_extra": json.dumps(list(extra)).encode()})
    return frame, extra
