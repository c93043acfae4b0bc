"""The words every output gives about its sources and their terms, from ``input_terms``.

- :func:`credit_lines`: one line per input an output uses, its attribution and terms;
- :func:`internal_mark`: "internal: do not redistribute", naming the restricted inputs,
  on every page, sheet and file of the internal edition that uses one of them (an output
  whose level uses no restricted input holds none of their values and needs no mark);
- :func:`withheld_note`: in the shareable edition, the one line that says which values of a
  level are left out and why.

:func:`sources_block` gathers them for a level (the maps' ``DATA.terms``, the workbooks'
sources sheet, the export sidecars).
"""

from __future__ import annotations

from typing import Any

import duckdb

from atlas.store.edition import edition_of, restricted_figures

INTERNAL = "internal: do not redistribute"
TERMS_WORDS = {"unknown": "terms unknown"}
FIGURE_WORDS = {"composition": "jobs (totals, by sector, exposed, displaced)",
                "regions.published_total": "published employment",
                "regions.labor_force": "labour force", "regions.population": "population",
                "regions.unemployment_rate": "unemployment rate",
                "series.employment": "the employment series"}


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [table]).fetchone()[0])


def level_inputs(con: duckdb.DuckDBPyConnection, level: str | None) -> list[str]:
    """The inputs whose values an output of ``level`` (any period) may show; every input
    used by a level when None."""
    if not _has(con, "input_terms"):
        return []
    base = level.split("@")[0] if level else None
    return [key for key, used in con.execute("SELECT input, levels FROM input_terms").fetchall()
            if used and (base is None or base in used.split(", "))]


def terms_rows(con: duckdb.DuckDBPyConnection, keys: list[str] | None = None
               ) -> list[dict[str, Any]]:
    """``input_terms`` rows of ``keys`` (in that order; every input used by a level when
    None)."""
    if not _has(con, "input_terms"):
        return []
    frame = con.execute("SELECT * FROM input_terms").df()
    rows = {row["input"]: row for row in frame.to_dict("records")}
    keys = level_inputs(con, None) if keys is None else keys
    return [rows[key] for key in keys if key in rows]


def credit_lines(con: duckdb.DuckDBPyConnection, keys: list[str] | None = None) -> list[str]:
    """``"<attribution> (<terms>)"`` per input, without repeats."""
    lines = [f"{row['attribution']} ({TERMS_WORDS.get(row['terms'], row['terms'])})"
             for row in terms_rows(con, keys)]
    return list(dict.fromkeys(lines))


def restricted_names(con: duckdb.DuckDBPyConnection, keys: list[str] | None = None
                     ) -> list[str]:
    """The restricted inputs among ``keys`` (all used when None), named with their terms."""
    return [f"{row['file']} ({TERMS_WORDS.get(row['terms'], row['terms'])})"
            for row in terms_rows(con, keys) if row["restricted"]]


def internal_mark(con: duckdb.DuckDBPyConnection, keys: list[str] | None = None
                  ) -> str | None:
    """The internal edition's mark, naming the restricted inputs among ``keys`` (every input
    the atlas uses when None); None in the shareable edition, and None for an output whose
    inputs ``keys`` include no restricted one."""
    if edition_of(con) != "internal":
        return None
    names = restricted_names(con, keys)
    if keys is not None and not names:
        return None
    return INTERNAL + (": contains values from restricted inputs: " + "; ".join(names)
                       if names else "")


def withheld_note(con: duckdb.DuckDBPyConnection, level: str) -> str | None:
    """In the shareable edition, the line that says what of ``level`` is left out and why."""
    found = withheld(con, level)
    if found is None:
        return None
    names, words = found
    return (f"Shareable edition: values that come only from inputs not licensed for "
            f"redistribution ({'; '.join(names)}) are left out: {', '.join(words)}. The "
            "percentiles, ranks and indices the atlas computes from them are shown instead.")


def withheld(con: duckdb.DuckDBPyConnection, level: str) -> tuple[list[str], list[str]] | None:
    """In the shareable edition, the restricted inputs of ``level`` (named with their terms)
    and the values left out; None when nothing is."""
    if edition_of(con) != "shareable":
        return None
    base = level.split("@")[0]
    figures = [figure for found, figure in restricted_figures(con) if found == base]
    if not figures:
        return None
    labels = {}
    if _has(con, "context_indicators"):
        labels = dict(con.execute("SELECT indicator, label FROM context_indicators "
                                  "WHERE level = ?", [level]).fetchall())
    words = [FIGURE_WORDS.get(f) or labels.get(f.partition(".")[2]) or f.partition(".")[2]
             for f in figures]
    inputs = con.execute("SELECT DISTINCT unnest(string_split(inputs, ', ')) FROM "
                         "figure_lineage WHERE level = ? AND restricted", [base]).fetchall()
    return restricted_names(con, sorted(row[0] for row in inputs)), words


def sources_block(con: duckdb.DuckDBPyConnection, level: str | None = None,
                  languages: tuple[str, ...] | list[str] = ("en",)) -> dict[str, Any]:
    """``title``, ``lines`` (credits), ``mark`` (internal edition; ``mark_short``: its first
    words, the page's first line) and ``note`` (what the
    shareable edition leaves out of ``level``) for an output of ``level`` (of every level
    when None); a map in Chinese and English gets the title, the terms and the note in both
    (:func:`atlas.texts.method_zh.sources_in`)."""
    keys = level_inputs(con, level)
    marked = keys if level else None
    mark = internal_mark(con, marked)
    block = {"title": "Sources and terms", "lines": credit_lines(con, keys),
             "mark": mark, "mark_short": INTERNAL if mark else None,
             "note": withheld_note(con, level) if level else None,
             "edition": edition_of(con)}
    if "zh" in languages:
        from atlas.texts.method_zh import sources_in

        rows = terms_rows(con, keys)
        block = sources_in(languages, block, rows, withheld(con, level) if level else None,
                           restricted_names(con, marked))
    return block


def sources_text(block: dict[str, Any]) -> str:
    """The block as plain text lines (export sidecars)."""
    lines = [block["mark"]] if block.get("mark") else []
    lines += [f"edition: {block.get('edition') or 'unknown'}"]
    lines += [block["note"]] if block.get("note") else []
    lines += ["sources: " + " | ".join(block["lines"])]
    return "\n".join(lines) + "\n"
