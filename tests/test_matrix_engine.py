"""The matrix engine (atlas.engine.matrix_engine) against the SQL reference pass, to 1e-9.

Same rows, same NULLs (sums of unscored jobs, unscored lists), same values, on the tiny
level, on synthetic levels (also with score gaps, duplicate cells, zero jobs, a category
without scores and a sheltered category), and on the real US areas.
"""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pytest

from atlas.engine import matrix_engine
from atlas.engine.core import compute_measure_sums
from atlas.engine.synth import generate_level
from tests.sums_compare import assert_same_sums
from tests.tiny import tiny_database


def both(make) -> dict[str, duckdb.DuckDBPyConnection]:
    """``make()`` twice, the sums computed once by each method."""
    cons = {}
    for method in ("sql", "matrix"):
        con = make()
        compute_measure_sums(con, method)
        cons[method] = con
    return cons


def test_tiny_level_agrees():
    cons = both(tiny_database)
    assert assert_same_sums(cons["sql"], cons["matrix"]) > 50
    row = cons["matrix"].execute("SELECT e_score, krugman, unscored FROM region_measure_sums "
                                 "WHERE region_id = 'R1'").fetchone()
    assert row[0] == pytest.approx([60.0]) and row[1] == pytest.approx(0.8) and row[2] is None


def synthetic(edge_cases: bool):
    def make():
        con = duckdb.connect()
        generate_level(con, 300, 50, 3)
        if edge_cases:
            con.execute("DELETE FROM exposure_scores WHERE category = 'c7' "
                        "AND measure = 'synth_m3'")  # a score gap
            con.execute("UPDATE exposure_scores SET vulnerable = NULL WHERE category = 'c8'")
            con.execute("UPDATE exposure_scores SET ge_10 = NULL WHERE category = 'c1'")
            con.execute("UPDATE exposure_scores SET substitutable = NULL "
                        "WHERE category = 'c11' AND measure = 'synth_m2'")  # mixed in g1
            con.execute("INSERT INTO employment SELECT level, region_id, category, 0, imputed "
                        "FROM employment WHERE category = 'c9' AND region_id < 'r2'")
            con.execute("INSERT INTO employment VALUES ('synth', 'r5', 'zz', 3, false), "
                        "('synth', 'r6', 'c2', 4, true), ('synth', 'r6', 'c2', 5, false)")
            con.execute("CREATE TABLE sheltered_categories AS "  # wholly and partly public
                        "SELECT * FROM (VALUES ('synth_categories', 'c3', 1.0), "
                        "('synth_categories', 'c4', 0.25)) AS t(taxonomy, category, public_share)")
        return con
    return make


@pytest.mark.parametrize("edge_cases", [False, True])
def test_synthetic_level_agrees(edge_cases):
    cons = both(synthetic(edge_cases))
    assert assert_same_sums(cons["sql"], cons["matrix"]) > 8000
    if edge_cases:  # the gap shows as unscored jobs and a NULL-free sum
        unscored = cons["matrix"].execute(
            "SELECT count(*) FROM region_measure_sums WHERE unscored IS NOT NULL").fetchone()[0]
        assert unscored > 0


def test_small_blocks_give_the_same_sums(monkeypatch):
    """Regions split into many blocks (and a block-diagonal group matrix too large to use):
    the same sums (to rounding: NumPy and BLAS may sum a short row in another order)."""
    reference = synthetic(True)()
    compute_measure_sums(reference, "matrix")
    monkeypatch.setattr(matrix_engine, "BLOCK_CELLS", 700)
    monkeypatch.setattr("atlas.engine.matrix_sums.GROUP_BLOCK_LIMIT", 1)
    blocked = synthetic(True)()
    compute_measure_sums(blocked, "matrix")
    assert assert_same_sums(reference, blocked, rtol=1e-13) > 8000


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        compute_measure_sums(duckdb.connect(), "numba")


@pytest.mark.realdata
def test_real_levels_agree(built_atlas, tmp_path):
    cons = {}
    for method in ("sql", "matrix"):
        path = tmp_path / f"{method}.duckdb"
        shutil.copy(built_atlas, path)
        cons[method] = duckdb.connect(str(path))
        compute_measure_sums(cons[method], method)
    assert assert_same_sums(cons["sql"], cons["matrix"]) > 50_000
    areas = cons["matrix"].execute("SELECT count(*), sum(total_employment) FROM "
                                   "region_measure_sums WHERE level = 'us_area'").fetchone()
    assert areas[0] == 528 and np.isclose(areas[1], 150_764_350)


def test_a_region_without_jobs_agrees_and_has_no_excess():
    """Zero jobs: the SQL pass divides nothing by zero (the excess is NULL, as the shares
    are), and the matrix engine says the same."""
    def make():
        con = synthetic(False)()
        con.execute("INSERT INTO employment VALUES ('synth', 'rzero', 'c1', 0, false), "
                    "('synth', 'rzero', 'c2', 0, false)")
        return con

    cons = both(make)
    assert assert_same_sums(cons["sql"], cons["matrix"]) > 8000
    for con in cons.values():
        listed = con.execute("SELECT substitutable_excess FROM region_measure_sums "
                             "WHERE region_id = 'rzero'").fetchone()[0]
        assert listed is None or all(value is None for value in listed)


def test_excess_by_hand():
    """Two regions in two groups, one measure: X / E beyond the reference's X^ref / E^ref,
    group by group, and the NULL rules (no group, no jobs, a NULL e_substitutable)."""
    facts = matrix_engine.CategoryFacts(
        np.array(["a", "b"]), np.array(["g1", ""]), np.array([0, 1]), np.array([0.5, 0.5]),
        np.zeros((2, 5)), np.zeros((2, 3), dtype=bool), 1)
    sums = {"group_substitutable": np.array([[[30.0], [50.0]], [[np.nan], [5.0]],
                                             [[0.0], [0.0]]]),
            "group_present": np.array([[True, True], [False, True], [True, False]]),
            "total_employment": np.array([100.0, 10.0, 0.0]),
            "e_substitutable": np.array([[80.0], [5.0], [0.0]])}
    level = matrix_engine.LevelSums("x", None, sums, facts, 2)
    excess = matrix_engine.substitutable_excess(level, {"g1": np.array([0.1])})
    assert excess[0, 0] == pytest.approx(0.3 - 0.1)  # the group '' adds nothing
    assert np.isnan(excess[1, 0])  # only the group '': no group to compare
    assert np.isnan(excess[2, 0])  # no jobs
    shares = matrix_engine.reference_shares(level)
    assert shares == {"g1": pytest.approx(np.array([30.0 / 110.0]))}
