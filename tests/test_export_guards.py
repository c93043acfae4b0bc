"""What a fund allocator's review found in the exports: each guard and fix with its test."""

from __future__ import annotations

import csv
import shlex
from contextlib import closing

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import ConfigError
from atlas.exports.ranking import RankRequest, open_atlas, rank_regions
from atlas.exports.sheets import _empty, number_format
from atlas.exports.write import command_for, write_ranking


def test_a_line_break_inside_a_name_stays_inside_its_field(atlas_con, tmp_path):
    """A CR (or LF) in a name is quoted, so it cannot end the row and start a new one whose
    first cell a spreadsheet would run as a formula."""
    request = RankRequest(top=3)
    ranked = rank_regions(atlas_con, request)
    ranked["name"] = ["Northern NM\r=2+5", "\r=1+1", "two\nlines"]
    path = write_ranking(atlas_con, ranked, request, tmp_path / "x.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 4 and {len(row) for row in rows} == {len(ranked.columns)}
    names = [row[rows[0].index("name")] for row in rows[1:]]
    # a formula after a line break is neutralised too (a semicolon locale splits there)
    assert names == ["Northern NM\r'=2+5", "'\r'=1+1", "two\nlines"]


def test_empty_treats_pandas_missing_values_as_missing():
    assert _empty([pd.NA, None, float("nan"), ""])
    assert not _empty([pd.NA, 3])
    assert not _empty([])


def test_a_historical_china_period_exports_to_xlsx(atlas_con, tmp_path):
    request = RankRequest(level="cn_city@2010", top=5, budget=1_000_000)
    ranked = rank_regions(atlas_con, request)
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "x.xlsx"))
    assert book["data"].max_row == 6


def test_the_recorded_command_reproduces_the_selection(built_atlas, tmp_path):
    """``--db`` is recorded, and a decimal option keeps every digit."""
    with closing(open_atlas(built_atlas)) as con:
        cut = float(con.execute("SELECT total_employment FROM region_indices WHERE "
                                "level = 'country' ORDER BY total_employment DESC "
                                "LIMIT 1 OFFSET 142").fetchone()[0]) + 1e-7
        request = RankRequest(level="country", min_employment=cut)
        ranked = rank_regions(con, request)
    command = command_for(request, "csv", tmp_path / "again.csv", str(built_atlas))
    words = shlex.split(command)
    assert words[:4] == ["atlas", "rank", "--db", str(built_atlas)]
    assert float(words[words.index("--min-employment") + 1]) == cut
    result = CliRunner().invoke(app, words[1:])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "again.csv")) == len(ranked)


@pytest.mark.parametrize("column, expected", [
    ("substitutable_jobs", "#,##0"), ("contributing_family_share", "0.0%"),
    ("reference_industrial_share", "0.0%"), ("industrial_share_change", "0.00"),
    ("secondary_share_change", "0.00"), ("total_employment", "#,##0"), ("name", None)])
def test_every_share_count_and_change_has_a_number_format(column, expected):
    assert number_format(column, "USD") == expected


def test_set_by_names_the_cap_wherever_the_amount_is_at_the_cap(atlas_con):
    request = RankRequest(top=100, budget=1_000_000_000, rule="tiered", floor=2_000_000,
                          cap=30_000_000)
    ranked = rank_regions(atlas_con, request)
    at_cap = ranked["allocation"] == 30_000_000
    assert at_cap.any()
    assert ((ranked["allocation_bound"] == "cap") == at_cap).all()
    at_floor = ranked["allocation"] == 2_000_000
    assert (ranked.loc[at_floor, "allocation_bound"] == "floor").all()


def test_a_format_that_contradicts_the_file_name_is_refused(atlas_con, tmp_path):
    request = RankRequest(top=3)
    ranked = rank_regions(atlas_con, request)
    with pytest.raises(ConfigError, match=r"-o x\.xlsx: the name says xlsx, the format is csv"):
        write_ranking(atlas_con, ranked, request, tmp_path / "x.xlsx", "csv")
    assert list(tmp_path.iterdir()) == []
    assert write_ranking(atlas_con, ranked, request, tmp_path / "x.txt", "csv").is_file()


@pytest.mark.parametrize("level, measure", [("us_area", "felten_aioe"),
                                            ("country", "ilo_genai_2025")])
