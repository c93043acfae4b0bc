"""Contiguous trap zones: clusters of high collapse risk (Local Moran's I, High-High).

A geographic unemployment trap is a cluster, not a dot. For each level with geometry:

1. queen contiguity between regions (libpysal); an island (a region touching no other, such
   as the Hawaiian areas) is attached to its nearest region by centroid distance, so every
   region has at least one neighbour; weights are row-standardised;
2. Local Moran's I of collapse_risk (esda), conditional permutation inference with a fixed
   seed (esda's folded, one-sided pseudo p-value ``p_sim``); regions with p < alpha in the
   High-High quadrant (high risk, surrounded by high risk) are trap-zone cells;
3. each connected set of High-High cells (under the same contiguity) is one trap zone, named
   after its member with the most jobs.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import TYPE_CHECKING, Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components

from atlas.cache import cache_key, cached_frame
from atlas.store import register_table

if TYPE_CHECKING:  # esda and libpysal take 1.7 s to import: loaded where they are used
    from libpysal.weights import W

# what atlas.prefetch may import in the background while the build reads and computes
HEAVY_IMPORTS = ("esda.moran", "libpysal.weights")

HIGH_HIGH = 1


def contiguity(frame: gpd.GeoDataFrame) -> W:
    """Queen contiguity with islands attached to their nearest neighbour; row-standardised.

    The neighbour lists depend only on the polygons, so they are cached like dissolved
    geometry (:func:`atlas.geometry.cached_frame`), keyed by the sha256 of the polygons'
    WKB in order.
    """
    from libpysal.weights import W

    digest = hashlib.sha256(str(frame.crs).encode())
    for wkb in shapely.to_wkb(np.asarray(frame.geometry.array, dtype=object)):
        digest.update(len(wkb).to_bytes(8, "little") + wkb)
    pairs = cached_frame("contiguity", cache_key("contiguity", digest.hexdigest()),
                         lambda: _neighbour_pairs(frame))
    neighbours: dict[int, list[int]] = {i: [] for i in range(len(frame))}
    for focal, neighbour in zip(pairs["focal"].to_numpy(), pairs["neighbour"].to_numpy(),
                                strict=True):
        neighbours[int(focal)].append(int(neighbour))
    weights = W(neighbours, silence_warnings=True)
    weights.transform = "r"
    return weights


def _neighbour_pairs(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The binary neighbour lists of :func:`contiguity` as ``focal, neighbour`` rows (in
    list order)."""
    from libpysal.weights import KNN, Queen, attach_islands

    with warnings.catch_warnings():  # disconnected components are expected (islands, AK)
        warnings.simplefilter("ignore", UserWarning)
        weights = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
        if weights.islands:
            centroids = frame.to_crs("EPSG:5070").centroid if frame.crs else frame.centroid
            points = np.column_stack([centroids.x, centroids.y])
            nearest = KNN.from_array(points, k=1, silence_warnings=True)
            weights = attach_islands(weights, nearest)
    rows = [(focal, neighbour) for focal in range(len(frame))
            for neighbour in weights.neighbors.get(focal, [])]
    return pd.DataFrame(rows, columns=["focal", "neighbour"], dtype=np.int64)


def local_clusters(values: np.ndarray, weights: W, seed: int, permutations: int = 999,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Local Moran quadrant, pseudo p-value and High-High cluster id of every observation.

    Returns
    -------
    DataFrame with ``quadrant`` (1 HH, 2 LH, 3 LL, 4 HL), ``p_value``, ``high_high`` (bool)
    and ``cluster`` (0.. for High-High cells, -1 otherwise), in the order of ``values``.
    """
    from esda.moran import Moran_Local

    with warnings.catch_warnings():  # esda announces a future change of its default test
        warnings.simplefilter("ignore", DeprecationWarning)
        lisa = Moran_Local(np.asarray(values, dtype=float), weights, permutations=permutations,
                           seed=seed)
    high_high = (lisa.q == HIGH_HIGH) & (lisa.p_sim < alpha)
    cluster = np.full(len(values), -1)
    if high_high.any():
        adjacency = weights.sparse.tocsr()
        cells = np.flatnonzero(high_high)
        sub = adjacency[cells][:, cells]
        _, labels = connected_components(sub, directed=False)
        cluster[cells] = labels
    return pd.DataFrame({"quadrant": lisa.q, "p_value": lisa.p_sim, "high_high": high_high,
                         "cluster": cluster})


def level_trap_zones(con: duckdb.DuckDBPyConnection, level: str, seed: int,
                     permutations: int, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Region cluster labels and zone summaries for one level."""
    rows = con.execute("""
        SELECT r.region_id, r.name, r.total_employment, r.collapse_risk, g.geometry
        FROM region_indices AS r
        JOIN region_geometry AS g USING (level, region_id)
        WHERE r.level = ? AND r.collapse_risk IS NOT NULL
        ORDER BY r.region_id""", [level]).df()
    frame = gpd.GeoDataFrame(rows.drop(columns="geometry"),
                             geometry=shapely.from_wkb(rows["geometry"].map(bytes)),
                             crs="EPSG:4326")
    labels = local_clusters(frame["collapse_risk"].to_numpy(), contiguity(frame), seed,
                            permutations, alpha)
    regions = pd.concat([frame[["region_id", "name", "total_employment", "collapse_risk"]],
                         labels], axis=1)
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


def compute_trap_zones(con: duckdb.DuckDBPyConnection, config: dict[str, Any]) -> None:
    """Write ``trap_zones`` and ``region_lisa`` (whose ``trap_zone`` the ``region_indices``
    view shows)."""
    settings = config["trap_zones"]
    levels = [row[0] for row in con.execute("""
        SELECT r.level FROM region_indices AS r
        JOIN region_geometry AS g USING (level, region_id)
        WHERE r.collapse_risk IS NOT NULL
        GROUP BY r.level HAVING count(*) >= ? ORDER BY r.level""",
                                             [settings["min_regions"]]).fetchall()]
    region_frames, zone_frames = [], []
    for level in levels:
        regions, zones = level_trap_zones(con, level, settings["seed"], settings["permutations"],
                                          settings["alpha"])
        region_frames.append(regions)
        zone_frames.append(zones)
    columns = ["level", "region_id", "quadrant", "p_value", "high_high", "trap_zone"]
    region_lisa = pd.concat(region_frames, ignore_index=True) if region_frames else \
        pd.DataFrame(columns=columns)
    zone_columns = ["level", "zone_id", "zone_name", "regions", "jobs", "mean_collapse_risk",
                    "members"]
    zones = (pd.concat(zone_frames, ignore_index=True) if zone_frames
             else pd.DataFrame(columns=zone_columns))[zone_columns]
    register_table(con, "region_lisa", region_lisa.astype({"trap_zone": "object"}))
    register_table(con, "trap_zones", zones)
