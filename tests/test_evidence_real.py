"""The evidence of the atlas built from the real inputs: the published national totals, the
validation table and `atlas validate`, the backtests recomputed independently, the shift
projection and the lineage of the headline."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.engine.shift import TOTAL_CODE, panel_total, sector_panels
from atlas.sources.inputs import Inputs, load_manifest
from atlas.spec.evidence import evidence


def test_national_sums_match_the_published_oews_totals(data_dir):
    """The sum over the 20 sectors is the published national total: 147.9M in May 2022 and
    155.5M in May 2025 (BLS rounds to the nearest 10 jobs per cell)."""
    panels = sector_panels(Inputs(data_dir), evidence()["shift"])
    assert panel_total(panels, "2022") == pytest.approx(147.9e6, abs=0.05e6)
    assert panel_total(panels, "after") == pytest.approx(155.5e6, abs=0.05e6)
    assert sorted(set(panels["sector"])) == sorted(
        set(panels.loc[panels["panel"] == "after", "sector"]))  # the same 20 sectors
    assert panels["sector"].nunique() == 20
    detailed = panels.loc[(panels["panel"] == "after") & (panels["occupation"] != TOTAL_CODE)]
    # suppressed cells: the detailed occupations cover most but not all of the total
    assert 0.97 < detailed["jobs"].sum() / panel_total(panels, "after") <= 1.0


def read(database, query: str) -> pd.DataFrame:
    """A query on the built atlas with a connection of its own (closed at once, so that the
    CLI's connection may open the file afterwards)."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(query).df()
    finally:
        con.close()


def test_atlas_validate_holds_on_the_real_build(built_atlas):
    result = CliRunner().invoke(app, ["validate", "--db", str(built_atlas)])
    assert result.exit_code == 0, result.output
    table = read(built_atlas, "SELECT * FROM validation")
    lines = result.output.strip().splitlines()
    assert len(lines) == len(table) + 1
    assert table.loc[table["gates"], "holds"].all()
    declared = {f["check"] for f in evidence()["figure"]}
    assert set(table["check"]) == declared


def test_substitutable_jobs_fell_behind_since_2022(atlas_con):
    """The national finding, recomputed from occupation_shift without the atlas's code."""
    shift = atlas_con.execute("SELECT * FROM occupation_shift").df().dropna(
        subset=["growth", "substitutable"])
    sub = (shift["matched_after"] * shift["substitutable"]).sum() \
        / (shift["matched_before"] * shift["substitutable"]).sum()
    rest = (shift["matched_after"] * (1 - shift["substitutable"])).sum() \
        / (shift["matched_before"] * (1 - shift["substitutable"])).sum()
    stored = atlas_con.execute("SELECT value FROM validation "
                               "WHERE \"check\" = 'shift_substitutable_vs_rest'").fetchone()[0]
    assert stored == pytest.approx(100 * (sub - rest), abs=1e-9)


def test_the_projection_is_the_mix_times_the_national_trend(atlas_con):
    employment = atlas_con.execute(
        "SELECT region_id, category, employment FROM employment WHERE level = 'us_state'"
    ).df()
    trend = atlas_con.execute(
        "SELECT occupation AS category, growth, substitutable FROM occupation_shift").df()
    frame = employment.merge(trend, on="category", how="left")
    frame["sub"] = frame["employment"] * frame["substitutable"].fillna(0)
    frame["after"] = frame["sub"] * frame["growth"].fillna(1.0)
    sums = frame.groupby("region_id")[["sub", "after"]].sum()
    expected = 100 * (sums["after"] / sums["sub"] - 1)
    stored = atlas_con.execute("""
        SELECT region_id, substitutable_trend_change FROM region_indices
        WHERE level = 'us_state'""").df().set_index("region_id")["substitutable_trend_change"]
    pd.testing.assert_series_equal(stored.sort_index(), expected.reindex(stored.index)
                                   .sort_index(), check_names=False, atol=1e-9)


def test_a_china_window_recomputed_independently(atlas_con):
    """collapse_risk at 2007 against urban-unit employment 2007 -> 2016, on the cities with
    every predictor, breaks beyond 3x dropped: scipy on the raw tables gives the stored
    Spearman."""
    settings = evidence()["backtest"]["cn_city"]
    columns = ["collapse_risk", "pillar_shock", "pillar_absorption",
               *[b["indicator"] for b in settings["baselines"].values()]]
    indices = atlas_con.execute(f"""
        SELECT region_id, {', '.join(columns)} FROM region_indices
        WHERE level = 'cn_city@2007'""").df().set_index("region_id").dropna()
    series = atlas_con.execute("""
        SELECT region_id, year, value FROM region_series
        WHERE level = 'cn_city' AND series = 'employment' AND year IN (2007, 2016)""").df()
    wide = series.pivot_table(index="region_id", columns="year", values="value")
    growth = (wide[2016] / wide[2007]).loc[lambda g: (g < 3) & (g > 1 / 3)]
    joined = indices.join(growth.rename("growth"), how="inner").dropna()
    expected = spearmanr(joined["collapse_risk"], -joined["growth"]).statistic
    stored = atlas_con.execute("""
        SELECT spearman, regions, spearman_p05, spearman_p95 FROM backtest
        WHERE geography = 'cn_city' AND years = '2007-2016' AND outcome = 'employment'
          AND predictor = 'collapse_risk'""").fetchone()
    assert stored[1] == len(joined)
    assert stored[0] == pytest.approx(expected, abs=1e-12)
    assert stored[2] < stored[0] < stored[3]


def test_every_backtest_window_the_data_allow_is_there(atlas_con):
    backtest = atlas_con.execute("SELECT * FROM backtest").df()
    china = backtest.loc[(backtest["geography"] == "cn_city")
                         & (backtest["outcome"] == "employment")]
    last = atlas_con.execute("SELECT max(year) FROM region_series WHERE level = 'cn_city' "
                             "AND series = 'employment'").fetchone()[0]
    years = atlas_con.execute("""
        SELECT CAST(period AS INTEGER) FROM levels WHERE geography = 'cn_city'""").fetchall()
    expected = set()
    for (year,) in years:
        if last - year >= 5:
            expected |= {(year, k) for k in (5, 9, last - year) if k <= last - year}
    assert set(zip(china["model_year"], china["horizon"], strict=True)) == expected
    assert set(china["predictor"]) >= {"collapse_risk", "pillar_shock", "pillar_absorption",
                                       "prior_employment_decline", "prior_population_decline",
                                       "size", "gdp_per_head"}
    split = backtest.loc[backtest["kind"] == "split_sample"]
    assert set(split["role"]) == {"model", "baseline", "in-sample"}
    assert (split["years"] == "2013-2023").all() and split["regions"].min() > 500
    for name in ("spearman", "hit_rate"):
        ok = backtest[f"{name}_p05"] <= backtest[name] + 1e-12
        ok &= backtest[name] <= backtest[f"{name}_p95"] + 1e-12
        assert ok.all(), name


def test_lineage_covers_every_headline_column(atlas_con):
    lineage = atlas_con.execute("SELECT * FROM lineage").df()
    components = atlas_con.execute("""
        SELECT c.level, c.component FROM risk_components AS c
        JOIN (SELECT DISTINCT level, risk_model FROM region_risk) AS r
          ON r.level = c.level AND r.risk_model = c.model""").df()
    for level, rows in components.groupby("level"):
        columns = set(lineage.loc[lineage["level"] == level, "column"])
        assert {f"risk_p_{c}" for c in rows["component"]} | {"collapse_risk"} <= columns
        assert any(c.startswith("pillar_") for c in columns), level
    specs = load_manifest()
    keys = {k for text in lineage["inputs"] for k in text.split(", ") if k}
    assert keys <= set(specs)
    provenance = dict(atlas_con.execute("SELECT file, sha256 FROM provenance").fetchall())
    for text in lineage["sha256"]:
        for part in filter(None, text.split("; ")):
            path, digest = part.rsplit(": ", 1)
            assert provenance[path].startswith(digest), path


def test_explain_prints_the_chain_to_the_rank(built_atlas):
    region_id, rank, regions = read(built_atlas, """
        SELECT region_id, risk_rank, regions_in_level FROM region_indices
        WHERE level = 'us_area' ORDER BY risk_rank LIMIT 1""").iloc[0]
    result = CliRunner().invoke(app, ["validate", "--db", str(built_atlas),
                                      "--explain", region_id])
    assert result.exit_code == 0, result.output
    assert f"rank {rank} of {regions}" in result.output.splitlines()[0]
    assert "sha256:" in result.output and "formula:" in result.output
    ambiguous = CliRunner().invoke(app, ["validate", "--db", str(built_atlas),
                                         "--explain", "Springfield"])
    assert ambiguous.exit_code == 1
    assert "give the region_id or --level" in ambiguous.output
    assert "Traceback" not in ambiguous.output


def test_the_us_map_shows_the_trend_since_2022_with_its_caveat(built_atlas):
    """A layer and a profile line per area; label and vintage from the database; the
    caveat that it applies national trends to local mixes."""
    import duckdb

    from atlas.maps.data import map_data
    from atlas.maps.specs import load_map_specs

    con = duckdb.connect(str(built_atlas), read_only=True)
    try:
        data = map_data(con, load_map_specs()["us_area"])
        label = con.execute("""SELECT label FROM context_indicators WHERE level = 'us_area'
            AND indicator = 'substitutable_trend_change'""").fetchone()[0]
        values = dict(con.execute("""SELECT region_id, substitutable_trend_change
            FROM region_indices WHERE level = 'us_area'""").fetchall())
    finally:
        con.close()
    layer = next(x for x in data["layers"] if x["key"] == "substitutable_trend_change")
    assert label in layer["label"] and "not a forecast" in layer["what"]
    region_id = next(iter(values))
    line = data["regions"][region_id]["lines"][0]
    assert line[0].startswith(label) and line[1] == pytest.approx(values[region_id], abs=1e-4)
    assert "not a forecast" in line[3]
