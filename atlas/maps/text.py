"""The words of a map page: UI strings in one or two languages, the title block, the method
and the data vintages.

UI strings come from ``atlas/spec/layers.toml`` (``[ui.<language>]``, over
:data:`atlas.maps.page.DEFAULT_TEXT` for English) and the level's ``[level.map.ui.<language>]``;
a bilingual map joins the two languages' strings with a space. Every text that states a weight
or a threshold is rendered by :mod:`atlas.texts.method_text` from the configuration the atlas was
built with; vintages come from the ``provenance`` table of the build.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import duckdb
import pandas as pd

from atlas.maps.specs import Declarations, MapSpec
from atlas.sources.inputs import load_manifest
from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import level_decl
from atlas.spec.risk_model import RiskModel
from atlas.store.database import table_exists
from atlas.texts.method_text import method_lines
from atlas.texts.method_zh import method_in, terms_words

NOT_JOINED = {"ordinal", "method_url", "exports_url", "title", "source_line", "built_line"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# the connection whose tables and views are known (tables_known), and their names
_KNOWN: ContextVar[tuple[duckdb.DuckDBPyConnection, frozenset[str]] | None] = ContextVar(
    "atlas_maps_known_tables", default=None)


@contextlib.contextmanager
def tables_known(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, :func:`has_table` answers for ``con`` from one read of its
    catalogue: for a finished database read by the maps, whose tables do not change (one
    query instead of one per question, about 60 for the three maps)."""
    names = frozenset(row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
    ).fetchall())
    token = _KNOWN.set((con, names))
    try:
        yield
    finally:
        _KNOWN.reset(token)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """:func:`atlas.store.database.table_exists`, from the names read once inside a
    :func:`tables_known` block of ``con``."""
    known = _KNOWN.get()
    if known is not None and known[0] is con:
        return name in known[1]
    return table_exists(con, name)


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill ``{key}`` placeholders; unknown keys stay as they are (for the page's script)."""
    return PLACEHOLDER.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0],
                           str(template))


def fill_parts(parts: tuple[str, ...], row: dict[str, Any],
               words: dict[str, dict[str, str]], sep: str = " · ") -> str | None:
    """Join the templates whose placeholders all have a value in ``row`` (``words`` turns a
    column's codes into words); None when no part has its values."""
    done = []
    for part in parts:
        values = {}
        for name in PLACEHOLDER.findall(part):
            value = row.get(name)
            if value is None or value is pd.NA or value == "" or (
                    isinstance(value, float) and pd.isna(value)):
                break
            values[name] = words.get(name, {}).get(str(value), value)
        else:
            done.append(fill(part, values))
    return sep.join(done) or None


class Words:
    """The UI strings of one map, per language, and their bilingual join."""

    def __init__(self, spec: MapSpec, decls: Declarations) -> None:
        from atlas.maps.page import DEFAULT_TEXT  # here: the index page needs no folium

        self.languages = spec.languages
        self.tables: dict[str, dict[str, Any]] = {}
        for lang in self.languages:
            base = dict(DEFAULT_TEXT) if lang == "en" else {}
            table = {**base, **decls.ui.get(lang, {}), **spec.ui.get(lang, {})}
            own = {"level_plural": table.get("level_plural", ""),
                   "level_singular": table.get("level_singular", "")}
            self.tables[lang] = {k: self._own(v, own) for k, v in table.items()}
        self.terms = {lang: dict(decls.ui.get(lang, {}).get("terms", {}))
                      for lang in self.languages}

    @staticmethod
    def _own(value: Any, own: dict[str, str]) -> Any:
        if isinstance(value, str):
            return fill(value, own)
        if isinstance(value, list):
            return [fill(v, own) if isinstance(v, str) else v for v in value]
        return value

    def _join(self, parts: list[Any]) -> Any:
        if all(isinstance(p, list) for p in parts):
            return [" ".join(str(x) for x in column) for column in zip(*parts, strict=False)]
        return " ".join(str(p) for p in parts)

    def text(self) -> dict[str, Any]:
        """Every UI string of the map (bilingual strings joined)."""
        keys: list[str] = []
        for table in self.tables.values():
            keys += [k for k in table if k not in keys and k != "terms"]
        out = {}
        for key in keys:
            parts = [t[key] for t in self.tables.values() if key in t]
            out[key] = parts[0] if key in NOT_JOINED or len(parts) == 1 else self._join(parts)
        return out

    def say(self, key: str, values: dict[str, Any]) -> str:
        """One UI template filled per language (values that are term keys are translated; a
        value may also be a ``{language: text}`` dict, see :meth:`labels`)."""
        parts = []
        for lang, table in self.tables.items():
            if key not in table:
                continue
            terms = self.terms.get(lang, {})
            local = {k: v.get(lang, v.get("en")) if isinstance(v, dict)
                     else terms.get(v, v) if isinstance(v, str) else v
                     for k, v in values.items()}
            local.update({k[:1].upper() + k[1:]: str(v)[:1].upper() + str(v)[1:]
                          for k, v in local.items()})
            parts.append(fill(table[key], local))
        return " ".join(parts)

    def labels(self, key: str, label: str) -> dict[str, str]:
        """A model label per language: its translation (``terms``) or ``label`` itself."""
        return {lang: self.terms.get(lang, {}).get(key, label) for lang in self.languages}

    def term(self, key: str, label: str) -> str:
        """A model label with its translations in front ("AI冲击 AI shock to the pillar jobs")."""
        extra = [self.terms[lang][key] for lang in self.languages
                 if lang != "en" and key in self.terms.get(lang, {})]
        return " ".join([*extra, label])


