"""Shared pieces of the benchmark scripts: data, noise, timing, tables."""

from __future__ import annotations

import statistics
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sknoisy.noise import corrupt_labels


def digits_split(seed):
    """load_digits scaled to [0, 1], 70/30 stratified split."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)


def mnist1d_split(seed):
    """MNIST-1D generated locally (4000 train / 1000 test)."""
    from sknoisy.datasets import load_mnist1d

    data = load_mnist1d(random_state=seed)
    return data.X_train, data.X_test, data.y_train, data.y_test


def flip_labels(y, rate, seed):
    """Flip each label to a *different* class with probability ``rate``."""
    y_noisy = corrupt_labels(y, kind="symmetric", rate=rate, random_state=seed)
    return y_noisy, y_noisy != y


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def print_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(x).ljust(w) for x, w in zip(row, widths)))
