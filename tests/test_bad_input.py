"""Bad input: one clear error naming the file and the column or row, a non-zero exit, and the
previous atlas left untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from atlas.cli import app

OEWS = "us/oews_m2025_area_occ_all.parquet"


def mirror(data_dir: Path, target: Path) -> Path:
    """A data directory of symlinks to the real inputs, with OEWS as a writable copy."""
    for path in data_dir.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(data_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    return target


def corrupt_oews(data_dir: Path, target: Path, change) -> Path:
    mirror(data_dir, target)
    frame = pd.read_parquet(data_dir / OEWS)
    (target / OEWS).unlink()
    change(frame).to_parquet(target / OEWS)
    return target


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_build(data: Path, out: Path):
    return CliRunner().invoke(app, ["build", "--data-dir", str(data), "--out", str(out),
                                    "--no-maps", "--no-exports"])


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
def test_bad_oews_gives_one_clear_error_and_keeps_old_atlas(data_dir, tmp_path, change, expected):
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "atlas.duckdb"
    previous.write_bytes(b"previous atlas")
    before = digest(previous)
    data = corrupt_oews(data_dir, tmp_path / "data", change)
    result = run_build(data, out)
    assert result.exit_code != 0
    message = " ".join(result.output.split())
    assert OEWS in message
    for word in expected:
        assert word in message
    assert digest(previous) == before
    assert sorted(p.name for p in out.iterdir()) == ["atlas.duckdb"]


def test_missing_file_is_named(data_dir, tmp_path):
    data = mirror(data_dir, tmp_path / "data")
    (data / "us" / "ers_rucc_2023_county_pop2020.csv").unlink()
    result = run_build(data, tmp_path / "out")
    assert result.exit_code != 0
    assert "ers_rucc_2023_county_pop2020.csv" in result.output
    assert "file not found" in " ".join(result.output.split())
    assert not (tmp_path / "out" / "atlas.duckdb").exists()


def test_missing_data_dir_is_explained(tmp_path):
    result = run_build(tmp_path / "nowhere", tmp_path / "out")
    assert result.exit_code != 0
    assert "data directory" in " ".join(result.output.split())