def test_a_measure_that_leaves_the_shock_pillar_empty_is_refused(atlas_con, level, measure):
    """Under these measures no shock component tells regions apart: the trap ranking would
    rest on absorption alone (and flag traps without any AI shock)."""
    with pytest.raises(ConfigError, match=rf"--measure {measure}: none of the 'AI shock.*"
                                          r"measures under which they do: \[.*eloundou_gpt4_beta"):
        rank_regions(atlas_con, RankRequest(level=level, measure=measure))


def test_a_rule_whose_need_is_missing_everywhere_is_refused(atlas_con):
    """Microsoft's applicability gives no exposed jobs: a need-based split would silently
    become an equal split."""
    request = RankRequest(measure="microsoft_ai_applicability", top=20, budget=10**9)
    with pytest.raises(ConfigError, match="--rule risk_weighted needs exposed jobs"):
        rank_regions(atlas_con, request)
    request.rule = "equal"
    assert rank_regions(atlas_con, request)["allocation"].sum() == 10**9


def test_under_another_measure_the_build_s_intervals_are_left_out(atlas_con, tmp_path):
    """The intervals, robust-trap shares and zones describe the build's ranking, not this one;
    tiers follow the point rank and none is called robust."""
    request = RankRequest(measure="eloundou_gpt4_alpha", budget=10**9, rule="tiered")
    ranked = rank_regions(atlas_con, request)
    for column in ("rank_p05", "rank_p95", "median_rank", "p_trap", "trap_zone"):
        assert ranked[column].isna().all(), column
    assert set(ranked["risk_tier"]) == {"Reaches top decile", "Other"}
    cut = int((ranked["risk_tier"] == "Reaches top decile").sum())
    assert ranked.loc[ranked["risk_rank"] <= cut, "risk_tier"].eq("Reaches top decile").all()
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "m.xlsx"))
    method = {row[0]: row[1] for row in book["method"].iter_rows(min_row=2, values_only=True)}
    assert method["risk tiers"].startswith("From the point rank under eloundou_gpt4_alpha")
    default = rank_regions(atlas_con, RankRequest(top=5))
    assert default["rank_p05"].notna().all()


def test_an_empty_selection_still_describes_its_level(atlas_con, tmp_path):
    request = RankRequest(level="cn_city", min_employment=1e12)
    ranked = rank_regions(atlas_con, request)
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "e.xlsx"))
    rows = [row for row in book["method"].iter_rows(min_row=2, values_only=True)]
    method = dict(rows)
    regions = atlas_con.execute("SELECT count(collapse_risk) FROM region_indices "
                                "WHERE level = 'cn_city'").fetchone()[0]
    assert f"of {regions})" in method["risk tiers"] and "1-0 of 0" not in method["risk tiers"]
    assert method["exposure measure"] == "eloundou_gpt4_beta"
    assert [item for item, _ in rows].count("caveat") == 1
    assert "in_rust_belt_states" not in [c.value for c in book["data"][1]]


def test_a_period_without_intervals_says_its_tiers_follow_the_point_rank(atlas_con, tmp_path):
    request = RankRequest(level="cn_city@2010", budget=10**6, rule="tiered")
    ranked = rank_regions(atlas_con, request)
    assert ranked["rank_p95"].isna().all() and "Robust top decile" not in set(ranked.risk_tier)
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "h.xlsx"))
    method = {row[0]: row[1] for row in book["method"].iter_rows(min_row=2, values_only=True)}
    assert method["risk tiers"].startswith("From the point rank")
    assert "uncertainty.periods" in method["risk tiers"]
    summary = book["summary"]
    top = next(row for row in range(1, 40) if summary.cell(row, 1).value == "#")
    names = [c.value for c in summary[top]]
    assert "(90% interval)" not in names[1] and "rank" in names and "rank_low" not in names


def test_the_build_s_measure_and_single_region_levels_pass_the_measure_check(atlas_con):
    assert len(rank_regions(atlas_con, RankRequest(level="us_nation",
                                                   measure="felten_aioe_pct"))) == 1
    default = rank_regions(atlas_con, RankRequest(measure="eloundou_gpt4_beta", top=3))
    assert default["rank_p05"].notna().all()  # the build's own measure keeps its intervals


def test_tier_shares_keep_every_digit_in_the_command(tmp_path):
    request = RankRequest(budget=10**9, rule="tiered", tier_shares=(0.1234567, 0.5, 0.3765433))
    words = shlex.split(command_for(request, "csv", tmp_path / "x.csv"))
    assert words[words.index("--tier-shares") + 1] == "0.1234567,0.5,0.3765433"
