"""``index.html`` of the maps: links to every map and export, the method in brief, the top 20
of every level with their flags in words, and each level's diagnostics.

Every text from the database (region names, labels) is escaped; the method is rendered from
the configuration the atlas was built with (:mod:`atlas.texts.method_text`), so it always states
the weights and thresholds that made the maps. The page has a Content-Security-Policy that
allows its one inline style and nothing else: it loads nothing.
"""

from __future__ import annotations

import base64
import hashlib
import html
from contextlib import closing
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from atlas.maps.data import flag_hits, ordered_pillars
from atlas.maps.specs import Declarations, MapSpec, load_declarations, load_map_specs
from atlas.maps.text import fill_parts
from atlas.spec.risk_model import active_model
from atlas.store.database import open_atlas, stored_config, table_exists
from atlas.store.files import atomic_write
from atlas.texts.attribution import sources_block
from atlas.texts.method_text import component_summary, method_lines

TOP = 20
STYLE = ("body{font:14px/1.45 'Noto Sans','Noto Sans CJK SC',Arial,sans-serif;margin:1.5em auto;"
         "max-width:1150px;padding:0 1em;color:#1a1a1a}table{border-collapse:collapse;width:100%;"
         "font-size:13px}td,th{padding:3px 6px;border-bottom:1px solid #ddd;text-align:left;"
         "vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}dt{font-weight:600;"
         "margin-top:.4em}dd{margin:0 0 0 1.2em}.note{color:#555;font-size:12.5px}"
         "nav a{margin-right:1em}h2{margin-top:1.6em;border-bottom:2px solid #333}"
         "th{vertical-align:bottom}th.p{max-width:9em;white-space:normal}td.f{min-width:16em}"
         "td.r{min-width:11em}.wide{overflow-x:auto;max-width:100%}"
         ".internal{background:#b00020;color:#fff;font-weight:700;padding:2px 6px;"
         "overflow-wrap:anywhere}"
         "#sources{overflow-wrap:anywhere}")
EXPORT_KINDS = {".csv": "CSV, opens in Excel", ".xlsx": "Excel workbook"}


