"""Optional: DuckDB's spatial extension, for researchers' spatial SQL on ``region_geometry``.

Nothing in the atlas depends on it. It loads if the extension is installed in DuckDB's
extension folder (``INSTALL spatial`` where the network allows) or shipped by the PyPI package
``duckdb-extension-spatial`` for the same DuckDB version (``pip install -e ".[spatial]"``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb


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
