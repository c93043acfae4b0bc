"""Build the atlas database from the real inputs, atomically.

Every input is validated before the model tables are written (``Inputs.check_all``, with the
second process's share: :mod:`atlas.build.reading`), so bad input stops the build before
anything is written. The database is written to a temporary file beside the
target and renamed over it only when every step has succeeded, so a failed build leaves the
previous ``atlas.duckdb`` intact and readers of the old file are never disturbed. Temporaries
that a killed build left in the output folders are removed by the next build.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from atlas import __version__
from atlas.build.evidence import start_backtests, write_backtests, write_evidence
from atlas.build.prefetch import prefetch
from atlas.build.publish import new_build_id, recover, remove_stale_stages
from atlas.build.reading import (
    data_quality_notes,
    read_model_tables,
    start_geometry_checks,
    start_independent_readers,
    start_preparing,
)
from atlas.build.worker import prepare, warm_up_later
from atlas.engine.clusters import start_trap_zones
from atlas.engine.core import compute_indices, compute_top_categories
from atlas.engine.diagnostics import compute_diagnostics
from atlas.engine.local_moran import HEAVY_IMPORTS
from atlas.engine.programmes import compute_programmes
from atlas.engine.scenarios import compute_scenarios
from atlas.engine.shift import compute_shift
from atlas.engine.uncertainty import compute_rank_uncertainty
from atlas.errors import ConfigError
from atlas.sources.inputs import PROJECT_ROOT, Inputs
from atlas.sources.reader_cache import NAME as MODEL_TABLES
from atlas.sources.reader_cache import SUFFIX as MODEL_SUFFIX
from atlas.sources.reader_cache import (
    Entry,
    find_entry,
    keep,
    model_key,
    read_into_entry,
    restore,
    restore_file,
)
from atlas.sources.registry import Arriving
from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import default_level
from atlas.store.blas import one_blas_thread
from atlas.store.cache import (
    CACHE_FOLDER,
    cache_folder,
    cache_home,
    geometry_cache,
    pending_file,
)
from atlas.store.database import write_tables
from atlas.store.files import atomic_write, disk_full, remove_stale_temporaries
from atlas.store.terms import write_terms_tables
from atlas.texts.catalog import apply_comments

# Folders of the output folder that atomic writes go to (the database, maps, exports).
OUTPUT_SUBFOLDERS = ("maps", "exports")
Step = Callable[[str], None]
# the tables written after everything else (their comments too): the backtests, which the
# second process may still be computing
LAST = frozenset({"backtest"})
AHEAD = "atlas.engine.steps_ahead:compute_ahead"  # a first build's steps computed ahead


@dataclass
class BuildResult:
    """What a build produced."""

    database: Path
    seconds: float
    summary: pd.DataFrame
    counts: dict[str, int]


def git_commit() -> str:
    """The project's current git commit, or 'unknown' outside a checkout."""
    try:
        out = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def summarize(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, dict[str, int]]:
    """Top 10 regions of the first declared level by collapse risk, and region counts per
    level (``employment``: that level's jobs)."""
    first = default_level()
    summary = con.execute("""
        SELECT risk_rank, name, state, total_employment, collapse_risk,
            COLUMNS('^pillar_'), flag_trap, flag_transition_target
        FROM region_indices WHERE level = ? ORDER BY risk_rank LIMIT 10
    """, [first]).df()
    counts = dict(con.execute("""
        SELECT r.level, count(r.collapse_risk) FROM region_indices AS r
        JOIN levels AS l USING (level) WHERE l.is_default GROUP BY r.level ORDER BY r.level
    """).fetchall())
    for geography, periods in con.execute("""
            SELECT geography, count(*) FROM levels WHERE NOT is_default
            AND level IN (SELECT level FROM region_indices) GROUP BY geography""").fetchall():
        counts[f"periods_{geography}"] = int(periods)
    counts["employment"] = int(con.execute(
        "SELECT coalesce(sum(employment), 0) FROM employment WHERE level = ?", [first]
    ).fetchone()[0])
    return summary, counts


