"""The edition copy's catalog (:class:`atlas.store.edition.Catalog`), read once, answers every
question exactly as one catalog query per question did, so :func:`withhold` empties the same
places (issue #32 item 3, round s6)."""

from __future__ import annotations

import duckdb

from atlas.store.edition import Catalog, _exists, figure_columns, withhold


def _database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE region_indices (level VARCHAR, region_id VARCHAR, wage DOUBLE)")
    con.execute("CREATE TABLE regions (level VARCHAR, region_id VARCHAR, population DOUBLE)")
    con.execute("CREATE SCHEMA other")
    con.execute("CREATE TABLE other.elsewhere (level VARCHAR, hidden DOUBLE)")
    # a view: its columns are not places a figure is held (tables only)
    con.execute("CREATE VIEW region_view AS SELECT level, wage AS viewed FROM region_indices")
    con.execute("CREATE TABLE figure_lineage (level VARCHAR, figure VARCHAR, restricted BOOLEAN)")
    con.execute("INSERT INTO regions VALUES ('a', 'r1', 10), ('a@2020', 'r1', 9), ('b', 'r2', 7)")
    con.execute("INSERT INTO figure_lineage VALUES ('a', 'regions.population', true), "
                "('b', 'regions.population', false)")
    return con


def test_catalog_answers_as_one_query_per_question():
    con = _database()
    catalog = Catalog(con)
    questions = [(t, None) for t in ("region_indices", "regions", "elsewhere", "region_view",
                                     "missing", "figure_lineage")]
    questions += [(t, c) for t in ("region_indices", "regions", "elsewhere", "region_view",
                                   "missing")
                  for c in ("level", "wage", "population", "hidden", "viewed", "nothing")]
    answers = {(t, c): catalog.exists(t, c) for t, c in questions}
    assert answers == {(t, c): _exists(con, t, c) for t, c in questions}
    # the cases that matter: a view is neither a table nor holds columns; other schemas count
    assert not answers["region_view", None] and not answers["region_view", "viewed"]
    assert answers["elsewhere", "hidden"] and not answers["missing", "level"]
    assert answers["region_indices", "wage"] and not answers["region_indices", "population"]


def test_withhold_with_one_catalog_empties_the_restricted_rows_only():
    con = _database()
    assert figure_columns(con, "a", "regions.population", Catalog(con)) == \
        figure_columns(con, "a", "regions.population")
    assert withhold(con) == 1
    assert con.execute("SELECT level, population FROM regions ORDER BY level").fetchall() == \
        [("a", None), ("a@2020", None), ("b", 7.0)]
