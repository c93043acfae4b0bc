"""A tiny synthetic level, small enough to compute every index by hand."""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.build import write_tables
from atlas.config import load_config
from atlas.engine import compute_indices, compute_top_categories
from atlas.model import conform_regions

# Three occupations A, B, C. Region R1: A 60, B 40. Region R2: A 10, B 10, C 80.
# The reference level "tiny_nation" is one region N: A 70, B 50, C 80.
EMPLOYMENT = pd.DataFrame({
    "level": ["tiny"] * 5 + ["tiny_nation"] * 3,
    "region_id": ["R1", "R1", "R2", "R2", "R2", "N", "N", "N"],
    "category": ["A", "B", "A", "B", "C", "A", "B", "C"],
    "employment": [60.0, 40.0, 10.0, 10.0, 80.0, 70.0, 50.0, 80.0],
    "imputed": [False] * 8,
})
SCORES = pd.DataFrame({
    "taxonomy": ["t"] * 3,
    "measure": ["m"] * 3,
    "category": ["A", "B", "C"],
    "score": [0.8, 0.3, 0.05],
    "ge_10": [1.0, 1.0, 0.0],
    "ge_50": [1.0, 0.0, 0.0],
    "vulnerable": [1.0, 0.0, 0.0],
    "rule": ["exact"] * 3,
})


def tiny_database(names: list[str] | None = None, unemployment: list[float] | None = None,
                  extra_regions: int = 0, nation_id: str = "N") -> duckdb.DuckDBPyConnection:
    """An in-memory atlas of the tiny level, with indices computed by the real engine
    (``nation_id``: the reference region's code, which may repeat a code of level tiny)."""
    ids = ["R1", "R2"] + [f"X{i}" for i in range(extra_regions)]
    employment = EMPLOYMENT.assign(region_id=EMPLOYMENT.region_id.replace("N", nation_id))
    if extra_regions:
        extra = pd.DataFrame({"level": "tiny", "region_id": ids[2:], "category": "A",
                              "employment": [5.0 + i for i in range(extra_regions)],
                              "imputed": False})
        employment = pd.concat([employment, extra], ignore_index=True)
    regions = pd.DataFrame({
        "level": ["tiny"] * len(ids) + ["tiny_nation"],
        "region_id": ids + [nation_id],
        "name": (names or ids) + ["Nation"],
        "state": "ZZ", "states": "ZZ", "kind": "test",
        "published_total": None,
        "unemployment_rate": (unemployment or [3.0, 6.0] + [1.0] * extra_regions) + [4.0],
        "labor_force": None, "population": None, "median_hh_income": None,
        "poverty_rate": None, "lower_tier": False,
    })
    tables = {
        "levels": pd.DataFrame({"level": ["tiny", "tiny_nation"], "taxonomy": ["t", "t"],
                                "reference_level": ["tiny_nation", "tiny_nation"],
                                "description": ["", ""]}),
        "regions": conform_regions(regions),
        "employment": employment,
        "categories": pd.DataFrame({"taxonomy": "t", "category": ["A", "B", "C"],
                                   "title": ["Clerks", "Nurses", "Cooks"]}),
        "measures": pd.DataFrame({"measure": ["m"], "label": ["m"], "scale": ["unit"],
                                  "description": [""], "source": [""]}),
        "exposure_scores": SCORES,
        "rust_belt_states": pd.DataFrame({"state_fips": [], "state_abbr": [], "state_name": []},
                                         dtype=str),
    }
    con = duckdb.connect()
    write_tables(con, tables)
    compute_indices(con, tiny_config())
    compute_top_categories(con)
    return con


def tiny_config() -> dict:
    """The default configuration with the tiny level's measure ``m`` for both roles."""
    config = load_config()
    config["exposure"]["default_measure"] = "m"
    config["risk"]["vulnerability_measure"] = "m"
    return config
