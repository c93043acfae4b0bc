"""The input side of a first build (no cached model tables): the inputs checked, the
declared readers run, the model tables written.

The second process (:mod:`atlas.build.worker`) is handed its share first: the check of the
geometry inputs it uses itself (validated layers are cached: they come back as cache entries
that this process's check then finds, taken when a reader first asks for one), the dissolves
declared ``prepare`` and the readers of the levels declared ``independent``; meanwhile this
process checks the tables, reads the other levels (validating the other geometry inputs when
they are asked for) and carries the scores. Every input is checked before the model tables
are written.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd

from atlas.build.worker import BEFORE_A_MISS, call, prepare, result
from atlas.errors import AtlasError
from atlas.sources.inputs import Inputs
from atlas.sources.levelset import LevelSet
from atlas.sources.reader_cache import reader_config
from atlas.sources.registry import Arriving, read_all, reader_groups
from atlas.spec import declarations, reference_path
from atlas.spec.config_types import AtlasConfig
from atlas.store.database import write_tables

RUST_BELT_TABLE = reference_path("rust_belt_states.csv")
Step = Callable[[str], None]


def level_tables(level_sets: list[LevelSet], shared: dict[str, pd.DataFrame]
                 ) -> dict[str, pd.DataFrame]:
    """The model tables: every level set's frames concatenated, and the registry's shared
    tables (levels, measures, exposure_scores, unmatched_codes)."""
    names = ("regions", "employment", "categories")
    tables = {name: pd.concat([getattr(s, name) for s in level_sets], ignore_index=True)
              for name in names}
    tables.update(shared)
    tables["region_context"] = pd.concat([s.context for s in level_sets], ignore_index=True)
    tables["context_indicators"] = pd.concat([s.indicators for s in level_sets],
                                             ignore_index=True)
    tables["region_attributes"] = pd.concat([s.attributes for s in level_sets],
                                            ignore_index=True)
    extra_names = {name for level_set in level_sets for name in level_set.extra_tables}
    for name in sorted(extra_names):
        tables[name] = pd.concat([s.extra_tables[name] for s in level_sets
                                  if name in s.extra_tables], ignore_index=True)
    return tables


def check_unique_scores(scores: pd.DataFrame) -> None:
    """One score per taxonomy, measure and category, or an AtlasError naming the first
    duplicate (two readers scoring the same category would otherwise mix silently)."""
    duplicated = scores.duplicated(["taxonomy", "measure", "category"], keep=False)
    if duplicated.any():
        first = scores.loc[duplicated].iloc[0]
        raise AtlasError(f"table exposure_scores: two scores for taxonomy '{first.taxonomy}', "
                         f"measure '{first.measure}', category '{first.category}' "
                         "(expected one per category)")


def start_independent_readers(inputs: Inputs, config: AtlasConfig,
                              executor: Executor | None, cache: Path) -> Arriving:
    """Start the readers of the levels declared ``independent`` in ``executor`` (the second
    process), each with inputs of its own, so that they read while this process checks the
    inputs and reads the other levels; what :func:`atlas.sources.registry.read_levels` collects.
    The cache entries they compute come back with them, written only if this build succeeds."""
    if executor is None:
        return {}
    settings = reader_config(config)
    return {reader: partial(result, executor.submit(
                call, "atlas.sources.registry:read_group", inputs.data_dir, settings, reader,
                instances, cache=cache, hand_back=True))
            for reader, instances in reader_groups(independent=True).items()}


def second_process_geometry(keys: list[str]) -> list[str]:
    """Of the geometry inputs ``keys``, those the second process uses itself: the inputs
    (levels.toml) of the levels whose ``prepare`` or reader (``independent``) it runs."""
    used = {key for decl in declarations.levels() if decl.prepare or decl.independent
            for key in decl.inputs}
    return [key for key in keys if key in used]


def start_geometry_checks(inputs: Inputs, executor: Executor | None, cache: Path
                          ) -> tuple[list[str], Callable[[], None]]:
    """Start validating the geometry inputs the second process uses
    (:func:`second_process_geometry`) in ``executor`` (that process; validated layers are
    cached, tables are not) while this process checks the tables; returns the keys of every
    geometry input, left out of that check (:meth:`Inputs.defer`), and what takes the
    validated layers in (:func:`atlas.build.worker.prepare`, as cache entries, written only
    if this build succeeds), after which :meth:`Inputs.check_all` finds them. The other
    geometry inputs (the countries') are validated here, when a reader first asks for them
    or by the check before the model tables are written: the second process, which then
    dissolves the US regions and reads China, is the read phase's longer path. An input the
    second process finds bad is left to this one's check, which says what is wrong."""
    keys = [key for key, spec in inputs.specs.items() if spec.is_geometry]
    if executor is None or not keys:
        return [], lambda: None
    there = second_process_geometry(keys)
    if not there:
        return keys, lambda: None
    return keys, prepare(executor, "atlas.sources.inputs:check_inputs", inputs.data_dir, there,
                         cache=cache).collect


def start_preparing(inputs: Inputs, executor: Executor | None, cache: Path) -> None:
    """Start the declared ``prepare`` functions (levels.toml: the dissolves) in ``executor``
    (the second process), after the geometry checks, whose validated layers they use; the
    entries they compute are taken into this process's cache before its next lookup that
    finds nothing (:func:`atlas.build.worker.prepare`, :data:`~atlas.build.worker.BEFORE_A_MISS`),
    so that a reader finds its dissolved regions there instead of computing them. Nothing
    without a second process or a declared ``prepare``; if they fail, the readers compute
    (and report) it themselves."""
    if executor is not None and any(decl.prepare for decl in declarations.levels()):
        prepare(executor, "atlas.sources.registry:prepare", inputs.data_dir, cache=cache,
                collect=BEFORE_A_MISS)


def data_quality_notes(inputs: Inputs, step: Step) -> None:
    """Tell ``step`` the data-quality notes of the inputs (the repaired geometries)."""
    for note in inputs.notes():
        step(f"data-quality note: {note}")


def read_model_tables(con: duckdb.DuckDBPyConnection, inputs: Inputs, config: AtlasConfig,
                      step: Step, arriving: Arriving | None = None) -> list[str]:
    """Run the declared readers (those in ``arriving`` started elsewhere) and write the model
    tables; returns their names."""
    step("reading the declared levels and measures (atlas/spec/levels.toml, "
         "atlas/spec/measures.toml)")
    level_sets, shared = read_all(inputs, config, arriving)
    # what no reader here asked for (the geometry of the second process's reader: validated
    # there, taken from what it handed back)
    inputs.check_all()
    data_quality_notes(inputs, step)
    step("writing the model tables")
    tables = level_tables(level_sets, shared)
    tables["rust_belt_states"] = pd.read_csv(RUST_BELT_TABLE, dtype=str)
    check_unique_scores(tables["exposure_scores"])
    write_tables(con, tables, arrow=True)  # the same DuckDB types, read faster
    return list(tables)
