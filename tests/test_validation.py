"""The validation layer on small hand-made inputs: every check, its message, the manifest
keys that drive it, and the cleanup of temporaries left by a killed build. No real data."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from atlas.errors import ConfigError, InputError
from atlas.sources.checks import check_encoding, mojibake, validate_frame
from atlas.sources.geometry_reading import read_geometry, valid_polygonal
from atlas.sources.inputs import Inputs, parse_table
from atlas.spec.manifest import InputSpec, load_manifest, spec_from_entry
from atlas.store.files import TEMPORARY, atomic_write, remove_stale_temporaries, stale_temporaries

SPEC = InputSpec(key="t", path="d/t.csv", vintage="", licence="", min_rows=2,
                 columns={"code": "str", "name": "str", "score": "num", "jobs": "count"},
                 unique_key=("code",), ranges={"score": (0.0, 1.0)}, text_columns=("name",))


def frame(changes: dict | None = None) -> pd.DataFrame:
    table = pd.DataFrame({"code": ["a", "b", "c", "d"], "name": ["Zürich", "北京", "São Tomé", "x"],
                          "score": [0.1, 0.5, 0.9, None], "jobs": [1.0, 2.0, 3.0, 4.0]},
                         dtype=object)
    for (column, position), value in (changes or {}).items():
        table.loc[position, column] = value
    return table


def message(excinfo: pytest.ExceptionInfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


# -- mojibake ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, fragment", [
    ("\u00e5\x8c\x97\u00e4\u00ba\u00ac", "\u00e5\x8c\x97"),  # 北京 read as Latin-1
    ("Cura\u00c3\u00a7ao", "\u00c3\u00a7"),                # Curaçao read as Latin-1
    ("C\u00c3\u00b4te d\u00e2\u20ac\u2122Ivoire", "\u00c3\u00b4"),  # cp1252, with â€™
    ("Bras\ufffdlia", "\ufffd"),                            # a character lost earlier
    ("Caf\u00c2\u00a0", "\u00c2\u00a0"),                    # no-break space read as Latin-1
    ("Hong\x85Kong", "\x85"),                               # a C1 control character
])
def test_mojibake_is_found(text, fragment):
    assert mojibake(text) == fragment


@pytest.mark.parametrize("text", ["Curaçao", "São Tomé and Príncipe", "Côte d'Ivoire", "Åland",
                                  "北京市", "Zürich", "Ñuñoa", "€ 100 – “quoted”", "Plain", ""])
def test_real_text_is_not_mojibake(text):
    assert mojibake(text) is None


@given(st.text(min_size=1).filter(lambda s: any(ord(c) > 127 for c in s)))
def test_every_utf8_text_read_as_latin1_is_found(text):
    assert mojibake(text.encode("utf-8").decode("latin-1")) is not None


# -- tables -----------------------------------------------------------------------------------

def test_a_good_table_passes_and_numbers_become_floats():
    checked = validate_frame(frame(), SPEC, SPEC.path)
    assert checked["score"].dtype == "float64" and checked["jobs"].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("changes, words", [
    ({("score", 2): float("inf")}, ["row 4:", "column 'score'", "non-finite", "inf"]),
    ({("jobs", 1): "-inf"}, ["row 3:", "column 'jobs'", "non-finite"]),
    ({("score", 0): 7.0}, ["row 2:", "column 'score'", "7.0", "out of range", "[0, 1]"]),
    ({("score", 1): -0.5}, ["row 3:", "column 'score'", "out of range"]),
    ({("jobs", 3): -2.0}, ["row 5:", "column 'jobs'", "negative"]),
    ({("jobs", 0): "many"}, ["row 2:", "column 'jobs'", "non-numeric", "'many'"]),
    ({("name", 1): "\u00e5\x8c\x97\u00e4\u00ba\u00ac"}, ["row 3:", "column 'name'", "mis-decoded"]),
    ({("name", 3): "a\ufffdb"}, ["row 5:", "column 'name'", "mis-decoded"]),
    ({("code", 3): "a"}, ["row 5:", "column 'code'", "duplicate row"]),
])
def test_each_violation_names_file_row_and_column(changes, words):
    with pytest.raises(InputError) as excinfo:
        validate_frame(frame(changes), SPEC, SPEC.path)
    text = message(excinfo)
    assert text.startswith("d/t.csv: ")
    for word in words:
        assert word in text


def test_rows_are_counted_as_people_count_them():
    """CSV line and Excel row (header = 1), Parquet record (first = 1), geometry feature."""
    expected = {"d/t.csv": "row 4:", "d/t.xlsx": "row 4:", "d/t.parquet": "row 3:"}
    for path, words in expected.items():
        with pytest.raises(InputError, match=words):
            validate_frame(frame({("score", 2): 9.0}), dataclasses.replace(SPEC, path=path),
                           path)


def test_too_few_rows_and_missing_columns():
    with pytest.raises(InputError, match=r"d/t.csv: has 0 data rows \(expected at least 2"):
        validate_frame(frame().iloc[:0], SPEC, SPEC.path)
    with pytest.raises(InputError, match=r"missing column\(s\) \['jobs'\]"):
        validate_frame(frame().drop(columns="jobs"), SPEC, SPEC.path)


def test_undecodable_bytes_name_the_line():
    data = "code,name\na,Zürich\nb,".encode() + "Genève".encode("latin-1") + b"\n"
    with pytest.raises(InputError) as excinfo:
        check_encoding(data, "d/t.csv")
    assert "d/t.csv: row 3:" in message(excinfo) and "not valid utf-8" in message(excinfo)
    with pytest.raises(InputError, match="row 3:"):  # the reader itself checks the bytes
        parse_table(data, SPEC)


def test_header_only_csv_fails_through_the_reader(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "t.csv").write_text("code,name,score,jobs\n", encoding="utf-8")
    with pytest.raises(InputError, match="has 0 data rows"):
        Inputs(tmp_path, {"t": SPEC}).table("t")


# -- the manifest -----------------------------------------------------------------------------

ENTRY = {"path": "d/t.csv", "columns": {"a": "str", "x": "num"}}


@pytest.mark.parametrize("extra, words", [
    ({"rnages": {}}, "unknown key(s) ['rnages']"),
    ({"ranges": {"a": [0, 1]}}, "ranges names ['a']"),
    ({"ranges": {"x": [2, 1]}}, "low <= high"),
    ({"text_columns": ["x"]}, "text_columns names ['x']"),
    ({"key": ["b"]}, "key names ['b']"),
    ({"min_rows": 0}, "min_rows = 0"),
    ({"repair": True}, "geometry inputs only"),
    ({"columns": {"a": "text"}}, "unknown column kind"),
    ({"encoding": "utf-9"}, "unknown encoding"),
])
def test_a_bad_manifest_entry_is_refused(extra, words):
    with pytest.raises(ConfigError) as excinfo:
        spec_from_entry("t", {**ENTRY, **extra})
    assert "[inputs.t]" in str(excinfo.value) and words in str(excinfo.value)


def test_the_manifest_declares_checks_for_every_input():
    specs = load_manifest()
    for spec in specs.values():
        assert spec.min_rows > 1, f"{spec.key}: min_rows guards against a truncated file"
        if spec.is_geometry:
            assert spec.id_column and spec.geometry_types, spec.key
    assert specs["ilo_2025"].ranges["mean_score_2025"] == (0.0, 1.0)
    assert specs["world_shares"].ranges["isco08_1_managers_pct"] == (0.0, 100.0)
    assert "area_name" in specs["oews_area_occ"].text_columns
    assert specs["counties_2023"].repair == "make_valid" and specs["cn_boundaries"].repair is None


# -- geometry ---------------------------------------------------------------------------------

SQUARE = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
BOWTIE = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
GEO = InputSpec(key="g", path="d/g.geojson", vintage="", licence="", columns={"code": "str"},
                id_column="code", geometry_types=("Polygon", "MultiPolygon"))
TOPO = dataclasses.replace(GEO, path="d/g.topo.json", layer="units")


def feature(code: str, geometry: object) -> dict:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def polygon(rings: list, dx: float = 0) -> dict:
    return {"type": "Polygon", "coordinates": [[[x + dx, y] for x, y in r] for r in rings]}


def geojson(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def topojson(arcs: list, *types: str | None) -> bytes:
    geometries = [{"type": kind, "arcs": [[i]] if kind else None, "properties": {"code": f"u{i}"}}
                  for i, kind in enumerate(types)]
    return json.dumps({"type": "Topology", "arcs": arcs, "objects": {
        "units": {"type": "GeometryCollection", "geometries": geometries}}}).encode()


def read(tmp_path: Path, data: bytes, spec: InputSpec = GEO):
    path = tmp_path / Path(spec.path).name
    path.write_bytes(data)
    return read_geometry(path, data, spec, spec.path)


GOOD = [feature("a", polygon(SQUARE)), feature("b", polygon(SQUARE, dx=2))]


@pytest.mark.parametrize("data, spec, words", [
    (geojson(), GEO, ["d/g.geojson: has 0 features", "at least 1"]),
    (geojson(GOOD[0], feature("b", None)), GEO, ["feature 2 (code 'b')", "column 'geometry'",
                                                  "null geometry"]),
    (geojson(*GOOD)[:60], GEO, ["not valid JSON at line 1, column", "cut short"]),
    (geojson(GOOD[0], feature("b", polygon(BOWTIE))), GEO,
     ["feature 2 (code 'b')", "invalid geometry: Self-intersection", "repair = true"]),
    (geojson(GOOD[0], feature("b", {"type": "Polygon", "coordinates": []})), GEO,
     ["feature 2 (code 'b')", "empty geometry"]),
    (geojson(GOOD[0], feature("b", {"type": "Point", "coordinates": [0, 0]})), GEO,
     ["feature 2 (code 'b')", "a Point", "Polygon"]),
    (geojson(GOOD[0], feature("a", polygon(SQUARE, dx=2))), GEO,
     ["feature 2 (code 'a')", "column 'code'", "duplicate feature id"]),
    (geojson(GOOD[0], feature("Cura\u00c3\u00a7ao", polygon(SQUARE, dx=2))),
     dataclasses.replace(GEO, text_columns=("code",)), ["feature 2", "column 'code'",
                                                       "mis-decoded"]),
    (json.dumps({"type": "Feature"}).encode(), GEO, ["of type 'Feature'", "FeatureCollection"]),
    (b"\xff\xfe{}", GEO, ["row 1:", "not valid utf-8"]),
    (topojson([SQUARE[0], BOWTIE[0]], "Polygon", None), TOPO,
     ["d/g.topo.json: feature 2 (code 'u1')", "null geometry"]),
    (topojson([SQUARE[0]], "Polygon")[:-30], TOPO, ["not valid JSON at line 1"]),
    (topojson([SQUARE[0]], "Polygon"), dataclasses.replace(TOPO, layer="counties"),
     ["no layer 'counties'", "['units']"]),
    (topojson([SQUARE[0], BOWTIE[0]], "Polygon", "Polygon"), TOPO,
     ["feature 2 (code 'u1')", "Self-intersection"]),
])
def test_bad_geometry_names_file_and_feature(tmp_path, data, spec, words):
    with pytest.raises(InputError) as excinfo:
        read(tmp_path, data, spec)
    text = message(excinfo)
    for word in words:
        assert word in text


def test_topojson_arcs_that_point_nowhere_are_caught(tmp_path):
    """GDAL reads a feature whose arc index does not exist as an empty polygon, silently."""
    data = json.loads(topojson([SQUARE[0]], "Polygon", "Polygon"))
    data["objects"]["units"]["geometries"][1]["arcs"] = [[10**6]]
    with pytest.raises(InputError, match=r"feature 2 \(code 'u1'\).*empty geometry"):
        read(tmp_path, json.dumps(data).encode(), TOPO)
    allowed = dataclasses.replace(TOPO, allow_empty=("u1",))
    frame, _ = read(tmp_path, json.dumps(data).encode(), allowed)
    assert frame.geometry.is_empty.tolist() == [False, True]


@pytest.mark.parametrize("data, spec", [
    (geojson(GOOD[0], feature("b", polygon(BOWTIE))), GEO),
    (topojson([SQUARE[0], BOWTIE[0]], "Polygon", "Polygon"), TOPO),
])
def test_repair_makes_valid_and_reports_the_feature(tmp_path, data, spec):
    frame, repaired = read(tmp_path, data, dataclasses.replace(spec, repair="make_valid"))
    assert repaired == [frame["code"].iloc[1]]
    assert shapely.is_valid(frame.geometry.values).all()
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    assert frame.geometry.iloc[1].area == pytest.approx(0.5)  # both triangles of the bowtie
    assert frame.geometry.iloc[0].equals(shapely.Polygon(SQUARE[0]))  # valid ones untouched


def test_inputs_geometry_caches_validates_and_notes_repairs(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "g.geojson").write_bytes(geojson(GOOD[0], feature("b", polygon(BOWTIE))))
    inputs = Inputs(tmp_path, {"g": dataclasses.replace(GEO, repair="make_valid")})
    frame = inputs.geometry("g")
    assert frame.attrs["repaired"] == ["b"] and inputs.repaired == {"g": ["b"]}
    assert "1 invalid geometries repaired with make_valid (code b)" in inputs.notes()[0]
    assert inputs.provenance["g"]["rows"] == 2
    with pytest.raises(ConfigError, match="layer"):
        inputs.geometry("g", layer="other")
    with pytest.raises(ConfigError, match="Inputs.geometry"):
        inputs.table("g")


def test_dissolved_regions_are_valid_polygons():
    squares = gpd.GeoDataFrame({"group": ["p", "p", "q"]}, geometry=[
        shapely.Polygon(SQUARE[0]), shapely.box(1, 0, 2, 1), shapely.Polygon(BOWTIE[0])])
    for geometry in squares.dissolve(by="group").geometry:
        fixed = valid_polygonal(geometry)
        assert fixed.is_valid and fixed.geom_type in {"Polygon", "MultiPolygon"}
    mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0),
                                                                                     (5, 5)])])
    assert valid_polygonal(mixed).geom_type == "Polygon"


# -- temporaries of a killed build ------------------------------------------------------------

def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_atomic_write_temporaries_match_the_cleanup_pattern(tmp_path):
    seen = []
    atomic_write(tmp_path / "us_areas.html", lambda p: seen.append(p.name) or p.write_text("x"))
    match = TEMPORARY.match(seen[0])
    assert match and match["pid"] == str(os.getpid()) and match["suffix"] == ".html"
    assert TEMPORARY.match(seen[0] + ".wal")


def test_only_stale_temporaries_are_removed(tmp_path):
    pid = dead_pid()
    stale = [".atlas-abcd_123.duckdb", ".atlas-abcd_123.duckdb.wal",
             f".atlas-{pid}-x1y2z3w4.duckdb", f".atlas-{pid}-x1y2z3w4.duckdb.wal",
             f"maps/.us_areas-{pid}-qwertyui.html", f"exports/.us_area_top100-{pid}-asdfghjk.csv",
             "exports/.us_area_top100-zxcvbnm1.xlsx"]
    kept = ["atlas.duckdb", "notes.txt", ".atlas-backup.duckdb", ".notes-abcdefgh.txt",
            f".atlas-{os.getpid()}-livelive.duckdb",  # a running process is still writing it
            f"maps/.index-{pid}-newnewne.html",  # written after the build started
            "maps/us_areas.html", "exports/.keep"]
    for name in stale + kept:
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("x")
    os.makedirs(tmp_path / f".atlas-{pid}-folderxx.duckdb")  # a folder is never removed
    started = time.time()
    os.utime(tmp_path / f"maps/.index-{pid}-newnewne.html", (started + 60, started + 60))
    folders = [tmp_path, tmp_path / "maps", tmp_path / "exports"]
    assert {p.name for p in stale_temporaries(tmp_path, started)} == {
        Path(n).name for n in stale if "/" not in n}
    removed = remove_stale_temporaries(folders, started)
    assert sorted(str(p.relative_to(tmp_path)) for p in removed) == sorted(stale)
    remaining = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}
    assert set(kept) <= remaining and not set(stale) & remaining


def test_parse_table_reads_every_format():
    table = pd.DataFrame({"code": ["a", "b"], "name": ["x", "y"], "score": [0.1, 0.2],
                          "jobs": [1, 2]})
    buffers = {".csv": table.to_csv(index=False).encode(),
               ".tsv": table.to_csv(index=False, sep="\t").encode()}
    parquet, excel = io.BytesIO(), io.BytesIO()
    table.to_parquet(parquet)
    table.to_excel(excel, index=False)
    buffers.update({".parquet": parquet.getvalue(), ".xlsx": excel.getvalue()})
    for suffix, data in buffers.items():
        spec = dataclasses.replace(SPEC, path=f"d/t{suffix}")
        checked = validate_frame(parse_table(data, spec), spec, spec.path)
        assert checked["code"].tolist() == ["a", "b"]
        assert np.allclose(checked["score"], [0.1, 0.2])
    with pytest.raises(InputError, match="could not be read"):
        parse_table(b"PAR1garbage", dataclasses.replace(SPEC, path="d/t.parquet"))
