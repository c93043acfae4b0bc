"""Write ranked region lists as CSV, XLSX, Parquet or GeoJSON, atomically.

Every file is written to a temporary name in the target folder and renamed into place, so an
error never leaves a half-written file.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from atlas.dictionary import REGION_INDEX_COLUMNS
from atlas.errors import ConfigError
from atlas.files import atomic_write
from atlas.method_text import method_lines
from atlas.ranking import RankRequest, open_atlas, rank_regions
from atlas.store import stored_config

FORMATS = ("csv", "xlsx", "parquet", "geojson")
LEVEL_NOTES = {
    "cn_city": ("Proxy assumption: China has no city data by occupation, so each GB/T 4754-2017 "
                "sector's exposure is the employment-weighted exposure of the occupations that "
                "sector employs in the US (OEWS May 2025 national staffing patterns): it "
                "assumes the US occupational mix within each sector. Unemployment is the "
                "registered urban unemployment rate, which understates unemployment."),
    "country": ("Occupation shares by ISCO-08 major group (ILOSTAT, latest year >= 2015); "
                "employment sizes are estimated (population x employment rate 15+ x 0.74); "
                "US-based measures are carried to ISCO through the BLS SOC-ISCO crosswalks."),
    "us_area": ("OEWS suppressed cells are imputed with national major-group means "
                "(imputed_share); Connecticut's unemployment is interpolated from its old "
                "counties by land area."),
}


def write_frame(frame: pd.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write a table as CSV or Parquet (``fmt``, default from the suffix), atomically."""
    suffix = f".{fmt}" if fmt else Path(path).suffix.lower()
    if suffix == ".csv":
        return atomic_write(path, lambda p: frame.to_csv(p, index=False))
    if suffix == ".parquet":
        return atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    raise ConfigError(f"the output file must end in .csv or .parquet, got '{Path(path).name}'")


def method_sheet(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame,
                 request: RankRequest) -> pd.DataFrame:
    """The method in words (rendered from the build's configuration), the filters and the
    allocation rule."""
    config = stored_config(con)
    measure = request.measure or config["exposure"]["default_measure"]
    rows = [
        ("level", request.level),
        ("filters", f"flags any of {request.flags or 'none'}; states any of "
                    f"{request.states or 'all'}; min employment {request.min_employment}; "
                    f"top {request.top or 'all'}"),
        ("sort order", "collapse_risk descending, then total_employment descending, then "
                       "region_id ascending (= risk_rank order)"),
        ("exposure measure", str(measure)),
        *method_lines(config, request.level),
    ]
    if request.budget is not None:
        rows += [
            ("budget", f"{request.budget:,}"),
            ("allocation rule", f"{request.rule}: amount_i = clamp(t * need_i, floor, cap) with t "
                                "such that the amounts sum to the budget; need = exposed_jobs "
                                "(exposed_jobs), exposed_jobs x collapse_risk (risk_weighted) or "
                                "1 (equal); whole units by largest remainder"),
            ("floor / cap per region", f"{request.floor:,} / "
                                       f"{'none' if request.cap is None else f'{request.cap:,}'}"),
        ]
    if request.level in LEVEL_NOTES:
        rows.append(("level notes", LEVEL_NOTES[request.level]))
    return pd.DataFrame(rows, columns=["item", "value"])


def provenance_sheet(con: duckdb.DuckDBPyConnection, command: str) -> pd.DataFrame:
    """Input files with sha256, plus atlas version, build time and the exact command."""
    files = con.execute(
        "SELECT file, sha256, bytes, rows, vintage, licence FROM provenance ORDER BY file").df()
    info = con.execute("SELECT key, value FROM build_info WHERE key <> 'config'").df()
    info = pd.concat([info, pd.DataFrame({"key": ["export_command"], "value": [command]})])
    info = info.rename(columns={"key": "file", "value": "vintage"})
    return pd.concat([files, info], ignore_index=True)


def dictionary_sheet(columns: list[str]) -> pd.DataFrame:
    """One row per exported column with its meaning."""
    return pd.DataFrame({"column": columns,
                         "meaning": [REGION_INDEX_COLUMNS.get(c, "") for c in columns]})


def _geojson_frame(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame) -> gpd.GeoDataFrame:
    geometry = con.execute("SELECT level, region_id, geometry FROM region_geometry").df()
    merged = ranking.merge(geometry, on=["level", "region_id"], how="left")
    shapes = [shapely.from_wkb(bytes(g)) if g is not None and not pd.isna(g) else None
              for g in merged.pop("geometry")]
    return gpd.GeoDataFrame(merged, geometry=shapes, crs="EPSG:4326")


def command_for(request: RankRequest, fmt: str, path: Path) -> str:
    """The ``atlas rank`` command line that reproduces this export."""
    words = ["atlas", "rank", "--level", request.level]
    words += [w for flag in request.flags for w in ("--flag", flag)]
    words += [w for state in request.states for w in ("--state", state)]
    optional = {"--min-employment": request.min_employment, "--measure": request.measure,
                "--top": request.top, "--budget": request.budget}
    words += [w for name, value in optional.items() if value is not None
              for w in (name, f"{value:g}" if isinstance(value, float) else str(value))]
    if request.budget is not None:
        words += ["--rule", request.rule, "--floor", str(request.floor)]
        words += ["--cap", str(request.cap)] if request.cap is not None else []
    words += ["--format", fmt, "-o", str(path)]
    return " ".join(shlex.quote(word) for word in words)


def write_ranking(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, request: RankRequest,
                  path: Path, fmt: str | None = None, command: str | None = None) -> Path:
    """Write ``ranking`` to ``path`` in ``fmt`` (default: from the file suffix)."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format '{fmt}'; valid formats: {list(FORMATS)}")
    command = command or command_for(request, fmt, path)
    if fmt in {"csv", "parquet"}:
        return write_frame(ranking, Path(path), fmt)
    if fmt == "geojson":
        frame = _geojson_frame(con, ranking)
        return atomic_write(path, lambda p: p.write_text(frame.to_json(drop_id=True),
                                                         encoding="utf-8"))
    sheets = {
        "ranking": ranking,
        "method": method_sheet(con, ranking, request),
        "dictionary": dictionary_sheet(list(ranking.columns)),
        "provenance": provenance_sheet(con, command),
    }

    def write_xlsx(temp: Path) -> None:
        with pd.ExcelWriter(temp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                writer.sheets[name].freeze_panes = "A2"

    return atomic_write(path, write_xlsx)


def write_default_exports(database: Path, out_dir: Path, top: int = 100) -> list[Path]:
    """Top ``top`` regions by collapse risk of every level, as CSV and XLSX."""
    con = open_atlas(database)
    written = []
    try:
        levels = [row[0] for row in con.execute(
            "SELECT level FROM region_indices GROUP BY level HAVING count(*) > 1 ORDER BY level"
        ).fetchall()]
        for level in levels:
            request = RankRequest(level=level, top=top)
            ranking = rank_regions(con, request)
            for fmt in ("csv", "xlsx"):
                written.append(write_ranking(con, ranking, request,
                                             out_dir / f"{level}_top{top}.{fmt}", fmt))
    finally:
        con.close()
    return written
