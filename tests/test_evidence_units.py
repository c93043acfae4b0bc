"""The evidence machinery on small hand-made inputs: ranks, Spearman and hit rates of the
backtests, the common support of the national trend, the shift-share projection, the
validation table and the exit status of ``atlas validate``."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata, spearmanr
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.engine.backtest_metrics import evaluate, ranks
from atlas.engine.shift import occupation_trend, substitution_gap
from atlas.engine.validate_figures import Context, check_lines, failed, validation_table
from atlas.errors import ConfigError
from atlas.spec.evidence import evidence
from atlas.store.sql_files import run_sql_file

SETTINGS = {"bootstrap": 300, "top_share": 0.1, "bottom_quantile": 0.25}


def test_ranks_average_ties_like_scipy():
    rng = np.random.default_rng(1)
    values = np.round(rng.random((50, 40)) * 8)  # many ties
    assert np.array_equal(ranks(values), rankdata(values, axis=-1))


def test_spearman_and_hit_rate_agree_with_their_definitions():
    rng = np.random.default_rng(2)
    n = 200
    growth = pd.Series(np.exp(rng.normal(0, 0.2, n)), index=[f"r{i}" for i in range(n)])
    scores = pd.DataFrame({"noisy": -np.log(growth) + rng.normal(0, 0.3, n),
                           "perfect": -np.log(growth), "opposite": np.log(growth)},
                          index=growth.index)
    out = evaluate(scores, growth, SETTINGS, seed=7).set_index("predictor")
    expected = spearmanr(scores["noisy"], -growth).statistic
    assert out.loc["noisy", "spearman"] == pytest.approx(expected, abs=1e-12)
    assert out.loc["perfect", "spearman"] == pytest.approx(1.0)
    assert out.loc["opposite", "spearman"] == pytest.approx(-1.0)
    # the top decile of a perfect predictor is all in the bottom growth quartile
    assert out.loc["perfect", "hit_rate"] == 1.0 and out.loc["opposite", "hit_rate"] == 0.0
    top = scores["noisy"] >= scores["noisy"].quantile(0.9)
    low = growth <= growth.quantile(0.25)
    assert out.loc["noisy", "hit_rate"] == pytest.approx((top & low).sum() / top.sum())
    for name in ("spearman", "hit_rate"):
        assert (out[f"{name}_p05"] <= out[name] + 1e-12).all()
        assert (out[name] <= out[f"{name}_p95"] + 1e-12).all()
    again = evaluate(scores, growth, SETTINGS, seed=7).set_index("predictor")
    pd.testing.assert_frame_equal(out, again)  # a fixed seed gives the same intervals


def test_the_trend_uses_the_sectors_published_in_both_panels():
    panels = pd.DataFrame({
        "panel": ["2022", "2022", "after", "after", "2022", "after"],
        "sector": ["s1", "s2", "s1", "s2", "s1", "s1"],
        "occupation": ["11-1011", "11-1011", "11-1011", "11-1011", "43-4051", "43-4051"],
        "jobs": [100.0, np.nan, 110.0, 40.0, 50.0, 40.0]})
    trend = occupation_trend(panels, "2022").set_index("occupation")
    assert trend.loc["11-1011", "growth"] == pytest.approx(1.1)  # s2 suppressed in 2022
    assert trend.loc["11-1011", "coverage"] == pytest.approx(110 / 150)
    assert trend.loc["43-4051", "growth"] == pytest.approx(0.8)
    trend["substitutable"] = [0.0, 1.0]
    gap = substitution_gap(trend.reset_index())
    assert gap["value"] == pytest.approx(100 * ((0.8 - 1) - (1.1 - 1)))


def test_the_projection_applies_national_trends_to_each_mix():
    con = duckdb.connect()
    con.execute("CREATE TABLE levels AS SELECT 'a' AS level, 't' AS taxonomy")
    con.execute("""CREATE TABLE employment AS SELECT * FROM (VALUES
        ('a', 'R1', 'x', 100.0), ('a', 'R1', 'y', 300.0), ('a', 'R2', 'x', 50.0),
        ('a', 'R2', 'z', 50.0)) AS t(level, region_id, category, employment)""")
    con.execute("""CREATE TABLE occupation_shift AS SELECT * FROM (VALUES
        ('x', 0.5, 1.0), ('y', 1.2, 0.0)) AS t(occupation, growth, substitutable)""")
    run_sql_file(con, "shift_projection.sql", taxonomy="t", measure="m", power=1.0)
    rows = con.execute("SELECT * FROM shift_projection ORDER BY region_id").df()
    r1, r2 = rows.iloc[0], rows.iloc[1]
    assert r1["substitutable_change_pct"] == pytest.approx(-50.0)
    assert r1["jobs_change_pct"] == pytest.approx(100 * ((50 + 360) / 400 - 1))
    assert r2["trend_coverage"] == pytest.approx(0.5)  # z has no national trend: held
    assert r2["jobs_change_pct"] == pytest.approx(100 * ((25 + 50) / 100 - 1))


def test_a_missed_reference_fails_and_a_known_gap_does_not():
    ctx = Context(con=None, inputs=None, shift={"totals": {"2022": 100.0, "after": 90.0}})
    figures = [
        {"check": "good", "figure": "sector_total", "args": {"panel": "2022"},
         "reference": 100.4, "tolerance": 0.5, "unit": "jobs", "source": "s"},
        {"check": "bad", "figure": "sector_total", "args": {"panel": "after"},
         "reference": 100.0, "tolerance": 0.5, "unit": "jobs", "source": "s"},
        {"check": "gap", "figure": "sector_total", "args": {"panel": "after"},
         "reference": 100.0, "tolerance": 0.5, "unit": "jobs", "source": "s", "gates": False}]
    table = validation_table(ctx, figures)
    assert table["holds"].tolist() == [True, False, False]
    assert failed(table)["check"].tolist() == ["bad"]
    lines = check_lines(table)
    assert [line.split()[0] for line in lines] == ["ok", "FAIL", "gap"]
    with pytest.raises(ConfigError, match="unknown figure"):
        validation_table(ctx, [{**figures[0], "figure": "nope"}])


def test_evidence_declarations_are_checked(tmp_path):
    text = ('[[figure]]\ncheck = "a"\nfigure = "sector_total"\nsource = "s"\n'
            '[[figure]]\ncheck = "a"\nfigure = "sector_total"\nsource = "s"\n')
    (tmp_path / "twice.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="declared twice"):
        evidence(tmp_path / "twice.toml")
    (tmp_path / "typo.toml").write_text(
        '[[figure]]\ncheck = "a"\nfigure = "f"\nsource = "s"\ntolerence = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown keys"):
        evidence(tmp_path / "typo.toml")
    assert {f["check"] for f in evidence()["figure"]} >= {
        "eloundou_share_ge_10", "eloundou_share_ge_50", "oews_sector_sum_may2022",
        "oews_sector_sum_may2025"}


@pytest.mark.parametrize(("holds", "status"), [(True, 0), (False, 1)])
def test_atlas_validate_exits_1_when_a_gating_check_fails(tmp_path, holds, status):
    db = tmp_path / "atlas.duckdb"
    con = duckdb.connect(str(db))
    con.execute("""CREATE TABLE validation AS SELECT 'c1' AS "check", 1.0 AS reference,
        0.1 AS tolerance, 1.05 AS value, true AS holds, true AS gates, 'share' AS unit,
        'src' AS source, 'how' AS detail, '' AS note
        UNION ALL SELECT 'c2', 2.0, 0.1, 2.5, ?, true, 'share', 'src', 'how', ''""", [holds])
    con.close()
    result = CliRunner().invoke(app, ["validate", "--db", str(db)])
    assert result.exit_code == status, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("ok   c1")
    assert lines[1].startswith("ok   c2" if holds else "FAIL c2")


def test_the_bootstrap_does_not_depend_on_the_row_order():
    """The database returns rows in any order: the intervals must not follow it."""
    rng = np.random.default_rng(3)
    n = 120
    growth = pd.Series(np.exp(rng.normal(0, 0.2, n)), index=[f"r{i:03d}" for i in range(n)])
    scores = pd.DataFrame({"s": -np.log(growth) + rng.normal(0, 0.5, n)}, index=growth.index)
    shuffled = scores.sample(frac=1.0, random_state=4)
    a = evaluate(scores, growth, SETTINGS, seed=9)
    b = evaluate(shuffled, growth.sample(frac=1.0, random_state=5), SETTINGS, seed=9)
    pd.testing.assert_frame_equal(a, b)
