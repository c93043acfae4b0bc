"""A level's map DATA, following the contract of :mod:`atlas.maps.page`, read from the atlas.

``map_data(con, spec)`` gathers, per region: names to search by, the rank and its 90%
interval, the layer values and classes, the flags, the pillars and their components with the
model's labels and each component's raw value and percentile, the most exposed occupations or
sectors, the employment trend, the adoption scenarios and, in plain words, what is missing or
estimated. Layers are built by :mod:`atlas.maps.layers`, geometry by
:mod:`atlas.maps.display_geometry`, the words by :mod:`atlas.maps.text`; what a level shows is
declared in ``atlas/spec/levels.toml`` and
``atlas/spec/layers.toml``, so no level has a branch of its own here.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.maps.display_geometry import map_geometry
from atlas.maps.frames import records, rows
from atlas.maps.layers import build_layers
from atlas.maps.periods import period_data
from atlas.maps.specs import Declarations, MapSpec, load_declarations
from atlas.maps.text import Words, fill, fill_parts, has_table, page_text
from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import level_decl
from atlas.spec.risk_model import Pillar, RiskModel, active_model
from atlas.store.database import stored_config
from atlas.texts.attribution import sources_block
from atlas.texts.method_text import flag_texts
from atlas.texts.method_zh import flags_in

NO_DATA = "#bdbdbd"
SHOWN_IMPUTED_SHARE = 0.005  # imputed jobs below half a percent are not worth a sentence


def clean(value: Any) -> Any:
    """A JSON-safe scalar: None for missing or non-finite numbers, floats to 5 decimals."""
    if type(value) is float:  # the most frequent case first (math.isfinite: np.isfinite's)
        return round(value, 5) if math.isfinite(value) else None
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 5) if np.isfinite(value) else None
    return value


def _frame(con: duckdb.DuckDBPyConnection, table: str, sql: str, level: str) -> pd.DataFrame:
    return con.execute(sql, [level]).df() if has_table(con, table) else pd.DataFrame()


def _top_categories(top: pd.DataFrame, n: int) -> dict[str, list[list[Any]]]:
    """Each region's first ``n`` rows of ``top`` (in its order) as ``[title, employment,
    score]``: what ``groupby("region_id")`` gave, in one pass over the columns."""
    out: dict[str, list[list[Any]]] = {}
    for rid, title, jobs, score in zip(top["region_id"].tolist(), top["title"].tolist(),
                                       top["employment"].tolist(), top["score"].tolist(),
                                       strict=True):
        if not pd.isna(rid):  # groupby leaves missing keys out
            out.setdefault(rid, []).append([title, clean(jobs), clean(score)])
    return {rid: rows[:n] for rid, rows in out.items()}


def ordered_pillars(model: RiskModel, config: AtlasConfig) -> list[Pillar]:
    """The model's pillars, the ones the configuration names as roles first (shock, then
    absorption: the order of the bivariate layer's axes)."""
    roles = [config.risk.shock_pillar, config.risk.absorption_pillar]
    return sorted(model.pillars, key=lambda p: roles.index(p.pillar) if p.pillar in roles
                  else len(roles))


