"""A cache for results that depend only on the inputs (dissolved geometry, validated
geometry layers, contiguity, the model tables of :mod:`atlas.sources.reader_cache`), in the
user's cache folder (:func:`cache_home`: ``$ATLAS_CACHE_DIR``, else ``$XDG_CACHE_HOME/atlas``,
else ``~/.cache/atlas``), shared by every output folder: a build into a new folder reuses what
an earlier build of the same inputs, code and settings computed.

An entry is keyed by the sha256 of everything it depends on (:func:`cache_key`: the inputs'
sha256, the parameters, ``CACHE_VERSION``). When an entry is written, the sha256 of its bytes
is recorded beside it (``<entry>.sha256``). A cache file is used only when its name, the key
stored inside it and the recorded sha256 all match, checked on the bytes actually read:
anything else (another key, a file cut short, emptied, swapped or edited, a missing record)
is a miss, reported in one line, recomputed and replaced when the block ends without an
error. So the cache can only make a build faster, never change what it computes. Without a
folder (outside :func:`geometry_cache`) nothing is cached. The folder is safe to delete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

CACHE_FOLDER = ".cache"  # where builds before the shared cache kept it in an output folder
CACHE_ENV = "ATLAS_CACHE_DIR"  # the environment variable that chooses the cache folder
CACHE_VERSION = 2  # raise when the cached code changes what it returns
DIGEST_SUFFIX = ".sha256"  # the sha256 of an entry's bytes, recorded beside it
KEY_FIELD = b"atlas_cache_key"
KEEP = 16  # cache entries kept per name (the folder is shared by every output folder)
KEEP_FILES = 4  # file entries (a whole database of model tables, ~15 MB) kept per name


def cache_home() -> Path:
    """The cache folder shared by every output folder (safe to delete at any time).

    ``$ATLAS_CACHE_DIR`` if set and not empty, else ``$XDG_CACHE_HOME/atlas``, else
    ``~/.cache/atlas``. Entries are keyed by everything they depend on, so builds of other
    inputs, code or settings (other output folders, other checkouts) never read each other's.
    """
    chosen = os.environ.get(CACHE_ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "atlas"


class _Session:
    """The cache folder of a running :func:`geometry_cache` block, the entries it computed
    (written only when the block ends without an error, so that a failed build leaves the
    output folder as it was) and the keys it used, most recent last."""

    def __init__(self, folder: Path, report: Callable[[str], None] | None = None) -> None:
        self.folder = folder
        self.created = not folder.exists()  # removed again if a failed block leaves it empty
        self.report = report or _to_stderr
        self.pending: dict[tuple[str, str], pa.Table] = {}
        self.pending_files: dict[tuple[str, str, str], Path] = {}  # (name, key, suffix): temp
        self.used: dict[str, list[str]] = {}
        self.suffixes: dict[str, str] = {}  # per name: ".parquet", or a file entry's suffix
        self.on_miss: list[Callable[[], None]] = []  # see on_next_miss()

    def use(self, name: str, key: str, suffix: str = ".parquet") -> None:
        keys = self.used.setdefault(name, [])
        if key in keys:
            keys.remove(key)
        keys.append(key)
        self.suffixes[name] = suffix

    def flush(self) -> None:
        """Write the pending entries; keep per name the ``KEEP`` most recently used keys
        (this block's, then the other files by modification time)."""
        from atlas.store.files import atomic_write

        if not self.pending and not self.pending_files:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for (name, key), table in self.pending.items():
            seal(atomic_write(self.folder / f"{name}-{key}.parquet",
                              lambda temp, table=table: pq.write_table(table, temp)))
        for (name, key, suffix), temp in self.pending_files.items():
            seal(temp.replace(self.folder / f"{name}-{key}{suffix}"))
        self.pending_files.clear()
        for name, keys in self.used.items():
            suffix = self.suffixes[name]
            keep = KEEP if suffix == ".parquet" else KEEP_FILES
            recent = [self.folder / f"{name}-{key}{suffix}" for key in reversed(keys)]
            others = sorted((p for p in self.folder.glob(f"{name}-*{suffix}")
                             if p not in recent), key=lambda p: p.stat().st_mtime,
                            reverse=True)
            for stale in [*recent, *others][keep:]:
                stale.unlink(missing_ok=True)
                digest_path(stale).unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the temporaries of file entries a failed block computed."""
        for temp in self.pending_files.values():
            for leftover in (temp, temp.with_name(temp.name + ".wal")):
                leftover.unlink(missing_ok=True)
        self.pending_files.clear()
        if self.created:
            with contextlib.suppress(OSError):
                self.folder.rmdir()  # only if empty: a failed build leaves no new folder


_CACHE: dict[str, _Session | None] = {"session": None}


def _to_stderr(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def digest_path(entry: Path) -> Path:
    """Where the sha256 of ``entry``'s bytes is recorded."""
    return entry.with_name(entry.name + DIGEST_SUFFIX)


def file_digest(path: Path) -> str:
    """sha256 of the file's bytes (read in blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def seal(entry: Path) -> Path:
    """Record the sha256 of ``entry``'s bytes beside it (written atomically, after it)."""
    from atlas.store.files import atomic_write

    text = file_digest(entry) + "\n"
    atomic_write(digest_path(entry), lambda temp: temp.write_text(text, encoding="ascii"))
    return entry


def recorded_digest(entry: Path) -> str | None:
    """The sha256 recorded when ``entry`` was written, or None (no record, unreadable)."""
    try:
        return digest_path(entry).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def damaged(entry: Path, why: str) -> None:
    """Report in one line that a cache entry is a miss because it is damaged."""
    session = _CACHE["session"]
    message = (f"cache entry {entry.parent.name}/{entry.name} {why}: recomputed (and replaced "
               "if this run succeeds)")
    (session.report if session is not None else _to_stderr)(message)


def verified_bytes(entry: Path) -> bytes | None:
    """The bytes of ``entry`` if they match the sha256 recorded when it was written; else
    None, reported as :func:`damaged`."""
    expected = recorded_digest(entry)
    if expected is None:
        damaged(entry, "has no recorded sha256")
        return None
    try:
        data = entry.read_bytes()
    except OSError as exc:
        damaged(entry, f"cannot be read ({exc.strerror})")
        return None
    if hashlib.sha256(data).hexdigest() != expected:
        damaged(entry, "does not match the sha256 recorded when it was written (cut short, "
                       "emptied, swapped or edited)")
        return None
    return data


def verified_file(entry: Path) -> bool:
    """:func:`verified_bytes` for a large entry, hashed in blocks without keeping it."""
    expected = recorded_digest(entry)
    if expected is None:
        damaged(entry, "has no recorded sha256")
        return False
    try:
        actual = file_digest(entry)
    except OSError as exc:
        damaged(entry, f"cannot be read ({exc.strerror})")
        return False
    if actual != expected:
        damaged(entry, "does not match the sha256 recorded when it was written (cut short, "
                       "emptied, swapped or edited)")
        return False
    return True


@contextlib.contextmanager
def geometry_cache(folder: str | Path | None, *, write: bool = True,
                   report: Callable[[str], None] | None = None) -> Iterator[None]:
    """Cache results in ``folder`` (``None``: no cache) while the block runs; what the block
    computed is written when it ends without an error (``write=False``: not written, but
    left to :func:`computed_entries`, for a process whose caller decides). A damaged entry is
    told to ``report`` (default: a ``note:`` line on stderr)."""
    previous = _CACHE["session"]
    if previous is not None and folder is not None and previous.folder == Path(folder):
        yield  # inside a block of the same folder: its entries are written when that ends
        return
    session = _Session(Path(folder), report) if folder is not None else None
    _CACHE["session"] = session
    try:
        yield
        if session is not None and write:
            session.flush()
    finally:
        if session is not None:
            session.discard()
        _CACHE["session"] = previous


def computed_entries() -> dict[tuple[str, str], pa.Table]:
    """The table entries the running :func:`geometry_cache` block computed (not yet written)."""
    session = _CACHE["session"]
    return dict(session.pending) if session is not None else {}


def hand_over_files() -> dict[tuple[str, str, str], Path]:
    """The file entries (:func:`new_cache_file`) the running block computed, taken out of it:
    neither written nor removed when it ends, for :func:`adopt` in another process's block."""
    session = _CACHE["session"]
    if session is None:
        return {}
    files, session.pending_files = session.pending_files, {}
    return files


def adopt(entries: dict[tuple, pa.Table | Path]) -> None:
    """Take entries another process computed (:func:`computed_entries`; file entries:
    :func:`hand_over_files`) into the running block, written when it ends without an error
    (removed if it fails); nothing outside a block."""
    session = _CACHE["session"]
    if session is None:
        return
    for entry, value in entries.items():
        session.use(*entry)
        if len(entry) == 3:  # (name, key, suffix): a file entry
            session.pending_files[entry] = value
        else:
            session.pending[entry] = value


def on_next_miss(collect: Callable[[], None]) -> None:
    """Call ``collect`` (once) before the running block's next lookup that finds nothing:
    entries computed elsewhere may be on their way, which ``collect`` waits for and
    :func:`adopt` s, so that the lookup finds them. Nothing outside a block."""
    session = _CACHE["session"]
    if session is not None:
        session.on_miss.append(collect)


def _arrived(session: _Session, name: str, key: str) -> bool:
    """After a miss: call what :func:`on_next_miss` registered; True if ``(name, key)`` is
    now among the block's entries."""
    waiting, session.on_miss = session.on_miss, []
    for collect in waiting:
        collect()
    return bool(waiting) and (name, key) in session.pending


def cache_folder() -> Path | None:
    """The folder of the running :func:`geometry_cache` block (None outside one)."""
    session = _CACHE["session"]
    return session.folder if session is not None else None


def pending_file(name: str, key: str, suffix: str) -> Path | None:
    """The temporary file this block writes the file entry of ``name`` for ``key`` to
    (:func:`new_cache_file`), or None (no such entry pending, or outside a block)."""
    session = _CACHE["session"]
    return session.pending_files.get((name, key, suffix)) if session is not None else None


def cache_key(*parts: object) -> str:
    """sha256 of the JSON of ``parts`` (and ``CACHE_VERSION``)."""
    text = json.dumps([CACHE_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cached_table(name: str, key: str) -> pa.Table | None:
    """The cached table of ``name`` for exactly ``key`` (computed in this block, or a file
    whose stored key matches), or None."""
    session = _CACHE["session"]
    if session is None:
        return None
    session.use(name, key)
    if (name, key) in session.pending:
        return session.pending[name, key]
    path = session.folder / f"{name}-{key}.parquet"
    if not path.is_file():
        return session.pending[name, key] if _arrived(session, name, key) else None
    data = verified_bytes(path)
    if data is None:
        return None
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowException) as exc:
        damaged(path, f"cannot be parsed ({str(exc).splitlines()[0]})")
        return None
    if (table.schema.metadata or {}).get(KEY_FIELD) != key.encode():
        damaged(path, "holds another key than its name")
        return None
    path.touch()  # recently used
    return table


def _store(name: str, key: str, table: pa.Table, extra: dict[bytes, bytes] | None = None
           ) -> None:
    """Keep ``table`` (with the key and ``extra`` in its metadata) as the entry of ``key``,
    written when the block ends."""
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **(extra or {}),
                                           KEY_FIELD: key.encode()})
    _CACHE["session"].pending[name, key] = table


