"""Time the whole atlas build (database, exports and maps), phase by phase, against a baseline.

    python benchmarks/bench_build.py --data-dir ../shared/data
    python benchmarks/bench_build.py --data-dir ../shared/data --baseline 2a41eb8 --repeat 3

Each build runs in its own process (``--one``): ``atlas.build.build`` and then
``atlas.outputs.write_outputs`` (maps and exports), with the build's progress messages
timed into phases: validate (checking every input), read (the readers), write_tables,
engine (exposure, diversity, collapse risk), after (rank uncertainty, scenarios, trap zones,
diagnostics, comments, the database written and renamed), exports, maps. ``total_s`` is
the build and its outputs in the process, ``process_s`` the process's wall clock (with the
interpreter and the imports), ``peak_rss_mb`` its high-water mark.

With ``--baseline REV`` the revision is checked out into a temporary git worktree (removed
at the end) and run with this virtual environment (``PYTHONPATH`` = the worktree), and the
two trees are built alternately, ``--repeat`` times each, each into its own output folder
(kept across its repeats, so the current tree's later runs read its geometry cache). It
prints a line per run, then per phase the minimum of each tree and the ratio baseline /
current, and the load average (the machine may be shared). A phase that failed (an
exception in the maps, say) is reported as failed with its message.
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

PHASES = (("checking", "validate"), ("reading", "read"), ("writing the model", "write_tables"),
          ("computing", "engine"), ("rank uncertainty", "after"),
          ("writing default exports", "exports"), ("drawing", "maps"))
ORDER = ["validate", "read", "write_tables", "engine", "after", "exports", "maps",
         "total", "process"]
ROOT = Path(__file__).resolve().parent.parent


def run_one(data_dir: str | None, out: str) -> dict:
    """Build into ``out`` in this process; returns the phase times."""
    from atlas.build import build
    from atlas.outputs import write_outputs

    marks: list[tuple[float, str]] = []

    def step(message: str) -> None:
        for prefix, phase in PHASES:
            if message.startswith(prefix):
                marks.append((time.perf_counter(), phase))
                return

    result: dict = {"errors": {}}
    started = time.perf_counter()
    built = build(out, data_dir, step=step)
    marks.append((time.perf_counter(), "outputs"))
    try:
        write_outputs(built.database, Path(out), maps=True, exports=True, step=step)
    except Exception as exc:  # report a failed phase instead of losing the run
        result["errors"][marks[-1][1]] = f"{type(exc).__name__}: {exc}"
    finished = time.perf_counter()
    phases: dict[str, float] = {}
    for (at, phase), (until, _) in zip(marks, [*marks[1:], (finished, "")], strict=True):
        name = "after" if phase == "outputs" else phase  # rename and close: part of after
        phases[name] = phases.get(name, 0.0) + until - at
    if marks:
        phases["validate"] = phases.get("validate", 0.0) + marks[0][0] - started
    phases["total"] = finished - started
    result["phases"] = phases
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_tree(tree: Path, data_dir: str | None, out: Path) -> dict:
    """One build of ``tree`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(Path(__file__).resolve()), "--one", "--out", str(out)]
    if data_dir:
        command += ["--data-dir", str(Path(data_dir).resolve())]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tree)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"build of {tree} failed: {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["phases"]["process"] = elapsed
    result["load"] = os.getloadavg()[0]
    return result


def describe(label: str, result: dict) -> str:
    phases = result["phases"]
    shown = " ".join(f"{name}_s={phases[name]:.2f}" for name in ORDER if name in phases)
    errors = "".join(f" {phase}_failed={message[:80]!r}"
                     for phase, message in result["errors"].items())
    return (f"{label}: {shown} peak_rss_mb={result['peak_rss_mb']:.0f} "
            f"load={result['load']:.2f}{errors}")


def summary(runs: dict[str, list[dict]]) -> list[str]:
    """Per phase: each tree's minimum over its runs, and baseline / current."""
    lines = []
    labels = list(runs)
    for name in ORDER:
        values = {label: [r["phases"][name] for r in runs[label] if name in r["phases"]]
                  for label in labels}
        if not all(values.values()):
            lines.append(f"{name}: " + " ".join(
                f"{label}={min(v):.2f}" if v else f"{label}=absent" for label, v in
                values.items()))
            continue
        text = " ".join(f"{label}={min(v):.2f}(+{max(v) - min(v):.2f})"
                        for label, v in values.items())
        if len(labels) == 2:
            text += f" ratio={min(values[labels[0]]) / min(values[labels[1]]):.2f}"
        lines.append(f"{name}: {text}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--baseline", default=None, help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.data_dir, args.out)))
        return
    print(f"machine: {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_build_") as work:
        trees = {}
        if args.baseline:
            tree = Path(work) / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            args.baseline], check=True, capture_output=True)
            trees[f"baseline_{args.baseline}"] = tree
        trees["current"] = ROOT
        runs: dict[str, list[dict]] = {label: [] for label in trees}
        try:
            for index in range(args.repeat):
                for label, tree in trees.items():  # alternately, same conditions
                    result = run_tree(tree, args.data_dir, Path(work) / f"out_{label}")
                    runs[label].append(result)
                    print(describe(f"{label} run {index + 1}", result), flush=True)
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(trees[f"baseline_{args.baseline}"])], capture_output=True)
    for text in summary(runs):
        print(text)


if __name__ == "__main__":
    main()