class Profiles:
    """The per-region parts of the profile panel, read once per level."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: MapSpec, decls: Declarations,
                 words: Words, config: AtlasConfig, model: RiskModel) -> None:
        level = spec.level
        self.spec, self.decls, self.words, self.config = spec, decls, words, config
        self.components = model.components_for(level)
        self.pillars = ordered_pillars(model, config)
        self._plan: list | None = None  # pillars_of's labels and formats, made once
        values = _frame(con, "region_components", "SELECT region_id, component, value, "
                        "score FROM region_components WHERE level = ?", level)
        self.values: dict[str, dict[str, tuple[Any, Any]]] = {}  # region -> component -> (v, s)
        for rid, component, value, score in rows(values):
            self.values.setdefault(rid, {})[component] = (value, score)
        magnitude = _frame(con, "region_flags", "SELECT f.region_id, b.substitutable_jobs, "
                           "f.reference_substitutable_share FROM region_flags AS f JOIN "
                           "region_base AS b USING (level, region_id) WHERE f.level = ?", level)
        self.magnitude = {rid: (jobs, share) for rid, jobs, share in
                          rows(magnitude)} if len(magnitude) else {}
        scores = _frame(con, "region_pillars", "SELECT region_id, pillar, pillar_score FROM "
                        "region_pillars WHERE level = ?", level)
        self.scores = {(r, p): s for r, p, s in rows(scores)} \
            if len(scores) else {}
        context = _frame(con, "context_indicators", "SELECT indicator, label, unit, source, "
                         "vintage FROM context_indicators WHERE level = ?", level)
        self.context = context.set_index("indicator").to_dict("index") if len(context) else {}
        top = _frame(con, "region_top_categories", "SELECT region_id, title, employment, score "
                     "FROM region_top_categories WHERE level = ? ORDER BY region_id, position",
                     level)
        self.top = _top_categories(top, spec.top_n) if len(top) else {}
        self.trend: dict[str, tuple[list[int], list[Any]]] = {}  # region -> (years, values)
        if spec.trend:
            series = con.execute("SELECT region_id, year, value FROM region_series WHERE level = ?"
                                 " AND series = ? ORDER BY region_id, year",
                                 [level, spec.trend["series"]]).df() \
                if has_table(con, "region_series") else pd.DataFrame()
            for rid, year, value in rows(series):
                years, values = self.trend.setdefault(rid, ([], []))
                years.append(int(year))
                values.append(value)
        shocks = _frame(con, "scenario_results", "SELECT region_id, scenario, displaced, "
                        "net_loss, unemployment_rate_shock FROM scenario_results WHERE level = ?",
                        level)
        presets = config.scenarios  # slow to fast: by adoption
        order = {name: preset.adoption for name, preset in presets.items()}
        self.mix = programme_mix(con, level, spec.languages)
        self.scenarios: dict[str, list[dict[str, Any]]] = {}
        for rid, name, displaced, net, shock in sorted(
                rows(shocks), key=lambda r: (r[0], order.get(r[1], 99))):
            self.scenarios.setdefault(rid, []).append({
                "label": words.say("scenario_label", {"name": name}),
                "displaced": clean(displaced), "net_loss": clean(net), "shock_pp": clean(shock),
                "years": presets[name].horizon_years if name in presets else None})

    def _indicator(self, indicator: str) -> dict[str, Any]:
        """fmt, scale, unit and label of a component's indicator."""
        if indicator in self.context:
            row = self.context[indicator]
            fmt = self.decls.units.get(str(row["unit"]), "num")
            if indicator.endswith("_change") and fmt in ("rate", "pp", "pct"):
                fmt = f"signed_{fmt}"  # a change reads with its sign
            label = str(row["label"])
            vintage = str(row.get("vintage") or "")
            return {"fmt": fmt, "scale": 1, "unit": row["unit"] if fmt == "int" else None,
                    "detail": label if vintage in label else f"{label}, {vintage}",
                    "source": row.get("source")}
        declared = self.decls.indicators.get(indicator, {})
        return {"fmt": declared.get("fmt", "num"), "scale": declared.get("scale", 1),
                "unit": declared.get("unit"), "detail": declared.get("label"), "source": None}

    def magnitude_text(self, region_id: str) -> str:
        """The absolute shock beside the national value: ``12,345 jobs; national 18.4%``."""
        jobs, share = self.magnitude[region_id]
        parts = [f"{jobs:,.0f} jobs" if jobs is not None and pd.notna(jobs) else "",
                 f"national {share:.1%}" if share is not None and pd.notna(share) else ""]
        return "; ".join(p for p in parts if p)

    def pillars_of(self, region_id: str) -> list[dict[str, Any]]:
        """The region's pillars with their components (raw value, format, percentile); the
        labels and indicators' formats are made once per level (``_plan``), not per region."""
        if self._plan is None:
            self._plan = [(p, self.words.term(p.pillar, p.label), [
                (c, self._indicator(c.indicator), self.words.term(c.component, c.label))
                for c in self.components if c.pillar == p.pillar]) for p in self.pillars]
        values = self.values.get(region_id, {})
        out = []
        for pillar, pillar_label, components in self._plan:
            parts = []
            for c, info, label in components:
                found = c.component in values
                value, score = values[c.component] if found else (None, None)
                value = clean(value * info["scale"]) if value is not None and pd.notna(value) \
                    else None
                part = {"key": c.component, "label": label, "fmt": info["fmt"], "value": value,
                        "percentile": clean(score) if found else None}
                part.update({k: info[k] for k in ("unit", "detail") if info[k]})
                if c.indicator == "substitutable_share" and region_id in self.magnitude:
                    part["detail"] = self.magnitude_text(region_id)
                parts.append(part)
            out.append({"key": pillar.pillar, "label": pillar_label,
                        "score": clean(self.scores.get((region_id, pillar.pillar))),
                        "components": parts})
        return out

    def missing(self, region_id: str, row: dict[str, Any]) -> list[str]:
        """Plain-words reasons a value is missing or estimated."""
        reasons = []
        imputed = row.get("imputed_share")
        if pd.notna(imputed) and imputed >= SHOWN_IMPUTED_SHARE:
            reasons.append(self.words.say("missing_imputed", {"share": f"{imputed:.0%}"}))
        values = self.values.get(region_id, {})
        for c in self.components:
            if c.component in values and pd.notna(values[c.component][0]):
                continue
            info = self._indicator(c.indicator)
            reasons.append(self.words.say("missing_component", {
                "label": self.words.labels(c.component, c.label),
                "indicator": info["detail"] or c.indicator,
                "source": info["source"] or "no source"}))
        for note in self.spec.notes:
            if str(row.get(note["column"])) == str(note["equals"]):
                reasons.append(note["text"])
        quality = row.get("data_quality")
        if isinstance(quality, str) and quality.strip() and quality != "ok":
            reasons.append(quality)
        return reasons

    def lines_of(self, row: dict[str, Any]) -> list[list[Any]]:
        """The region's profile lines (``lines`` of its map): ``[label, value, fmt, note]``
        per declared context indicator it has; label and vintage from the database."""
        out = []
        for line in self.spec.lines:
            value = clean(row.get(line["column"]))
            info = self.context.get(line["column"])
            if value is None or info is None:
                continue
            out.append([f"{info['label']} ({info['vintage']})", value,
                        line.get("fmt", "signed_rate"), line.get("note", "")])
        return out

    def trend_of(self, region_id: str) -> dict[str, Any] | None:
        """The region's sparkline (years and values) or None."""
        years, values = self.trend.get(region_id, ([], []))
        if sum(pd.notna(v) for v in values) < 2:
            return None
        label = fill(self.spec.trend.get("label", ""), {"first": years[0], "last": years[-1]})
        return {"label": label, "years": years, "values": [clean(v) for v in values],
                "fmt": self.spec.trend.get("fmt", "num")}


