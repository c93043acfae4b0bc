"""The variant indicators from NumPy group sums (atlas.engine.uncertainty_sums) against the
SQL pass they replaced (tests/fixtures/uncertainty_variants_reference.sql) and by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from atlas.engine.uncertainty import analysed_levels, unit_exposure
from atlas.engine.uncertainty_choices import OPTIONAL_TABLES, choice_settings
from atlas.engine.uncertainty_sums import TABLES, group_sums, variant_wide
from atlas.spec.config import load_config
from atlas.store.database import table_exists

REFERENCE = Path(__file__).parent / "fixtures" / "uncertainty_variants_reference.sql"
KEYS = ["level", "region_id", "measure", "threshold"]


def test_group_sums_by_hand_skip_missing_terms():
    # cell 0: rows of pairs 0 and 1; cell 1: pair 2 only. Two combos; pair 1 has no
    # substitutable share under combo 0, pair 2 no facts at all under combo 1
    nan = np.nan
    facts = {"substitutable": np.array([[0.5, 0.2], [nan, 0.4], [1.0, nan]]),
             "score": np.array([[0.1, nan], [0.3, nan], [0.6, nan]]),
             "present": np.array([[True, True], [True, True], [True, False]]),
             "public": np.array([0.5, 0.0, 0.25])}
    sums = group_sums(np.array([0, 0, 1]), np.array([0, 1, 2]), np.array([10.0, 20.0, 40.0]),
                      2, facts)
    assert sums["sub_on"][0].tolist() == [10 * 0.5 * 0.5, 10 * 0.2 * 0.5 + 20 * 0.4]
    assert sums["sub_off"][0].tolist() == [10 * 0.5, 10 * 0.2 + 20 * 0.4]
    assert sums["scored_sub"][0].tolist() == [10.0, 30.0]
    assert sums["score_on"][0, 0] == 10 * 0.1 * 0.5 + 20 * 0.3
    assert sums["scored_score"][0, 0] == 30.0
    assert np.isnan(sums["score_off"][0, 1])  # no score known: missing, as SQL's sum
    assert sums["sub_on"][1, 0] == 40 * 0.75
    assert np.isnan(sums["sub_on"][1, 1]) and np.isnan(sums["scored_sub"][1, 1])
    assert sums["terms"].tolist() == [[2, 2], [1, 0]]  # cell 1 has no row under combo 1


def test_group_sums_add_in_the_same_order_whatever_the_row_order():
    # SQL returns the composition in any order (the engine does not preserve insertion
    # order): the sums must not depend on it, bit for bit
    rng = np.random.default_rng(7)
    rows, pairs, combos, cells = 5_000, 60, 4, 300
    drawn = rng.choice(cells * pairs, rows, replace=False)  # a region's category once
    cell, pair = drawn // pairs, drawn % pairs
    jobs = rng.lognormal(3, 2, rows)
    facts = {"substitutable": np.where(rng.random((pairs, combos)) < 0.1, np.nan,
                                       rng.random((pairs, combos))),
             "score": rng.random((pairs, combos)), "present": rng.random((pairs, combos)) < 0.9,
             "public": rng.random(pairs)}
    ordered = np.lexsort((pair, cell))
    first = group_sums(cell[ordered], pair[ordered], jobs[ordered], cells, facts)
    shuffled = rng.permutation(rows)
    second = group_sums(cell[shuffled], pair[shuffled], jobs[shuffled], cells, facts)
    for name, values in first.items():
        assert np.array_equal(values, second[name], equal_nan=True), name
    # and each sum is the plain sum over its cell's rows
    known = ~np.isnan(facts["substitutable"][pair, 1])
    here = (cell == 3) & known
    assert first["sub_off"][3, 1] == pytest.approx(
        (jobs[here] * facts["substitutable"][pair[here], 1]).sum(), rel=1e-12)


def reference_wide(con: duckdb.DuckDBPyConnection, variables: dict) -> pd.DataFrame:
    for key, value in variables.items():
        con.execute(f"SET VARIABLE {key} = ?", [value])
    con.execute(REFERENCE.read_text(encoding="utf-8"))
    return con.execute("SELECT * FROM variant_indicators").df()


def compare(con: duckdb.DuckDBPyConnection, levels: list[str], measures: list[str]) -> int:
    """Assert the NumPy indicators equal the reference SQL's to 1e-9; returns the rows."""
    choices = choice_settings(load_config())
    variables = {"variant_levels": levels, "variant_measures": measures,
                 "sheltered_keys": list(choices.sheltered_keys),
                 "today_threshold": choices.thresholds[0],
                 "variant_thresholds": [*choices.thresholds[1:], -1.0]}
    con.execute("SET preserve_insertion_order = false")  # as the engine's connection
    con.execute("SET threads = 2")
    for name, columns in OPTIONAL_TABLES.items():
        if not table_exists(con, name):
            con.execute(f"CREATE TEMP TABLE {name} ({columns})")
    ours = variant_wide(con, **variables)
    again = variant_wide(con, **variables)
    for name in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    theirs = reference_wide(con, variables)
    ours, again, theirs = (frame.sort_values(KEYS, ignore_index=True)
                           for frame in (ours, again, theirs))
    pd.testing.assert_frame_equal(ours[KEYS], theirs[KEYS], check_dtype=False)
    pd.testing.assert_frame_equal(ours, again)  # the same sums on every run
    for column in theirs.columns.difference(KEYS):
        expected = theirs[column].to_numpy(float)
        assert np.array_equal(np.isnan(ours[column].to_numpy(float)), np.isnan(expected))
        np.testing.assert_allclose(ours[column].to_numpy(float), expected, rtol=1e-9,
                                   atol=1e-12, err_msg=column)
    return len(ours)


def test_tiny_atlas_equals_the_reference_sql():
    from tests.test_substitution_threshold import tiny_atlas

    assert compare(tiny_atlas(), ["toy"], ["beta"]) > 0


def test_real_atlas_equals_the_reference_sql(built_atlas: Path, tmp_path: Path):
    copy = tmp_path / "atlas.duckdb"
    copy.write_bytes(built_atlas.read_bytes())
    con = duckdb.connect(str(copy))
    settings = load_config().uncertainty
    present = {row[0] for row in con.execute("SELECT DISTINCT level FROM region_base"
                                             ).fetchall()}
    levels = [level for level in analysed_levels(con, settings.periods) if level in present]
    measures = sorted(set(unit_exposure(con)["measure"]))
    assert compare(con, levels, measures) > 10_000
    con.close()


@pytest.mark.parametrize("grp", ["", "g"])
def test_unnamed_groups_add_no_excess(grp: str):
    from tests.test_substitution_threshold import tiny_atlas

    con = tiny_atlas()
    con.execute(f"UPDATE categories SET diversity_group = '{grp}'")
    assert compare(con, ["toy"], ["beta"]) > 0
