"""Write ranked region lists as CSV, XLSX, Parquet or GeoJSON, atomically.

Every file is written to a temporary name in the target folder and renamed into place, so an
error never leaves a half-written file.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from atlas.errors import ConfigError
from atlas.exports.method_sheet import method_sheet, summary_title
from atlas.exports.programmes_sheet import programmes_sheet
from atlas.exports.ranking import RankRequest, open_atlas, rank_regions
from atlas.exports.safecells import CSV_QUOTING, csv_safe
from atlas.exports.selection import option_for
from atlas.exports.sheets import (
    column_comments,
    data_table,
    dictionary_sheet,
    frame_sheet,
    provenance_frame,
    selection_warnings,
    summary_sheet,
)
from atlas.exports.workbook import Sheet, write_workbook
from atlas.store.edition import original_database
from atlas.store.files import atomic_write, check_output_path
from atlas.texts.attribution import sources_block, sources_text

if TYPE_CHECKING:  # geopandas takes 0.5 s to import: loaded for GeoJSON exports only
    import geopandas as gpd

FORMATS = ("csv", "xlsx", "parquet", "geojson")
CSV_ENCODING = "utf-8-sig"  # with a BOM, Excel opens Chinese and accented names correctly


def write_frame(frame: pd.DataFrame, path: Path, fmt: str | None = None,
                bom: bool = True) -> Path:
    """Write a table as CSV or Parquet (``fmt``, default from the suffix), atomically.

    CSV is written for spreadsheets: UTF-8 with a byte-order mark (``bom=False``: without),
    every text field quoted, and a single quote wherever a spreadsheet splitting at any
    locale's separator would start a cell with a formula (``atlas.exports.safecells``). Parquet is
    written as is.
    """
    check_output_path(Path(path))  # a folder or a path under a file: one line
    suffix = f".{fmt}" if fmt else Path(path).suffix.lower()
    if suffix == ".csv":
        safe = csv_safe(frame)
        encoding = CSV_ENCODING if bom else "utf-8"
        # CRLF (RFC 4180): a field holding a CR or LF is then quoted, so a line break inside
        # a name cannot start a new row (whose first cell could run as a formula)
        return atomic_write(path, lambda p: safe.to_csv(p, index=False, encoding=encoding,
                                                        lineterminator="\r\n",
                                                        quoting=CSV_QUOTING))
    if suffix == ".parquet":
        return atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    raise ConfigError(f"the output file must end in .csv or .parquet, got '{Path(path).name}'")


def _geojson_frame(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    geometry = con.execute("SELECT level, region_id, geometry FROM region_geometry").df()
    merged = ranking.merge(geometry, on=["level", "region_id"], how="left")
    shapes = [shapely.from_wkb(bytes(g)) if g is not None and not pd.isna(g) else None
              for g in merged.pop("geometry")]
    return gpd.GeoDataFrame(merged, geometry=shapes, crs="EPSG:4326")


def command_for(request: RankRequest, fmt: str, path: Path,
                database: str | None = None) -> str:
    """The ``atlas rank`` command line that reproduces this export (from ``database``)."""
    words = ["atlas", "rank", *(["--db", database] if database else []),
             "--level", request.level]
    words += [w for flag in request.flags for w in ("--flag", flag)]
    words += [w for state in request.states for w in (option_for(request.level), state)]
    words += [w for state in request.any_county_in for w in ("--any-county-in", state)]
    optional = {"--min-employment": request.min_employment, "--measure": request.measure,
                "--top": request.top, "--budget": request.budget}
    words += [w for name, value in optional.items() if value is not None
              for w in (name, repr(value) if isinstance(value, float) else str(value))]
    if request.budget is not None:
        words += ["--rule", request.rule, "--floor", str(request.floor)]
        words += ["--cap", str(request.cap)] if request.cap is not None else []
        words += ["--currency", request.currency]
        if request.rule == "tiered":
            words += ["--tier-shares", ",".join(repr(float(s)) for s in request.tier_shares),
                      "--within", request.within]
    words += ["--format", fmt, "-o", str(path)]
    return " ".join(shlex.quote(word) for word in words)


def sources_frame(block: dict) -> pd.DataFrame:
    """The sources sheet: the edition's mark and note, then one credit per input."""
    notes = [block[key] for key in ("mark", "note") if block.get(key)]
    return pd.DataFrame({"source and terms": [*notes, f"edition: {block['edition']}",
                                              *block["lines"]]})


