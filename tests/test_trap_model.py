"""The trap model (#15): what collapse risk measures on the real atlas, its diagnostics, and
the checks of a configuration that changes it."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.engine.diagnostics import correlation_ratio
from atlas.errors import ConfigError
from atlas.exports.method_sheet import model_method
from atlas.spec.config import load_config
from atlas.spec.risk_model import active_model
from atlas.texts.catalog import apply_comments
from atlas.texts.method_text import column_texts
from atlas.texts.report import model_table
from tests.tiny import tiny_config, tiny_database

TECH_HUBS = ("San Jose-", "San Francisco-", "Seattle-", "Boston-", "Austin-",
             "Washington-Arlington", "Denver-")
CHINA_HUBS = ("北京市", "上海市", "深圳市", "杭州市")


def ranked(con, level: str) -> pd.DataFrame:
    return con.execute("""
        SELECT region_id, name, total_employment, collapse_risk, risk_rank, regions_in_level,
            pillar_shock, pillar_absorption, share_ge_50, flag_trap
        FROM region_indices WHERE level = ? AND collapse_risk IS NOT NULL""", [level]).df()


def diagnostic(con, level: str, name: str, item: str, other: str) -> float:
    row = con.execute("SELECT value FROM risk_diagnostics WHERE level = ? AND diagnostic = ? "
                      "AND item = ? AND other = ?", [level, name, item, other]).fetchone()
    assert row is not None, (level, name, item, other)
    return row[0]


def large_levels(con) -> list[str]:
    return [row[0] for row in con.execute("""
        SELECT r.level FROM region_indices AS r JOIN levels AS l USING (level)
        WHERE l.is_default GROUP BY r.level HAVING count(r.collapse_risk) >= 100
        ORDER BY r.level""").fetchall()]


def test_size_is_not_risk(atlas_con):
    levels = large_levels(atlas_con)
    assert {"us_area", "cn_city", "country"} <= set(levels)
    for level in levels:
        frame = ranked(atlas_con, level)
        frame = frame.loc[frame["total_employment"] > 0]
        rho = spearmanr(frame["collapse_risk"], np.log(frame["total_employment"])).statistic
        assert abs(rho) <= 0.3, (level, rho)
        stored = diagnostic(atlas_con, level, "spearman", "collapse_risk", "ln_total_employment")
        assert stored == pytest.approx(rho, abs=1e-9), level


def test_collapse_risk_rises_with_exposure_in_the_us(atlas_con):
    frame = ranked(atlas_con, "us_area")
    assert spearmanr(frame["collapse_risk"], frame["share_ge_50"]).statistic > 0
    assert diagnostic(atlas_con, "us_area", "spearman", "collapse_risk", "share_ge_50") > 0


def test_the_shock_pillar_carries_at_least_a_quarter_of_the_weight(atlas_con):
    for level in large_levels(atlas_con):
        shares = {pillar: diagnostic(atlas_con, level, "effective_weight_share", pillar,
                                     "pillar") for pillar in ("shock", "absorption")}
        assert shares["shock"] >= 0.25, (level, shares)
        assert shares["shock"] + shares["absorption"] == pytest.approx(1.0)


def test_exposed_hubs_with_capacity_are_not_traps(atlas_con):
    """Exposure alone is not a trap: the tech hubs are among the most exposed places and
    rank in the lower half of collapse risk."""
    for level, prefixes in (("us_area", TECH_HUBS), ("cn_city", CHINA_HUBS)):
        frame = ranked(atlas_con, level)
        hubs = frame.loc[frame["name"].str.startswith(prefixes)]
        assert len(hubs) == len(prefixes), level
        # exposed: in the top 30% of the shock pillar (China's hubs, whose many private and
        # individual workers join the denominator as not substitutable, at 0.72-0.95)
        assert (hubs["pillar_shock"] >= 0.7).all(), hubs
        assert (hubs["risk_rank"] > hubs["regions_in_level"] / 2).all(), hubs
        assert not hubs["flag_trap"].any()


def test_every_trap_has_both_the_shock_and_weak_absorption(atlas_con):
    traps = atlas_con.execute("""
        SELECT level, count(*), min(pillar_shock), min(pillar_absorption) FROM region_indices
        WHERE flag_trap GROUP BY level""").fetchall()
    assert {row[0] for row in traps} >= {"us_area", "cn_city", "country"}
    config = load_config()
    for level, count, shock, absorption in traps:
        assert count > 0 and min(shock, absorption) >= config.flags.trap_min_pillar, level


def test_periods_use_the_components_of_their_geography(atlas_con):
    rows = atlas_con.execute("""
        SELECT level, string_agg(component, ',' ORDER BY component) FROM risk_components
        WHERE model = 'trap' AND level LIKE 'cn_city%' GROUP BY level""").fetchall()
    sets = {components for _, components in rows}
    assert len(rows) == 17 and len(sets) == 1, rows
    assert "population_decline" in sets.pop()


def test_the_diagnostics_table_is_complete(atlas_con):
    kinds = dict(atlas_con.execute("SELECT diagnostic, count(*) FROM risk_diagnostics "
                                   "WHERE level = 'us_area' GROUP BY 1").fetchall())
    components = len(active_model(load_config()).components_for("us_area"))
    assert kinds["effective_weight"] == components + 2
    assert kinds["component_correlation"] == components * (components - 1) // 2
    moves = atlas_con.execute("SELECT count(*) FROM risk_v1_moves WHERE level = 'us_area'")
    assert moves.fetchone()[0] > 0


@pytest.mark.parametrize(("relation", "expected"), [
    ("identity", 1 - 1 / 10**2),  # 10 bins of a uniform x: Var(E[y|bin]) / Var(y) = 1 - 1/B^2
    ("independent", 0.0),
    ("half", (1 - 1 / 10**2) / 2),  # y = x + noise of equal variance
])
def test_the_effective_weight_is_the_first_order_index(relation, expected):
    rng = np.random.default_rng(7)
    x = rng.uniform(size=200_000)
    noise = rng.uniform(size=x.size)
    y = {"identity": x, "independent": noise, "half": x + noise}[relation]
    assert correlation_ratio(y, x) == pytest.approx(expected, abs=0.01)


def write_config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "key"), [
    ("[risk.weights]\nsubstitutable_shares = 0.5\n", "risk.weights.substitutable_shares"),
    ("[risk.weights]\nprior_decline = -0.1\n", "risk.weights"),
    ("[risk.weights]\nprior_decline = nan\n", "risk.weights"),
    ("[risk.weights]\nprior_decline = inf\n", "risk.weights"),
    ("[risk.pillar_weights]\nshock = 0\nabsorption = 0\n", "risk.pillar_weights"),
    ("[risk.weights]\nsubstitutable_share = 0\nsubstitutable_specialisation = 0\n",
     "risk.weights"),
])
def test_a_bad_weight_is_refused_naming_its_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        active_model(load_config(write_config(tmp_path, text)))


def one_component_model(**component) -> str:
    spec = {"component": "c", "label": "c", "pillar": "p", "indicator": "share_ge_50",
            "direction": "higher", "transform": "percentile", "weight": 1.0, **component}
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in spec.items())
    return ('[risk]\nmodel = "mine"\ncompare = []\n[risk.models.mine]\nlabel = "mine"\n'
            'aggregation = "geometric"\npillar_scale = "percentile"\n'
            '[risk.models.mine.pillars.p]\nlabel = "p"\nweight = 1\n'
            f'[[risk.models.mine.components]]\n{lines}\n')


@pytest.mark.parametrize(("component", "words"), [
    ({"transform": "log"}, "transform"),
    ({"direction": "up"}, "direction"),
    ({"pillar": "q"}, "pillar"),
    ({"weight": -1.0}, "weight"),
])
def test_a_bad_component_is_refused_naming_its_key(tmp_path, component, words):
    with pytest.raises(ConfigError, match=words):
        active_model(load_config(write_config(tmp_path, one_component_model(**component))))


@pytest.mark.parametrize(("component", "words"), [
    ({"indicator": "no_such_indicator"}, "components.c.indicator"),
    ({"levels": ["atlantis"]}, "components.c.levels': unknown level 'atlantis'"),
])
def test_an_unknown_indicator_or_level_is_refused_by_the_engine(tmp_path, component, words):
    config = load_config(write_config(tmp_path, one_component_model(**component)))
    config = config.replaced("exposure.default_measure", "m").replaced(
        "exposure.automation_measure", "m")
    with pytest.raises(ConfigError, match=words):
        tiny_database(config=config)


def test_a_bad_config_is_one_line_from_the_command_line(tmp_path):
    path = write_config(tmp_path, "[risk.weights]\nprior_decline = -1\n")
    result = CliRunner().invoke(app, ["build", "--config", str(path), "--data-dir",
                                      str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "risk.weights" in lines[0] and "Traceback" not in result.output


def test_a_changed_weight_changes_every_text_that_states_it(tmp_path):
    """--config: the database comments, the workbook's method sheet and the method document
    state the weights of the configuration the atlas was built with."""
    path = write_config(tmp_path, "[risk.pillar_weights]\nshock = 0.7\nabsorption = 0.3\n"
                                  "[risk.weights]\nsubstitutable_share = 0.9\n")
    config = load_config(path)
    config = config.replaced("exposure", tiny_config().exposure).replaced(
        "risk.v1", tiny_config().risk.v1)
    con = tiny_database(config=config)
    con.execute("CREATE TABLE build_info (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO build_info VALUES ('config', ?)", [config.to_json()])
    apply_comments(con, config)
    comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = "
                          "'region_indices' AND column_name = 'collapse_risk'").fetchone()[0]
    method = " ".join(text for _, text in model_method(con, "tiny"))
    default = column_texts(load_config())["collapse_risk"]
    for text in (comment, method, model_table(config)):
        assert "^0.7" in text and "^0.3" in text and "^0.5" not in text
    assert "weight 0.9" in comment and "weight 0.6" in default and "weight 0.6" not in comment
    # within the pillar 0.9 / (0.9 + 0.4) for a level with both shock components
    assert f"{0.9 / 1.3:.2f}" in method
    assert not math.isclose(config.risk.pillar_weights["shock"], 0.5)


def test_the_pillar_correlation_is_stored_as_computed(atlas_con):
    for level in large_levels(atlas_con):
        frame = ranked(atlas_con, level)
        rho = spearmanr(frame["pillar_shock"], frame["pillar_absorption"]).statistic
        stored = diagnostic(atlas_con, level, "pillar_correlation", "shock", "absorption")
        assert stored == pytest.approx(rho, abs=1e-9), level


def test_the_generated_documents_are_up_to_date(atlas_con):
    """README's diagnostics and top regions, docs/method.md's model and
    docs/risk_diagnostics.md are generated from the atlas: `atlas report --update-docs`."""
    from atlas.texts.report import generated_documents

    for path, text in generated_documents(atlas_con).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date: run `atlas report --update-docs`")


def test_each_comparison_model_is_explained_by_its_own_components():
    """The v1-move words name the two strongest components (ties by name, as printed), and
    a second comparison model's components never leak into another model's explanation."""
    from atlas.engine.diagnostics import strongest_components

    components = pd.DataFrame({
        "model": ["v1", "v1", "v1", "v0", "v0", "v1"],
        "region_id": ["a", "a", "a", "a", "a", "b"],
        "component": ["size", "rate", "loss", "other", "more", "size"],
        "score": [0.304, 0.30, 0.9, 0.99, 0.98, 0.5]})
    labels = {"size": "Small size", "rate": "Unemployment rate"}
    regions = pd.Index(["a", "b", "c"])
    words = strongest_components(components.loc[components["model"] == "v1"], regions, labels)
    assert words.to_dict() == {"a": "loss 90%, Unemployment rate 30%", "b": "Small size 50%",
                               "c": ""}


def test_component_words_are_those_of_the_region_s_level(atlas_con):
    """low_income is Child poverty in the US and Low GDP per head elsewhere: each level's v1
    moves use its own words, and the column comment names both variants."""
    words = dict(atlas_con.execute("""
        SELECT level, string_agg(why, ' ') FROM risk_v1_moves
        WHERE level IN ('us_area', 'us_state', 'cn_city', 'country') GROUP BY level""").fetchall())
    assert words and not any("Low GDP per head" in words.get(level, "")
                             for level in ("us_area", "us_state"))
    assert not any("poverty" in words.get(level, "") for level in ("cn_city", "country"))
    assert "Child poverty" in words.get("us_area", "") + words.get("us_state", "")
    comment = atlas_con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = "
                                "'region_indices' AND column_name = 'risk_p_low_income'"
                                ).fetchone()[0]
    assert ("'Child poverty' (child_poverty_rate, higher = riskier; us_area, us_state)"
            in comment)
    assert "'Low GDP per head' (gdp_per_capita, lower = riskier; cn_city, country)" in comment
