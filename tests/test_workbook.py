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


def header_row(sheet) -> int:
    """The table's header row: 1, or the row under the summary's title block (its first
    cell is "#")."""
    if sheet.title != "summary":
        return 1
    return next(row for row in range(1, 40) if sheet.cell(row, 1).value == "#")


def headers(sheet) -> list[str]:
    return [cell.value for cell in sheet[header_row(sheet)]]


def column(sheet, header: str) -> list:
    index = headers(sheet).index(header) + 1
    return [sheet.cell(row=r, column=index)
            for r in range(header_row(sheet) + 1, sheet.max_row + 1)]


def test_summary_sheet_layout(ohio):
    assert ohio.sheetnames[0] == "summary"
    assert ohio.sheetnames == ["summary", "data", "programmes", "method", "dictionary",
                               "provenance", "sources"]
    sheet = ohio["summary"]
    names, top = headers(sheet), header_row(sheet)
    assert len(names) < 23
    assert all(cell.font.bold for cell in sheet[top])
    assert sheet.freeze_panes == f"A{top + 1}"
    regions = sheet.max_row - top - 1  # header and totals rows
    assert regions >= 5
    last = sheet.cell(top, len(names)).column_letter
    assert sheet.auto_filter.ref == f"A{top}:{last}{top + regions}"
    assert names[:8] == ["#", "Rank of 528 (90% interval)", "rank", "rank_low", "rank_high",
                         "Name", "State", "Jobs"]
    assert all(re.fullmatch(r"\d+ \(\d+-\d+\)", c.value) for c in column(sheet, names[1])[:-1])
    assert all(sheet.column_dimensions[c.column_letter].width >= 6 for c in sheet[top])


def test_summary_title_block_page_setup_and_numeric_ranks(ohio):
    sheet = ohio["summary"]
    top = header_row(sheet)
    title = [sheet.cell(row, 1).value for row in range(1, top - 1)]
    assert title[0].startswith("Collapse-risk ranking and transition-fund allocation: ")
    assert "Budget: 250,000,000 USD" in title
    rule = next(line for line in title if line.startswith("Rule: "))
    assert "risk_weighted" in rule and "1,000,000 USD" in rule and "40,000,000 USD" in rule
    assert rule.count(". ") == 0  # one sentence
    assert any(line.startswith("Filters: ") and "transition_target" in line and "OH" in line
               for line in title)
    assert any(re.match(r"Atlas built: \d{4}-\d\d-\d\d", line) for line in title)
    assert any(line.startswith("Caveat: ") and "not a forecast" in line for line in title)
    # the README's Ohio selection holds places in the lower half of the ranking: said once
    warning = [line for line in title if line.startswith("Warning: ")]
    ranks = [c.value for c in column(sheet, "rank")[:-1]]
    low = [r for r in ranks if r > 528 / 2]
    assert low and len(warning) == 1 and f"{len(low)} of the {len(ranks)}" in warning[0]
    for sheet_name in ohio.sheetnames:  # every sheet prints landscape, one page wide
        ws = ohio[sheet_name]
        assert ws.page_setup.orientation == "landscape", sheet_name
        # fitToWidth: 1 is the attribute's default in OOXML (ECMA-376), which xlsxwriter omits
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0, \
            sheet_name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, sheet_name
        assert ws.print_title_rows == f"${header_row(ws)}:${header_row(ws)}", sheet_name
    assert sheet.row_dimensions[top].height >= 30  # "Rank of 528 (90% interval)" wraps
    # numbers beside the text: sortable, and the same as the text "36 (15-218)"
    texts = [c.value for c in column(sheet, "Rank of 528 (90% interval)")[:-1]]
    numbers = zip(ranks, [c.value for c in column(sheet, "rank_low")[:-1]],
                  [c.value for c in column(sheet, "rank_high")[:-1]], strict=True)
    for text, (rank, low_rank, high_rank) in zip(texts, numbers, strict=True):
        assert all(isinstance(v, int) for v in (rank, low_rank, high_rank))
        assert text == f"{rank} ({low_rank}-{high_rank})" and low_rank <= rank <= high_rank
    assert {c.number_format for c in column(sheet, "rank")[:-1]} == {"0"}


@pytest.mark.parametrize("options", [["--rule", "tiered"], ["--floor", "1000"],
                                     ["--cap", "5000", "--rule", "equal"]])
def test_allocation_options_without_a_budget_are_refused(built_atlas, tmp_path, options):
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(app, ["rank", "--db", str(built_atlas), "--top", "5", *options,
                                      "-o", str(out)])
    assert result.exit_code != 0 and not out.exists()
    message = result.output.strip()
    assert "--budget" in message and options[0] in message and len(message.splitlines()) == 1
    assert "Traceback" not in message


