"""What every output column means: unit, source and formula.

Used for the ``dictionary`` sheet of exports; the texts are data: the catalogue
(``atlas/spec/catalogue.toml``, :mod:`atlas.texts.catalogue`) and the levels' own column
texts (``columns`` in ``atlas/spec/levels.toml``).
"""

from __future__ import annotations

from atlas.spec.declarations import level_decl
from atlas.texts.catalogue import catalogue


def not_applicable(level: str) -> set[str]:
    """Columns that carry no information at ``level`` (its ``not_applicable`` in
    atlas/spec/levels.toml): flags that cannot be true there, exported as empty like a
    column with no data."""
    decl = level_decl(level)
    return set() if decl is None else set(decl.not_applicable)


def level_columns(level: str) -> dict[str, str]:
    """The texts particular to ``level``'s geography (its ``columns`` in
    atlas/spec/levels.toml; ``cn_city@2010`` is a ``cn_city``)."""
    decl = level_decl(level)
    return {} if decl is None else decl.columns


def column_meaning(column: str, level: str, comments: dict[str, str] | None = None) -> str:
    """What ``column`` means at ``level``.

    Looks up the level's own text, then the general text, then the database's column comment
    (``comments``), then the export-only and engine texts; "" if none.
    """
    columns = catalogue().columns
    for texts in (level_columns(level), columns["region_index"], comments or {},
                  columns["export"], columns["engine"]):
        if texts.get(column):
            return texts[column]
    return ""
