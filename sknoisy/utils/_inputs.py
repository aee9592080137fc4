"""Inputs other than arrays: map-style torch Datasets and skorch's dict X.

A map-style :class:`torch.utils.data.Dataset` is wrapped by
:class:`ItemDataset`, whose item ``i`` is ``({X_KEY: x_i, INDEX_KEY: i},
y_i)``: the sample indices travel with the data as they do for arrays, so
the per-sample label state works the same. The labels are read once, up
front (the label state and the classes need all of them), without decoding
the samples where the dataset keeps them (``TensorDataset``, torchvision's
datasets, skorch's ``Dataset``); the items' own labels are not read again.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import numpy as np
import torch
from scipy import sparse
from sklearn.utils import check_array
from skorch.dataset import Dataset as SkorchDataset
from skorch.helper import SliceDataset
from torch.utils.data import (
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    default_collate,
)

from ._data import (
    INDEX_KEY,
    X_KEY,
    BatchedDataset,
    _Batch,
    check_finite,
    is_mapped,
)

__all__ = [
    "NUMERIC_DTYPES",
    "ItemDataset",
    "ItemSource",
    "check_dtype",
    "check_float32_range",
    "dataset_labels",
    "is_dict_input",
    "is_map_dataset",
    "is_own_dataset",
    "validate_dataset",
    "validate_dict",
]

_NUMERIC_KINDS = "biuf"

#: dtypes kept by the estimator's validation (others are converted to float32).
NUMERIC_DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.bool_,
]


def is_map_dataset(X):
    """Whether ``X`` is a map-style torch ``Dataset``; refuse an iterable one."""
    if isinstance(X, IterableDataset):
        raise TypeError(
            f"X is an IterableDataset ({type(X).__name__}); sknoisy needs a "
            "map-style Dataset (with __len__ and __getitem__): the label state "
            "looks samples up by index."
        )
    # skorch's SliceDataset (a Dataset that scikit-learn can index, for
    # GridSearchCV and cross_val_score) yields one part of each item.
    return isinstance(X, (Dataset, SliceDataset))


def is_dict_input(X):
    """Whether ``X`` is skorch's dict X (not a sparse ``dok`` matrix)."""
    return isinstance(X, Mapping) and not sparse.issparse(X)


def is_own_dataset(X):
    """Whether ``X`` is (a ``Subset`` of) a dataset the estimator built."""
    while isinstance(X, Subset):
        X = X.dataset
    return isinstance(X, (BatchedDataset, ItemDataset))


def _describe(value):
    kind = type(value)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "torch", "numpy"):
        name = f"{kind.__module__.split('.')[0]}.{name}"
    if isinstance(value, (tuple, list)):
        return f"a {name} of {len(value)}"
    return f"a {name}"


def _items_error(dataset, item, name, index=0):
    """skorch's error for items that are not ``(x, y)``, with sknoisy's hint."""
    from skorch.dataset import ERROR_MSG_1_ITEM, ERROR_MSG_MORE_THAN_2_ITEMS

    n_values = len(item) if isinstance(item, (tuple, list)) else 1
    message = (
        ERROR_MSG_1_ITEM
        if n_values == 1
        else ERROR_MSG_MORE_THAN_2_ITEMS.format(n_values)
    )
    note = (
        f"sknoisy: {name} is a {type(dataset).__name__} whose item {index} is "
        f"{_describe(item)}, not an (x, y) pair. Return (x, y) from "
        "__getitem__, or pass the labels as y (the items are then x, (x,) or "
        "(x, y) with y ignored)."
    )
    if not hasattr(ValueError, "add_note"):  # Python < 3.11: no PEP 678 notes
        return ValueError(f"{message} {note}")
    # skorch's message as is (code may compare it), sknoisy's as a note,
    # printed with the traceback.
    exc = ValueError(message)
    exc.add_note(note)
    return exc


