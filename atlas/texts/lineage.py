"""Column-level lineage of the headline: for collapse risk, each pillar and each component of
every level, the inputs (files, vintages, sha256 of this build), the formula and the
weights, in one table (``lineage``) researchers can join; and the chain for one region from
its raw inputs to its rank (``atlas validate --explain REGION``).

Everything is read from the built model (``risk_components``, ``risk_pillars``,
``context_indicators``, ``provenance``) and the declarations (``atlas/spec/levels.toml``,
``[lineage]`` of ``atlas/spec/evidence.toml``), so a change of the model changes the lineage.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from atlas.errors import AtlasError
from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import levels as level_declarations
from atlas.spec.evidence import evidence
from atlas.spec.manifest import load_manifest
from atlas.spec.risk_model import active_model
from atlas.store.database import stored_config
from atlas.texts.method_text import risk_formula


def input_text(keys: list[str], provenance: dict[str, tuple[str, str]],
               specs: dict[str, Any]) -> dict[str, str]:
    """Files, vintages and sha256 (first 12 characters) of manifest inputs, each joined."""
    known = [k for k in dict.fromkeys(keys) if k in specs]
    files = [specs[k].path for k in known]
    return {"inputs": ", ".join(known), "files": "; ".join(files),
            "vintages": "; ".join(f"{specs[k].path}: {specs[k].vintage}" for k in known),
            "sha256": "; ".join(f"{path}: {provenance.get(path, ('', ''))[0][:12]}"
                                for path in files)}


def indicator_inputs(geography: str, indicator: str, composition: set[str],
                     declared: tuple[str, ...]) -> list[str]:
    """The manifest inputs behind an indicator of a geography (see ``[lineage.inputs]``)."""
    listed = evidence().get("lineage", {}).get("inputs", {}).get(geography, {})
    if indicator in composition and "composition" in listed:
        return list(listed["composition"])
    return list(listed.get(indicator, declared))


def lineage_table(con: duckdb.DuckDBPyConnection, config: AtlasConfig) -> pd.DataFrame:
    """One row per level and headline column (collapse_risk, pillar_<p>, each component)."""
    model = active_model(config)
    declared = {d.id: d for d in level_declarations()}
    formulas = evidence().get("lineage", {}).get("formulas", {})
    specs = load_manifest()
    provenance = {f: (s, v) for f, s, v in con.execute(
        "SELECT file, sha256, vintage FROM provenance").fetchall()}
    context = {(lv, ind): (f, s, v) for lv, ind, f, s, v in con.execute(
        "SELECT level, indicator, formula, source, vintage FROM context_indicators").fetchall()}
    levels = con.execute("""
        SELECT DISTINCT l.level, l.geography FROM levels AS l
        JOIN region_risk AS r USING (level) ORDER BY 1""").fetchall()
    rows = []
    for level, geography in levels:
        decl = declared.get(geography)
        inputs_of_level = decl.inputs if decl else ()
        components = model.components_for(level)
        pillar_inputs: dict[str, list[str]] = {}
        for c in components:
            keys = indicator_inputs(geography, c.indicator, set(formulas), inputs_of_level)
            pillar_inputs.setdefault(c.pillar, []).extend(keys)
            formula, source, vintage = context.get(
                (level, c.indicator), (formulas.get(c.indicator, ""), "", ""))
            rows.append({"level": level, "column": f"risk_p_{c.component}", "kind": "component",
                         "pillar": c.pillar, "component": c.component, "label": c.label,
                         "indicator": c.indicator, "weight": c.weight,
                         "formula": (f"within-level mid-rank percentile of {c.indicator} "
                                     f"({c.direction} = riskier) where {c.indicator} = "
                                     f"{formula}"),
                         "source": source, "indicator_vintage": vintage,
                         **input_text(keys, provenance, specs)})
        for pillar in model.pillars:
            keys = pillar_inputs.get(pillar.pillar, [])
            rows.append({"level": level, "column": f"pillar_{pillar.pillar}", "kind": "pillar",
                         "pillar": pillar.pillar, "component": "", "label": pillar.label,
                         "indicator": "", "weight": pillar.weight,
                         "formula": (f"{model.pillar_scale} scale of the weighted mean of the "
                                     f"component percentiles of '{pillar.label}' (a region's "
                                     "mean uses the components it has)"),
                         "source": "", "indicator_vintage": "",
                         **input_text(keys, provenance, specs)})
        every = [k for keys in pillar_inputs.values() for k in keys]
        rows.append({"level": level, "column": "collapse_risk", "kind": "collapse_risk",
                     "pillar": "", "component": "", "label": model.label, "indicator": "",
                     "weight": None, "formula": risk_formula(model) + "; rank: 1 = highest "
                     "collapse risk within the level", "source": "", "indicator_vintage": "",
                     **input_text(every, provenance, specs)})
    return pd.DataFrame(rows)


def find_region(con: duckdb.DuckDBPyConnection, region: str, level: str | None
                ) -> tuple[str, str, str]:
    """``(level, region_id, name)`` of a region given by id or by part of its name (default
    levels first); an AtlasError naming the candidates if it is ambiguous or unknown."""
    rows = con.execute("""
        SELECT r.level, r.region_id, r.name FROM region_indices AS r
        JOIN levels AS l USING (level)
        WHERE r.collapse_risk IS NOT NULL AND (? IS NULL OR r.level = ?)
          AND (? IS NOT NULL OR l.is_default)
          AND (r.region_id = ? OR lower(r.name) LIKE '%' || lower(?) || '%')
        ORDER BY r.region_id <> ?, r.level, r.name""",
                       [level, level, level, region, region, region]).fetchall()
    if not rows:
        raise AtlasError(f"--explain {region}: no ranked region has this id or name "
                         "(expected a region_id or part of a name; --level narrows it)")
    exact = [r for r in rows if r[1] == region]
    if exact and len(exact) == 1:
        return exact[0]
    if len(rows) > 1:
        shown = "; ".join(f"{lv} {rid} {name}" for lv, rid, name in rows[:8])
        raise AtlasError(f"--explain {region}: {len(rows)} regions match ({shown}); give the "
                         "region_id or --level")
    return rows[0]


def explain(con: duckdb.DuckDBPyConnection, region: str, level: str | None = None
            ) -> list[str]:
    """The chain of one region from raw inputs to its rank, as lines of text."""
    level, region_id, name = find_region(con, region, level)
    config = stored_config(con)
    lineage = con.execute("SELECT * FROM lineage WHERE level = ?", [level]).df()
    head = con.execute("""
        SELECT collapse_risk, risk_rank, regions_in_level, rank_p05, rank_p95
        FROM region_indices WHERE level = ? AND region_id = ?""", [level, region_id]).fetchone()
    values = {c: (v, s) for c, v, s in con.execute("""
        SELECT component, value, score FROM region_components
        WHERE level = ? AND region_id = ?""", [level, region_id]).fetchall()}
    pillars = dict(con.execute("""
        SELECT pillar, pillar_score FROM region_pillars WHERE level = ? AND region_id = ?""",
                               [level, region_id]).fetchall())
    model = active_model(config)
    lines = [f"{name} ({level} {region_id}): collapse risk {head[0]:.3f}, rank {head[1]} of "
             f"{head[2]}" + (f" (90% interval {int(head[3])}-{int(head[4])})"
                             if head[3] is not None and pd.notna(head[3]) else ""),
             f"  = {risk_formula(model)}"]
    for pillar in model.pillars:
        row = lineage.loc[lineage["column"] == f"pillar_{pillar.pillar}"].iloc[0]
        score = pillars.get(pillar.pillar)
        lines.append(f"  pillar {pillar.pillar} ({pillar.label}, weight {pillar.weight:g}): "
                     + (f"{score:.3f}" if score is not None else "missing")
                     + f" = {row['formula']}")
        for c in (c for c in model.components_for(level) if c.pillar == pillar.pillar):
            value, score = values.get(c.component, (None, None))
            part = lineage.loc[lineage["component"] == c.component].iloc[0]
            shown = "missing" if value is None or pd.isna(value) else \
                f"{value:.4g} -> percentile {score:.3f}"
            lines.append(f"    component {c.component} (weight {c.weight:g}): {c.indicator} "
                         f"= {shown}")
            lines.append(f"      formula: {part['formula']}")
            if part["source"]:
                lines.append(f"      source: {part['source']} ({part['indicator_vintage']})")
            lines.append(f"      inputs: {part['vintages']}")
            lines.append(f"      sha256: {part['sha256']}")
    return lines
