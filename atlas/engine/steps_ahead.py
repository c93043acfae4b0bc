"""The cached steps of a first build that read nothing but model tables, computed ahead.

A first build computes every cached step (:mod:`atlas.store.cache_steps`); a rebuild reuses
them. Two of them read only tables the readers wrote (``employment``, ``exposure_scores``,
``levels``, ``categories``): the top categories (:func:`atlas.engine.core.compute_top_categories`,
in the engine) and the scenarios' base (:func:`atlas.engine.scenarios.scenario_base`, in the
after phase). The build's second process is idle while the build writes the model tables,
carries the shift and runs the engine's sums, so :func:`compute_ahead` runs them there, on a
copy of the tables they read taken from the closed model-tables file, inside the cache block
of its call: their entries are handed over to the build (:func:`atlas.build.worker.prepare`),
whose own calls of the same steps then find them. The build's calls decide the results: a
key that differs there (a table changed in between, other arguments) is a miss, computed as
without this.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb

from atlas.engine.core import compute_top_categories
from atlas.engine.scenarios import scenario_base
from atlas.store.cache_steps import copy_tables
from atlas.store.fingerprint import quote_literal

ALIAS = "model_tables"  # the model tables' file, attached while the tables are copied


def steps(exposure_measure: str, automation_measure: str
          ) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
    """The cached steps computed ahead, each with the arguments the build gives it
    (``exposure.default_measure``, ``exposure.automation_measure``)."""
    return [(compute_top_categories, (exposure_measure,)),
            (scenario_base, (exposure_measure, automation_measure))]


def compute_ahead(model_tables: Path, exposure_measure: str, automation_measure: str) -> int:
    """Run :func:`steps` on an in-memory copy of the tables they read from the closed file
    ``model_tables`` (one DuckDB thread: the build's engine has the other core); returns the
    number of steps run. Meant for a :func:`atlas.store.cache.geometry_cache` block (outside
    one, the steps are simply computed and dropped)."""
    chosen = steps(exposure_measure, automation_measure)
    reads = sorted({table for step, _ in chosen for table in step.step.reads})
    with closing(duckdb.connect(config={"threads": 1})) as con:
        con.execute(f"ATTACH {quote_literal(model_tables)} AS {ALIAS} (READ_ONLY)")
        copy_tables(con, reads, f"{ALIAS}.main", "main")
        con.execute(f"DETACH {ALIAS}")
        con.execute("SET preserve_insertion_order = false")  # as the build's engine sets it
        for step, arguments in chosen:
            step(con, *arguments)
    return len(chosen)