def vintages(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...],
             licences: bool = True, terms_words: dict[str, str] | None = None) -> list[str]:
    """The vintage and licence of each input, from the build's ``provenance`` table.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database.
    keys : tuple of str
        Keys of ``atlas/spec/manifest.toml`` (the level's inputs); a key's file is matched to its
        provenance row (the row with the manifest's vintage when a file serves two keys).
    licences : bool
        Add each input's licence in brackets.
    terms_words : dict, optional
        The input's terms (manifest ``terms``) in another language, put in front of the
        licence (a bilingual map).

    Returns
    -------
    list of str
        ``"<vintage> (<licence>)"`` (or ``"<vintage>"``) per input, in order, without
        repeats.
    """
    if not has_table(con, "provenance"):
        return []
    manifest = load_manifest()
    rows = con.execute("SELECT file, vintage, licence FROM provenance").fetchall()
    by_file: dict[str, list[tuple[str, str]]] = {}
    for file, vintage, licence in rows:
        by_file.setdefault(file, []).append((vintage, licence))
    out: list[str] = []
    for key in keys:
        spec = manifest.get(key)
        found = by_file.get(spec.path, []) if spec else []
        if not found:
            continue
        vintage, licence = next((r for r in found if r[0] == spec.vintage), found[0])
        word = (terms_words or {}).get(spec.terms, "")
        licence = f"{word} {licence}" if word and licence else licence
        line = f"{vintage} ({licence})" if licence and licences else str(vintage)
        if line not in out:
            out.append(line)
    return out


def without_asides(text: str) -> str:
    """``text`` without its bracketed asides, for a short line ("BLS OEWS May 2025 (release
    2025A01)" -> "BLS OEWS May 2025")."""
    out, depth = [], 0
    for char in text:
        depth += char == "("
        if depth == 0:
            out.append(char)
        depth -= char == ")" and depth > 0
    return " ".join("".join(out).split()).replace(" ,", ",").replace(" ;", ";")


def page_text(con: duckdb.DuckDBPyConnection, spec: MapSpec, words: Words,
              config: AtlasConfig, model: RiskModel, counts: dict[str, int]) -> dict[str, Any]:
    """``DATA.text`` of a map: UI strings, title, subtitle, how-to, method and sources.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database (for the vintages).
    spec : MapSpec
        The level's map declaration.
    words : Words
        The map's UI strings.
    config : dict
        The configuration the atlas was built with (``atlas.store.database.stored_config``).
    model : RiskModel
        The collapse-risk model in use.
    counts : dict
        ``count`` (ranked regions) and ``drawn`` (regions drawn), for the templates.

    Returns
    -------
    dict
        The ``text`` of the contract of :mod:`atlas.maps.page`.
    """
    values = {**counts, "model": model.label}
    grouped = group_rank_text(spec, config, words.text().get("level_plural", ""))
    method = [text for item, text in method_in(spec.languages, config, spec.level,
                                               method_lines(config, spec.level))
              if not item.startswith("flag_")]
    measure = config.exposure.default_measure
    if has_table(con, "measures"):
        found = con.execute("SELECT label FROM measures WHERE measure = ?", [measure]).fetchone()
        measure = found[0] if found else measure
    return {**words.text(), "top_note": words.say("top_note", {"measure": measure}),
            "title": spec.title, "subtitle": fill(spec.subtitle, values),
            **grouped,
            "howto": fill(spec.howto, values) + grouped.get("rank_group_howto", ""),
            "method": method,
            "sources": vintages(con, spec.inputs, terms_words=terms_words(spec.languages)),
            "method_url": "index.html#method",
            # where the profile's jobs figure comes from ([level.map] jobs_inputs)
            "employment_source": "; ".join(without_asides(v) for v in vintages(
                con, spec.jobs_inputs, licences=False)),
            "exports_url": "index.html#exports", "built": built_date(con)}


def group_rank_text(spec: MapSpec, config: AtlasConfig, plural: str) -> dict[str, str]:
    """The UI strings of a level that ranks within groups (``rank_group`` in levels.toml):
    which ranking the page shows, in the tooltip, the profile and the how-to; {} elsewhere."""
    decl = level_decl(spec.level)
    if decl is None or decl.rank_group is None:
        return {}
    concept, whole = decl.rank_group.concept, decl.rank_group.whole
    top = f"{config.flags.trap_top_share:.0%}"
    return {
        "rank_group_short": f"{concept} rank {{grank_n}} of {{gn}} ({{group}})",
        "rank_group_sentence": f"Rank within {concept}: {{group}}, {{grank_n}} of {{gn}}; "
                               f"{whole} rank {{rank_n}} of {{count}} (1st = highest collapse "
                               "risk).",
        "rank_group_howto": f" Ranks and flags compare each of the {plural} with its "
                            f"{concept} (the flags mark the top {top} of each {concept}); the "
                            f"{whole} rank is shown as context."}


def built_date(con: duckdb.DuckDBPyConnection) -> str | None:
    """The day the atlas was built (``build_info.created_at``, YYYY-MM-DD), or None."""
    if not has_table(con, "build_info"):
        return None
    found = con.execute("SELECT value FROM build_info WHERE key = 'created_at'").fetchone()
    return str(found[0])[:10] if found and found[0] else None
