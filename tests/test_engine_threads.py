"""The engine's Arrow writes with one DuckDB thread (``atlas.store.database.one_thread``),
two at once (``beside``): the same tables as with every statement on all threads, one after
the other, and the setting given back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pytest

from atlas.engine import core, matrix_engine, risk_tables
from atlas.engine.core import compute_indices
from atlas.engine.matrix_engine import _one_chunk
from atlas.engine.synth import generate_level, synthetic_config
from atlas.store.database import beside, one_thread
from atlas.store.fingerprint import fingerprints


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT current_setting('threads')").fetchone()[0])


def test_one_thread_gives_the_setting_back_also_after_an_error():
    con = duckdb.connect()
    con.execute("SET threads = 3")
    with one_thread(con):
        assert _threads(con) == 1
    assert _threads(con) == 3
    with pytest.raises(ZeroDivisionError), one_thread(con):
        assert _threads(con) == 1
        raise ZeroDivisionError
    assert _threads(con) == 3
    con.execute("SET threads = 1")
    with one_thread(con):
        assert _threads(con) == 1
    assert _threads(con) == 1


def _engine(monkeypatch: pytest.MonkeyPatch, single: bool) -> dict:
    """The engine's tables and views on a synthetic level large enough that
    ``risk_model_components`` spans several row groups (122,880 rows each), with the Arrow
    writes on one thread (``single``) or, as before, on all three."""
    if not single:  # the former form: every write on all threads, one after the other
        for module in (core, matrix_engine, risk_tables):
            monkeypatch.setattr(module, "one_thread", lambda con: _NoOp())
        for module in (matrix_engine, risk_tables):
            monkeypatch.setattr(module, "beside", _inline)
    con = duckdb.connect()
    con.execute("SET threads = 3")
    generate_level(con, 20_000, 40, seed=5)
    compute_indices(con, synthetic_config())
    assert _threads(con) == 3  # the engine gives the setting back
    rows = con.execute("SELECT count(*) FROM risk_model_components").fetchone()[0]
    assert rows > 122_880
    prints = fingerprints(con, views=True)
    con.close()
    monkeypatch.undo()
    return prints


@contextmanager
def _inline(con: duckdb.DuckDBPyConnection, schema: str) -> Iterator:
    yield lambda function, *arguments: function(con, *arguments)


class _NoOp:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_one_thread_writes_give_the_tables_of_all_threads(monkeypatch):
    single = _engine(monkeypatch, single=True)
    every = _engine(monkeypatch, single=False)
    assert single.keys() == every.keys()
    assert {name for name in single if single[name] != every[name]} == set()


def test_one_chunk_is_the_chunk_itself_or_the_chunks_joined():
    one = pa.chunked_array([pa.array([1, 2, 3])])
    assert _one_chunk(one).buffers()[1].address == one.chunk(0).buffers()[1].address  # no copy
    two = pa.chunked_array([pa.array([[1.0], [2.0, 3.0]]), pa.array([[4.0]])])
    assert _one_chunk(two).equals(two.combine_chunks())
    assert _one_chunk(two).to_pylist() == [[1.0], [2.0, 3.0], [4.0]]


def test_beside_runs_on_a_second_connection_meanwhile_and_raises_its_error(tmp_path):
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    started, release = threading.Event(), threading.Event()

    def write(cursor: duckdb.DuckDBPyConnection, name: str) -> None:
        assert cursor is not con  # a connection of its own
        started.set()
        assert release.wait(10)  # the caller goes on meanwhile and lets it finish
        cursor.execute(f"CREATE TABLE {name} AS SELECT range AS x FROM range(5)")

    with beside(con, "main") as run:
        run(write, "t")
        assert started.wait(10)
        con.execute("CREATE TABLE u AS SELECT 1 AS y")
        release.set()
    assert con.execute("SELECT sum(x) FROM t").fetchone()[0] == 10  # written when it ends

    def fail(cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.execute("SELECT * FROM missing_table")

    with pytest.raises(duckdb.CatalogException), beside(con, "main") as run:
        run(fail)
    with beside(con, "temp") as run:  # a temp table is the caller's: on con, at once
        run(lambda cursor: cursor.execute("CREATE TEMP TABLE v AS SELECT 2 AS z"))
        assert con.execute("SELECT z FROM v").fetchone()[0] == 2
