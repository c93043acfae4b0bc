"""The whole atlas built from the tiny synthetic inputs of ``tests/fixtures/data``.

Needs no real inputs: the fixtures have the real files' names and layout
(``tests/fixtures/make_fixtures.py`` writes them), and the manifest's ``fixture`` profile
relaxes only the row counts a complete real file has.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import FIXTURES

from atlas.errors import ConfigError, InputError
from atlas.exports.ranking import RankRequest, rank_regions
from atlas.sources.inputs import Inputs
from atlas.spec.manifest import PROFILE_FILE, load_manifest

GENERATOR = FIXTURES.parent / "make_fixtures.py"


def generator():
    """``tests/fixtures/make_fixtures.py`` as a module."""
    spec = importlib.util.spec_from_file_location("make_fixtures", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_fixtures_are_what_the_generator_writes():
    files = generator().generate()
    committed = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file()}
    assert committed == set(files)
    for path, data in files.items():
        on_disk = (FIXTURES / path).read_bytes()
        if path.endswith(".parquet"):  # the writer's version is in the bytes: compare content
            pd.testing.assert_frame_equal(pd.read_parquet(FIXTURES / path),
                                          pd.read_parquet(io.BytesIO(data)))
        elif path.endswith(".xlsx"):
            written = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
            for sheet, frame in written.items():
                committed = pd.read_excel(FIXTURES / path, sheet_name=sheet, engine="openpyxl")
                pd.testing.assert_frame_equal(committed, frame)
        else:
            assert on_disk == data, path
    assert sum(map(len, files.values())) < 400_000  # tiny: a few kilobytes per file


def test_every_manifest_check_passes_and_only_min_rows_is_relaxed():
    inputs = Inputs(FIXTURES)
    assert inputs.profile == "fixture"
    inputs.check_all()  # every entry: columns, kinds, keys, ranges, text, geometry
    real = load_manifest()
    assert set(inputs.specs) == set(real)
    for key, spec in inputs.specs.items():
        assert spec == dataclasses.replace(real[key], min_rows=spec.min_rows), key
    # with the entries as written (the real inputs' checks) the tiny files are refused
    with pytest.raises(InputError, match="rows"):
        Inputs(FIXTURES, real).check_all()


def test_a_profile_the_manifest_does_not_declare_is_one_line(tmp_path):
    (tmp_path / PROFILE_FILE).write_text('profile = "tiny"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'tiny' is not declared") as raised:
        Inputs(tmp_path)
    assert "\n" not in str(raised.value)
    (tmp_path / PROFILE_FILE).write_text("profile = [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=PROFILE_FILE):
        Inputs(tmp_path)


def test_every_level_has_ranked_regions(fixture_con):
    levels = [row[0] for row in fixture_con.execute("SELECT level FROM levels").fetchall()]
    assert {"us_area", "us_state", "us_nation", "cn_city", "country"} <= set(levels)
    for level in levels:
        ranks = fixture_con.execute(
            "SELECT risk_rank FROM region_indices WHERE level = ? AND risk_rank IS NOT NULL "
            "ORDER BY 1", [level]).fetchall()
        with_jobs = fixture_con.execute(
            "SELECT count(DISTINCT region_id) FROM employment WHERE level = ?",
            [level]).fetchone()[0]
        assert [r[0] for r in ranks] == list(range(1, with_jobs + 1)), level
        assert with_jobs >= 1, level
    # the counts the synthetic inputs were written with
    oews = pd.read_parquet(FIXTURES / "us" / "oews_m2025_area_occ_all.parquet")
    expected = {"us_area": oews.loc[oews.area_kind.isin(["msa", "nonmetro"]),
                                    "area_code"].nunique(),
                "us_state": oews.loc[oews.area_kind == "state", "area_code"].nunique(),
                "cn_city": pd.read_csv(FIXTURES / "cn" / "cn_prefecture_units.csv").shape[0]}
    for level, count in expected.items():
        assert fixture_con.execute("SELECT count(risk_rank) FROM region_indices "
                                   "WHERE level = ?", [level]).fetchone()[0] == count, level


def test_shares_sum_to_one_and_us_areas_keep_their_published_totals(fixture_con):
    sums = fixture_con.execute("""
        SELECT e.level, e.region_id, sum(e.employment / r.total_employment) AS share
        FROM employment e JOIN region_indices r USING (level, region_id)
        GROUP BY ALL""").df()
    assert len(sums) > 0
    np.testing.assert_allclose(sums["share"], 1.0, rtol=0, atol=1e-12)
    oews = pd.read_parquet(FIXTURES / "us" / "oews_m2025_area_occ_all.parquet")
    published = oews.loc[oews.area_kind.isin(["msa", "nonmetro"]) & (oews.soc_code == "00-0000")
                         ].set_index("area_code")["tot_emp"]
    built = fixture_con.execute("SELECT region_id, total_employment FROM region_indices "
                                "WHERE level = 'us_area'").df().set_index("region_id")
    pd.testing.assert_series_equal(built["total_employment"].sort_index(),
                                   published.sort_index(), check_names=False)


def test_fund_split_sums_to_the_budget_on_fixture_regions(fixture_con):
    for level in ("us_area", "cn_city", "country"):
        ranked = rank_regions(fixture_con, RankRequest(level=level, budget=10_000_000,
                                                       floor=100_000))
        assert ranked.allocation.sum() == 10_000_000, level
        assert (ranked.allocation >= 100_000).all(), level


def test_pages_and_exports_exist(fixture_atlas: Path, fixture_con):
    maps = fixture_atlas / "maps"
    pages = {"us_areas.html": "MetroAville", "cn_cities.html": "Dongchuan",
             "world.html": "Kenya"}
    for page, name in pages.items():
        assert name in (maps / page).read_text(encoding="utf-8"), page
    index = (maps / "index.html").read_text(encoding="utf-8")
    assert all(page in index for page in pages)
    for level in ("us_area", "us_state", "cn_city", "country"):
        ranked = fixture_con.execute("SELECT count(risk_rank) FROM region_indices "
                                     "WHERE level = ?", [level]).fetchone()[0]
        table = pd.read_csv(fixture_atlas / "exports" / f"{level}_top100.csv")
        assert len(table) == min(100, ranked), level
        book = openpyxl.load_workbook(fixture_atlas / "exports" / f"{level}_top100.xlsx",
                                      read_only=True)
        assert len(book.sheetnames) >= 2, level  # a summary sheet before the ranking
        book.close()
