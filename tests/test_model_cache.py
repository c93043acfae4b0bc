"""The model-table cache: keyed by every input's bytes, the reader settings and the code;
reused only for exactly that key, and never left behind by a failed build."""

from __future__ import annotations

import pickle

import duckdb
import pytest

from atlas.errors import ConfigError, InputError
from atlas.sources.inputs import Inputs, load_manifest
from atlas.sources.reader_cache import (
    ENTRY_TABLE,
    find_entry,
    keep,
    model_key,
    read_into_entry,
    reader_config,
    restore,
    restore_file,
)
from atlas.spec.config import load_config
from atlas.store.cache import geometry_cache
from atlas.store.fingerprint import fingerprints


@pytest.fixture()
def fake_data(tmp_path):
    """A data directory with a small file at every manifest path (the key only hashes)."""
    root = tmp_path / "data"
    for spec in load_manifest().values():
        path = root / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"contents of {spec.key}\n".encode())
    return root


def test_the_key_follows_the_input_bytes_and_the_reader_settings(fake_data):
    config = load_config()
    key = model_key(Inputs(fake_data), config)
    assert model_key(Inputs(fake_data), config) == key
    weights = config.replaced("risk.pillar_weights", {"changed": 1.0})  # not a reader setting
    assert model_key(Inputs(fake_data), weights) == key
    weights = weights.replaced("flags.trap_top_share", 0.2)  # nor a threshold the engine applies
    weights = weights.replaced("exposure.default_measure", "another")
    assert model_key(Inputs(fake_data), weights) == key
    exposure = config.replaced("exposure.substitutable_exposure", 0.6)  # a score readers derive
    assert model_key(Inputs(fake_data), exposure) != key
    flags = config.replaced("flags.us_lower_tier_max_jobs", 1)  # the lower tier is a reader's
    assert model_key(Inputs(fake_data), flags) != key
    spec = next(iter(load_manifest().values()))
    (fake_data / spec.path).write_bytes(b"contents of another vintage\n")
    assert model_key(Inputs(fake_data), config) != key


def test_a_missing_input_is_named_before_any_cache_is_read(fake_data):
    spec = next(iter(load_manifest().values()))
    (fake_data / spec.path).unlink()
    with pytest.raises(InputError, match=spec.path.replace(".", r"\.")):
        model_key(Inputs(fake_data), load_config())


def test_readers_see_only_their_settings():
    seen = reader_config(load_config())
    assert set(seen) == {"exposure", "flags", "uncertainty"}
    assert seen["uncertainty"]["choices"]["substitution_threshold"] == [0.5, 0.4, 0.6]
    with pytest.raises(ConfigError, match=r"uncertainty\.choices\.weight_draws is not visible"):
        seen["uncertainty"]["choices"]["weight_draws"]
    assert seen["flags"]["us_lower_tier_max_income_ratio"] == 0.8
    with pytest.raises(ConfigError, match=r"\[risk\] is not visible to readers"):
        seen["risk"]
    with pytest.raises(ConfigError, match=r"flags\.trap_top_share is not visible"):
        seen["flags"]["trap_top_share"]
    # readers use attributes, as on the typed configuration
    assert seen.flags.us_lower_tier_max_income_ratio == 0.8
    with pytest.raises(ConfigError, match=r"flags\.trap_top_share is not visible"):
        _ = seen.flags.trap_top_share
    assert pickle.loads(pickle.dumps(seen)) == seen  # it travels to the second process


def model_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    con.execute("CREATE TABLE regions AS SELECT 'a''b' AS region_id, 0.1 + 0.2 AS share, "
                "[1, 2] AS ids, 7::HUGEINT AS big, NULL::VARCHAR AS empty")
    con.execute("CREATE TABLE employment AS SELECT range AS i, range / 3 AS x FROM range(5)")
    return ["regions", "employment"]