def programme_mix(con: duckdb.DuckDBPyConnection, level: str,
                  languages: tuple[str, ...] | list[str]) -> dict[str, list[list[Any]]]:
    """Each region's programme mix: ``[[label, share, p05, p95], ...]`` in the configured
    order, the label in every language of the map (``programmes``, ``programme_mix``)."""
    if not has_table(con, "programme_mix"):
        return {}
    rows = con.execute(
        "SELECT m.region_id, p.label, p.label_zh, m.share, m.share_p05, m.share_p95 "
        "FROM programme_mix AS m JOIN programmes AS p USING (programme) WHERE m.level = ? "
        "ORDER BY m.region_id, p.position", [level]).fetchall()
    mix: dict[str, list[list[Any]]] = {}
    for region_id, label, label_zh, share, low, high in rows:
        text = " ".join(label_zh if lang == "zh" else label for lang in languages)
        mix.setdefault(region_id, []).append(
            [text, round(share, 3), clean(None if low is None else round(low, 3)),
             clean(None if high is None else round(high, 3))])
    return mix


def _overlays(spec: MapSpec, decls: Declarations, indices: pd.DataFrame, config: AtlasConfig
              ) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """DATA's ``flags`` (overlays with at least one region) and each region's true flags."""
    texts = flags_in(spec.languages, config, spec.level, flag_texts(config, spec.level))
    flags, true = [], {rid: [] for rid in indices.index}
    for decl in decls.overlays:
        column = decl.flag_column
        if not decl.applies_to(spec.level) or column not in indices:
            continue
        hits = flag_hits(indices[column])
        if not hits.any():
            continue
        what = named_text_or_flag(texts, decl.what_text, decl.key)
        flags.append({"key": decl.key, "label": decl.label_for(spec.level), "color": decl.color,
                      "dash": decl.dash, "on": decl.on, "what": what})
        for rid in hits[hits].index:
            true[rid].append(decl.key)
    return flags, true


