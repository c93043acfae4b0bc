"""The evidence declarations (``atlas/spec/evidence.toml``): published figures to reproduce, the
shift since ChatGPT and the backtests' windows, read once and checked for the keys the code
relies on."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from atlas.errors import ConfigError
from atlas.spec import spec_path

EVIDENCE_FILE = spec_path("evidence.toml")
FIGURE_KEYS = {"check", "figure", "args", "reference", "tolerance", "unit", "source", "gates",
               "note"}


@cache
def evidence(path: Path = EVIDENCE_FILE) -> dict[str, Any]:
    """The parsed declarations.

    Raises
    ------
    ConfigError
        if the file is not valid TOML, a figure has an unknown key or lacks ``check``,
        ``figure`` or ``source``, or two figures share a ``check``.
    """
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from exc
    seen: set[str] = set()
    for number, figure in enumerate(spec.get("figure", []), start=1):
        unknown = set(figure) - FIGURE_KEYS
        missing = {"check", "figure", "source"} - set(figure)
        if unknown or missing:
            raise ConfigError(f"{path.name}: figure {number} ({figure.get('check', '?')}): "
                              f"unknown keys {sorted(unknown)} or missing {sorted(missing)} "
                              f"(expected keys among {sorted(FIGURE_KEYS)})")
        if figure["check"] in seen:
            raise ConfigError(f"{path.name}: figure {number}: check {figure['check']!r} is "
                              "declared twice (expected unique check ids)")
        seen.add(figure["check"])
    return spec
