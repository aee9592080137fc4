"""How NoisyLabelClassifier feeds arrays to skorch, batch by batch.

Sample indices travel with X as ``{X_KEY: X, INDEX_KEY: index}`` so per-sample
state (corrected labels, pruning weights) can be looked up batch by batch.

:class:`BatchedDataset` is a skorch ``Dataset`` that also implements torch's
``__getitems__`` hook: a ``DataLoader`` then fetches a whole batch with one
indexing operation instead of one ``__getitem__`` and one collation per
sample (the dominant cost of small models in plain skorch). Everything else
about the ``DataLoader`` (samplers, workers, ``drop_last``) is unchanged, and
per-sample ``__getitem__`` still works for code that iterates the dataset.

The arrays are never copied as a whole: a float32 array that may be written
to is shared with torch, and any other (another dtype, read-only, a memmap)
is read and converted to float32 one batch at a time. Memory-mapped arrays
are checked for non-finite values in each batch (a check of the whole array
up front would read all of it); in-memory arrays are checked up front.
"""

from __future__ import annotations

import mmap
from collections.abc import Mapping

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import RandomSampler, default_collate

from ._sparse import dense_rows, is_sparse

__all__ = [
    "X_KEY",
    "INDEX_KEY",
    "BatchedDataset",
    "LeanRandomSampler",
    "collate",
    "is_indexed",
    "is_mapped",
]

#: Keys of the dict that carries sample indices through skorch's batching.
X_KEY = "X"
INDEX_KEY = "sknoisy_index"

# Rows of a memory-mapped array converted per step of a whole-array copy.
_CHUNK_ROWS = 4096


def is_indexed(X):
    """Whether ``X`` is the estimator's ``{X_KEY, INDEX_KEY}`` dict."""
    return isinstance(X, Mapping) and INDEX_KEY in X


