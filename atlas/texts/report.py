"""Markdown reports generated from a built atlas, so that documents cannot drift from it:
the diagnostics of the composite per level, the top regions and what drives them, and the
model's components and weights. ``atlas report --update-docs`` rewrites the generated blocks
of the README and ``docs/method.md`` and the whole of ``docs/risk_diagnostics.md``.

Text from the data or the configuration is escaped (:mod:`atlas.texts.markdown`), so a
second ``--update-docs`` gives the same documents as the first.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from atlas.errors import ConfigError
from atlas.spec import declarations
from atlas.spec.config_types import AtlasConfig
from atlas.spec.manifest import PROJECT_ROOT
from atlas.spec.risk_model import active_model, risk_models
from atlas.store.database import stored_config, table_exists
from atlas.texts.evidence_report import evidence_document, replace_or_append
from atlas.texts.markdown import level_names, markdown_table, markdown_text
from atlas.texts.method_text import component_summary, risk_formula
from atlas.texts.top30 import component_drivers, top30_document
from atlas.texts.uncertainty_words import uncertainty_text

__all__ = ["ROOT", "generated_documents", "diagnostics_document", "level_names",
           "markdown_table", "markdown_text", "model_table", "replace_block"]

ROOT = PROJECT_ROOT


def diagnostics_summary(con: duckdb.DuckDBPyConnection) -> str:
    """One row per level: regions ranked, Spearman with size, pillars, v1 and exposure, and
    the pillars' effective weights."""
    frame = con.execute("SELECT * FROM risk_diagnostics").df()
    rows = []
    names = level_names()
    for level in [lv for lv in names if lv in set(frame["level"])]:
        part = frame.loc[frame["level"] == level]

        def value(diagnostic: str, item: str, other: str, part=part) -> float:
            hit = part.loc[(part["diagnostic"] == diagnostic) & (part["item"] == item)
                           & (part["other"] == other), "value"]
            return float(hit.iloc[0]) if len(hit) else float("nan")
        rows.append({
            "level": names[level],
            "ranked": int(value("count", "regions_ranked", "")),
            "Spearman with ln jobs": value("spearman", "collapse_risk", "ln_total_employment"),
            "with AI shock pillar": value("spearman", "collapse_risk", "pillar_shock"),
            "with absorption pillar": value("spearman", "collapse_risk", "pillar_absorption"),
            "with share_ge_50": value("spearman", "collapse_risk", "share_ge_50"),
            "shock with absorption": value("pillar_correlation", "shock", "absorption"),
            "with v1": value("spearman", "collapse_risk", "model_v1"),
            "v1 with ln jobs": value("spearman", "model_v1", "ln_total_employment"),
            "effective weight: AI shock": value("effective_weight_share", "shock", "pillar"),
            "effective weight: absorption": value("effective_weight_share", "absorption",
                                                  "pillar"),
        })
    return markdown_table(pd.DataFrame(rows))


def effective_weights(con: duckdb.DuckDBPyConnection, level: str) -> str:
    """Each component's effective weight (share of the first-order sensitivity indices)."""
    frame = con.execute("""
        SELECT item AS component, value AS "effective weight" FROM risk_diagnostics
        WHERE level = ? AND diagnostic = 'effective_weight_share' AND other = 'component'
        ORDER BY value DESC""", [level]).df()
    return markdown_table(frame)


def choice_sensitivity(con: duckdb.DuckDBPyConnection, level: str) -> str:
    """The first-order indices of the structural choices (``rank_sensitivity``), largest
    first; empty without a factorial block."""
    if not table_exists(con, "rank_sensitivity"):
        return ""
    frame = con.execute("""
        SELECT choice, n_values AS "values", first_order AS "first-order index"
        FROM rank_sensitivity WHERE level = ?
        ORDER BY first_order DESC NULLS LAST, choice""", [level]).df()
    return markdown_table(frame, digits=3) if len(frame) else ""


def correlations(con: duckdb.DuckDBPyConnection, level: str) -> str:
    """The component correlation matrix (Spearman) of a level."""
    frame = con.execute("""
        SELECT item, other, value FROM risk_diagnostics
        WHERE level = ? AND diagnostic = 'component_correlation'""", [level]).df()
    if frame.empty:
        return ""
    names = sorted(set(frame["item"]) | set(frame["other"]))
    matrix = pd.DataFrame(1.0, index=names, columns=names)
    for row in frame.itertuples():
        matrix.loc[row.item, row.other] = matrix.loc[row.other, row.item] = row.value
    return markdown_table(matrix.reset_index(names="component"))


def top_regions(con: duckdb.DuckDBPyConnection, level: str, count: int = 20) -> str:
    """The ``count`` riskiest regions of a level with their pillars, the two components that
    drive them and their flags."""
    top = con.execute("""
        SELECT region_id, risk_rank AS rank, name, collapse_risk, COLUMNS('^pillar_'),
            rank_p05, rank_p95, flag_trap, flag_transition_target, flag_rust_belt,
            flag_lower_tier, flag_robust_trap
        FROM region_indices WHERE level = ? ORDER BY risk_rank LIMIT ?""",
                      [level, count]).df()
    drivers = component_drivers(con, level, list(top["region_id"]))
    flags = ["trap", "transition_target", "rust_belt", "lower_tier", "robust_trap"]
    top["interval"] = [f"{int(a)}-{int(b)}" if pd.notna(a) else ""
                       for a, b in zip(top.pop("rank_p05"), top.pop("rank_p95"), strict=True)]
    top["driven by (percentile)"] = top["region_id"].map(drivers)
    top["flags"] = [", ".join(f.replace("_", " ") for f in flags if row[f"flag_{f}"])
                    for _, row in top.iterrows()]
    top = top.drop(columns=["region_id", *[f"flag_{f}" for f in flags]])
    order = [f"pillar_{p.pillar}" for p in active_model(stored_config(con)).pillars]
    rest = [c for c in top.columns if c not in order]
    top = top[rest[:3] + [c for c in order if c in top] + rest[3:]]
    return markdown_table(top)


