"""Errors the atlas raises for bad input or bad requests."""

from __future__ import annotations


class AtlasError(Exception):
    """Base class: a problem the user can fix, reported without a traceback by the CLI."""


class InputError(AtlasError):
    """An input file is missing or does not have the expected shape.

    The message is one line that always names the file and, where known, the row (a line of
    a text file, a record of a binary one) or the feature (of a geometry file), the column,
    the problem and what was expected::

        cn/units.csv: row 12: column 'tier_rank': value 7.0 is out of range (expected ...)
    """

    def __init__(self, file: str, problem: str, *, column: str | None = None,
                 row: int | None = None, expected: str | None = None,
                 feature: str | None = None) -> None:
        self.file, self.column, self.row, self.feature = file, column, row, feature
        parts = [f"{file}:"]
        if row is not None:
            parts.append(f"row {row}:")
        if feature is not None:
            parts.append(f"feature {feature}:")
        if column is not None:
            parts.append(f"column '{column}':")
        parts.append(problem)
        if expected:
            parts.append(f"(expected {expected})")
        super().__init__(" ".join(" ".join(parts).split()))  # one line, whatever the reader said


class ConfigError(AtlasError):
    """The TOML configuration or a CLI option names something that does not exist."""