def _item_kind(dataset, item, name, need_pair):
    """How the input of an item is found: ``"pair"``, ``"single"`` or ``"x"``."""
    if isinstance(item, (tuple, list)):
        if len(item) == 2:
            return "pair"
        if len(item) == 1 and not need_pair:
            return "single"
        raise _items_error(dataset, item, name)
    if not need_pair:
        return "x"
    raise _items_error(dataset, item, name)


def _batch_dtypes(xb, name):
    """Convert a collated batch input to its final dtypes; check numeric."""
    if isinstance(xb, Mapping):
        return {
            key: _batch_dtypes_leaf(value, f"{name}[{key!r}]", plain=False)
            for key, value in xb.items()
        }
    return _batch_dtypes_leaf(xb, name, plain=True)


def _batch_dtypes_leaf(xb, name, plain):
    # As for arrays (see batch_dtype): float32, or a dict's integers kept.
    if not isinstance(xb, torch.Tensor) or xb.is_complex():
        raise TypeError(
            f"{name} holds samples that are not numeric arrays or tensors "
            f"(got {_describe(xb)} after batching)."
        )
    if plain or xb.is_floating_point():
        return xb.to(torch.float32)
    return xb


class ItemSource:
    """A validated map-style dataset: how its items hold x.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        The caller's dataset (never modified).
    kind : {"pair", "single", "x"}
        Items are ``(x, y)``, ``(x,)`` or ``x``.
    name : str, default="X"
        Name of the input in error messages.
    """

    #: Whether fit read the labels from the items (no y given; see _dropin).
    labels_read = False

    def __init__(self, dataset, kind, name="X"):
        self.dataset = dataset
        self.kind = kind
        self.name = name

    def __len__(self):
        return len(self.dataset)

    def x_of(self, item):
        if self.kind == "x":
            return item
        if not isinstance(item, (tuple, list)) or len(item) != (
            2 if self.kind == "pair" else 1
        ):
            raise ValueError(
                f"{self.name}'s items changed form: item 0 was "
                f"{'(x, y)' if self.kind == 'pair' else '(x,)'}, another is "
                f"{_describe(item)}."
            )
        return item[0]

    def fetch(self, indices):
        """The inputs of samples ``indices``: one batch, final dtypes, checked."""
        dataset = self.dataset
        getitems = getattr(dataset, "__getitems__", None)
        if callable(getitems):
            items = getitems(list(indices))
        else:
            items = [dataset[i] for i in indices]
        return self.batch(items, indices)

    def batch(self, items, indices):
        """Collate the inputs of ``items`` (samples ``indices``) into a batch."""
        try:
            xb = default_collate([self.x_of(item) for item in items])
        except (TypeError, RuntimeError) as exc:
            raise TypeError(
                f"{self.name}'s samples cannot be batched ({exc}). Items must "
                "hold tensors or arrays of one shape (or dicts of them); give "
                "an image dataset a transform to tensors of one size."
            ) from exc
        xb = _batch_dtypes(xb, self.name)
        index = torch.as_tensor(indices, dtype=torch.long)
        leaves = xb.items() if isinstance(xb, dict) else [(None, xb)]
        for key, leaf in leaves:
            name = self.name if key is None else f"{self.name}[{key!r}]"
            check_finite(leaf, index, name)
        return xb, index


class ItemDataset(Dataset):
    """A map-style dataset whose item ``i`` is ``({X_KEY: x_i, INDEX_KEY: i}, y_i)``.

    ``__getitems__`` fetches and converts a whole batch (x as float32, a
    dict x's floating arrays as float32; each batch checked for non-finite
    values), so a ``DataLoader`` with sknoisy's collate function takes it as
    it is.

    Parameters
    ----------
    source : ItemSource
        The caller's dataset and the form of its items.
    y : ndarray of shape (n_samples,), default=None
        Encoded labels (``None`` at prediction: zeros are served).
    """

    def __init__(self, source, y=None):
        self.source = source
        self.y = None if y is None else torch.as_tensor(np.asarray(y))

    def __len__(self):
        return len(self.source)

    def __getitems__(self, indices):
        xb, index = self.source.fetch(indices)
        yb = self.y[index] if self.y is not None else torch.zeros(len(index))
        return _Batch(({X_KEY: xb, INDEX_KEY: index}, yb))

    def __getitem__(self, i):
        (xb, yb) = self.__getitems__([int(i)])
        xb = {
            X_KEY: _first(xb[X_KEY]),
            INDEX_KEY: int(i),
        }
        return xb, yb[0]


