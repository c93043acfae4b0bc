"""Region geometry: Census 2023 counties dissolved into OEWS areas, states and the nation.

Stored in the database as ``region_geometry(level, region_id, geometry)`` with WKB in
EPSG:4326, readable by ``geopandas.GeoSeries.from_wkb``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
import shapely.affinity

from atlas.inputs import Inputs


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygons of a geometry (dissolving can leave stray lines or points)."""
    if geometry.geom_type in {"Polygon", "MultiPolygon"}:
        return geometry
    parts = [part for part in shapely.get_parts(geometry)
             if part.geom_type in {"Polygon", "MultiPolygon"}]
    return shapely.union_all(parts)


WORLD = shapely.box(-180, -90, 180, 90)


def split_antimeridian(geometry: shapely.Geometry) -> shapely.Geometry:
    """Split polygon parts that wrap across +-180 degrees (RFC 7946, section 3.1.9).

    A part whose longitudes span more than 180 degrees is taken to cross the antimeridian:
    its western longitudes are shifted by +360, and the part is cut at 180 and the eastern
    piece shifted back by -360. Works on raw rings (before any make_valid, which would turn a
    wrapping ring into a band round the globe); Antarctica is left whole.
    """
    parts = []
    for part in shapely.get_parts(geometry):
        if part.geom_type not in {"Polygon", "MultiPolygon"}:
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


def us_region_geometry(inputs: Inputs, regions: pd.DataFrame) -> pd.DataFrame:
    """Dissolve 2023 counties into every US region.

    Returns
    -------
    DataFrame ``level, region_id, geometry`` (WKB bytes); regions without counties
    (Guam, the Virgin Islands) have no row.
    """
    counties = gpd.read_file(inputs.raw_path("counties_2023"), layer="counties")
    crosswalk = inputs.table("county_crosswalk")
    counties = counties.merge(crosswalk[["county_fips", "oews_area_code", "state_fips"]],
                              left_on="id", right_on="county_fips", how="inner")
    counties["geometry"] = shapely.make_valid(counties.geometry.values)
    areas = regions.loc[regions["level"] == "us_area"].set_index("area_code")["region_id"]
    counties["area_id"] = counties["oews_area_code"].map(areas)
    pieces = []
    for level, column in (("us_area", "area_id"), ("us_state", "state_fips")):
        dissolved = counties.dissolve(by=column)[["geometry"]].reset_index()
        shapes = [polygonal(g) for g in dissolved.geometry]
        pieces.append(pd.DataFrame({"level": level, "region_id": dissolved[column],
                                    "geometry": shapely.to_wkb(shapes)}))
    nation = counties.loc[counties["state_fips"] != "72"].union_all()
    pieces.append(pd.DataFrame({"level": ["us_nation"], "region_id": ["US"],
                                "geometry": [shapely.to_wkb(polygonal(nation))]}))
    return pd.concat(pieces, ignore_index=True)