def build_database(path: Path, inputs: Inputs, config: AtlasConfig, config_text: str,
                   step: Step, key: str, cached: Entry | None, executor: Executor | None = None,
                   arriving: Arriving | None = None, build_id: str = "",
                   on_read: Callable[[], None] | None = None
                   ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Write the complete database at ``path``; returns its summary.

    The model tables come from ``cached`` (an earlier build's, for the same inputs, code and
    reader settings: :mod:`atlas.sources.reader_cache`; its file copied as the start of
    this database, :func:`~atlas.sources.reader_cache.restore_file`) or from reading the
    inputs (the readers in ``arriving`` run elsewhere), and are then kept under ``key``.
    The trap zones' Local Moran and the backtests' bootstrap run in ``executor`` (the
    second process of :func:`atlas.build.worker.second_process`) while this one computes
    the rank uncertainty; in a first build, the cached steps that read only model tables
    (:mod:`atlas.engine.steps_ahead`) run there while this one carries the shift and runs
    the engine."""
    if cached is not None:
        step(f"copying the model tables from {cached.path}")
    copied = cached is not None and restore_file(path, cached)  # the file, as it is
    read = partial(read_model_tables, inputs=inputs, config=config, step=step,
                   arriving=arriving)
    # a first build: the model tables written into the cache's new entry, copied from there
    entry = cached is None and read_into_entry(path, key, inputs, read)
    # then the cached steps that read only model tables, in the second process meanwhile, from
    # the entry's closed file (atlas.engine.steps_ahead); found by this one's calls of them
    ahead = prepare(executor if entry else None, AHEAD,
                    pending_file(MODEL_TABLES, key, MODEL_SUFFIX),
                    config.exposure.default_measure, config.exposure.automation_measure,
                    cache=cache_folder())
    con = duckdb.connect(str(path))
    try:
        if cached is not None:
            if not copied:
                restore(con, cached)
        elif not entry:
            keep(con, key, read(con), inputs)  # outside a cache block: keep does nothing
        if on_read is not None:
            on_read()
        step("the shift since May 2022: national occupation trends and their projection")
        shift = compute_shift(con, inputs, config)
        step("computing exposure, diversity and collapse risk")
        compute_indices(con, config)
        ahead.collect()
        compute_top_categories(con, config.exposure.default_measure)
        step("rank uncertainty, adoption scenarios, trap zones and diagnostics")
        write_trap_zones = start_trap_zones(con, config, executor)
        backtests = start_backtests(con, inputs, executor)  # in the second process meanwhile
        # the map modules there once the backtests are done, then the drawn shapes from the
        # model tables' file (closed: this process reads only its own copy)
        warm_up_later(executor, cached.path if cached is not None
                      else pending_file(MODEL_TABLES, key, MODEL_SUFFIX), cache_folder())
        compute_rank_uncertainty(con, config)
        compute_scenarios(con, config)
        compute_programmes(con, config)
        write_trap_zones(con)
        compute_diagnostics(con, config)
        provenance = pd.DataFrame(list(inputs.provenance.values()))
        build_info = pd.DataFrame({
            "key": ["atlas_version", "git_commit", "created_at", "data_dir", "config",
                    "duckdb_version", "uncertainty_seed", "trap_zone_seed", "build_id"],
            "value": [__version__, git_commit(), datetime.now(UTC).isoformat(timespec="seconds"),
                      str(inputs.data_dir), config_text, duckdb.__version__,
                      str(config.uncertainty.seed), str(config.trap_zones.seed),
                      build_id or new_build_id()],
        })
        write_tables(con, {"provenance": provenance, "build_info": build_info})
        step("evidence: published figures, backtests and lineage (atlas/evidence.toml)")
        write_evidence(con, inputs, config, shift)
        write_terms_tables(con, inputs.specs)
        apply_comments(con, config, exclude=LAST)
        summary = summarize(con)
        # last: the backtests' bootstrap may still be running in the second process
        write_backtests(con, backtests)
        apply_comments(con, config, only=LAST)
        con.execute("CHECKPOINT")
        return summary
    finally:
        con.close()


def writable(folder: Path) -> bool:
    """True if this process may create files in ``folder``."""
    return os.access(folder, os.W_OK | os.X_OK)


def check_output_folder(out: Path) -> None:
    """Say in one line, without creating anything, why ``out`` cannot be an output folder
    (a file, or under a file)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file, not a folder (choose a folder for the atlas)")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ConfigError(f"--out {out}: {blocking} is a file, not a folder, so no folder can "
                          "be made under it (choose another --out)")


