"""A tensor-slicing replacement for torch's DataLoader in skorch nets.

:class:`TensorLoader` turns a whole dataset into tensors once (on the training
device when one is given) and cuts every mini-batch out of them with one
slice or ``index_select`` per array: no per-sample ``__getitem__``, no
``collate_fn``, no host-device copy per batch. It is a drop-in for skorch's
``iterator_train`` and ``iterator_valid``.
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Mapping

import numpy as np
import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import Subset, default_collate

from ._augment import check_augment
from .utils._data import X_KEY

__all__ = ["TensorLoader"]

# DataLoader arguments that only tune how DataLoader fetches samples; the
# loader has no workers or pinned buffers, so they are accepted and ignored.
_IGNORED_DATALOADER_KWARGS = frozenset(
    {
        "num_workers",
        "pin_memory",
        "timeout",
        "worker_init_fn",
        "multiprocessing_context",
        "prefetch_factor",
        "persistent_workers",
        "pin_memory_device",
        "in_order",
    }
)
# DataLoader arguments that change what the batches contain: refused unless None.
_UNSUPPORTED_DATALOADER_KWARGS = ("sampler", "batch_sampler", "collate_fn")

# Base dataset -> (fingerprint, device, tensors). Weak keys: an entry lives as
# long as its dataset, so a fit's device copy is freed with the fit's dataset.
_CACHE = weakref.WeakKeyDictionary()


# ----------------------------------------------------------------- pytrees
def _tree_map(fn, tree):
    """Apply ``fn`` to every tensor of a nest of dicts, lists and tuples."""
    if isinstance(tree, torch.Tensor):
        return fn(tree)
    if isinstance(tree, Mapping):
        return {key: _tree_map(fn, value) for key, value in tree.items()}
    if isinstance(tree, tuple):
        return tuple(_tree_map(fn, value) for value in tree)
    if isinstance(tree, list):
        return [_tree_map(fn, value) for value in tree]
    return tree


def _tree_leaves(tree):
    leaves = []
    _tree_map(leaves.append, tree)
    return leaves


# -------------------------------------------------------------- extraction
def _as_tensor(data):
    """A tensor sharing memory with ``data`` where possible, or ``None``."""
    if isinstance(data, torch.Tensor):
        return data
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "biufc":
        return None
    if data.flags.writeable:
        try:
            return torch.from_numpy(data)
        except (TypeError, ValueError):  # negative strides, unsupported dtype
            pass
    try:
        # A read-only array is copied: the loader hands out views of it.
        return torch.from_numpy(np.array(data, order="C"))
    except (TypeError, ValueError):
        return None


def _skorch_arrays(dataset):
    """``(X, y)`` tensors of a plain skorch Dataset, or ``None`` to fall back."""
    cls = type(dataset)
    if (
        cls.__getitem__ is not SkorchDataset.__getitem__
        or cls.transform is not SkorchDataset.transform
        or dataset.X_is_ndframe
    ):
        return None
    X = dataset.X
    if isinstance(X, Mapping):
        X = {key: _as_tensor(value) for key, value in X.items()}
        leaves = list(X.values())
    else:
        X = _as_tensor(X)
        leaves = [X]
    n = len(dataset)
    if any(leaf is None or leaf.dim() == 0 or len(leaf) != n for leaf in leaves):
        return None
    if dataset.y is None:
        # skorch's Dataset.transform yields ``torch.Tensor([0])`` per sample.
        y = torch.zeros(n, 1)
    else:
        y = _as_tensor(dataset.y)
        if y is None or y.dim() == 0 or len(y) != n:
            return None
    return X, y


def _fingerprint(dataset):
    """Identity of what a cached entry was built from."""
    if isinstance(dataset, SkorchDataset):
        return (len(dataset), id(dataset.X), id(dataset.y))
    return (len(dataset), id(dataset))


def _full_batch(dataset):
    """The whole dataset as one batch: ``(tree, is_pair, read_directly)``."""
    if isinstance(dataset, SkorchDataset):
        arrays = _skorch_arrays(dataset)
        if arrays is not None:
            return arrays, True, True
    if isinstance(dataset, (np.ndarray, torch.Tensor)):
        tensor = _as_tensor(dataset)
        if tensor is not None:
            return tensor, False, True
    # Any map-style dataset: index every sample once and collate them all.
    try:
        n = len(dataset)
    except TypeError as exc:
        raise TypeError(
            "dataset must be a map-style dataset with __len__ and __getitem__, "
            f"got {type(dataset).__name__}"
        ) from exc
    batch = default_collate([dataset[i] for i in range(n)])
    is_pair = isinstance(dataset, SkorchDataset)
    if is_pair and isinstance(batch, list):
        batch = tuple(batch)
    return batch, is_pair, False


def _device_tensors(dataset, device):
    """Whole-dataset tensors on ``device``, cached per dataset object."""
    # Arrays are no keys: a weak-key lookup compares them with ``==``.
    cacheable = not isinstance(dataset, (torch.Tensor, np.ndarray))
    entry = None
    if cacheable:
        try:
            entry = _CACHE.get(dataset)
        except TypeError:  # not weak-referenceable, or unhashable
            cacheable = False
    fingerprint = _fingerprint(dataset)
    if entry is not None and entry[0] == fingerprint and entry[1] == device:
        return entry[2]
    tree, is_pair, read_directly = _full_batch(dataset)
    if device is not None:
        tree = _tree_map(lambda t: t.to(device), tree)
    value = (tree, is_pair)
    # Arrays read directly and left in place cost nothing to read again.
    if cacheable and (device is not None or not read_directly):
        # One copy per dataset: a new device replaces the previous one.
        _CACHE[dataset] = (fingerprint, device, value)
    return value


def _resolve_subsets(dataset):
    """Unwrap (nested) ``Subset``s: the base dataset and CPU row indices."""
    index = None
    while isinstance(dataset, Subset):
        n = len(dataset.dataset)
        rows = np.asarray(dataset.indices, dtype=np.int64).reshape(-1)
        rows = np.where(rows < 0, rows + n, rows)
        if rows.size and (rows.min() < 0 or rows.max() >= n):
            raise IndexError(f"Subset indices out of range for a dataset of {n}")
        rows = torch.from_numpy(rows)
        index = rows if index is None else rows[index]
        dataset = dataset.dataset
    return dataset, index


def _check_flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


class TensorLoader:
    """Mini-batches sliced from whole-dataset tensors: a fast ``DataLoader``.

    A drop-in for skorch's ``iterator_train`` and ``iterator_valid``. The first
    iteration turns the dataset into tensors (without copying NumPy arrays
    when no ``device`` is given, else with a single copy to ``device``), and
    every batch is then one slice (in order) or one ``index_select`` (shuffled)
    per array: no per-sample ``__getitem__``, no ``collate_fn``, no worker,
    and no host synchronisation per batch. The batches have the structure
    torch's :class:`~torch.utils.data.DataLoader` would give (``(Xi, yi)``
    with ``Xi`` a tensor or a dict of tensors for a skorch dataset), with the
    same content and, for the same random state, the same shuffling.

    Parameters
    ----------
    dataset : skorch Dataset, torch Subset, array or map-style dataset
        Usually given by skorch. A :class:`skorch.dataset.Dataset` of arrays,
        tensors or a dict of them (what :class:`~sknoisy.NoisyLabelClassifier`
        builds) and :class:`torch.utils.data.Subset` of it (from
        ``train_split``) are read directly; a NumPy array or tensor is batched
        on its first axis; any other map-style dataset (pandas or sparse data,
        custom ``__getitem__``) is read sample by sample once and collated.
    batch_size : int, default=1
        Samples per batch (skorch passes its ``batch_size``).
    shuffle : bool, default=False
        Draw a new permutation every epoch, as ``DataLoader(shuffle=True)``:
        the same random draws, so a seeded fit shuffles the same way with
        either loader. skorch nets built by sknoisy shuffle training batches
        unless ``iterator_train__shuffle=False``.
    drop_last : bool, default=False
        Drop the last batch when it is smaller than ``batch_size``.
    device : str, torch.device or None, default=None
        Where the dataset's tensors are placed, once. ``None`` keeps them
        where they are (on the CPU for NumPy data) and skorch moves each
        batch. For GPU training pass the net's device, e.g.
        ``iterator_train__device="cuda"`` and ``iterator_valid__device="cuda"``.
    augment : None, "crop_flip" or callable, default=None
        Batch augmentation applied to the input batch on its device (see
        :func:`sknoisy.augment.check_augment`); of a dict input, to its
        ``"X"`` entry. Give it for training only:
        ``iterator_train__augment="crop_flip"``.
    generator : torch.Generator, default=None
        Source of the permutations and of the augmentation's randomness.
        ``None`` uses torch's global generator, which
        :class:`~sknoisy.NoisyLabelClassifier` seeds from ``random_state``.
    **ignored_dataloader_kwargs : dict
        ``DataLoader`` arguments that only tune sample fetching
        (``num_workers``, ``pin_memory``, ...) are accepted and ignored;
        ``sampler``, ``batch_sampler`` and ``collate_fn`` are refused.

    See Also
    --------
    torch.utils.data.DataLoader : the general loader this replaces.
    sknoisy.augment.RandomCropFlip : batch augmentation on the device.

    Notes
    -----
    The dataset must fit in the memory of ``device``. Its tensors are cached
    per dataset object (weakly: the cache entry goes with the dataset), so
    the loaders skorch creates for the same data during one fit share one
    copy; the data are assumed not to change meanwhile. Unshuffled batches
    of a skorch dataset are views of the data: modules must not modify their
    input in place.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from sknoisy.fastpath import TensorLoader
    >>> X = np.arange(20, dtype=np.float32).reshape(10, 2)
    >>> y = np.arange(10) % 2
    >>> loader = TensorLoader(Dataset(X, y), batch_size=4)
    >>> len(loader)
    3
    >>> [(tuple(Xb.shape), yb.tolist()) for Xb, yb in loader]
    [((4, 2), [0, 1, 0, 1]), ((4, 2), [0, 1, 0, 1]), ((2, 2), [0, 1])]

    In an estimator:

    >>> from sklearn.datasets import load_digits
    >>> from sknoisy import NoisyLabelClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = NoisyLabelClassifier(
    ...     max_epochs=5, iterator_train=TensorLoader,
    ...     iterator_valid=TensorLoader, random_state=0,
    ... ).fit(X / 16, y)
    >>> bool(clf.score(X / 16, y) > 0.9)
    True
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        drop_last=False,
        device=None,
        augment=None,
        generator=None,
        **ignored_dataloader_kwargs,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"batch_size must be a positive int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size}")
        if device is not None and not isinstance(device, (str, torch.device)):
            raise TypeError(
                f"device must be None, a str or a torch.device, got {device!r}"
            )
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be None or a torch.Generator, got {generator!r}"
            )
        for name, value in ignored_dataloader_kwargs.items():
            if name in _UNSUPPORTED_DATALOADER_KWARGS:
                if value is not None:
                    raise ValueError(
                        f"TensorLoader does not support {name}; use "
                        "torch.utils.data.DataLoader for custom sampling or "
                        "collation."
                    )
            elif name not in _IGNORED_DATALOADER_KWARGS:
                raise TypeError(
                    f"TensorLoader got an unexpected keyword argument {name!r}"
                )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = _check_flag(shuffle, "shuffle")
        self.drop_last = _check_flag(drop_last, "drop_last")
        self.device = torch.device(device) if device is not None else None
        self.augment = check_augment(augment)
        self.generator = generator
        # Imported here: the estimator module may import this one.
        self._x_key = X_KEY
        self._n = len(dataset)
        self._data = None

    def __len__(self):
        if self.drop_last:
            return self._n // self.batch_size
        return -(-self._n // self.batch_size)

    def _prepare(self):
        """Tensors and row indices, built on the first iteration."""
        if self._data is None:
            base, index = _resolve_subsets(self.dataset)
            tree, is_pair = _device_tensors(base, self.device)
            devices = {leaf.device for leaf in _tree_leaves(tree)}
            self._data = (tree, is_pair, index, devices)
        return self._data

    def _random_draws(self):
        """A permutation from the random draws ``DataLoader`` would make."""
        generator = self.generator
        gen_device = generator.device if generator is not None else None
        # DataLoader draws a base seed for its workers at every iteration...
        torch.empty((), dtype=torch.int64, device=gen_device).random_(
            generator=generator
        )
        if not self.shuffle:
            return None
        # ... and RandomSampler seeds a fresh generator from the global one.
        if generator is None:
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
            generator = torch.Generator().manual_seed(seed)
            gen_device = None
        return torch.randperm(self._n, generator=generator, device=gen_device)

    def _augment_input(self, Xb):
        if isinstance(Xb, torch.Tensor):
            return self.augment(Xb, generator=self.generator)
        if isinstance(Xb, Mapping) and self._x_key in Xb:
            out = dict(Xb)
            out[self._x_key] = self.augment(Xb[self._x_key], generator=self.generator)
            return out
        raise TypeError(
            "augment needs a tensor input or a dict input with an 'X' entry; "
            f"got {type(Xb).__name__}"
        )

    def __iter__(self):
        perm = self._random_draws()
        if self._n == 0:
            return
        tree, is_pair, index, devices = self._prepare()
        order = index
        if perm is not None:
            order = perm if index is None else index[perm.to(index.device)]
        # One host-to-device copy of the order per epoch, none per batch.
        orders = {}
        if order is not None:
            orders = {dev: order.to(dev, non_blocking=True) for dev in devices}
        n, size = self._n, self.batch_size
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            end = min(start + size, n)
            if order is None:
                batch = _tree_map(lambda t: t[start:end], tree)
            else:
                rows = {dev: idx[start:end] for dev, idx in orders.items()}
                batch = _tree_map(lambda t: t.index_select(0, rows[t.device]), tree)
            if self.augment is not None:
                if is_pair or isinstance(batch, (tuple, list)):
                    batch = (self._augment_input(batch[0]), *batch[1:])
                else:
                    batch = self._augment_input(batch)
            yield batch

    def __repr__(self):
        return (
            f"{type(self).__name__}(batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
            f"device={self.device}, augment={self.augment!r})"
        )
