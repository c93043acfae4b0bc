"""The reader of the test-only level ``test_islands`` (tests/fixtures/extra_level/levels.toml):
twelve synthetic islands with a composition over the ISCO-08 major groups, a square each and
the context of the components the trap model uses everywhere (employment change and
persistent unemployment). Deterministic; nothing in atlas/ names this level."""

from __future__ import annotations

import pandas as pd
import shapely

from atlas.sources.levelset import (
    LevelSet,
    conform_regions,
    context_frame,
    indicator_frame,
    region_attributes,
)

LEVEL = "test_islands"
GROUPS = [str(group) for group in range(1, 10)]  # ISCO-08 major groups 1-9
COUNT = 12


def island_ids() -> list[str]:
    """``T01`` ... ``T12``."""
    return [f"T{i + 1:02d}" for i in range(COUNT)]


def employment_rows() -> pd.DataFrame:
    """Jobs per island and major group: island i leans on group i mod 9."""
    rows = [(LEVEL, region, group, float(100 + 400 * (j == i % 9) + 10 * ((i * 7 + j) % 5)),
             False)
            for i, region in enumerate(island_ids()) for j, group in enumerate(GROUPS)]
    return pd.DataFrame(rows, columns=["level", "region_id", "category", "employment",
                                       "imputed"])


def read(context, instances: list) -> LevelSet:
    """The level set of the synthetic islands (``instances``: the level, no periods)."""
    ids = island_ids()
    employment = employment_rows()
    totals = employment.groupby("region_id")["employment"].sum()
    regions = pd.DataFrame({
        "level": LEVEL, "region_id": ids, "name": [f"Island {r}" for r in ids],
        "state": ["North" if i < COUNT // 2 else "South" for i in range(COUNT)],
        "kind": "island", "published_total": totals.reindex(ids).to_numpy(),
        "unemployment_rate": [3.0 + (i * 5) % 7 for i in range(COUNT)],
        "lower_tier": [i % 3 == 0 for i in range(COUNT)],
        "motto": [f"motto {r}" for r in ids]})
    regions["states"] = regions["state"]
    squares = [shapely.box(-40 + 2 * (i % 4), -10 + 2 * (i // 4),
                           -39 + 2 * (i % 4), -9 + 2 * (i // 4)) for i in range(COUNT)]
    geometry = pd.DataFrame({"level": LEVEL, "region_id": ids,
                             "geometry": shapely.to_wkb(squares)})
    values = {"employment_change": pd.Series([-8.0 + 1.5 * i for i in range(COUNT)], ids),
              "unemployment_persistent": pd.Series([2.0 + (i * 3) % 8 for i in range(COUNT)],
                                                   ids)}
    source = "synthetic (tests/synthetic_level.py)"
    indicators = indicator_frame(LEVEL, [
        ("employment_change", "Employment change", "percent", "invented", source, "test"),
        ("unemployment_persistent", "Persistent unemployment", "percent", "invented", source,
         "test")])
    categories = pd.DataFrame(columns=["taxonomy", "category", "title", "national_employment"])
    return LevelSet(regions=conform_regions(regions),
                    attributes=region_attributes(regions[["level", "region_id", "motto"]]),
                    employment=employment, categories=categories,
                    extra_tables={"region_geometry": geometry},
                    context=context_frame(LEVEL, values), indicators=indicators)