def cached_frame(name: str, key: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``compute()``, or its cached result for exactly this ``key``.

    The frame is stored as ``<cache>/<name>-<key>.parquet`` with the key in the file's
    metadata; a file whose stored key differs (or that cannot be read) is ignored and
    replaced. Of each name the ``KEEP`` most recently used keys are kept (a build uses one
    per level). Without a cache folder (:func:`geometry_cache`) this is ``compute()``; new
    entries are written when the :func:`geometry_cache` block ends without an error.
    """
    if _CACHE["session"] is None:
        return compute()
    table = _cached_table(name, key)
    if table is not None:
        return table.to_pandas()
    frame = compute()
    _store(name, key, pa.Table.from_pandas(frame, preserve_index=False))
    return frame


def cached(name: str, key: str) -> pd.DataFrame | None:
    """The cached frame of ``name`` for exactly ``key`` (:func:`cached_frame`), or None (a
    miss, or outside :func:`geometry_cache`)."""
    if _CACHE["session"] is None:
        return None
    table = _cached_table(name, key)
    return None if table is None else table.to_pandas()


def cache_file(name: str, key: str, suffix: str) -> Path | None:
    """The cached file of ``name`` for ``key`` (``<cache>/<name>-<key><suffix>``) if it
    exists and its bytes match the sha256 recorded when it was written, else None (also
    outside :func:`geometry_cache`); first, the block's own entry, computed (or adopted) and
    not yet written. The caller checks the key stored inside it."""
    session = _CACHE["session"]
    if session is None:
        return None
    session.use(name, key, suffix)
    pending = session.pending_files.get((name, key, suffix))
    if pending is not None and pending.is_file():
        return pending
    path = session.folder / f"{name}-{key}{suffix}"
    if not (path.is_file() and verified_file(path)):
        return None
    path.touch()  # recently used: a build into another output folder keeps it
    return path


def new_cache_file(name: str, key: str, suffix: str) -> Path | None:
    """A temporary path to write the file entry of ``name`` for ``key`` to; it becomes
    ``<cache>/<name>-<key><suffix>`` when the :func:`geometry_cache` block ends without an
    error and is removed otherwise. None outside such a block (nothing is cached)."""
    session = _CACHE["session"]
    if session is None:
        return None
    session.folder.mkdir(parents=True, exist_ok=True)
    # named like atomic_write's temporaries, so that a killed build's is removed by the next
    handle, temp_name = tempfile.mkstemp(prefix=f".{name}-{os.getpid()}-", suffix=suffix,
                                         dir=session.folder)
    os.close(handle)
    temp = Path(temp_name)
    temp.unlink()  # the writer creates it (DuckDB will not open an empty file)
    session.use(name, key, suffix)
    session.pending_files[name, key, suffix] = temp
    return temp
