"""One published set of outputs: the database, the maps and the exports of a build become
visible together, or not at all.

A build writes everything into a staging folder inside the output folder
(``<out>/.stage-<pid>-<random>/``, laid out as ``<out>`` is: ``atlas.duckdb``, ``maps/``,
``exports/``), with a build manifest (``build_manifest.json``: the build id and the sha256
of each file the build wrote). Only when every part has been written is the staging folder
published: a journal (``<out>/.publishing.json``) is written, the parts are renamed into
``<out>`` (a file replaced in one rename; a folder moved aside, then the new one renamed
in), and the journal is removed. The database, the map pages (``<meta name="atlas-build">``)
and the XLSX exports (the ``build_id`` row of their provenance sheet) carry the build id.

After a failure before publishing (bad input, a killed second process, a full disk) the
staging folder is removed, and so is every folder the build created, so the output folder
is exactly as it was. A run killed during the few renames of publishing leaves the journal:
the next build completes that publishing first (the staging folder was complete when the
journal was written). Staging folders of killed builds are removed by the next build.

Files in ``maps/`` and ``exports/`` that no build wrote (yours, such as an export of
``atlas rank -o out/exports/mine.csv``) are carried over into the new folders.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from atlas.store.files import TEMPORARY, atomic_write, running

STAGE = re.compile(r"^\.stage-(?P<pid>\d+)-[a-z0-9_]{8}$")
JOURNAL = ".publishing.json"
MANIFEST = "build_manifest.json"
# What a build publishes, in this order (the database after the pages that read it).
PUBLISHED = ("exports", "maps", "atlas.duckdb", MANIFEST)
CARRIED = ("maps", "exports")  # folders whose files no build wrote are kept
OLD = ".old"  # inside a staging folder: the outputs it replaced
Step = Callable[[str], None]


def new_build_id() -> str:
    """A build id: the UTC time and 8 random hex digits."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def missing_folders(out: Path) -> list[Path]:
    """``out`` and its parents that do not exist yet, deepest first."""
    missing = []
    for folder in [out, *out.parents]:
        if folder.exists() or folder.is_symlink():
            break
        missing.append(folder)
    return missing


def _remove_created(created: list[Path]) -> None:
    for folder in created:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: nothing of anyone else is removed


@contextlib.contextmanager
def staging(out: Path, prepare: Callable[[Path], object]) -> Iterator[Path]:
    """A new staging folder in ``out`` for the block; removed when the block ends, and on
    an error also every folder the block created (``prepare(out)`` makes ``out`` ready)."""
    created = missing_folders(out)
    try:
        prepare(out)
        stage = Path(tempfile.mkdtemp(prefix=f".stage-{os.getpid()}-", dir=out))
    except BaseException:
        _remove_created(created)
        raise
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_created(created)
        raise
    shutil.rmtree(stage, ignore_errors=True)  # after publishing: the replaced outputs


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(stage: Path, build_id: str) -> Path:
    """``build_manifest.json`` of the staged outputs: build id and each file's sha256."""
    files = {str(path.relative_to(stage)): file_sha256(path)
             for path in sorted(stage.rglob("*"))
             if path.is_file() and OLD not in path.relative_to(stage).parts}
    text = json.dumps({"build_id": build_id, "files": files}, indent=1) + "\n"
    return atomic_write(stage / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))


def read_manifest(out: Path) -> dict:
    """The published build manifest of ``out`` (empty if none or unreadable)."""
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _carry_over(stage: Path, out: Path) -> None:
    """Link the files of ``out/maps`` and ``out/exports`` that no build wrote (not in the
    published manifest, not written now, not a temporary) into the staged folders."""
    built = set(read_manifest(out).get("files", {}))
    for name in CARRIED:
        source, target = out / name, stage / name
        if not source.is_dir():
            continue
        target.mkdir(exist_ok=True)
        for path in source.iterdir():
            relative = f"{name}/{path.name}"
            if (not path.is_file() or relative in built or (target / path.name).exists()
                    or TEMPORARY.match(path.name)):
                continue
            try:
                os.link(path, target / path.name)
            except OSError:
                shutil.copy2(path, target / path.name)


def _move_in(stage: Path, out: Path) -> None:
    """Rename the staged parts into ``out``; safe to repeat after an interruption."""
    old = stage / OLD
    old.mkdir(exist_ok=True)
    for name in PUBLISHED:
        new, target = stage / name, out / name
        if not new.exists():
            continue
        if new.is_dir():
            if target.exists() and not (old / name).exists():
                os.rename(target, old / name)
            os.rename(new, target)
        else:
            os.replace(new, target)


def publish(stage: Path, out: Path) -> None:
    """Make the staged outputs the published ones (see the module docstring)."""
    _carry_over(stage, out)
    text = json.dumps({"stage": stage.name}) + "\n"
    journal = atomic_write(out / JOURNAL, lambda p: p.write_text(text, encoding="utf-8"))
    _move_in(stage, out)
    journal.unlink()


def recover(out: Path, step: Step | None = None) -> None:
    """Complete a publishing an interrupted run left (its journal), if any."""
    journal = out / JOURNAL
    if not journal.is_file():
        return
    try:
        stage = out / json.loads(journal.read_text(encoding="utf-8"))["stage"]
    except (OSError, ValueError, KeyError, TypeError):
        stage = None
    if stage is not None and STAGE.match(stage.name) and stage.is_dir():
        _move_in(stage, out)
        shutil.rmtree(stage, ignore_errors=True)
        if step is not None:
            step(f"completed the publishing of the outputs an interrupted build left in "
                 f"{stage.name}")
    journal.unlink(missing_ok=True)


def stale_stages(out: Path) -> list[Path]:
    """Staging folders in ``out`` whose build is no longer running."""
    if not out.is_dir():
        return []
    return [path for path in sorted(out.iterdir())
            if (match := STAGE.match(path.name)) and path.is_dir() and not path.is_symlink()
            and not running(int(match["pid"]))]


def remove_stale_stages(out: Path) -> list[Path]:
    """Delete :func:`stale_stages`; returns them."""
    stale = stale_stages(out)
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale
