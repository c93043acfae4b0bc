"""The engine on large synthetic levels, side by side with its peers, in one run.

    python benchmarks/bench_scale.py                    # sweep 1M, 10M, 100M rows, K = 100
    python benchmarks/bench_scale.py --rows 10000000 --repeat 5

For each size R (= regions x K categories) it generates a synthetic level (``atlas.engine.synth``)
into a DuckDB file (not timed), then times, each ``--repeat`` times in the same process:

1. ``engine``: ``compute_indices`` end to end (the matrix sums, exposure, diversity, collapse
   risk, ranks, flags, written into the database file);
2. ``sums_matrix``: the engine's sums step alone (``compute_measure_sums(con, "matrix")``:
   stream the composition as Arrow, BLAS products, write both sums tables);
3. ``sums_sql``: the SQL reference pass (``compute_measure_sums(con, "sql")``), and checks
   that 2 and 3 agree (largest relative difference, printed as ``max_rel_diff``);
4. ``polars``: the same per-measure and diversity sums with polars ``group_by`` from frames
   already in memory (``benchmarks/peers.py``; needs the ``bench`` extra), up to
   ``--polars-max-rows``;
5. ``pandas``: ``pandas_reference`` (every measure, then the indices) from frames in
   memory, up to ``--pandas-max-rows``, checked against the engine to 1e-9;
6. ``floor``: the BLAS floor, the dense product ``X @ S`` from arrays already in memory;
7. ``duckdb_pass``: one DuckDB grouped pass (``benchmarks/duckdb_pass.sql``): the scores
   pivoted wide, joined to the composition, every per-measure sum per region into a
   temporary table; the practical floor of an engine that reads the composition in DuckDB.

Prints one line per size with the minimum of each (``name=min+spread``, spread = max - min
over the repeats; ``--json`` keeps every run), the ratios of the minimums
(``engine/floor``, ``sums/floor``, ``engine/duckdb_pass``,
``polars/engine``, ``polars/sums``, ``pandas/engine``), the CPU seconds (every thread) of
each fastest run and the CPU ratios ``cpu_engine/duckdb_pass`` and ``cpu_polars/engine``
(steadier than the wall clock on a shared machine), the peak RSS when the engine has
run (before the peers load their frames) and at the end, and the load average before and
after (the machine may be shared). Each size runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.engine.core import compute_indices, compute_measure_sums  # noqa: E402
from atlas.engine.synth import (  # noqa: E402
    EXPOSURE_MEASURE,
    LEVEL,
    VULNERABILITY_MEASURE,
    generate_level,
    synthetic_config,
)
from atlas.spec.config_types import AtlasConfig  # noqa: E402
from atlas.spec.risk_model import active_model  # noqa: E402
from benchmarks import peers  # noqa: E402
from tests.pandas_reference import reference_exposure, reference_indices  # noqa: E402

CATEGORIES = 100
PASS_SQL = (Path(__file__).with_name("duckdb_pass.sql")).read_text(encoding="utf-8")
MEASURES = 9
CHECKED = ["exposure_mean", "share_ge_50", "vulnerable_share", "substitutable_share",
           "substitutable_excess", "entropy_norm", "group_entropy", "hhi", "hachman", "krugman",
           "pillar_shock", "pillar_absorption", "collapse_risk"]


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


CPU_SECONDS: dict[int, float] = {}  # id(times list) -> CPU seconds of its fastest run


def cpu_seconds() -> float:
    """User and system CPU time of this process, every thread (DuckDB's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run, repeat: int) -> list[float]:
    """Wall-clock seconds of each run; the CPU seconds of the fastest run go to
    ``CPU_SECONDS`` (on a shared machine the wall clock waits for other processes, the CPU
    time much less)."""
    times, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), cpu_seconds()
        run()
        times.append(time.perf_counter() - started)
        cpus.append(cpu_seconds() - cpu)
    CPU_SECONDS[id(times)] = cpus[int(np.argmin(times))]
    return times


def check_pandas(con: duckdb.DuckDBPyConnection, config: AtlasConfig, repeat: int) -> list[float]:
    """Time the pandas reference and check it against the engine's region_indices."""
    employment = con.execute(
        "SELECT region_id, category, employment, imputed FROM employment").df()
    scores = con.execute("SELECT measure, category, score, ge_10, ge_50, vulnerable, "
                         "substitutable FROM exposure_scores").df()
    context = con.execute("SELECT region_id, indicator, value FROM region_context").df()
    groups = con.execute("SELECT category, diversity_group FROM categories").df(
        ).set_index("category")["diversity_group"]
    result = {}

    def run():
        exposure = reference_exposure(employment, scores, groups)
        result["frame"] = reference_indices(employment, scores, groups, context,
                                            active_model(config), EXPOSURE_MEASURE,
                                            VULNERABILITY_MEASURE, LEVEL, exposure=exposure)

    times = timed(run, repeat)
    engine = con.execute("SELECT * FROM region_indices").df().set_index("region_id")
    for column in CHECKED:
        np.testing.assert_allclose(engine[column].to_numpy(),
                                   result["frame"].loc[engine.index, column].to_numpy(),
                                   rtol=1e-9, atol=1e-9, err_msg=column)
    return times


