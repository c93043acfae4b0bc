"""Terms travel with the data: what each input's terms allow, and which figures of a level
come only from restricted inputs.

Every input of ``atlas/spec/manifest.toml`` states its ``terms`` (public domain, open with
attribution, research use only, unknown) and its ``attribution``; an input whose terms are
research use only or unknown is *restricted*. A level declares in ``atlas/spec/levels.toml``
(``[level.lineage]``) which inputs each of its own figures comes from; a figure all of whose
inputs are restricted is a *restricted figure*, left out of the shareable outputs
(:mod:`atlas.store.edition`). ``atlas/spec/lineage.toml`` says which columns of the generic
tables hold a figure. The build records both in the tables ``input_terms`` and ``figure_lineage``.
"""

from __future__ import annotations

import tomllib

import duckdb
import pandas as pd

from atlas.errors import ConfigError
from atlas.spec import spec_path
from atlas.spec.declarations import LevelDecl, levels
from atlas.spec.manifest import InputSpec

LINEAGE_PATH = spec_path("lineage.toml")
FIGURE_KINDS = ("composition", "regions", "context", "series")



def level_inputs(decl: LevelDecl) -> list[str]:
    """Every input a level's outputs use: its inputs, also_inputs and jobs_inputs."""
    keys = [*decl.inputs, *decl.map.get("also_inputs", ()), *decl.map.get("jobs_inputs", ())]
    return list(dict.fromkeys(keys))


def input_terms(specs: dict[str, InputSpec],
                decls: tuple[LevelDecl, ...] | None = None) -> pd.DataFrame:
    """The ``input_terms`` table: one row per manifest input. An input no level names (the
    exposure measures' scores, the build's checks) serves every level."""
    decls = levels() if decls is None else decls
    used = {key: [d.id for d in decls if key in level_inputs(d)] for key in specs}
    used = {key: ids or [d.id for d in decls] for key, ids in used.items()}
    return pd.DataFrame([{
        "input": key, "file": spec.path, "terms": spec.terms, "restricted": spec.restricted,
        "licence": spec.licence, "attribution": spec.attribution, "vintage": spec.vintage,
        "levels": ", ".join(used[key]),
    } for key, spec in specs.items()])


def figure_lineage(specs: dict[str, InputSpec],
                   decls: tuple[LevelDecl, ...] | None = None) -> pd.DataFrame:
    """The ``figure_lineage`` table: one row per declared figure of every level.

    Raises
    ------
    ConfigError
        for a figure of an unknown kind or an input the manifest does not have.
    """
    decls = levels() if decls is None else decls
    rows = []
    for decl in decls:
        for figure, keys in decl.lineage.items():
            where = f"atlas/spec/levels.toml [level.lineage] of {decl.id}: {figure}"
            if figure.split(".")[0] not in FIGURE_KINDS or (
                    figure != "composition" and "." not in figure):
                raise ConfigError(f"{where}: unknown figure (expected composition, "
                                  "regions.<column>, context.<indicator> or series.<series>)")
            unknown = [key for key in keys if key not in specs]
            if unknown or not keys:
                raise ConfigError(f"{where}: inputs {list(keys)} (expected keys of "
                                  f"atlas/spec/manifest.toml; unknown: {unknown})")
            rows.append({"level": decl.id, "figure": figure, "inputs": ", ".join(keys),
                         "restricted": all(specs[key].restricted for key in keys)})
    return pd.DataFrame(rows, columns=["level", "figure", "inputs", "restricted"])


def level_figures(con: duckdb.DuckDBPyConnection, level: str) -> set[str]:
    """The figures a built level has: ``composition`` if it has jobs, and each numeric
    ``regions`` column, context indicator and series with a value in any of its periods."""
    like = [level, f"{level}@%"]
    found = set()
    if con.execute("SELECT count(*) FROM employment WHERE level = ? OR level LIKE ?",
                   like).fetchone()[0]:
        found.add("composition")
    numeric = [row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'regions' AND "
        "data_type IN ('DOUBLE', 'FLOAT', 'BIGINT', 'INTEGER', 'HUGEINT')").fetchall()]
    for column in numeric:
        if con.execute(f'SELECT count("{column}") FROM regions WHERE level = ? OR level LIKE ?',
                       like).fetchone()[0]:
            found.add(f"regions.{column}")
    for table, kind, name in (("region_context", "context", "indicator"),
                              ("region_series", "series", "series")):
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                       [table]).fetchone()[0]:
            found |= {f"{kind}.{row[0]}" for row in con.execute(
                f"SELECT DISTINCT {name} FROM {table} WHERE value IS NOT NULL AND "
                "(level = ? OR level LIKE ?)", like).fetchall()}
    return found


def check_lineage(con: duckdb.DuckDBPyConnection, specs: dict[str, InputSpec],
                  decls: tuple[LevelDecl, ...] | None = None) -> None:
    """Every figure of a level that reads a restricted input must have a declared lineage,
    so that no new figure reaches a shareable output unchecked.

    Raises
    ------
    ConfigError
        naming the level and its undeclared figures.
    """
    decls = levels() if decls is None else decls
    for decl in decls:
        restricted = [key for key in level_inputs(decl) if key in specs and
                      specs[key].restricted]
        if not restricted:
            continue
        undeclared = sorted(level_figures(con, decl.id) - set(decl.lineage))
        if undeclared:
            raise ConfigError(
                f"atlas/spec/levels.toml [level.lineage] of {decl.id}: no inputs declared for "
                f"{undeclared} (the level reads restricted inputs {restricted}; say which "
                "inputs each figure comes from)")


def lineage_columns() -> dict[str, list[str]]:
    """``atlas/spec/lineage.toml``: which columns of the generic tables hold each kind of figure."""
    with LINEAGE_PATH.open("rb") as handle:
        raw = tomllib.load(handle)
    return {"composition": list(raw["composition"]["columns"]),
            "context_long": list(raw["context"]["long"]),
            "context_wide": list(raw["context"]["wide"]),
            "series_long": list(raw["series"]["long"])}


def write_terms_tables(con: duckdb.DuckDBPyConnection, specs: dict[str, InputSpec]) -> None:
    """Write ``input_terms`` and ``figure_lineage`` and check the lineage is complete."""
    for name, frame in (("input_terms", input_terms(specs)),
                        ("figure_lineage", figure_lineage(specs))):
        con.register("_terms_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _terms_frame")
        con.unregister("_terms_frame")
    check_lineage(con, specs)