def prepare_output_folder(out: Path, started: float | None = None,
                          step: Step | None = None) -> Path:
    """Create the output folder, or say in one line why it cannot be used.

    With ``started`` (the ``time.time()`` at which the running build began), temporaries of
    interrupted atomic writes older than that are removed from the folder and its ``maps``
    and ``exports`` folders (see :func:`atlas.store.files.stale_temporaries`); ``step`` is told.

    Raises
    ------
    ConfigError
        if ``out`` is an existing file or a folder this process cannot write to.
    """
    check_output_folder(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if disk_full(exc):
            raise ConfigError(f"--out {out}: the disk is full; free some space or choose "
                              "another --out") from exc
        raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror})") from exc
    if not writable(out):
        raise ConfigError(f"--out {out}: the folder is not writable (choose another --out)")
    if started is not None:
        recover(out, step)  # a publishing an interrupted build left (atlas.build.publish)
        folders = [out] + [out / name for name in (*OUTPUT_SUBFOLDERS, CACHE_FOLDER)]
        removed = remove_stale_stages(out) + remove_stale_temporaries(folders, started)
        if removed and step is not None:
            step(f"removed {len(removed)} temporary file(s) left by an interrupted build: "
                 + ", ".join(str(path.relative_to(out)) for path in removed))
    return out


def build(out_dir: str | Path, data_dir: str | Path | None = None,
          config: AtlasConfig | None = None, step: Step | None = None,
          executor: Executor | None = None, *, cache_dir: Path | None = None,
          build_id: str = "", on_read: Callable[[], None] | None = None) -> BuildResult:
    """Build ``<out_dir>/atlas.duckdb`` from the inputs under ``data_dir``.

    ``cache_dir`` (default :func:`atlas.store.cache.cache_home`, shared by every output
    folder) holds the cache; ``build_id`` (default: a new
    one) is recorded in ``build_info`` (``atlas.build.pipeline`` builds into a staging
    folder and passes the output folder's cache and the id of the whole build).

    ``executor`` (the second process of :func:`atlas.build.worker.second_process`) checks the
    geometry inputs and reads the independent levels first, then computes the trap zones'
    Local Moran (importing :data:`atlas.engine.local_moran.HEAVY_IMPORTS` for the first
    level); without one they are computed here, their libraries imported in the background
    meanwhile. ``on_read`` is called once the model tables are in the database (the outputs'
    libraries are imported in the background then, not while this process reads).

    Raises
    ------
    atlas.errors.AtlasError
        for bad input or configuration; the previous database is left untouched.
    """
    from atlas.spec.config import load_config

    config = config or load_config()
    step = step or (lambda message: None)
    started = time.perf_counter()
    if executor is None:
        prefetch(HEAVY_IMPORTS)  # the trap zones' libraries, imported while the build reads
    began = time.time()
    out = prepare_output_folder(Path(out_dir), started=began, step=step)
    inputs = Inputs(data_dir)
    if inputs.profile is not None:
        step(f"{inputs.data_dir} selects the input profile '{inputs.profile}' of the manifest "
             "(profiles.<name> in atlas/spec/manifest.toml): synthetic inputs, not data about "
             "places")
    built: dict[str, Any] = {}

    def write(temp: Path) -> None:
        temp.unlink()  # DuckDB creates the file itself
        built["summary"], built["counts"] = build_database(
            temp, inputs, config, config.to_json(), step, key, cached, executor, arriving,
            build_id, on_read)

    # model tables, validated geometry, dissolved regions, contiguity: cached by the sha256
    # of what they depend on (atlas.store.cache, atlas.sources.reader_cache)
    cache = Path(cache_dir) if cache_dir is not None else cache_home()
    removed = remove_stale_temporaries([cache], began)  # left by a killed build's cache writes
    if removed:
        step(f"removed {len(removed)} temporary file(s) left in {cache} by an interrupted build")
    with geometry_cache(cache, report=step), one_blas_thread():  # figures whatever the cores
        key = model_key(inputs, config)
        cached = find_entry(key)
        arriving: Arriving = {}
        if cached is None:
            later, take_geometry = start_geometry_checks(inputs, executor, cache)
            start_preparing(inputs, executor, cache)  # the dissolves, there, after those
            arriving = start_independent_readers(inputs, config, executor, cache)
            step("checking every input against atlas/spec/manifest.toml")
            inputs.check_all(skip=later)  # the tables (and geometry without a second process)
            # the geometry, validated in the second process meanwhile, is taken when a reader
            # first asks for it, and checked here before the model tables are written
            inputs.defer(later, take_geometry)
        else:
            step("every input, the code and the reader settings are those of an earlier "
                 "build: its checked model tables are reused")
            inputs.restore(cached.provenance, cached.repaired)
            data_quality_notes(inputs, step)
        target = atomic_write(out / "atlas.duckdb", write)
    return BuildResult(target, time.perf_counter() - started, built["summary"], built["counts"])
