"""The outputs phase reads and computes once what it used to repeat, with the same results.

- the default exports read ``region_indices`` once for every level and each level's sources
  block once for its three files: the rankings and the files are those of one read per file;
- a map level's exposure layers are read in one query: the values of one query per measure;
- a collection's rings are packed in one NumPy pass: the texts of one pass per ring.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atlas.exports.ranking import RankRequest, rank_regions
from atlas.exports.write import command_for, write_default_exports, write_ranking
from atlas.maps.layers import LayerSource
from atlas.maps.pack import decode_deltas, encode_deltas, pack_features, ring_texts
from atlas.maps.specs import load_declarations
from atlas.spec.risk_model import active_model
from atlas.store.database import open_atlas, stored_config


def ring_by_ring(rings: list[list], grid: float) -> list[str]:
    """The packing before: one NumPy pass per ring, carrying the last vertex along."""
    previous = np.zeros(2, dtype=np.int64)
    out = []
    for points in rings:
        if not points:
            out.append("")
            continue
        on_grid = np.rint(np.asarray(points, dtype=float) * (1 / grid)).astype(np.int64)
        deltas = np.diff(on_grid, axis=0, prepend=previous[None, :])
        previous = on_grid[-1]
        out.append(encode_deltas(deltas.ravel()))
    return out


def test_rings_packed_at_once_equal_ring_by_ring():
    rng = np.random.default_rng(8)
    rings = []
    for size in [5, 0, 1, 2, 300, 0, 0, 17, 4, 1]:  # empty rings keep the previous vertex
        start = rng.uniform(-180, 180, 2)
        steps = rng.normal(0, rng.choice([0.0004, 0.01, 3.0, 40.0]), (size, 2))
        rings.append([[float(x), float(y)] for x, y in start + np.cumsum(steps, axis=0)])
    texts = ring_texts(rings, 0.001)
    assert texts == ring_by_ring(rings, 0.001)
    assert [len(t) for t in texts].count(0) == 3
    # the numbers are the deltas on the grid across the whole collection
    flat = [v for t in texts for v in decode_deltas(t)]
    grid = np.rint(np.array([p for r in rings for p in r]) * 1000).astype(np.int64)
    assert np.cumsum(np.array(flat).reshape(-1, 2), axis=0).tolist() == grid.tolist()
    assert ring_texts([[], []], 0.001) == ["", ""]
    with pytest.raises(ValueError, match="too large"):
        ring_texts([[[0.0, 0.0], [0.0, 600_000.0]]], 0.001)


def _rings(value: list, depth: int, out: list) -> list:
    """The rings of a GeoJSON coordinates value, in order."""
    if depth == 1:
        out.append(value)
    else:
        for v in value:
            _rings(v, depth - 1, out)
    return out


def _texts(value: list | str, out: list) -> list:
    """The ring texts of a packed coordinates value, in order."""
    if isinstance(value, str):
        out.append(value)
    else:
        for v in value:
            _texts(v, out)
    return out


def test_real_collections_pack_as_ring_by_ring(atlas_con):
    """The US areas' drawn shapes (polygons, multipolygons, holes) and outlines (lines)."""
    from atlas.maps.display_geometry import map_geometry
    from atlas.maps.specs import load_map_specs

    spec = next(s for s in load_map_specs().values() if s.level == "us_area")
    geometry = map_geometry(atlas_con, spec, set())
    depth = {"Polygon": 2, "MultiPolygon": 3, "LineString": 1}
    for collection in (geometry["geo"], geometry["outlines"]):
        rings: list = []
        for feature in collection["features"]:
            _rings(feature["geometry"]["coordinates"], depth[feature["geometry"]["type"]],
                   rings)
        texts = _texts(pack_features(collection, 0.001)["coords"], [])
        assert texts == ring_by_ring(rings, 0.001) and len(rings) > 100


def test_exposure_layers_read_at_once_equal_one_query_per_measure(fixture_con):
    con = fixture_con
    config = stored_config(con)
    model, decls = active_model(config), load_declarations()
    pairs = con.execute("SELECT DISTINCT level, measure FROM region_exposure "
                        "ORDER BY level, measure").fetchall()
    measures = sorted({m for _, m in pairs})
    assert len(measures) >= 2
    shown = 0
    for level in sorted({lv for lv, _ in pairs}):
        indices = con.execute("SELECT * FROM region_indices WHERE level = ? ORDER BY "
                              "region_id", [level]).df().set_index("region_id", drop=False)
        source = LayerSource(con, level, indices, model, decls, (*measures[1:], "absent"))
        for measure in [*measures, "absent"]:  # the first measure is not among those wanted
            alone = con.execute(
                "SELECT region_id, exposure_mean FROM region_exposure WHERE level = ? "
                "AND measure = ?", [level, measure]).df().set_index("region_id")[
                "exposure_mean"]
            found = source.exposure(measure)
            pd.testing.assert_series_equal(
                found.reindex(indices.index), alone.reindex(indices.index))
            shown += int(found.reindex(indices.index).notna().any())
    assert shown >= len(measures)  # values were compared, not only missing ones


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def test_default_exports_equal_one_read_per_file(fixture_atlas, tmp_path):
    shown = Path("/srv/published")
    written = write_default_exports(fixture_atlas / "atlas.duckdb", tmp_path / "once",
                                    shown=shown)
    with open_atlas(fixture_atlas / "atlas.duckdb") as con:
        _same_files(con, written, shown, tmp_path)