def flag_hits(values: pd.Series) -> pd.Series:
    """Which regions an overlay outlines: true flags, or present values of a text column."""
    if pd.api.types.is_bool_dtype(values) or (values.notna().any() and values.dropna().map(
            lambda v: isinstance(v, bool | np.bool_)).all()):
        return values.fillna(False).astype(bool)
    return values.notna()


def named_text_or_flag(texts: dict[str, str], name: str | None, key: str) -> str:
    """An overlay's explanation: the flag text of ``name`` ("flag:<key>") or of its key."""
    wanted = (name or f"flag:{key}").partition(":")[2] or key
    return texts.get(wanted, "")


def _zones(con: duckdb.DuckDBPyConnection, level: str, words: Words) -> dict[str, str]:
    if not has_table(con, "trap_zones"):
        return {}
    rows = con.execute("SELECT zone_id, zone_name, regions FROM trap_zones WHERE level = ?",
                       [level]).fetchall()
    return {zone: words.say("zone_text", {"name": name, "regions": n}) for zone, name, n in rows}


def map_data(con: duckdb.DuckDBPyConnection, spec: MapSpec,
             decls: Declarations | None = None) -> dict[str, Any]:
    """Everything one level's page needs, following the contract of :mod:`atlas.maps.page`.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database (read only).
    spec : MapSpec
        The level's ``[level.map]`` declaration.
    decls : Declarations, optional
        ``atlas/spec/layers.toml`` (default: the atlas's own).

    Returns
    -------
    dict
        DATA: ``geo``, ``outlines``, ``regions``, ``layers``, ``flags``, ``text``,
        ``nodata``, ``count``, ``bounds``, ``languages``, ``periods``
        (:mod:`atlas.maps.periods`).
    """
    decls = decls or load_declarations()
    config = stored_config(con)
    model = active_model(config)
    words = Words(spec, decls)
    indices = con.execute("SELECT * FROM region_indices WHERE level = ? ORDER BY region_id",
                          [spec.level]).df().set_index("region_id", drop=False)
    layers = build_layers(con, spec.level, indices, decls, words, config, model)
    flags, true_flags = _overlays(spec, decls, indices, config)
    profiles = Profiles(con, spec, decls, words, config, model)
    zones = _zones(con, spec.level, words)
    geometry = map_geometry(con, spec, set(indices.index))
    geometry["geo"]["features"] = [f for f in geometry["geo"]["features"]
                                   if f["id"] not in spec.leave_out]
    shapes = geometry["centroids"]
    points = {**spec.label_points, **shapes}  # declared points: places without a shape
    regions: dict[str, dict[str, Any]] = {}
    for region_id, row in zip(indices.index, records(indices), strict=True):
        regions[region_id] = {
            "n": row["name"], "alt": _alt(row, spec), "s": fill_parts(
                spec.region_subtitle, row, spec.words),
            **_group_rank(row, spec),
            "rank": clean(row.get("risk_rank")), "rank_lo": clean(row.get("rank_p05")),
            "rank_hi": clean(row.get("rank_p95")), "risk": clean(row.get("collapse_risk")),
            "emp": clean(row.get("total_employment")),
            "v": {key: _value(values.get(region_id)) for key, values in layers.values.items()},
            "c": {key: classes.get(region_id) for key, classes in layers.classes.items()},
            "f": true_flags[region_id], "pillars": profiles.pillars_of(region_id),
            "top": profiles.top.get(region_id, []), "trend": profiles.trend_of(region_id),
            "scenario": profiles.scenarios.get(region_id),
            "mix": profiles.mix.get(region_id),
            "lines": profiles.lines_of(row),
            "missing": profiles.missing(region_id, row) + (
                [] if region_id in shapes else [words.say("missing_shape", {})]),
            "centroid": points.get(region_id),
            "z": zones.get(row.get("trap_zone")) if pd.notna(row.get("trap_zone")) else None}
    no_data = words.text().get("nodata_reason")
    others = con.execute("SELECT * FROM v_regions WHERE level = ? ORDER BY region_id",
                         [spec.level]).df()  # ordered: the same page from every build
    for row in records(others.loc[~others["region_id"].isin(regions)]):
        regions[row["region_id"]] = {
            "n": row["name"], "alt": _alt(row, spec), "nodata": True, "v": {}, "c": {},
            "reason": no_data, "s": fill_parts(spec.region_subtitle, row, spec.words),
            "centroid": points.get(row["region_id"])}
    for feature in geometry["geo"]["features"]:  # a shape with no region row is still named
        regions.setdefault(feature["id"], {"n": str(feature["id"]), "nodata": True, "v": {},
                                           "c": {}, "centroid": points.get(feature["id"])})
    # labels: the largest first; where jobs are left out (atlas.store.edition), the highest risk
    order = sorted(regions, key=lambda rid: (-(regions[rid].get("emp") or 0),
                                             regions[rid].get("rank") or np.inf))
    for rank, region_id in enumerate(order, start=1):
        regions[region_id]["label_rank"] = rank
    count = int(indices["collapse_risk"].notna().sum())
    counts = {"count": count, "drawn": len(geometry["geo"]["features"])}
    return {"geo": geometry["geo"], "outlines": geometry["outlines"], "regions": regions,
            "layers": layers.layers, "flags": flags, "count": count, "nodata": NO_DATA,
            "text": page_text(con, spec, words, config, model, counts),
            "bounds": geometry["bounds"], "languages": list(spec.languages),
            "periods": period_data(con, spec, decls, words, config, model, layers,
                                   profiles.pillars, list(indices.index)),
            # sources, terms and the edition (atlas.texts.attribution): the side panel's last block
            "terms": sources_block(con, spec.level, spec.languages)}


def _group_rank(row: dict[str, Any], spec: MapSpec) -> dict[str, Any]:
    """A region's rank within its rank group (``g`` the group in words, ``grank`` of ``gn``),
    at a level that ranks within groups (``rank_group`` in levels.toml); else nothing."""
    if pd.isna(row.get("group_rank")) or pd.isna(row.get("rank_group")) \
            or level_decl(spec.level) is None or level_decl(spec.level).rank_group is None:
        return {}
    column = level_decl(spec.level).rank_group.column
    group = spec.words.get(column, {}).get(row["rank_group"], row["rank_group"])
    return {"g": group, "grank": clean(row["group_rank"]), "gn": clean(row["regions_in_group"])}


def _alt(row: dict[str, Any], spec: MapSpec) -> list[str]:
    names = [row.get(column) for column in spec.search_columns]
    names += spec.search_aliases.get(str(row.get("region_id")), ())
    return [str(n) for n in names if isinstance(n, str) and n and n != row.get("name")]


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return [clean(v) for v in value]
    return clean(value)
