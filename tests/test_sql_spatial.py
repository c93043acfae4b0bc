"""``atlas sql`` with DuckDB's spatial extension (issue 30): the documented neighbours query
(docs/exports.md) runs offline on a small atlas of three squares and on the real one, and
loading the extension leaves file access off."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest
import shapely
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.cli.spatial_sql import packaged_extension
from atlas.cli.sql_console import run_query

DOCS = Path(__file__).resolve().parent.parent / "docs" / "exports.md"


def documented_query() -> str:
    """The SQL block under the ``spatial-example`` marker of docs/exports.md."""
    text = DOCS.read_text(encoding="utf-8").split("<!-- spatial-example -->", 1)[1]
    return re.search(r"```sql\n(.*?)```", text, re.S)[1]


@pytest.fixture(scope="module")
def squares(tmp_path_factory) -> Path:
    """An atlas of three US areas: 49660 and 10420 share an edge, 99999 lies apart."""
    if packaged_extension() is None:
        if os.environ.get("CI"):
            pytest.fail('the spatial extra is missing: pip install -e ".[spatial]"')
        pytest.skip("the spatial extension is not installed")
    path = tmp_path_factory.mktemp("spatial") / "atlas.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE region_geometry (level VARCHAR, region_id VARCHAR, "
                "geometry BLOB)")
    con.execute("CREATE TABLE regions (level VARCHAR, region_id VARCHAR, name VARCHAR)")
    for region_id, name, x in (("49660", "Youngstown", 0), ("10420", "Akron", 1),
                               ("99999", "Far away", 5)):
        square = shapely.box(x, 40, x + 1, 41)
        con.execute("INSERT INTO region_geometry VALUES ('us_area', ?, ?)",
                    [region_id, shapely.to_wkb(square)])
        con.execute("INSERT INTO regions VALUES ('us_area', ?, ?)", [region_id, name])
    con.close()
    return path


def test_documented_neighbours_query_runs_in_atlas_sql(squares, tmp_path):
    out = tmp_path / "neighbours.csv"
    result = CliRunner().invoke(app, ["sql", "--db", str(squares), documented_query(),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8-sig").split()
    assert lines == ['"region_id","name"', '"10420","Akron"']  # the touching square only


def test_file_access_stays_off_after_loading_the_extension(squares, tmp_path):
    geojson = tmp_path / "p.geojson"
    geojson.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                       '"properties": {}, "geometry": {"type": "Point", "coordinates": '
                       '[1, 2]}}]}', encoding="utf-8")
    area = run_query(squares, "SELECT ST_Area(ST_GeomFromWKB(geometry)) AS a "
                              "FROM region_geometry WHERE region_id = '99999'")
    assert area["a"].tolist() == [pytest.approx(1.0)]
    for query in (f"SELECT * FROM ST_Read('{geojson}')", f"SELECT * FROM read_csv('{geojson}')"):
        result = CliRunner().invoke(app, ["sql", "--db", str(squares), query])
        assert result.exit_code != 0 and "Traceback" not in result.output, query


@pytest.mark.realdata
def test_neighbours_of_youngstown_in_the_real_atlas(built_atlas):
    if packaged_extension() is None and not os.environ.get("CI"):
        pytest.skip("the spatial extension is not installed")
    names = run_query(built_atlas, documented_query())["name"].tolist()
    assert {"Akron, OH", "Pittsburgh, PA", "Canton-Massillon, OH"} <= set(names)
    assert "Youngstown-Warren, OH" not in " ".join(names) and len(names) < 15
