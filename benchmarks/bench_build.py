"""Time the whole atlas build (database, exports and maps), phase by phase, against a baseline.

    python benchmarks/bench_build.py --data-dir ../shared/data
    python benchmarks/bench_build.py --data-dir ../shared/data --baseline 2a41eb8 --repeat 3

Each build runs in its own process (``--one``): ``atlas.build.pipeline.build_all``, what
``atlas build`` runs (for a revision from before it, ``atlas.build.database.build`` and then
``atlas.build.outputs.write_outputs``), with the build's progress messages timed into phases:
validate (checking every input, or hashing them when an earlier build's model tables are
reused), read (the readers), write_tables, restore (the reused model tables copied in),
engine (exposure, diversity, collapse risk), after (rank uncertainty, scenarios, trap zones,
diagnostics, comments, the database written and renamed), and exports and maps (one
``outputs`` phase where they run at once). ``total_s`` is
the build and its outputs in the process, ``process_s`` the process's wall clock (with the
interpreter and the imports), ``cpu_s`` the CPU time (user and system) of the process and of
its second process (steadier than wall clock on a shared machine, where other work and the
hypervisor take turns on the cores), ``peak_rss_mb`` the process's high-water mark.

With ``--baseline REV`` the revision is checked out into a temporary git worktree (removed
at the end) and run with this virtual environment (``PYTHONPATH`` = the worktree), and the
two trees are built alternately, ``--repeat`` times each, each into its own output folder
(kept across its repeats) and with its own empty cache folder (``ATLAS_CACHE_DIR``, the cache
shared by every output folder since the user cache; older trees keep theirs in
``<out>/.cache``). Each tree's first run starts with an empty cache (``*_cold``: the first
build, with the default configuration); its later runs find that run's cache (``*_warm``: a
rebuild after a change of weights), and each of them really changes a weight: it builds
with a configuration file (:data:`WARM_CONFIG`) that moves the shock pillar's weight from the
default's to another value in every repeat, so that the engine, the rank uncertainty, the
backtests and everything after are recomputed, as after a user's change (the cache may
only reuse what the weights cannot change: the checked inputs, the geometry). Then the
current tree builds once more, with the default configuration, into a new output folder with
its warm cache (``current_new_folder``: a first build into a new folder, which the shared
cache makes a rebuild). It prints a line per run, then per phase the minimum of each group and the
ratios baseline_cold / current_cold (first build), baseline_warm / current_warm (rebuild) and
baseline_cold / current_new_folder, and the load average (the machine may be shared).

Before any timed run each tree builds once, untimed, into a throwaway folder and cache
(``--no-warm-up`` skips it): the first build of an invocation used to pay what the later ones
find done (the new worktree's compiled modules, the inputs and libraries in the system's file
cache), and it is always the baseline's, so the first-build ratio favoured the current tree
(an A/A run of one tree against itself, load 3.6-4.0: 25.03 s against 22.71 s, CPU 23.74
against 22.08 s). A
phase that failed (an exception in the maps, say) is reported as failed with its message.
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

PHASES = (("checking", "validate"), ("every input", "validate"), ("reading", "read"),
          ("writing the model", "write_tables"), ("copying the model", "restore"),
          ("computing", "engine"), ("rank uncertainty", "after"),
          ("writing exports and drawing maps", "outputs"),
          ("writing default exports", "exports"), ("drawing", "maps"))
ORDER = ["validate", "read", "write_tables", "restore", "engine", "after", "exports", "maps",
         "outputs", "total", "process", "cpu"]
ROOT = Path(__file__).resolve().parent.parent
# (current tree's group, baseline's group) compared in the summary
RATIOS = (("current_cold", "cold"), ("current_warm", "warm"), ("current_new_folder", "cold"))
# what a rebuild changes (``*_warm`` run number n >= 1): the shock pillar's weight, to
# SHOCK_WEIGHTS[n % 2] (the default model's is 0.5)
WARM_CONFIG = "[risk.pillar_weights]\nshock = {weight}\n"
SHOCK_WEIGHTS = (0.45, 0.55)


def load(config_path: str | None):
    """The configuration at ``config_path`` (None: the default), as the tree reads it."""
    if config_path is None:
        return None
    try:
        from atlas.spec.config import load_config
    except ImportError:  # a revision from before the move into packages (issue 27)
        from atlas.config import load_config
    return load_config(config_path)


def run_one(data_dir: str | None, out: str, config_path: str | None = None) -> dict:
    """Build into ``out`` in this process (with the configuration file ``config_path``, if
    given); returns the phase times."""
    marks: list[tuple[float, str]] = []

    def step(message: str) -> None:
        for prefix, phase in PHASES:
            if message.startswith(prefix):
                marks.append((time.perf_counter(), phase))
                return

    result: dict = {"errors": {}}
    config = load(config_path)
    started = time.perf_counter()
    try:
        from atlas.build.pipeline import build_all  # what `atlas build` runs
    except ImportError:
        try:  # a revision from before the move into packages (issue 27)
            from atlas.pipeline import build_all
        except ImportError:  # a baseline revision from before it: the same steps one by one
            build_all = None
    if build_all is not None:
        try:
            build_all(out, data_dir, config, step=step)
        except Exception as exc:  # report a failed phase instead of losing the run
            result["errors"][marks[-1][1] if marks else "validate"] = \
                f"{type(exc).__name__}: {exc}"
    else:
        from atlas.build.database import build
        from atlas.build.outputs import write_outputs

        built = build(out, data_dir, config, step=step)
        marks.append((time.perf_counter(), "closing"))
        try:
            write_outputs(built.database, Path(out), maps=True, exports=True, step=step)
        except Exception as exc:  # report a failed phase instead of losing the run
            result["errors"][marks[-1][1]] = f"{type(exc).__name__}: {exc}"
    finished = time.perf_counter()
    phases: dict[str, float] = {}
    for (at, phase), (until, _) in zip(marks, [*marks[1:], (finished, "")], strict=True):
        name = "after" if phase == "closing" else phase  # rename and close: part of after
        phases[name] = phases.get(name, 0.0) + until - at
    if marks:
        phases["validate"] = phases.get("validate", 0.0) + marks[0][0] - started
    phases["total"] = finished - started
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    phases["cpu"] = sum(u.ru_utime + u.ru_stime for u in used)  # with the ended second process
    result["phases"] = phases
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_tree(tree: Path, data_dir: str | None, out: Path, cache: Path,
             config: Path | None = None) -> dict:
    """One build of ``tree`` in a fresh process, with ``cache`` as its cache folder (and the
    configuration file ``config``, if given)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "ATLAS_CACHE_DIR": str(cache)}
    command = [sys.executable, str(Path(__file__).resolve()), "--one", "--out", str(out)]
    if config is not None:
        command += ["--config", str(config)]
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
    """Per phase: each group's minimum over its runs (and spread), and the ratios of
    :data:`RATIOS` (the baseline's group / the current tree's group) where both ran."""
    lines = []
    labels = [label for label in runs if runs[label]]
    baseline = next((label[:-len("_cold")] for label in labels
                     if label.startswith("baseline") and label.endswith("_cold")), None)
    for name in ORDER:
        values = {label: [r["phases"][name] for r in runs[label] if name in r["phases"]]
                  for label in labels}
        if not any(values.values()):
            continue
        text = " ".join(f"{label}={min(v):.2f}(+{max(v) - min(v):.2f})" if v else
                        f"{label}=absent" for label, v in values.items())
        for ours, theirs in RATIOS if baseline else ():
            mine, base = values.get(ours), values.get(f"{baseline}_{theirs}")
            if mine and base:
                text += f" {theirs}/{ours.removeprefix('current_')}={min(base) / min(mine):.2f}"
        lines.append(f"{name}: {text}")
    return lines


