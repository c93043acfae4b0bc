"""region_base's group diversity from sorted lists is the ordered-aggregate formula to the bit,
and region_uncounted.sql is skipped only where it would change nothing."""

from __future__ import annotations

import duckdb
import pytest

from atlas.engine.core import compute_indices, compute_measure_sums
from atlas.engine.sql import run_sql_file
from atlas.engine.synth import generate_level, synthetic_config

# The formula region_base.sql used before (ordered aggregates per region), kept here as the
# reference that the list form must reproduce bit for bit.
ORDERED_AGGREGATES = """
WITH groups AS (
    SELECT level, region_id, grp, employment FROM region_group_sums WHERE grp <> ''
),
reference_groups AS (
    SELECT l.level, g.grp, sum(g.employment ORDER BY g.region_id) AS employment
    FROM levels AS l
    JOIN groups AS g ON g.level = coalesce(l.reference_level, l.level)
    GROUP BY l.level, g.grp
),
reference_shares AS (
    SELECT level, grp, employment / sum(employment) OVER (
        PARTITION BY level ORDER BY grp
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS r_g,
        count(*) FILTER (WHERE employment > 0) OVER (PARTITION BY level) AS n_groups
    FROM reference_groups
),
group_totals AS (
    SELECT level, region_id, sum(employment ORDER BY grp) AS grouped_employment
    FROM groups GROUP BY level, region_id
)
SELECT g.level, g.region_id,
    CASE WHEN max(r.n_groups) > 1 THEN
        -sum(CASE WHEN g.employment > 0 THEN g.employment / t.grouped_employment
             * ln(g.employment / t.grouped_employment) END ORDER BY g.grp)
             / ln(max(r.n_groups)) END AS group_entropy,
    1 / nullif(sum((g.employment / t.grouped_employment) ^ 2 / nullif(r.r_g, 0)
                   ORDER BY g.grp), 0) AS group_hachman
FROM groups AS g
JOIN group_totals AS t ON t.level = g.level AND t.region_id = g.region_id
LEFT JOIN reference_shares AS r ON r.level = g.level AND r.grp = g.grp
GROUP BY g.level, g.region_id
"""


@pytest.fixture(scope="module")
def engine_con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    generate_level(con, 3000, 40, seed=3)
    # a region whose groups have no jobs at all and one with a single group: the NULL cases
    con.execute("UPDATE employment SET employment = 0 WHERE region_id = (SELECT min(region_id) "
                "FROM employment)")
    con.execute("DELETE FROM employment WHERE region_id = (SELECT max(region_id) FROM "
                "employment) AND category NOT IN ('c0', 'c1')")
    compute_indices(con, synthetic_config())
    return con


def test_group_diversity_is_the_ordered_aggregates_to_the_bit(engine_con):
    con = engine_con
    con.execute(f"CREATE OR REPLACE TEMP TABLE ordered_reference AS {ORDERED_AGGREGATES}")
    counts = con.execute("""
        SELECT count(*), count(o.region_id), count(b.group_entropy), count(b.group_hachman),
            count(*) FILTER (WHERE b.group_entropy IS DISTINCT FROM o.group_entropy),
            count(*) FILTER (WHERE b.group_hachman IS DISTINCT FROM o.group_hachman)
        FROM region_base AS b
        LEFT JOIN ordered_reference AS o USING (level, region_id)""").fetchone()
    regions, with_groups, entropies, hachmans, entropy_diff, hachman_diff = counts
    assert regions == 3000 and with_groups == 3000
    assert entropies > 2900 and hachmans > 2900  # real values are compared, not only NULLs
    assert (entropy_diff, hachman_diff) == (0, 0)
    single = con.execute("SELECT group_entropy FROM region_base WHERE region_id = "
                         "(SELECT max(region_id) FROM region_base)").fetchone()[0]
    assert single == 0.0  # one group: -1 ln 1 = 0


def _sums(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT * FROM region_measure_sums ORDER BY level, region_id").fetchall()


def test_uncounted_step_is_skipped_only_when_it_changes_nothing():
    con = duckdb.connect()
    generate_level(con, 200, 20, seed=1)
    compute_measure_sums(con, "matrix", count_uncounted=True)  # no uncounted_jobs rows
    skipped = _sums(con)
    run_sql_file(con, "region_uncounted.sql")  # what the skipped step would have done
    assert _sums(con) == skipped
    region = skipped[5][1]
    con.execute("INSERT INTO region_context VALUES ('synth', ?, 'uncounted_jobs', 5000)",
                [region])
    compute_measure_sums(con, "matrix", count_uncounted=True)
    counted = {row[1]: row for row in _sums(con)}
    column = [row[0] for row in con.execute("DESCRIBE region_measure_sums").fetchall()].index(
        "uncounted_employment")
    assert counted[region][column] == 5000
    assert sum(row[column] is not None for row in counted.values()) == 1
