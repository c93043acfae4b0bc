"""Today's ``maps.map_data`` output, completed to the data contract of ``atlas.map_page``.

A bridge while the engine's ``map_data`` is rewritten to produce the contract itself: it adds
what the contract asks for and the old dict lacks (other names to search by, the rank's 90%
interval, pillars, scenarios, plain-words reasons for missing values, label points and ranks,
one "what this means" sentence per layer and flag, the UI strings), from the same database.
Once ``map_data`` follows the contract, ``to_contract`` can be deleted.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import shapely

from atlas.catalog import table_exists

WHAT = {  # one plain sentence per layer key: what the colour means
    "collapse_risk": "How likely the local economy is to fall into an unemployment trap if AI "
                     "hits its pillar jobs: a weighted mix of vulnerable jobs, concentration, "
                     "unemployment and small size.",
    "share_ge_50": "The share of jobs in which AI could speed up at least half of the tasks.",
    "exposure_mean": "The average share of a job's tasks that AI could speed up.",
    "vulnerable_share": "The share of jobs that are both automatable and lower-paid.",
    "entropy_norm": "How evenly jobs are spread over occupations or sectors (higher = more "
                    "diverse, so better able to absorb a shock).",
    "unemployment_rate": "Unemployed people as a share of the labour force.",
    "p_top_decile": "How often the area is in the riskiest tenth when the measure and the "
                    "weights are varied.",
    "shock_slow": "How much the unemployment rate would rise with slow AI adoption.",
    "shock_central": "How much the unemployment rate would rise with central AI adoption.",
    "shock_fast": "How much the unemployment rate would rise with fast AI adoption.",
    "m:ilo_genai_2025": "The ILO's own 2025 score of how exposed the country's jobs are.",
    "m:ilo_exposed_gradient": "The share of jobs in the ILO's exposed gradients.",
}
FLAG_WHAT = {
    "trap": "Top tenth on collapse risk and bottom third on diversity.",
    "zone": "Neighbouring high-risk regions that form a cluster (Local Moran's I).",
    "rust_belt": "In a state of the historic manufacturing belt.",
    "lower_tier": "Smaller or lower-tier places, with fewer jobs to move to.",
    "global_south": "Low- and lower-middle-income countries (World Bank).",
}
LEVEL_TEXT = {
    "us_area": {"level_plural": "US areas", "level_singular": "US area",
                "nodata_reason": "No OEWS employment by occupation for this area."},
    "country": {"level_plural": "countries", "level_singular": "country",
                "nodata_reason": "No ILOSTAT employment by occupation: no indices."},
    "cn_city": {
        "level_plural": "城市 Chinese cities", "level_singular": "城市 city",
        "rank_short": "排名 rank {rank_n} / {count}",
        "rank_sentence": "崩塌风险排名第{rank_n}位（共{count}个城市）· Ranks {rank} of {count} "
                         "Chinese cities on collapse risk (1st = highest).",
        "rank_interval": "90%的设定下排名在第{lo_n}至{hi_n}位之间 · 90% of specifications put "
                         "it between {lo} and {hi}.",
        "pctile": "高于{p}%的城市 · higher than {p}% of Chinese cities",
        "pctile_top": "所有城市中最高 · the highest of all Chinese cities",
        "pctile_bottom": "所有城市中最低 · the lowest of all Chinese cities",
        "pp_long": "个百分点 percentage points (pp)", "no_match": "无匹配 No match for “{q}”",
        "matches": "{n} 个结果 matches", "menu": "图层与图例 Layers and legend",
        "close": "关闭 Close", "overlays": "轮廓 Outlines", "legend": "图例 Legend",
        "about": "关于本图 About this map", "copy_link": "复制链接 Copy link",
        "copied": "已复制 Link copied", "print": "打印 Print", "save_png": "保存 PNG",
        "pillars_title": "风险来源 What drives the risk",
        "pillars_note": "条形：在所有城市中的百分位 Bars: percentile among cities.",
        "scenario_title": "AI 采用情景 AI-adoption scenarios",
        "scenario_sentence": "{displaced} 个岗位被替代 jobs displaced, {net_loss} 未再就业 not "
                             "re-employed: 失业率上升 unemployment rate up {shock}.",
        "missing_title": "缺失或估计的数据 Missing or estimated data",
        "flags_title": "标记 Flags", "unranked": "无排名 Not ranked.",
        "nodata_reason": "2019年城市统计年鉴无行业数据 No sector data in the City Statistical "
                         "Yearbook 2019.",
    },
}


def _label_points(geo: dict[str, Any]) -> dict[str, list[float]]:
    points = {}
    for feature in geo["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        if shape.geom_type == "MultiPolygon":
            shape = max(shape.geoms, key=lambda g: g.area)
        point = shape.representative_point()
        points[feature["id"]] = [round(point.y, 3), round(point.x, 3)]
    return points


def _missing(row: pd.Series) -> list[str]:
    reasons = []
    if pd.notna(row.get("imputed_share")) and row["imputed_share"] > 0.005:
        reasons.append(f"{row['imputed_share']:.0%} of jobs are estimated for cells the "
                       "survey suppressed (OEWS).")
    if pd.isna(row.get("unemployment_rate")):
        reasons.append("No unemployment rate: collapse risk uses the other components.")
    quality = row.get("data_quality")
    if isinstance(quality, str) and quality and quality != "ok":
        reasons.append(quality)
    return reasons


def _scenarios(con: duckdb.DuckDBPyConnection, level: str) -> dict[str, list[dict[str, Any]]]:
    if not table_exists(con, "scenario_results"):
        return {}
    rows = con.execute("""
        SELECT region_id, scenario, displaced, net_loss, unemployment_rate_shock
        FROM scenario_results WHERE level = ?
        ORDER BY region_id, list_position(['slow', 'central', 'fast'], scenario), scenario""",
                       [level]).fetchall()
    out: dict[str, list[dict[str, Any]]] = {}
    for region_id, scenario, displaced, net_loss, shock in rows:
        out.setdefault(region_id, []).append({
            "label": f"{scenario.capitalize()} adoption", "displaced": displaced,
            "net_loss": net_loss, "shock_pp": shock})
    return out


def to_contract(con: duckdb.DuckDBPyConnection, spec: Any, data: dict[str, Any]
                ) -> dict[str, Any]:
    """Complete today's map data to the ``atlas.map_page`` contract.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database.
    spec : atlas.maps.MapSpec
        How the level is drawn (its layers, flags and text).
    data : dict
        ``atlas.maps.map_data(con, spec)``.

    Returns
    -------
    dict
        DATA following the contract (a new dict; ``data`` is changed in place too).
    """
    rows = con.execute("SELECT * FROM region_indices WHERE level = ?", [spec.level]).df()
    rows = rows.set_index("region_id", drop=False)
    points = _label_points(data["geo"])
    scenarios = _scenarios(con, spec.level)
    text = spec.text
    labels = text.get("components", ["vulnerable", "concentration", "unemployment",
                                     "small size"])
    order = rows.sort_values("total_employment", ascending=False).index
    label_rank = {rid: i + 1 for i, rid in enumerate(order)}
    components = [("vulnerable_share", "pct"), ("entropy_norm", "num"),
                  ("unemployment_rate", "rate"), ("total_employment", "int")]
    component_labels = ["Vulnerable jobs", "Occupational diversity (entropy 0-1)",
                        "Unemployment rate", "Jobs"]
    level_text = LEVEL_TEXT.get(spec.level, LEVEL_TEXT["us_area"])
    for region_id, region in data["regions"].items():
        region.pop("rank_ci", None)
        scores = region.pop("p", [])
        region["centroid"] = points.get(region_id)
        if region.get("nodata") or region_id not in rows.index:
            region["reason"] = level_text["nodata_reason"]
            continue
        row = rows.loc[region_id]
        english = str(row["name"]).split(" ", 1)[-1] if pd.notna(row.get("name_zh")) else None
        region["alt"] = [str(v) for v in (row.get("name_zh"), row.get("name_pinyin"),
                                          row.get("iso3"), english) if pd.notna(v) and v]
        region["rank_lo"] = _int(row.get("rank_p05"))
        region["rank_hi"] = _int(row.get("rank_p95"))
        region["pillars"] = [
            {"key": key, "label": label[:1].upper() + label[1:], "score": score,
             "components": [{"key": key, "label": name, "fmt": fmt, "percentile": None,
                             "value": _float(row.get(key))}]}
            for (key, fmt), label, name, score in zip(components, labels, component_labels,
                                                       scores or [None] * 4, strict=True)]
        region["scenario"] = scenarios.get(region_id)
        region["missing"] = _missing(row)
        region["label_rank"] = label_rank.get(region_id)
    for layer in data["layers"]:
        layer["what"] = WHAT.get(layer["key"], layer.get("note", ""))
        if layer["key"].startswith("shock_"):
            layer["fmt"] = "pp"
    for flag in data["flags"]:
        flag["what"] = FLAG_WHAT.get(flag["key"], "")
    zh = spec.level == "cn_city"
    data["text"] = {**data["text"], **level_text,
                    "top_columns": text.get("top_columns"), "top_title": text.get("top_title"),
                    "risk": text.get("risk", "collapse risk").capitalize(),
                    "layers": text.get("layers"), "search": text.get("search"),
                    "employment": text.get("employment"), "nodata": text.get("nodata"),
                    "na": text.get("na"), "zone": text.get("zone"),
                    "howto_title": text.get("howto_title"), "method_url": "index.html",
                    "method_label": "方法 Method" if zh else "Method and the top 20",
                    "exports_url": "../exports/",
                    "search_placeholder": text.get("search_placeholder")}
    data["text"] = {k: v for k, v in data["text"].items() if v is not None}
    data["languages"] = ["zh", "en"] if zh else ["en"]
    return data


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 5)
