"""How NoisyLabelClassifier feeds in-memory data to skorch.

Sample indices travel with X as ``{X_KEY: X, INDEX_KEY: index}`` so per-sample
state (corrected labels, pruning weights) can be looked up batch by batch.

:class:`BatchedDataset` is a skorch ``Dataset`` that also implements torch's
``__getitems__`` hook: a ``DataLoader`` then fetches a whole batch with one
tensor indexing operation instead of one ``__getitem__`` and one collation per
sample (the dominant cost of small models in plain skorch). Everything else
about the ``DataLoader`` (samplers, workers, ``drop_last``) is unchanged, and
per-sample ``__getitem__`` still works for code that iterates the dataset.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import default_collate

__all__ = ["X_KEY", "INDEX_KEY", "BatchedDataset", "collate", "is_indexed"]

#: Keys of the dict that carries sample indices through skorch's batching.
X_KEY = "X"
INDEX_KEY = "sknoisy_index"


def is_indexed(X):
    """Whether ``X`` is the estimator's ``{X_KEY, INDEX_KEY}`` dict."""
    return isinstance(X, Mapping) and INDEX_KEY in X


def _index_row(X, i):
    # A Python int collates into one tensor per batch.
    return {X_KEY: X[X_KEY][i], INDEX_KEY: int(X[INDEX_KEY][i])}


def _as_tensor(array):
    array = np.asarray(array)
    if not array.flags.writeable:  # torch.from_numpy needs a writeable buffer
        array = array.copy()
    return torch.from_numpy(np.ascontiguousarray(array))


class _Batch(tuple):
    """A batch already collated by :meth:`BatchedDataset.__getitems__`."""


def collate(data):
    """``DataLoader`` collate function: pass pre-collated batches through.

    Parameters
    ----------
    data : list or _Batch
        Samples to collate (falls back to torch's ``default_collate``).

    Returns
    -------
    batch : tuple or list
        ``(X, y)`` of the batch.
    """
    if isinstance(data, _Batch):
        return tuple(data)
    return default_collate(data)


class BatchedDataset(Dataset):
    """skorch ``Dataset`` over in-memory arrays that serves whole batches.

    Parameters
    ----------
    X : ndarray or dict
        Samples, or the estimator's ``{X_KEY: X, INDEX_KEY: arange(n)}`` dict.
    y : ndarray, default=None
        Encoded labels.
    length : int, default=None
        As in :class:`skorch.dataset.Dataset`.
    """

    def __init__(self, X, y=None, length=None):
        super().__init__(X, y, length=length)
        self._indexed = is_indexed(X)
        if self._indexed:
            self.X_indexing = _index_row
        self._X = _as_tensor(X[X_KEY] if self._indexed else X)
        self._y = None if y is None else _as_tensor(y)

    def __getitems__(self, indices):
        index = torch.as_tensor(indices, dtype=torch.long)
        Xb = self._X[index]
        if self._indexed:  # INDEX_KEY holds arange(n): the position is the index
            Xb = {X_KEY: Xb, INDEX_KEY: index}
        yb = self._y[index] if self._y is not None else torch.zeros(len(index))
        return _Batch((Xb, yb))
