"""Time the outputs phase alone (exports, index page, maps), this tree against a baseline.

    python benchmarks/bench_outputs.py --db out/atlas.duckdb --baseline 7a21eeb --rounds 2 --runs 2

Each run is what a build's last phase does (:func:`atlas.build.outputs.write_outputs`) on
the built database ``--db``: the second process is started, its map modules imported and
the maps' drawn shapes prepared into the tree's cache folder first (as a build queues
them before its last phase), then the default exports and the index page are written in
this process while the maps are drawn in the second. Per run it prints the CPU seconds of
the exports, the index page and the maps (the latter measured inside the second process),
the main process's CPU (the edition copy included), how long the main process waited for
the maps, and the wall clock of the phase; and its timeline, in seconds from the phase's start
(the clock both processes share): ``edition_s`` when the edition copy was made (both processes
wait for it), ``main_done_s`` when this process had written the exports and the index page,
``maps_done_s`` when the second process had drawn the maps (the later of the two is the
critical path); then the median and range per tree.

With ``--baseline REV`` the revision is exported (``git archive``) into a temporary folder
and run with this virtual environment; the trees alternate, ``--rounds`` times, each round a
fresh process pair per tree running ``--runs`` times. Every tree writes into its own output
folder, recording the same published folder (``--shown``), so that
``benchmarks/compare_outputs.py`` can compare the two folders afterwards (printed at the
end). The load average is printed with every run: on a shared machine read the CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("exports_cpu", "index_cpu", "maps_cpu", "main_cpu", "wait_s", "wall_s", "edition_s",
         "main_done_s", "maps_done_s")


def timed_maps(database: Path, out_dir: Path) -> tuple[list[Path], tuple[float, float]]:
    """The maps, as the second process draws them, their CPU seconds there and the clock
    (``time.time``, the same in both processes) when they were done."""
    from atlas.maps.render import write_level_maps

    start = time.process_time()
    written = write_level_maps(database, out_dir)
    return written, (time.process_time() - start, time.time())


def run_tree(db: Path, out: Path, cache: Path, shown: Path, runs: int) -> list[dict]:
    """``runs`` outputs phases in this process (and one second process); their times."""
    import shutil

    import atlas.exports.write as exports
    import atlas.maps.index_page as index_page
    from atlas.build import outputs
    from atlas.build.worker import PREPARE_TARGET, _warm_up_maps, call, second_process

    found: dict[str, float] = {}

    def cpu_of(module, name: str, key: str) -> None:
        function = getattr(module, name)

        def timed(*args, **kwargs):
            found.setdefault("first_start", time.time())  # the edition copy is made
            start = time.process_time()
            value = function(*args, **kwargs)
            found[key] = time.process_time() - start
            return value
        setattr(module, name, timed)

    cpu_of(exports, "write_default_exports", "exports_cpu")
    cpu_of(index_page, "write_index", "index_cpu")
    result = outputs.result

    def waited(future):
        start, found["main_done"] = time.perf_counter(), time.time()
        value, (found["maps_cpu"], found["maps_done"]) = result(future)
        found["wait_s"] = time.perf_counter() - start
        return value
    outputs.result = waited
    outputs.MAPS_TARGET = "bench_outputs:timed_maps"  # importable: benchmarks/ on the path
    times = []
    with second_process() as pool:
        pool.submit(_warm_up_maps).result()
        pool.submit(call, PREPARE_TARGET, db, cache=cache).result()  # the drawn shapes
        for _ in range(runs):
            shutil.rmtree(out, ignore_errors=True)
            found.clear()
            wall, cpu, clock = time.perf_counter(), time.process_time(), time.time()
            outputs.write_outputs(db, out, maps=True, exports=True, step=lambda _: None,
                                  worker=pool, cache_dir=cache, shown_dir=shown)
            found["main_cpu"] = time.process_time() - cpu
            found["wall_s"] = time.perf_counter() - wall
            found["edition_s"] = found.pop("first_start") - clock  # the timeline
            found["main_done_s"] = found.pop("main_done") - clock
            found["maps_done_s"] = found.pop("maps_done") - clock
            times.append({**found, "load": os.getloadavg()[0]})
    return times


def summary(name: str, runs: list[dict]) -> str:
    parts = []
    for key in PARTS:
        values = [r[key] for r in runs]
        parts.append(f"{key}={statistics.median(values):.2f} ({min(values):.2f}-"
                     f"{max(values):.2f})")
    return f"{name}: " + " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a built atlas.duckdb")
    parser.add_argument("--baseline", help="a git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2, help="runs per process pair")
    parser.add_argument("--work", type=Path, help="folder for outputs and caches (default: "
                        "a temporary one, kept)")
    parser.add_argument("--shown", type=Path, default=Path("/srv/atlas-out"),
                        help="the published folder the exports record")
    parser.add_argument("--one", nargs=2, metavar=("NAME", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        folder = Path(args.one[1])
        times = run_tree(args.db.resolve(), folder / "out", folder / "cache", args.shown,
                         args.runs)
        print(json.dumps(times))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_outputs-"))
    trees = {"current": ROOT}
    if args.baseline:
        base = work / f"tree-{args.baseline}"
        base.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        trees = {f"baseline_{args.baseline}": base, "current": ROOT}
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; work in {work}")
    found: dict[str, list[dict]] = {name: [] for name in trees}
    for round_ in range(1, args.rounds + 1):
        for name, tree in trees.items():
            env = {**os.environ,
                   "PYTHONPATH": os.pathsep.join([str(tree), str(ROOT / "benchmarks")])}
            command = [sys.executable, str(ROOT / "benchmarks" / "bench_outputs.py"),
                       "--db", str(args.db), "--runs", str(args.runs), "--shown",
                       str(args.shown), "--one", name, str(work / name)]
            done = subprocess.run(command, env=env, check=True, capture_output=True,
                                  text=True, cwd=tree)
            times = json.loads(done.stdout.strip().splitlines()[-1])
            found[name] += times
            for run in times:
                print(f"{name} round {round_}: " + " ".join(
                    f"{k}={run[k]:.2f}" for k in (*PARTS, "load")))
    for name, runs in found.items():
        print(summary(name, runs))
    if args.baseline:
        print(f"compare: python benchmarks/compare_outputs.py {work}/baseline_{args.baseline}"
              f"/out {work}/current/out")


if __name__ == "__main__":
    main()
