"""Atomic file writes: write to a temporary name beside the target, then rename it into place.

Readers of the old file keep reading it; an error never leaves a half-written file. A process
that is killed mid-write cannot clean up, so its temporaries (``.<stem>-<pid>-<random><suffix>``
and DuckDB's ``.wal`` beside them) are removed by the next build with
:func:`remove_stale_temporaries`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

# What atomic_write's temporaries look like: "." stem "-" [pid "-"] 8 random characters of
# tempfile's alphabet, the target's suffix, and optionally DuckDB's ".wal". Names without
# the pid were written by earlier versions of the atlas; they count only with a suffix the
# atlas writes.
TEMPORARY = re.compile(r"^\.(?P<stem>.+?)-(?:(?P<pid>\d+)-)?[a-z0-9_]{8}(?P<suffix>\.[^.]+)?"
                       r"(?:\.wal)?$")
ATLAS_SUFFIXES = {".duckdb", ".html", ".csv", ".xlsx", ".parquet", ".geojson", ".json", ".md"}


def atomic_write(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(temp_path)`` and rename the result to ``path``; clean up on error.

    ``temp_path`` exists (empty) when ``writer`` is called; a writer that creates the file
    itself (DuckDB) unlinks it first. A DuckDB write-ahead log left beside it is removed too.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}-{os.getpid()}-",
                                         suffix=path.suffix, dir=path.parent)
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


def running(pid: int) -> bool:
    """True if a process with this id runs on this machine (this process included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OverflowError, OSError):
        return False
    return True


def stale_temporaries(folder: Path, before: float) -> list[Path]:
    """The temporaries of interrupted atomic writes in ``folder`` (not its subfolders).

    A file counts only if its name matches :data:`TEMPORARY`, it was last modified before
    ``before`` (a ``time.time()`` value: the start of the running build) and the process
    that wrote it, where the name records it, is no longer running. Nothing else, and no
    folder, is ever listed.
    """
    if not folder.is_dir():
        return []
    stale = []
    for path in sorted(folder.iterdir()):
        match = TEMPORARY.match(path.name)
        if not match or not path.is_file() or path.is_symlink():
            continue
        if match["pid"] is None and match["suffix"] not in ATLAS_SUFFIXES:
            continue
        if path.stat().st_mtime >= before:
            continue
        if match["pid"] is not None and running(int(match["pid"])):
            continue
        stale.append(path)
    return stale


def remove_stale_temporaries(folders: list[Path], before: float) -> list[Path]:
    """Delete :func:`stale_temporaries` of each folder; returns the files removed."""
    removed = []
    for folder in folders:
        for path in stale_temporaries(folder, before):
            with suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed
