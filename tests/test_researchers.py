"""The researchers' database: comments everywhere, views, read-only SQL, concurrent reads,
geometry, notebooks."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import geopandas as gpd
import jupytext
import pytest
from nbclient import NotebookClient
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.cli.spatial_sql import load_spatial
from atlas.store.cache import CACHE_ENV
from atlas.texts.catalog import data_dictionary_markdown, missing_comments

ROOT = Path(__file__).resolve().parent.parent


def test_every_table_and_column_has_a_comment(atlas_con):
    assert missing_comments(atlas_con) == []


def test_data_dictionary_is_in_sync(atlas_con):
    committed = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed.rstrip("\n") == data_dictionary_markdown(atlas_con).rstrip("\n"), (
        "docs/data_dictionary.md is out of date: run `atlas dictionary`")


def test_views_answer_the_common_questions(atlas_con):
    ranked = atlas_con.execute("SELECT risk_rank FROM v_us_areas_ranked").fetchall()
    assert [r[0] for r in ranked] == list(range(1, 529))
    comparison = atlas_con.execute("SELECT * FROM v_measure_comparison "
                                   "WHERE level = 'us_area'").df()
    assert len(comparison) == 528
    assert {"eloundou_gpt4_beta", "felten_aioe_pct"} <= set(comparison.columns)
    states = atlas_con.execute("SELECT sum(areas), sum(jobs) FROM v_state_summary").fetchone()
    total = atlas_con.execute("SELECT sum(total_employment) FROM region_indices "
                              "WHERE level = 'us_area'").fetchone()[0]
    assert states == (528, total)


def test_geometry_reads_with_geopandas(atlas_con):
    frame = atlas_con.execute("SELECT region_id, geometry FROM region_geometry "
                              "WHERE level = 'us_state'").df()
    shapes = gpd.GeoSeries.from_wkb(frame.geometry.map(bytes), crs="EPSG:4326")
    texas = shapes[frame.region_id == "48"].to_crs("EPSG:5070").area.iloc[0] / 1e6
    assert 650_000 < texas < 720_000  # km2


def test_spatial_sql_where_the_extension_loads(built_atlas):
    con = duckdb.connect(str(built_atlas), read_only=True)
    if not load_spatial(con):
        pytest.skip("DuckDB spatial extension not available for this DuckDB version")
    area = con.execute("""
        SELECT ST_Area_Spheroid(ST_FlipCoordinates(ST_GeomFromWKB(geometry))) / 1e6
        FROM region_geometry WHERE level = 'us_state' AND region_id = '48'""").fetchone()[0]
    assert 650_000 < area < 720_000


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("query", [
    "DROP TABLE region_indices",
    "INSERT INTO levels VALUES ('x', 'y', 'z', 'w')",
    "COPY region_indices TO 'stolen.csv'",
    "ATTACH 'other.duckdb' AS other",
    "SELECT 1; DROP TABLE employment",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO 'x.csv'",
    "CREATE TABLE t AS SELECT 1",
])
def test_atlas_sql_refuses_writes(built_atlas, tmp_path, monkeypatch, query):
    monkeypatch.chdir(tmp_path)
    before = digest(built_atlas)
    result = CliRunner().invoke(app, ["sql", "--db", str(built_atlas), query])
    assert result.exit_code != 0
    assert "error" in result.output
    assert digest(built_atlas) == before
    assert list(tmp_path.iterdir()) == []


def test_atlas_sql_reads_and_writes_csv(built_atlas, tmp_path):
    out = tmp_path / "top.csv"
    result = CliRunner().invoke(app, ["sql", "--db", str(built_atlas), "-o", str(out),
                                      "SELECT name FROM v_us_areas_ranked LIMIT 5"])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 6
    listing = CliRunner().invoke(app, ["tables", "--db", str(built_atlas)])
    assert "region_indices" in listing.output and "v_state_summary" in listing.output


def test_reader_survives_a_rebuild(built_atlas, data_dir, tmp_path):
    # The first build is the session's (a copy: the rebuild replaces the file in the folder,
    # which starts as a plain folder holding a database, as after `atlas build --no-maps
    # --no-exports` of an older version); only the rebuild, the step under test, runs here,
    # warm, with a copy of the first build's cache.
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy2(built_atlas, out / "atlas.duckdb")
    shutil.copytree(built_atlas.parent / ".cache", tmp_path / "cache")
    build = [sys.executable, str(ROOT / "build_atlas.py"), "--data-dir", str(data_dir),
             "--out", str(out), "--no-maps", "--no-exports"]
    environment = {**os.environ, CACHE_ENV: str(tmp_path / "cache")}
    build_id = "SELECT value FROM build_info WHERE key = 'build_id'"
    reader = duckdb.connect(str(out / "atlas.duckdb"), read_only=True)
    before = reader.execute("SELECT count(*) FROM region_indices").fetchone()[0]
    first_build = reader.execute(build_id).fetchone()[0]
    rebuilt = subprocess.run(build, capture_output=True, text=True, env=environment)
    assert rebuilt.returncode == 0, rebuilt.stderr
    after = reader.execute("SELECT count(*), sum(total_employment) FROM region_indices"
                           ).fetchone()
    assert after[0] == before > 800  # US and China levels
    assert reader.execute(build_id).fetchone()[0] == first_build  # still the first build
    reader.close()
    fresh = duckdb.connect(str(out / "atlas.duckdb"), read_only=True)
    assert fresh.execute("SELECT count(*) FROM region_indices").fetchone()[0] == before
    assert fresh.execute(build_id).fetchone()[0] != first_build  # the rebuild was published
    fresh.close()


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.py")),
                         ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(notebook, built_atlas, monkeypatch):
    monkeypatch.setenv("ATLAS_DB", str(built_atlas))
    document = jupytext.read(notebook)
    assert all(not cell.get("outputs") for cell in document.cells)
    NotebookClient(document, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    figures = sum(1 for cell in document.cells for output in cell.get("outputs", [])
                  if "image/png" in output.get("data", {}))
    assert figures >= 1
