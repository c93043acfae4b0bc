"""Atomic file writes: write to a temporary name beside the target, then rename it into place.

Readers of the old file keep reading it; an error never leaves a half-written file. A process
that is killed mid-write cannot clean up, so its temporaries (``.<stem>-<pid>-<random><suffix>``
and DuckDB's ``.wal`` beside them) are removed by the next build with
:func:`remove_stale_temporaries`.

What commonly goes wrong with an output path is said in one line (:class:`OutputError`):
a folder given where a file is expected, a path under an existing file, and a full disk
(naming the folder, its free space and the space the file needs), also when DuckDB is the
writer that ran out of space.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from atlas.errors import AtlasError

# What atomic_write's temporaries look like: "." stem "-" [pid "-"] 8 random characters of
# tempfile's alphabet, the target's suffix, and optionally DuckDB's ".wal". Names without
# the pid were written by earlier versions of the atlas; they count only with a suffix the
# atlas writes.
TEMPORARY = re.compile(r"^\.(?P<stem>.+?)-(?:(?P<pid>\d+)-)?[a-z0-9_]{8}(?P<suffix>\.[^.]+)?"
                       r"(?:\.wal)?$")
ATLAS_SUFFIXES = {".duckdb", ".html", ".csv", ".xlsx", ".parquet", ".geojson", ".json", ".md"}
DISK_FULL_TEXT = ("no space left on device", "disk is full", "disk quota exceeded")


class OutputError(AtlasError):
    """An output cannot be written where it was asked for (one line, with the fix)."""


def size_text(size: float) -> str:
    """Bytes as B, kB, MB or GB."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover


def disk_full(exc: BaseException) -> bool:
    """True if ``exc`` says the disk (or the user's quota) is full: an OSError, or a
    library's error (DuckDB's IO or transaction errors) whose text says so."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(text in str(exc).lower() for text in DISK_FULL_TEXT)


def disk_full_error(path: Path, written: int) -> OutputError:
    """The one-line error for a write of ``path`` that filled the disk (``written``: the
    bytes it had written, or the size of the file it replaces if larger)."""
    folder = path.parent
    try:
        free = size_text(shutil.disk_usage(folder).free)
    except OSError:
        free = "unknown"
    previous = path.stat().st_size if path.is_file() else 0
    needed = max(written, previous)
    return OutputError(f"{folder}: the disk is full ({free} free) while writing {path.name}, "
                       f"which needs {'about ' + size_text(needed) if needed else 'more'}; "
                       "free some space there or choose another output folder")


def check_output_path(path: Path, what: str = "output") -> None:
    """Refuse, in one line, a ``path`` that names a folder or lies under an existing file."""
    path = Path(path)
    if path.is_dir():
        example = path / f"name{path.suffix or '.ext'}"
        raise OutputError(f"{path}: is a folder; the {what} needs a file name here (such as "
                          f"{example})")
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise OutputError(f"{path}: {parent} is a file, not a folder, so nothing can "
                                  "be written under it (choose another path)")
            return


def _written(temp: Path) -> int:
    return sum(p.stat().st_size for p in (temp, temp.with_name(temp.name + ".wal"))
               if p.is_file())


def atomic_write(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(temp_path)`` and rename the result to ``path``; clean up on error.

    ``temp_path`` exists (empty) when ``writer`` is called; a writer that creates the file
    itself (DuckDB) unlinks it first. A DuckDB write-ahead log left beside it is removed too.

    Raises
    ------
    OutputError
        if ``path`` is a folder or under a file, or the disk fills up (see the module).
    """
    path = Path(path)
    check_output_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}-{os.getpid()}-",
                                             suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        if disk_full(exc):
            raise disk_full_error(path, 0) from exc
        raise
    os.close(handle)
    temp = Path(temp_name)
    try:
        writer(temp)
        temp.chmod(0o644)
        os.replace(temp, path)
    except Exception as exc:
        if disk_full(exc):
            raise disk_full_error(path, _written(temp)) from exc
        raise
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
