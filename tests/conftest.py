"""Shared fixtures: the real data directory and one atlas built from it per test session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

from atlas.sources.inputs import DEFAULT_DATA_DIR

# The tiny synthetic inputs (tests/fixtures/make_fixtures.py): no real data needed.
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "data"


def real_data_dir() -> Path | None:
    """The real inputs, or None where they are not present (never in CI)."""
    path = Path(os.environ.get("ATLAS_DATA_DIR") or DEFAULT_DATA_DIR)
    return path if (path / "us" / "oews_m2025_area_occ_all.parquet").is_file() else None


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory):
    """The shared build cache (``ATLAS_CACHE_DIR``, :func:`atlas.store.cache.cache_home`) is a
    folder of this session's, never the user's ``~/.cache/atlas``; its path."""
    from atlas.store.cache import CACHE_ENV

    folder = tmp_path_factory.mktemp("shared_cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)  # inherited by the second process and subprocesses
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = real_data_dir()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("the real inputs must be present in CI (../shared/data or ATLAS_DATA_DIR)")
        pytest.skip("real inputs not found: set ATLAS_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def built_atlas(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the atlas once from the real inputs (database only), with an empty cache of its
    own in ``<out>/.cache`` (so that it is a cold build); returns the database path."""
    from atlas.build.database import build

    out = tmp_path_factory.mktemp("atlas")
    return build(out, data_dir, cache_dir=out / ".cache").database


@pytest.fixture()
def atlas_con(built_atlas: Path):
    import duckdb

    con = duckdb.connect(str(built_atlas), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def real_maps(built_atlas: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real maps (``us_areas.html``, ``cn_cities.html``, ``world.html``, ``index.html``)
    written once from the session's atlas; returns their folder."""
    from atlas.maps.render import write_maps

    out = tmp_path_factory.mktemp("maps")
    write_maps(built_atlas, out)
    return out


class FullBuild(NamedTuple):
    """:func:`full_build`: the output folder and the build's progress lines."""

    out: Path
    steps: list[str]


@pytest.fixture(scope="session")
def full_build(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FullBuild:
    """The complete atlas built once from the real inputs as ``atlas build`` builds it
    (:func:`atlas.build.pipeline.build_all`: database, maps and exports, China read in the
    second process), with an empty cache of its own in ``<out>/.cache`` (a cold build).

    Shared read-only by the modules that need a whole published build; a test that builds
    into an output folder builds into a copy of it."""
    from atlas.build.pipeline import build_all

    out = tmp_path_factory.mktemp("full_build") / "out"
    steps: list[str] = []
    build_all(out, data_dir, None, step=steps.append, cache_dir=out / ".cache")
    return FullBuild(out, steps)


class WrittenOutputs(NamedTuple):
    """:func:`shareable_outputs`: the folder, the progress lines, the files written and the
    cache folder of the drawing."""

    out: Path
    steps: list[str]
    written: list[Path]
    cache: Path


@pytest.fixture(scope="session")
def shareable_outputs(built_atlas: Path, tmp_path_factory: pytest.TempPathFactory
                      ) -> WrittenOutputs:
    """The maps and exports of the session's atlas in the shareable edition (the default),
    written once by :func:`atlas.build.outputs.write_outputs` (exports here, maps in the
    second process at once), with an empty cache of its own beside the folder (not in it:
    the tests walk every file of the folder)."""
    from atlas.build.outputs import write_outputs

    base = tmp_path_factory.mktemp("shareable")
    steps: list[str] = []
    written = write_outputs(built_atlas, base / "out", maps=True, exports=True,
                            step=steps.append, cache_dir=base / ".cache", edition="shareable")
    return WrittenOutputs(base / "out", steps, written, base / ".cache")


# One build with a changed weight, for the tests that check the texts follow the config.
REWEIGHTED = "[risk.weights]\nprior_decline = 0.4\n"


@pytest.fixture(scope="session")
def reweighted_maps(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The maps of an atlas built with ``[risk.weights] prior_decline = 0.4`` (as
    ``atlas build --config`` would read it); returns the maps folder (the database is
    ``../atlas.duckdb``)."""
    from atlas.build.database import build
    from atlas.maps.render import write_maps
    from atlas.spec.config import load_config

    out = tmp_path_factory.mktemp("reweighted")
    (out / "weights.toml").write_text(REWEIGHTED, encoding="utf-8")
    database = build(out, data_dir, load_config(out / "weights.toml")).database
    write_maps(database, out / "maps")
    return out / "maps"


@pytest.fixture(scope="session")
def fixture_atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The atlas built from the fixtures with the default configuration (database, maps and
    exports, as ``build_atlas.py --data-dir tests/fixtures/data`` builds it); its folder."""
    from atlas.build.pipeline import build_all
    from atlas.spec.config import load_config

    out = tmp_path_factory.mktemp("fixture_atlas")
    build_all(out, FIXTURES, load_config(), maps=True, exports=True, step=lambda m: None)
    return out


@pytest.fixture()
def fixture_con(fixture_atlas: Path):
    import duckdb

    con = duckdb.connect(str(fixture_atlas / "atlas.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def browser():
    """The session's headless Chromium (:func:`tests.browser.shared_chromium`, launched once
    for a run of modules with browser tests; every request is blocked per page by
    :func:`tests.browser.open_map`); skipped without Chromium, failed in CI. Tests open their
    pages in contexts of their own and close them."""
    from tests.browser import browser_available, chromium

    if not browser_available():
        if os.environ.get("CI"):
            pytest.fail("Chromium or playwright missing")
        pytest.skip("needs Chromium")
    with chromium() as launched:
        yield launched


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Note the test files with browser tests (``@pytest.mark.browser``) for
    :func:`pytest_runtest_setup`."""
    global BROWSER_FILES
    BROWSER_FILES = {item.path for item in items if item.get_closest_marker("browser")}


BROWSER_FILES: set[Path] = set()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Close the shared Chromium before the first test of a file without browser tests (and
    before its fixtures): Playwright's sync API marks its event loop as running in this
    thread, which asyncio users (nbclient) must not meet."""
    if item.path not in BROWSER_FILES:
        from tests.browser import close_chromium

        close_chromium()


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.browser import close_chromium

    close_chromium()


@pytest.fixture()
def tiny_db(tmp_path: Path) -> Path:
    """A one-table DuckDB file (``t``: one row, ``x = 1``) for the command-line tests."""
    import duckdb

    path = tmp_path / "tiny.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    return path


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The synthetic map page (tests/map_fixture.py) written once per test module; its URI."""
    from atlas.maps.page import render_page
    from tests.map_fixture import fixture_data

    path = tmp_path_factory.mktemp("page") / "fixture.html"
    path.write_text(render_page(fixture_data()), encoding="utf-8")
    return path.as_uri()
