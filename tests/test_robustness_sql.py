"""`atlas sql` judges every statement before anything can read a file or change a setting
(issue 34, item 1): a planted ``schema.sql`` is never read, file-reading PRAGMAs and table
functions are refused, and only the read-only PRAGMAs run."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.cli.sql_console import READ_ONLY_PRAGMAS, checked_statement, run_query
from atlas.errors import ConfigError

MARKER = "PLANTED_MARKER_34"


@pytest.fixture()
def planted(tmp_path):
    """A folder an IMPORT would read: its schema.sql prints a marker and writes a file."""
    folder = tmp_path / "planted"
    folder.mkdir()
    written = tmp_path / "written.csv"
    (folder / "schema.sql").write_text(
        f"CREATE TABLE {MARKER} AS SELECT '{MARKER}' AS m;\n"
        f"COPY (SELECT '{MARKER}') TO '{written}';\n", encoding="utf-8")
    (folder / "load.sql").write_text(f"SELECT '{MARKER}';\n", encoding="utf-8")
    return folder, written


def no_default_parser(monkeypatch):
    """Fail if anything parses on DuckDB's default connection (which can read files)."""
    def refuse(*args, **kwargs):
        raise AssertionError("parsed on the default connection")
    monkeypatch.setattr(duckdb, "extract_statements", refuse)


@pytest.mark.parametrize("template", [
    "PRAGMA import_database('{dir}')",
    "pragma /* hidden */ \"import_database\"('{dir}')",
    "IMPORT DATABASE '{dir}'",
    "SELECT 1; PRAGMA import_database('{dir}')",
    "-- comment\nPRAGMA import_database('{dir}')",
    "PRAGMA export_database('{dir}')",
    "EXPORT DATABASE '{dir}'",
    "CALL pragma_import_database('{dir}')",
])
def test_import_and_export_never_read_or_write(tiny_db, planted, tmp_path, monkeypatch,
                                               template):
    folder, written = planted
    no_default_parser(monkeypatch)
    before = {p.name for p in tmp_path.rglob("*")}
    result = CliRunner().invoke(app, ["sql", "--db", str(tiny_db), "--",
                                      template.format(dir=folder)])
    assert result.exit_code == 1
    assert result.output.startswith("error:") and len(result.output.strip().splitlines()) == 1
    assert MARKER not in result.output
    assert not written.exists()
    assert {p.name for p in tmp_path.rglob("*")} == before


@pytest.mark.parametrize("query", [
    "SELECT * FROM read_csv('{file}')",
    "SELECT * FROM read_text('{file}')",
    "SELECT * FROM read_blob('{file}')",
    "SELECT * FROM read_json('{file}')",
    "SELECT * FROM read_parquet('{file}')",
    "SELECT * FROM parquet_metadata('{file}')",
    "SELECT * FROM sniff_csv('{file}')",
    "SELECT * FROM glob('{dir}/*')",
    "SELECT * FROM '{file}'",
    "SELECT * FROM query_table('{file}')",
    "SELECT getenv('HOME')",
])
def test_file_reading_table_functions_are_refused(tiny_db, planted, query):
    folder, _ = planted
    with pytest.raises(ConfigError) as caught:
        run_query(tiny_db, query.format(file=folder / "schema.sql", dir=folder))
    assert MARKER not in str(caught.value)


@pytest.mark.parametrize("pragma", [
    "enable_profiling", "threads=1", "memory_limit='1GB'", "disable_optimizer",
    "enable_object_cache", "force_checkpoint", "copy_database('a', 'b')",
    "add_parquet_key('k', '0123456789112345')", "json_execute_serialized_sql('x')",
    "enable_verification", "verify_external", "all_profiling_output",
    "table_info = 't'",
])
def test_other_pragmas_are_refused_by_name(pragma):
    with pytest.raises(ConfigError, match="PRAGMA .* is refused"):
        checked_statement(f"PRAGMA {pragma}")


def test_read_only_pragmas_run(tiny_db):
    assert "table_info" in READ_ONLY_PRAGMAS
    frame = run_query(tiny_db, "PRAGMA table_info('t')")
    assert frame["name"].tolist() == ["x"]
    assert run_query(tiny_db, "PRAGMA show_tables")["name"].tolist() == ["t"]
