"""Optional: DuckDB's spatial extension, for researchers' spatial SQL on ``region_geometry``.

Nothing in the atlas depends on it. It loads if the extension is installed in DuckDB's
extension folder (``INSTALL spatial`` where the network allows) or shipped by the PyPI package
``duckdb-extension-spatial`` for the same DuckDB version (``pip install -e ".[spatial]"``);
either way it loads from disk, offline. ``atlas sql`` opens the atlas with
:func:`open_with_spatial`, so ``ST_*`` functions work there (docs/exports.md has an example).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from atlas.store.database import open_atlas


def packaged_extension() -> Path | None:
    """The extension file of the ``duckdb-extension-spatial`` package matching this DuckDB."""
    try:
        import duckdb_extension_spatial
    except ImportError:
        return None
    root = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    path = root / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
    return path if path.is_file() else None


def load_spatial(con: duckdb.DuckDBPyConnection) -> bool:
    """Load the spatial extension into ``con``; True if it is available."""
    candidates = ["spatial"]
    packaged = packaged_extension()
    if packaged is not None:
        candidates.insert(0, str(packaged))
    for candidate in candidates:
        try:
            con.execute(f"LOAD '{candidate}'")
            return True
        except duckdb.Error:
            continue
    return False


def open_with_spatial(db: str | Path) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """Open the atlas read-only for ``atlas sql``: the spatial extension loaded when it is
    installed, then file system access switched off for good (it cannot be switched back on
    while the connection is open, so no query can read or write a file, ``ST_Read`` included).

    Returns
    -------
    tuple
        The connection and whether the spatial extension is loaded.
    """
    con = open_atlas(db)  # external access only for LOAD: extensions are files
    try:
        spatial = load_spatial(con)
        con.execute("SET enable_external_access = false")
    except BaseException:
        con.close()
        raise
    return con, spatial
