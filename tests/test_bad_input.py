"""Bad input: one clear error naming the file and the row, feature or column, exit status 1,
and the previous atlas left untouched.

The matrix runs over ``atlas/spec/manifest.toml``: every tabular input cut to its header, every
numeric column given an inf, every declared range broken on each side, every declared text
column given mojibake, every text file given an undecodable byte, and every geometry input
emptied, cut in half, given a null geometry and given a self-intersecting polygon. Each case
damages a copy of the real file (in memory where the reader allows it) and goes through the
real reader and checks, not a stand-in. A handful of cases then run ``atlas build`` end to end.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import InputError
from atlas.sources.checks import HEADER_ROW_SUFFIXES, TEXT_SUFFIXES, validate_frame
from atlas.sources.geometry_reading import read_geometry, validate_geometry
from atlas.sources.inputs import PROJECT_ROOT, Inputs, parse_table
from atlas.spec.manifest import NUMERIC_KINDS, load_manifest

OEWS = "us/oews_m2025_area_occ_all.parquet"
SPECS = load_manifest()
TABLES = [key for key, spec in SPECS.items() if not spec.is_geometry]
GEOMETRY = [key for key, spec in SPECS.items() if spec.is_geometry]
NUMERIC = [(key, column) for key in TABLES
           for column, kind in SPECS[key].columns.items() if kind in NUMERIC_KINDS]
RANGED = [(key, column, side) for key in TABLES for column, bounds in SPECS[key].ranges.items()
          for side, bound in zip(("low", "high"), bounds, strict=True) if math.isfinite(bound)]
TEXT = [(key, column) for key, spec in SPECS.items() for column in spec.text_columns]
TEXT_FILES = [key for key in TABLES if SPECS[key].suffix in TEXT_SUFFIXES]
MOJIBAKE = "北京".encode().decode("latin-1")  # 'å\x8c\x97äº¬'


@pytest.fixture(scope="module")
def real(data_dir: Path) -> Inputs:
    """The real inputs, each read and validated once for the whole module."""
    return Inputs(data_dir)


def message(excinfo: pytest.ExceptionInfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def row_of(key: str, position: int) -> str:
    spec = SPECS[key]
    return f"row {position + 2 if spec.suffix in HEADER_ROW_SUFFIXES else position + 1}:"


def damaged_frame(real: Inputs, key: str, column: str, value: object) -> tuple[object, int]:
    """A copy of a real input with one cell changed (in the middle); the frame and position."""
    frame = real.geometry(key) if SPECS[key].is_geometry else real.table(key)
    position = len(frame) // 2
    frame[column] = frame[column].astype(object)
    frame.loc[position, column] = value
    return frame, position


def check(frame, key: str):
    spec = SPECS[key]
    if spec.is_geometry:
        return validate_geometry(frame, spec, spec.path)
    return validate_frame(frame, spec, spec.path)


# -- every tabular input ----------------------------------------------------------------------

def header_only(real: Inputs, key: str) -> bytes:
    """The real file with its header and no data rows, in its own format."""
    spec = SPECS[key]
    if spec.suffix in TEXT_SUFFIXES:
        return real.path(key).read_bytes().split(b"\n", 1)[0] + b"\n"
    empty, buffer = real.table(key).iloc[:0], io.BytesIO()
    if spec.suffix == ".parquet":
        empty.to_parquet(buffer)
    else:
        empty.to_excel(buffer, sheet_name=spec.sheet or "Sheet1", index=False)
    return buffer.getvalue()


@pytest.mark.parametrize("key", TABLES)
def test_header_only_file_fails_min_rows(real, key):
    spec = SPECS[key]
    with pytest.raises(InputError) as excinfo:
        validate_frame(parse_table(header_only(real, key), spec), spec, spec.path)
    assert message(excinfo).startswith(f"{spec.path}: has 0 data rows (expected at least "
                                       f"{spec.min_rows} data rows")


@pytest.mark.parametrize("key, column", NUMERIC)
def test_inf_in_a_numeric_column_fails(real, key, column):
    value = "-inf" if len(column) % 2 else math.inf  # as a CSV cell reads, or a float
    frame, position = damaged_frame(real, key, column, value)
    with pytest.raises(InputError) as excinfo:
        check(frame, key)
    text = message(excinfo)
    assert text.startswith(f"{SPECS[key].path}: {row_of(key, position)} column '{column}': "
                           "non-finite value")


@pytest.mark.parametrize("key, column, side", RANGED)
def test_out_of_range_value_fails(real, key, column, side):
    low, high = SPECS[key].ranges[column]
    width = high - low if math.isfinite(high - low) else 1.0
    value = low - width * 0.5 if side == "low" else high + width * 6  # 0..1 -> 7.0
    frame, position = damaged_frame(real, key, column, value)
    with pytest.raises(InputError) as excinfo:
        check(frame, key)
    text = message(excinfo)
    assert text.startswith(f"{SPECS[key].path}: {row_of(key, position)} column '{column}': "
                           f"value {value!r} is out of range")
    assert f"[{low:g}, {high:g}]" in text


@pytest.mark.parametrize("key, column", TEXT)
def test_mojibake_in_a_text_column_fails(real, key, column):
    frame, position = damaged_frame(real, key, column, MOJIBAKE)
    with pytest.raises(InputError) as excinfo:
        check(frame, key)
    text = message(excinfo)
    where = (f"feature {position + 1}" if SPECS[key].is_geometry else row_of(key, position))
    assert text.startswith(f"{SPECS[key].path}: {where}")
    assert f"column '{column}': text {MOJIBAKE!r} looks mis-decoded" in text


@pytest.mark.parametrize("key", TEXT_FILES)
def test_undecodable_byte_fails_with_its_line(real, key):
    lines = real.path(key).read_bytes().split(b"\n")
    middle = len(lines) // 2
    lines[middle] = "Genève".encode("latin-1") + lines[middle]
    with pytest.raises(InputError) as excinfo:
        parse_table(b"\n".join(lines), SPECS[key])
    assert message(excinfo).startswith(f"{SPECS[key].path}: row {middle + 1}: byte b'\\xe8'")
    assert "is not valid utf-8" in message(excinfo)


# -- every geometry input ---------------------------------------------------------------------

def document(real: Inputs, key: str) -> dict:
    return json.loads(real.path(key).read_bytes())


def features_of(doc: dict, key: str) -> list:
    if doc["type"] == "Topology":
        return doc["objects"][SPECS[key].layer]["geometries"]
    return doc["features"]


def bowtie(doc: dict, key: str, position: int) -> None:
    """Replace feature ``position`` by a self-intersecting polygon near its own place."""
    if doc["type"] == "Topology":  # a new quantised, delta-encoded arc
        start = np.cumsum(np.array(doc["arcs"][0]), axis=0)[0].tolist()
        deltas = [start, [400, 400], [0, -400], [-400, 400], [0, -400]]
        doc["arcs"].append(deltas)
        features_of(doc, key)[position].update(type="Polygon", arcs=[[len(doc["arcs"]) - 1]])
    else:
        x, y = shapely.get_coordinates(shapely.from_geojson(json.dumps(
            features_of(doc, key)[position]["geometry"])))[0]
        ring = [[x, y], [x + 1, y + 1], [x + 1, y], [x, y + 1], [x, y]]
        features_of(doc, key)[position]["geometry"] = {"type": "Polygon", "coordinates": [ring]}


def read_damaged(tmp_path: Path, key: str, data: bytes, spec=None):
    spec = spec or SPECS[key]
    path = tmp_path / Path(spec.path).name
    path.write_bytes(data)
    return read_geometry(path, data, spec, spec.path)


def feature_label(real: Inputs, key: str, position: int) -> str:
    spec = SPECS[key]
    value = real.geometry(key)[spec.id_column].iloc[position]
    return f"feature {position + 1} ({spec.id_column} {str(value)!r})"


@pytest.mark.parametrize("key", GEOMETRY)
def test_empty_geometry_file_fails(real, tmp_path, key):
    doc = document(real, key)
    features_of(doc, key).clear()
    with pytest.raises(InputError) as excinfo:
        read_damaged(tmp_path, key, json.dumps(doc).encode())
    assert message(excinfo).startswith(f"{SPECS[key].path}: has 0 features (expected at least")


@pytest.mark.parametrize("key", GEOMETRY)
def test_geometry_file_cut_in_half_fails(real, tmp_path, key):
    data = real.path(key).read_bytes()
    with pytest.raises(InputError) as excinfo:
        read_damaged(tmp_path, key, data[:len(data) // 2])
    assert message(excinfo).startswith(f"{SPECS[key].path}: not valid JSON at line ")
    assert "column" in message(excinfo) and "cut short" in message(excinfo)


@pytest.mark.parametrize("key", GEOMETRY)
def test_null_geometry_fails(real, tmp_path, key):
    doc = document(real, key)
    position = len(features_of(doc, key)) // 2
    feature = features_of(doc, key)[position]
    feature.update({"geometry": None} if doc["type"] == "FeatureCollection" else
                   {"type": None, "arcs": None})
    with pytest.raises(InputError) as excinfo:
        read_damaged(tmp_path, key, json.dumps(doc).encode())
    assert message(excinfo).startswith(f"{SPECS[key].path}: {feature_label(real, key, position)}:"
                                       " column 'geometry': null geometry")


@pytest.mark.parametrize("key", GEOMETRY)
def test_self_intersecting_polygon_fails_or_is_repaired_as_declared(real, tmp_path, key):
    doc = document(real, key)
    position = 7
    bowtie(doc, key, position)
    data = json.dumps(doc).encode()
    spec = SPECS[key]
    strict = dataclasses.replace(spec, repair=None)
    with pytest.raises(InputError) as excinfo:
        read_damaged(tmp_path, key, data, strict)
    assert message(excinfo).startswith(f"{spec.path}: {feature_label(real, key, position)}: "
                                       "column 'geometry': invalid geometry: Self-intersection")
    repairing = spec if spec.repair else dataclasses.replace(spec, repair="make_valid")
    frame, repaired = read_damaged(tmp_path, key, data, repairing)
    identifier = str(frame[spec.id_column].iloc[position])
    assert identifier in repaired
    assert shapely.is_valid(frame.geometry.values).all()
    assert frame.geometry.iloc[position].geom_type in {"Polygon", "MultiPolygon"}
    assert frame.geometry.iloc[position].area > 0


# -- end to end: atlas build ------------------------------------------------------------------

def mirror(data_dir: Path, target: Path) -> Path:
    """A data directory of symlinks to the real inputs (damaged files replace their link)."""
    for path in data_dir.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(data_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    return target


def replace(data: Path, relative: str, content: bytes) -> None:
    (data / relative).unlink()
    (data / relative).write_bytes(content)


def corrupt_oews(data_dir: Path, target: Path, change) -> Path:
    mirror(data_dir, target)
    frame = pd.read_parquet(data_dir / OEWS)
    buffer = io.BytesIO()
    change(frame).to_parquet(buffer)
    replace(target, OEWS, buffer.getvalue())
    return target


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def warm_cache(built_atlas: Path, session_cache: Path) -> Path:
    """The session's shared cache (``ATLAS_CACHE_DIR``) holding what the session's complete
    build of the real inputs cached (``built_atlas``: validated layers, dissolves, contiguity,
    backtests, model tables), as after any earlier build; its path.

    The builds below then spend their time on what they test (the damaged input is never in
    it: its bytes, and so every key made from them, are new) rather than on the second
    process validating and reading the undamaged inputs cold, which the build waits for before
    it stops. Entries are keyed by content, so copying them changes no result."""
    shutil.copytree(built_atlas.parent / ".cache", session_cache, dirs_exist_ok=True)
    return session_cache


def run_build(data: Path, out: Path):
    return CliRunner().invoke(app, ["build", "--data-dir", str(data), "--out", str(out),
                                    "--no-maps", "--no-exports"])


def previous_atlas(out: Path) -> dict[str, str]:
    """An output folder holding a previous atlas, maps and exports; their digests."""
    for name, content in {"atlas.duckdb": b"previous atlas", "maps/index.html": b"<html>",
                          "exports/us_area_top100.csv": b"rank\n1\n"}.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)
    return {str(p.relative_to(out)): digest(p) for p in out.rglob("*") if p.is_file()}


def assert_failed_cleanly(result, out: Path, before: dict[str, str], words: list[str]) -> None:
    """Exit 1, one error line with ``words``, no traceback, the output folder byte-identical."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "error:" in line]
    assert len(errors) == 1, result.output
    for word in words:
        assert word in errors[0], errors[0]
    after = {str(p.relative_to(out)): digest(p) for p in out.rglob("*") if p.is_file()}
    assert after == before


