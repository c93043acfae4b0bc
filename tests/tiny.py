"""A tiny synthetic level, small enough to compute every index by hand.

Three occupations A (Clerks, score 0.8), B (Nurses, 0.3), C (Cooks, 0.05) of taxonomy t; the
measure m is also the automation measure, so only A is substitutable (0.8 >= 0.5 on both).
Diversity groups: A and B in G1, C in G2.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.engine.core import compute_indices, compute_top_categories
from atlas.sources.levelset import conform_regions
from atlas.spec.config import load_config
from atlas.spec.config_types import AtlasConfig
from atlas.store.database import write_tables

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
    "substitutable": [1.0, 0.0, 0.0],
    "rule": ["exact"] * 3,
})
# Context of the tiny regions: employment change (percent) and mean unemployment (percent).
CONTEXT = {"R1": {"employment_change": -10.0, "unemployment_persistent": 4.0},
           "R2": {"employment_change": 5.0, "unemployment_persistent": 8.0}}


def tiny_database(names: list[str] | None = None, unemployment: list[float] | None = None,
                  extra_regions: int = 0, nation_id: str = "N",
                  context: dict[str, dict[str, float]] | None = None,
                  config: AtlasConfig | None = None, more_context: list[tuple] | None = None,
                  tables: dict[str, pd.DataFrame] | None = None
                  ) -> duckdb.DuckDBPyConnection:
    """An in-memory atlas of the tiny level, with indices computed by the real engine
    (``nation_id``: the reference region's code, which may repeat a code of level tiny;
    ``context``: per region, indicator values that replace ``CONTEXT``; extra regions X<i>
    get employment change ``-i`` and unemployment ``2 + i``; ``more_context``: further
    ``(level, region_id, indicator, value)`` rows; ``tables``: further tables)."""
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
    values = {region: dict(CONTEXT.get(region, {"employment_change": -float(i),
                                                 "unemployment_persistent": 2.0 + i}))
              for i, region in enumerate(ids)}
    for region, override in (context or {}).items():
        values[region] = override
    rates = dict(zip(regions["region_id"], regions["unemployment_rate"], strict=True))
    rows = [("tiny", region, name, value) for region, indicators in values.items()
            for name, value in indicators.items() if value is not None]
    rows += [("tiny", region, "unemployment_rate", rates[region]) for region in ids
             if rates[region] is not None]
    rows += list(more_context or [])
    extra_tables = tables or {}
    tables = {
        "region_context": pd.DataFrame(rows, columns=["level", "region_id", "indicator",
                                                      "value"]),
        "levels": pd.DataFrame({"level": ["tiny", "tiny_nation"], "taxonomy": ["t", "t"],
                                "reference_level": ["tiny_nation", "tiny_nation"],
                                "description": ["", ""]}),
        "regions": conform_regions(regions),
        "employment": employment,
        "categories": pd.DataFrame({"taxonomy": "t", "category": ["A", "B", "C"],
                                   "title": ["Clerks", "Nurses", "Cooks"],
                                   "diversity_group": ["G1", "G1", "G2"]}),
        "measures": pd.DataFrame({"measure": ["m"], "label": ["m"], "scale": ["unit"],
                                  "description": [""], "source": [""]}),
        "exposure_scores": SCORES,
        "rust_belt_states": pd.DataFrame({"state_fips": [], "state_abbr": [], "state_name": []},
                                         dtype=str),
    }
    con = duckdb.connect()
    write_tables(con, {**tables, **extra_tables})
    compute_indices(con, config or tiny_config())
    compute_top_categories(con, "m")
    return con


def tiny_config() -> AtlasConfig:
    """The default configuration with the tiny level's measure ``m`` in every role."""
    return load_config().replaced("exposure.default_measure", "m").replaced(
        "exposure.automation_measure", "m").replaced("risk.v1.vulnerability_measure", "m")