def _pct(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{100 * value:.0f}%"


def _levels(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Default-period levels with ranked regions, as ``(level, description)``."""
    described = dict(con.execute("SELECT level, description FROM levels").fetchall()) \
        if table_exists(con, "levels") else {}
    rows = con.execute("SELECT level, count(collapse_risk) FROM region_indices "
                       "GROUP BY level").fetchall()
    ranked = {level: n for level, n in rows if "@" not in level and n >= 2}
    order = list(described) + sorted(set(ranked) - set(described))
    return [(level, described.get(level, level)) for level in order if level in ranked]


def _exports(folder: Path | None) -> str:
    files = sorted(p for p in folder.iterdir() if p.suffix in EXPORT_KINDS) \
        if folder and folder.is_dir() else []
    if not files:
        return ("<p>No exports were written beside these maps (build the atlas with exports, "
                "or run <code>atlas rank</code>).</p>")
    items = "".join(
        f"<li><a href='../exports/{escape(p.name)}'>{escape(p.name)}</a> "
        f"<span class='note'>({EXPORT_KINDS[p.suffix]}, {p.stat().st_size / 1e3:,.0f} kB)"
        "</span></li>" for p in files)
    return ("<p>The 100 highest-risk regions of every level, with every index, flag and the "
            f"method sheet (Excel):</p><ul>{items}</ul>")


def _terms(con: duckdb.DuckDBPyConnection, levels: list[str]) -> tuple[str, str]:
    """The internal edition's mark (the page's first line) and the sources-and-terms
    section: every input's credit, and what the shareable edition leaves out of a level."""
    block = sources_block(con)
    mark = f"<p class='internal'>{escape(block['mark'])}</p>" if block["mark"] else ""
    notes = [sources_block(con, level)["note"] for level in levels]
    section = ("<section id='sources'><h2>Sources and terms</h2>" + mark
               + "".join(f"<p class='note'>{escape(n)}</p>" for n in notes if n)
               + "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in block["lines"])
               + "</ul></section>")
    return mark, section


def _diagnostics(con: duckdb.DuckDBPyConnection, level: str, labels: dict[str, str]) -> str:
    if not table_exists(con, "risk_diagnostics"):
        return ""
    rows = con.execute("SELECT diagnostic, item, other, value FROM risk_diagnostics "
                       "WHERE level = ?", [level]).fetchall()
    parts = []
    size = next((v for d, i, o, v in rows if d == "spearman" and o == "ln_total_employment"),
                None)
    if size is not None and pd.notna(size):
        verdict = ("weak, so the ranking does not simply follow the size of places"
                   if abs(size) < 0.3 else
                   f"so {'larger' if size > 0 else 'smaller'} places tend to rank higher")
        parts.append(f"Size: the Spearman rank correlation of collapse risk with the log of "
                     f"jobs is {size:+.2f} (0 = unrelated, 1 = the same order); {verdict}.")
    for kind, what in (("pillar", "pillar"), ("component", "component")):
        shares = [(i, v) for d, i, o, v in rows if d == "effective_weight_share" and o == kind
                  and pd.notna(v)]
        if shares:
            listed = ", ".join(f"{escape(labels.get(i, i))} {100 * v:.0f}%" for i, v in shares)
            parts.append(f"What drives collapse risk, by {what} (first-order sensitivity: the "
                         "share of the variation of collapse risk each explains on its own, "
                         f"scaled to 100%): {listed}.")
    return "".join(f"<p>{p}</p>" for p in parts)


def _top(con: duckdb.DuckDBPyConnection, level: str, spec: MapSpec | None,
         decls: Declarations, pillars: list[tuple[str, str]]) -> str:
    rows = con.execute(f"SELECT * FROM region_indices WHERE level = ? AND risk_rank <= {TOP} "
                       "ORDER BY risk_rank, region_id", [level]).df()
    flags = [(flag_hits(rows[d.flag_column]), d.label_for(level)) for d in decls.overlays
             if d.applies_to(level) and d.flag_column in rows]
    head = "".join(f"<th class='n p'>{escape(label)}</th>" for _, label in pillars)
    body = []
    for position, row in enumerate(rows.to_dict("records")):
        where = (fill_parts(spec.region_subtitle, row, spec.words) if spec else
                 row.get("parents") or row.get("parent")) or ""
        said = [label for hits, label in flags if hits.iloc[position]]
        interval = (f"{int(row['rank_p05'])}-{int(row['rank_p95'])}"
                    if pd.notna(row.get("rank_p05")) else "")
        cells = "".join(f"<td class='n'>{_pct(row.get(f'pillar_{key}'))}</td>"
                        for key, _ in pillars)
        body.append(
            f"<tr><td class='n'>{int(row['risk_rank'])}</td><td class='n'>{interval}</td>"
            f"<td class='r'>{escape(str(row['name']))}</td><td>{escape(str(where))}</td>"
            f"<td class='n'>{row['total_employment']:,.0f}</td>"
            f"<td class='n'>{row['collapse_risk']:.3f}</td>{cells}"
            f"<td class='f'>{escape('; '.join(said))}</td></tr>")
    # a wide table scrolls inside its box on a phone, so the page itself never scrolls sideways
    return ("<div class='wide'><table><tr><th class='n'>Rank</th>"
            "<th class='n'>90% interval</th><th>Region</th>"
            f"<th>Where</th><th class='n'>Jobs</th><th class='n'>Collapse risk</th>{head}"
            f"<th>Flags</th></tr>{''.join(body)}</table></div>")


def index_page(con: duckdb.DuckDBPyConnection, specs: list[MapSpec], decls: Declarations,
               exports: Path | None = None) -> str:
    """The maps' index page.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database.
    specs : list of MapSpec
        The maps written beside the index.
    decls : Declarations
        ``atlas/spec/layers.toml`` (the flags' labels).
    exports : Path, optional
        The exports folder (linked as ``../exports/<file>``).

    Returns
    -------
    str
        The HTML document.
    """
    config = stored_config(con)
    model = active_model(config)
    by_level = {spec.level: spec for spec in specs}
    pillar_labels = {p.pillar: p.label for p in model.pillars}
    pillars = [(p.pillar, f"{p.label} (percentile)") for p in ordered_pillars(model, config)]
    maps = "".join(f"<li><a href='{escape(spec.file)}'>{escape(spec.title)}</a></li>"
                   for spec in specs)
    method = "".join(f"<dt>{escape(item)}</dt><dd>{escape(text)}</dd>"
                     for item, text in method_lines(config) if item != "pillar")
    sections = []
    levels = _levels(con)  # once: the sections and the sources' notes
    for level, description in levels:
        spec = by_level.get(level)
        title = escape(spec.title) if spec else escape(description)
        link = f" <a href='{escape(spec.file)}'>open the map</a>" if spec else ""
        weights = "".join(f"<li>{escape(line)}</li>" for line in component_summary(model, level))
        labels = {**pillar_labels, **{c.component: c.label for c in model.components_for(level)}}
        sections.append(
            f"<section id='top-{escape(level)}'><h2>{title}</h2><p>Top {TOP} by collapse risk "
            f"({escape(description)}).{link} Rank 1 = highest risk; the 90% interval is the "
            "range of ranks over the specifications; pillar scores are percentiles within the "
            f"level (100% = the highest).</p>{_top(con, level, spec, decls, pillars)}"
            f"<h3>The model at this level</h3><ul>{weights}</ul>"
            f"<h3>Diagnostics</h3>{_diagnostics(con, level, labels)}</section>")
    nav = "".join(f"<a href='#{target}'>{name}</a>" for target, name in (
        ("maps", "Maps"), ("exports", "Downloads"), ("method", "Method"),
        ("sources", "Sources and terms")))
    mark, terms = _terms(con, [level for level, _ in levels])
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        f"style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Unemployment-trap risk atlas</title><style>{STYLE}</style></head><body>"
        f"{mark}<h1>Unemployment-trap risk atlas</h1><p>Where could generative AI push local "
        "economies into an unemployment trap? Each map is one HTML file that opens in any "
        "browser, offline: it holds its data and code and loads nothing.</p>"
        f"<nav>{nav}</nav><section id='maps'><h2>Maps</h2><ul>{maps}</ul></section>"
        f"<section id='exports'><h2>Downloads</h2>{_exports(exports)}</section>"
        f"<section id='method'><h2>Method</h2><p>Rendered from the configuration this atlas "
        f"was built with (model <code>{escape(model.name)}</code>).</p><dl>{method}</dl>"
        f"</section>{''.join(sections)}{terms}</body></html>")


