"""The uncertainty grid's faster paths of round s9 (issue #32 item 2) against the
computations they replace: the pillars of a level on threads, the gate cap on the capped
cells only, the variant facts numbered on their distinct keys, and the page-size setting
restored after the grid."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest

from atlas.engine import uncertainty_pillars
from atlas.engine.uncertainty import (
    LevelInputs,
    level_uncertainty,
    specifications,
    stacked_scores,
)
from atlas.engine.uncertainty_choices import OPTIONAL_TABLES, Choices, factorial
from atlas.engine.uncertainty_pillars import pillar_scores
from atlas.spec.config import load_config
from atlas.spec.risk_model import Component, Pillar, RiskModel
from atlas.store.database import table_exists
from atlas.store.memory import small_pages
from atlas.store.sql_files import sql_text

WINDOWS = Path(__file__).parent / "fixtures" / "uncertainty_variant_facts_windows.sql"
MODEL = RiskModel("toy", "toy", "geometric", "percentile", (
    Pillar("shock", "shock", 0.5), Pillar("absorption", "absorption", 0.5, "decline")), (
    Component("share", "share", "shock", "substitutable_share", "higher", "percentile", 0.6),
    Component("excess", "excess", "shock", "substitutable_excess", "higher", "percentile",
              0.4),
    Component("decline", "decline", "absorption", "employment_change", "lower",
              "percentile", 0.5),
    Component("jobs", "jobs", "absorption", "vacancies", "lower", "percent_rank", 0.5)))
SETTINGS = replace(load_config().uncertainty, draws=60, concentration=20.0, seed=3,
                   aggregations=("geometric", "arithmetic"), leave_one_out=True)
TRAP = replace(load_config().flags, trap_top_share=0.1, trap_min_pillar=0.5, min_regions=5,
               trap_min_shock_ratio=0.0)
CHOICES = Choices(exposure_rule=("substitutable", "continuous"), absorption_gate=(True, False),
                  absorption_mean=("arithmetic", "geometric"), weight_draws=3)


def gappy_level(regions: int = 40, seed: int = 5) -> LevelInputs:
    """A level with missing component scores (drawn in the random specifications), ties,
    gated regions and a continuous-rule variant of both shock indicators."""
    rng = np.random.default_rng(seed)

    def values(missing: float) -> np.ndarray:
        x = np.round(rng.random(regions), 2)  # ties
        x[rng.random(regions) < missing] = np.nan
        return x

    ids = np.array([f"r{i:03d}" for i in range(regions)])
    return LevelInputs(
        ids, np.round(rng.lognormal(5, 1, regions)), list(MODEL.components),
        {"employment_change": values(0.1), "vacancies": values(0.2)},
        {"m": {"substitutable_share": values(0.05), "substitutable_excess": values(0.1)}},
        "m", gated={"absorption": rng.random(regions) < 0.3},
        variants={("m", "continuous", True, True): {"substitutable_share": values(0.05),
                                                    "substitutable_excess": values(0.1)}})


def reference_gate(score: np.ndarray, scores: np.ndarray, specs, capped: np.ndarray,
                   k: int) -> np.ndarray:
    """The gate cap as it was written before: every row of a measure copied out, its capped
    columns lowered, the rows written back."""
    score = score.copy()
    for measure in range(scores.shape[0]):
        rows = np.flatnonzero(specs.measure == measure)
        rows = rows if specs.gate is None else rows[specs.gate[rows]]
        if len(rows):
            block = score[rows]
            block[:, capped] = np.minimum(block[:, capped], scores[measure][capped, k][None, :])
            score[rows] = block
    return score


@pytest.fixture()
def level_specs():
    inputs = gappy_level()
    variants = sorted(inputs.variants, key=str)
    scores = stacked_scores(inputs, ["m", *variants])
    specs = specifications(MODEL, inputs.components, 1, SETTINGS).joined(factorial(
        MODEL, inputs.components, ["m"], variants, ["geometric", "arithmetic"], CHOICES,
        SETTINGS))
    return inputs, scores, specs


def test_pillars_on_threads_equal_one_thread(level_specs, monkeypatch):
    inputs, scores, specs = level_specs
    assert specs.random.any() and specs.inner_geometric.any() and not specs.gate.all()
    monkeypatch.setattr(uncertainty_pillars, "PARALLEL_CELLS", 10**12)
    serial, weights = pillar_scores(MODEL, scores, specs, inputs.components, inputs.gated)
    monkeypatch.setattr(uncertainty_pillars, "PARALLEL_CELLS", 1)
    threaded, same = pillar_scores(MODEL, scores, specs, inputs.components, inputs.gated)
    assert len(serial) == len(threaded) == 2 and np.array_equal(weights, same)
    for one, other in zip(serial, threaded, strict=True):
        assert np.array_equal(one, other, equal_nan=True)  # bit for bit, NaN where missing
    assert np.isnan(serial[1]).any() and (serial[1] < 1).any()
    # and the whole level's distribution and sensitivity, value for value
    whole = level_uncertainty(gappy_level(), MODEL, SETTINGS, TRAP, CHOICES)
    monkeypatch.setattr(uncertainty_pillars, "PARALLEL_CELLS", 10**12)
    alone = level_uncertainty(gappy_level(), MODEL, SETTINGS, TRAP, CHOICES)
    assert whole[0].equals(alone[0]) and whole[1].equals(alone[1])


def test_gate_cap_on_the_capped_cells_equals_the_row_copies(level_specs, monkeypatch):
    inputs, scores, specs = level_specs
    capped = inputs.gated["absorption"]
    assert 0 < capped.sum() < len(capped)
    ungated = replace(MODEL, pillars=(MODEL.pillars[0], replace(MODEL.pillars[1], gate=None)))
    plain, _ = pillar_scores(ungated, scores, specs, inputs.components, inputs.gated)
    gated, _ = pillar_scores(MODEL, scores, specs, inputs.components, inputs.gated)
    expected = reference_gate(plain[1], scores, specs, capped, 2)
    assert np.array_equal(gated[1], expected, equal_nan=True)
    assert not np.array_equal(gated[1], plain[1], equal_nan=True)  # the cap did something
    assert np.array_equal(gated[0], plain[0], equal_nan=True)  # the shock has no gate


def variant_tables(con: duckdb.DuckDBPyConnection, text: str) -> dict[str, list]:
    con.execute(text)
    return {
        "facts": con.execute("SELECT level, category, measure, threshold, grp, substitutable, "
                             "score, public_on, pair, combo FROM variant_facts ORDER BY ALL"
                             ).fetchall(),
        "combos": con.execute("SELECT combo, measure, threshold FROM variant_combos "
                              "ORDER BY ALL").fetchall(),
        "rows": con.execute("SELECT pair, employment, cell FROM variant_rows ORDER BY ALL"
                            ).fetchall(),
        "cells": con.execute("SELECT cell, level, region_id, grp, place FROM variant_cells "
                             "ORDER BY ALL").fetchall(),
        "places": con.execute("SELECT * FROM variant_places ORDER BY ALL").fetchall()}


def test_variant_numbering_equals_the_windows_over_every_row():
    from tests.test_substitution_threshold import tiny_atlas

    con = tiny_atlas()
    con.execute("SET preserve_insertion_order = false")  # as the engine's connection
    for name, columns in OPTIONAL_TABLES.items():
        if not table_exists(con, name):
            con.execute(f"CREATE TEMP TABLE {name} ({columns})")
    for key, value in {"variant_levels": ["toy"], "variant_measures": ["beta"],
                       "sheltered_keys": [], "today_threshold": 0.5,
                       "variant_thresholds": [0.4, -1.0]}.items():
        con.execute(f"SET VARIABLE {key} = ?", [value])
    ours = variant_tables(con, sql_text("uncertainty_variant_facts.sql"))
    theirs = variant_tables(con, WINDOWS.read_text(encoding="utf-8"))
    assert len(ours["rows"]) > 0 and len(ours["cells"]) > 1 and len(ours["facts"]) > 1
    assert ours == theirs


def test_small_pages_restores_the_setting():
    setter = np._core.multiarray._set_madvise_hugepage
    for before in (True, False):
        setter(before)
        with small_pages():
            assert setter(False) is False  # inside: no huge pages
        assert setter(before) is before  # restored after the block
    setter(True)
    with pytest.raises(ValueError), small_pages():
        raise ValueError("an error inside the block")
    assert setter(True) is True  # restored after an error too
