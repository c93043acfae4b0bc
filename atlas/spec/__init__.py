"""The atlas described as data: declarations, configuration, the manifest of inputs and the
reference tables, shipped as package data and found with :mod:`importlib.resources`.

Everything a level, a measure, a risk model or an input needs to be described lives in the
files of this package (``levels.toml``, ``measures.toml``, ``layers.toml``,
``default_config.toml``, ``manifest.toml``, ``reference/*.csv``); the modules here parse and
validate them.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["reference_path", "spec_path"]


def spec_path(name: str) -> Path:
    """Path of a file shipped in this package (a wheel installs it as package data).

    Examples
    --------
    >>> spec_path("levels.toml").name
    'levels.toml'
    >>> spec_path("levels.toml").is_file()
    True
    """
    return Path(str(files("atlas.spec").joinpath(name)))


def reference_path(name: str) -> Path:
    """Path of a reference table (``atlas/spec/reference/<name>``).

    Examples
    --------
    >>> reference_path("rust_belt_states.csv").is_file()
    True
    """
    return spec_path("reference") / name
