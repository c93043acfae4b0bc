"""The scale benchmark runs end to end on a small synthetic level, and its sums check holds.

``benchmarks/bench_scale.py`` is what ``bench_headline.py --speed`` and the README's headline
rely on; a change of the engine's scratch tables once broke its last peer (the BLAS floor)
without any test noticing. Times are never asserted, only that every peer ran and that the
matrix sums equal the SQL reference to 1e-9 (issue #32's acceptance).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_scale_runs_every_peer_and_the_sums_agree(tmp_path: Path) -> None:
    runs = tmp_path / "runs.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--rows", "20000",
         "--repeat", "1", "--pandas-max-rows", "20000", "--polars-max-rows", "0",
         "--work", str(tmp_path), "--json", str(runs)],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "failed" not in done.stdout, done.stdout
    result = json.loads(runs.read_text().splitlines()[-1])
    for peer in ("engine", "sums_matrix", "sums_sql", "duckdb_pass", "pandas", "floor"):
        assert len(result[peer]) >= 1 and all(t > 0 for t in result[peer]), peer
    assert result["max_rel_diff"] <= 1e-9


def test_bench_headline_speed_says_what_is_missing_before_building(tmp_path: Path) -> None:
    """Without a Chromium to drive, ``bench_headline.py --speed`` stops at once with one line
    naming it (exit 2) and leaves its output file alone, instead of a traceback after a
    whole build (as it did when the bench extra was not installed)."""
    output = tmp_path / "headline.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_headline.py"), "--speed",
         "--data-dir", str(tmp_path / "no-data"), "--output", str(output)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "ATLAS_CHROMIUM": str(tmp_path / "no-chromium")})
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert f"Chromium at {tmp_path / 'no-chromium'}" in done.stderr
    assert not output.exists()
