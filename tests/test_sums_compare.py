"""The sums comparison used against the SQL reference finds every kind of difference."""

from __future__ import annotations

import duckdb
import pytest

from tests.sums_compare import LISTS, SCALARS, assert_same_sums


def sums_database(changes: str = "") -> duckdb.DuckDBPyConnection:
    """Two regions with every compared column (scalars 1.0, lists [1.0, 2.0]), then
    ``changes`` (SQL) applied."""
    con = duckdb.connect()
    scalars = ", ".join(f"1.0::DOUBLE AS {name}" for name in SCALARS)
    lists = ", ".join(f"[1.0, 2.0]::DOUBLE[] AS {name}" for name in LISTS)
    con.execute(f"CREATE TABLE region_measure_sums AS SELECT 'l' AS level, r AS region_id, "
                f"{scalars}, {lists} FROM (VALUES ('a'), ('b')) AS v(r)")
    con.execute("CREATE TABLE region_group_sums AS SELECT 'l' AS level, 'a' AS region_id, "
                "'g' AS grp, 5.0::DOUBLE AS employment, 2.0::DOUBLE AS e_substitutable")
    if changes:
        con.execute(changes)
    return con


def test_equal_tables_count_every_value():
    # 2 regions x (9 scalars + 9 lists of 2) + 1 group row x 2
    assert assert_same_sums(sums_database(), sums_database()) == 2 * (9 + 18) + 2


@pytest.mark.parametrize(("change", "message"), [
    ("UPDATE region_measure_sums SET e_sq = 1.0 + 1e-6 WHERE region_id = 'b'",
     r"e_sq \('l', 'b'\)"),
    ("UPDATE region_measure_sums SET e_score = [1.0, 2.001] WHERE region_id = 'a'",
     r"e_score \(\('l', 'a'\), 1\)"),
    ("UPDATE region_measure_sums SET e_score = [1.0, NULL] WHERE region_id = 'a'",
     "NULL in one only"),
    ("UPDATE region_measure_sums SET e_ge_10 = NULL WHERE region_id = 'b'", "NULL list"),
    ("UPDATE region_measure_sums SET unscored = [1.0] WHERE region_id = 'b'", "list lengths"),
    ("UPDATE region_measure_sums SET krugman = NULL WHERE region_id = 'a'", "NULL in one only"),
    ("UPDATE region_group_sums SET employment = 6.0", "employment"),
    ("DELETE FROM region_measure_sums WHERE region_id = 'a'", "rows"),
    ("UPDATE region_measure_sums SET region_id = 'c' WHERE region_id = 'b'", r"\('l', 'b'\)"),
])
def test_each_difference_is_found_and_named(change, message):
    with pytest.raises(AssertionError, match=message):
        assert_same_sums(sums_database(), sums_database(change))
