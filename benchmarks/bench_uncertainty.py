"""Time the rank-uncertainty step (every measure x 1,001 weight vectors) on the built atlas.

    python benchmarks/bench_uncertainty.py --db out/atlas.duckdb

Prints ``specs=.. regions=.. uncertainty_s=.. ranking_s=.. ranking_share=..``: the whole step
(SQL for per-measure vulnerable shares + NumPy ranking of all specifications) and the NumPy
ranking alone, measured in one run on a copy of the database.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from atlas import uncertainty
from atlas.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="out/atlas.duckdb")
    args = parser.parse_args()
    config = load_config()
    timings = {"ranking": 0.0, "specs": 0}
    original = uncertainty.rank_specifications

    def timed(*a, **k):
        started = time.perf_counter()
        ranks = original(*a, **k)
        timings["ranking"] += time.perf_counter() - started
        timings["specs"] = max(timings["specs"], ranks.shape[0])
        return ranks

    uncertainty.rank_specifications = timed
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / "atlas.duckdb"
        shutil.copy(args.db, copy)
        con = duckdb.connect(str(copy))
        started = time.perf_counter()
        uncertainty.compute_rank_uncertainty(con, config)
        total = time.perf_counter() - started
        regions = con.execute("SELECT count(*) FROM region_indices WHERE level = 'us_area'"
                              ).fetchone()[0]
        con.close()
    print(f"specs={timings['specs']} regions={regions} uncertainty_s={total:.2f} "
          f"ranking_s={timings['ranking']:.2f} ranking_share={timings['ranking'] / total:.2f} "
          f"numpy={np.__version__}")


if __name__ == "__main__":
    main()
