"""The database documents itself: a comment on every table, view and column.

The catalogue (``atlas/spec/catalogue.toml`` and the sources' own, read by
:mod:`atlas.texts.catalogue`) is the single source of those comments; ``apply_comments``
writes them with ``COMMENT ON``, ``missing_comments`` lists what has none, and
``data_dictionary_markdown`` renders ``docs/data_dictionary.md`` from the database itself.
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from atlas.spec.config_types import AtlasConfig
from atlas.store.database import table_exists  # noqa: F401  (re-exported for callers)
from atlas.texts.catalogue import catalogue
from atlas.texts.method_text import column_texts


def known_texts(con: duckdb.DuckDBPyConnection, config: AtlasConfig) -> dict[str, str]:
    """Texts for any column by name: the dictionary, the configuration-dependent texts, the
    context indicators (per level) and the view-only columns."""
    texts = catalogue()
    known = dict(texts.columns["region_index"])
    for _, columns in texts.tables.values():
        for column, text in columns.items():
            known.setdefault(column, text)
    known.update(texts.view_columns)
    if _exists(con, "context_indicators"):
        rows = con.execute("SELECT indicator, level, label, unit, vintage FROM "
                           "context_indicators ORDER BY indicator, level").fetchall()
        by_indicator: dict[str, list[str]] = {}
        for indicator, level, label, unit, vintage in rows:
            by_indicator.setdefault(indicator, []).append(f"{level}: {label} ({unit}, {vintage})")
        for indicator, parts in by_indicator.items():
            known.setdefault(indicator, "Context indicator. " + "; ".join(parts) + ".")
    known.update(column_texts(config))
    if _exists(con, "measures"):
        for measure, label in con.execute("SELECT measure, label FROM measures").fetchall():
            known.setdefault(measure, f"exposure_mean under {measure} ({label}).")
    return known


def apply_comments(con: duckdb.DuckDBPyConnection, config: AtlasConfig,
                   only: Collection[str] | None = None, exclude: Collection[str] = ()) -> None:
    """``COMMENT ON`` every documented table and view and each of their columns (a column's
    own text, else the text of its name), in one transaction; ``only`` (if given) and
    ``exclude`` choose tables and views by name (a build comments on a table written last
    once it is written: the comments are those of one call for all)."""
    texts = catalogue()
    known = known_texts(con, config)
    configured = column_texts(config)
    generic = texts.columns["region_index"]
    objects = {**{name: comment for name, (comment, _) in texts.tables.items()},
               **texts.views}
    views = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views() "
                                           "WHERE NOT internal").fetchall()}
    objects.update({view: texts.trend_view.format(geography=view[2:-6]) for view in views
                    if view.startswith("v_") and view.endswith("_trend")})
    columns: dict[str, list[str]] = {}
    for table, column in con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                     "WHERE schema_name = 'main' "
                                     "ORDER BY table_name, column_index").fetchall():
        columns.setdefault(table, []).append(column)
    statements = []
    for name, comment in objects.items():
        if name not in columns or name in exclude or (only is not None and name not in only):
            continue
        kind = "VIEW" if name in views else "TABLE"
        statements.append(f"COMMENT ON {kind} {name} IS {_quote(comment)}")
        own = texts.tables.get(name, ("", {}))[1]
        for column in columns[name]:
            text = own.get(column)
            if text is None or text == generic.get(column):
                # the configured text (weights, thresholds) wins over the generic one
                text = configured.get(column) or text or known.get(column)
            if text:
                statements.append(f'COMMENT ON COLUMN {name}."{column}" IS {_quote(text)}')
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in statements:
            con.execute(statement)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? UNION ALL "
                            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
                            [name, name]).df().iloc[:, 0].sum())


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def missing_comments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables, views and columns of the main schema without a comment."""
    missing = [f"table {name}" for name, comment in con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        if not comment]
    missing += [f"view {name}" for name, comment in con.execute(
        "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal "
        "AND schema_name = 'main'").fetchall() if not comment]
    missing += [f"column {table}.{column}" for table, column, comment in con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE NOT internal AND schema_name = 'main' ORDER BY table_name, column_index"
    ).fetchall() if not comment]
    return missing


def data_dictionary_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """``docs/data_dictionary.md``, generated from the comments in the database."""
    lines = ["# Data dictionary of `atlas.duckdb`", "",
             "Generated by `atlas dictionary` from the `COMMENT ON` text in the database "
             "(`SELECT * FROM duckdb_columns()` shows the same). Do not edit by hand.", ""]
    lines += periods_markdown(con)
    objects = con.execute("""
        SELECT table_name AS name, 'table' AS kind, comment FROM duckdb_tables()
        WHERE schema_name = 'main'
        UNION ALL
        SELECT view_name, 'view', comment FROM duckdb_views()
        WHERE NOT internal AND schema_name = 'main'
        ORDER BY kind, name""").fetchall()
    for name, kind, comment in objects:
        lines += [f"## `{name}` ({kind})", "", comment or "", "", "| column | type | meaning |",
                  "|---|---|---|"]
        for column, dtype, text in con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() "
                "WHERE table_name = ? ORDER BY column_index", [name]).fetchall():
            cell = (text or "").replace("|", "\\|")
            lines.append(f"| `{column}` | {dtype} | {cell} |")
        lines.append("")
    return "\n".join(lines)


def periods_markdown(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The dictionary's section on periods: the catalogue's text (``[dictionary]``), the
    periods of each geography in the atlas (``levels``), the tables and views that hold a
    row set per period, and the example SQL; nothing without a ``levels`` table."""
    texts = catalogue().dictionary
    if not _exists(con, "levels") or not texts:
        return []
    rows = con.execute("""
        SELECT geography, count(*) AS levels, min(period) AS first, max(period) AS last,
            any_value(level) FILTER (WHERE is_default) AS plain
        FROM levels GROUP BY geography ORDER BY geography""").fetchall()
    views = {name for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall()}
    out = [f"## {texts['periods_title']}", "", texts["periods"], "",
           "| geography | periods | level ids | trend view |", "|---|---|---|---|"]
    for geography, count, first, last, plain in rows:
        if count > 1:
            periods = f"{first}-{last} ({count} years)"
            ids = f"`{plain}` (default, {last}), `{geography}@YYYY` (the other years)"
        else:
            periods, ids = (str(first) if first is not None else "one, no year"), f"`{plain}`"
        trend = f"`v_{geography}_trend`" if f"v_{geography}_trend" in views else ""
        out.append(f"| `{geography}` | {periods} | {ids} | {trend} |")
    candidates = [name for (name,) in con.execute(
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'level' "
        "AND NOT internal AND schema_name = 'main' ORDER BY table_name").fetchall()]
    per_level = [name for name in candidates if con.execute(
        f'SELECT count(*) > 0 FROM "{name}" WHERE level IN '  # noqa: S608 (catalogue names)
        "(SELECT level FROM levels WHERE NOT is_default)").fetchone()[0]]
    out += ["", texts["tables_note"], ", ".join(f"`{name}`" for name in per_level) + ".", "",
            "```sql", texts["example"], "```", ""]
    return out