def _first(batch):
    if isinstance(batch, dict):
        return {key: value[0] for key, value in batch.items()}
    return batch[0]


# ------------------------------------------------------------------ labels
def _torchvision_targets(dataset):
    """A torchvision dataset's labels from its attributes, or None."""
    datasets = sys.modules.get("torchvision.datasets")
    if datasets is None or not isinstance(dataset, datasets.VisionDataset):
        return None
    getitem = type(dataset).__getitem__
    targets = getattr(dataset, "targets", None)
    if (
        targets is None
        or not getattr(getitem, "__module__", "").startswith("torchvision.")
        or len(targets) != len(dataset)
    ):
        return None
    transforms = getattr(dataset, "transforms", None)
    if transforms is not None and type(transforms).__name__ != "StandardTransform":
        return None  # a joint transform may change the labels
    targets = np.asarray(targets.cpu() if torch.is_tensor(targets) else targets)
    target_transform = getattr(dataset, "target_transform", None)
    if target_transform is not None:
        targets = np.asarray([_scalar(target_transform(t)) for t in targets.tolist()])
    return targets


def _scalar(value):
    if torch.is_tensor(value):
        return value.item() if value.numel() == 1 else value.cpu().numpy()
    return value


def dataset_labels(dataset):
    """The labels of a dataset of ``(x, y)`` items, read once.

    ``Subset``, ``TensorDataset``, skorch's ``Dataset`` and torchvision's
    datasets (``ImageFolder``, ``CIFAR10``...; their ``targets``) give them
    without reading the samples; any other dataset is read item by item.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Its items are ``(x, y)``.

    Returns
    -------
    y : ndarray of shape (len(dataset),)
        The labels, as the items carry them.
    """
    if isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        return dataset_labels(dataset.dataset)[np.asarray(dataset.indices)]
    if type(dataset) is TensorDataset and len(dataset.tensors) == 2:
        return dataset.tensors[1].cpu().numpy()
    if (
        isinstance(dataset, SkorchDataset)
        and dataset.y is not None
        and type(dataset).__getitem__ is SkorchDataset.__getitem__
        and type(dataset).transform is SkorchDataset.transform
    ):
        y = dataset.y
        return np.asarray(y.cpu() if torch.is_tensor(y) else y)
    targets = _torchvision_targets(dataset)
    if targets is not None:
        return targets
    labels = []
    for i in range(len(dataset)):
        item = dataset[i]
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise _items_error(dataset, item, "X", index=i)
        labels.append(_scalar(item[1]))
    return np.asarray(labels)


