"""Validated reading of the atlas inputs listed in ``data/manifest.toml``.

Every reader goes through :class:`Inputs`, which checks that the file exists, that the
columns the atlas relies on are present and of the expected kind, that key columns are
unique, and records each file's sha256 for the ``provenance`` table.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from atlas.errors import ConfigError, InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = PROJECT_ROOT / "data" / "manifest.toml"
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


@dataclass(frozen=True)
class InputSpec:
    """One manifest entry."""

    key: str
    path: str
    vintage: str
    licence: str
    use: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    unique_key: tuple[str, ...] = ()
    sheet: str | None = None


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, InputSpec]:
    """Read the manifest into ``{input key: InputSpec}``."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)["inputs"]
    return {
        key: InputSpec(
            key=key,
            path=entry["path"],
            vintage=entry.get("vintage", ""),
            licence=entry.get("licence", ""),
            use=entry.get("use", ""),
            columns=dict(entry.get("columns", {})),
            unique_key=tuple(entry.get("key", ())),
            sheet=entry.get("sheet"),
        )
        for key, entry in raw.items()
    }


def _data_row(index_position: int, suffix: str) -> int:
    """Human row number: the line in a text file (header is line 1), else 1-based record."""
    return index_position + 2 if suffix in {".csv", ".tsv"} else index_position + 1


def validate_frame(frame: pd.DataFrame, spec: InputSpec, label: str) -> pd.DataFrame:
    """Check columns, kinds and key uniqueness; return the frame with numeric columns cast.

    Raises
    ------
    InputError
        naming the file, the column and the first offending row.
    """
    suffix = Path(spec.path).suffix.lower()
    missing = [column for column in spec.columns if column not in frame.columns]
    if missing:
        raise InputError(label, f"missing column(s) {missing}",
                         expected=f"columns {list(spec.columns)}")
    frame = frame.reset_index(drop=True)
    for column, kind in spec.columns.items():
        if kind == "str":
            continue
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            position = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(label, f"non-numeric value {raw.iloc[position]!r}", column=column,
                             row=_data_row(position, suffix), expected="a number")
        if kind == "count" and (values < 0).any():
            position = int((values < 0).to_numpy().nonzero()[0][0])
            raise InputError(label, f"negative value {values.iloc[position]!r}", column=column,
                             row=_data_row(position, suffix), expected="a count >= 0")
        frame[column] = values.astype("float64")
    if spec.unique_key:
        duplicated = frame.duplicated(list(spec.unique_key), keep="first")
        if duplicated.any():
            position = int(duplicated.to_numpy().nonzero()[0][0])
            key_values = frame.loc[position, list(spec.unique_key)].tolist()
            key = dict(zip(spec.unique_key, key_values, strict=True))
            raise InputError(label, f"duplicate row for {key}",
                             column=", ".join(spec.unique_key),
                             row=_data_row(position, suffix), expected="one row per key")
    return frame


class Inputs:
    """The atlas inputs under one data directory, read with validation and provenance."""

    def __init__(self, data_dir: str | Path | None = None,
                 manifest: dict[str, InputSpec] | None = None) -> None:
        self.data_dir = resolve_data_dir(data_dir)
        self.specs = manifest or load_manifest()
        self.provenance: dict[str, dict[str, object]] = {}
        self._tables: dict[str, pd.DataFrame] = {}

    def path(self, key: str) -> Path:
        """Absolute path of an input; raises ``InputError`` if the file is missing."""
        spec = self.specs[key]
        path = self.data_dir / spec.path
        if not path.is_file():
            raise InputError(spec.path, f"file not found in data directory {self.data_dir}",
                             expected=f"the {spec.vintage or key} input (see SOURCES.md)")
        return path

    def _record(self, key: str, path: Path, rows: int | None) -> None:
        spec = self.specs[key]
        self.provenance[key] = {
            "file": spec.path,
            "sha256": sha256_of(path),
            "bytes": path.stat().st_size,
            "rows": rows,
            "vintage": spec.vintage,
            "licence": spec.licence,
            "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def table(self, key: str) -> pd.DataFrame:
        """A tabular input (csv, tsv, parquet, xlsx), validated against the manifest.

        Each file is read, validated and hashed once per ``Inputs``; callers get a copy.
        """
        if key not in self._tables:
            self._tables[key] = self._read_table(key)
        return self._tables[key].copy()

    def _read_table(self, key: str) -> pd.DataFrame:
        spec = self.specs[key]
        path = self.path(key)
        text_columns = {c: str for c, kind in spec.columns.items() if kind == "str"}
        suffix = path.suffix.lower()
        try:
            if suffix == ".parquet":
                frame = pd.read_parquet(path)
            elif suffix in {".csv", ".tsv"}:
                frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",",
                                    dtype=text_columns, keep_default_na=True)
            elif suffix in {".xlsx", ".xls"}:
                frame = pd.read_excel(path, sheet_name=spec.sheet or 0, dtype=text_columns)
            else:
                raise InputError(spec.path, f"unsupported file type {suffix}")
        except InputError:
            raise
        except Exception as exc:  # the reader's own message says what is wrong
            raise InputError(spec.path, f"could not be read: {exc}") from exc
        for column in text_columns:
            if column in frame.columns and suffix == ".parquet":
                frame[column] = frame[column].astype("string").astype(object)
        frame = validate_frame(frame, spec, spec.path)
        self._record(key, path, len(frame))
        return frame

    def raw_path(self, key: str) -> Path:
        """Path of a non-tabular input (geometry), recorded in provenance."""
        path = self.path(key)
        self._record(key, path, None)
        return path
