"""Options are checked with one line naming the option; terminal output is readable."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import ConfigError
from atlas.exports.ranking import RankRequest, rank_regions
from atlas.spec.options import parse_amount, parse_tier_shares
from atlas.texts.terminal import format_value


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("text, expected", [
    ("250000000", 250_000_000), ("250_000_000", 250_000_000), ("250,000,000", 250_000_000),
    ("2.5e8", 250_000_000), (str(2**53), 2**53), ("0", 0),
])
def test_amounts_parse(text, expected):
    assert parse_amount("--budget", text) == expected


@pytest.mark.parametrize("text", ["1e22", str(2**53 + 1), "-5", "1.5", "lots", "nan", "inf"])
def test_bad_amounts_name_the_option(text):
    with pytest.raises(ConfigError, match="^--floor"):
        parse_amount("--floor", text)


@pytest.mark.parametrize("text", ["a,b,c", "1,1", "-1,1,1", "0,0,0", "nan,1,1"])
def test_bad_tier_shares(text):
    with pytest.raises(ConfigError, match="^--tier-shares"):
        parse_tier_shares(text)


def test_python_api_checks_the_same_options(atlas_con):
    for kwargs, option in [({"budget": 10**22}, "--budget"), ({"top": 0}, "--top"),
                           ({"min_employment": float("inf")}, "--min-employment"),
                           ({"budget": 10, "cap": -1}, "--cap"), ({"currency": "dollars"},
                                                                  "--currency")]:
        with pytest.raises(ConfigError, match=f"^{option}"):
            rank_regions(atlas_con, RankRequest(**kwargs))


@pytest.mark.parametrize("args, option", [
    (["--top", "0"], "--top"),
    (["--top", "-3"], "--top"),
    (["--min-employment", "-1"], "--min-employment"),
    (["--min-employment", "nan"], "--min-employment"),
    (["--budget", "1e22"], "--budget"),
    (["--budget", "10000000000000000000000"], "--budget"),
    (["--budget", "100", "--floor", "1e30"], "--floor"),
    (["--budget", "100", "--cap", "-2"], "--cap"),
    (["--budget", "100", "--currency", "US$"], "--currency"),
    (["--budget", "100", "--rule", "tiered", "--tier-shares", "0.6,0.4"], "--tier-shares"),
    (["--budget", "100", "--rule", "tiered", "--within", "most"], "--within"),
    (["--budget", "100", "--tier-shares", "1,1,1"], "--tier-shares"),
    (["--floor", "10"], "--floor"),
    (["--province", "atlantis"], "--state"),
    (["--level", "cn_city", "--province", "atlantis"], "--province"),
    (["--level", "country", "--region", "atlantis"], "--region"),
    (["--level", "cn_city", "--any-county-in", "OH"], "--any-county-in"),
])
def test_rank_options_fail_in_one_line(built_atlas, args, option):
    result = run("rank", "--db", str(built_atlas), *args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and option in lines[0], lines
    assert "Traceback" not in result.output


@pytest.mark.parametrize("level, name, concept", [
    ("us_area", "ZZ", "unknown state 'ZZ'"), ("cn_city", "atlantis", "unknown province"),
    ("country", "atlantis", "unknown World Bank region"),
])
def test_geography_messages_name_the_concept(atlas_con, level, name, concept):
    with pytest.raises(ConfigError, match=concept):
        rank_regions(atlas_con, RankRequest(level=level, states=[name]))


@pytest.mark.parametrize("args, option", [
    (["scenario", "--top", "0"], "--top"),
    (["sql", "SELECT 1", "--max-width", "0"], "--max-width"),
])
def test_other_commands_check_their_numbers(built_atlas, args, option):
    result = run(*args, "--db", str(built_atlas))
    assert result.exit_code == 1 and option in result.output


def test_synth_checks_its_counts(tmp_path):
    result = run("synth", "--regions", "0", "--db", str(tmp_path / "s.duckdb"))
    assert result.exit_code == 1 and "--regions" in result.output
    assert not (tmp_path / "s.duckdb").exists()


@pytest.mark.parametrize("spelling", ["hebei", "Hebei", "HEBEI", "河北", "河北省", " hebei "])
def test_province_spellings(atlas_con, spelling):
    ranked = rank_regions(atlas_con, RankRequest(level="cn_city", states=[spelling]))
    assert len(ranked) == 11 and (ranked.province == "河北省").all()


def test_province_suffixes_and_alternatives(atlas_con):
    for spelling, province in [("新疆", "新疆维吾尔自治区"), ("广西", "广西壮族自治区"),
                               ("宁夏", "宁夏回族自治区"), ("tibet", "西藏自治区"),
                               ("Xizang", "西藏自治区"), ("北京", "北京市"),
                               ("inner mongolia", "内蒙古自治区")]:
        ranked = rank_regions(atlas_con, RankRequest(level="cn_city", states=[spelling]))
        assert len(ranked) and (ranked.province == province).all(), spelling


def test_cli_province_hebei(built_atlas):
    result = run("rank", "--db", str(built_atlas), "--level", "cn_city", "--province", "hebei")
    assert result.exit_code == 0, result.output
    assert "衡水市 Hengshui" in result.output


def test_any_county_in_prints_a_note(built_atlas):
    result = run("rank", "--db", str(built_atlas), "--any-county-in", "OH")
    assert result.exit_code == 0, result.output
    assert "note: 3 selected regions have their principal state outside" in " ".join(
        result.stderr.split())
    assert "Huntington-Ashland" in result.stderr


def test_values_are_readable():
    assert format_value(float("nan")) == "n/a"
    assert format_value(None) == "n/a"
    assert format_value(1234567.0) == "1,234,567"
    assert format_value(1234567, currency="EUR") == "1,234,567 EUR"
    assert format_value(2020, "population_year") == "2020"
    assert format_value(0.12345) == "0.1235"


def test_rank_prints_amounts_with_the_currency(built_atlas):
    result = run("rank", "--db", str(built_atlas), "--top", "5", "--budget", "1000000",
                 "--currency", "eur")
    assert result.exit_code == 0, result.output
    assert result.stdout.count(" EUR") == 5
    assert "nan" not in result.stdout


def test_sql_prints_wide_rows_as_records(built_atlas):
    query = ("SELECT * FROM region_indices WHERE level = 'us_area' ORDER BY name LIMIT 3")
    result = run("sql", "--db", str(built_atlas), query)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    columns = 56  # today's region_indices; the engine adds more
    assert sum(line.startswith("-[ record") for line in lines) == 3
    assert len(lines) >= 3 * columns
    assert any(line.split("|")[0].strip() == "name" and "Abilene, TX" in line for line in lines)
    assert any(line.startswith("total_employment") and "," in line for line in lines)
    assert not any(len(line.strip()) == 1 for line in lines)
    assert "nan" not in result.stdout.replace("nonmetro", "")


def test_sql_narrow_result_is_a_table_with_truncated_cells(built_atlas):
    result = run("sql", "--db", str(built_atlas), "--max-width", "12",
                 "SELECT name, data_quality FROM region_indices WHERE level = 'country' "
                 "ORDER BY region_id LIMIT 2")
    assert result.exit_code == 0, result.output
    assert "Afghanistan" in result.stdout and "…" in result.stdout
    assert len(result.stdout.splitlines()) == 6


@pytest.mark.parametrize("query, words", [
    ("SELECT nme FROM regions", ['Referenced column "nme" not found',
                                 'Candidate bindings: "name"']),
    ("INSTALL httpfs", ["INSTALL statements are refused"]),
])
def test_sql_errors_are_one_line(built_atlas, query, words):
    result = run("sql", "--db", str(built_atlas), query)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "LINE 1" not in lines[0], result.output
    assert all(word in " ".join(lines[0].split()) for word in words), lines[0]


def test_a_folder_given_as_db_is_named(built_atlas):
    result = run("sql", "--db", str(built_atlas.parent), "SELECT 1")
    assert result.exit_code == 1
    assert "is a folder, not an atlas database" in " ".join(result.output.split())


def test_years_and_periods_have_no_thousands_separator():
    assert format_value(2019, "period") == "2019"
    assert format_value(2019, "population_year") == "2019"
    assert format_value(2019, "total_employment") == "2,019"


@pytest.mark.parametrize("query, kind", [("-- a comment\nDELETE FROM regions", "DELETE"),
                                          ("WITH a AS (SELECT 1) INSERT INTO regions "
                                           "SELECT * FROM regions", "INSERT"),
                                          ("/* x */ INSTALL httpfs", "INSTALL")])
def test_a_refused_statement_is_named_by_its_kind(query, kind):
    from atlas.cli.sql_console import checked_statement

    with pytest.raises(ConfigError, match=f"{kind} statements are refused"):
        checked_statement(query)
