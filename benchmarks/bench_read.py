"""Time the input side of a first build (validate, read, write the model tables), alternating
the current tree and a baseline, with the CPU of both processes and this process's waits.

    python benchmarks/bench_read.py --data-dir ../shared/data --baseline 7a21eeb --repeat 3

Each run is its own process (``--one``): a database build (``atlas.build.database.build``
with the second process of ``atlas.build.worker.second_process``, no maps), into a new
output folder with an empty cache folder, stopped once the model tables are written (when
the build calls ``on_read``). It prints per run the wall clock of the phases validate
(checking the inputs), read (the readers, the scores) and write (the model tables), the wall
from the build's start to the model tables, the CPU seconds (user and system) of this
process and of its second process, and ``wait_s``: how long this process waited for the
second one (``atlas.build.worker.result``: the geometry it checked, the dissolve, China's
level set). The trees run alternately, so both see the same load; read the CPU figures and
the ratios within a run, not the wall clocks across runs, when the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = (("checking", "validate"), ("reading", "read"), ("writing the model", "write"))


class Stop(Exception):
    """Raised when the model tables are written: the rest of the build is not timed."""


def run_one(data_dir: str | None, out: str, cache: str) -> dict:
    """The input side of a cold build into ``out`` with the cache folder ``cache``."""
    from atlas.build import reading, worker
    from atlas.build.database import build

    started = time.perf_counter()
    marks: list[tuple[str, float]] = []
    waited = [0.0]
    original = worker.result

    def timed_result(future):
        begin = time.perf_counter()
        try:
            return original(future)
        finally:
            waited[0] += time.perf_counter() - begin

    worker.result = reading.result = timed_result

    def step(message: str) -> None:
        for prefix, phase in PHASES:
            if message.startswith(prefix):
                marks.append((phase, time.perf_counter()))

    def on_read() -> None:
        marks.append(("done", time.perf_counter()))
        raise Stop

    with worker.second_process(maps=False) as executor, contextlib.suppress(Stop):
        build(out, data_dir, None, step=step, executor=executor, cache_dir=Path(cache),
              on_read=on_read)
    result = {name: round(later - at, 3) for (name, at), (_, later)
              in zip(marks, marks[1:], strict=False)}
    result["to_tables_s"] = round(marks[-1][1] - started, 3)
    result["wait_s"] = round(waited[0], 3)
    own = resource.getrusage(resource.RUSAGE_SELF)
    second = resource.getrusage(resource.RUSAGE_CHILDREN)  # the second process, ended
    result["cpu_main_s"] = round(own.ru_utime + own.ru_stime, 2)
    result["cpu_second_s"] = round(second.ru_utime + second.ru_stime, 2)
    return result


def run_tree(tree: Path, data_dir: str | None, work: Path) -> dict:
    """One run of ``tree`` in its own process, in a new output and cache folder."""
    out, cache = tempfile.mkdtemp(dir=work), tempfile.mkdtemp(dir=work)
    command = [sys.executable, str(Path(__file__).resolve()), "--one", "--out", out,
               "--cache", cache] + (["--data-dir", data_dir] if data_dir else [])
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        return {"failed": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--baseline", default=None, help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.data_dir, args.out, args.cache)))
        return
    with tempfile.TemporaryDirectory(prefix="bench_read_") as folder:
        work = Path(folder)
        trees = {"current": ROOT}
        if args.baseline:
            tree = work / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            args.baseline], check=True, capture_output=True)
            trees = {f"baseline_{args.baseline}": tree, **trees}
        try:
            for index in range(args.repeat):
                for label, tree in trees.items():  # alternately, same conditions
                    load = os.getloadavg()[0]
                    result = run_tree(tree, args.data_dir, work)
                    cpu = result.get("cpu_main_s", 0) + result.get("cpu_second_s", 0)
                    print(f"{label} run {index + 1}: "
                          + " ".join(f"{key}={value}" for key, value in result.items())
                          + f" cpu_s={cpu:.2f} load={load:.2f}", flush=True)
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(trees[f"baseline_{args.baseline}"])], capture_output=True)


if __name__ == "__main__":
    main()