def is_mapped(array):
    """Whether ``array`` (or an array it views) is backed by a memory map."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False


def batch_dtype(dtype, plain):
    """The dtype of batches of an array: float32, or an integer dtype kept.

    Plain X is always float32; the integer and boolean arrays of a dict X
    keep their dtype (token ids for an embedding, masks), as in skorch.
    """
    if plain or np.dtype(dtype).kind in "fc":
        return np.dtype(np.float32)
    return np.dtype(dtype)


def check_finite(batch, index, name):
    """Raise if a float batch holds NaN or infinity, naming the samples.

    Parameters
    ----------
    batch : torch.Tensor
        The batch, converted to its final dtype.
    index : torch.Tensor
        Sample index of each row of ``batch``.
    name : str
        Name of the input in the message (``"X"``, ``"X['a']"``).
    """
    if not batch.is_floating_point() or batch.numel() == 0:
        return
    finite = torch.isfinite(batch.reshape(len(batch), -1)).all(dim=1)
    if bool(finite.all()):
        return
    bad = sorted(index[~finite].tolist())
    shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
    raise ValueError(
        f"Input {name} contains NaN, infinity or a value too large for "
        f"float32 in sample(s) [{shown}] (found in a batch: {name} is read "
        "and converted batch by batch)."
    )


class _Column:
    """One array of X, served as batches of tensors."""

    def __init__(self, array, plain, name):
        self.array = array
        self.name = name
        self.dtype = batch_dtype(array.dtype, plain)
        self.check = is_mapped(array)  # in-memory arrays were checked up front
        self._tensor = None
        if array.dtype == self.dtype and not is_sparse(array) and array.flags.writeable:
            try:  # shared with the caller's array, never written
                self._tensor = torch.from_numpy(array)
            except (TypeError, ValueError):  # negative strides
                pass

    def take(self, index):
        if self._tensor is not None:
            batch = self._tensor[index]
        else:
            rows = dense_rows(self.array, index.numpy())
            with np.errstate(over="ignore"):  # overflow is caught just below
                batch = torch.from_numpy(rows.astype(self.dtype, copy=False))
        if self.check:
            check_finite(batch, index, self.name)
        return batch


def _as_tensor(array):
    array = np.asarray(array)
    if not array.flags.writeable:  # torch.from_numpy needs a writeable buffer
        array = array.copy()
    return torch.from_numpy(np.ascontiguousarray(array))


def float32_arrays(data, name="X"):
    """``data`` (an array or a dict of arrays) with its batches' dtypes.

    For loaders and datasets that take whole arrays (``TensorLoader``, a
    ``dataset`` parameter): arrays already of that dtype are returned as
    they are; others are converted (a copy), memory-mapped ones in chunks
    with a finiteness check, sparse ones made dense.
    """
    if isinstance(data, Mapping):
        return {
            key: _converted(value, False, f"{name}[{key!r}]")
            for key, value in data.items()
        }
    return _converted(data, True, name)


def _converted(array, plain, name):
    dtype = batch_dtype(array.dtype, plain)
    if is_sparse(array):  # these take whole arrays, which are dense
        return dense_rows(array, slice(None)).astype(dtype, copy=False)
    if array.dtype == dtype:
        return array
    if not is_mapped(array):
        return array.astype(dtype)
    out = np.empty(array.shape, dtype=dtype)
    for start in range(0, len(array), _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, len(array))
        with np.errstate(over="ignore"):  # overflow is caught just below
            out[start:stop] = array[start:stop]
        check_finite(torch.from_numpy(out[start:stop]), torch.arange(start, stop), name)
    return out


class _Batch(tuple):
    """A batch already collated by a dataset's ``__getitems__``."""


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
    """skorch ``Dataset`` over arrays that serves whole batches.

    Parameters
    ----------
    X : ndarray, dict of ndarrays, or dict
        Samples (a dict of arrays is skorch's dict X, passed to the module as
        keyword arguments), or the estimator's
        ``{X_KEY: X, INDEX_KEY: arange(n)}`` dict around them.
    y : ndarray, default=None
        Encoded labels.
    length : int, default=None
        As in :class:`skorch.dataset.Dataset`.
    """

    def __init__(self, X, y=None, length=None):
        super().__init__(X, y, length=length)
        self._indexed = is_indexed(X)
        data = X[X_KEY] if self._indexed else X
        if isinstance(data, Mapping):
            self._columns = {
                key: _Column(value, False, f"X[{key!r}]") for key, value in data.items()
            }
        else:
            self._columns = _Column(data, True, "X")
        self.X_indexing = self._rows
        self._y = None if y is None else _as_tensor(y)

    def _take(self, index):
        if isinstance(self._columns, dict):
            return {key: col.take(index) for key, col in self._columns.items()}
        return self._columns.take(index)

    def _rows(self, X, i):
        # skorch's ``__getitem__`` calls ``X_indexing(X, i)``.
        index = torch.as_tensor(np.asarray(i, dtype=np.int64).reshape(-1))
        Xb = self._take(index)
        if np.ndim(i) == 0:  # one sample: drop the batch axis
            Xb = {k: v[0] for k, v in Xb.items()} if isinstance(Xb, dict) else Xb[0]
            index = int(i)
        return {X_KEY: Xb, INDEX_KEY: index} if self._indexed else Xb

    def __getitems__(self, indices):
        index = torch.as_tensor(indices, dtype=torch.long)
        Xb = self._take(index)
        if self._indexed:  # INDEX_KEY holds arange(n): the position is the index
            Xb = {X_KEY: Xb, INDEX_KEY: index}
        yb = self._y[index] if self._y is not None else torch.zeros(len(index))
        return _Batch((Xb, yb))


class LeanRandomSampler(RandomSampler):
    """torch's ``RandomSampler`` without a Python list of all indices.

    torch's sampler turns each epoch's permutation into a list of Python
    ints, about 40 bytes per sample (400 MB for 10 million samples, measured
    by ``benchmarks/bench_scale.py``). This one keeps the permutation as an
    int64 tensor (8 bytes per sample) and converts it in chunks. It draws
    from the random generators exactly as torch's does, so the order of the
    samples, and every result, is the same.
    """

    chunk = 1 << 16

    def __iter__(self):
        if self.replacement:  # small lists already: torch's own
            yield from super().__iter__()
            return
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
            generator = torch.Generator()
            generator.manual_seed(seed)
        for _ in range(self.num_samples // n):
            yield from self._chunked(torch.randperm(n, generator=generator))
        tail = self.num_samples % n
        # torch draws this permutation even when it is empty: same stream.
        yield from self._chunked(torch.randperm(n, generator=generator)[:tail])

    def _chunked(self, perm):
        for chunk in perm.split(self.chunk):
            yield from chunk.tolist()
