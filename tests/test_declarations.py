"""Levels, measures and crosswalks declared as data: the registry, a new measure (Microsoft's
observed AI applicability) and a time dimension (China's cities 2003-2019)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from atlas.errors import ConfigError
from atlas.sources.registry import taxonomy_order
from atlas.spec import declarations
from atlas.spec.declarations import LevelDecl, resolve

ROOT = Path(__file__).resolve().parent.parent


def test_every_declared_function_resolves():
    names = [d.reader for d in declarations.levels()]
    names += [m.reader for m in declarations.measures() if m.reader]
    names += [c.builder for c in declarations.crosswalks()]
    names += list(declarations.arrival_hooks().values())
    assert all(callable(resolve(name)) for name in names)
    with pytest.raises(ConfigError, match="atlas.nowhere:read"):
        resolve("atlas.nowhere:read")


def test_the_crosswalk_graph_is_ordered_and_reaches_every_level_taxonomy():
    order = taxonomy_order({m.taxonomy: None for m in declarations.measures()})
    position = {taxonomy: i for i, taxonomy in enumerate(order)}
    for edge in declarations.crosswalks():
        assert position[edge.source] < position[edge.target]
    targets = {d.taxonomy for d in declarations.levels()}
    assert targets <= set(order)


def test_level_ids_per_period():
    decl = LevelDecl("cn_city", "cn_city", "", "x:y", "t", "cn_city", periods=(2010, 2019),
                     default_period=2019)
    assert [decl.level_id(p) for p in decl.instances()] == ["cn_city@2010", "cn_city"]


def test_a_bad_declaration_is_refused_with_its_name(tmp_path):
    text = (ROOT / "atlas" / "spec" / "measures.toml").read_text(encoding="utf-8")
    bad = tmp_path / "measures.toml"
    bad.write_text(text.replace('scale = "usage"', 'scale = "usages"', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="microsoft_ai_applicability.*scale 'usages'"):
        declarations.measures(bad)


def test_proof_1_is_a_reader_and_an_entry():
    """The new measure needs nothing but its reader module and its declarations."""
    declared = tomllib.loads(
        (ROOT / "atlas" / "spec" / "measures.toml").read_text(encoding="utf-8"))
    entry = next(m for m in declared["measure"] if m["name"] == "microsoft_ai_applicability")
    assert entry["reader"] == "atlas.sources.exposure.microsoft:read" and entry["scale"] == "usage"
    assert (ROOT / "atlas" / "sources" / "exposure" / "microsoft.py").is_file()
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "atlas").rglob("*.py")
                   if p.name != "microsoft.py")
    assert "microsoft" not in code  # no engine, map, export or catalog code names it


def test_the_new_measure_reaches_every_level(atlas_con):
    row = atlas_con.execute("SELECT scale, role, map_layer FROM measures "
                            "WHERE measure = 'microsoft_ai_applicability'").fetchone()
    assert row == ("usage", "exposure", True)
    levels = {r[0] for r in atlas_con.execute(
        "SELECT DISTINCT level FROM region_exposure WHERE measure = "
        "'microsoft_ai_applicability' AND exposure_mean IS NOT NULL").fetchall()}
    assert {"us_area", "cn_city", "country"} <= levels
    # a usage measure gets no task-share thresholds
    thresholds = atlas_con.execute("SELECT count(ge_50), count(ge_10) FROM exposure_scores "
                                   "WHERE measure = 'microsoft_ai_applicability'").fetchone()
    assert thresholds == (0, 0)


def test_the_new_measure_agrees_with_the_others(atlas_con):
    """Observed use and rated exposure agree across occupations (Spearman about 0.7 with
    Eloundou GPT-4 beta and Felten AIOE) and more across areas (about 0.86)."""
    occupations = atlas_con.execute("""
        SELECT s.category,
            max(score) FILTER (WHERE measure = 'microsoft_ai_applicability') AS usage,
            max(score) FILTER (WHERE measure = 'eloundou_gpt4_beta') AS beta,
            max(score) FILTER (WHERE measure = 'felten_aioe') AS aioe
        FROM exposure_scores AS s JOIN categories AS c USING (taxonomy, category)
        WHERE taxonomy = 'soc2018' AND c.national_employment IS NOT NULL
        GROUP BY s.category""").df()
    rho = occupations[["usage", "beta", "aioe"]].corr(method="spearman")["usage"]
    assert rho["beta"] > 0.6 and rho["aioe"] > 0.6
    areas = atlas_con.execute("""
        SELECT region_id,
            max(exposure_mean) FILTER (WHERE measure = 'microsoft_ai_applicability') AS usage,
            max(exposure_mean) FILTER (WHERE measure = 'eloundou_gpt4_beta') AS beta
        FROM region_exposure WHERE level = 'us_area' GROUP BY region_id""").df()
    assert areas["usage"].corr(areas["beta"], method="spearman") > 0.8


def test_the_new_measure_is_in_the_uncertainty_analysis(atlas_con):
    measures = atlas_con.execute("""SELECT DISTINCT measure FROM region_exposure
        WHERE level = 'us_area' AND substitutable_share IS NOT NULL""").df()["measure"]
    assert "microsoft_ai_applicability" in set(measures)


def test_proof_2_periods_of_chinese_cities(atlas_con):
    periods = atlas_con.execute("SELECT period FROM levels WHERE geography = 'cn_city' "
                                "ORDER BY period").df()["period"].tolist()
    assert periods == list(range(2003, 2020))
    default = atlas_con.execute("SELECT level FROM levels WHERE geography = 'cn_city' "
                                "AND is_default").fetchall()
    assert default == [("cn_city",)]
    counts = atlas_con.execute("""SELECT l.period, count(i.collapse_risk) FROM levels AS l
        JOIN region_indices AS i USING (level) WHERE l.geography = 'cn_city'
        GROUP BY l.period""").fetchall()
    assert all(270 <= n <= 300 for _, n in counts)


def test_the_trend_view_joins_the_periods(atlas_con):
    trend = atlas_con.execute("SELECT * FROM v_cn_city_trend").df()
    fuxin = trend.loc[trend["name"].str.contains("Fuxin")].set_index("year")
    assert list(fuxin.index) == list(range(2003, 2020))
    assert (fuxin["change_from"] == 2010).all() and (fuxin["change_to"] == 2019).all()
    expected = fuxin.loc[2019, "group_entropy"] - fuxin.loc[2010, "group_entropy"]
    assert fuxin["group_entropy_change"].iloc[0] == pytest.approx(expected)
    # the default period is the plain level: the same numbers as region_indices
    latest = atlas_con.execute("SELECT collapse_risk FROM region_indices WHERE level = "
                               "'cn_city' AND name LIKE '%Fuxin%'").fetchone()[0]
    assert fuxin.loc[2019, "collapse_risk"] == pytest.approx(latest)


def test_period_context_uses_its_own_window(atlas_con, data_dir):
    yearbook = pd.read_csv(data_dir / "cn" / "cn_city_employment_19sectors_2000_2022_ccsy.csv",
                           dtype={"adcode_cnmaps": str})
    city = yearbook.loc[yearbook["adcode_cnmaps"] == "210900"].set_index("year")  # Fuxin
    expected = 100 * (city.loc[2012, "emp_units_total_10k"]
                      / city.loc[2003, "emp_units_total_10k"] - 1)
    value = atlas_con.execute("SELECT value FROM region_context WHERE level = 'cn_city@2012' "
                              "AND region_id = '210900' AND indicator = 'employment_change'"
                              ).fetchone()[0]
    assert value == pytest.approx(expected)
    vintage = atlas_con.execute("SELECT vintage FROM context_indicators WHERE level = "
                                "'cn_city@2012' AND indicator = 'employment_change'").fetchone()
    assert vintage == ("2003-2012",)


def test_proof_2_the_northeast_fills_the_top_decile(atlas_con):
    """docs/china.md: Heilongjiang, Jilin and Liaoning hold 12% of the ranked cities, 10% of
    the top decile in 2003 and 53% in 2019 (notebook 04)."""
    shares = dict(atlas_con.execute("""
        SELECT t.year, avg(CASE WHEN a.province IN ('黑龙江省', '吉林省', '辽宁省')
            THEN 1.0 ELSE 0.0 END) FILTER (WHERE t.risk_rank <= ceil(0.1 * t.regions_in_level))
        FROM v_cn_city_trend AS t
        JOIN region_attributes_wide AS a ON a.level = 'cn_city' AND a.region_id = t.region_id
        WHERE t.collapse_risk IS NOT NULL GROUP BY t.year""").fetchall())
    assert round(shares[2003], 2) == 0.10 and round(shares[2019], 2) == 0.53
