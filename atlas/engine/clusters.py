"""Contiguous trap zones: clusters of high collapse risk (Local Moran's I, High-High).

A geographic unemployment trap is a cluster, not a dot. For each level with geometry:

1. queen contiguity between regions (two regions are neighbours when their boundaries share
   a vertex, libpysal's ``Queen`` rule, found here with one sort of every vertex); an island
   (a region touching no other, such as the Hawaiian areas) is attached to its nearest region
   by centroid distance (libpysal's ``attach_islands`` with a ``KNN`` of k = 1), so every
   region has at least one neighbour; weights are row-standardised;
2. Local Moran's I of collapse_risk (esda, :mod:`atlas.engine.local_moran`), conditional permutation
   inference with a fixed seed (esda's folded, one-sided pseudo p-value ``p_sim``); regions
   with p < alpha in the High-High quadrant (high risk, surrounded by high risk) are
   trap-zone cells;
3. each connected set of High-High cells (under the same contiguity) is one trap zone, named
   after its member with the most jobs.

:func:`start_trap_zones` reads every level and hands step 2 to an executor (the build's
second process), so that it runs while the build computes the rank uncertainty; the step it
returns waits and writes the tables. :func:`compute_trap_zones` does both at once.

The build reads the polygons as the database stores them (WKB) and keys the contiguity by
those bytes: geopandas, shapely and SciPy's k-d tree (about 0.6 s of imports) are imported
only when the contiguity is not in the cache (a rebuild finds it there).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.local_moran import level_clusters, neighbour_lists
from atlas.spec.config_types import AtlasConfig
from atlas.store.cache import cache_key, cached_frame
from atlas.store.database import register_table

if TYPE_CHECKING:
    import geopandas as gpd

KNN_LEAF_SIZE = 10  # libpysal's KDTree default: the same tree, so the same nearest neighbour
CRS = "EPSG:4326"  # of region_geometry


def contiguity_pairs(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Queen contiguity with islands attached to their nearest neighbour, as binary
    ``focal, neighbour`` pairs (positions in ``frame``).

    The pairs depend only on the polygons, so they are cached like dissolved geometry
    (:func:`atlas.store.cache.cached_frame`), keyed by the sha256 of the polygons' WKB in order.
    """
    import shapely

    return wkb_contiguity_pairs(
        list(shapely.to_wkb(np.asarray(frame.geometry.array, dtype=object))), str(frame.crs),
        lambda: frame)


def wkb_contiguity_pairs(polygons: list[bytes], crs: str,
                         frame: Callable[[], gpd.GeoDataFrame] | None = None) -> pd.DataFrame:
    """:func:`contiguity_pairs` of the ``polygons`` given as WKB in ``crs`` (the key is made
    of those bytes, as shapely writes them), parsed only if the cache has no pairs for them
    (``frame``: their GeoDataFrame, if already made)."""
    digest = hashlib.sha256(crs.encode())
    for wkb in polygons:
        digest.update(len(wkb).to_bytes(8, "little") + wkb)
    return cached_frame("contiguity", cache_key("contiguity", "shared vertices",
                                                digest.hexdigest()),
                        lambda: _neighbour_pairs(frame() if frame is not None
                                                 else _geo_frame(polygons, crs)))


def _geo_frame(polygons: list[bytes], crs: str) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(geometry=shapely.from_wkb(np.array(polygons, dtype=object)),
                            crs=crs)


def shared_vertex_pairs(geometries: np.ndarray) -> pd.DataFrame:
    """Queen neighbours: every ordered pair ``focal, neighbour`` (``focal != neighbour``) of
    geometries whose boundaries share at least one vertex (exactly equal coordinates, as in
    libpysal's ``Queen``), sorted.

    Parameters
    ----------
    geometries
        Polygons and multipolygons, in the order whose positions the pairs name.
    """
    import shapely

    coordinates, owner = shapely.get_coordinates(geometries, return_index=True)
    vertices = pd.DataFrame({"x": coordinates[:, 0], "y": coordinates[:, 1], "owner": owner})
    vertices = vertices.drop_duplicates()
    shared = vertices.loc[vertices.duplicated(["x", "y"], keep=False)]
    by_vertex = pd.DataFrame({
        "vertex": shared.groupby(["x", "y"], sort=False).ngroup().to_numpy(),
        "owner": shared["owner"].to_numpy()})
    pairs = by_vertex.merge(by_vertex, on="vertex", suffixes=("_focal", "_neighbour"))
    pairs = pairs.loc[pairs["owner_focal"] != pairs["owner_neighbour"],
                      ["owner_focal", "owner_neighbour"]].drop_duplicates()
    pairs.columns = ["focal", "neighbour"]
    return pairs.sort_values(["focal", "neighbour"]).reset_index(drop=True).astype(np.int64)


