"""The README is for a newcomer: the two commands first, then what the atlas is and what each
user gets; no project history; the times and sizes in one generated table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from atlas.errors import ConfigError
from atlas.texts.headline import headline_table, read_headline
from atlas.texts.inputs_table import README
from atlas.texts.report import replace_block

ROOT = Path(__file__).resolve().parent.parent

FIGURES = {"machine": {"cores": 2, "memory_gb": 24, "system": "Linux", "python": "3.11.7",
                       "load_1min": 3.0},
           "build": {"wall_s": 150.0, "cpu_s": 41.4, "load_1min": 12.5, "database_mb": 50.6,
                     "pages_mb": {"world.html": 0.71, "cn_cities.html": 1.1},
                     "date": "2026-12-07"}}


def sections(text: str) -> list[str]:
    return re.findall(r"^## (.+)$", text, flags=re.M)


def test_the_readme_opens_with_the_commands_then_what_it_is_and_what_each_user_gets():
    text = README.read_text(encoding="utf-8")
    names = sections(text)
    assert names[:3] == ["Quick start", "What it is", "What each user gets"]
    quick = text[text.index("## Quick start"):text.index("## What it is")]
    assert "<!-- headline:start -->" in quick  # the times and sizes, next to the commands
    for user in ("Planners", "Researchers", "Fund allocators"):
        assert f"### {user}" in text
    assert "[docs/method.md](docs/method.md)" in text and "atlas notebooks" in text


def test_the_readme_holds_no_project_history():
    text = README.read_text(encoding="utf-8")
    assert not re.search(r"\bissue\s*#?\d+|#\d{2,}\b", text, flags=re.I)
    assert not re.search(r"this round|earlier rounds", text, flags=re.I)
    # no commit hash (7-40 hex digits with a digit and a letter), outside the generated tables
    prose = re.sub(r"<!-- ([\w-]+):start.*?<!-- \1:end -->", "", text, flags=re.S)
    assert not [w for w in re.findall(r"\b[0-9a-f]{7,40}\b", prose)
                if re.search(r"\d", w) and re.search(r"[a-f]", w)]


def test_every_document_the_readme_links_exists():
    text = README.read_text(encoding="utf-8")
    for link in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (ROOT / link).is_file(), link
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\(([\w.]+\.md)", index):
        assert (ROOT / "docs" / link).is_file(), link


def test_the_headline_table_says_the_measured_figures_and_the_machine():
    table = headline_table(FIGURES)
    assert "2-core, 24 GB Linux machine with Python 3.11.7" in table
    assert "| first build of the whole atlas (empty cache) | 2.5 min wall clock, 41 s CPU " \
           "(load 12.5, 2026-12-07) |" in table
    assert "| `out/atlas.duckdb` | 50.6 MB |" in table
    rows = [line for line in table.splitlines() if line.startswith("| `out/maps/")]
    assert rows == ["| `out/maps/cn_cities.html` | 1.1 MB |",
                    "| `out/maps/world.html` | 0.71 MB |"]
    assert "| install (`pip install -e \".[dev,spatial]\"` into a fresh virtual environment) " \
           "| not measured yet" in table  # no install figure: said, not invented
    measured = {**FIGURES, "install": {"wall_s": 42.0, "cpu_s": 30.2, "load_1min": 1.0,
                                       "date": "2026-12-07", "command": "pip install -e x"}}
    assert "| install (`pip install -e x` into a fresh virtual environment) | 42 s wall clock, " \
           "30 s CPU (load 1, 2026-12-07) |" in headline_table(measured)


def test_the_headline_table_says_the_rebuild_and_what_users_wait_on_when_measured():
    assert "rebuild" not in headline_table(FIGURES)  # not measured: no row
    speed = {"load_1min": 1.5, "date": "2026-12-08", "grid_s": 2.814,
             "grid_specifications": 40190, "phone_paint_s": {"world.html": 0.45,
                                                             "cn_cities.html": 0.6},
             "engine_10m_s": 6.0, "duckdb_pass_10m_s": 2.0, "polars_10m_s": 5.0}
    table = headline_table({**FIGURES, "speed": speed, "rebuild": {
        "wall_s": 12.0, "cpu_s": 20.4, "load_1min": 1.0, "date": "2026-12-08"}})
    assert "| a rebuild into the same folder (what the cache holds reused, everything else " \
           "computed again) | 12 s wall clock, 20 s CPU (load 1, 2026-12-08) |" in table
    assert "(40,190 specifications) | 2.81 s (load 1.5, 2026-12-08) |" in table
    assert "| `cn_cities.html` 0.60 s, `world.html` 0.45 s (load 1.5" in table
    assert "| 6.00 s: 3.0x one DuckDB grouped pass of the sums (2.00 s); polars computing the " \
           "sums alone 5.00 s (load 1.5, 2026-12-08) |" in table


def test_the_committed_headline_is_the_readme_block(tmp_path):
    figures = read_headline(ROOT)
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- headline:start -->\n")[1].split("<!-- headline:end -->")[0]
    if figures is None:
        assert block == ""
    else:
        assert block.rstrip("\n") == headline_table(figures)
    assert replace_block(text, "headline", headline_table(FIGURES)).count("2.5 min") == 1


def test_a_damaged_headline_file_is_one_line_naming_it(tmp_path):
    (tmp_path / "docs").mkdir()
    path = tmp_path / "docs" / "headline.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"headline.json: not JSON .* at line 1"):
        read_headline(tmp_path)
    path.write_text(json.dumps({"machine": {}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"headline.json: expected an object 'build'"):
        read_headline(tmp_path)
    assert read_headline(tmp_path / "nowhere") is None
