"""The engine's Arrow writes with one DuckDB thread (``atlas.store.database.one_thread``):
the same tables as with every statement on all threads, and the setting given back."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from atlas.engine import core, matrix_engine, risk_tables
from atlas.engine.core import compute_indices
from atlas.engine.matrix_engine import _one_chunk
from atlas.engine.synth import generate_level, synthetic_config
from atlas.store.database import one_thread
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
    if not single:
        for module in (core, matrix_engine, risk_tables):
            monkeypatch.setattr(module, "one_thread", lambda con: _NoOp())
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
