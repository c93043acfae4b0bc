"""Time the atlas build (database only, no maps or exports) and report peak memory.

    python benchmarks/bench_build.py --data-dir ../shared/data

Prints one line: ``build_s=.. read_s=.. engine_s=.. engine_share=.. peak_rss_mb=..``, all
measured in this one run: read = reading and validating every input (US, China, world),
engine = indices, uncertainty, scenarios, trap zones and comments; engine_share = engine /
build.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

from atlas.build import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    marks: dict[str, float] = {}

    def step(message: str) -> None:
        marks.setdefault(message.split(" ")[0], time.perf_counter())  # first of each kind

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = build(out, args.data_dir, step=step)
        finished = time.perf_counter()
    read_s = marks["writing"] - marks["reading"]
    engine_s = finished - marks["computing"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = finished - started
    regions = sum(count for key, count in result.counts.items()
                  if key != "employment_us_area")
    print(f"build_s={total:.2f} read_s={read_s:.2f} engine_s={engine_s:.2f} "
          f"engine_share={engine_s / total:.3f} peak_rss_mb={peak_mb:.0f} regions={regions}")


if __name__ == "__main__":
    main()