def test_an_entry_gives_back_its_tables_exactly(tmp_path, fake_data):
    inputs = Inputs(fake_data)
    key = model_key(inputs, load_config())
    inputs.provenance = {"k": {"file": "f.csv", "sha256": "s", "loaded_at": "then"}}
    inputs.repaired = {"k": ["1"]}
    source = duckdb.connect()
    with geometry_cache(tmp_path / "cache"):
        keep(source, key, model_tables(source), inputs)
    entry = find_entry_in(tmp_path / "cache", key)
    assert entry.tables == ["regions", "employment"]
    assert entry.provenance == {"k": {"file": "f.csv", "sha256": "s"}}  # no timestamp
    assert entry.repaired == {"k": ["1"]}
    target = duckdb.connect()
    restore(target, entry)
    assert fingerprints(target) == fingerprints(source)
    types = "SELECT table_name, column_name, data_type FROM information_schema.columns " \
            "ORDER BY ALL"
    assert target.execute(types).fetchall() == source.execute(types).fetchall()


def test_an_entry_file_copied_is_the_tables_restored(tmp_path, fake_data):
    """restore_file (the entry's file copied, its own table dropped) gives what restore
    gives; a copy that does not match the recorded sha256 is removed and refused."""
    inputs = Inputs(fake_data)
    key = model_key(inputs, load_config())
    source = duckdb.connect()
    with geometry_cache(tmp_path / "cache"):
        keep(source, key, model_tables(source), inputs)
    entry = find_entry_in(tmp_path / "cache", key)
    target = tmp_path / "copy.duckdb"
    assert restore_file(target, entry)
    restored = duckdb.connect()
    restore(restored, entry)
    with duckdb.connect(str(target)) as copied:
        assert fingerprints(copied) == fingerprints(restored) == fingerprints(source)
        tables = "SELECT table_name FROM duckdb_tables() ORDER BY ALL"
        assert copied.execute(tables).fetchall() == [("employment",), ("regions",)]
    damaged = tmp_path / "damaged.duckdb"
    (tmp_path / "cache" / f"model_tables-{key}.duckdb.sha256").write_text("0" * 64)
    assert not restore_file(damaged, entry)
    assert not damaged.exists()


def find_entry_in(folder, key):
    with geometry_cache(folder):
        return find_entry(key)


def test_another_key_or_a_damaged_file_is_a_miss(tmp_path, fake_data):
    inputs = Inputs(fake_data)
    key = model_key(inputs, load_config())
    source, cache = duckdb.connect(), tmp_path / "cache"
    with geometry_cache(cache):
        keep(source, key, model_tables(source), inputs)
    assert find_entry_in(cache, key) is not None
    stored = cache / f"model_tables-{key}.duckdb"
    planted = cache / f"model_tables-{'0' * 64}.duckdb"
    stored.rename(planted)  # a file whose name says one key and whose contents another
    assert find_entry_in(cache, "0" * 64) is None
    planted.write_bytes(b"not a database")
    assert find_entry_in(cache, "0" * 64) is None
    assert find_entry_in(cache, key) is None  # gone
    assert find_entry(key) is None  # no cache block: nothing is read


def test_a_failed_build_leaves_no_entry_and_no_temporary(tmp_path, fake_data):
    inputs = Inputs(fake_data)
    key = model_key(inputs, load_config())
    source = duckdb.connect()
    with pytest.raises(RuntimeError), geometry_cache(tmp_path / "cache"):
        keep(source, key, model_tables(source), inputs)
        raise RuntimeError("a later step of the build failed")
    assert not (tmp_path / "cache").exists()  # not even the folder it created


def test_only_the_two_most_recent_entries_are_kept(tmp_path, fake_data, monkeypatch):
    monkeypatch.setattr("atlas.store.cache.KEEP_FILES", 2)
    inputs, cache = Inputs(fake_data), tmp_path / "cache"
    for index in range(3):
        source = duckdb.connect()
        with geometry_cache(cache):
            keep(source, f"{index:064d}", model_tables(source), inputs)
    assert sorted(p.name for p in cache.iterdir()) == [  # each with its recorded sha256
        f"model_tables-{index:064d}.duckdb{sha}" for index in (1, 2) for sha in ("", ".sha256")]
    with duckdb.connect(str(cache / f"model_tables-{2:064d}.duckdb")) as con:
        assert con.execute(f"SELECT value FROM {ENTRY_TABLE} WHERE name = 'key'"
                           ).fetchone()[0] == f"{2:064d}"


