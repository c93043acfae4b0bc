"""A cache for results that depend only on the inputs (dissolved geometry, validated
geometry layers, contiguity), in a folder beside the outputs (``<out>/.cache/``).

An entry is keyed by the sha256 of everything it depends on (:func:`cache_key`: the inputs'
sha256, the parameters, ``CACHE_VERSION``). A cache file is read only when its name and
the key stored inside it both match; anything else (another key, a damaged file) is
recomputed and written anew. Without a folder (outside :func:`geometry_cache`) nothing is
cached. The folder is safe to delete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

CACHE_VERSION = 1  # raise when the dissolving code changes what it returns
_CACHE: dict[str, Path | None] = {"dir": None}
KEY_FIELD = b"atlas_cache_key"
KEEP = 8  # cache entries kept per name


@contextlib.contextmanager
def geometry_cache(folder: str | Path | None) -> Iterator[None]:
    """Cache geometry results in ``folder`` (``None``: no cache) while the block runs."""
    previous = _CACHE["dir"]
    _CACHE["dir"] = Path(folder) if folder is not None else None
    try:
        yield
    finally:
        _CACHE["dir"] = previous


def cache_key(*parts: object) -> str:
    """sha256 of the JSON of ``parts`` (and ``CACHE_VERSION``)."""
    text = json.dumps([CACHE_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cached_table(name: str, key: str) -> pa.Table | None:
    """The cached table of ``name`` for exactly ``key``, or None."""
    folder = _CACHE["dir"]
    path = folder / f"{name}-{key}.parquet" if folder is not None else None
    if path is None or not path.is_file():
        return None
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return None  # a damaged cache file: recomputed and replaced
    if (table.schema.metadata or {}).get(KEY_FIELD) != key.encode():
        return None
    path.touch()  # recently used: kept by the pruning in _store
    return table


def _store(name: str, key: str, table: pa.Table, extra: dict[bytes, bytes] | None = None
           ) -> None:
    """Write ``table`` (with the key and ``extra`` in its metadata) as the entry of ``key``;
    keep the ``KEEP`` most recently used entries of ``name``."""
    from atlas.files import atomic_write

    folder = _CACHE["dir"]
    folder.mkdir(parents=True, exist_ok=True)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **(extra or {}),
                                           KEY_FIELD: key.encode()})
    atomic_write(folder / f"{name}-{key}.parquet", lambda temp: pq.write_table(table, temp))
    entries = sorted(folder.glob(f"{name}-*.parquet"), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)


def cached_frame(name: str, key: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``compute()``, or its cached result for exactly this ``key``.

    The frame is stored as ``<cache>/<name>-<key>.parquet`` with the key in the file's
    metadata; a file whose stored key differs (or that cannot be read) is ignored and
    replaced. Of each name the ``KEEP`` most recently used keys are kept (a build uses one
    per level). Without a cache folder (:func:`geometry_cache`) this is ``compute()``.
    """
    if _CACHE["dir"] is None:
        return compute()
    table = _cached_table(name, key)
    if table is not None:
        return table.to_pandas()
    frame = compute()
    _store(name, key, pa.Table.from_pandas(frame, preserve_index=False))
    return frame


def cached_geoframe(name: str, key: str, compute: Callable[[], tuple]) -> tuple:
    """:func:`cached_frame` for ``compute() -> (GeoDataFrame, list of str)``: the geometry
    stored as WKB with its column name and CRS, the list in the file's metadata."""
    import geopandas as gpd
    import shapely

    if _CACHE["dir"] is None:
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
