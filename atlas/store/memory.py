"""NumPy's arrays on small memory pages while the atlas is built.

NumPy advises the kernel to back every array of 4 MB or more with 2 MB "transparent huge
pages". On the virtual machines the atlas is built on, faulting in a fresh huge page costs far
more than the 4 kB pages a short-lived temporary touches: round s9 measured 1-3 s of system
time in the rank-uncertainty grid alone, and 1-2.4 s less system time in a whole rebuild
without them (docs/performance.md). Only the page size changes, never a value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["huge_pages", "small_pages", "use_small_pages"]


def huge_pages(enabled: bool) -> bool | None:
    """Set NumPy's huge-page advice for new arrays; returns the previous setting (None, and
    nothing changed, where this NumPy has no such setting).

    Examples
    --------
    >>> previous = huge_pages(False)
    >>> huge_pages(previous) is False or previous is None
    True
    """
    core = getattr(np, "_core", None) or getattr(np, "core", None)  # NumPy 2 / 1.26
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    return setter(enabled) if setter is not None else None


def use_small_pages() -> None:
    """No huge pages in this process from now on (a process pool's initializer)."""
    huge_pages(False)


@contextmanager
def small_pages() -> Iterator[None]:
    """No huge pages for the arrays made in the block; the previous setting is restored
    after it, also after an error.

    Examples
    --------
    >>> with small_pages():
    ...     huge_pages(False)
    False
    """
    previous = huge_pages(False)
    try:
        yield
    finally:
        if previous is not None:
            huge_pages(previous)
