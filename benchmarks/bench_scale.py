"""The engine on large synthetic levels, against pandas and a one-pass floor.

    python benchmarks/bench_scale.py                    # sweep 1M, 10M, 100M rows, K = 100
    python benchmarks/bench_scale.py --rows 10000000    # one size

For each size R (= regions x K categories) it generates a synthetic level into a DuckDB file
(not timed), then times in one run:
1. the engine's index computation (``compute_indices``: exposure_mean, share_ge_10,
   share_ge_50 and vulnerable_share under all 9 measures, diversity, collapse risk, ranks,
   flags), written into the database file;
2. the pandas reference (``atlas.pandas_reference``: merge + groupby) computing the same
   (every measure, then the indices) on the same data already in memory, skipped above
   ``--pandas-max-rows`` where it would not fit;
3. the floor: one grouped DuckDB pass joining the K scores and computing per region only the
   sums every index needs (sum e, sum e*score per measure, sum e*e, sum e*ln e);
checks that 1 and 2 agree (1e-9) on region_indices and on region_exposure (every measure),
and prints one line per size:
``rows=R duckdb_s=X pandas_s=Y floor_s=Z ratio_pandas=Y/X ratio_floor=X/Z peak_rss_gb=M``
(M: the process's peak resident memory when the engine has finished, before pandas runs),
and a last line with the time per row and the log-log slope. On stderr, so that stdout holds
exactly those lines, an indented line per size gives the "contract floor" (the floor's pass
plus the share_ge_10, share_ge_50 and vulnerable sums of every measure that the engine's
contract requires: 36 per-measure sums instead of 9), the engine's ratio to it, the peak
including pandas, rerank_s: the indices under another measure
(``region_indices_query``, as ``atlas rank --measure`` runs them) once the engine has stored
its sums, write_s: writing copies of the two output tables into the file, and
(contract floor + write_s) / floor, a lower bound on the ratio to the floor of any engine in
DuckDB that computes the contract's sums and writes its outputs.
Each size runs in its own process so that peak_rss_gb is that size's high-water mark.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from atlas.engine import compute_indices, drop_respecification, region_indices_query
from atlas.pandas_reference import reference_exposure, reference_indices
from atlas.risk_model import active_model
from atlas.synth import EXPOSURE_MEASURE, VULNERABILITY_MEASURE, generate_level, synthetic_config

CATEGORIES = 100
MEASURES = 9
STATISTICS = {"m": "score", "g": "ge_10", "h": "ge_50", "v": "vulnerable",
              "s": "substitutable"}
CHECKED = ["exposure_mean", "share_ge_50", "vulnerable_share", "substitutable_share",
           "substitutable_excess", "entropy_norm", "group_entropy", "hhi", "hachman", "krugman",
           "pillar_shock", "pillar_absorption", "collapse_risk"]


def floor_query(measures: int, statistics: tuple[str, ...] = ("m",)) -> str:
    """The floor's pass; ``statistics`` ``("m", "g", "h", "v")`` adds the contract's ge_10,
    ge_50 and vulnerable sums of every measure (the "contract floor")."""
    sums = ", ".join(f"sum(e.employment * w.{stat}{i}) AS {stat}{i}"
                     for stat in statistics for i in range(measures))
    return f"""
        CREATE OR REPLACE TEMP TABLE floor_sums AS
        SELECT e.level, e.region_id, sum(e.employment) AS e, sum(e.employment * e.employment)
            AS e_sq, sum(e.employment * ln(e.employment)) AS e_ln_e, {sums}
        FROM employment AS e JOIN floor_scores AS w ON w.category = e.category
        GROUP BY e.level, e.region_id"""


def run_one(rows: int, pandas_max_rows: int, memory_limit: str, seed: int) -> dict[str, float]:
    regions = rows // CATEGORIES
    config = synthetic_config()
    with tempfile.TemporaryDirectory() as work:
        con = duckdb.connect(str(Path(work) / "synth.duckdb"))
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{Path(work) / 'spill'}'")
        generate_level(con, regions, CATEGORIES, seed, MEASURES)
        con.execute("CHECKPOINT")
        pivot = ", ".join(f"first({column}) FILTER (WHERE measure = 'synth_m{i}') AS {stat}{i}"
                          for i in range(MEASURES) for stat, column in STATISTICS.items())
        con.execute(f"CREATE TEMP TABLE floor_scores AS SELECT category, {pivot} "
                    "FROM exposure_scores GROUP BY category")

        started = time.perf_counter()
        con.execute(floor_query(MEASURES))
        floor_s = time.perf_counter() - started

        started = time.perf_counter()
        con.execute(floor_query(MEASURES, tuple(STATISTICS)))
        contract_floor_s = time.perf_counter() - started

        started = time.perf_counter()
        compute_indices(con, config)
        duckdb_s = time.perf_counter() - started
        engine_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024

        # another specification (measure synth_m2 for exposure and vulnerability): the
        # stored per-measure sums make it a query over regions, not another pass
        started = time.perf_counter()
        respecified = region_indices_query(con, config, measure="synth_m2")
        rerank_s = time.perf_counter() - started
        drop_respecification(con)
        assert len(respecified) == regions

        # what writing the two output tables into the database file costs on its own
        # (copies of the finished tables; the floors above write into temporary tables)
        started = time.perf_counter()
        for table in ("region_measure_sums", "region_indices"):
            con.execute(f"CREATE TABLE write_check_{table} AS FROM {table}")
        write_s = time.perf_counter() - started

        pandas_s = float("nan")
        if rows <= pandas_max_rows:
            employment = con.execute(
                "SELECT region_id, category, employment, imputed FROM employment").df()
            scores = con.execute("SELECT measure, category, score, ge_10, ge_50, vulnerable, "
                                 "substitutable FROM exposure_scores").df()
            context = con.execute("SELECT region_id, indicator, value FROM region_context").df()
            groups = con.execute("SELECT category, diversity_group FROM categories").df(
                ).set_index("category")["diversity_group"]
            started = time.perf_counter()
            exposure = reference_exposure(employment, scores, groups)
            reference = reference_indices(employment, scores, groups, context,
                                          active_model(config), EXPOSURE_MEASURE,
                                          VULNERABILITY_MEASURE, "synth", exposure=exposure)
            pandas_s = time.perf_counter() - started
            engine = con.execute("SELECT * FROM region_indices").df().set_index("region_id")
            for column in CHECKED:
                np.testing.assert_allclose(engine[column].to_numpy(),
                                           reference.loc[engine.index, column].to_numpy(),
                                           rtol=1e-9, atol=1e-9, err_msg=column)
            engine_exposure = con.execute("SELECT * FROM region_exposure").df().set_index(
                ["region_id", "measure"])  # after the re-specification: the stored sums
            for column in exposure.columns:
                np.testing.assert_allclose(
                    engine_exposure[column].to_numpy(),
                    exposure.loc[engine_exposure.index, column].to_numpy(),
                    rtol=1e-9, atol=1e-9, err_msg=f"region_exposure.{column}")
        con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {"rows": rows, "duckdb_s": duckdb_s, "pandas_s": pandas_s, "floor_s": floor_s,
            "peak_rss_gb": engine_peak, "contract_floor_s": contract_floor_s,
            "process_peak_rss_gb": peak, "rerank_s": rerank_s, "write_s": write_s}


def line(result: dict[str, float]) -> str:
    duckdb_s, pandas_s, floor_s = result["duckdb_s"], result["pandas_s"], result["floor_s"]
    have_pandas = pandas_s == pandas_s  # not NaN
    pandas_text = f"{pandas_s:.2f}" if have_pandas else "NA"
    ratio_pandas = f"{pandas_s / duckdb_s:.2f}" if have_pandas else "NA"
    return (f"rows={result['rows']} duckdb_s={duckdb_s:.2f} pandas_s={pandas_text} "
            f"floor_s={floor_s:.2f} ratio_pandas={ratio_pandas} "
            f"ratio_floor={duckdb_s / floor_s:.2f} peak_rss_gb={result['peak_rss_gb']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append",
                        help="composition rows (repeat for several); default 1M, 10M, 100M")
    parser.add_argument("--pandas-max-rows", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="10GB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.rows or [1_000_000, 10_000_000, 100_000_000]
    if args.one:
        print(json.dumps(run_one(sizes[0], args.pandas_max_rows, args.memory_limit, args.seed)))
        return
    results = []
    for rows in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", "--rows", str(rows),
                              "--pandas-max-rows", str(args.pandas_max_rows),
                              "--memory-limit", args.memory_limit, "--seed", str(args.seed)],
                             capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(line(result), flush=True)
        print(f"  contract_floor_s={result['contract_floor_s']:.2f} ratio_contract_floor="
              f"{result['duckdb_s'] / result['contract_floor_s']:.2f} "
              f"process_peak_rss_gb={result['process_peak_rss_gb']:.2f} "
              f"rerank_s={result['rerank_s']:.2f} write_s={result['write_s']:.2f} "
              f"contract_bound_over_floor="
              f"{(result['contract_floor_s'] + result['write_s']) / result['floor_s']:.2f}",
              file=sys.stderr, flush=True)
    if len(results) > 1:
        per_row = [r["duckdb_s"] / r["rows"] * 1e9 for r in results]
        slope = np.polyfit(np.log10([r["rows"] for r in results]), np.log10(
            [r["duckdb_s"] for r in results]), 1)[0]
        print("ns_per_row=" + ",".join(f"{v:.1f}" for v in per_row)
              + f" loglog_slope={slope:.2f}")


if __name__ == "__main__":
    main()
