"""The rebuild's after phase (issue #32 item 3, round s9): the trap zones' contiguity keyed
by the stored polygons without parsing them, the heavy libraries off the build's own
process, and the backtests written last with the comments of one call."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from atlas.build.database import LAST
from atlas.engine import clusters
from atlas.spec.config import load_config
from atlas.store.cache import geometry_cache
from atlas.texts.catalog import apply_comments


def test_contiguity_from_the_stored_wkb_is_that_of_the_parsed_polygons(fixture_con, tmp_path,
                                                                          monkeypatch):
    """Per level: the rows read without geometry parsing are the parsed frame's, and the
    pairs keyed by the stored WKB are those of the parsed polygons under the same cache key
    (found in the cache, never computed again), so a cache filled by an earlier build stays
    valid."""
    parsed = clusters.ranked_regions(fixture_con)
    rows = clusters.ranked_rows(fixture_con)
    assert list(parsed) == list(rows) and len(rows) >= 2
    for level, frame in parsed.items():
        plain = pd.DataFrame(frame.drop(columns="geometry"))
        assert plain.equals(rows[level].drop(columns="geometry")), level
    with geometry_cache(tmp_path / "cache"):
        before = {level: clusters.contiguity_pairs(frame) for level, frame in parsed.items()}
    assert any(len(pairs) for pairs in before.values())

    def computed(frame):
        raise AssertionError("the pairs were computed again: another cache key")

    monkeypatch.setattr(clusters, "_neighbour_pairs", computed)
    with geometry_cache(tmp_path / "cache"):
        for level, level_rows in rows.items():
            pairs = clusters.wkb_contiguity_pairs(level_rows["geometry"].map(bytes).tolist(),
                                                  clusters.CRS)
            assert pairs.equals(before[level]), level


def test_contiguity_from_the_stored_wkb_is_computed_on_a_miss(fixture_con):
    """Without a cache the WKB path parses the polygons and finds the same pairs."""
    for level, frame in clusters.ranked_regions(fixture_con).items():
        wkb = clusters.ranked_rows(fixture_con, [level])[level]["geometry"].map(bytes).tolist()
        assert clusters.wkb_contiguity_pairs(wkb, clusters.CRS).equals(
            clusters.contiguity_pairs(frame)), level


def test_the_build_module_imports_no_geometry_library():
    """A rebuild finds the contiguity in the cache: the build's modules import neither
    geopandas, shapely nor SciPy's spatial package (about 0.6 s), nor the trap zones' esda
    and libpysal."""
    heavy = ("geopandas", "shapely", "scipy.spatial", "esda", "libpysal")
    code = ("import sys, atlas.build.pipeline, atlas.build.database, atlas.engine.clusters; "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def _comments(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("""
        SELECT 'table', table_name, NULL, comment FROM duckdb_tables() WHERE schema_name = 'main'
        UNION ALL SELECT 'view', view_name, NULL, comment FROM duckdb_views()
            WHERE NOT internal AND schema_name = 'main'
        UNION ALL SELECT 'column', table_name, column_name, comment FROM duckdb_columns()
            WHERE NOT internal AND schema_name = 'main'
        ORDER BY ALL""").fetchall()


def _without_comments(source, target) -> duckdb.DuckDBPyConnection:
    shutil.copy(source, target)
    con = duckdb.connect(str(target))
    views = {name for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    for _kind, name, column, _ in _comments(con):
        if column is not None:
            con.execute(f'COMMENT ON COLUMN {name}."{column}" IS NULL')
        else:
            con.execute(f"COMMENT ON {'VIEW' if name in views else 'TABLE'} {name} IS NULL")
    assert not any(comment for *_, comment in _comments(con))
    return con


def test_comments_in_two_calls_are_those_of_one(fixture_atlas, tmp_path):
    """The build comments on everything but the backtests, then (once they are written) on
    them: the same comments as one call, every table, view and column."""
    config = load_config()
    source = fixture_atlas / "atlas.duckdb"
    at_once = _without_comments(source, tmp_path / "once.duckdb")
    apply_comments(at_once, config)
    split = _without_comments(source, tmp_path / "split.duckdb")
    apply_comments(split, config, exclude=LAST)
    left = [row for row in _comments(split) if row[1] in LAST]
    assert left and not any(comment for *_, comment in left)  # the backtests not yet
    apply_comments(split, config, only=LAST)
    expected = _comments(at_once)
    assert _comments(split) == expected
    assert sum(1 for *_, comment in expected if comment) > 500
    at_once.close()
    split.close()


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0, 1 - 0.1, 1 - 0.3])
def test_resampled_quantile_is_numpys_bit_for_bit(q):
    """The top share's threshold of every bootstrap resample, from the counts of each drawn
    value, is ``np.quantile`` of the resample (ties, weights above and below one half, the
    ends): bit for bit, but for the sign of a zero where the sample holds both 0.0 and -0.0
    (one distinct value), which no comparison with the scores sees."""
    from atlas.engine.backtest_metrics import resampled_counts, resampled_quantile

    rng = np.random.default_rng(7)
    for size, zeros in ((20, False), (37, False), (300, False), (20, True), (300, True)):
        sample = np.round(rng.normal(0, 2, size), 1) + 0.05  # ties, no zero
        if zeros:
            sample[:3] = [0.0, -0.0, 0.0]
        draws = np.vstack([np.arange(size), rng.integers(0, size, size=(120, size))])
        distinct, _, counts = resampled_counts(sample, draws)
        got = resampled_quantile(distinct, counts, q)
        expected = np.quantile(sample[draws], q, axis=-1)
        assert np.array_equal(got, expected), (size, q)
        assert np.array_equal(sample[draws] >= got[:, None], sample[draws] >= expected[:, None])
        if not zeros:
            assert got.tobytes() == expected.tobytes(), (size, q)


def test_the_backtest_rows_equal_those_of_numpys_quantile(monkeypatch):
    """``evaluate`` with the thresholds from the counts equals ``evaluate`` with
    ``np.quantile`` of every resample (the code before), every column exactly."""
    from atlas.engine import backtest_metrics as metrics

    rng = np.random.default_rng(11)
    index = [f"r{i:03d}" for i in range(150)]
    growth = pd.Series(np.exp(rng.normal(0, 0.2, 150)), index=index)
    scores = pd.DataFrame({"model": -np.log(growth) + rng.normal(0, 0.3, 150),
                           "size": np.round(rng.normal(0, 1, 150), 1)}, index=index)
    settings = {"bootstrap": 300, "top_share": 0.1, "bottom_quantile": 0.25}
    fast = metrics.evaluate(scores, growth, settings, 5)
    plain = metrics.metrics
    monkeypatch.setattr(metrics, "metrics", lambda score, decline, low, top, ranked, _:
                        plain(score, decline, low, top, ranked))
    reference = metrics.evaluate(scores, growth, settings, 5)
    pd.testing.assert_frame_equal(fast, reference, check_exact=True)
    assert len(fast) == 2 and fast["hit_rate"].notna().all()
