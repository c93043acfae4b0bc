"""Validated reading of the atlas inputs listed in ``atlas/spec/manifest.toml``.

Every reader goes through :class:`Inputs`: :meth:`Inputs.table` for tables (CSV, TSV,
Parquet, Excel) and :meth:`Inputs.geometry` for geometry (GeoJSON, TopoJSON). Each file is
read once, checked against its manifest entry (:mod:`atlas.sources.checks`,
:mod:`atlas.sources.geometry_reading`)
and hashed for the ``provenance`` table. :meth:`Inputs.check_all`
validates every input before the build computes anything, so bad input fails fast and the
previous atlas is never touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from atlas.errors import ConfigError, InputError
from atlas.sources.checks import TEXT_SUFFIXES, check_encoding, validate_frame
from atlas.spec.manifest import (
    MANIFEST_PATH,
    PROJECT_ROOT,
    InputSpec,
    data_profile,
    load_manifest,
)

__all__ = ["DEFAULT_DATA_DIR", "MANIFEST_PATH", "PROJECT_ROOT", "InputSpec", "Inputs",
           "check_inputs", "load_manifest", "resolve_data_dir", "sha256_of", "validate_frame"]

DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """Pick the data directory: the argument, else ``ATLAS_DATA_DIR``, else ``../shared/data``."""
    chosen = data_dir or os.environ.get("ATLAS_DATA_DIR") or DEFAULT_DATA_DIR
    path = Path(chosen).expanduser().resolve()
    if not path.is_dir():
        raise ConfigError(
            f"data directory {path} does not exist: pass --data-dir or set ATLAS_DATA_DIR "
            "(the real inputs live in ../shared/data)"
        )
    return path


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_table(data: bytes, spec: InputSpec) -> pd.DataFrame:
    """Parse a table's bytes as its suffix says, with declared text columns as strings.

    Raises
    ------
    InputError
        for undecodable text, an unsupported suffix or anything the parser rejects.
    """
    text_columns = {c: str for c, kind in spec.columns.items() if kind == "str"}
    suffix = spec.suffix
    if suffix in TEXT_SUFFIXES:
        check_encoding(data, spec.path, spec.encoding)
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(io.BytesIO(data), columns=parquet_columns(data, spec))
            for column in text_columns:
                if column in frame.columns:
                    frame[column] = frame[column].astype("string").astype(object)
        elif suffix in TEXT_SUFFIXES:
            frame = read_delimited(data, spec, text_columns)
        elif suffix in {".xlsx", ".xls"}:
            frame = pd.read_excel(io.BytesIO(data), sheet_name=spec.sheet or 0,
                                  dtype=text_columns, engine="calamine")  # Rust: ~20x openpyxl
        else:
            raise InputError(spec.path, f"unsupported file type {suffix}",
                             expected="csv, tsv, parquet or xlsx")
    except InputError:
        raise
    except Exception as exc:  # the parser's own message says what is wrong
        raise InputError(spec.path, f"could not be read: {exc}",
                         expected=f"a readable {suffix} file") from exc
    return frame


def parquet_columns(data: bytes, spec: InputSpec) -> list[str] | None:
    """The columns to load from a Parquet input: all (None), or, when its manifest entry
    sets ``also_read``, the declared columns and those, as far as the file has them (a
    missing declared column is then named by :func:`~atlas.sources.checks.validate_frame`,
    as when every column is loaded). Loading 11 of the OEWS file's 44 columns takes a
    tenth of the CPU time."""
    if not spec.also_read:
        return None
    present = set(pq.read_schema(io.BytesIO(data)).names)
    return [column for column in dict.fromkeys([*spec.columns, *spec.also_read])
            if column in present]


def record_lines(text: str, separator: str) -> list[int]:
    """The line (header = 1) on which each data record of a CSV/TSV text starts, as
    Python's csv module reads it: a quoted field may hold separators, quotes (doubled), CR
    and LF, so a record can span lines. Blank lines hold no record (as pandas skips them)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    starts, previous = [], 0
    for row in reader:
        if row:
            starts.append(previous + 1)
        previous = reader.line_num
    return starts[1:]


