"""The peers of the scale benchmark: the BLAS floor, polars group_by, and a sums check.

- :func:`blas_floor`: the dense product ``X @ S`` (regions x categories jobs times the
  categories x statistics matrix) from arrays already in memory: no fetch, no scatter,
  no write. The least any engine that computes the per-measure sums has to do.
- :func:`polars_sums`: the same sums as ``region_measure_sums`` with polars (join the
  statistics, ``group_by`` region and diversity group, then region), from frames already in
  memory, the way a researcher would write it.
- :func:`compare_sums`: the maximum relative difference between two copies of
  ``region_measure_sums`` (every scalar and list element, NULLs in the same places).
"""

from __future__ import annotations

import time

import duckdb
import numpy as np
import pyarrow as pa

STATISTICS = ("score", "ge_10", "ge_50", "vulnerable", "substitutable")


def dense_inputs(con: duckdb.DuckDBPyConnection, level: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (regions x categories, jobs) and ``S`` (categories x 5 M statistics, the matrix
    the engine multiplies) of a level, as arrays in memory (not timed)."""
    from atlas.engine.matrix_engine import composition, level_facts
    from atlas.store.sql_files import run_sql_file

    # the engine's scratch tables (category_margins, category_facts, measure_order), which
    # its sums step drops when it ends; this also empties the two sums tables
    run_sql_file(con, "region_sums.sql")
    measures = con.execute("SELECT measures FROM measure_order").fetchone()[0]
    facts, _ = level_facts(con, level, measures)
    _, offsets, codes, jobs, _ = composition(con, level)
    x = np.zeros((len(offsets) - 1, len(facts.categories)))
    x[np.repeat(np.arange(len(offsets) - 1), np.diff(offsets)), codes] = jobs
    return x, np.ascontiguousarray(facts.filled)


def blas_floor(x: np.ndarray, s: np.ndarray, repeat: int) -> list[float]:
    """Seconds of ``x @ s`` per run."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        x @ s
        times.append(time.perf_counter() - started)
    return times


def polars_frames(con: duckdb.DuckDBPyConnection):
    """The composition and the wide statistics as polars frames (not timed)."""
    import polars as pl

    employment = pl.from_arrow(con.execute(
        "SELECT region_id, category, employment, imputed FROM employment").to_arrow_table())
    wide = con.execute("""
        SELECT * FROM (PIVOT (SELECT category, measure, score, ge_10, ge_50, vulnerable,
                                     substitutable FROM exposure_scores)
                       ON measure USING first(score) AS score, first(ge_10) AS ge_10,
                           first(ge_50) AS ge_50, first(vulnerable) AS vulnerable,
                           first(substitutable) AS substitutable
                       GROUP BY category)""").to_arrow_table()
    groups = con.execute("SELECT category, diversity_group AS grp FROM categories"
                         ).to_arrow_table()
    return employment, pl.from_arrow(wide), pl.from_arrow(groups)


def polars_sums(employment, wide, groups):
    """``region_measure_sums``' sums with polars group_by (reference shares from the level
    itself, as the synthetic level is its own reference)."""
    import polars as pl

    e = pl.col("employment")
    published = pl.when(~pl.col("imputed") & (e > 0)).then(e).otherwise(None)
    reference = (employment.lazy().with_columns(p=published).group_by("category")
                 .agg(pl.col("p").sum()).with_columns(r=pl.col("p") / pl.col("p").sum())
                 .select("category", "r"))
    statistics = [c for c in wide.columns if c != "category"]
    rows = (employment.lazy().join(wide.lazy(), on="category", how="left")
            .join(groups.lazy(), on="category", how="left")
            .join(reference, on="category", how="left")
            .with_columns(p=published)
            .with_columns(total_p=pl.col("p").sum().over("region_id")))
    by_group = rows.group_by("region_id", "grp").agg(
        e.sum().alias("employment"),
        pl.col("p").count().alias("n_categories"),
        (pl.col("p") * pl.col("p").log()).sum().alias("e_ln_e"),
        (pl.col("p") ** 2).sum().alias("e_sq"),
        (pl.col("p") ** 2 / pl.col("r")).sum().alias("e_sq_over_r"),
        ((pl.col("p") / pl.col("total_p") - pl.col("r")).abs() - pl.col("r")).sum()
        .alias("krugman_part"),
        *[(e * pl.col(c)).sum().alias(c) for c in statistics])
    return (by_group.group_by("region_id")
            .agg(pl.exclude("grp").sum())
            .with_columns(krugman=pl.col("krugman_part") + 1)
            .collect())


def compare_sums(con: duckdb.DuckDBPyConnection, one: str, other: str) -> float:
    """Largest relative difference between two ``region_measure_sums`` copies; raises if
    their rows or NULLs differ."""
    worst = 0.0
    order = "ORDER BY level, region_id"
    a = con.execute(f"SELECT * FROM {one} {order}").to_arrow_table()
    b = con.execute(f"SELECT * FROM {other} {order}").to_arrow_table()
    if a.num_rows != b.num_rows or a.column("region_id") != b.column("region_id"):
        raise AssertionError(f"{one} and {other} have other rows")
    for name in a.column_names:
        x, y = a.column(name).combine_chunks(), b.column(name).combine_chunks()
        if pa.types.is_list(x.type):
            if x.is_null() != y.is_null():
                raise AssertionError(f"{name}: NULL lists differ")
            x, y = x.flatten(), y.flatten()
        if not (pa.types.is_floating(x.type) or pa.types.is_integer(x.type)):
            continue
        xs = x.to_numpy(zero_copy_only=False).astype(float)
        ys = y.to_numpy(zero_copy_only=False).astype(float)
        if not np.array_equal(np.isnan(xs), np.isnan(ys)):
            raise AssertionError(f"{name}: NULLs differ")
        keep = ~np.isnan(xs)
        if keep.any():
            scale = np.maximum(np.abs(xs[keep]), 1.0)
            worst = max(worst, float(np.max(np.abs(xs[keep] - ys[keep]) / scale)))
    return worst
