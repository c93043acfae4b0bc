"""A newcomer's first hour: the README's commands, the data table, one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.sources.inputs import load_manifest
from atlas.texts.inputs_table import README, inputs_markdown, readme_block

ROOT = Path(__file__).resolve().parent.parent
INSTALL = 'pip install -e ".[dev,spatial]"'


def quick_start_commands() -> list[str]:
    """The indented command lines of the README's Quick start, in order."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Quick start"):text.index("## What each user gets")]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


def test_readme_starts_with_the_build_and_the_test_command():
    first, second = quick_start_commands()[:2]
    assert INSTALL in first and "python build_atlas.py --data-dir ../shared/data" in first
    assert first.startswith("python3 -m venv")
    assert second == "bash .ci/run"


def test_ci_installs_with_the_readme_command_into_its_own_venv():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .ci/venv" in ci and "source .ci/venv/bin/activate" in ci
    assert INSTALL in ci
    assert "check_deps.py" in ci
    assert re.search(r"^python -m pytest -q$", ci, flags=re.M)


def test_readme_data_table_is_the_manifest():
    """Fix a failure with `atlas inputs --update-readme`."""
    block = readme_block(README.read_text(encoding="utf-8"))
    assert block == inputs_markdown(load_manifest())
    files = {spec.path for spec in load_manifest().values()}
    assert all(f"`{path}`" in block for path in files)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return " ".join(result.output[result.output.index("error:"):].split())


def test_missing_data_folder_is_one_line(tmp_path):
    message = one_line_error(run("build", "--data-dir", str(tmp_path / "nowhere"),
                                 "--out", str(tmp_path / "out")))
    assert "data directory" in message and "--data-dir" in message


def test_output_that_is_a_file_is_one_line(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("not a folder")
    message = one_line_error(run("build", "--out", str(target)))
    assert "is a file, not a folder" in message and str(target) in message


def test_unwritable_output_folder_is_one_line(tmp_path, monkeypatch):
    import atlas.build.database

    monkeypatch.setattr(atlas.build.database, "writable", lambda folder: False)
    message = one_line_error(run("build", "--out", str(tmp_path / "out")))
    assert "not writable" in message


def test_missing_package_names_it_and_the_install_command(tmp_path, monkeypatch):
    import atlas.build.database

    def missing(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'esda'", name="esda")

    monkeypatch.setattr(atlas.build.database, "build", missing)
    message = one_line_error(run("build", "--out", str(tmp_path / "out")))
    assert "'esda' is not installed" in message and INSTALL in message


def test_debug_shows_the_traceback(tmp_path):
    result = run("--debug", "build", "--data-dir", str(tmp_path / "nowhere"))
    assert result.exit_code != 0
    assert result.exception is not None and "data directory" in str(result.exception)


def test_build_script_reports_one_line_and_status_1(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "build_atlas.py"), "--data-dir",
                           str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "error: data directory" in done.stderr
    debug = subprocess.run([sys.executable, str(ROOT / "build_atlas.py"), "--debug",
                            "--data-dir", str(tmp_path / "nowhere")],
                           capture_output=True, text=True, timeout=120)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


@pytest.mark.parametrize("package", ["esda", "libpysal", "scipy", "duckdb", "folium"])
def test_runtime_imports_are_declared(package):
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~\[ ]", dep, maxsplit=1)[0].lower()
             for dep in project["dependencies"]}
    assert package in names
