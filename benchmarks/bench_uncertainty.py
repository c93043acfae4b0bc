"""Time the rank-uncertainty step (every specification of every level) on the built atlas.

    python benchmarks/bench_uncertainty.py --db out/atlas.duckdb [--repeat 5]

Prints per run ``specs=.. total_specs=.. regions=.. uncertainty_s=.. ranking_s=..
ranking_share=.. specs_per_s=..``: the whole step for all levels (reading the indicators,
the variant indicators of the structural choices in one pass, then the NumPy ranking of
all specifications) and the NumPy part alone (``level_uncertainty``: component scores,
pillar means, aggregation, ranks, their distribution and the first-order indices), measured
in one run on a copy of the database; ``specs`` is the most specifications of a level,
``total_specs`` their sum over the levels, ``specs_per_s`` = total_specs / uncertainty_s.
``cpu_s`` is the process's CPU time (all threads), less sensitive to a loaded machine than
the wall time, and ``sys_s`` and ``page_faults`` its kernel part and minor page faults
(fresh pages of large temporary arrays: costly on this virtual machine); ``--compare-fixed``
times the same step with every structural choice fixed in the same invocation and prints
the ratios (``--fix NAME``: only choice NAME fixed, e.g.
``--compare-fixed --fix substitution_threshold``). ``--baseline COMMIT`` times the step of
that commit's code (``git archive`` of ``atlas/`` into a temporary folder) and of this tree
alternately in one invocation, each run in its own process, and prints the ratios
baseline / this tree (wall and CPU) and whether both wrote the same ``rank_uncertainty`` and
``rank_sensitivity`` (a hash of their full-precision CSV). Then a last line with the minimum
and the spread (max - min) over the runs, and the load average (the machine is shared:
compare runs of one invocation, not across invocations). ``--cached`` times the step as a
rebuild runs it: inside a cache block (a temporary cache folder) whose cached steps (the
variant indicators) an untimed first call of the same process has filled.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from atlas.engine import uncertainty
from atlas.spec.config import load_config
from atlas.spec.config_types import AtlasConfig
from atlas.store.cache import geometry_cache


def run_once(db: Path, config: AtlasConfig, cached: bool = False) -> dict[str, float]:
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
            if cached:  # an untimed call fills the cache, as a first build
                with geometry_cache(Path(work) / "cache"):
                    uncertainty.compute_rank_uncertainty(con, config)
                timings.update(ranking=0.0, specs=0, total_specs=0)
            with geometry_cache(Path(work) / "cache" if cached else None):
                usage = resource.getrusage(resource.RUSAGE_SELF)
                started, cpu = time.perf_counter(), time.process_time()
                uncertainty.compute_rank_uncertainty(con, config)
                total = time.perf_counter() - started
                cpu = time.process_time() - cpu
                after = resource.getrusage(resource.RUSAGE_SELF)
            regions = con.execute("SELECT count(*) FROM rank_uncertainty").fetchone()[0]
            digest = hashlib.sha256("".join(
                con.execute(f"SELECT * FROM {name} ORDER BY ALL").df().to_csv(index=False)
                for name in ("rank_uncertainty", "rank_sensitivity")).encode()).hexdigest()
            con.close()
    finally:
        uncertainty.level_uncertainty = original
    return {"total": total, "ranking": timings["ranking"], "specs": timings["specs"],
            "total_specs": timings["total_specs"], "regions": regions, "cpu": cpu,
            "sys": after.ru_stime - usage.ru_stime, "faults": after.ru_minflt - usage.ru_minflt,
            "digest": digest[:16]}


def run_tree(db: Path, tree: Path, cached: bool = False) -> dict[str, float]:
    """:func:`run_once` in a new process importing ``atlas`` from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, __file__, "--db", str(db), "--json",
                          *(["--cached"] if cached else [])], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare_baseline(db: Path, commit: str, repeat: int, cached: bool = False) -> None:
    """Time ``commit``'s code and this tree's alternately, ``repeat`` times each."""
    root = Path(__file__).resolve().parent.parent
    runs = []
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(["git", "-C", str(root), "archive", commit, "atlas"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        for index in range(repeat):
            pair = {}
            for name, tree in (("baseline", Path(old)), ("current", root))[::(-1) ** index]:
                pair[name] = run_tree(db, tree, cached)
            base, new = pair["baseline"], pair["current"]
            runs.append((base, new))
            for name, r in pair.items():
                print(f"{name}: uncertainty_s={r['total']:.2f} cpu_s={r['cpu']:.2f} "
                      f"sys_s={r['sys']:.2f} page_faults={r['faults']} "
                      f"ranking_s={r['ranking']:.2f} total_specs={r['total_specs']} "
                      f"specs_per_s={r['total_specs'] / r['total']:.0f} "
                      f"digest={r['digest']}", flush=True)
            print(f"ratio baseline/current: wall={base['total'] / new['total']:.2f} "
                  f"cpu={base['cpu'] / new['cpu']:.2f} "
                  f"same_tables={base['digest'] == new['digest']}", flush=True)
    best = {name: min(r[i]["total"] for r in runs) for i, name in enumerate(("base", "new"))}
    cpu = {name: min(r[i]["cpu"] for r in runs) for i, name in enumerate(("base", "new"))}
    print(f"min uncertainty_s baseline={best['base']:.2f} current={best['new']:.2f} "
          f"ratio={best['base'] / best['new']:.2f}; min cpu_s baseline={cpu['base']:.2f} "
          f"current={cpu['new']:.2f} ratio={cpu['base'] / cpu['new']:.2f}; "
          f"specs_per_s current={runs[0][1]['total_specs'] / best['new']:.0f} "
          f"load={os.getloadavg()[0]:.2f} numpy={np.__version__}")


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
    parser.add_argument("--baseline", default=None,
                        help="a commit: time its code and this tree's alternately")
    parser.add_argument("--cached", action="store_true",
                        help="time the step as a rebuild runs it: its cached steps filled "
                             "by an untimed first call in the same process")
    parser.add_argument("--json", action="store_true",
                        help="one run, its figures as one JSON line (used by --baseline)")
    args = parser.parse_args()
    if args.baseline:
        compare_baseline(Path(args.db), args.baseline, args.repeat, args.cached)
        return
    config = load_config()
    if args.json:
        print(json.dumps(run_once(Path(args.db), config, args.cached)))
        return
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
        result = run_once(Path(args.db), config, args.cached)
        runs.append(result)
        if args.compare_fixed:
            print(f"ratio grid/fixed: wall={result['total'] / base['total']:.2f} "
                  f"cpu={result['cpu'] / base['cpu']:.2f}", flush=True)
        print(f"cpu_s={result['cpu']:.2f} sys_s={result['sys']:.2f} "
              f"page_faults={result['faults']} specs={result['specs']} "
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
