"""The model tables of an earlier build with the same inputs, code and reader settings.

Validating the inputs and running the level and measure readers is about half of a build,
and what it produces, the *model tables* (``regions``, ``employment``, ``categories``,
``exposure_scores``, ``region_context``, ...), depends only on what :func:`model_key`
hashes:

- the sha256 of every input listed in ``atlas/spec/manifest.toml``;
- the configuration settings readers see (:data:`READER_SETTINGS`; a reader that asks for
  another one stops with a ConfigError, so the key cannot miss a setting it uses);
- the code: every file of the layers readers can import (``atlas/errors.py``,
  ``atlas/__init__.py`` and the packages :data:`READER_LAYERS`: the house's layering,
  ``tests/test_house.py``, forbids a reader to import from the engine or any higher layer,
  so a change there leaves the model tables as they were), named by their path inside the
  package (two checkouts of the same code share entries), the declarations as loaded, and
  the source file of every declared reader, crosswalk builder and hook (which may live
  outside the package);
- the versions of the libraries that parse and compute them.

After a successful build the model tables are kept in the shared cache folder
(:func:`atlas.store.cache.cache_home`) as ``model_tables-<key>.duckdb``, with the key, the
provenance and the repaired geometries inside, and the sha256 of the file recorded beside it
(:mod:`atlas.store.cache`). A build whose key matches a stored entry whose bytes match that
sha256 copies the tables from it (their DuckDB types exactly) instead of validating and
reading again; anything else (another key, a file cut short, emptied, swapped or edited) is a
miss, reported in one line, and the entry is rebuilt and replaced. The tables a warm build
restores are the ones a cold build writes (``tests/test_determinism.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb

from atlas.errors import ConfigError
from atlas.sources.inputs import Inputs
from atlas.spec import declarations
from atlas.spec.config_types import AtlasConfig
from atlas.store.cache import (
    cache_file,
    cache_key,
    damaged,
    file_digest,
    new_cache_file,
    recorded_digest,
)
from atlas.store.fingerprint import quote_literal

# The settings readers may use: per config section, the keys they read (None: all of them).
READER_SETTINGS: dict[str, tuple[str, ...] | None] = {
    "exposure": ("automation_measure", "substitutable_exposure", "substitutable_automation"),
    "flags": ("us_lower_tier_max_jobs", "us_lower_tier_max_income_ratio"),
    "uncertainty.choices": ("substitution_threshold",),  # a dotted name: a nested table
}
NAME, SUFFIX = "model_tables", ".duckdb"
ENTRY_TABLE = "atlas_cache_entry"
LIBRARIES = ("duckdb", "numpy", "pandas", "pyarrow", "geopandas", "shapely", "pyogrio",
             "openpyxl", "scipy")
SOURCE_SUFFIXES = {".py", ".toml", ".sql", ".csv", ".tsv", ".json"}
# the packages of the layers at and below the readers' (tests/test_house.py: LAYERS)
READER_LAYERS = ("spec", "store", "sources")


class ReaderSettings(dict):
    """The configuration readers see (:data:`READER_SETTINGS`), read as attributes like the
    :class:`~atlas.spec.config_types.AtlasConfig` it comes from
    (``context.config.flags.us_lower_tier_max_jobs``); asking for anything else is an error,
    so that the cache key holds every setting a reader uses. A plain mapping underneath: the
    cache key is made from it and it travels to the second process."""

    def __init__(self, values: dict[str, Any], where: str = "") -> None:
        super().__init__(values)
        self.where = where

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "where":  # pickle's and copy's probes
            raise AttributeError(name)
        return self[name]

    def __missing__(self, key: str) -> Any:
        name = f"{self.where}.{key}" if self.where else f"[{key}]"
        raise ConfigError(f"config setting {name} is not visible to readers: add it to "
                          "atlas.sources.reader_cache.READER_SETTINGS so that cached model "
                          "tables are rebuilt when it changes")


def reader_config(config: AtlasConfig) -> ReaderSettings:
    """The part of ``config`` readers see (:data:`READER_SETTINGS`; a dotted section name is
    a nested table, seen at the same path as in ``config``)."""
    sections = ReaderSettings({})
    plain = config.to_dict()
    for section, keys in READER_SETTINGS.items():
        values, seen = plain, sections
        *outer, last = section.split(".")
        for depth, part in enumerate(outer):
            values = values.get(part, {})
            if part not in seen:
                dict.__setitem__(seen, part, ReaderSettings({}, ".".join(outer[:depth + 1])))
            seen = seen[part]
        values = values.get(last, {})
        chosen = values if keys is None else {k: values[k] for k in keys if k in values}
        dict.__setitem__(seen, last, ReaderSettings(chosen, section))
    return sections


def _files_digest(files: list[Path], root: Path) -> str:
    """sha256 of the files' names (inside ``root`` relative to it) and bytes."""
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        name = path.relative_to(root) if path.is_relative_to(root) else path
        digest.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def declared_functions() -> list[str]:
    """Every reader, crosswalk builder and hook the declarations name."""
    names = [decl.reader for decl in declarations.levels()]
    names += [decl.reader for decl in declarations.measures() if decl.reader]
    names += [edge.builder for edge in declarations.crosswalks()]
    names += list(declarations.arrival_hooks().values())
    return sorted(set(names))


