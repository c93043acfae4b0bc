"""Local Moran's I of one level from its neighbour pairs (esda, libpysal): the statistics
behind the trap zones (:mod:`atlas.engine.clusters`).

The functions take and return plain arrays, so that the build can run them in its second
process (:func:`atlas.build.worker.second_process`), which imports esda and libpysal (1.7 s) while
the build reads and computes; the build's own process then never imports them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

# what the second process (or atlas.build.prefetch) imports before it is asked for a level
HEAVY_IMPORTS = ("esda.moran", "libpysal.weights")

HIGH_HIGH = 1


def neighbour_lists(regions: int, focal: np.ndarray, neighbour: np.ndarray
                    ) -> dict[int, list[int]]:
    """``{region: [neighbours]}`` of ``regions`` observations from binary neighbour pairs
    (``focal[i]`` has ``neighbour[i]``), in pair order; a region without pairs has ``[]``."""
    lists: dict[int, list[int]] = {i: [] for i in range(regions)}
    for one, other in zip(np.asarray(focal).tolist(), np.asarray(neighbour).tolist(),
                          strict=True):
        lists[one].append(other)
    return lists


def weights_from_pairs(regions: int, focal: np.ndarray, neighbour: np.ndarray):
    """Row-standardised libpysal weights of ``regions`` observations from their binary
    neighbour pairs (``focal[i]`` has ``neighbour[i]``)."""
    from libpysal.weights import W

    weights = W(neighbour_lists(regions, focal, neighbour), silence_warnings=True)
    weights.transform = "r"
    return weights


def local_clusters(values: np.ndarray, weights, seed: int, permutations: int = 999,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Local Moran quadrant, pseudo p-value and High-High cluster id of every observation.

    Returns
    -------
    DataFrame with ``quadrant`` (1 HH, 2 LH, 3 LL, 4 HL), ``p_value``, ``high_high`` (bool)
    and ``cluster`` (0.. for High-High cells, -1 otherwise), in the order of ``values``.
    """
    from esda.moran import Moran_Local

    with warnings.catch_warnings():  # esda announces a future change of its default test
        warnings.simplefilter("ignore", DeprecationWarning)
        lisa = Moran_Local(np.asarray(values, dtype=float), weights, permutations=permutations,
                           seed=seed)
    high_high = (lisa.q == HIGH_HIGH) & (lisa.p_sim < alpha)
    cluster = np.full(len(values), -1)
    if high_high.any():
        adjacency = weights.sparse.tocsr()
        cells = np.flatnonzero(high_high)
        sub = adjacency[cells][:, cells]
        _, labels = connected_components(sub, directed=False)
        cluster[cells] = labels
    return pd.DataFrame({"quadrant": lisa.q, "p_value": lisa.p_sim, "high_high": high_high,
                         "cluster": cluster})


def level_clusters(values: np.ndarray, focal: np.ndarray, neighbour: np.ndarray, seed: int,
                   permutations: int, alpha: float) -> pd.DataFrame:
    """:func:`local_clusters` of ``values`` under the contiguity of the pairs."""
    return local_clusters(values, weights_from_pairs(len(values), focal, neighbour), seed,
                          permutations, alpha)