def moves(con: duckdb.DuckDBPyConnection, level: str, count: int = 5) -> str:
    """The regions that rose and fell most against v1, and why."""
    frame = con.execute("""
        SELECT name, compared_rank AS "v1 rank", risk_rank AS rank, change, why
        FROM risk_v1_moves WHERE level = ? ORDER BY change DESC""", [level]).df()
    return markdown_table(pd.concat([frame.head(count), frame.tail(count)]), digits=0)


def model_table(config: AtlasConfig) -> str:
    """The model in use and its comparison models: formula and weights (from the config)."""
    lines = []
    models = risk_models(config)
    for name in [config.risk.model, *config.risk.compare]:
        model = models[name]
        shown = f"`{name}`" if re.fullmatch(r"[\w.-]+", name) else markdown_text(name)
        lines += [f"**{markdown_text(model.label)}** ({shown}): "
                  f"{markdown_text(risk_formula(model))}.", ""]
        lines += [f"- {markdown_text(line)}" for line in component_summary(model)] + [""]
    return "\n".join(lines).strip()


def readme_blocks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The README's generated blocks: the diagnostics summary, each level's top 20 and the
    published figures the atlas reproduces (``validation``)."""
    from atlas.engine.validate_figures import markdown

    blocks = {"diagnostics": diagnostics_summary(con),
              "validation": markdown(con.execute("SELECT * FROM validation").df())}
    readme = [decl.id for decl in declarations.levels() if decl.in_reports and decl.readme_top]
    for level in readme:
        if con.execute("SELECT count(*) FROM region_indices WHERE level = ?",
                       [level]).fetchone()[0]:
            blocks[f"top-{level}"] = top_regions(con, level)
    return blocks


def diagnostics_document(con: duckdb.DuckDBPyConnection) -> str:
    """``docs/risk_diagnostics.md``: everything a referee asks for, per level."""
    config = stored_config(con)
    model = active_model(config)
    parts = ["# Diagnostics of the collapse-risk composite", "",
             "Generated by `atlas report --update-docs` from the built atlas (tables "
             "`risk_diagnostics` and `risk_v1_moves`). Do not edit by hand.", "",
             model_table(config), "", "## Summary", "", diagnostics_summary(con), ""]
    for level, title in level_names().items():
        if not con.execute("SELECT count(*) FROM risk_diagnostics WHERE level = ?",
                           [level]).fetchone()[0]:
            continue
        parts += [f"## {title}", "", "Effective weights (first-order sensitivity index "
                  "S = Var(E[CR | c]) / Var(CR), as a share of the sum over components):", "",
                  effective_weights(con, level), "", "Component correlations (Spearman):", "",
                  correlations(con, level), "", f"Top 20 ({model.name} model):", "",
                  top_regions(con, level), "",
                  "Moved most from v1 (change > 0: riskier now):", "", moves(con, level), ""]
        sensitivity = choice_sensitivity(con, level)
        if sensitivity:
            parts += ["Which structural choice moves the top decile most (first-order index "
                      "over the factorial block of the rank uncertainty, see "
                      "[method.md](method.md)):", "", sensitivity, ""]
    return "\n".join(parts)


def replace_block(text: str, name: str, body: str, document: str = "the document") -> str:
    """Replace the generated block ``name`` (between its markers) in ``text``.

    Raises
    ------
    ConfigError
        naming ``document`` unless each marker occurs exactly once, start before end, and
        the body holds no marker (an edited document is not guessed at).
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    counts = (text.count(start), text.count(end))
    if counts != (1, 1) or text.index(start) > text.index(end):
        raise ConfigError(f"{document}: block '{name}' needs exactly one '{start}' followed by "
                          f"one '{end}', found {counts[0]} and {counts[1]}; repair the "
                          "markers by hand")
    if "<!--" in body or "-->" in body:
        raise ConfigError(f"{document}: the generated block '{name}' would hold a comment "
                          "marker")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def generated_documents(con: duckdb.DuckDBPyConnection, root: Path = ROOT) -> dict[Path, str]:
    """Every generated document and its text, from a built atlas (the documents of the
    project at ``root``)."""
    readme_path, method_path = root / "README.md", root / "docs" / "method.md"
    readme = readme_path.read_text(encoding="utf-8")
    for name, body in readme_blocks(con).items():
        readme = replace_block(readme, name, body, str(readme_path))
    from atlas.texts.headline import headline_table, read_headline

    figures = read_headline(root)
    if figures is not None:  # measured by benchmarks/bench_headline.py, not by the build
        readme = replace_block(readme, "headline", headline_table(figures), str(readme_path))
    method = method_path.read_text(encoding="utf-8")
    method = replace_block(method, "model", model_table(stored_config(con)), str(method_path))
    method = replace_block(method, "uncertainty", uncertainty_text(stored_config(con)),
                           str(method_path))
    validation_path = root / "docs" / "validation.md"
    validation = replace_or_append(validation_path.read_text(encoding="utf-8"),
                                   evidence_document(con))
    return {readme_path: readme, method_path: method, validation_path: validation,
            root / "docs" / "risk_diagnostics.md": diagnostics_document(con) + "\n",
            root / "docs" / "top30.md": top30_document(con) + "\n"}
