"""The US levels' geometry: Census 2023 counties dissolved into OEWS areas, states and the
nation (the generic geometry helpers are in :mod:`atlas.sources.region_geometry`).

Dissolving is the slow part, and its result only depends on the inputs, so it is cached
(:mod:`atlas.store.cache`): a build keeps the dissolved regions in the shared cache folder
(:func:`atlas.store.cache.cache_home`) under a key
that is the sha256 of the counties, the crosswalk and the area to region mapping.
"""

from __future__ import annotations

import pandas as pd
import shapely

from atlas.sources.geometry_reading import valid_polygonal
from atlas.sources.inputs import Inputs
from atlas.sources.us.oews import area_ids
from atlas.store.cache import cache_key, cached_frame


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


def prepare(inputs: Inputs) -> None:
    """Dissolve the US regions into the cache ahead of the reader (``prepare`` in
    levels.toml: the build's second process does it while this one reads OEWS), keyed by
    the area ids of OEWS's area columns alone (:func:`atlas.sources.us.oews.area_ids`)."""
    us_region_geometry(inputs, area_ids(inputs))


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
