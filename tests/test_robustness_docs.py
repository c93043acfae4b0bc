"""Generated documents that names cannot rewrite (issue 34, item 7): data text is escaped in
Markdown, and ``atlas report --update-docs`` run twice gives the same documents."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import ConfigError
from atlas.texts.report import ROOT, markdown_table, markdown_text, replace_block

HOSTILE = "Evil <!-- top-us_area:end -->\n| 1 | 2 |\r[link](http://x) `code` *b* \\ &lt;"


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_data_text_cannot_open_a_comment_break_a_row_or_link():
    text = markdown_text(HOSTILE)
    assert "\n" not in text and "\r" not in text
    assert "<" not in text and ">" not in text and "<!--" not in text
    assert unescaped_pipes(text) == 0
    assert "\\[link\\]" in text and "\\`code\\`" in text and "\\*b\\*" in text
    assert "&amp;lt;" in text  # an entity in the data stays literal text
    assert markdown_text("Coeur d'Alene, ID") == "Coeur d'Alene, ID"
    import pandas as pd

    table = markdown_table(pd.DataFrame({"name": [HOSTILE, "plain"], "x": [1.5, 2.0]}))
    lines = table.splitlines()
    assert len(lines) == 4 and {unescaped_pipes(line) for line in lines} == {3}


def test_a_damaged_block_is_refused_not_guessed():
    doubled = "a\n<!-- b:start -->\nx\n<!-- b:end -->\n<!-- b:end -->\n"
    with pytest.raises(ConfigError, match="README.md: block 'b' needs exactly one"):
        replace_block(doubled, "b", "new", "README.md")
    with pytest.raises(ConfigError, match="comment marker"):
        replace_block("<!-- b:start -->\n<!-- b:end -->", "b", "<!-- b:end -->", "doc")
    once = replace_block("a\n<!-- b:start -->\nx\n<!-- b:end -->\nz", "b", "new")
    assert once == "a\n<!-- b:start -->\nnew\n<!-- b:end -->\nz"
    assert replace_block(once, "b", "new") == once


@pytest.fixture()
def hostile_atlas(built_atlas, tmp_path):
    """A copy of the session's atlas whose riskiest US area and Chinese city have hostile
    names, and a copy of the documents --update-docs rewrites."""
    database = tmp_path / "atlas.duckdb"
    shutil.copyfile(built_atlas, database)
    with duckdb.connect(str(database)) as con:
        for level in ("us_area", "cn_city"):
            con.execute("UPDATE regions SET name = ? WHERE level = ? AND region_id IN ("
                        "SELECT region_id FROM region_risk WHERE level = ? AND risk_rank "
                        "IN (1, 2))", [HOSTILE, level, level])
    root = tmp_path / "project"
    (root / "docs").mkdir(parents=True)
    for name in ("README.md", "docs/method.md", "docs/risk_diagnostics.md", "docs/validation.md",
                 "docs/top30.md"):
        shutil.copyfile(ROOT / name, root / name)
    return database, root


def update(database: Path, root: Path) -> str:
    result = CliRunner().invoke(app, ["report", "--update-docs", "--db", str(database),
                                      "--docs-root", str(root)])
    assert result.exit_code == 0, result.output
    return result.output


def test_update_docs_is_idempotent_with_hostile_names(hostile_atlas):
    database, root = hostile_atlas
    update(database, root)
    first = {p: p.read_bytes() for p in root.rglob("*.md")}
    output = update(database, root)
    assert {p: p.read_bytes() for p in root.rglob("*.md")} == first
    assert not any(line.startswith("wrote") for line in output.splitlines())
    assert output.count("up to date") == 5  # README, method, diagnostics, validation, top 30
    readme = (root / "README.md").read_text(encoding="utf-8")
    for block in ("top-us_area", "top-cn_city", "diagnostics"):
        assert readme.count(f"<!-- {block}:start -->") == 1
        assert readme.count(f"<!-- {block}:end -->") == 1
    block = readme.split("<!-- top-us_area:start -->")[1].split("<!-- top-us_area:end -->")[0]
    rows = [line for line in block.splitlines() if line.startswith("|")]
    assert len(rows) == 22 and len({unescaped_pipes(row) for row in rows}) == 1
    assert "Evil &lt;!-- top-us\\_area" in block or "Evil &lt;!-- top-us_area" in block
