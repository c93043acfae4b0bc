"""Compare two output folders (``exports/`` and ``maps/``) of the same atlas, file by file.

    python benchmarks/compare_outputs.py OUT_A OUT_B

- CSV exports, their ``.sources.txt`` sidecars and every other non-XLSX file: the same bytes;
- map pages and the index page: the same bytes once the build id tag is taken out;
- XLSX workbooks: every part of the zip the same bytes but ``docProps/core.xml`` (which
  holds the time the file was written), and, read back with openpyxl, the same sheets in the
  same order with, cell by cell, the same value, type, number format, font, fill, border,
  alignment, protection and quote prefix, plus the same column widths, row heights, merged
  ranges, freeze panes, filter, print titles, page set-up, margins, header and tab colour.

Prints one line per file and exits 1 if any differs (or a file is in one folder only).
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from pathlib import Path

BUILD_TAG = re.compile(rb'<meta name="atlas-build" content="[^"]*">')
TIMED_PARTS = {"docProps/core.xml"}  # the workbook's creation time


def _zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if name not in TIMED_PARTS}


def _style(cell) -> tuple:
    return (cell.number_format, repr(cell.font), repr(cell.fill), repr(cell.border),
            repr(cell.alignment), repr(cell.protection), cell.quotePrefix)


def _sheet_layout(ws) -> tuple:
    widths = {key: (dim.width, dim.min, dim.max) for key, dim in ws.column_dimensions.items()}
    heights = {key: dim.height for key, dim in ws.row_dimensions.items()}
    return (ws.dimensions, widths, heights, sorted(str(r) for r in ws.merged_cells.ranges),
            ws.freeze_panes, ws.auto_filter.ref, ws.print_title_rows, ws.print_title_cols,
            repr(ws.page_setup), repr(ws.page_margins), repr(ws.sheet_properties.tabColor),
            ws.oddHeader.center.text, repr(ws.sheet_properties.pageSetUpPr))


def workbook_differences(a: Path, b: Path) -> list[str]:
    """What differs between two XLSX files (empty: nothing)."""
    from openpyxl import load_workbook

    out = []
    parts_a, parts_b = _zip_parts(a), _zip_parts(b)
    if sorted(parts_a) != sorted(parts_b):
        out.append(f"zip parts {sorted(set(parts_a) ^ set(parts_b))}")
    out += [f"part {name}" for name in sorted(parts_a) if parts_a[name] != parts_b.get(name)]
    book_a, book_b = load_workbook(a), load_workbook(b)
    if book_a.sheetnames != book_b.sheetnames:
        return [*out, f"sheets {book_a.sheetnames} != {book_b.sheetnames}"]
    for name in book_a.sheetnames:
        ws_a, ws_b = book_a[name], book_b[name]
        if _sheet_layout(ws_a) != _sheet_layout(ws_b):
            out.append(f"{name}: layout")
        rows_a, rows_b = list(ws_a.iter_rows()), list(ws_b.iter_rows())
        if len(rows_a) != len(rows_b):
            out.append(f"{name}: {len(rows_a)} != {len(rows_b)} rows")
            continue
        for row_a, row_b in zip(rows_a, rows_b, strict=True):
            for cell_a, cell_b in zip(row_a, row_b, strict=True):
                if (cell_a.value, cell_a.data_type, _style(cell_a), cell_a.comment) != \
                        (cell_b.value, cell_b.data_type, _style(cell_b), cell_b.comment):
                    out.append(f"{name}!{cell_a.coordinate}: {cell_a.value!r} != "
                               f"{cell_b.value!r}")
    return out


def compare(a: Path, b: Path) -> list[str]:
    """One line per differing file of the ``exports`` and ``maps`` folders of ``a``, ``b``."""
    problems = []
    for folder in ("exports", "maps"):
        names_a = {p.name for p in (a / folder).glob("*")}
        names_b = {p.name for p in (b / folder).glob("*")}
        problems += [f"{folder}/{n}: in one folder only" for n in sorted(names_a ^ names_b)]
        for name in sorted(names_a & names_b):
            file_a, file_b = a / folder / name, b / folder / name
            if name.endswith(".xlsx"):
                found = workbook_differences(file_a, file_b)
                problems += [f"{folder}/{name}: {line}" for line in found[:10]]
                verdict = "same cells, styles and parts" if not found else "DIFFERS"
                print(f"{folder}/{name}: {verdict}")
                continue
            bytes_a, bytes_b = file_a.read_bytes(), file_b.read_bytes()
            if name.endswith(".html"):
                bytes_a, bytes_b = BUILD_TAG.sub(b"", bytes_a), BUILD_TAG.sub(b"", bytes_b)
            same = bytes_a == bytes_b
            print(f"{folder}/{name}: {'same bytes' if same else 'DIFFERS'}")
            if not same:
                problems.append(f"{folder}/{name}: bytes differ")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Compare the two folders named on the command line; 0 if identical, 1 if not, 2 if a
    folder is missing (said in one line)."""
    parser = argparse.ArgumentParser(description="Compare two atlas output folders.")
    parser.add_argument("out_a", type=Path, help="an output folder (with exports/ and maps/)")
    parser.add_argument("out_b", type=Path, help="the output folder to compare it with")
    args = parser.parse_args(argv)
    for folder in (args.out_a, args.out_b):
        if not folder.is_dir():
            print(f"{folder}: not a folder (expected an atlas output folder)", file=sys.stderr)
            return 2
    found = compare(args.out_a, args.out_b)
    for line in found:
        print("DIFF", line)
    print("identical" if not found else f"{len(found)} differences")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
