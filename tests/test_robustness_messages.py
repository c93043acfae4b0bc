"""One-line messages for a full disk, an output path under a file and a folder where a file
is expected (issue 34, item 9)."""

from __future__ import annotations

import errno
import os

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.store.files import OutputError, atomic_write


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_a_folder_where_a_file_is_expected(tiny_db, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    line = one_line_error(CliRunner().invoke(
        app, ["sql", "--db", str(tiny_db), "-o", str(folder), "SELECT 1"]))
    assert f"{folder}: is a folder" in line and "file name" in line
    assert list(folder.iterdir()) == []  # no temporary is named or left


def test_the_dictionary_into_a_folder_names_the_folder_not_a_temporary(built_atlas, tmp_path):
    line = one_line_error(CliRunner().invoke(
        app, ["dictionary", "--db", str(built_atlas), "-o", str(tmp_path)]))
    assert f"{tmp_path}: is a folder" in line and ".data_dictionary" not in line
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


@pytest.mark.parametrize("command", ["sql", "build"])
def test_an_output_path_under_a_file(tiny_db, tmp_path, command):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file", encoding="utf-8")
    target = blocker / "sub" / "x.csv"
    args = (["sql", "--db", str(tiny_db), "-o", str(target), "SELECT 1"] if command == "sql"
            else ["build", "--out", str(blocker / "sub"), "--data-dir", str(tmp_path)])
    line = one_line_error(CliRunner().invoke(app, args))
    assert f"{blocker} is a file, not a folder" in line and "File exists" not in line
    assert blocker.read_text(encoding="utf-8") == "a file"


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    duckdb.TransactionException("TransactionException: Failed to commit: could not write "
                                "to file: No space left on device"),
    duckdb.IOException("IO Error: Could not write file \"x\": No space left on device"),
])
def test_a_full_disk_names_the_folder_and_the_space(tmp_path, error):
    target = tmp_path / "out" / "atlas.duckdb"
    target.parent.mkdir()
    target.write_bytes(b"x" * 5_000_000)  # the previous build's file

    def writer(temp):
        temp.write_bytes(b"y" * 1000)
        raise error

    with pytest.raises(OutputError) as caught:
        atomic_write(target, writer)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{target.parent}: the disk is full (")
    assert "free) while writing atlas.duckdb, which needs about 5.0 MB" in message
    assert target.read_bytes() == b"x" * 5_000_000  # the previous file is kept
    assert os.listdir(target.parent) == ["atlas.duckdb"]  # no temporary is left


def test_a_full_disk_from_the_cli_is_one_line(tiny_db, tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    line = one_line_error(CliRunner().invoke(
        app, ["sql", "--db", str(tiny_db), "-o", str(tmp_path / "x.csv"), "SELECT 1"]))
    assert f"{tmp_path}: the disk is full" in line and "x.csv" in line