def run_one(rows: int, args: argparse.Namespace) -> dict:
    regions = rows // CATEGORIES
    config = synthetic_config()
    out: dict = {"rows": rows, "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        con = duckdb.connect(str(Path(work) / "synth.duckdb"))
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
        con.execute(f"SET temp_directory = '{Path(work) / 'spill'}'")
        generate_level(con, regions, CATEGORIES, args.seed, MEASURES)
        con.execute("CHECKPOINT")

        out["engine"] = timed(lambda: compute_indices(con, config), args.repeat)
        out["peak_engine_gb"] = peak_gb()
        out["sums_sql"] = timed(lambda: compute_measure_sums(con, "sql"), args.repeat)
        con.execute("CREATE OR REPLACE TABLE sums_sql AS FROM region_measure_sums")
        out["sums_matrix"] = timed(lambda: compute_measure_sums(con, "matrix"), args.repeat)
        out["max_rel_diff"] = peers.compare_sums(con, "sums_sql", "region_measure_sums")
        con.execute("DROP TABLE sums_sql")
        compute_indices(con, config)  # region_indices for the pandas check
        out["duckdb_pass"] = timed(lambda: con.execute(PASS_SQL), args.repeat)
        con.execute("DROP TABLE peer_sums")

        if rows <= args.pandas_max_rows:
            out["pandas"] = check_pandas(con, config, args.repeat)
        if rows <= args.polars_max_rows:
            frames = peers.polars_frames(con)
            out["polars"] = timed(lambda: peers.polars_sums(*frames), args.repeat)
            del frames
        x, s = peers.dense_inputs(con, LEVEL)
        out["floor"] = peers.blas_floor(x, s, max(args.repeat, 3))
        del x, s
        con.close()
    out["cpu"] = {name: CPU_SECONDS[id(value)] for name, value in out.items()
                  if isinstance(value, list) and id(value) in CPU_SECONDS}
    out["peak_end_gb"] = peak_gb()
    out["load_after"] = os.getloadavg()[0]
    return out


def line(result: dict) -> str:
    def show(name: str) -> str:
        values = result.get(name)
        if not values:
            return f"{name}=NA"
        return f"{name}={min(values):.3g}+{max(values) - min(values):.2g}"

    def ratio(top: str, bottom: str) -> str:
        if not result.get(top) or not result.get(bottom):
            return f"{top}/{bottom}=NA"
        return f"{top}/{bottom}={min(result[top]) / min(result[bottom]):.3g}"

    def cpu_ratio(top: str, bottom: str) -> str:
        cpu = result.get("cpu", {})
        if not cpu.get(top) or not cpu.get(bottom):
            return f"cpu_{top}/{bottom}=NA"
        return f"cpu_{top}/{bottom}={cpu[top] / cpu[bottom]:.3g}"

    names = ("engine", "sums_matrix", "sums_sql", "duckdb_pass", "polars", "pandas", "floor")
    ratios = (("engine", "floor"), ("sums_matrix", "floor"), ("sums_sql", "sums_matrix"),
              ("engine", "duckdb_pass"), ("sums_matrix", "duckdb_pass"), ("polars", "engine"),
              ("polars", "sums_matrix"), ("pandas", "engine"))
    return (f"rows={result['rows']} " + " ".join(show(n) for n in names) + " "
            + " ".join(ratio(a, b) for a, b in ratios) + " "
            + " ".join(f"cpu_{n}={result['cpu'][n]:.3g}" for n in names
                       if n in result.get("cpu", {})) + " "
            + " ".join(cpu_ratio(a, b) for a, b in (("engine", "duckdb_pass"),
                                                    ("polars", "engine")))
            + f" max_rel_diff={result['max_rel_diff']:.1e}"
            f" peak_engine_gb={result['peak_engine_gb']:.2f}"
            f" peak_end_gb={result['peak_end_gb']:.2f}"
            f" load={result['load_before']:.2f}->{result['load_after']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append",
                        help="composition rows (repeat for several); default 1M, 10M, 100M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pandas-max-rows", type=int, default=10_000_000)
    parser.add_argument("--polars-max-rows", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="10GB")
    parser.add_argument("--work", default=None, help="folder for the temporary databases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also append every run's times here")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.rows or [1_000_000, 10_000_000, 100_000_000]
    if args.one:
        print(json.dumps(run_one(sizes[0], args)))
        return
    print(f"machine: {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB; "
          f"duckdb {duckdb.__version__}, numpy {np.__version__}", flush=True)
    results = []
    for rows in sizes:
        command = [sys.executable, __file__, "--one", "--rows", str(rows)]
        for option in ("repeat", "pandas_max_rows", "polars_max_rows", "memory_limit",
                       "work", "seed"):
            value = getattr(args, option)
            if value is not None:
                command += [f"--{option.replace('_', '-')}", str(value)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            print(f"rows={rows} failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        print(line(result), flush=True)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(result) + "\n")
    if len(results) > 1:
        per_row = [min(r["engine"]) / r["rows"] * 1e9 for r in results]
        slope = np.polyfit(np.log10([r["rows"] for r in results]),
                           np.log10([min(r["engine"]) for r in results]), 1)[0]
        print("engine_ns_per_row=" + ",".join(f"{v:.1f}" for v in per_row)
              + f" loglog_slope={slope:.2f}")


if __name__ == "__main__":
    main()
