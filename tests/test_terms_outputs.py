"""Licences travel with the data (issue 31): a shareable build's outputs hold no raw value
that comes only from restricted inputs; an internal build's hold them and say so.

The restricted values are not listed here: they are read from the built database through
the lineage it records (``figure_lineage``: the figures all of whose inputs are restricted,
from atlas/spec/manifest.toml's terms and atlas/spec/levels.toml's lineage;
``atlas/spec/lineage.toml``: the columns that hold them). Every output file is walked: maps,
index page, CSV, XLSX and their sidecars, and the notebooks.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from atlas.build.outputs import write_outputs
from atlas.maps.page import page_data
from atlas.spec.manifest import load_manifest
from atlas.store.edition import figure_columns, restricted_figures
from atlas.texts.attribution import INTERNAL

pytestmark = pytest.mark.realdata
ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.fixture(scope="module")
def editions(built_atlas: Path, shareable_outputs, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Path]:
    """The outputs of the session's atlas in both editions (the shareable ones are the
    session's, ``conftest.shareable_outputs``)."""
    folder = tmp_path_factory.mktemp("internal")
    write_outputs(built_atlas, folder, maps=True, exports=True, step=lambda m: None,
                  edition="internal")
    return {"shareable": shareable_outputs.out, "internal": folder}


@pytest.fixture(scope="module")
def restricted(built_atlas: Path) -> dict[str, set[float]]:
    """Per region id, the restricted values the full database holds for it (from lineage)."""
    con = duckdb.connect(str(built_atlas), read_only=True)
    values: dict[str, set[float]] = defaultdict(set)
    try:
        for level, figure in restricted_figures(con):
            for table, column, condition, parameters in figure_columns(con, level, figure):
                rows = con.execute(f'SELECT region_id, "{column}" FROM {table} WHERE '
                                   f'{condition} AND "{column}" IS NOT NULL', parameters
                                   ).fetchall() if _has_region(con, table) else []
                for region, value in rows:
                    if isinstance(value, int | float) and math.isfinite(value) and value != 0:
                        values[str(region)].add(float(value))
    finally:
        con.close()
    return values


def _has_region(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND "
                            "column_name = 'region_id'", [table]).fetchone()[0])


def _digits(value: float) -> int:
    """Significant digits of ``value`` at the maps' 5 decimals."""
    return len(f"{round(value, 5):.5f}".replace("-", "").replace(".", "").strip("0"))


def _shown(value: float) -> set[float]:
    """How a value may appear: as is, or rounded as the maps round (5 decimals); none for
    a value too round to tell from another (10, 0.5), which a region may show by chance."""
    return {value, round(value, 5)} if _digits(value) >= 4 else set()


def _numbers(item) -> list[float]:
    """Every number in a JSON value, a cell or a text."""
    if isinstance(item, bool) or item is None:
        return []
    if isinstance(item, int | float):
        return [float(item)] if math.isfinite(item) else []
    if isinstance(item, dict):
        return [n for v in item.values() for n in _numbers(v)]
    if isinstance(item, list | tuple):
        return [n for v in item for n in _numbers(v)]
    return [float(m) for m in NUMBER.findall(str(item))]


def _distinctive(values: dict[str, set[float]]) -> set[str]:
    """Values precise enough that a full-precision match anywhere is no coincidence."""
    return {repr(v) for vs in values.values() for v in vs
            if v != round(v) and len(repr(v).replace("-", "").replace(".", "").lstrip("0")) >= 9
            # a simple fraction (a share of a few hundred regions) is no fingerprint
            and abs(float(Fraction(v).limit_denominator(2000)) - v) > 1e-12}


def leaks(folder: Path, values: dict[str, set[float]]) -> list[str]:
    """Where an output under ``folder`` (and the notebooks) shows a restricted value: per
    region in the maps' DATA and in every table row with a region_id; anywhere, for the
    distinctive values."""
    shown = {region: set().union(*(_shown(v) for v in vs)) for region, vs in values.items()}
    distinctive = _distinctive(values)
    found = []
    files = [p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts]
    files += sorted((ROOT / "notebooks").glob("*.py"))
    assert len(files) > 10
    for path in files:
        rows: list[tuple[str, list[float]]] = []
        if path.suffix == ".html" and "atlas-data" in (text := path.read_text("utf-8")):
            data = page_data(text)  # unpacked: the regions keyed by region_id
            assert data["regions"], path.name
            rows = [(rid, _numbers(r)) for rid, r in data["regions"].items()]
        elif path.suffix == ".csv":
            frame = pd.read_csv(path, dtype={"region_id": str}, encoding="utf-8-sig")
            rows = [(r["region_id"], _numbers(list(r.values)))
                    for _, r in frame.iterrows()] if "region_id" in frame else []
        elif path.suffix == ".xlsx":
            for sheet in load_workbook(path, read_only=True).worksheets:
                cells = [list(row) for row in sheet.iter_rows(values_only=True)]
                if cells and "region_id" in cells[0]:
                    at = cells[0].index("region_id")
                    rows += [(str(r[at]), _numbers(r)) for r in cells[1:]]
                tokens = {repr(c) if isinstance(c, float) else t for row in cells
                          for c in row if c is not None for t in [str(c), *NUMBER.findall(
                              str(c))]}
                found += [f"{path.name}/{sheet.title}: {v}" for v in distinctive & tokens]
        for region, numbers in rows:
            hits = shown.get(str(region), set()) & set(numbers)
            found += [f"{path.name}: region {region} shows {v}" for v in sorted(hits)]
        if path.suffix != ".xlsx":
            tokens = set(NUMBER.findall(path.read_text("utf-8", errors="replace")))
            found += [f"{path.name}: {v}" for v in distinctive & tokens]
    return found