def _negative(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[5, "tot_emp"] = -3.0
    return frame


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    frame["tot_emp"] = frame["tot_emp"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    frame.loc[7, "tot_emp"] = "lots"
    return frame


def _duplicate(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.iloc[[10]]], ignore_index=True)


@pytest.mark.parametrize("change, expected", [
    (lambda f: f.drop(columns=["tot_emp"]), ["column", "tot_emp", "missing"]),
    (_negative, ["row 6", "tot_emp", "negative"]),
    (_text, ["row 8", "tot_emp", "non-numeric", "'lots'"]),
    (_duplicate, ["row", "area_code, soc_code", "duplicate"]),
])
def test_bad_oews_gives_one_clear_error_and_keeps_old_atlas(data_dir, tmp_path, change, expected,
                                                            warm_cache):
    out = tmp_path / "out"
    before = previous_atlas(out)
    data = corrupt_oews(data_dir, tmp_path / "data", change)
    assert_failed_cleanly(run_build(data, out), out, before, [OEWS, *expected])


def _csv(path: Path, change) -> bytes:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return change(frame).to_csv(index=False).encode()


def _cell(column: str, position: int, value: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[position, column] = value
        return frame
    return change


def _json(path: Path, change) -> bytes:
    doc = json.loads(path.read_bytes())
    change(doc)
    return json.dumps(doc).encode()


def _null_geometry(doc: dict) -> None:
    doc["features"][20]["geometry"] = None


def _self_intersecting(doc: dict) -> None:
    bowtie(doc, "cn_boundaries", 3)


E2E = {  # the measured failures of issue #20
    "header-only population": (
        "us/ers_rucc_2023_county_pop2020.csv", lambda p: p.read_bytes().split(b"\n")[0] + b"\n",
        ["us/ers_rucc_2023_county_pop2020.csv: has 0 data rows", "min_rows"]),
    "inf exposure score": (
        "world/ilo_genai_exposure_2025_isco08_4digit.csv",
        lambda p: _csv(p, _cell("mean_score_2025", 30, "inf")),
        ["row 32:", "column 'mean_score_2025'", "non-finite"]),
    "share 7 on a 0..1 score": (
        "exposure/eloundou_occ_level.csv", lambda p: _csv(p, _cell("dv_rating_beta", 4, "7.0")),
        ["exposure/eloundou_occ_level.csv: row 6:", "'dv_rating_beta'", "7.0", "[0, 1]"]),
    "negative ISCO share": (
        "world/world_employment_isco08_major_group_shares_ilostat_spinlife.csv",
        lambda p: _csv(p, _cell("isco08_4_clerical_pct", 9, "-3.5")),
        ["row 11:", "column 'isco08_4_clerical_pct'", "-3.5", "out of range"]),
    "mojibake city name": (
        "cn/cn_prefecture_units.csv", lambda p: _csv(p, _cell("name_zh", 0, MOJIBAKE)),
        ["cn/cn_prefecture_units.csv: row 2:", "column 'name_zh'", "mis-decoded"]),
    "null geometry": (
        "cn/cn_prefecture_boundaries_wgs84_simplified.geojson",
        lambda p: _json(p, _null_geometry), ["feature 21 (adcode", "null geometry"]),
    "self-intersecting city": (
        "cn/cn_prefecture_boundaries_wgs84_simplified.geojson",
        lambda p: _json(p, _self_intersecting), ["feature 4 (adcode", "Self-intersection"]),
    "empty GeoJSON": (
        "world/world_countries_50m.geojson",
        lambda p: b'{"type": "FeatureCollection", "features": []}',
        ["world/world_countries_50m.geojson: has 0 features"]),
    "TopoJSON cut in half": (
        "us/us_atlas_2023_counties_10m.topo.json",
        lambda p: p.read_bytes()[:len(p.read_bytes()) // 2],
        ["us/us_atlas_2023_counties_10m.topo.json: not valid JSON at line 1, column"]),
}


@pytest.mark.parametrize("case", list(E2E))
def test_build_stops_with_one_line_and_keeps_the_previous_atlas(data_dir, tmp_path, case,
                                                                 warm_cache):
    relative, damage, words = E2E[case]
    data = mirror(data_dir, tmp_path / "data")
    replace(data, relative, damage(data_dir / relative))
    out = tmp_path / "out"
    before = previous_atlas(out)
    assert_failed_cleanly(run_build(data, out), out, before, [relative, *words])


def test_missing_file_is_named(data_dir, tmp_path):
    data = mirror(data_dir, tmp_path / "data")
    (data / "us" / "ers_rucc_2023_county_pop2020.csv").unlink()
    result = run_build(data, tmp_path / "out")
    assert result.exit_code == 1
    assert "ers_rucc_2023_county_pop2020.csv" in result.output
    assert "file not found" in " ".join(result.output.split())
    assert not (tmp_path / "out" / "atlas.duckdb").exists()


def test_missing_data_dir_is_explained(tmp_path):
    result = run_build(tmp_path / "nowhere", tmp_path / "out")
    assert result.exit_code == 1
    assert "data directory" in " ".join(result.output.split())


# -- a killed build, and the next real build --------------------------------------------------

@pytest.fixture(scope="module")
def after_killed_build(data_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                       warm_cache: Path):
    """Kill a real build while it writes its database, then build again into the same folder.

    Returns the output folder, the temporaries the killed build left, the user files planted
    beside them and the CLI result of the second build.
    """
    out = tmp_path_factory.mktemp("killed") / "out"
    user_files = ["notes.txt", ".atlas-backup.duckdb", "maps/my_map.html", "exports/.keep"]
    for name in user_files:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("mine")
    process = subprocess.Popen(
        [sys.executable, "build_atlas.py", "--data-dir", str(data_dir), "--out", str(out),
         "--no-maps", "--no-exports"], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    # the database is written in the build's staging folder (atlas.build.publish)
    pattern = f".stage-{process.pid}-*/.atlas-{process.pid}-*.duckdb"
    deadline = time.monotonic() + 240
    try:
        while not any(p.stat().st_size > 0 for p in out.glob(pattern)):
            assert process.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.05)
    finally:
        process.kill()  # SIGKILL: no finally clause of the build runs
        process.wait()
    left = sorted(p.relative_to(out) for p in out.rglob(".atlas-*"))
    # what an older atlas left in the maps and exports folders (names without the pid)
    older = ["maps/.us_areas-k1ll3d_x.html", "exports/.us_area_top100-k1ll3d_y.xlsx"]
    for name in older:
        (out / name).write_text("half written")
        os.utime(out / name, (time.time() - 3600, time.time() - 3600))
    result = run_build(data_dir, out)
    return out, [str(p) for p in left if str(p) != ".atlas-backup.duckdb"] + older, \
        user_files, result


def test_killed_build_leaves_temporaries_that_the_next_build_removes(after_killed_build):
    out, left, user_files, result = after_killed_build
    assert any(name.endswith(".duckdb") for name in left)  # the kill did leave a temporary
    assert result.exit_code == 0, result.output
    assert "temporary file(s) left by an interrupted build" in " ".join(result.output.split())
    remaining = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert not set(left) & remaining
    assert set(user_files) <= remaining and "atlas.duckdb" in remaining


def test_real_build_stores_only_valid_polygons_and_notes_repairs(after_killed_build):
    out, _, _, result = after_killed_build
    notes = " ".join(result.output.split())
    assert "13 invalid geometries repaired with make_valid" in notes
    con = duckdb.connect(str(out / "atlas.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT level, region_id, geometry FROM region_geometry").fetchall()
    finally:
        con.close()
    shapes = shapely.from_wkb([bytes(row[2]) for row in rows])
    invalid = [(row[0], row[1], shapely.is_valid_reason(g)) for row, g in zip(rows, shapes,
                                                                             strict=True)
               if not g.is_valid or g.is_empty
               or g.geom_type not in {"Polygon", "MultiPolygon"}]
    assert invalid == []
    levels = {row[0] for row in rows}
    assert {"us_area", "us_state", "us_nation", "cn_city", "cn_province", "country"} <= levels
