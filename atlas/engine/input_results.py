"""Results that depend only on some inputs, kept in the shared cache by their content.

The shift since May 2022 (:mod:`atlas.engine.shift`) and the backtests' outcomes read from
inputs (:mod:`atlas.engine.backtest`, :mod:`atlas.engine.backtest_split`) are computed from
input files alone: a rebuild after a change of weights would read, validate and reduce the
same files again. :func:`input_key` is the key of such a result (:mod:`atlas.store.cache`):
the sha256 of the inputs' bytes and manifest entries, of the code that reads and validates
inputs (:func:`atlas.sources.reader_cache.code_digest`) and of the modules that compute the
result, the libraries' versions and the result's own settings. A change to any of them is
another key, a miss: the cache can only save the reading, never decide a result.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.sources.inputs import Inputs
from atlas.sources.reader_cache import code_digest
from atlas.store.cache import cache_key


@functools.cache
def _reader_code() -> str:
    """:func:`atlas.sources.reader_cache.code_digest`, once per process (the code does not
    change while a process runs)."""
    return code_digest()


def module_digest(modules: Iterable[str]) -> str:
    """sha256 of the source of the named (imported) modules."""
    digest = hashlib.sha256()
    for name in sorted(set(modules)):
        digest.update(name.encode() + b"\0" + Path(sys.modules[name].__file__).read_bytes())
    return digest.hexdigest()


def input_key(name: str, inputs: Inputs, keys: Iterable[str], *parts: object,
              modules: Iterable[str] = ()) -> str:
    """The cache key of the result ``name`` computed from the inputs ``keys`` of ``inputs``
    by the code of ``modules`` (this module, which makes the key, always among them) with the
    settings ``parts`` (see the module docstring)."""
    keys = sorted(set(keys))
    modules = [__name__, *modules]
    return cache_key(name, {key: inputs.digest(key) for key in keys},
                     {key: repr(inputs.specs[key]) for key in keys}, _reader_code(),
                     module_digest(modules), list(parts),
                     [np.__version__, pd.__version__, pa.__version__])
