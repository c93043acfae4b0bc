"""Atomic file writes: write to a temporary name beside the target, then rename it into place.

Readers of the old file keep reading it; an error never leaves a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path


def atomic_write(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(temp_path)`` and rename the result to ``path``; clean up on error.

    ``temp_path`` exists (empty) when ``writer`` is called; a writer that creates the file
    itself (DuckDB) unlinks it first. A DuckDB write-ahead log left beside it is removed too.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix,
                                         dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        writer(temp)
        temp.chmod(0o644)
        os.replace(temp, path)
    finally:
        for leftover in (temp, temp.with_name(temp.name + ".wal")):
            with suppress(FileNotFoundError):
                leftover.unlink()
    return path
