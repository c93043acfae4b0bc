"""Markdown pieces every generated document shares: the levels reports cover, data text
escaped as literal Markdown, and pipe tables.

Text from the data or the configuration (region names, labels) is escaped
(:func:`markdown_text`): it cannot open an HTML comment or close a block's marker, break a
table row or start a link, so a second ``--update-docs`` gives the same documents as the
first.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from atlas.spec import declarations


def level_names() -> dict[str, str]:
    """The levels reports cover, with their display names (``name`` in
    atlas/spec/levels.toml; a level with ``in_reports = false`` is left out)."""
    return {decl.id: decl.name for decl in declarations.levels() if decl.in_reports}


# Characters of Markdown (and the HTML inside it) that data text must not bring in.
MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|])")
LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")


def markdown_text(value: object) -> str:
    """``value`` as literal Markdown text on one line: backslash, backtick, ``*``, brackets
    and ``|`` escaped, ``<``, ``>`` and an entity's ``&`` as HTML entities (no comment,
    marker or tag can open), line breaks as spaces."""
    text = LINE_BREAKS.sub(" ", str(value))
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_table(frame: pd.DataFrame, digits: int = 2) -> str:
    """A pipe table; floats rounded to ``digits``, text escaped (:func:`markdown_text`)."""
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, float):
            return f"{value:,.{digits}f}"
        return markdown_text(value)
    lines = ["| " + " | ".join(map(markdown_text, frame.columns)) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)
