"""Unemployment-trap risk atlas: AI exposure, economic diversity and collapse risk by region.

The few calls a researcher makes (each with a runnable example in its docstring):

- :func:`open_atlas`: a built ``atlas.duckdb``, read-only;
- :func:`composition_indices`: the engine's indices of any composition under one measure;
- :func:`collapse_risk`: collapse risk, rank and pillars of a frame of component values;
- :func:`rank`: ranked regions of one level, with an optional transition-fund allocation;
- :func:`allocate`: a budget split in whole currency units, proportional to need.

They are imported on first use, so ``import atlas`` (and the ``atlas`` command) stays quick.

Examples
--------
>>> import atlas
>>> atlas.allocate([3, 1], budget=100)
[75, 25]
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "open_atlas": "atlas.store.database",
    "composition_indices": "atlas.engine.indices",
    "collapse_risk": "atlas.engine.risk",
    "rank": "atlas.exports.ranking",
    "allocate": "atlas.exports.allocation",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'atlas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
