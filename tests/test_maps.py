"""The HTML maps built from the atlas: declarations, the data contract, texts rendered from the
configuration, the index page, and the real maps in headless Chromium (every request refused).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from html import escape
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import shapely

from atlas.errors import ConfigError
from atlas.maps.data import map_data
from atlas.maps.page import page_data as map_page_data
from atlas.maps.page import validate
from atlas.maps.render import classify, drawn_specs, safe_json, write_level_map, write_maps
from atlas.maps.specs import LAYERS_PATH, LEVELS_PATH, load_declarations, load_map_specs, map_spec
from atlas.spec.risk_model import active_model
from atlas.store.database import stored_config, write_tables
from atlas.texts.method_text import component_summary, flag_texts, method_lines, named_text
from atlas.texts.method_zh import flags_in, named_in
from tests.browser import (
    PHONE,
    block_requests,
    browser_available,
    chromium,
    hover,
    inside,
    map_page,
    open_profile,
    wait_until,
)
from tests.tiny import tiny_database

XSS_NAME = '<img src=x onerror="window.__xss=1">'
W, H = 1400, 900
MAPS = {"us_area": "us_areas.html", "cn_city": "cn_cities.html", "country": "world.html"}
# In CI the browser must be there (.ci/run installs it): the tests run and fail without it.
needs_browser = pytest.mark.skipif(
    not browser_available() and not os.environ.get("CI"),
    reason="needs /usr/bin/chromium and playwright")
browser = [pytest.mark.browser, needs_browser]


def page_data(path: Path) -> dict:
    """The DATA a map page carries (its JSON script element)."""
    return map_page_data(path.read_text(encoding="utf-8"))


def layer(data: dict, key: str) -> dict:
    return next(item for item in data["layers"] if item["key"] == key)


# ---------------------------------------------------------------- classification, safety
def test_classify_quantiles_and_missing():
    index, labels = classify(pd.Series([1.0, 2.0, None, 3.0, 4.0, 5.0]), "Quantiles", k=5,
                             fmt="pct")
    assert index == [0, 1, None, 2, 3, 4]
    assert labels[0] == "100.0% - 180.0%"


def test_user_defined_bins_follow_the_configuration(real_data, atlas_con):
    """The robustness layer's classes are fixed, one edge at the configured robust-trap share,
    so its top class holds exactly the robust traps."""
    from atlas.maps.layers import user_bins
    from atlas.store.database import stored_config

    config = stored_config(atlas_con)
    edges = user_bins((0.0, 0.2, 0.5, "uncertainty.robust_share", 1.0), config)
    assert edges[3] == pytest.approx(config.uncertainty.robust_share, abs=1e-6)
    share = config.uncertainty.robust_share
    index, labels = classify(pd.Series([0.0, share - 0.01, share, 1.0]), "UserDefined",
                             fmt="pct", bins=edges)
    assert index == [0, 3, 4, 4]  # the threshold itself is robust, as flag_robust_trap says
    assert len(labels) == 5  # every class kept, empty or not: fixed colours
    with pytest.raises(ConfigError, match="bin 'uncertainty.nowhere' is not a config setting"):
        user_bins(("uncertainty.nowhere",), config)
    data = real_data["us_area"]
    top = len(layer(data, "p_trap")["labels"]) - 1
    robust = {rid for rid, r in data["regions"].items() if (r.get("c") or {}).get("p_trap") == top}
    flagged = {row[0] for row in atlas_con.execute(
        "SELECT region_id FROM region_indices WHERE level = 'us_area' AND flag_robust_trap"
    ).fetchall()}
    thin = {row[0] for row in atlas_con.execute(  # never robust traps (trap model v3)
        "SELECT region_id FROM region_indices WHERE level = 'us_area' AND flag_low_confidence"
    ).fetchall()}
    assert robust - thin == flagged and flagged


def test_classify_ties_give_unique_classes():
    index, labels = classify(pd.Series([0.0] * 10 + [1.0] * 10 + [2.0]), "Quantiles", fmt="num")
    assert labels == ["0.000", "1.000", "2.000"]
    assert index == [0] * 10 + [1] * 10 + [2]
    tiny = pd.Series([0.00001 * i for i in range(20)])  # all read "0.0%" once formatted
    assert classify(tiny, "Quantiles", fmt="pct") == ([0] * 20, ["0.0%"])
    index, labels = classify(pd.Series([0.0] * 30 + [0.01, 0.02, 0.05]), "Quantiles", fmt="pct")
    assert len(set(labels)) == len(labels) and index[:30] == [0] * 30


def test_negative_labels_use_a_minus_sign():
    _, labels = classify(pd.Series([-30.0, -10.0, 0.0, 10.0, 20.0]), "Quantiles", fmt="rate")
    assert labels[0].startswith("\u221230.0% - \u2212") and "-" not in labels[0].replace(" - ", "")


def test_safe_json_cannot_close_the_script():
    text = safe_json({"n": "</script><script>alert(1)</script>"})
    assert "</script>" not in text and "<" not in text
    assert json.loads(text)["n"] == "</script><script>alert(1)</script>"


# ---------------------------------------------------------------- declarations
def test_declarations_load_in_order():
    decls = load_declarations()
    keys = [d.key for d in decls.layers]
    assert keys[:2] == ["collapse_risk", "shock_x_absorption"]
    assert [d.key for d in decls.overlays if d.on] == ["transition_target"]
    assert set(load_map_specs()) == {"us_area", "cn_city", "country"}


def test_typed_sentences_state_no_configured_number():
    """A weight or threshold in a typed "what" would go stale when the config changes: such
    texts must be method texts (what_text / note_text), rendered from the config."""
    from atlas.spec.config import load_config

    def leaves(value):
        if isinstance(value, dict):
            return [x for v in value.values() for x in leaves(v)]
        if isinstance(value, list):
            return [x for v in value for x in leaves(v)]
        return [float(value)] if isinstance(value, int | float) and not isinstance(
            value, bool) else []

    configured = {v for v in leaves(load_config()) if v not in (0.0, 1.0) and v < 1900}
    configured |= {100 * v for v in configured if v < 1}  # 0.1 is also "10%"
    decls = load_declarations()
    typed = [d.what for d in decls.layers if d.what] + [
        w for d in decls.layers for w in d.whats.values()] + [decls.measure_layers["what"]]
    for text in typed:
        # numbers, but not age brackets ("15+")
        numbers = {float(n) for n in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.+])", text)}
        assert not numbers & configured, (text, numbers & configured)


@pytest.mark.parametrize("path, old, new", [
    (LAYERS_PATH, 'key = "share_ge_50"\nfmt', 'key = "share_ge_50"\nfrmat = "pct"\nfmt'),
    (LAYERS_PATH, 'key = "trap"\nlabel', 'key = "trap"\nshown = true\nlabel'),
    (LAYERS_PATH, 'key = "p_trap"\nfmt = "pct"', 'key = "p_trap"\nfmt = "percent"'),
    (LEVELS_PATH, 'top_n = 5', 'top_n = 5\ntitel = "typo"')])
def test_a_declaration_typo_stops_with_its_name(tmp_path, path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    copy = tmp_path / path.name
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    loader = load_declarations if path == LAYERS_PATH else load_map_specs
    with pytest.raises(ConfigError, match=r"frmat|shown|percent|titel"):
        loader(copy)


# ---------------------------------------------------------------- a tiny map: hostile names
def tiny_map(tmp_path: Path) -> Path:
    """A map of the tiny level where one region is named like an XSS payload."""
    con = tiny_database(names=[XSS_NAME, "Plain Town"])
    squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    write_tables(con, {"region_geometry": pd.DataFrame({
        "level": ["tiny", "tiny"], "region_id": ["R1", "R2"],
        "geometry": [shapely.to_wkb(g) for g in squares]})})
    spec = map_spec("tiny", {"file": "tiny.html", "title": "Tiny <b>map</b>",
                             "region_subtitle": ["{state}"]}, [])
    return write_level_map(con, spec, tmp_path)


def test_region_names_are_escaped_in_the_html(tmp_path):
    text = tiny_map(tmp_path).read_text()
    assert XSS_NAME not in text and "<b>map" not in text
    assert "\\u003cimg" in text
    assert page_data(tmp_path / "tiny.html")["regions"]["R1"]["n"] == XSS_NAME


def test_template_syntax_in_names_and_titles_stays_text(tmp_path):
    """Region names reach the page inside folium's templates: text that looks like Jinja is
    neither evaluated nor able to stop the build."""
    names = ["{{ 7 * 7 }} Town", "{% if true %}Bad{% endif %} City"]
    con = tiny_database(names=names)
    write_tables(con, {"region_geometry": pd.DataFrame({
        "level": ["tiny", "tiny"], "region_id": ["R1", "R2"],
        "geometry": [shapely.to_wkb(shapely.box(i, 0, i + 1, 1)) for i in range(2)]})})
    spec = map_spec("tiny", {"file": "tiny.html", "title": "{{ 6 * 7 }} map"}, [])
    path = write_level_map(con, spec, tmp_path)
    regions = page_data(path)["regions"]
    assert [regions["R1"]["n"], regions["R2"]["n"]] == names
    assert "{{ 6 * 7 }} map" in path.read_text(encoding="utf-8")


@pytest.mark.browser
@needs_browser
def test_xss_name_renders_as_text(tmp_path):
    path = tiny_map(tmp_path)
    with map_page(path.as_uri()) as (page, refused, errors):
        assert page.locator("path.atlas-region").count() == 2
        assert XSS_NAME in hover(page, "R1")
        assert XSS_NAME in open_profile(page, "R1")
        page.fill("#atlas-q", "<img")
        assert XSS_NAME in page.locator("#atlas-suggest").inner_text()
        assert page.evaluate("() => window.__xss") is None
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert refused == [] and errors == []


# ---------------------------------------------------------------- the real maps' data
@pytest.fixture(scope="module")
def real_data(real_maps: Path) -> dict[str, dict]:
    return {level: page_data(real_maps / name) for level, name in MAPS.items()}


def test_real_maps_follow_the_contract(real_maps, real_data):
    for level, data in real_data.items():
        assert validate(data) == [], level
        assert (real_maps / MAPS[level]).stat().st_size <= 6 * 1024 * 1024
        keys = [item["key"] for item in data["layers"]]
        assert keys[:2] == ["collapse_risk", "shock_x_absorption"], level
        assert {"pillar_shock", "pillar_absorption", "substitutable_share", "share_ge_50",
                "employment_change", "unemployment_persistent", "p_trap",
                "shock_central"} <= set(keys), level
        assert ("group_entropy" in keys) == (level != "country")
        assert ("self_employed_share" in keys) == (level == "country")
        assert ("m:ilo_genai_2025" in keys) == (level == "country")
        for item in data["layers"] + data["flags"]:
            assert item["label"] and item["what"], (level, item["key"])
        assert [f["key"] for f in data["flags"] if f["on"]] == ["transition_target"]
        biv = layer(data, "shock_x_absorption")
        assert len(biv["colors"]) == 9 and len(set(biv["colors"])) == 9
        assert len(biv["x_classes"]) == len(biv["y_classes"]) == 3
        assert {f["key"] for f in data["flags"]} >= {"transition_target", "trap"}
    assert layer(real_data["cn_city"], "collapse_risk")["label"].startswith("崩塌风险")
    assert layer(real_data["country"], "employment_change")["fmt"] == "pp"
    assert layer(real_data["us_area"], "employment_change")["fmt"] == "rate"


def test_bivariate_classes_are_tercile_pairs(real_data, atlas_con):
    regions = real_data["us_area"]["regions"]
    frame = atlas_con.execute("SELECT region_id, pillar_shock, pillar_absorption FROM "
                              "region_indices WHERE level = 'us_area'").df()
    x, _ = classify(frame.pillar_shock, "Quantiles", k=3, fmt="pctile")
    y, _ = classify(frame.pillar_absorption, "Quantiles", k=3, fmt="pctile")
    for rid, cx, cy in zip(frame.region_id, x, y, strict=True):
        assert regions[rid]["c"]["shock_x_absorption"] == 3 * cy + cx
    # exposed-but-resilient hubs and traps are different cells, and both exist
    cells = pd.Series([regions[r]["c"]["shock_x_absorption"] for r in frame.region_id])
    assert (cells == 2).sum() > 20 and (cells == 8).sum() > 10


def in_map(config: dict, name: str, level: str) -> str:
    """A method text as the level's map shows it: in each of its languages (the Chinese of
    atlas/spec/method_zh.toml first on the China page), every one from the config."""
    languages = load_map_specs()[level].languages
    return named_in(languages, config, name, level, named_text(config, name, level))


def test_texts_with_weights_come_from_the_stored_config(real_data, atlas_con):
    config = stored_config(atlas_con)
    for level, data in real_data.items():
        languages = load_map_specs()[level].languages
        flags = flags_in(languages, config, level, flag_texts(config, level))
        assert layer(data, "collapse_risk")["what"] == in_map(config, "risk", level)
        assert layer(data, "collapse_risk")["note"] == in_map(config, "risk_formula", level)
        assert layer(data, "collapse_risk")["note"].endswith(named_text(config, "risk_formula"))
        for pillar in ("shock", "absorption"):
            assert layer(data, f"pillar_{pillar}")["note"] == in_map(
                config, f"pillar:{pillar}", level)
        assert layer(data, "shock_central")["note"] == in_map(config, "scenario:central", level)
        for flag in data["flags"]:
            assert flag["what"] == flags[flag["key"]]
            assert flag["what"].endswith(flag_texts(config, level)[flag["key"]])
        assert all(any(shown.endswith(line) for shown in data["text"]["method"])
                   for line in component_summary(active_model(config), level))


def test_vintages_come_from_provenance(real_data, atlas_con):
    vintage = dict(atlas_con.execute("SELECT file, vintage FROM provenance").fetchall())
    sources = {level: " ".join(data["text"]["sources"]) for level, data in real_data.items()}
    assert vintage["us/oews_m2025_area_occ_all.parquet"] in sources["us_area"]
    assert vintage["cn/cn_city_employment_19sectors_2000_2022_ccsy.csv"] in sources["cn_city"]
    assert vintage["world/ilo_genai_exposure_2025_isco08_4digit.csv"] in sources["country"]
    assert vintage["us/oews_m2025_area_occ_all.parquet"] not in sources["country"]


def test_profiles_carry_pillars_trend_scenarios_and_reasons(real_data, atlas_con):
    us = real_data["us_area"]["regions"]
    detroit = us["19820"]
    rows = atlas_con.execute("SELECT component, value, score FROM region_components WHERE "
                             "level = 'us_area' AND region_id = '19820'").fetchall()
    shown = {c["key"]: c for p in detroit["pillars"] for c in p["components"]}
    assert set(shown) == {r[0] for r in rows}
    for component, value, score in rows:
        assert shown[component]["percentile"] == pytest.approx(score, abs=1e-5)
        scale = 100 if component == "substitutable_specialisation" else 1
        assert shown[component]["value"] == pytest.approx(value * scale, rel=1e-4)
    assert [p["key"] for p in detroit["pillars"]] == ["shock", "absorption"]
    assert detroit["trend"]["label"].startswith("Employment 2000-2023")
    assert len(detroit["trend"]["values"]) == 24
    assert [s["label"] for s in detroit["scenario"]] == ["Slow adoption", "Central adoption",
                                                         "Fast adoption"]
    target = atlas_con.execute("SELECT flag_transition_target FROM region_indices WHERE "
                               "level = 'us_area' AND region_id = '19820'").fetchone()[0]
    assert ("transition_target" in detroit["f"]) == bool(target) and "rust_belt" in detroit["f"]
    san_juan = " ".join(us["41980"]["missing"])
    assert "poverty" in san_juan and "SAIPE" in san_juan and "estimated" in san_juan
    country = real_data["country"]["regions"]
    modelled = atlas_con.execute("SELECT region_id FROM region_indices WHERE level = 'country' "
                                 "AND composition_source = 'modelled' LIMIT 1").fetchone()[0]
    assert any("No ILOSTAT occupations" in m for m in country[modelled]["missing"])
    assert "IND" in country["IND"]["alt"] and country["IND"]["s"].startswith("IND")
    assert any("Not drawn" in m for m in country["TUV"]["missing"])  # no Natural Earth shape
    assert not any("Not drawn" in m for m in country["IND"]["missing"])
    ordos = real_data["cn_city"]["regions"]["150600"]
    assert ordos["trend"]["label"].startswith("城镇单位就业 Urban-unit employment")
    assert ordos["pillars"][0]["label"] == "AI冲击 AI shock to the pillar jobs"
    kashgar = real_data["cn_city"]["regions"]["653100"]
    assert kashgar["nodata"] is True and "城市统计年鉴" in kashgar["reason"]
    for level in ("cn_city", "country"):  # in a fixed order, so every build writes one page
        unranked = [rid for rid, r in real_data[level]["regions"].items() if "reason" in r]
        assert len(unranked) >= 5 and unranked == sorted(unranked)
    zoned = [r["z"] for r in real_data["cn_city"]["regions"].values() if r.get("z")]
    assert zoned and all(z.count("Shenyang") <= 1 for z in zoned)


# ---------------------------------------------------------------- the index page
def test_index_links_maps_method_top20_and_diagnostics(real_maps, atlas_con):
    index = (real_maps / "index.html").read_text(encoding="utf-8")
    for name in MAPS.values():
        assert f"href='{name}'" in index
    config = stored_config(atlas_con)
    for item, text in method_lines(config):
        if item != "pillar":
            assert escape(text) in index, item
    assert "../../docs" not in index and "<script" not in index
    for level in ("us_area", "cn_city", "country", "us_state"):
        section = index.split(f"id='top-{level}'")[1].split("</section>")[0]
        assert section.count("<tr>") == 21, level  # header + top 20
        rho = atlas_con.execute("SELECT value FROM risk_diagnostics WHERE level = ? AND "
                                "diagnostic = 'spearman' AND other = 'ln_total_employment'",
                                [level]).fetchone()[0]
        assert f"log of jobs is {rho:+.2f}" in section, level
        diagnostics = section.split("Diagnostics")[1]
        for component in active_model(config).components:
            assert (escape(component.label) in diagnostics) == component.applies_to(level) or \
                component.label in [c.label for c in active_model(config).components_for(
                    level)], (level, component.label)
        for line in component_summary(active_model(config), level):
            assert escape(line) in section
    top = atlas_con.execute("SELECT name, flag_trap FROM region_indices WHERE level = "
                            "'us_area' AND risk_rank = 1").fetchone()
    row = index.split(escape(top[0]))[1].split("</tr>")[0]
    assert ("Traps" in row) == bool(top[1]) and "Transition targets" in row


def test_index_links_exports_relatively_and_escapes(tmp_path, built_atlas):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "a&b <x>.csv").write_text("x\n", encoding="utf-8")
    write_maps(built_atlas, tmp_path / "maps", specs={})
    index = (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    assert "href='../exports/a&amp;b &lt;x&gt;.csv'" in index
    assert "<x>" not in index


def test_index_escapes_region_names(tmp_path):
    from atlas.maps.index_page import index_page

    con = tiny_database(names=[XSS_NAME, "Plain Town"])
    page = index_page(con, [], load_declarations())
    assert XSS_NAME not in page and escape(XSS_NAME) in page


# ---------------------------------------------------------------- data, not code
def test_a_changed_weight_changes_the_map_and_index_texts(reweighted_maps, real_maps):
    con = duckdb.connect(str(reweighted_maps.parent / "atlas.duckdb"), read_only=True)
    try:
        config = stored_config(con)
    finally:
        con.close()
    assert config.risk.weights == {"prior_decline": 0.4}
    for level, name in MAPS.items():
        expected = in_map(config, "pillar:absorption", level)
        new, old = page_data(reweighted_maps / name), page_data(real_maps / name)
        assert layer(new, "pillar_absorption")["note"] == expected
        assert layer(old, "pillar_absorption")["note"] != expected
        assert [t for t in new["text"]["method"] if t not in old["text"]["method"]]
    line = next(line for line in component_summary(active_model(config), "us_area")
                if "Prior employment decline" in line)
    assert "Prior employment decline (lower = riskier, 0.35)" in line
    assert escape(line) in (reweighted_maps / "index.html").read_text(encoding="utf-8")
    assert escape(line) not in (real_maps / "index.html").read_text(encoding="utf-8")


def test_a_measure_flagged_map_layer_gets_a_layer(built_atlas, tmp_path, real_data):
    copy = tmp_path / "atlas.duckdb"
    shutil.copy(built_atlas, copy)
    con = duckdb.connect(str(copy))
    con.execute("ALTER TABLE measures ADD COLUMN IF NOT EXISTS map_layer BOOLEAN")
    con.execute("UPDATE measures SET map_layer = true WHERE measure = 'felten_aioe_pct'")
    con.close()
    con = duckdb.connect(str(copy), read_only=True)
    try:
        spec = load_map_specs()["us_area"]
        data = map_data(con, spec)
        label = con.execute("SELECT label FROM measures WHERE measure = 'felten_aioe_pct'"
                            ).fetchone()[0]
        values = dict(con.execute("SELECT region_id, exposure_mean FROM region_exposure WHERE "
                                  "level = 'us_area' AND measure = 'felten_aioe_pct'"
                                  ).fetchall())
    finally:
        con.close()
    added = layer(data, "m:felten_aioe_pct")
    assert added["label"] == f"Mean exposure under {label}" and added["fmt"] == "pct"
    assert added["what"] and validate(data) == []
    assert data["regions"]["19820"]["v"]["m:felten_aioe_pct"] == pytest.approx(
        values["19820"], abs=1e-5)
    assert not any(item["key"].startswith("m:felten") for d in real_data.values()
                   for item in d["layers"])


def test_maps_draw_only_declared_default_levels(atlas_con):
    assert [spec.level for spec in drawn_specs(atlas_con)] == list(MAPS)
    assert all("@" not in level for level in load_map_specs())


# ---------------------------------------------------------------- the real maps in a browser
@pytest.mark.browser
@needs_browser
def test_detroit_profile_in_words(real_maps, atlas_con):
    rank, low, high = atlas_con.execute(
        "SELECT risk_rank, rank_p05, rank_p95 FROM region_indices "
        "WHERE level = 'us_area' AND region_id = '19820'").fetchone()
    rows = atlas_con.execute("SELECT label, score FROM region_components WHERE level = "
                             "'us_area' AND region_id = '19820'").fetchall()
    pillars = atlas_con.execute("SELECT label, pillar_score FROM region_pillars WHERE level = "
                                "'us_area' AND region_id = '19820'").fetchall()
    with map_page((real_maps / "us_areas.html").as_uri()) as (page, refused, errors):
        tip = hover(page, "19820")
        assert "Detroit-Warren-Dearborn, MI" in tip and f"rank {rank} of 528" in tip
        text = open_profile(page, "19820")
        assert re.search(rf"Ranks {rank}(st|nd|rd|th) of 528 US areas", text)
        assert re.search(rf"between {int(low)}(st|nd|rd|th) and {int(high)}(st|nd|rd|th)",
                         text)
        for label, score in pillars + rows:
            whole = math.floor(100 * score + 0.5)  # as the page's Math.round
            assert label in text, label
            assert f"higher than {whole}% of US areas" in text or whole in (0, 100), label
        assert "Rust belt" in text and "industrial jobs at least" in text
        assert "Occupations with the most exposed jobs" in text
        assert "Slow adoption" in text and "percentage points" in text
        assert "over 10 years" in text and "(BLS OEWS May 2025" in text  # jobs: their source
        assert page.locator("#atlas-profile svg.atlas-spark polyline").count() == 1
        assert refused == [] and errors == []


@pytest.mark.browser
@needs_browser
def test_chinese_profile_is_bilingual(real_maps):
    with map_page((real_maps / "cn_cities.html").as_uri()) as (page, refused, errors):
        text = open_profile(page, "150600")
        assert "鄂尔多斯" in text and "Ordos" in text
        assert "排名" in text and "Ranks" in text and "采矿业 Mining" in text
        assert "风险来源 What drives the risk" in text and "AI冲击 AI shock" in text
        assert "城镇单位就业 Urban-unit employment" in text and "中 情景 Central adoption" in text
        page.locator("#atlas-q").fill("ordos")
        assert page.locator("#atlas-suggest li").first.get_attribute("data-id") == "150600"
        page.locator("#atlas-q").fill("鄂尔多")
        assert page.locator("#atlas-suggest li").first.get_attribute("data-id") == "150600"
        nodata = open_profile(page, "653100")  # Kashgar: no data
        assert "喀什" in nodata and "无数据 No data" in nodata
        assert refused == [] and errors == []


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("level, query, region", [("us_area", "youngst", "49660"),
                                                  ("country", "philipp", "PHL"),
                                                  ("cn_city", "hegang", "230400")])
def test_bivariate_legend_and_lower_case_search(real_maps, level, query, region):
    with map_page((real_maps / MAPS[level]).as_uri()) as (page, refused, errors):
        page.locator(".atlas-layers input[value='shock_x_absorption']").check()
        legend = page.locator(".atlas-legend")
        assert legend.locator(".atlas-bivariate rect").count() == 9
        counts = [int(t) for t in legend.locator(".atlas-biv-count").all_text_contents()]
        classed = page.evaluate("""() => { const m = window.atlasMap;
            return Object.keys(m.byId).filter((id) => m.data.regions[id] && !m.data.regions[id]
              .nodata && Number.isInteger(m.data.regions[id].c.shock_x_absorption)).length; }""")
        assert len(counts) == 9 and sum(counts) == classed > 100
        page.locator("#atlas-q").fill(query)
        ids = page.locator("#atlas-suggest li").evaluate_all(
            "items => items.map(i => i.dataset.id)")
        assert region in ids[:3], (query, ids)
        assert refused == [] and errors == []


@pytest.mark.browser
@needs_browser
def test_real_profile_stays_inside_the_window_near_every_edge(real_maps):
    targets = [(6, 300), (6, H - 6), (W / 2, 6), (W / 2, H - 6), (W - 6, H - 160),
               (W - 6, H / 2 + 300), (420, 140), (W - 330, 6)]
    with map_page((real_maps / "us_areas.html").as_uri(), W, H) as (page, refused, errors):
        page.evaluate("window.atlasMap.map.setView([38.5, -85], 6.5, {animate: false})")
        for tx, ty in targets:
            spot = page.evaluate("""([x, y]) => {
                for (let d = 0; d < 200; d += 4)
                for (const [dx, dy] of [[d, 0], [-d, 0], [0, d], [0, -d]]) {
                  const e = document.elementFromPoint(x + dx, y + dy);
                  if (e && e.classList.contains("atlas-region")) return [x + dx, y + dy];
                } return null; }""", [tx, ty])
            assert spot, (tx, ty)
            page.mouse.click(*spot)
            page.wait_for_selector("#atlas-profile:not([hidden])")
            assert inside(page.locator("#atlas-profile").bounding_box(), W, H), spot
            page.keyboard.press("Escape")
            assert page.locator("#atlas-profile").is_hidden()
        assert refused == [] and errors == []


@pytest.mark.browser
@needs_browser
def test_what_a_planner_s_review_found_stays_fixed(real_maps, atlas_con):
    """Search reads punctuation and "saint" loosely; a place without an outline opens on a
    phone; labels keep what tells two places apart; the saved PNG does not shift the map;
    the index page does not scroll sideways on a phone."""
    st_louis = atlas_con.execute("SELECT region_id FROM regions WHERE level = 'us_area' "
                                 "AND name LIKE 'St. Louis, %'").fetchone()[0]
    with map_page((real_maps / "us_areas.html").as_uri()) as (page, refused, errors):
        for query in ("st louis", "saint louis", "St. Louis"):
            page.locator("#atlas-q").fill(query)
            assert page.locator("#atlas-suggest li").first.get_attribute("data-id") == st_louis
        shifted = page.evaluate("""() => [...window.atlasMap.viewSvg().querySelectorAll("svg")]
            .filter((svg) => svg.style.transform).length""")
        assert shifted == 0
        assert refused == [] and errors == []
    with map_page((real_maps / "world.html").as_uri(), 390, 844, phone=True) as (
            page, refused, errors):
        page.locator("#atlas-q").fill("tuvalu")
        page.keyboard.press("Enter")
        wait_until(page, "() => window.atlasMap.state.selected === 'TUV'")
        assert "Tuvalu" in page.locator("#atlas-profile").inner_text()
        page.evaluate("window.atlasMap.map.setView([38, 127.5], 5, {animate: false})")
        labels = page.evaluate("""() => [...document.querySelectorAll(
            ".atlas-label:not([hidden])")].map((e) => e.textContent)""")
        assert "Korea" not in labels and "Korea, Rep." in labels
        for query, country in (("turkey", "TUR"), ("south korea", "KOR"), ("russia", "RUS")):
            page.locator("#atlas-q").fill(query)
            assert page.locator("#atlas-suggest li").first.get_attribute("data-id") == country
        assert refused == [] and errors == []
    with map_page((real_maps / "cn_cities.html").as_uri()) as (page, refused, errors):
        page.locator("#atlas-q").fill("harbin")  # CSMAR's English name (the pinyin: Haerbin)
        assert page.locator("#atlas-suggest li").first.get_attribute("data-id") == "230100"
        page.locator("#atlas-q").fill("liaoning")  # a province lists its cities
        ids = page.locator("#atlas-suggest li").evaluate_all("els => els.map(e => e.dataset.id)")
        assert ids and all(region.startswith("21") for region in ids)
        assert refused == [] and errors == []
    with chromium() as browser:
        page = browser.new_page(**PHONE)
        refused = []
        block_requests(page, refused)
        page.goto((real_maps / "index.html").as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert refused == []


def test_the_jobs_figure_names_its_own_inputs(real_data):
    """The profile's jobs come from OEWS (US), the yearbook (China) and, for countries, the
    population and employment rate they are estimated from ([level.map] jobs_inputs)."""
    sources = {level: data["text"]["employment_source"] for level, data in real_data.items()}
    assert sources["us_area"].startswith("BLS OEWS May 2025")
    assert sources["cn_city"].startswith("China City Statistical Yearbook")
    assert "population" in sources["country"] and "employment-to-population" in sources[
        "country"] and "ILOSTAT" not in sources["country"]


def test_asides_are_dropped_from_a_short_source_line():
    from atlas.maps.text import without_asides

    assert without_asides("BLS OEWS May 2025 (release 2025A01)") == "BLS OEWS May 2025"
    assert without_asides("UN population (the file (with notes) jumps), 2013; ILO") == (
        "UN population, 2013; ILO")
