"""Region geometry: Census 2023 counties dissolved into OEWS areas, states and the nation.

Stored in the database as ``region_geometry(level, region_id, geometry)`` with WKB in
EPSG:4326, readable by ``geopandas.GeoSeries.from_wkb``; every stored geometry is a valid
(multi)polygon. The counties come through :meth:`atlas.inputs.Inputs.geometry`, which has
already checked and repaired them (``data/manifest.toml``).

Dissolving is the slow part, and its result only depends on the inputs, so it is cached
(:func:`geometry_cache`): a build keeps the dissolved regions in ``<out>/.cache/`` under a
key that is the sha256 of everything they depend on (the inputs' sha256, the area to region
mapping, ``CACHE_VERSION``). A cache file is read only when its name and the key stored
inside it both match; anything else is recomputed. The folder is safe to delete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from atlas.geodata import WORLD, polygonal, split_antimeridian, valid_polygonal
from atlas.inputs import Inputs

__all__ = ["WORLD", "cached_frame", "geometry_cache", "polygonal", "split_antimeridian",
           "us_region_geometry", "valid_polygonal"]

CACHE_VERSION = 1  # raise when the dissolving code changes what it returns
_CACHE: dict[str, Path | None] = {"dir": None}
KEY_FIELD = b"atlas_cache_key"
KEEP = 8  # cache entries kept per name


@contextlib.contextmanager
def geometry_cache(folder: str | Path | None) -> Iterator[None]:
    """Cache dissolved geometry in ``folder`` (``None``: no cache) while the block runs."""
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


def cached_frame(name: str, key: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``compute()``, or its cached result for exactly this ``key``.

    The frame is stored as ``<cache>/<name>-<key>.parquet`` with the key in the file's
    metadata; a file whose stored key differs (or that cannot be read) is ignored and
    replaced. Of each name the ``KEEP`` most recently used keys are kept (a build uses one
    per level). Without a cache folder (:func:`geometry_cache`) this is ``compute()``.
    """
    folder = _CACHE["dir"]
    if folder is None:
        return compute()
    path = folder / f"{name}-{key}.parquet"
    if path.is_file():
        try:
            table = pq.read_table(path)
            if (table.schema.metadata or {}).get(KEY_FIELD) == key.encode():
                path.touch()  # recently used: kept by the pruning below
                return table.to_pandas()
        except (OSError, pa.ArrowException):
            pass  # a damaged cache file: recompute and replace it
    frame = compute()
    from atlas.files import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), KEY_FIELD: key})
    atomic_write(path, lambda temp: pq.write_table(table, temp))
    entries = sorted(folder.glob(f"{name}-*.parquet"), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)
    return frame


def us_region_geometry(inputs: Inputs, regions: pd.DataFrame) -> pd.DataFrame:
    """Dissolve 2023 counties into every US region (cached, see :func:`geometry_cache`).

    Returns
    -------
    DataFrame ``level, region_id, geometry`` (WKB bytes of valid polygons); regions without
    counties (Guam, the Virgin Islands) have no row.
    """
    counties = inputs.geometry("counties_2023")  # read and validated once per Inputs
    crosswalk = inputs.table("county_crosswalk")
    areas = regions.loc[regions["level"] == "us_area"].set_index("area_code")["region_id"]
    key = cache_key("us_region_geometry",
                    inputs.provenance["counties_2023"]["sha256"],
                    inputs.provenance["county_crosswalk"]["sha256"],
                    sorted(zip(areas.index.astype(str), areas.astype(str), strict=True)))
    return cached_frame("us_region_geometry", key,
                        lambda: _dissolve_us(counties, crosswalk, areas))


def _dissolve_us(counties, crosswalk: pd.DataFrame, areas: pd.Series) -> pd.DataFrame:
    """The dissolves behind :func:`us_region_geometry`."""
    counties = counties.merge(crosswalk[["county_fips", "oews_area_code", "state_fips"]],
                              left_on="id", right_on="county_fips", how="inner")
    counties["area_id"] = counties["oews_area_code"].map(areas)
    pieces = []
    for level, column in (("us_area", "area_id"), ("us_state", "state_fips")):
        dissolved = counties.dissolve(by=column)[["geometry"]].reset_index()
        shapes = [valid_polygonal(g) for g in dissolved.geometry]
        pieces.append(pd.DataFrame({"level": level, "region_id": dissolved[column],
                                    "geometry": shapely.to_wkb(shapes)}))
    nation = counties.loc[counties["state_fips"] != "72"].union_all()
    pieces.append(pd.DataFrame({"level": ["us_nation"], "region_id": ["US"],
                                "geometry": [shapely.to_wkb(valid_polygonal(nation))]}))
    return pd.concat(pieces, ignore_index=True)
