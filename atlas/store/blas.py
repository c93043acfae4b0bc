"""The BLAS behind NumPy on one thread while the atlas is built, so that its figures do not
depend on the building machine's cores.

OpenBLAS (NumPy's BLAS) splits a matrix product over its threads in a way that changes the
order of the additions, so the last bits of a product depend on how many threads it uses:
the number of cores, or ``OPENBLAS_NUM_THREADS``. The engine's matrix sums and the
rank-uncertainty grid are such products. Round s10 found a real build with one BLAS thread
differing from one with two in the last bits of ``e_score`` in 28 of 5,692 regions, and so in
11 of the database's tables and views (``collapse_risk`` and the ranks were the same). With
one thread a product's additions run in one fixed order on every machine with the same BLAS
build. On a 2-core machine it also costs less CPU (OpenBLAS's second thread spins between
the many small products): docs/performance.md, round s10.

The setting is the whole process's (``threadpoolctl``), so it is made around the database's
whole build (:func:`one_blas_thread` in :func:`atlas.build.database.build`, which ``atlas
build`` and :func:`atlas.build.pipeline.build_all` run), in the build's second process
(:func:`use_one_blas_thread`), and around the two steps whose products decide figures, so
that they give the build's bits when a notebook or a benchmark calls them on their own: the
matrix sums (:func:`atlas.engine.matrix_engine.level_sums`) and the rank-uncertainty grid
(:func:`atlas.engine.uncertainty.compute_rank_uncertainty`, before its own threads start);
never around a step that may run beside another.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy  # noqa: F401  (loaded first: threadpoolctl limits the BLAS libraries loaded)
from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["blas_threads", "one_blas_thread", "use_one_blas_thread"]


def blas_threads() -> list[int]:
    """The threads of every BLAS library loaded in this process (NumPy's, say).

    Examples
    --------
    >>> import numpy
    >>> with one_blas_thread():
    ...     set(blas_threads()) <= {1}
    True
    """
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def use_one_blas_thread() -> None:
    """One BLAS thread in this process from now on (a process pool's initializer)."""
    threadpool_limits(1, user_api="blas")


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread for the block; the previous numbers are restored after it, also
    after an error. NumPy must be imported before (a BLAS loaded later is not limited).

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     float((np.ones((3, 2)) @ np.ones(2)).sum())
    6.0
    """
    with threadpool_limits(1, user_api="blas"):
        yield
