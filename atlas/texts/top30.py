"""``docs/top30.md``: the top 30 of each level explained, generated from a built atlas.

Per level, the 30 places of highest collapse risk with their absolute shock (substitutable
share and jobs beside the national share), the two components that drive them, their flags
and everything a reader might question: an estimated or added denominator, a sheltered
publicly funded share, a growth gate, a missing absolute shock, thin data, a wide rank
interval.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import level_decl
from atlas.store.database import stored_config, table_exists
from atlas.texts.markdown import level_names, markdown_table
from atlas.texts.method_text import flag_texts

COUNT = 30
WIDE_INTERVAL = 50  # ranks: an interval at least this wide is worth a word


def public_shares(con: duckdb.DuckDBPyConnection, level: str) -> pd.Series:
    """Per region, the share of its jobs that is publicly funded (sheltered)."""
    if not table_exists(con, "sheltered_categories"):
        return pd.Series(dtype=float)
    frame = con.execute("""
        SELECT e.region_id, sum(e.employment * coalesce(s.public_share, 0)) / sum(e.employment)
            AS public_share
        FROM employment AS e
        JOIN levels AS l ON l.level = e.level
        LEFT JOIN sheltered_categories AS s ON s.taxonomy = l.taxonomy
            AND s.category = e.category
        WHERE e.level = ? GROUP BY e.region_id""", [level]).df()
    return frame.set_index("region_id")["public_share"]


def questions(row: Any, public: float, config: AtlasConfig) -> str:
    """What a reader might question about one place, in words."""
    notes = []
    uncounted = row.uncounted_employment / row.total_employment if row.total_employment else 0
    if uncounted >= 0.01:
        notes.append(f"uncounted workers add {uncounted:.0%} to the denominator")
    if public and public >= 0.15:
        notes.append(f"{public:.0%} of jobs publicly funded (sheltered)")
    if row.gated:
        notes.append("grew faster than its nation (absorption capped)")
    if config.flags.trap_min_shock_ratio > 0 and not row.above_shock_floor:
        notes.append("substitutable share below the national one: no trap")
    if row.flag_low_confidence:
        notes.append("low confidence (imputed jobs, a missing component or a modelled "
                     "composition)")
    if pd.notna(row.rank_p05) and row.rank_p95 - row.rank_p05 >= WIDE_INTERVAL:
        notes.append(f"rank interval {int(row.rank_p05)}-{int(row.rank_p95)}")
    if row.min_pillar is not None and row.min_pillar < config.flags.trap_min_pillar:
        notes.append("one pillar below the trap minimum")
    return "; ".join(notes)


def component_drivers(con: duckdb.DuckDBPyConnection, level: str,
                      region_ids: list[str]) -> dict[str, str]:
    """The two components that drive each of ``region_ids`` (highest percentile first, ties
    by label), as text: ``{region_id: "label 97%, label 91%"}``; a region without
    components is left out.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE region_components AS SELECT * FROM (VALUES "
    ...     "('l', 'a', 'x', 0.5), ('l', 'a', 'y', 0.9), ('l', 'a', 'z', 0.9), "
    ...     "('l', 'b', 'x', 0.1)) AS t(level, region_id, label, score)")
    >>> component_drivers(con, "l", ["a"])
    {'a': 'y 90%, z 90%'}
    """
    if not region_ids:
        return {}
    components = con.execute(
        "SELECT region_id, label, score FROM region_components "
        "WHERE level = ? AND list_contains(?, region_id)", [level, region_ids]).df()
    ordered = components.sort_values(["region_id", "score", "label"],
                                     ascending=[True, False, True], kind="stable")
    return {rid: ", ".join(f"{label} {score:.0%}" for label, score in
                           zip(group["label"], group["score"], strict=True))
            for rid, group in ordered.groupby("region_id", sort=False).head(2)
            .groupby("region_id", sort=False)}


def level_table(con: duckdb.DuckDBPyConnection, level: str, config: AtlasConfig,
                group: str | None = None, whole: str | None = None) -> str:
    """The top 30 of one level as a markdown table; at a level ranked within groups
    (``rank_group``), of the group ``group``, with the rank over the ``whole`` level beside."""
    top = con.execute("""
        SELECT i.region_id, i.group_rank, i.risk_rank, i.name, i.collapse_risk,
            i.substitutable_share, i.substitutable_jobs, i.reference_substitutable_share,
            i.total_employment, i.uncounted_employment, i.above_shock_floor,
            i.flag_low_confidence, i.min_pillar,
            i.rank_p05, i.rank_p95, i.flag_top_decile, i.flag_trap, i.flag_robust_trap,
            i.flag_transition_target,
            coalesce(bool_or(g.gated), false) AS gated
        FROM region_indices AS i
        LEFT JOIN region_gates AS g ON g.level = i.level AND g.region_id = i.region_id
        WHERE i.level = ? AND i.group_rank <= ? AND i.rank_group IS NOT DISTINCT FROM ?
        GROUP BY ALL ORDER BY i.group_rank""", [level, COUNT, group]).df()
    drivers = component_drivers(con, level, list(top["region_id"]))
    public = public_shares(con, level)
    flags = ("top_decile", "trap", "robust_trap", "transition_target") if whole else (
        "trap", "robust_trap", "transition_target")
    table = pd.DataFrame({
        "rank": top["group_rank"].astype(int),
        **({f"{whole} rank": top["risk_rank"].astype(int)} if whole else {}),
        "name": top["name"],
        "collapse risk": top["collapse_risk"],
        "substitutable share (national)": [
            f"{s:.1%} ({r:.1%})" if pd.notna(s) and pd.notna(r) else "" for s, r in
            zip(top["substitutable_share"], top["reference_substitutable_share"], strict=True)],
        "substitutable jobs": [f"{j:,.0f}" if pd.notna(j) else "" for j in
                               top["substitutable_jobs"]],
        "driven by (percentile)": top["region_id"].map(drivers),
        "flags": [", ".join(f.replace("_", " ") for f in flags if row[f"flag_{f}"])
                  for _, row in top.iterrows()],
        "a reader might question": [questions(row, float(public.get(row.region_id, 0.0)),
                                              config) for row in top.itertuples()],
    })
    return markdown_table(table)


def top30_document(con: duckdb.DuckDBPyConnection) -> str:
    """The whole of ``docs/top30.md``."""
    config = stored_config(con)
    parts = ["# The top 30 of each level, explained", "",
             "Generated by `atlas report --update-docs` from the built atlas. Do not edit by "
             "hand. Per place: its collapse risk, its absolute shock (the share of its jobs "
             "generative AI could substitute, beside the national share, and how many jobs "
             "that is), the two component percentiles that drive it, its flags, and what a "
             "reader might question. Exposure is not displacement.", "",
             flag_texts(config)["trap"], ""]
    for level, title in level_names().items():
        if not con.execute("SELECT count(*) FROM region_indices WHERE level = ? AND "
                           "risk_rank IS NOT NULL", [level]).fetchone()[0]:
            continue
        decl = level_decl(level)
        if decl is None or decl.rank_group is None:
            parts += [f"## {title}", "", level_table(con, level, config), ""]
            continue
        ranked = decl.rank_group
        words = decl.map.get("words", {}).get(ranked.column, {})
        parts += [f"## {title}", "", f"Ranked within their {ranked.concept}: each table is "
                  f"the top {COUNT} of one {ranked.concept} (its flags are the top of that "
                  f"{ranked.concept}), with the {ranked.whole} rank beside it.", ""]
        present = [row[0] for row in con.execute(
            "SELECT DISTINCT rank_group FROM region_indices WHERE level = ? AND "
            "group_rank IS NOT NULL", [level]).fetchall()]
        order = [*[g for g in words if g in present],
                 *sorted(g for g in present if g is not None and g not in words),
                 *([None] if None in present else [])]
        for group in order:
            name = words.get(group, group) if group is not None else f"no {ranked.concept}"
            parts += [f"### {title}: {name}", "",
                      level_table(con, level, config, group, ranked.whole), ""]
    return "\n".join(parts)
