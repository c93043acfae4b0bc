"""The data dictionary opens with the levels' periods: which exist, how a period is read, and
an example SQL that runs."""

from __future__ import annotations

import duckdb

from atlas.texts.catalog import data_dictionary_markdown, periods_markdown
from atlas.texts.catalogue import catalogue


def test_the_example_sql_runs_and_every_statement_returns_rows(fixture_con):
    example = catalogue().dictionary["example"]
    statements = [s.strip() for s in example.split(";") if s.strip()]
    assert len(statements) == 3
    for statement in statements:
        assert fixture_con.execute(statement).fetchall(), statement
    # the trend statement has one row per period of the geography
    periods = fixture_con.execute(
        "SELECT count(*) FROM levels WHERE geography = 'cn_city'").fetchone()[0]
    assert len(fixture_con.execute(statements[2]).fetchall()) == periods > 1


def test_the_periods_section_lists_each_geography_and_the_tables_with_periods(fixture_con):
    text = "\n".join(periods_markdown(fixture_con))
    first, last, count = fixture_con.execute(
        "SELECT min(period), max(period), count(*) FROM levels WHERE geography = 'cn_city'"
    ).fetchone()
    assert f"| `cn_city` | {first}-{last} ({count} years) |" in text
    assert "`v_cn_city_trend`" in text and "| `us_area` | one, no year | `us_area` |" in text
    listed = text.split(catalogue().dictionary["tables_note"])[1].split("```")[0]
    assert "`region_indices`" in listed and "`regions`" in listed
    assert "`trap_zones`" not in listed  # computed for the default period only
    assert data_dictionary_markdown(fixture_con).index(text.splitlines()[0]) < \
        data_dictionary_markdown(fixture_con).index("## `backtest` (table)")


def test_no_periods_section_without_a_levels_table():
    con = duckdb.connect()
    assert periods_markdown(con) == []
