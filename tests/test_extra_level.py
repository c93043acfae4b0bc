"""A level is described by data (atlas/spec/levels.toml): a declared level lacking a required
part stops with one line, and a test-only level declared in an extra file
(tests/fixtures/extra_level/levels.toml, read by tests/synthetic_level.py) is built, ranked,
mapped and exported without a line of atlas/ naming it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from atlas.errors import ConfigError
from atlas.spec import declarations
from atlas.spec.declarations import EXTRA_LEVELS_VARIABLE, REQUIRED_LEVEL_KEYS

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "extra_level" / "levels.toml"
FIXTURE_TEXT = FIXTURE.read_text(encoding="utf-8")
LEVEL = "test_islands"


def _without(tmp_path: Path, pattern: str) -> Path:
    """The fixture with the lines matching ``pattern`` removed."""
    text, removed = re.subn(pattern, "", FIXTURE_TEXT, flags=re.MULTILINE)
    assert removed, pattern
    path = tmp_path / "levels.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["family", "name", "reader", "taxonomy", "reference_level"])
def test_a_level_lacking_a_required_part_is_named(tmp_path, monkeypatch, key):
    path = _without(tmp_path, rf"^{key} = .*\n")
    monkeypatch.setenv(EXTRA_LEVELS_VARIABLE, str(path))
    with pytest.raises(ConfigError) as caught:
        declarations.levels()
    message = str(caught.value)
    assert "\n" not in message
    assert f"{path}: level[0]: level '{LEVEL}' lacks '{key}'" in message
    assert REQUIRED_LEVEL_KEYS[key] in message


def test_a_level_without_its_geography_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv(EXTRA_LEVELS_VARIABLE, str(_without(tmp_path, r"^within = .*\n")))
    with pytest.raises(ConfigError, match=f"level '{LEVEL}' lacks 'within'"):
        declarations.levels()


def test_an_undeclared_family_is_named(tmp_path, monkeypatch):
    path = tmp_path / "levels.toml"
    path.write_text(FIXTURE_TEXT.replace('family = "test_islands"', 'family = "islands"'),
                    encoding="utf-8")
    monkeypatch.setenv(EXTRA_LEVELS_VARIABLE, str(path))
    with pytest.raises(ConfigError, match=r"level 'test_islands': family 'islands' is not "
                                          r"declared \(expected one of \['cn_city', "):
        declarations.levels()


def test_every_shipped_level_declares_its_description():
    decls = declarations.levels(declarations.LEVELS_PATH)
    assert [d.id for d in decls][:5] == ["us_area", "us_state", "us_nation", "cn_city",
                                        "country"]
    for decl in decls:
        assert decl.family and decl.name and decl.within.header and decl.columns, decl.id
    assert declarations.level_decl("cn_city@2010").within.header == "Province 省"


def test_the_extra_level_follows_the_shipped_ones(monkeypatch):
    monkeypatch.setenv(EXTRA_LEVELS_VARIABLE, str(FIXTURE))
    decls = declarations.levels()
    assert decls[-1].id == LEVEL and decls[-1].within.concept == "island group"
    assert declarations.default_level() == "us_area"


def test_the_atlas_code_never_names_the_test_level():
    hits = [path for path in (ROOT / "atlas").rglob("*") if path.is_file()
            and path.suffix in {".py", ".sql", ".toml", ".html", ".js"}
            and LEVEL in path.read_text(encoding="utf-8", errors="replace")]
    assert hits == []


@pytest.mark.realdata
@pytest.mark.timeout(1800)
def test_the_extra_level_is_built_ranked_mapped_and_exported(data_dir, tmp_path, monkeypatch):
    import duckdb

    from atlas.build.pipeline import build_all

    monkeypatch.setenv(EXTRA_LEVELS_VARIABLE, str(FIXTURE))
    result, written = build_all(tmp_path, data_dir, None)
    with duckdb.connect(str(result.database), read_only=True) as con:
        rows = con.execute(
            "SELECT region_id, collapse_risk, risk_rank, total_employment FROM region_indices "
            "WHERE level = ? ORDER BY region_id", [LEVEL]).fetchall()
        jobs = dict(con.execute("SELECT region_id, sum(employment) FROM employment "
                                "WHERE level = ? GROUP BY region_id", [LEVEL]).fetchall())
        description = con.execute("SELECT description FROM levels WHERE level = ?",
                                  [LEVEL]).fetchone()[0]
    assert [row[0] for row in rows] == [f"T{i:02d}" for i in range(1, 13)]
    assert all(row[1] is not None for row in rows)  # every island has a collapse risk
    assert sorted(row[2] for row in rows) == list(range(1, 13))  # ranked 1..12
    assert [row[3] for row in rows][0] == pytest.approx(sum(
        100 + 400 * (j == 0) + 10 * (j % 5) for j in range(9)))
    assert {row[0]: row[3] for row in rows} == pytest.approx(jobs)  # the jobs add up
    assert description == "Twelve synthetic islands (test fixture)"
    page = (tmp_path / "maps" / "test_islands.html").read_text(encoding="utf-8")
    assert all(f"Island T{i:02d}" in page for i in range(1, 13))
    assert "test_islands.html" in (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    export = tmp_path / "exports" / f"{LEVEL}_top100.csv"
    assert export in written
    with export.open(encoding="utf-8-sig") as handle:
        listed = {row["region_id"] for row in csv.DictReader(handle)}
    assert listed == {f"T{i:02d}" for i in range(1, 13)}
