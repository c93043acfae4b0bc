"""The ``atlas`` command line: build, rank and export, query, document.

The console script ``atlas`` runs :func:`main`; this package imports none of the heavy
libraries (esda, libpysal, folium) so that a command starts at once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["main"]


def main(*args: Any, **kwargs: Any) -> Any:
    """Run the ``atlas`` command (see ``atlas --help``)."""
    from atlas.cli.main import main as run

    return run(*args, **kwargs)
