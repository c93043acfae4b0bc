"""The catalogue of the database's texts, read from data: ``atlas/spec/catalogue.toml`` and
the catalogues the levels' sources ship (a level's ``catalogue`` in atlas/spec/levels.toml,
``"package:file"``), so that no generic module imports a source's texts.

A text ``"@words.<name>"`` is a shared word, ``"@region_index"`` the region_index text of the
same column, ``"@region_index.<column>"`` that of another column; a table with
``columns_from`` takes every column of that ``[columns.*]`` table but ``columns_except``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError
from atlas.spec import declarations, spec_path

CATALOGUE_PATH = spec_path("catalogue.toml")


@dataclass(frozen=True)
class Catalogue:
    """Every text of the database and of the exports' dictionary.

    Attributes
    ----------
    words
        The words the texts repeat (what a level, a region, a measure ... is).
    columns
        Column texts by name: ``region_index`` (region_indices and the exports), ``engine``
        (columns the engine is adding), ``export`` (export-only columns).
    tables
        Table -> (comment, column -> text), in catalogue order, the sources' tables after
        the generic ones.
    views, trend_view, view_columns
        The views' comments, the comment of every ``v_<geography>_trend`` view (a
        ``{geography}`` template) and the texts of view-only columns.
    dictionary
        The texts of the data dictionary's section on periods (``[dictionary]``).
    """

    words: dict[str, str]
    columns: dict[str, dict[str, str]]
    tables: dict[str, tuple[str, dict[str, str]]]
    views: dict[str, str]
    trend_view: str
    view_columns: dict[str, str]
    dictionary: dict[str, str]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the catalogue ({exc})") from exc


def source_catalogues() -> list[Path]:
    """The catalogues the declared levels' sources ship, once each, in declaration order."""
    paths: list[Path] = []
    for decl in declarations.levels():
        if decl.catalogue:
            package, _, name = decl.catalogue.partition(":")
            try:
                path = Path(str(files(package).joinpath(name)))
            except ModuleNotFoundError as exc:
                raise ConfigError(f"levels.toml: level '{decl.id}': catalogue "
                                  f"'{decl.catalogue}' names no package ({exc})") from exc
            if path not in paths:
                paths.append(path)
    return paths


def _text(where: str, column: str, text: Any, words: dict[str, str],
          region_index: dict[str, str]) -> str:
    """``text``, or the text an ``@`` reference names."""
    if not isinstance(text, str):
        raise ConfigError(f"{where}: column '{column}' = {text!r} (expected a text)")
    if not text.startswith("@"):
        return text
    kind, _, name = text[1:].partition(".")
    table = {"words": words, "region_index": region_index}.get(kind)
    found = None if table is None else table.get(name or column)
    if found is None:
        raise ConfigError(f"{where}: column '{column}' = {text!r} names no text (expected "
                          "@words.<word>, @region_index or @region_index.<column>)")
    return found


def _tables(path: Path, raw: dict[str, Any], words: dict[str, str],
            columns: dict[str, dict[str, str]]) -> dict[str, tuple[str, dict[str, str]]]:
    out = {}
    for name, entry in raw.get("tables", {}).items():
        where = f"{path.name}: [tables.{name}]"
        if not isinstance(entry.get("comment"), str):
            raise ConfigError(f"{where}: 'comment' must be a text")
        texts = {column: _text(where, column, text, words, columns["region_index"])
                 for column, text in entry.get("columns", {}).items()}
        if "columns_from" in entry:
            source = columns.get(entry["columns_from"])
            if source is None:
                raise ConfigError(f"{where}: columns_from = {entry['columns_from']!r} (expected "
                                  f"one of {sorted(columns)})")
            skipped = set(entry.get("columns_except", ()))
            texts = {c: t for c, t in source.items() if c not in skipped} | texts
        out[name] = (entry["comment"], texts)
    return out


@cache
def _catalogue(path: Path, sources: tuple[Path, ...]) -> Catalogue:
    raw = _read(path)
    words = dict(raw.get("words", {}))
    columns = {name: dict(texts) for name, texts in raw.get("columns", {}).items()}
    for name in ("region_index", "engine", "export"):
        columns.setdefault(name, {})
    tables = _tables(path, raw, words, columns)
    for source in sources:
        for name, table in _tables(source, _read(source), words, columns).items():
            if name in tables:
                raise ConfigError(f"{source.name}: [tables.{name}] is also in {path.name}")
            tables[name] = table
    return Catalogue(words=words, columns=columns, tables=tables,
                     views=dict(raw.get("views", {})),
                     trend_view=raw.get("trend_view", {}).get("comment", ""),
                     view_columns=dict(raw.get("view_columns", {})),
                     dictionary=dict(raw.get("dictionary", {})))


def catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """The catalogue: ``path`` and the catalogues of the declared levels' sources."""
    return _catalogue(path, tuple(source_catalogues()))
