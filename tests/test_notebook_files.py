"""``atlas notebooks``: the notebooks as Jupyter files that read the atlas they were written
for, in step with their sources (``notebooks/*.py``); one runs on the fixture atlas."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import ConfigError
from atlas.texts.notebooks import DEFAULT_DB, sources, write_notebooks

ROOT = Path(__file__).resolve().parents[1]


def test_every_notebook_is_written_as_its_source_reading_the_given_atlas(tmp_path):
    db = tmp_path / "out" / "atlas.duckdb"
    db.parent.mkdir()
    db.write_bytes(b"")  # only its path matters here
    result = CliRunner().invoke(app, ["notebooks", "--db", str(db),
                                      "--output", str(tmp_path / "out" / "notebooks")])
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out" / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in written] == [p.stem for p in sources()] and len(written) == 4
    for path in written:
        document = nbformat.read(path, as_version=4)
        source = jupytext.read(ROOT / "notebooks" / f"{path.stem}.py")
        assert len(document.cells) == len(source.cells)
        changed = [(a.source, b.source) for a, b in zip(document.cells, source.cells,
                                                        strict=True) if a.source != b.source]
        # the one change: the atlas's default path, now from the notebook's own folder
        assert len(changed) == 1, path.name
        assert changed[0][0] == changed[0][1].replace(DEFAULT_DB, '"../atlas.duckdb"')
        assert all(not cell.get("outputs") for cell in document.cells)
        assert "jupytext" not in document.metadata
        nbformat.validate(document)


def test_a_notebook_that_cannot_find_the_atlas_is_refused(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_x.py").write_text('# %%\nDB = "out.duckdb"\n', encoding="utf-8")
    (tmp_path / "atlas.duckdb").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"01_x.py: expected one code cell reading the atlas"):
        write_notebooks(tmp_path / "atlas.duckdb", tmp_path / "nb", folder=folder)
    with pytest.raises(ConfigError, match="no atlas database; build it first"):
        write_notebooks(tmp_path / "missing.duckdb", tmp_path / "nb", folder=folder)


def test_the_written_notebook_runs_on_the_fixture_atlas_without_settings(fixture_atlas,
                                                                         tmp_path, monkeypatch):
    """Notebook 01 runs as written, with no ``ATLAS_DB``: it finds the atlas by itself.
    (02-04 ask about real places - Ohio, China's Northeast - that the tiny fixture lacks; they
    run on the real atlas in tests/test_researchers.py.)"""
    monkeypatch.delenv("ATLAS_DB", raising=False)
    out = tmp_path / "notebooks"
    first = sources()[0]
    write_notebooks(fixture_atlas / "atlas.duckdb", out, folder=first.parent)
    document = nbformat.read(out / f"{first.stem}.ipynb", as_version=4)
    assert os.environ.get("ATLAS_DB") is None
    NotebookClient(document, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(out)}}).execute()
    figures = sum(1 for cell in document.cells for output in cell.get("outputs", [])
                  if "image/png" in output.get("data", {}))
    assert figures >= 1
