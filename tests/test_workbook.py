"""The workbook a fund officer hands on: layout, currency, totals, method, level texts, and
text that cannot run as a formula (real atlas)."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.exports.ranking import RankRequest, rank_regions
from atlas.exports.write import write_ranking
from atlas.spec.config import load_config
from atlas.spec.risk_model import active_model
from atlas.texts.method_text import risk_formula

README_EXAMPLE = ["rank", "--level", "us_area", "--flag", "transition_target", "--flag",
                  "rust_belt", "--state", "OH", "--min-employment", "20000", "--top", "50",
                  "--budget", "250000000", "--rule", "risk_weighted", "--floor", "1000000",
                  "--cap", "40000000", "--format", "xlsx"]


def test_the_readme_shows_this_example():
    from atlas.texts.inputs_table import README

    command = " ".join(["atlas", *README_EXAMPLE, "-o", "ohio_trap.xlsx"])
    text = " ".join(README.read_text(encoding="utf-8").replace("\\\n", " ").split())
    assert command in text


@pytest.fixture(scope="module")
def ohio(built_atlas, tmp_path_factory):
    out = tmp_path_factory.mktemp("wb") / "ohio_trap.xlsx"
    result = CliRunner().invoke(app, [*README_EXAMPLE, "--db", str(built_atlas), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(out)


def headers(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def column(sheet, header: str) -> list:
    index = headers(sheet).index(header) + 1
    return [sheet.cell(row=r, column=index) for r in range(2, sheet.max_row + 1)]


def test_summary_sheet_layout(ohio):
    assert ohio.sheetnames[0] == "summary"
    assert ohio.sheetnames == ["summary", "data", "method", "dictionary", "provenance"]
    sheet = ohio["summary"]
    names = headers(sheet)
    assert len(names) < 20
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    regions = sheet.max_row - 2  # header and totals rows
    assert regions >= 5
    last = sheet.cell(1, len(names)).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{regions + 1}"
    assert names[:5] == ["#", "Rank of 528 (90% interval)", "Name", "State", "Jobs"]
    assert all(re.fullmatch(r"\d+ \(\d+-\d+\)", c.value) for c in column(sheet, names[1])[:-1])
    assert all(sheet.column_dimensions[c.column_letter].width >= 6 for c in sheet[1])


def test_summary_numbers_currency_and_totals(ohio):
    sheet = ohio["summary"]
    amounts = column(sheet, "Allocation (USD)")
    jobs = column(sheet, "Jobs")
    assert {c.number_format for c in amounts} == {'#,##0 "USD"'}
    assert {c.number_format for c in jobs} == {"#,##0"}
    assert {c.number_format for c in column(sheet, "Unemployment rate (%)")} == {"0.0"}
    *rows, total = amounts
    assert sum(c.value for c in rows) == total.value == 250_000_000
    assert all(1_000_000 <= c.value <= 40_000_000 for c in rows)
    assert total.font.bold
    assert column(sheet, "Name")[-1].value == f"Total: {len(rows)} regions"
    assert sum(c.value for c in jobs[:-1]) == jobs[-1].value
    flags = [c.value for c in column(sheet, "Flags")[:-1]]
    # the selection: transition targets or rust-belt areas
    assert all(f and {"transition target", "rust belt"} & set(f.split(", ")) for f in flags)


def test_method_has_a_worked_example_for_the_first_region(ohio):
    method = {row[0]: row[1] for row in ohio["method"].iter_rows(min_row=2, values_only=True)}
    summary = ohio["summary"]
    first = column(summary, "Name")[0].value
    amount = column(summary, "Allocation (USD)")[0].value
    need = column(summary, "Need (exposed jobs x risk)")[0].value
    example = method["worked example"]
    assert example.startswith(first)
    assert f"= {amount:,} USD" in example
    t = float(re.search(r"t = ([\d,.]+) USD", example).group(1).replace(",", ""))
    if "the cap binds" in example:
        assert amount == 40_000_000 and t * need >= amount
    else:
        assert abs(t * need - amount) <= max(1.0, amount * 1e-5)
        assert "neither binds" in example
    assert "principal state: any of OH" in method["filters"]
    model = active_model(load_config())
    assert method["collapse risk"] == risk_formula(model)  # rendered from the config
    assert "not accounted for" in method and "prices" in method["not accounted for"]


def test_data_sheet_has_no_empty_columns_and_a_currency(ohio):
    data = ohio["data"]
    names = headers(data)
    assert "name_zh" not in names and "gdp_per_capita" not in names
    assert "flag_global_south" not in names
    assert {"risk_tier", "allocation", "currency"} <= set(names)
    for index in range(1, len(names) + 1):
        assert any(data.cell(row=r, column=index).value not in (None, "")
                   for r in range(2, data.max_row + 1)), names[index - 1]


@pytest.mark.parametrize("level, states, header, employment, unemployment", [
    ("cn_city", ["hebei"], "Province 省", "Statistical Yearbook", "Registered urban"),
    ("country", ["South Asia"], "Region (World Bank)", "ILOSTAT", "ILO"),
    ("us_state", [], "State", "OEWS May 2025", "BLS LAUS"),
])
def test_level_texts(atlas_con, tmp_path, level, states, header, employment, unemployment):
    request = RankRequest(level=level, states=states, top=10, budget=10_000_000,
                          currency="CNY" if level == "cn_city" else "USD")
    ranked = rank_regions(atlas_con, request)
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "x.xlsx"))
    summary = book["summary"]
    assert headers(summary)[3] == header
    meaning = {(row[0], row[1]): row[2]
               for row in book["dictionary"].iter_rows(min_row=2, values_only=True)}
    assert employment in meaning[("data", "total_employment")]
    assert unemployment in meaning[("data", "unemployment_rate")]
    if level != "us_state":
        assert "OEWS May 2025 published total" not in meaning[("data", "total_employment")]
        assert "2023 annual average" not in meaning[("data", "unemployment_rate")]
        assert "median_hh_income" not in headers(book["data"])
    if level == "country":  # no industrial measure for countries: the flag cannot apply
        assert "flag_rust_belt" not in headers(book["data"])
    currency = request.currency
    assert {c.number_format for c in column(summary, f"Allocation ({currency})")} == {
        f'#,##0 "{currency}"'}
    if level == "cn_city":
        assert all(c.value.startswith("河北省 Hebei") for c in column(summary, header)[:-1])


def test_formula_like_names_stay_text(atlas_con, tmp_path):
    request = RankRequest(top=3)
    ranked = rank_regions(atlas_con, request)
    evil = ['=HYPERLINK("http://x","click me")', "-1+2", "@SUM(A1)"]
    ranked["name"] = evil
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "x.xlsx"))
    for sheet in ("summary", "data"):
        cells = column(book[sheet], "Name" if sheet == "summary" else "name")[:3]
        assert [c.value for c in cells] == evil
        assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert book["summary"]["A2"].data_type == "n"  # numbers untouched
    text = write_ranking(atlas_con, ranked, request, tmp_path / "x.csv").read_text(
        encoding="utf-8-sig")
    assert "'=HYPERLINK(\"\"http://x\"\",\"\"click me\"\")" in text
    assert ",\"'-1+2\"," in text and ",\"'@SUM(A1)\"," in text  # text fields are quoted
    back = pd.read_csv(tmp_path / "x.csv")
    assert back.name.tolist() == ["'" + name for name in evil]
    assert (back.total_employment > 0).all()


def test_chinese_names_survive_csv(atlas_con, tmp_path):
    request = RankRequest(level="cn_city", states=["河北省"], top=3)
    ranked = rank_regions(atlas_con, request)
    raw = write_ranking(atlas_con, ranked, request, tmp_path / "cn.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert len(ranked) == 3 and all(name in text for name in ranked["name_zh"])
    assert all(province == "河北省" for province in ranked["province"])


def test_tiered_rule_on_real_regions(atlas_con, tmp_path):
    request = RankRequest(top=100, budget=250_000_000, rule="tiered", floor=500_000,
                          cap=10_000_000, tier_shares=(0.6, 0.3, 0.1))
    ranked = rank_regions(atlas_con, request)
    assert ranked.allocation.sum() == 250_000_000
    assert ranked.allocation.between(500_000, 10_000_000).all()
    assert set(ranked.risk_tier) == {"Robust top decile", "Reaches top decile", "Other"}
    # tier 1 cannot take its 60%: its regions sit at the cap, and the rest goes 3:1 to tiers
    # 2 and 3 (shares are per tier, not per region)
    per_tier = ranked.groupby("risk_tier").allocation.agg(["sum", "count"])
    robust = per_tier.loc["Robust top decile"]
    assert robust["sum"] == robust["count"] * 10_000_000 < 0.6 * 250_000_000
    rest = 250_000_000 - robust["sum"]
    assert abs(per_tier.loc["Reaches top decile", "sum"] - 0.75 * rest) <= 1
    assert abs(per_tier.loc["Other", "sum"] - 0.25 * rest) <= 1
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "t.xlsx"))
    method = {row[0]: row[1] for row in book["method"].iter_rows(min_row=2, values_only=True)}
    assert "tiered" in method["allocation rule"]
    assert "is in tier 1 (Robust top decile)" in method["worked example"]


def test_engine_columns_appear_when_present(atlas_con, tmp_path):
    # the engine is adding pillar scores, p_trap and two flags; every optional summary column
    # at once (pillars, p_trap, note, allocation) still stays under 20 columns
    request = RankRequest(any_county_in=["OH"], budget=1_000_000, rule="tiered")
    ranked = rank_regions(atlas_con, request)
    ranked = ranked.assign(pillar_shock=0.25, pillar_absorption=0.75, p_trap=0.5,
                           flag_low_confidence=[i == 0 for i in range(len(ranked))],
                           flag_transition_target=False)
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "e.xlsx"))
    names = headers(book["summary"])
    assert {"AI shock (pillar)", "Weak absorption (pillar)", "Trap share of specifications",
            "Note", "Allocation (USD)"} <= set(names)
    assert len(names) < 20
    assert "low confidence" in column(book["summary"], "Flags")[0].value
    meaning = {row[1]: row[2] for row in book["dictionary"].iter_rows(min_row=2, values_only=True)
               if row[0] == "data"}
    assert "absorption" in meaning["pillar_absorption"]
