"""Errors the atlas raises for bad input or bad requests."""

from __future__ import annotations


class AtlasError(Exception):
    """Base class: a problem the user can fix, reported without a traceback by the CLI."""


class InputError(AtlasError):
    """An input file is missing or does not have the expected shape.

    The message always names the file and, where known, the column and the row.
    """

    def __init__(self, file: str, problem: str, *, column: str | None = None,
                 row: int | None = None, expected: str | None = None) -> None:
        self.file, self.column, self.row = file, column, row
        parts = [f"{file}:"]
        if row is not None:
            parts.append(f"row {row}:")
        if column is not None:
            parts.append(f"column '{column}':")
        parts.append(problem)
        if expected:
            parts.append(f"(expected {expected})")
        super().__init__(" ".join(parts))


class ConfigError(AtlasError):
    """The TOML configuration or a CLI option names something that does not exist."""