def workbook_sheets(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame,
                    request: RankRequest, command: str,
                    warnings: list[str] | None = None,
                    block: dict | None = None) -> list[Sheet]:
    """The sheets of an XLSX export: summary (with its title block), data, programmes, method,
    dictionary, provenance, sources. ``warnings``: default
    ``selection_warnings(ranking, request)``; ``block``: the level's sources block, default
    ``sources_block(con, request.level)``."""
    summary = summary_sheet(ranking, request)
    if warnings is None:
        warnings = selection_warnings(ranking, request)
    summary.title = summary_title(con, ranking, request, warnings)
    data = data_table(ranking, request.level)
    programmes = programmes_sheet(con, ranking, request.level, request.currency)
    return [summary, frame_sheet("data", data, request.currency),
            *([programmes] if programmes is not None else []),
            method_sheet(con, ranking, request),
            dictionary_sheet(summary, data, request.level, column_comments(con)),
            frame_sheet("provenance", provenance_frame(con, command), wrap=True),
            frame_sheet("sources", sources_frame(
                block if block is not None else sources_block(con, request.level)),
                        wrap=True)]


def sidecar_path(path: Path) -> Path:
    """The sources sidecar of a CSV or Parquet export: ``<file>.sources.txt``."""
    return Path(path).with_name(Path(path).name + ".sources.txt")


def _write_parquet(frame: pd.DataFrame, path: Path, sources: str) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"atlas_sources": sources.encode("utf-8")})
    return atomic_write(path, lambda p: pq.write_table(table, p))


def write_ranking(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, request: RankRequest,
                  path: Path, fmt: str | None = None, command: str | None = None,
                  bom: bool = True, warnings: list[str] | None = None,
                  block: dict | None = None) -> Path:
    """Write ``ranking`` to ``path`` in ``fmt`` (default: from the file suffix).

    ``bom``: CSV with a UTF-8 byte-order mark (the default, for Excel). ``warnings``: the
    lines of the XLSX summary's title block that start "Warning:" (default:
    ``atlas.sheets.selection_warnings``). ``block``: the level's sources block
    (:func:`atlas.texts.attribution.sources_block`; default: read from ``con``).
    """
    named = Path(path).suffix.lstrip(".").lower()
    fmt = (fmt or named).lower()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format '{fmt}'; valid formats: {list(FORMATS)}")
    if named in FORMATS and named != fmt:
        raise ConfigError(f"-o {Path(path).name}: the name says {named}, the format is {fmt} "
                          f"(name the file .{fmt}, or leave out --format)")
    command = command or command_for(request, fmt, path, original_database(con))
    block = block if block is not None else sources_block(con, request.level)
    if fmt in {"csv", "parquet"}:  # the sidecar only once the table is written
        written = _write_parquet(ranking, Path(path), sources_text(block)) \
            if fmt == "parquet" else write_frame(ranking, Path(path), fmt, bom=bom)
        atomic_write(sidecar_path(path), lambda p: p.write_text(sources_text(block),
                                                                encoding="utf-8"))
        return written
    if fmt == "geojson":
        collection = json.loads(_geojson_frame(con, ranking).to_json(drop_id=True))
        collection = {"type": collection.pop("type"), "sources": block, **collection}
        return atomic_write(path, lambda p: p.write_text(json.dumps(collection),
                                                         encoding="utf-8"))
    return write_workbook(Path(path),
                          workbook_sheets(con, ranking, request, command, warnings, block),
                          mark=block["mark"])


def write_default_exports(database: Path, out_dir: Path, top: int = 100,
                          shown: Path | None = None) -> list[Path]:
    """Top ``top`` regions by collapse risk of every level (its default period), as CSV and
    XLSX. ``shown``: the output folder they will be published in (their recorded command
    names its ``atlas.duckdb`` and ``exports/``; default: where they are written).

    ``region_indices`` is read once for every level, and each level's sources block once
    for its three files (both the same as each file read them before)."""
    con = open_atlas(database)
    written = []
    try:
        levels = [row[0] for row in con.execute(
            "SELECT i.level FROM region_indices AS i JOIN levels AS l USING (level) "
            "WHERE l.is_default GROUP BY i.level HAVING count(*) > 1 ORDER BY i.level"
        ).fetchall()]
        indices = con.execute("SELECT * FROM region_indices").df() if levels else None
        for level in levels:
            request = RankRequest(level=level, top=top)
            ranking = rank_regions(con, request, indices=indices)
            block = sources_block(con, level)
            for fmt in ("csv", "xlsx"):
                name = f"{level}_top{top}.{fmt}"
                command = None if shown is None else command_for(
                    request, fmt, shown / "exports" / name, str(shown / "atlas.duckdb"))
                written.append(write_ranking(con, ranking, request, out_dir / name, fmt,
                                             command=command, block=block))
            written.append(sidecar_path(written[-2]))  # the CSV's sources
    finally:
        con.close()
    return written