def code_digest() -> str:
    """sha256 of the code that turns inputs into model tables (see the module docstring)."""
    return _files_digest(code_files(), Path(__file__).parents[1])


def code_files() -> list[Path]:
    """The files :func:`code_digest` hashes."""
    package = Path(__file__).parents[1]
    files = [package / "__init__.py", package / "errors.py"]
    files += [p for layer in READER_LAYERS for p in (package / layer).rglob("*")
              if p.is_file() and p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts]
    for name in declared_functions():
        spec = importlib.util.find_spec(name.partition(":")[0])
        if spec is not None and spec.origin and Path(spec.origin).is_file():
            files.append(Path(spec.origin))
    return files


def installed_version(name: str) -> str:
    """The installed version of a distribution, or "absent"."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def stable(value: Any) -> Any:
    """``value`` as JSON-ready data that is the same in every process: dataclasses as their
    fields, sets sorted. (A ``repr`` of a frozenset follows the process's string hashing, so
    a key built from it differed from one process to the next and missed.)"""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__,
                **{f.name: stable(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(k): stable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((stable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [stable(v) for v in value]
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


def model_key(inputs: Inputs, config: AtlasConfig) -> str:
    """The key of the model tables these inputs, settings and code give.

    Reads and hashes every manifest input (an ``InputError`` names a missing or unreadable
    one)."""
    digests = {key: inputs.digest(key) for key in inputs.specs}
    declared = stable([declarations.levels(), declarations.measures(),
                       declarations.crosswalks(), declarations.arrival_hooks()])
    libraries = {name: installed_version(name) for name in LIBRARIES}
    return cache_key("model_tables", digests, reader_config(config), code_digest(),
                     declared, libraries)


@dataclass(frozen=True)
class Entry:
    """A stored set of model tables: its file, table names (in writing order), and the
    provenance and repaired geometries of the build that wrote it."""

    path: Path
    tables: list[str]
    provenance: dict[str, dict[str, object]]
    repaired: dict[str, list[str]]


def find_entry(key: str) -> Entry | None:
    """The stored model tables of exactly ``key``, or None (no cache, no file, a file whose
    bytes do not match the sha256 recorded when it was written, another key inside it, or a
    file that cannot be read; all but the first two are reported in one line)."""
    path = cache_file(NAME, key, SUFFIX)
    if path is None:
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            stored = dict(con.execute(f"SELECT name, value FROM {ENTRY_TABLE}").fetchall())
    except duckdb.Error as exc:
        damaged(path, f"cannot be read by DuckDB ({str(exc).splitlines()[0]})")
        return None
    if stored.get("key") != key:
        damaged(path, "holds another key than its name")
        return None
    return Entry(path, json.loads(stored["tables"]), json.loads(stored["provenance"]),
                 json.loads(stored["repaired"]))


def restore_file(target: Path, entry: Entry) -> bool:
    """Start the database ``target`` (not yet existing) as a copy of the entry's file: its
    tables as they are, without the entry's own table; True if done. The copy is used only
    if its bytes match the sha256 recorded for the entry and it holds the entry's key and
    tables; else it is removed and False returned (then :func:`restore` copies the tables)."""
    shutil.copyfile(entry.path, target)
    expected = recorded_digest(entry.path)
    try:
        if expected is None or file_digest(target) != expected:
            raise ValueError("changed since it was checked")
        with duckdb.connect(str(target)) as con:
            stored = dict(con.execute(f"SELECT name, value FROM {ENTRY_TABLE}").fetchall())
            names = {row[0] for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                " AND schema_name = 'main'").fetchall()}
            if json.loads(stored["tables"]) != entry.tables or names != {*entry.tables,
                                                                          ENTRY_TABLE}:
                raise ValueError("holds other tables")
            if stored.get("key") != find_key(entry):
                raise ValueError("holds another key")
            con.execute(f"DROP TABLE {ENTRY_TABLE}")
    except (ValueError, KeyError, duckdb.Error):
        for leftover in (target, target.with_name(target.name + ".wal")):
            leftover.unlink(missing_ok=True)
        return False
    return True


def find_key(entry: Entry) -> str:
    """The key in an entry's file name (``model_tables-<key>.duckdb``)."""
    return entry.path.name.removeprefix(f"{NAME}-").removesuffix(SUFFIX)


