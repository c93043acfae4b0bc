"""The checks every input passes, driven by its entry in ``atlas/spec/manifest.toml``.

:func:`validate_frame` checks a table (or the properties of a geometry layer): the declared
columns are present, there are at least ``min_rows`` rows, numeric columns hold finite numbers
(``inf`` is never valid) inside their declared ``ranges``, counts are non-negative, declared
text columns are not mojibake, and the ``key`` columns are unique. :func:`check_encoding`
rejects undecodable bytes in a text file. The first violation raises one
:class:`~atlas.errors.InputError` that names the file, the row or feature, the column and
what was expected.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from atlas.errors import InputError
from atlas.spec.manifest import NUMERIC_KINDS, InputSpec

TEXT_SUFFIXES = {".csv", ".tsv"}
# Files whose rows people count from a header row 1 (text lines, spreadsheet rows).
HEADER_ROW_SUFFIXES = TEXT_SUFFIXES | {".xlsx", ".xls"}

# Windows-1252 characters for the bytes 0x80-0x9f (the five undefined bytes stay C1 controls).
_CP1252_HIGH = ("\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
                "\x8d\u017d\x8f\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
                "\u0161\u203a\u0153\x9d\u017e\u0178")
_CONTINUATION = "\u0080-\u00bf" + re.escape(_CP1252_HIGH)
# A UTF-8 lead byte (0xc2-0xf4) followed by continuation bytes, all read as Latin-1/cp1252.
_SEQUENCE = re.compile(f"[\u00c2-\u00f4][{_CONTINUATION}]{{1,3}}")
_C1_CONTROL = re.compile("[\u0080-\u009f]")
_SUSPECT = re.compile(f"[\u00c2-\u00f4\ufffd{_CONTINUATION}]")


def _byte(char: str) -> int:
    """The byte a Latin-1/cp1252 decoder turned into ``char``."""
    return ord(char) if ord(char) < 0x100 else 0x80 + _CP1252_HIGH.index(char)


def mojibake(text: str) -> str | None:
    """The first fragment of ``text`` that shows it was decoded with the wrong encoding.

    Three signs are recognised: U+FFFD (a character an earlier decoder could not read), a
    sequence of Latin-1/Windows-1252 characters whose bytes form valid UTF-8 (UTF-8 read as
    Latin-1: 'Ã©' for 'é', 'å\\x8c\\x97' for '北', 'â€™' for '’'), and C1 control characters
    (U+0080-U+009F), which no real name contains. Plain accented text ('Curaçao', 'São
    Tomé') is not flagged: its accented letters are not followed by continuation bytes.

    Returns
    -------
    str or None
        the offending fragment, or None if the text looks right.
    """
    if "\ufffd" in text:
        return "\ufffd"
    for match in _SEQUENCE.finditer(text):
        raw = bytes(_byte(char) for char in match.group())
        length = 2 if raw[0] < 0xE0 else 3 if raw[0] < 0xF0 else 4
        if len(raw) >= length:
            try:
                raw[:length].decode("utf-8")
            except UnicodeDecodeError:
                continue
            return match.group()[:length]
    control = _C1_CONTROL.search(text)
    return control.group() if control else None


def check_encoding(data: bytes, label: str, encoding: str = "utf-8") -> str:
    """Decode a text file, or say on which line its first undecodable byte is.

    Returns
    -------
    str
        the decoded text.

    Raises
    ------
    InputError
        naming the line (row) and byte offset of the first undecodable byte.
    """
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(label, f"byte {data[exc.start:exc.start + 1]!r} at offset {exc.start} "
                         f"is not valid {encoding}", row=line,
                         expected=f"text encoded as {encoding}; re-save the file as "
                                  f"{encoding}") from None


def where(frame: pd.DataFrame, spec: InputSpec, position: int) -> dict[str, object]:
    """How a message names the record at ``position``: ``row=`` or ``feature=``.

    A row of a CSV/TSV file is its line and a row of an Excel sheet its sheet row (the
    header is row 1); a row of a Parquet file is its 1-based record number; a feature of a
    geometry file is its 1-based position, with its id where the manifest declares an ``id``
    column.
    """
    if spec.is_geometry:
        label = str(position + 1)
        if spec.id_column and spec.id_column in frame.columns:
            value = frame[spec.id_column].iloc[position]
            if pd.notna(value):
                label += f" ({spec.id_column} {str(value)!r})"
        return {"feature": label}
    return {"row": position + 2 if spec.suffix in HEADER_ROW_SUFFIXES else position + 1}


def _first(mask: pd.Series | np.ndarray) -> int | None:
    hits = np.asarray(mask).nonzero()[0]
    return int(hits[0]) if len(hits) else None


def _numeric(frame: pd.DataFrame, spec: InputSpec, label: str, column: str,
             kind: str) -> pd.Series:
    """One numeric column as float64, after its kind, finiteness and range checks."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    unparsed = values.isna() & raw.notna()
    unparsed[unparsed] = raw[unparsed].astype(str).str.strip() != ""  # blanks are empty values
    checks = [(unparsed, "non-numeric value {raw!r}", "a number")]
    checks.append((np.isinf(values), "non-finite value {value!r}",
                   "a finite number; inf is never valid"))
    if kind == "count":
        checks.append((values < 0, "negative value {value!r}", "a count >= 0"))
    if column in spec.ranges:
        low, high = spec.ranges[column]
        checks.append(((values < low) | (values > high), "value {value!r} is out of range",
                       f"a value in [{low:g}, {high:g}], the range atlas/spec/manifest.toml gives"))
    for mask, problem, expected in checks:
        position = _first(mask)
        if position is not None:
            text = problem.format(raw=raw.iloc[position], value=float(values.iloc[position]))
            raise InputError(label, text, column=column, expected=expected,
                             **where(frame, spec, position))
    return values


def _text(frame: pd.DataFrame, spec: InputSpec, label: str, column: str) -> None:
    """Declared text columns: no mojibake and no U+FFFD."""
    values = frame[column].astype("string")
    suspects = values[values.str.contains(_SUSPECT, na=False)]
    found = {value: mojibake(value) for value in suspects.unique()}
    found = {value: fragment for value, fragment in found.items() if fragment}
    if found:
        position = _first(values.isin(list(found)).fillna(False))
        value = values.iloc[position]
        raise InputError(label, f"text {value!r} looks mis-decoded ({found[value]!r} is UTF-8 "
                         "read as Latin-1/Windows-1252, or a lost character)", column=column,
                         expected="readable text: export the file as UTF-8 and read it as "
                                  "UTF-8", **where(frame, spec, position))


def validate_frame(frame: pd.DataFrame, spec: InputSpec, label: str) -> pd.DataFrame:
    """Check a table against its manifest entry; return it with numeric columns as float64.

    Parameters
    ----------
    frame
        the table as read (text columns as strings); a GeoDataFrame's geometry is left alone.
    spec
        its manifest entry.
    label
        the file name used in messages (the manifest path).

    Raises
    ------
    InputError
        for the first violation, naming the file, the row or feature and the column.
    """
    missing = [column for column in spec.columns if column not in frame.columns]
    if missing:
        raise InputError(label, f"missing column(s) {missing}",
                         expected=f"columns {list(spec.columns)}")
    if len(frame) < spec.min_rows:
        unit = "features" if spec.is_geometry else "data rows"
        raise InputError(label, f"has {len(frame)} {unit}",
                         expected=f"at least {spec.min_rows} {unit}, the min_rows of "
                                  "atlas/spec/manifest.toml; is the file empty or cut short?")
    frame = frame.reset_index(drop=True)
    for column, kind in spec.columns.items():
        if kind in NUMERIC_KINDS:
            frame[column] = _numeric(frame, spec, label, column, kind)
    for column in spec.text_columns:
        _text(frame, spec, label, column)
    if spec.unique_key:
        position = _first(frame.duplicated(list(spec.unique_key), keep="first"))
        if position is not None:
            values = frame.loc[position, list(spec.unique_key)].tolist()
            key = dict(zip(spec.unique_key, values, strict=True))
            raise InputError(label, f"duplicate row for {key}", column=", ".join(spec.unique_key),
                             expected="one row per key", **where(frame, spec, position))
    return frame
