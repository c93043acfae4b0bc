"""Inputs are parsed by the CSV rules (issue 34, item 6): a quoted field may hold CR, LF,
separators and quotes, and an error names the line its record starts on and the column."""

from __future__ import annotations

import csv
import io

import pytest

from atlas.errors import InputError
from atlas.sources.checks import validate_frame
from atlas.sources.inputs import parse_table, record_lines
from atlas.spec.manifest import load_manifest

SPEC = load_manifest()["cn_units"]  # cn/cn_prefecture_units.csv


def units(rows: int = 370) -> list[list[str]]:
    header = ["adcode", "name_zh", "name_short_zh", "name_pinyin", "province_zh",
              "province_adcode", "province_pinyin", "unit_type", "is_prefecture_level", "tier",
              "tier_zh", "tier_rank", "centroid_lon", "centroid_lat"]
    body = [[str(110100 + 100 * i), f"城市{i}市", f"城市{i}", f"Chengshi{i}", "河北省",
             "130000", "Hebei", "prefecture", "True", "tier5", "五线城市", "6.0",
             "116.4", "40.1"] for i in range(rows)]
    return [header, *body]


def as_bytes(rows: list[list[str]], terminator: str = "\n",
             quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    """The rows as CSV (Python's writer quotes a field with CR only if the terminator holds
    CR: ``csv.QUOTE_ALL`` makes every such field valid CSV)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=terminator, quoting=quoting).writerows(rows)
    return out.getvalue().encode("utf-8")


def read(data: bytes):
    return validate_frame(parse_table(data, SPEC), SPEC, SPEC.path)


@pytest.mark.parametrize("name", ["黑\r河市", "黑\n河市", "黑\r\n河市", '黑"河",市\r', "\r"])
@pytest.mark.parametrize("terminator", ["\n", "\r\n"])
def test_a_quoted_line_break_stays_in_its_field(name, terminator):
    rows = units()
    rows[71][1] = name  # the 71st record
    frame = read(as_bytes(rows, terminator, csv.QUOTE_ALL))
    assert len(frame) == 370
    assert frame["name_zh"].iloc[70] == name
    assert frame["tier_rank"].tolist() == [6.0] * 370  # no column shifted


@pytest.mark.parametrize("terminator", ["\n", "\r\n"])
def test_an_error_after_a_multi_line_record_names_its_true_line_and_column(terminator):
    rows = units()
    rows[10][1] = "two\nlines\nhere"  # record 10 spans lines 11-13
    rows[71][11] = "9.0"  # record 71 starts on line 74 (71 + header + 2 extra lines)
    with pytest.raises(InputError) as caught:
        read(as_bytes(rows, terminator))
    message = str(caught.value)
    assert "cn/cn_prefecture_units.csv" in message and "tier_rank" in message
    assert "row 74" in message and "9" in message


def test_without_line_breaks_rows_are_lines_as_before():
    rows = units()
    rows[71][11] = "9.0"
    with pytest.raises(InputError, match="row 72"):
        read(as_bytes(rows))


def test_record_lines_follow_the_csv_rules():
    text = 'a,b\n1,"x\r\ny"\n\n2,"q""\n"\n3,z\n'
    assert record_lines(text, ",") == [2, 5, 7]
