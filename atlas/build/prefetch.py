"""Import slow libraries in a background thread while the build works on something else.

The build spends seconds in DuckDB and NumPy, which release the GIL; importing esda and
libpysal (1.7 s) or the map modules (0.9 s, matplotlib through mapclassify) meanwhile takes
that time off the build's wall clock. Python's per-module import locks make this safe: a
step that needs a module the thread is still importing waits for it. A module that fails to
import here is simply imported again (and its error reported) by the step that needs it.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable


def prefetch(modules: Iterable[str]) -> threading.Thread:
    """Start importing ``modules`` (in order) in a daemon thread; returns the thread."""
    names = list(modules)

    def load() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001  (reported by the step that imports it again)
                return

    thread = threading.Thread(target=load, name="atlas-prefetch", daemon=True)
    thread.start()
    return thread
