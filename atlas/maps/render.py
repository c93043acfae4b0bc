"""The HTML maps for regional planners: one self-contained page per level, and an index.

What each map shows is data: ``atlas/spec/levels.toml`` (``[level.map]`` blocks: file, title,
insets, UI strings, ...) and ``atlas/spec/layers.toml`` (layers, overlays); the jobs are split:

- :mod:`atlas.maps.specs` reads the declarations;
- :mod:`atlas.maps.data` builds a level's DATA (the contract of :mod:`atlas.maps.page`), with
  :mod:`atlas.maps.layers` (values, mapclassify classes; the declared layers and their values
  read by :mod:`atlas.maps.layer_source`), :mod:`atlas.maps.display_geometry`
  (insets, simplification, bounds, label points) and :mod:`atlas.maps.text` (words, method,
  vintages);
- :mod:`atlas.maps.page` renders the page (folium, Leaflet inlined, a strict CSP);
- :mod:`atlas.maps.index_page` renders ``index.html``.

Region names are untrusted text: they reach a page only as JSON data shown through
``textContent``, and the index page escapes everything.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import duckdb

from atlas.maps.data import map_data
from atlas.maps.display_geometry import display_shapes
from atlas.maps.index_page import drawn_specs, stamped, write_index  # noqa: F401  (public API)
from atlas.maps.layers import classify  # noqa: F401  (public API)
from atlas.maps.page import render_page, safe_json  # noqa: F401  (public API)
from atlas.maps.specs import Declarations, MapSpec, load_declarations, load_map_specs
from atlas.maps.text import tables_known
from atlas.store.database import open_atlas
from atlas.store.files import atomic_write


def render_map(con: duckdb.DuckDBPyConnection, spec: MapSpec,
               decls: Declarations | None = None, *, cdn: bool = False) -> str:
    """The complete, self-contained HTML document of one level's map."""
    return render_page(map_data(con, spec, decls), cdn=cdn)


def _write(path: Path, document: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(document, encoding="utf-8"))


def write_level_map(con: duckdb.DuckDBPyConnection, spec: MapSpec, out_dir: Path,
                    decls: Declarations | None = None) -> Path:
    """Write one level's map atomically; returns its path."""
    return _write(Path(out_dir) / spec.file, stamped(con, render_map(con, spec, decls)))


def write_level_maps(database: Path, out_dir: Path, *,
                     specs: dict[str, MapSpec] | None = None,
                     decls: Declarations | None = None) -> list[Path]:
    """Write one map per declared level present in the database; returns the files."""
    decls = decls or load_declarations()
    with closing(open_atlas(database)) as con, tables_known(con):  # a finished database
        return [write_level_map(con, spec, Path(out_dir), decls)
                for spec in drawn_specs(con, specs)]


def prepare_shapes(model_tables: Path) -> int:
    """Compute (inside a :func:`atlas.store.cache.geometry_cache` block: into the cache) the
    drawn shapes of every declared map's level and outline level, from a closed file holding
    the model tables (``regions``, ``region_geometry``): what
    :func:`atlas.maps.display_geometry.display_shapes` will ask for when the maps are drawn
    from the finished database. Their cache key is the sha256 of the rows they are made
    from, so if those rows differ there the maps simply compute them again. Returns the
    number of shapes sets made or found; 0 if the file cannot be read (the maps then
    compute them)."""
    try:
        con = duckdb.connect(str(model_tables), read_only=True)
    except (duckdb.Error, OSError):
        return 0
    with closing(con):
        try:
            levels = {row[0] for row in con.execute(
                "SELECT DISTINCT level FROM region_geometry").fetchall()}
        except duckdb.Error:
            return 0
        done = 0
        for spec in load_map_specs().values():
            for level in (spec.level, spec.outline_level):
                if level and level in levels:
                    display_shapes(con, level, spec)
                    done += 1
        return done


def write_maps(database: Path, out_dir: Path, *, specs: dict[str, MapSpec] | None = None,
               decls: Declarations | None = None) -> list[Path]:
    """Write one map per declared level present in the database, and ``index.html``.

    Parameters
    ----------
    database : Path
        The built atlas.
    out_dir : Path
        The maps folder (``out/maps``); the index links the exports of ``out_dir/../exports``.
    specs, decls : optional
        The map and layer declarations (default: ``atlas/spec/levels.toml``,
        ``atlas/spec/layers.toml``).

    Returns
    -------
    list of Path
        The files written.
    """
    decls = decls or load_declarations()
    written = write_level_maps(database, out_dir, specs=specs, decls=decls)
    return [*written, write_index(database, out_dir, specs=specs, decls=decls)]
