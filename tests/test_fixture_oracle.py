"""The pandas reference (``tests/pandas_reference.py``) against the engine on the atlas built
from the synthetic fixture inputs: real readers, real taxonomies and the real configuration,
where ``test_synth_scale.py`` checks one synthetic level built in memory.

Where the reference's assumptions hold:

- exposure per measure (mean, threshold shares, coverage, vulnerable and substitutable
  shares) on every default level, whatever its reference level;
- every index, component, pillar, collapse risk and rank on the levels of more than one
  region that are their own reference level (the reference computes specialisation and
  diversity against the level itself). The reference knows no sheltered categories: the
  configuration's ``[exposure.sheltered]`` categories are given a substitutable share of 0
  (where a measure has one), as the engine treats them, and a category without a diversity
  group is its own group. With ``exposure.count_uncounted_jobs`` the uncounted workers
  (``uncounted_jobs`` of ``region_context``, where positive) join the denominators of the
  substitutable share and excess, as in the engine, and a pillar's gate caps it where the
  gate's indicator is a percent change (``[risk.models.*.pillars.*] gate``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas.spec.config import load_config
from atlas.spec.config_types import AtlasConfig
from atlas.spec.risk_model import active_model
from tests.pandas_reference import reference_exposure, reference_indices

EXPOSURE = ["exposure_mean", "share_ge_10", "share_ge_50", "coverage", "vulnerable_share",
            "substitutable_share"]


def level_frames(con, level: str, config: AtlasConfig
                 ) -> dict[str, pd.DataFrame | pd.Series | None]:
    """The engine's inputs of one level, as the reference takes them."""
    taxonomy = con.execute("SELECT taxonomy FROM levels WHERE level = ?", [level]).fetchone()[0]
    scores = con.execute("SELECT measure, category, score, ge_10, ge_50, vulnerable, "
                         "substitutable FROM exposure_scores WHERE taxonomy = ?",
                         [taxonomy]).df()
    sheltered = list(config.exposure.sheltered.get(taxonomy, ()))
    scores.loc[scores["category"].isin(sheltered) & scores["substitutable"].notna(),
               "substitutable"] = 0.0
    context = con.execute("SELECT region_id, indicator, value FROM region_context "
                          "WHERE level = ?", [level]).df()
    uncounted = None
    if config.exposure.count_uncounted_jobs:
        rows = context.loc[(context["indicator"] == "uncounted_jobs")
                           & np.isfinite(context["value"]) & (context["value"] > 0)]
        uncounted = rows.set_index("region_id")["value"].astype(float)
    return {
        "employment": con.execute("SELECT region_id, category, employment, imputed "
                                  "FROM employment WHERE level = ?", [level]).df(),
        "scores": scores,
        "groups": con.execute("SELECT category, coalesce(diversity_group, category) AS g "
                              "FROM categories WHERE taxonomy = ?", [taxonomy]).df()
        .set_index("category")["g"],
        "context": context,
        "uncounted": uncounted,
        # the indicators that are percent changes: a pillar's gate applies to them
        "percent_changes": {row[0] for row in con.execute(
            "SELECT indicator FROM context_indicators WHERE level = ? AND unit = 'percent'",
            [level]).fetchall()},
    }


def default_levels(con, own_reference: bool = False) -> list[str]:
    """The default levels; with ``own_reference`` those that are their own reference level
    and rank more than one region (a one-region level, the US nation, ranks nothing)."""
    where = (" AND reference_level = level AND level IN (SELECT level FROM regions "
             "GROUP BY level HAVING count(*) > 1)") if own_reference else ""
    return [row[0] for row in con.execute(
        f"SELECT level FROM levels WHERE is_default{where} ORDER BY level").fetchall()]


def test_exposure_of_every_measure_agrees_on_every_level(fixture_con):
    config = load_config()
    levels = default_levels(fixture_con)
    assert len(levels) >= 4
    for level in levels:
        frames = level_frames(fixture_con, level, config)
        reference = reference_exposure(frames["employment"], frames["scores"],
                                       uncounted=frames["uncounted"]).sort_index()
        engine = fixture_con.execute("SELECT * FROM region_exposure WHERE level = ?",
                                     [level]).df().set_index(["region_id", "measure"])
        assert len(reference) > 0 and engine.index.sort_values().equals(reference.index), level
        engine = engine.reindex(reference.index)
        for column in EXPOSURE:
            np.testing.assert_allclose(engine[column].to_numpy(float),
                                       reference[column].to_numpy(float), rtol=1e-9,
                                       atol=1e-9, err_msg=f"{level} {column}")


def test_every_index_agrees_on_levels_that_are_their_own_reference(fixture_con):
    config = load_config()
    levels = default_levels(fixture_con, own_reference=True)
    assert levels  # the Chinese cities and the countries
    for level in levels:
        frames = level_frames(fixture_con, level, config)
        reference = reference_indices(
            frames["employment"], frames["scores"], frames["groups"], frames["context"],
            active_model(config), config.exposure.default_measure,
            config.risk.v1.vulnerability_measure, level,
            uncounted=frames["uncounted"], percent_changes=frames["percent_changes"])
        engine = fixture_con.execute("SELECT * FROM region_indices WHERE level = ?",
                                     [level]).df().set_index("region_id").reindex(
                                         reference.index)
        indicators = set(frames["context"]["indicator"])  # inputs, not indices
        columns = [c for c in reference.columns if c in engine and c not in indicators]
        assert {"collapse_risk", "risk_rank", "pillar_shock", "substitutable_excess",
                "group_entropy"} <= set(columns)
        for column in columns:
            np.testing.assert_allclose(engine[column].to_numpy(float),
                                       reference[column].to_numpy(float), rtol=1e-9,
                                       atol=1e-9, err_msg=f"{level} {column}")


@pytest.mark.parametrize("weights", [{"prior_decline": 0.6, "substitutable_share": 0.1}])
def test_reference_follows_the_configuration_on_the_fixture_levels(fixture_con, weights):
    """Changing the weights in the configuration changes the reference's ranking of the
    fixture countries: the comparison above is not one that any ranking would pass."""
    config = load_config()
    level = "country"
    frames = level_frames(fixture_con, level, config)
    args = (frames["employment"], frames["scores"], frames["groups"], frames["context"])
    default = reference_indices(*args, active_model(config),
                                config.exposure.default_measure,
                                config.risk.v1.vulnerability_measure, level)
    config = config.with_overrides({"risk": {"weights": weights}})
    changed = reference_indices(*args, active_model(config),
                                config.exposure.default_measure,
                                config.risk.v1.vulnerability_measure, level)
    assert not np.allclose(default["collapse_risk"], changed["collapse_risk"])
