"""Ranked lists for fund allocators, on the real atlas."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import ConfigError
from atlas.exports.ranking import RankRequest, rank_regions
from atlas.exports.write import write_ranking


def test_filters_match_a_direct_query(atlas_con):
    request = RankRequest(flags=["trap", "rust_belt"], any_county_in=["OH", "PA"],
                          min_employment=20000)
    ranked = rank_regions(atlas_con, request)
    expected = atlas_con.execute("""
        SELECT region_id FROM region_indices
        WHERE level = 'us_area' AND (flag_trap OR flag_rust_belt)
          AND (list_contains(string_split(states, '-'), 'OH')
               OR list_contains(string_split(states, '-'), 'PA'))
          AND total_employment >= 20000
        ORDER BY risk_rank""").fetchall()
    assert ranked.region_id.tolist() == [row[0] for row in expected]
    assert len(ranked) > 0


def test_state_means_the_principal_state(atlas_con):
    ranked = rank_regions(atlas_con, RankRequest(states=["oh"]))
    expected = atlas_con.execute("SELECT region_id FROM region_indices WHERE level = 'us_area' "
                                 "AND state = 'OH' ORDER BY risk_rank").fetchall()
    assert ranked.region_id.tolist() == [row[0] for row in expected]
    assert "Huntington-Ashland, WV-KY-OH" not in set(ranked.name)
    by_name = rank_regions(atlas_con, RankRequest(states=["Ohio"]))
    assert by_name.region_id.tolist() == ranked.region_id.tolist()
    assert "note" not in ranked.columns


def test_any_county_in_notes_regions_of_another_principal_state(atlas_con):
    ranked = rank_regions(atlas_con, RankRequest(any_county_in=["OH"]))
    noted = ranked.loc[ranked.note != ""]
    assert set(noted.state) == {"WV"}
    assert "Huntington-Ashland, WV-KY-OH" in set(noted.name)
    assert noted.note.str.contains("principal state WV").all()
    assert (ranked.loc[ranked.state == "OH", "note"] == "").all()


def test_top_and_order(atlas_con):
    ranked = rank_regions(atlas_con, RankRequest(top=25))
    assert ranked.risk_rank.tolist() == list(range(1, 26))
    assert ranked.selection_rank.tolist() == list(range(1, 26))


def test_allocation_sums_to_budget_on_real_regions(atlas_con):
    for rule in ("exposed_jobs", "risk_weighted", "equal"):
        ranked = rank_regions(atlas_con, RankRequest(top=50, budget=250_000_000, rule=rule,
                                                     floor=1_000_000, cap=20_000_000))
        assert ranked.allocation.sum() == 250_000_000
        assert ranked.allocation.between(1_000_000, 20_000_000).all()


def test_measure_recomputes_the_ranking(atlas_con):
    default = rank_regions(atlas_con, RankRequest())
    other = rank_regions(atlas_con, RankRequest(measure="felten_lm_aioe_pct"))
    assert (other.exposure_measure == "felten_lm_aioe_pct").all()
    assert default.region_id.tolist() != other.region_id.tolist()
    assert sorted(other.risk_rank) == list(range(1, 529))
    assert {"median_rank", "flag_robust_trap", "trap_zone"} <= set(other.columns)


@pytest.mark.parametrize("request_kwargs, valid_value", [
    ({"level": "county"}, "us_area"),
    ({"flags": ["coastal"]}, "rust_belt"),
    ({"states": ["ZZ"]}, "OH"),
    ({"measure": "gpt5"}, "eloundou_gpt4_beta"),
])
def test_unknown_values_list_the_valid_ones(atlas_con, request_kwargs, valid_value):
    with pytest.raises(ConfigError, match=valid_value):
        rank_regions(atlas_con, RankRequest(**request_kwargs))


def test_formats(atlas_con, tmp_path):
    request = RankRequest(top=30, budget=1_000_000)
    ranked = rank_regions(atlas_con, request)
    xlsx = write_ranking(atlas_con, ranked, request, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert book.sheetnames == ["summary", "data", "programmes", "method", "dictionary",
                               "provenance", "sources"]
    assert book["data"].max_row == 31
    top = next(r for r, row in enumerate(book["summary"].iter_rows(values_only=True), 1)
               if row[0] == "#")  # under the title block
    assert top > 5 and book["summary"].max_row == top + 31  # header, 30 regions, totals
    parquet = write_ranking(atlas_con, ranked, request, tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), ranked)
    geojson = write_ranking(atlas_con, ranked, request, tmp_path / "r.geojson")
    document = json.loads(geojson.read_text())
    assert document["type"] == "FeatureCollection"
    assert len(document["features"]) == len(ranked)
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
               for f in document["features"])
    csv = write_ranking(atlas_con, ranked, request, tmp_path / "r.csv")
    assert len(pd.read_csv(csv)) == 30
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads it as UTF-8
    plain = write_ranking(atlas_con, ranked, request, tmp_path / "plain.csv", bom=False)
    assert plain.read_bytes().startswith(b'"selection_rank"')  # text fields are quoted


def test_failed_write_leaves_no_file(atlas_con, tmp_path):
    request = RankRequest(top=3)
    ranked = rank_regions(atlas_con, request).assign(bad=[object(), object(), object()])
    with pytest.raises(Exception):  # noqa: B017 - pyarrow cannot write plain objects
        write_ranking(atlas_con, ranked, request, tmp_path / "r.parquet")
    assert list(tmp_path.iterdir()) == []


def test_cli_rank_writes_the_issue_example(built_atlas, tmp_path):
    out = tmp_path / "ohio_trap.xlsx"
    from tests.test_workbook import README_EXAMPLE

    result = CliRunner().invoke(app, [*README_EXAMPLE, "--db", str(built_atlas), "-o", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_excel(out, sheet_name="data", engine="openpyxl")
    assert frame.allocation.sum() == 250_000_000
    assert (frame.state == "OH").all()
    provenance = pd.read_excel(out, sheet_name="provenance", engine="openpyxl")
    assert provenance.vintage.astype(str).str.contains("--budget").any()


def test_cli_rank_reports_impossible_budget(built_atlas):
    result = CliRunner().invoke(app, ["rank", "--db", str(built_atlas), "--top", "10",
                                      "--budget", "100", "--floor", "20"])
    assert result.exit_code != 0
    assert "floors exceed the budget" in " ".join(result.output.split())