# -------------------------------------------------------------- validation
def validate_dataset(dataset, need_pair, name="X"):
    """Check a map-style dataset from its first item.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        The input.
    need_pair : bool
        Whether the items must be ``(x, y)`` (no ``y`` given to fit).
    name : str, default="X"
        Name of the input in messages.

    Returns
    -------
    source : ItemSource
        The dataset and the form of its items.
    x0 : torch.Tensor or dict
        The first sample's input, converted as batches are.
    """
    n = len(dataset)
    if n == 0:
        raise ValueError(f"{name} is an empty {type(dataset).__name__} (0 samples).")
    item = dataset[0]
    source = ItemSource(dataset, _item_kind(dataset, item, name, need_pair), name)
    x = source.x_of(item)
    if not isinstance(x, (torch.Tensor, np.ndarray, Mapping)):
        hint = ""
        if type(x).__module__.startswith("PIL"):
            hint = (
                " Give the dataset a transform that returns tensors, e.g. "
                "torchvision.transforms.ToTensor()."
            )
        elif source.kind == "x" and isinstance(x, (bool, int, float, np.generic)):
            # A single number per item: skorch's "returns 1 value" error.
            raise _items_error(dataset, item, name)
        raise TypeError(
            f"{name}'s items hold x as {_describe(x)}; sknoisy batches tensors "
            f"and arrays (or dicts of them).{hint}"
        )
    for leaf in x.values() if isinstance(x, Mapping) else [x]:
        if isinstance(leaf, (np.ndarray, np.generic)):
            numeric = leaf.dtype.kind in _NUMERIC_KINDS
        elif torch.is_tensor(leaf):
            numeric = not leaf.is_complex()
        else:
            numeric = isinstance(leaf, (bool, int, float))
        if not numeric:
            raise TypeError(
                f"{name}'s items hold x of dtype {getattr(leaf, 'dtype', None)}; "
                "sknoisy reads numeric data (bool, integer or floating)."
            )
    x0 = _first(source.batch([item], [0])[0])
    if not isinstance(x0, dict) and x0.dim() == 0:
        raise ValueError(
            f"{name}'s items hold scalars; x must be an array or tensor of at "
            "least one dimension (features, or channels x height x width)."
        )
    return source, x0


def validate_dict(X, name="X"):
    """Check skorch's dict X: string keys, arrays of one length, numeric."""
    if not X:
        raise ValueError(f"{name} is an empty dict; give one array per input.")
    out = {}
    for key, value in X.items():
        if not isinstance(key, str) or key == INDEX_KEY:
            raise ValueError(
                f"{name} is a dict whose keys must be strings other than "
                f"{INDEX_KEY!r} (the module's forward takes them as keyword "
                f"arguments); got {key!r}."
            )
        if isinstance(value, np.ndarray):
            check_dtype(value, f"{name}[{key!r}]")
        mapped = is_mapped(value)
        out[key] = check_array(
            value,
            dtype=NUMERIC_DTYPES,
            ensure_2d=False,
            allow_nd=True,
            ensure_all_finite=not mapped,
            input_name=f"{name}[{key!r}]",
        )
        if mapped and isinstance(value, np.ndarray):
            out[key] = value  # the caller's memmap itself
        elif not mapped:
            check_float32_range(out[key], f"{name}[{key!r}]")
    sizes = {key: len(value) for key, value in out.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(
            f"{name} is a dict whose arrays have different numbers of samples: {sizes}."
        )
    return out


def check_dtype(array, name):
    """Refuse a memory-mapped array that is not numeric (before any read)."""
    if is_mapped(array) and array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"{name} is a memory-mapped array of dtype {array.dtype}; sknoisy "
            "reads numeric arrays (bool, integer or floating), converted to "
            "float32 batch by batch."
        )


def check_frame_columns(frame, name):
    """Refuse a DataFrame with non-numeric columns, naming them.

    NumPy's own message (``could not convert string to float: 'red'``) names
    a value, not the column it is in.
    """
    dtypes = getattr(frame, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    bad = []
    for column, dtype in dtypes.items():
        kind = getattr(dtype, "kind", "O")
        if kind not in _NUMERIC_KINDS:
            bad.append(f"{column!r} ({dtype})")
    if bad:
        raise ValueError(
            f"{name} has non-numeric column{'s' if len(bad) > 1 else ''} "
            f"{', '.join(bad)}: encode them first (e.g. OneHotEncoder in a "
            "ColumnTransformer before the estimator) or drop them."
        )


def check_float32_range(array, name):
    """Refuse finite values that become infinite as float32 (no copy made)."""
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4 or not array.size:
        return
    limit = np.finfo(np.float32).max
    if array.max() > limit or array.min() < -limit:
        raise ValueError(
            f"Input {name} contains infinity or a value too large for dtype('float32')."
        )