def read_delimited(data: bytes, spec: InputSpec, dtype: dict[str, type]) -> pd.DataFrame:
    """A CSV/TSV input as a frame, with quoted CR/LF read as part of their field.

    The fast parser reads the file; when its records span more lines than they number (a
    quoted line break), the file is read again with Python's csv module rules (pandas'
    ``python`` engine) and ``frame.attrs["lines"]`` holds the line each record starts on,
    so that messages name the true row."""
    separator = "\t" if spec.suffix == ".tsv" else ","
    text = data.decode(spec.encoding).removeprefix("\ufeff")
    frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=dtype, keep_default_na=True)
    lines = sum(1 for line in io.StringIO(text, newline="") if line.strip("\r\n"))
    if lines != len(frame) + 1:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=dtype,
                            keep_default_na=True, engine="python")
        starts = record_lines(text, separator)
        if len(starts) != len(frame):
            raise InputError(spec.path, f"holds {len(starts)} records by the CSV rules but "
                             f"{len(frame)} were parsed", expected="a well-formed CSV file "
                             "(quoted fields closed)")
        frame.attrs["lines"] = starts
    return frame


class Inputs:
    """The atlas inputs under one data directory, read with validation and provenance.

    Attributes
    ----------
    profile
        the manifest profile the data folder selects (``atlas_profile.toml``), or None: the
        entries as written (:func:`atlas.spec.manifest.load_manifest`).
    repaired
        ``{input key: feature ids}`` of geometries the reader repaired (manifest ``repair``),
        for data-quality notes.
    """

    def __init__(self, data_dir: str | Path | None = None,
                 manifest: dict[str, InputSpec] | None = None) -> None:
        self.data_dir = resolve_data_dir(data_dir)
        self.profile = None if manifest else data_profile(self.data_dir)
        self.specs = manifest or load_manifest(profile=self.profile)
        self.provenance: dict[str, dict[str, object]] = {}
        self.repaired: dict[str, list[str]] = {}
        self._tables: dict[str, pd.DataFrame] = {}
        self._layers: dict[str, object] = {}
        self._digests: dict[str, str] = {}
        self._deferred: tuple[set[str], Callable[[], None]] = (set(), lambda: None)

    def defer(self, keys: Collection[str], collect: Callable[[], None]) -> None:
        """Leave ``keys`` to :meth:`check_all` with ``skip`` until one of them is asked for:
        ``collect()`` is called then, once, before it is read (the build's second process
        validates them meanwhile, and ``collect`` takes what it computed into the cache)."""
        self._deferred = (set(keys), collect)

    def _collect(self, key: str) -> None:
        keys, collect = self._deferred
        if key in keys:
            self._deferred = (set(), lambda: None)
            collect()

    def path(self, key: str) -> Path:
        """Absolute path of an input; raises ``InputError`` if the file is missing."""
        spec = self.specs[key]
        path = self.data_dir / spec.path
        if not path.is_file():
            raise InputError(spec.path, f"file not found in data directory {self.data_dir}",
                             expected=f"the {spec.vintage or key} input (see SOURCES.md)")
        return path

    def _read(self, key: str) -> tuple[Path, bytes]:
        path = self.path(key)
        try:
            return path, path.read_bytes()
        except OSError as exc:
            raise InputError(self.specs[key].path, f"cannot be read ({exc.strerror})") from exc

    def digest(self, key: str, data: bytes | None = None) -> str:
        """The sha256 of an input's bytes (``data`` if given), computed once per ``Inputs``;
        ``InputError`` if the file is missing or unreadable."""
        if key not in self._digests:
            data = self._read(key)[1] if data is None else data
            self._digests[key] = hashlib.sha256(data).hexdigest()
        return self._digests[key]

    def _record(self, key: str, path: Path, data: bytes, rows: int | None) -> None:
        spec = self.specs[key]
        self.provenance[key] = {
            "file": spec.path,
            "sha256": self.digest(key, data),
            "bytes": len(data),
            "rows": rows,
            "vintage": spec.vintage,
            "licence": spec.licence,
            "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def table(self, key: str) -> pd.DataFrame:
        """A tabular input (csv, tsv, parquet, xlsx), validated against the manifest.

        Each file is read, validated and hashed once per ``Inputs``; callers get a copy.
        """
        spec = self.specs[key]
        if spec.is_geometry:
            raise ConfigError(f"{spec.path}: a geometry input; read it with Inputs.geometry")
        if key not in self._tables:
            self._collect(key)
            path, data = self._read(key)
            frame = validate_frame(parse_table(data, spec), spec, spec.path)
            self._record(key, path, data, len(frame))
            self._tables[key] = frame
        return self._tables[key].copy(deep=False)  # copy-on-write: never changes the kept one

    def geometry(self, key: str, layer: str | None = None):
        """A geometry input as a GeoDataFrame: readable, complete, valid.

        See :mod:`atlas.sources.geometry_reading`.

        ``layer`` defaults to the manifest's (and must agree with it). Invalid geometries
        are an error unless the manifest sets ``repair``; the ids of repaired features are
        in ``self.repaired[key]`` and in the frame's ``attrs["repaired"]``.
        """
        from atlas.sources.geometry_reading import read_geometry

        spec = self.specs[key]
        if not spec.is_geometry:
            raise ConfigError(f"{spec.path}: not a geometry input; read it with Inputs.table")
        if layer is not None and layer != spec.layer:
            raise ConfigError(f"{spec.path}: layer {layer!r} is not the manifest's layer "
                              f"{spec.layer!r} (add a manifest entry for it)")
        if key not in self._layers:
            self._collect(key)
            path, data = self._read(key)
            frame, repaired = read_geometry(path, data, spec, spec.path)
            self._record(key, path, data, len(frame))
            self.repaired[key] = repaired
            self._layers[key] = frame
        frame = self._layers[key].copy()
        frame.attrs["repaired"] = list(self.repaired[key])
        return frame

    def raw_path(self, key: str) -> Path:
        """Path of an input, after validating it (a geometry input is read and checked)."""
        if self.specs[key].is_geometry:
            self.geometry(key)
        else:
            self.table(key)
        return self.path(key)

    def check_all(self, skip: Collection[str] = ()) -> None:
        """Read and validate every manifest input (cached for the readers) but those in
        ``skip``; fails fast.

        Raises
        ------
        InputError
            for the first input that is missing or fails a check.
        """
        for key, spec in self.specs.items():
            if key in skip:
                continue
            if spec.is_geometry:
                self.geometry(key)
            else:
                self.table(key)

    def restore(self, provenance: dict[str, dict[str, object]],
                repaired: dict[str, list[str]]) -> None:
        """Take the provenance and repairs a previous build recorded for these very bytes
        (``atlas.sources.reader_cache``); ``loaded_at`` becomes now, when the files were hashed."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.provenance = {key: {**record, "loaded_at": now}
                           for key, record in provenance.items()}
        self.repaired = {key: list(ids) for key, ids in repaired.items()}

    def notes(self) -> list[str]:
        """Data-quality notes about the inputs read so far: repaired geometries."""
        notes = []
        for key, ids in self.repaired.items():
            if ids:
                spec = self.specs[key]
                shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10
                                               else "")
                notes.append(f"{spec.path}: {len(ids)} invalid geometries repaired with "
                             f"{spec.repair} ({spec.id_column or 'feature'} {shown})")
        return notes


def check_inputs(data_dir: str | Path, keys: Collection[str]) -> None:
    """Validate the inputs ``keys`` under ``data_dir`` (what the build's second process runs
    while the first checks the others: the validated geometry it computes comes back as cache
    entries, :func:`atlas.build.worker.call`, and the first process's own check of those
    inputs then finds them; tables are not cached, so only geometry is worth sending)."""
    inputs = Inputs(data_dir)
    inputs.check_all(skip=set(inputs.specs) - set(keys))