def _same_files(con, written: list[Path], shown: Path, tmp_path: Path) -> None:
    indices = con.execute("SELECT * FROM region_indices").df()
    levels = sorted({p.name.split("_top")[0] for p in written})
    assert len(levels) >= 2
    for level in levels:
        request = RankRequest(level=level, top=100)
        alone = rank_regions(con, request)
        pd.testing.assert_frame_equal(rank_regions(con, request, indices=indices), alone)
        for fmt in ("csv", "xlsx"):
            name = f"{level}_top100.{fmt}"
            command = command_for(request, fmt, shown / "exports" / name,
                                  str(shown / "atlas.duckdb"))
            before = write_ranking(con, alone, request, tmp_path / "alone" / name, fmt,
                                   command=command)
            after = tmp_path / "once" / name
            if fmt == "csv":
                assert after.read_bytes() == before.read_bytes()
                sidecar = Path(f"{after}.sources.txt")
                assert sidecar.read_bytes() == Path(f"{before}.sources.txt").read_bytes()
            else:
                assert _parts(after) == _parts(before)


def test_top_categories_in_one_pass_equal_groupby(fixture_con):
    from atlas.maps.data import _top_categories, clean

    top = fixture_con.execute("SELECT region_id, title, employment, score FROM "
                              "region_top_categories ORDER BY region_id, position").df()
    assert len(top) > 20
    extra = top.iloc[:3].copy()
    extra["region_id"] = None  # a row without a region: left out, as groupby leaves it
    top = pd.concat([top, extra], ignore_index=True)
    for n in (1, 2, 5, 100):
        grouped = {rid: [[t, clean(e), clean(s)] for t, e, s in
                         zip(g.title, g.employment, g.score, strict=True)][:n]
                   for rid, g in top.groupby("region_id")}
        assert _top_categories(top, n) == grouped
        assert any(len(rows) == min(n, 5) for rows in grouped.values())


def test_flags_and_intervals_in_words_equal_row_by_row(fixture_con):
    from atlas.exports.sheets import _interval, flags_in_words, not_applicable

    shown = 0
    for level in ("us_area", "cn_city", "country"):
        ranking = rank_regions(fixture_con, RankRequest(level=level, top=100))
        flags = [c for c in ranking.columns
                 if c.startswith("flag_") and c not in not_applicable(level)]
        words = {c: c.removeprefix("flag_").replace("_", " ") for c in flags}
        assert flags_in_words(ranking, level) == [
            ", ".join(words[c] for c in flags if pd.notna(row[c]) and bool(row[c]))
            for _, row in ranking[flags].astype(object).iterrows()]
        expected = []
        for _, row in ranking.iterrows():
            rank = "" if pd.isna(row["risk_rank"]) else f"{int(row['risk_rank'])}"
            low, high = row.get("rank_p05"), row.get("rank_p95")
            both = low is not None and high is not None and pd.notna(low) and pd.notna(high)
            expected.append(f"{rank} ({int(low)}-{int(high)})" if both else rank)
        assert _interval(ranking) == expected
        shown += sum("(" in text for text in expected) + sum(bool(w) for w in
                                                             flags_in_words(ranking, level))
        no_interval = ranking.drop(columns=["rank_p05", "rank_p95"], errors="ignore")
        assert _interval(no_interval) == [
            "" if pd.isna(r) else f"{int(r)}" for r in ranking["risk_rank"]]
    assert shown > 0


def test_tables_known_once_answer_as_table_exists():
    import duckdb

    from atlas.maps.text import has_table, tables_known
    from atlas.store.database import table_exists

    con, other = duckdb.connect(), duckdb.connect()
    con.execute("CREATE TABLE t (a INT); CREATE VIEW v AS SELECT * FROM t; "
                "CREATE TEMP TABLE tmp (b INT); CREATE SCHEMA s; CREATE TABLE s.inner_t (c INT)")
    other.execute("CREATE TABLE elsewhere (a INT)")
    names = ["t", "v", "tmp", "inner_t", "missing", "T", "elsewhere"]
    expected = [table_exists(con, n) for n in names]
    assert expected == [True, True, True, True, False, False, False]
    with tables_known(con):
        con.execute("CREATE TABLE later (a INT)")  # the block reads the catalogue once
        assert [has_table(con, n) for n in names] == expected
        assert not has_table(con, "later")
        assert has_table(other, "elsewhere")  # another connection: asked as before
    assert has_table(con, "later")  # after the block: asked again


def test_levels_of_the_read_indices_are_the_views(fixture_con):
    """rank_regions given ``indices`` checks the level against the levels in it (round s9):
    the same levels, in the same order, as ``SELECT DISTINCT level ... ORDER BY level``, so
    an unknown level fails with the same one line either way."""
    from atlas.errors import ConfigError

    indices = fixture_con.execute("SELECT * FROM region_indices").df()
    queried = [row[0] for row in fixture_con.execute(
        "SELECT DISTINCT level FROM region_indices ORDER BY level").fetchall()]
    assert len(queried) >= 2
    assert sorted(indices["level"].dropna().unique().tolist()) == queried
    request = RankRequest(level="no_such_level", top=5)
    with pytest.raises(ConfigError) as alone:
        rank_regions(fixture_con, request)
    with pytest.raises(ConfigError) as given:
        rank_regions(fixture_con, request, indices=indices)
    assert str(given.value) == str(alone.value)
    assert str(queried) in str(alone.value)
