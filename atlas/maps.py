"""HTML maps (placeholder until the maps issue lands): nothing is written yet."""

from __future__ import annotations

from pathlib import Path


def write_maps(database: Path, out_dir: Path) -> list[Path]:
    """Write the HTML maps; returns the files written."""
    return []
