"""Every numeric option is checked for shape and bounds before it is converted (issue 34,
item 3): refused in one line, without building huge numbers."""

from __future__ import annotations

import tracemalloc

import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import ConfigError
from atlas.spec.options import (
    MAX_AMOUNT,
    check_amount,
    check_nonnegative,
    check_positive,
    parse_amount,
    parse_tier_shares,
)


def peak_bytes(function, *args):
    """The peak memory Python allocated while ``function(*args)`` ran (and raised)."""
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as caught:
            function(*args)
        return tracemalloc.get_traced_memory()[1], str(caught.value)
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("text", ["1e999999999", "9" * 5000, "1E+2147483648", "-1e999999999",
                                  "1e-999999999", "0." + "0" * 60 + "1", "1" + "_0" * 40])
def test_huge_amounts_are_refused_without_expanding_them(text):
    peak, message = peak_bytes(parse_amount, "--budget", text)
    assert peak < 1_000_000  # a billion-digit integer would need ~400 MB
    assert message.startswith("--budget must") and "\n" not in message
    assert len(message) < 200  # the text is shortened, not echoed whole


@pytest.mark.parametrize(("text", "expected"), [
    ("250000000", 250_000_000), ("250_000_000", 250_000_000), ("250,000,000", 250_000_000),
    ("2.5e8", 250_000_000), (" 0 ", 0), (str(MAX_AMOUNT), MAX_AMOUNT), ("9.007199254740992e15",
                                                                          MAX_AMOUNT)])
def test_valid_amounts_still_parse(text, expected):
    assert parse_amount("--budget", text) == expected


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "0x10", "1e", "2.5", "--1", "",
                                  str(MAX_AMOUNT + 1), "1 000", "٣"])
def test_malformed_or_out_of_range_amounts_are_refused(text):
    with pytest.raises(ConfigError, match="^--floor must"):
        parse_amount("--floor", text)


def test_python_values_are_bounded_too():
    for value in (10**100000, -1, 1e300, float("inf"), float("nan"), 0.5, True, "7"):
        with pytest.raises(ConfigError, match="^--cap must"):
            check_amount("--cap", value)
    assert check_amount("--cap", 2.0) == 2
    with pytest.raises(ConfigError, match="finite"):
        check_nonnegative("--min-employment", 10**400)
    for value in (0, 10**9 + 1, 10**4000, True, 1.5):
        with pytest.raises(ConfigError, match="^--top must be a whole number from 1 to"):
            check_positive("--top", value)


@pytest.mark.parametrize("text", ["1e999,1,1", "0.6,0.3", "a,b,c", "0,0,0", "1," * 500 + "1"])
def test_tier_shares_are_refused_in_one_line(text):
    peak, message = peak_bytes(parse_tier_shares, text)
    assert message.startswith("--tier-shares") and len(message) < 200


@pytest.mark.parametrize("args", [
    ["rank", "--budget", "1e999999999"],
    ["rank", "--budget", "100", "--floor", "1e400"],
    ["rank", "--top", "99999999999999999999"],
    ["rank", "--min-employment", "1e999999"],
    ["scenario", "--top", "0"],
    ["synth", "--regions", "10000000000"],
    ["synth", "--categories", "1"],
    ["synth", "--measures", "100000"],
    ["synth", "--seed", "1" + "0" * 30],
    ["sql", "--max-width", "10000000000", "SELECT 1"],
])
def test_the_commands_refuse_in_one_line_before_opening_anything(tmp_path, args):
    missing = tmp_path / "absent.duckdb"  # never reached: the option is refused first
    result = CliRunner().invoke(app, [*args, "--db", str(missing)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --") and "absent" not in lines[0]
    assert not missing.exists()
