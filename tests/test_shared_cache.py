"""The build cache lives in one folder shared by every output folder
(:func:`atlas.store.cache.cache_home`): a build into a new folder reuses what an earlier build
of the same inputs, code and reader settings computed, and gives the same tables."""

from __future__ import annotations

import os

import duckdb
from conftest import FIXTURES

from atlas.build.database import build
from atlas.store.cache import CACHE_ENV, cache_home
from atlas.store.fingerprint import differing, fingerprints


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "chosen"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_home() == tmp_path / "chosen"
    monkeypatch.setenv(CACHE_ENV, "  ")  # empty: not chosen
    assert cache_home() == tmp_path / "xdg" / "atlas"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_home() == tmp_path / "home" / ".cache" / "atlas"


def test_two_output_folders_share_the_cache(monkeypatch, tmp_path):
    """The first build (empty cache) validates and reads; a build into another folder copies
    its model tables from the shared folder and gives every table the same content. A
    temporary that a killed build's cache write left there (its process gone) is removed;
    nothing else in the folder is touched."""
    shared = tmp_path / "shared"
    shared.mkdir()
    left = shared / ".model_tables-999999999-abcd1234.duckdb"  # no process has that id
    left.write_bytes(b"half written")
    os.utime(left, (1, 1))
    other = shared / "notes.txt"
    other.write_text("not the atlas's", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(shared))
    first_steps: list[str] = []
    first = build(tmp_path / "one", FIXTURES, step=first_steps.append).database
    assert any(step.startswith("checking every input") for step in first_steps)
    assert any("1 temporary file(s) left in" in step for step in first_steps)
    assert not left.exists() and other.exists()
    entries = sorted(p.name.split("-")[0] for p in shared.glob("*.parquet"))
    assert "model_tables" in {p.name.split("-")[0] for p in shared.glob("*.duckdb")}
    assert {"layer_counties_2023", "us_region_geometry", "contiguity"} <= set(entries)
    steps: list[str] = []
    second = build(tmp_path / "two", FIXTURES, step=steps.append).database
    assert not any(step.startswith(("checking every input", "reading")) for step in steps)
    assert any(step.startswith(f"copying the model tables from {shared}") for step in steps)
    assert not any((tmp_path / name / ".cache").exists() for name in ("one", "two"))
    with duckdb.connect(str(first), read_only=True) as one, \
            duckdb.connect(str(second), read_only=True) as two:
        assert differing(fingerprints(one), fingerprints(two)) == []

