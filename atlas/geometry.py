"""Region geometry: Census 2023 counties dissolved into OEWS areas, states and the nation.

Stored in the database as ``region_geometry(level, region_id, geometry)`` with WKB in
EPSG:4326, readable by ``geopandas.GeoSeries.from_wkb``; every stored geometry is a valid
(multi)polygon. The counties come through :meth:`atlas.inputs.Inputs.geometry`, which has
already checked and repaired them (``data/manifest.toml``).
"""

from __future__ import annotations

import pandas as pd
import shapely

from atlas.geodata import WORLD, polygonal, split_antimeridian, valid_polygonal
from atlas.inputs import Inputs

__all__ = ["WORLD", "polygonal", "split_antimeridian", "us_region_geometry", "valid_polygonal"]


def us_region_geometry(inputs: Inputs, regions: pd.DataFrame) -> pd.DataFrame:
    """Dissolve 2023 counties into every US region.

    Returns
    -------
    DataFrame ``level, region_id, geometry`` (WKB bytes of valid polygons); regions without
    counties (Guam, the Virgin Islands) have no row.
    """
    counties = inputs.geometry("counties_2023")
    crosswalk = inputs.table("county_crosswalk")
    counties = counties.merge(crosswalk[["county_fips", "oews_area_code", "state_fips"]],
                              left_on="id", right_on="county_fips", how="inner")
    areas = regions.loc[regions["level"] == "us_area"].set_index("area_code")["region_id"]
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
