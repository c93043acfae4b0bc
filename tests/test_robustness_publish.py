"""One published set of outputs (issue 34, item 8): the database, maps and exports of a
build become visible together or not at all; after any failure the output folder is
exactly as it was, and a publishing cut short is completed by the next build."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import duckdb
import openpyxl
import pytest

from atlas.build import publish as publishing
from atlas.build.database import prepare_output_folder
from atlas.build.pipeline import build_all
from atlas.build.publish import (
    JOURNAL,
    MANIFEST,
    publish,
    recover,
    staging,
    stale_stages,
    write_manifest,
)
from atlas.errors import AtlasError


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (hidden ones too) with its sha256."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest()
                                         if p.is_file() else "folder")
            for p in sorted(folder.rglob("*"))}


def fake_build(stage: Path, tag: str) -> None:
    for name in ("atlas.duckdb", "maps/index.html", "maps/us_areas.html",
                 "exports/us_area_top100.csv"):
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_text(f"{tag} {name}", encoding="utf-8")


def publish_fake(out: Path, tag: str) -> None:
    with staging(out, lambda folder: prepare_output_folder(folder)) as stage:
        fake_build(stage, tag)
        write_manifest(stage, tag)
        publish(stage, out)


def test_a_published_build_is_complete_and_keeps_your_files(tmp_path):
    out = tmp_path / "out"
    publish_fake(out, "first")
    (out / "exports" / "mine.csv").write_text("my own export", encoding="utf-8")
    (out / "exports" / ".keep").write_text("", encoding="utf-8")
    publish_fake(out, "second")
    files = snapshot(out)
    assert {name for name, kind in files.items() if kind != "folder"} == {
        "atlas.duckdb", "maps/index.html", "maps/us_areas.html", "exports/us_area_top100.csv",
        "exports/mine.csv", "exports/.keep", MANIFEST}
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["build_id"] == "second"
    for name, digest in manifest["files"].items():
        assert files[name] == digest and "second" in (out / name).read_text(encoding="utf-8")
    assert "exports/mine.csv" not in manifest["files"]  # yours, carried over, not the build's


@pytest.mark.parametrize("existing", [True, False])
def test_a_failed_build_leaves_the_folder_exactly_as_it_was(tmp_path, existing):
    out = tmp_path / "new" / "deeper" / "out"
    if existing:
        publish_fake(out, "first")
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError), staging(out, prepare_output_folder) as stage:
        fake_build(stage, "second")
        raise RuntimeError("the maps failed")
    assert snapshot(tmp_path) == before  # no staging folder, no new empty folder
    assert out.exists() == existing and (tmp_path / "new").exists() == existing


def test_a_publishing_cut_short_is_completed_by_the_next_build(tmp_path, monkeypatch):
    out = tmp_path / "out"
    publish_fake(out, "first")
    stage = Path(tempfile.mkdtemp(prefix=f".stage-{os.getpid()}-", dir=out))
    fake_build(stage, "second")
    write_manifest(stage, "second")
    renames = []
    real_rename = os.rename

    def killed_after_one(source, target):
        if renames:
            raise KeyboardInterrupt("killed while publishing")
        renames.append(source)
        real_rename(source, target)

    monkeypatch.setattr(publishing.os, "rename", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        publish(stage, out)
    monkeypatch.setattr(publishing.os, "rename", real_rename)
    assert (out / JOURNAL).is_file() and not (out / "exports").exists()  # cut mid-way
    notes: list[str] = []
    recover(out, notes.append)
    assert not (out / JOURNAL).exists() and not stage.exists()
    assert len(notes) == 1 and "completed the publishing" in notes[0]
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["build_id"] == "second"
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_a_staging_folder_of_a_killed_build_is_removed(tmp_path):
    out = tmp_path / "out"
    publish_fake(out, "first")
    dead = out / ".stage-999999999-abcdefgh"  # no such process
    (dead / "maps").mkdir(parents=True)
    live = out / f".stage-{os.getpid()}-abcdefgh"
    live.mkdir()
    assert stale_stages(out) == [dead]
    notes: list[str] = []
    import time
    prepare_output_folder(out, started=time.time(), step=notes.append)
    assert not dead.exists() and live.exists()
    assert "left by an interrupted build" in notes[0]


# -- with the real inputs: one complete build, then failures and a second build ---------------

@pytest.fixture(scope="module")
def published(full_build) -> Path:
    """The session's complete real build (``tests/conftest.py``), read only."""
    return full_build.out


@pytest.fixture()
def published_copy(full_build, tmp_path: Path) -> Path:
    """A copy of the session's complete real build, for the tests that build into it."""
    copy = tmp_path / "published"
    shutil.copytree(full_build.out, copy, symlinks=True,
                    ignore=lambda folder, names: [".cache"] if folder == str(full_build.out)
                    else [])
    return copy


def test_every_part_carries_the_build_id_of_the_manifest(published):
    manifest = json.loads((published / MANIFEST).read_text(encoding="utf-8"))
    build_id = manifest["build_id"]
    with duckdb.connect(str(published / "atlas.duckdb"), read_only=True) as con:
        assert con.execute("SELECT value FROM build_info WHERE key = 'build_id'"
                           ).fetchone()[0] == build_id
    pages = [name for name in manifest["files"] if name.startswith("maps/")]
    assert {"maps/index.html", "maps/us_areas.html"} <= set(pages)
    for page in pages:
        text = (published / page).read_text(encoding="utf-8")
        assert f'<meta name="atlas-build" content="{build_id}">' in text
    book = openpyxl.load_workbook(published / "exports" / "us_area_top100.xlsx",
                                  read_only=True)
    rows = [[v for v in row if v is not None] for row in book["provenance"].iter_rows(
        values_only=True)]
    assert ["build_id", build_id] in rows
    command = next(row[1] for row in rows if row and row[0] == "export_command")
    assert f"--db {published / 'atlas.duckdb'}" in command and ".stage-" not in command
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((published / name).read_bytes()).hexdigest() == digest
    assert not [p for p in published.iterdir() if re.match(r"\.stage-|\.publishing", p.name)]


def test_a_killed_second_process_publishes_nothing(published_copy, data_dir, monkeypatch):
    published = published_copy
    before = snapshot(published)
    monkeypatch.setattr("atlas.build.outputs.MAPS_TARGET", "publish_helpers:die")
    with pytest.raises(BrokenProcessPool):  # the second process died drawing the maps
        build_all(published, data_dir, None)
    assert snapshot(published) == before


def test_bad_input_publishes_nothing(published_copy, data_dir, tmp_path):
    published = published_copy
    broken = tmp_path / "data"  # links to the real inputs, one file changed
    (broken / "cn").mkdir(parents=True)
    for path in data_dir.iterdir():
        if path.name != "cn":
            (broken / path.name).symlink_to(path)
    for path in (data_dir / "cn").iterdir():
        (broken / "cn" / path.name).symlink_to(path)
    units = broken / "cn" / "cn_prefecture_units.csv"
    text = units.read_text(encoding="utf-8")
    units.unlink()
    units.write_text(text.replace(",1.0,", ",9.0,", 1), encoding="utf-8")
    before = snapshot(published)
    with pytest.raises(AtlasError, match="cn_prefecture_units.csv"):
        build_all(published, broken, None)
    assert snapshot(published) == before
