"""Array helpers the search index needs on its hot paths."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique(values)``, by one sort.

    numpy 2.x answers a bare ``np.unique`` by hashing, which measured 12x slower than a sort
    for a million int64 values and 40x slower for 500 (numpy 2.4.6, docs/benchmarks.md).
    """
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