def groups(label: str) -> list[str]:
    """The groups a tree's runs fall in: its first run starts with an empty cache folder
    (cold), its later ones find the first one's cache (warm)."""
    return [f"{label}_cold", f"{label}_warm"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--baseline", default=None, help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-warm-up", action="store_true",
                        help="skip the untimed first build of each tree")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--config", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.data_dir, args.out, args.config)))
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
        runs: dict[str, list[dict]] = {group: [] for label in trees
                                       for group in groups(label)}
        runs["current_new_folder"] = []
        try:
            for label, tree in trees.items() if not args.no_warm_up else ():
                run_tree(tree, args.data_dir, Path(work) / f"warm_up_{label}",
                         Path(work) / f"warm_up_cache_{label}")
                print(f"{label}: warmed up (one untimed build)", flush=True)
            for index in range(args.repeat):
                config = None
                if index:  # a rebuild after a change of weights
                    config = Path(work) / f"weights_{index}.toml"
                    config.write_text(WARM_CONFIG.format(
                        weight=SHOCK_WEIGHTS[index % 2]), encoding="utf-8")
                for label, tree in trees.items():  # alternately, same conditions
                    result = run_tree(tree, args.data_dir, Path(work) / f"out_{label}",
                                      Path(work) / f"cache_{label}", config)
                    group = groups(label)[min(index, 1)]
                    runs[group].append(result)
                    print(describe(f"{group} run {index + 1}", result), flush=True)
            result = run_tree(ROOT, args.data_dir, Path(work) / "out_current_new_folder",
                              Path(work) / "cache_current")
            runs["current_new_folder"].append(result)
            print(describe("current_new_folder run 1", result), flush=True)
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(trees[f"baseline_{args.baseline}"])], capture_output=True)
    for text in summary(runs):
        print(text)


if __name__ == "__main__":
    main()