def nearest_other(points: np.ndarray) -> np.ndarray:
    """Index of each point's nearest other point (Euclidean), as libpysal's ``KNN`` with
    k = 1 finds it (the same k-d tree; a duplicate point may be its own nearest)."""
    from scipy.spatial import cKDTree

    _, indices = cKDTree(points, KNN_LEAF_SIZE).query(points, k=2, p=2)
    not_self = indices != np.arange(len(points))[:, None]
    not_self[not_self.sum(axis=1) == 2, -1] = False
    return indices[not_self]


def attach_islands(lists: dict[int, list[int]], nearest: np.ndarray) -> None:
    """Give every island (a region without neighbours) its nearest region, and that region
    the island, in island order: libpysal's ``attach_islands`` (whose later island overwrites
    the list of an earlier island's nearest, if that is an island too)."""
    for island in [i for i, neighbours in lists.items() if not neighbours]:
        other = int(nearest[island])
        lists[island] = [other]
        lists[other] = lists[other] + [island]


def _neighbour_pairs(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The pairs of :func:`contiguity_pairs`: shared vertices, then islands attached."""
    pairs = shared_vertex_pairs(np.asarray(frame.geometry.array, dtype=object))
    lists = neighbour_lists(len(frame), pairs["focal"], pairs["neighbour"])
    if len(frame) < 2 or all(lists.values()):
        return pairs
    centroids = frame.to_crs("EPSG:5070").centroid if frame.crs else frame.centroid
    attach_islands(lists, nearest_other(np.column_stack([centroids.x, centroids.y])))
    rows = [(focal, neighbour) for focal, neighbours in lists.items()
            for neighbour in neighbours]
    return pd.DataFrame(rows, columns=["focal", "neighbour"], dtype=np.int64)


def level_regions(con: duckdb.DuckDBPyConnection, level: str) -> gpd.GeoDataFrame:
    """The level's ranked regions with their geometry, in ``region_id`` order."""
    return ranked_regions(con, [level]).get(level, _regions_frame(pd.DataFrame(
        columns=["region_id", "name", "total_employment", "collapse_risk", "geometry"])))


def _regions_frame(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(rows.drop(columns="geometry").reset_index(drop=True),
                            geometry=shapely.from_wkb(rows["geometry"].map(bytes).to_numpy()),
                            crs=CRS)


def ranked_regions(con: duckdb.DuckDBPyConnection, levels: list[str] | None = None,
                   min_regions: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """:func:`level_regions` of the ``levels`` (None: every level) that have at least
    ``min_regions`` ranked regions with a geometry, in level order: one query of
    ``region_indices`` (a view of many joins) instead of one per level."""
    return {level: _regions_frame(rows) for level, rows in
            ranked_rows(con, levels, min_regions).items()}


def ranked_rows(con: duckdb.DuckDBPyConnection, levels: list[str] | None = None,
                min_regions: int = 0) -> dict[str, pd.DataFrame]:
    """The rows of :func:`ranked_regions`, their ``geometry`` the stored WKB (bytes), in
    ``region_id`` order (index 0..n-1)."""
    rows = con.execute("""
        SELECT r.level, r.region_id, r.name, r.total_employment, r.collapse_risk, g.geometry
        FROM region_indices AS r
        JOIN region_geometry AS g USING (level, region_id)
        WHERE r.collapse_risk IS NOT NULL AND (? IS NULL OR list_contains(?, r.level))
        ORDER BY r.level, r.region_id""", [levels, levels]).df()
    return {str(level): group.drop(columns="level").reset_index(drop=True)
            for level, group in rows.groupby("level", sort=True)
            if len(group) >= min_regions}


def level_zones(level: str, frame: pd.DataFrame, labels: pd.DataFrame
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Region cluster labels and zone summaries of one level, from its Local Moran labels."""
    regions = pd.concat([frame[["region_id", "name", "total_employment", "collapse_risk"]]
                         .reset_index(drop=True), labels], axis=1)
    zones = []
    members = regions.loc[regions["cluster"] >= 0]
    for cluster, group in members.groupby("cluster"):
        largest = group.sort_values(["total_employment", "region_id"],
                                    ascending=[False, True]).iloc[0]
        zones.append({"level": level, "cluster": int(cluster), "zone_name": largest["name"],
                      "regions": len(group), "jobs": group["total_employment"].sum(),
                      "mean_collapse_risk": group["collapse_risk"].mean(),
                      "members": "; ".join(sorted(group["name"]))})
    zone_frame = pd.DataFrame(zones, columns=["level", "cluster", "zone_name", "regions", "jobs",
                                              "mean_collapse_risk", "members"])
    # zone ids: 1 = most jobs, stable across runs
    zone_frame = zone_frame.sort_values(["jobs", "zone_name"], ascending=[False, True])
    zone_frame["zone_id"] = [f"{level}-Z{i + 1:02d}" for i in range(len(zone_frame))]
    ids = dict(zip(zone_frame["cluster"], zone_frame["zone_id"], strict=True))
    regions["trap_zone"] = regions["cluster"].map(ids)
    regions["level"] = level
    return (regions[["level", "region_id", "quadrant", "p_value", "high_high", "trap_zone"]],
            zone_frame.drop(columns="cluster"))


def _run_now(function: Callable[..., pd.DataFrame], *args: Any) -> Future:
    future: Future = Future()
    future.set_result(function(*args))
    return future


ZONE_COLUMNS = ["level", "zone_id", "zone_name", "regions", "jobs", "mean_collapse_risk",
                "members"]
LISA_COLUMNS = ["level", "region_id", "quadrant", "p_value", "high_high", "trap_zone"]
# the column types of an empty trap_zones (no level has a zone): DuckDB would read the empty
# object columns as INTEGER, and `level = ?` on them fails (the shareable edition's withhold)
ZONE_TYPES = {"level": "str", "zone_id": "str", "zone_name": "str", "regions": "int64",
              "jobs": "float64", "mean_collapse_risk": "float64", "members": "str"}


def start_trap_zones(con: duckdb.DuckDBPyConnection, config: AtlasConfig,
                     executor: Executor | None = None
                     ) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """Read every level with enough ranked regions and start its Local Moran (in
    ``executor``, else here and now); returns the step that waits for the results and writes
    ``trap_zones`` and ``region_lisa`` (whose ``trap_zone`` the ``region_indices`` view
    shows)."""
    settings = config.trap_zones
    submit = executor.submit if executor is not None else _run_now
    started = []
    for level, rows in ranked_rows(con, min_regions=settings.min_regions).items():
        pairs = wkb_contiguity_pairs(rows["geometry"].map(bytes).tolist(), CRS)
        frame = rows.drop(columns="geometry")
        started.append((level, frame, submit(
            level_clusters, frame["collapse_risk"].to_numpy(float),
            pairs["focal"].to_numpy(), pairs["neighbour"].to_numpy(), settings.seed,
            settings.permutations, settings.alpha)))

    def finish(con: duckdb.DuckDBPyConnection) -> None:
        region_frames, zone_frames = [], []
        for level, frame, future in started:
            regions, zones = level_zones(level, frame, future.result())
            region_frames.append(regions)
            zone_frames.append(zones)
        region_lisa = pd.concat(region_frames, ignore_index=True) if region_frames else \
            pd.DataFrame(columns=LISA_COLUMNS)
        zones = (pd.concat(zone_frames, ignore_index=True) if zone_frames
                 else pd.DataFrame(columns=ZONE_COLUMNS))[ZONE_COLUMNS]
        register_table(con, "region_lisa", region_lisa.astype({"trap_zone": "object"}))
        register_table(con, "trap_zones", zones.astype(ZONE_TYPES) if zones.empty else zones)

    return finish


def compute_trap_zones(con: duckdb.DuckDBPyConnection, config: AtlasConfig) -> None:
    """Write ``trap_zones`` and ``region_lisa`` (:func:`start_trap_zones`, here and now)."""
    start_trap_zones(con, config)(con)