def test_ignored_currency_and_a_low_risk_place_are_warned(built_atlas, tmp_path):
    out = tmp_path / "w.xlsx"
    result = CliRunner().invoke(app, ["rank", "--db", str(built_atlas), "--state", "OH",
                                      "--currency", "EUR", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: --currency applies only with --budget: ignored." in result.output
    assert "rank in the lower half of the level's 528 regions" in result.output
    sheet = openpyxl.load_workbook(out)["summary"]
    title = [sheet.cell(row, 1).value for row in range(1, header_row(sheet) - 1)]
    assert "Budget: none (a ranking only; atlas rank --budget splits an amount)" in title
    assert sum(1 for line in title if line.startswith("Warning: ")) == 2


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
    names = headers(summary)
    assert names[names.index("Name") + 1] == header
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
    summary = book["summary"]
    assert summary.cell(header_row(summary) + 1, 1).data_type == "n"  # numbers untouched
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
    # tier 1 cannot take its 60%: its regions sit at the cap; the rest would go 3:1 to tiers
    # 2 and 3, which would pay tier 3 more per exposed job, so they are pooled: every region
    # of both that no floor or cap binds gets the same amount per exposed job
    per_tier = ranked.groupby("risk_tier").allocation.agg(["sum", "count"])
    robust = per_tier.loc["Robust top decile"]
    assert robust["sum"] == robust["count"] * 10_000_000 < 0.6 * 250_000_000
    free = ranked.loc[(ranked.allocation_bound == "")
                      & (ranked.risk_tier != "Robust top decile")]
    rates = free.allocation / free.allocation_need
    assert set(free.risk_tier) == {"Reaches top decile", "Other"}
    assert rates.max() - rates.min() <= 1 / free.allocation_need.min() + 1e-9 * rates.max()
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "t.xlsx"))
    method = {row[0]: row[1] for row in book["method"].iter_rows(min_row=2, values_only=True)}
    assert "tiered" in method["allocation rule"]
    first = ranked.iloc[0]  # the worked example follows the file's first region
    tier = {"Robust top decile": 1, "Reaches top decile": 2, "Other": 3}[first.risk_tier]
    assert first["name"] in method["worked example"]
    assert f"is in tier {tier} ({first.risk_tier})" in method["worked example"]


def test_engine_columns_appear_when_present(atlas_con, tmp_path):
    # the engine is adding pillar scores, p_trap and two flags; every optional summary column
    # at once (pillars, p_trap, note, allocation) still stays under 23 columns
    request = RankRequest(any_county_in=["OH"], budget=1_000_000, rule="tiered")
    ranked = rank_regions(atlas_con, request)
    ranked = ranked.assign(pillar_shock=0.25, pillar_absorption=0.75, p_trap=0.5,
                           flag_low_confidence=[i == 0 for i in range(len(ranked))],
                           flag_transition_target=False)
    book = openpyxl.load_workbook(write_ranking(atlas_con, ranked, request, tmp_path / "e.xlsx"))
    names = headers(book["summary"])
    assert {"AI shock (pillar)", "Weak absorption (pillar)", "Trap share of specifications",
            "Note", "Allocation (USD)"} <= set(names)
    assert len(names) < 23
    assert "low confidence" in column(book["summary"], "Flags")[0].value
    meaning = {row[1]: row[2] for row in book["dictionary"].iter_rows(min_row=2, values_only=True)
               if row[0] == "data"}
    assert "absorption" in meaning["pillar_absorption"]


def test_tiered_money_follows_risk_and_tier_subtotals(built_atlas, tmp_path):
    """The README's Ohio selection under --rule tiered: per exposed job, no region outside
    a floor or cap gets less than a region of a lower tier, and the summary sheet ends in
    one subtotal row per tier (count, jobs, exposed jobs, amount) that add up."""
    out = tmp_path / "tiered.xlsx"
    command = [*README_EXAMPLE, "--db", str(built_atlas), "-o", str(out)]
    command[command.index("risk_weighted")] = "tiered"
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["summary"]
    names = [c.value for c in column(sheet, "Name")]
    total_row = next(i for i, n in enumerate(names) if str(n).startswith("Total:"))
    rows, subtotals = range(total_row), range(total_row + 1, len(names))
    values = {h: [c.value for c in column(sheet, h)] for h in (
        "Risk tier", "Allocation (USD)", "Exposed jobs", "Jobs", "Set by")}
    order = {"Robust top decile": 1, "Reaches top decile": 2, "Other": 3}
    free = [i for i in rows if not values["Set by"][i]]
    assert len({values["Risk tier"][i] for i in free}) >= 2
    for i in free:
        for j in free:
            if order[values["Risk tier"][i]] < order[values["Risk tier"][j]]:
                assert (values["Allocation (USD)"][i] / values["Exposed jobs"][i]
                        >= values["Allocation (USD)"][j] / values["Exposed jobs"][j] * (1 - 1e-6))
    assert len(subtotals) == len({values["Risk tier"][i] for i in rows})
    for k in subtotals:
        tier = values["Risk tier"][k]
        members = [i for i in rows if values["Risk tier"][i] == tier]
        assert names[k] == f"Tier '{tier}': {len(members)} regions"
        for header in ("Allocation (USD)", "Jobs", "Exposed jobs"):
            assert values[header][k] == pytest.approx(sum(values[header][i] for i in members))
    assert sum(values["Allocation (USD)"][k] for k in subtotals) == 250_000_000
