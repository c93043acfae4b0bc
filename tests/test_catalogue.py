"""Table and column texts as data: atlas/spec/catalogue.toml and the catalogues the sources
ship, read by atlas/texts/catalogue.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from atlas.errors import ConfigError
from atlas.texts import catalogue as catalogue_module
from atlas.texts.catalogue import CATALOGUE_PATH, catalogue, source_catalogues

ROOT = Path(__file__).resolve().parent.parent


def test_references_resolve_to_the_texts_they_name():
    texts = catalogue()
    assert texts.tables["levels"][1]["level"] == texts.words["level"]
    assert texts.tables["region_totals"][1]["total_employment"] == \
        texts.columns["region_index"]["total_employment"]
    assert texts.tables["regions"][1]["lower_tier"] == \
        texts.columns["region_index"]["flag_lower_tier"]
    indices = texts.tables["region_indices"][1]
    assert set(indices) == set(texts.columns["region_index"]) - {
        "selection_rank", "allocation", "allocation_need"}
    assert not any(text.startswith("@") for _, columns in texts.tables.values()
                   for text in columns.values())


def test_a_source_s_tables_come_from_the_catalogue_it_ships():
    assert [p.relative_to(ROOT / "atlas").as_posix() for p in source_catalogues()] == [
        "sources/world/catalogue.toml"]
    assert {"composition_model_errors", "ilo_gradient_comparison", "country_sources"} <= set(
        catalogue().tables)
    assert "country_sources" not in CATALOGUE_PATH.read_text(encoding="utf-8")


def test_no_text_module_imports_a_source_s_module():
    sources = ("atlas.sources.us", "atlas.sources.cn", "atlas.sources.world",
               "atlas.sources.exposure")
    for path in (ROOT / "atlas" / "texts").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [m for m in modules if m and m.startswith(sources)], path


def _catalogue_with(tmp_path: Path, old: str, new: str) -> Path:
    text = CATALOGUE_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalogue.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_reference_to_no_text_is_named_in_one_line(tmp_path):
    path = _catalogue_with(tmp_path, 'level = "@words.level"', 'level = "@words.levle"')
    with pytest.raises(ConfigError) as caught:
        catalogue_module.catalogue(path)
    message = str(caught.value)
    assert message.startswith("catalogue.toml: [tables.levels]: column 'level' = '@words.levle'")
    assert "\n" not in message


def test_a_source_may_not_redefine_a_generic_table(tmp_path, monkeypatch):
    source = tmp_path / "source.toml"
    source.write_text('[tables.levels]\ncomment = "again"\n', encoding="utf-8")
    monkeypatch.setattr(catalogue_module, "source_catalogues", lambda: [source])
    with pytest.raises(ConfigError, match=r"source.toml: \[tables.levels\] is also in "
                                          "catalogue.toml"):
        catalogue_module.catalogue()