def restore(con: duckdb.DuckDBPyConnection, entry: Entry) -> None:
    """Copy the entry's tables into ``con``."""
    con.execute(f"ATTACH {quote_literal(entry.path)} AS model_cache (READ_ONLY)")
    try:
        for name in entry.tables:
            con.execute(f"CREATE OR REPLACE TABLE main.{name} AS "
                        f"SELECT * FROM model_cache.main.{name}")
    finally:
        con.execute("DETACH model_cache")


def _entry_record(key: str, tables: list[str], inputs: Inputs) -> dict[str, str]:
    """What an entry's own table holds: its key, tables, and the inputs' provenance (without
    ``loaded_at``) and repaired geometries."""
    provenance = {k: {f: v for f, v in record.items() if f != "loaded_at"}
                  for k, record in inputs.provenance.items()}
    return {"key": key, "tables": json.dumps(tables), "provenance": json.dumps(provenance),
            "repaired": json.dumps(inputs.repaired)}


def read_into_entry(target: Path, key: str, inputs: Inputs,
                    read: Callable[[duckdb.DuckDBPyConnection], list[str]]) -> bool:
    """Write the model tables (``read(con)`` writes them and returns their names) into a new
    entry of ``key`` (written into the cache folder when the build ends without an error),
    then start the database ``target`` (not yet existing) as a copy of it without the
    entry's own table: a first build writes its model tables once, instead of into its
    database and then again into the entry (:func:`keep`), and its database is then what a
    rebuild's :func:`restore_file` makes. False (nothing done) outside a cache block."""
    temp = new_cache_file(NAME, key, SUFFIX)
    if temp is None:
        return False
    with duckdb.connect(str(temp)) as con:
        tables = read(con)
        con.execute(f"CREATE TABLE {ENTRY_TABLE} (name VARCHAR, value VARCHAR)")
        con.executemany(f"INSERT INTO {ENTRY_TABLE} VALUES (?, ?)",
                        list(_entry_record(key, tables, inputs).items()))
    shutil.copyfile(temp, target)
    with duckdb.connect(str(target)) as con:
        con.execute(f"DROP TABLE {ENTRY_TABLE}")
    return True


def keep(con: duckdb.DuckDBPyConnection, key: str, tables: list[str], inputs: Inputs) -> None:
    """Store ``tables`` of ``con`` as the entry of ``key`` (written into the cache folder when
    the build ends without an error; nothing outside a cache block)."""
    temp = new_cache_file(NAME, key, SUFFIX)
    if temp is None:
        return
    stored = _entry_record(key, tables, inputs)
    con.execute(f"ATTACH {quote_literal(temp)} AS model_cache")
    try:
        for name in tables:
            con.execute(f"CREATE TABLE model_cache.main.{name} AS SELECT * FROM main.{name}")
        con.execute(f"CREATE TABLE model_cache.main.{ENTRY_TABLE} (name VARCHAR, value VARCHAR)")
        con.executemany(f"INSERT INTO model_cache.main.{ENTRY_TABLE} VALUES (?, ?)",
                        list(stored.items()))
    finally:
        con.execute("DETACH model_cache")