def test_the_key_is_the_same_in_every_process(fake_data):
    """The key is built from data that string hashing does not reorder (a frozenset in the
    declarations once made it differ between processes, so rebuilds missed); hash seeds 1
    and 3 gave two orders of that set."""
    import os
    import subprocess
    import sys

    script = ("import sys; from atlas.sources.inputs import Inputs; "
              "from atlas.sources.reader_cache import model_key; "
              "from atlas.spec.config import load_config; "
              "print(model_key(Inputs(sys.argv[1]), load_config()))")
    keys = {subprocess.run([sys.executable, "-c", script, str(fake_data)], check=True,
                           capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "3")}
    assert keys == {model_key(Inputs(fake_data), load_config())}


def test_the_code_key_covers_every_module_the_readers_import():
    """Every atlas module a declared reader, crosswalk builder or hook imports, directly or
    through other modules (also inside functions), is among the hashed files; the engine and
    the layers above it, which readers cannot import, are not (a change there keeps the
    model tables)."""
    import ast
    import importlib.util
    from pathlib import Path

    from atlas.sources.reader_cache import code_files, declared_functions

    package = Path(importlib.util.find_spec("atlas").origin).parent
    hashed = {path.resolve() for path in code_files()}

    def module_file(name: str) -> Path | None:
        spec = importlib.util.find_spec(name)
        return Path(spec.origin).resolve() if spec and spec.origin else None

    todo = [name.partition(":")[0] for name in declared_functions()]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        assert path in hashed, f"{name} ({path}) is imported by a reader but not hashed"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module == "atlas" or node.module.startswith("atlas.")):
                todo.append(node.module)
                todo += [f"{node.module}.{a.name}" for a in node.names
                         if module_file_exists(f"{node.module}.{a.name}")]
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("atlas")]
    assert len(seen) > 20  # the readers and what they use
    assert not any(path.is_relative_to(package / "engine") for path in hashed)
    assert not any(path.is_relative_to(package / "maps") for path in hashed)


def module_file_exists(name: str) -> bool:
    """True if ``name`` is a module (not a function or class imported from one)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def test_a_first_build_writes_its_tables_once_into_the_entry_and_copies_it(tmp_path, fake_data):
    """read_into_entry: the database starts as the new entry's file without the entry's own
    table, with what keep would have stored; the entry is what find_entry then reads; outside
    a cache block nothing is done (the build then writes its tables itself)."""
    inputs = Inputs(fake_data)
    key = model_key(inputs, load_config())
    inputs.provenance = {"k": {"file": "f.csv", "sha256": "s", "loaded_at": "then"}}
    inputs.repaired = {"k": ["1"]}
    target = tmp_path / "atlas.duckdb"
    assert not read_into_entry(target, key, inputs, model_tables)  # no cache block
    assert not target.exists()
    with geometry_cache(tmp_path / "cache"):
        assert read_into_entry(target, key, inputs, model_tables)
    source = duckdb.connect()
    model_tables(source)
    with duckdb.connect(str(target)) as built:
        assert fingerprints(built) == fingerprints(source)
        tables = "SELECT table_name FROM duckdb_tables() ORDER BY ALL"
        assert built.execute(tables).fetchall() == [("employment",), ("regions",)]
    entry = find_entry_in(tmp_path / "cache", key)
    assert entry.tables == ["regions", "employment"]
    assert entry.provenance == {"k": {"file": "f.csv", "sha256": "s"}}
    assert entry.repaired == {"k": ["1"]}
    with duckdb.connect(str(entry.path), read_only=True) as stored:
        assert ENTRY_TABLE in {row[0] for row in stored.execute(
            "SELECT table_name FROM duckdb_tables()").fetchall()}


def test_a_failed_first_build_leaves_no_entry(tmp_path, fake_data):
    inputs = Inputs(fake_data)
    key = model_key(inputs, load_config())

    def fails(con):
        model_tables(con)
        raise InputError("f.csv", "bad")

    with pytest.raises(InputError), geometry_cache(tmp_path / "cache"):
        read_into_entry(tmp_path / "atlas.duckdb", key, inputs, fails)
    assert not (tmp_path / "cache").exists()  # the block made the folder and removed it
    assert not (tmp_path / "atlas.duckdb").exists()
