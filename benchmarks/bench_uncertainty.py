"""Time the rank-uncertainty step (every specification of every level) on the built atlas.

    python benchmarks/bench_uncertainty.py --db out/atlas.duckdb [--repeat 5]

Prints per run ``specs=.. total_specs=.. regions=.. uncertainty_s=.. ranking_s=..
ranking_share=.. specs_per_s=..``: the whole step for all levels (reading the indicators,
the variant indicators of the structural choices in one SQL pass, then the NumPy ranking of
all specifications) and the NumPy part alone (``level_uncertainty``: component scores,
pillar means, aggregation, ranks, their distribution and the first-order indices), measured
in one run on a copy of the database; ``specs`` is the most specifications of a level,
``total_specs`` their sum over the levels, ``specs_per_s`` = total_specs / uncertainty_s.
``cpu_s`` is the process's CPU time (all threads), less sensitive to a loaded machine than
the wall time; ``--compare-fixed`` times the same step with every structural choice fixed
in the same invocation and prints the ratios (``--fix NAME``: only choice NAME fixed, e.g.
``--compare-fixed --fix substitution_threshold``). Then a last line with the minimum and the
spread (max - min) over the runs, and the load
average (the machine is shared: compare runs of one invocation, not across invocations).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from atlas.engine import uncertainty
from atlas.spec.config import load_config
from atlas.spec.config_types import AtlasConfig


def run_once(db: Path, config: AtlasConfig) -> dict[str, float]:
    timings = {"ranking": 0.0, "specs": 0, "total_specs": 0}
    original = uncertainty.level_uncertainty

    def timed(*a, **k):
        started = time.perf_counter()
        result = original(*a, **k)
        timings["ranking"] += time.perf_counter() - started
        specs = int(result[0]["n_specs"].max())
        timings["specs"] = max(timings["specs"], specs)
        timings["total_specs"] += specs
        return result

    uncertainty.level_uncertainty = timed
    try:
        with tempfile.TemporaryDirectory() as work:
            copy = Path(work) / "atlas.duckdb"
            shutil.copy(db, copy)
            con = duckdb.connect(str(copy))
            started, cpu = time.perf_counter(), time.process_time()
            uncertainty.compute_rank_uncertainty(con, config)
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu
            regions = con.execute("SELECT count(*) FROM rank_uncertainty").fetchone()[0]
            con.close()
    finally:
        uncertainty.level_uncertainty = original
    return {"total": total, "ranking": timings["ranking"], "specs": timings["specs"],
            "total_specs": timings["total_specs"], "regions": regions, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="out/atlas.duckdb")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare-fixed", action="store_true",
                        help="also time every run with each structural choice fixed (the "
                             "grid and draws alone) and print the ratio")
    parser.add_argument("--fix", default=None,
                        help="with --compare-fixed: fix only this choice of "
                             "[uncertainty.choices] (its first value)")
    args = parser.parse_args()
    config = load_config()
    choices = config.to_dict()["uncertainty"]["choices"]
    fixed = config.with_overrides({"uncertainty": {"choices": {
        key: values[:1] for key, values in choices.items()
        if isinstance(values, list) and args.fix in (None, key)}}})
    runs = []
    for _ in range(args.repeat):
        if args.compare_fixed:
            base = run_once(Path(args.db), fixed)
            print(f"fixed choices: specs={base['specs']} total_specs={base['total_specs']} "
                  f"uncertainty_s={base['total']:.2f} cpu_s={base['cpu']:.2f}", flush=True)
        result = run_once(Path(args.db), config)
        runs.append(result)
        if args.compare_fixed:
            print(f"ratio grid/fixed: wall={result['total'] / base['total']:.2f} "
                  f"cpu={result['cpu'] / base['cpu']:.2f}", flush=True)
        print(f"cpu_s={result['cpu']:.2f} specs={result['specs']} "
              f"total_specs={result['total_specs']} "
              f"regions={result['regions']} uncertainty_s={result['total']:.2f} "
              f"ranking_s={result['ranking']:.2f} "
              f"ranking_share={result['ranking'] / result['total']:.2f} "
              f"specs_per_s={result['total_specs'] / result['total']:.0f}", flush=True)
    totals = [r["total"] for r in runs]
    ranking = [r["ranking"] for r in runs]
    print(f"min uncertainty_s={min(totals):.2f} spread={max(totals) - min(totals):.2f} "
          f"min ranking_s={min(ranking):.2f} spread={max(ranking) - min(ranking):.2f} "
          f"load={os.getloadavg()[0]:.2f} numpy={np.__version__}")


if __name__ == "__main__":
    main()