def test_restricted_values_come_from_the_lineage(built_atlas, restricted):
    con = duckdb.connect(str(built_atlas), read_only=True)
    try:
        terms = con.execute("SELECT input, terms, restricted FROM input_terms").df()
        lineage = con.execute("SELECT * FROM figure_lineage").df()
    finally:
        con.close()
    specs = load_manifest()
    assert set(terms["input"]) == set(specs)
    assert set(terms.loc[terms["restricted"], "input"]) == {
        key for key, spec in specs.items() if spec.terms in ("research use only", "unknown")}
    # every restricted figure's inputs are all restricted; composition and CSMAR's figures
    # are among them
    flagged = lineage.loc[lineage["restricted"]]
    assert {"composition", "context.gdp_per_capita", "regions.population"} <= set(
        flagged["figure"])
    assert sum(len(v) for v in restricted.values()) > 1000


def test_shareable_outputs_hold_no_restricted_value(editions, restricted):
    assert leaks(editions["shareable"], restricted) == []


def test_internal_outputs_hold_them_and_are_marked(editions, restricted):
    """Every internal output that shows a restricted value carries the mark naming CSMAR;
    a page, workbook or table that shows none (the US and world ones) carries no mark."""
    folder = editions["internal"]
    found = leaks(folder, restricted)
    assert len(found) > 100  # the check finds what is there
    leaking = {hit.split(":")[0].split("/")[0] for hit in found}
    assert {"cn_cities.html", "cn_city_top100.xlsx", "cn_city_top100.csv"} <= leaking
    for page in (folder / "maps").glob("*.html"):
        text = page.read_text("utf-8")
        marked = INTERNAL in text and "csmar" in text.lower()
        assert marked == (page.name in leaking or page.name == "index.html"), page.name
        assert marked or INTERNAL not in text, page.name
    for book in (folder / "exports").glob("*.xlsx"):
        workbook = load_workbook(book)
        for sheet in workbook.worksheets:
            assert (INTERNAL in (sheet.oddHeader.center.text or "")) == (book.name in leaking), \
                f"{book.name}/{sheet.title}"
        assert (INTERNAL in str(workbook["sources"]["A2"].value)) == (book.name in leaking)
    for table in (folder / "exports").glob("*.csv"):
        sidecar = table.with_name(table.name + ".sources.txt").read_text("utf-8")
        assert "edition: internal" in sidecar
        assert (INTERNAL in sidecar) == (table.name in leaking), table.name


def test_every_output_credits_its_sources(editions):
    folder = editions["shareable"]
    con_terms = {spec.attribution for spec in load_manifest().values()}
    for page in (folder / "maps").glob("*.html"):
        text = page.read_text("utf-8")
        if page.name == "index.html":
            assert "Sources and terms" in text
            continue
        data = json.loads(text.split('<script id="atlas-data" type="application/json">'
                                     )[1].split("</script>")[0])
        lines = data["terms"]["lines"]
        assert lines and all(any(a in line for a in con_terms) for line in lines)
        assert data["terms"]["mark"] is None and INTERNAL not in text
    china = json.loads((folder / "maps" / "cn_cities.html").read_text("utf-8").split(
        '<script id="atlas-data" type="application/json">')[1].split("</script>")[0])
    assert "CSMAR" in " ".join(china["terms"]["lines"]) and china["terms"]["note"]
    for book in (folder / "exports").glob("*.xlsx"):
        assert "sources" in load_workbook(book, read_only=True).sheetnames
    for table in (folder / "exports").glob("*.csv"):
        sidecar = table.with_name(table.name + ".sources.txt").read_text("utf-8")
        assert "edition: shareable" in sidecar and "sources: " in sidecar