def drawn_specs(con: duckdb.DuckDBPyConnection,
                specs: dict[str, MapSpec] | None = None) -> list[MapSpec]:
    """The declared maps whose level has indices (the default period: the plain level id)."""
    specs = load_map_specs() if specs is None else specs
    levels = {row[0] for row in con.execute(
        "SELECT DISTINCT level FROM region_indices").fetchall()}
    return [spec for level, spec in specs.items() if level in levels]


def stamped(con: duckdb.DuckDBPyConnection, document: str) -> str:
    """``document`` with the build id of the database (``build_info``) in a
    ``<meta name="atlas-build">`` tag, so that a page says which build it belongs to."""
    try:
        row = con.execute("SELECT value FROM build_info WHERE key = 'build_id'").fetchone()
    except duckdb.CatalogException:  # a database made without a build (tests, synth)
        row = None
    if row is None or "</head>" not in document:
        return document
    tag = f'<meta name="atlas-build" content="{html.escape(row[0])}">'
    return document.replace("</head>", tag + "</head>", 1)


def write_index(database: Path, out_dir: Path, *, specs: dict[str, MapSpec] | None = None,
                decls: Declarations | None = None) -> Path:
    """Write ``index.html``: the drawn maps, and the exports found in ``out_dir/../exports``
    (so it is written after them)."""
    out_dir = Path(out_dir)
    decls = decls or load_declarations()
    with closing(open_atlas(database)) as con:
        document = stamped(con, index_page(con, drawn_specs(con, specs), decls,
                                           exports=out_dir.parent / "exports"))
    return atomic_write(out_dir / "index.html",
                        lambda p: p.write_text(document, encoding="utf-8"))
