"""Input checks and data plumbing of :class:`~sknoisy.NoisyLabelClassifier`.

Three forms of X reach the same batches: arrays (NumPy, memmaps, pandas,
lists), skorch's dict X (``{"name": array}``, passed to the module's
``forward`` as keyword arguments) and map-style torch Datasets (items
``(x, y)``, or ``x`` with ``y`` given). Arrays are kept as they are when
numeric (no float32 copy of the whole array: batches are converted), and
every form carries its sample indices to the label state.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np
import torch
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, column_or_1d, validate_data
from skorch.dataset import Dataset
from torch.utils.data import DataLoader

from ._data import (
    X_KEY,
    BatchedDataset,
    LeanRandomSampler,
    collate,
    float32_arrays,
    is_indexed,
    is_mapped,
)
from ._dropin import labels_of_items, split_datasets
from ._inputs import (
    NUMERIC_DTYPES,
    ItemDataset,
    ItemSource,
    check_dtype,
    check_float32_range,
    is_dict_input,
    is_map_dataset,
    is_own_dataset,
    validate_dataset,
    validate_dict,
)
from ._sparse import ACCEPT_SPARSE, is_sparse


def _signature_names(obj):
    try:
        return inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return {}


def _is_array_dict(data):
    return (
        isinstance(data, Mapping)
        and not is_indexed(data)
        and all(isinstance(value, np.ndarray) for value in data.values())
    )


def _form(x):
    """The keys of a dict input (sorted), None for an array or tensor input."""
    if isinstance(x, Mapping):
        return tuple(sorted(x))
    return None


def _show_form(keys):
    return "an array or Dataset" if keys is None else f"a dict {list(keys)}"


def _drop(obj, *names):
    """Delete the attributes of ``obj`` that exist among ``names``."""
    for name in names:
        if hasattr(obj, name):
            delattr(obj, name)


class _InputMixin:
    """Validation of X and y, classes, and how skorch gets its batches."""

    def _validate_X(self, X, reset):
        """Validate array-like X; numeric arrays are returned uncopied."""
        if isinstance(X, np.ndarray):
            check_dtype(X, "X")
        mapped = is_mapped(X)
        out = validate_data(
            self,
            X,
            reset=reset,
            dtype=NUMERIC_DTYPES,
            accept_sparse=ACCEPT_SPARSE,
            allow_nd=True,
            ensure_min_samples=1,
            ensure_all_finite=not mapped,  # a memmap is checked batch by batch
        )
        return self._kept(X, out, mapped)

    def _validate_fit_data(self, X, y, reset, classes=None):
        """Validate X and y, set classes and sizes; return X's data, int y.

        The data are an array (numeric, possibly the caller's own), a dict of
        arrays, or an :class:`ItemSource` around a Dataset. skorch's targets
        that are not one label per sample (see :meth:`_raw_targets`) are
        returned as they are.
        """
        raw = self._raw_targets(X, y)
        if not reset and raw != getattr(self, "_raw_y", False):
            kinds = ("one label per sample", "targets of another kind")
            raise ValueError(
                f"y holds {kinds[raw]} (shape {tuple(np.shape(y))}), but "
                f"{type(self).__name__} was first fitted on {kinds[not raw]}."
            )
        x0 = None  # the first sample's input, for a Dataset or a dict X
        if is_map_dataset(X):
            X, x0 = validate_dataset(X, need_pair=y is None)
            n_X = len(X)
            if y is None:
                y = labels_of_items(X)
        elif y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        elif is_dict_input(X):
            X = x0 = validate_dict(X)
            n_X = len(next(iter(X.values())))
        else:
            n_X = _num_samples(X)
        n_y = _num_samples(y)
        if n_X != n_y:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_X} and {n_y}."
            )
        if n_X == 0:
            raise ValueError("X and y are empty (0 samples); fit needs samples.")
        self._check_form(x0, reset)
        if raw:
            # skorch's targets: no classes to infer, nothing to encode.
            if x0 is None:
                X = self._validate_X(X, reset=reset)
            y_enc = y
            if reset:
                _drop(self, "classes_inferred_", "_n_classes")
                self._y_positions = False
        else:
            if x0 is None:
                X, y = self._validate_arrays(X, y, reset)
            else:
                y = validate_data(self, y=y, reset=False)
            y_enc = self._encode_labels(y, reset, classes)
        if reset:
            self._raw_y = raw
            self._set_form(x0, X.shape[1:] if x0 is None else None)
        return X, y_enc

    def _raw_targets(self, X, y):
        """Whether y is skorch's kind of target that is not a label per sample.

        With a plain skorch ``criterion`` only: a y of more than one value per
        sample (shape (n, k, ...), k > 1) or an object array of sequences goes
        to skorch as it is (sequence or multi-output targets), as in skorch.
        """
        if self.criterion is None or y is None or is_map_dataset(X):
            return False
        if torch.is_tensor(y):
            shape, objects = tuple(y.shape), False
        elif isinstance(y, np.ndarray):
            shape, objects = y.shape, y.dtype == object
        else:
            return False
        if len(shape) > 2 or (len(shape) == 2 and shape[1] > 1):
            return True
        return bool(objects and len(shape) == 1 and any(np.ndim(v) for v in y))

    def _validate_arrays(self, X, y, reset):
        if isinstance(X, np.ndarray):
            check_dtype(X, "X")
        mapped = is_mapped(X)
        X_out, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=NUMERIC_DTYPES,
            accept_sparse=ACCEPT_SPARSE,
            allow_nd=True,
            ensure_min_samples=2 if reset else 1,
            ensure_all_finite=not mapped,  # a memmap is checked batch by batch
            y_numeric=False,
        )
        return self._kept(X, X_out, mapped), y

    @staticmethod
    def _kept(X, X_out, mapped):
        """The caller's memmap itself, or the validated in-memory array."""
        if mapped and isinstance(X, np.ndarray) and X_out.dtype == X.dtype:
            return X
        if not mapped:
            check_float32_range(X_out, "X")
        return X_out

    def _set_form(self, x0, in_shape):
        """Record the input's form at fit (sizes of the module, checks later)."""
        self._input_keys = None if x0 is None else _form(x0)
        if x0 is not None:  # a Dataset or a dict X: set what validate_data sets
            _drop(self, "feature_names_in_", "n_features_in_")
            if self._input_keys is None:
                in_shape = tuple(x0.shape)
                self.n_features_in_ = int(in_shape[0])
        if in_shape is None:
            _drop(self, "_in_shape")  # a dict input: the module is the user's
        else:
            self._in_shape = tuple(in_shape)

    def _check_form(self, x, reset):
        """Refuse an input of another form than at fit (keys, features)."""
        if reset or not hasattr(self, "_n_classes"):
            return
        keys, fitted = _form(x), getattr(self, "_input_keys", None)
        if keys != fitted:
            raise ValueError(
                f"X is {_show_form(keys)}, but {type(self).__name__} was fitted "
                f"on {_show_form(fitted)} as X."
            )
        n_features = getattr(self, "n_features_in_", None)
        if keys is None and x is not None and n_features is not None:
            if x.shape[0] != n_features:
                raise ValueError(
                    f"X has {x.shape[0]} features per sample (items of shape "
                    f"{tuple(x.shape)}), but {type(self).__name__} is expecting "
                    f"{n_features} features as input."
                )

    def _encode_labels(self, y, reset, classes):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            known = classes if classes is not None else self.classes
            self._y_positions = False
            if known is not None:
                if len(known) == 0:
                    raise ValueError(
                        "classes is empty; give the class labels, or None to "
                        "infer them from y."
                    )
                known = column_or_1d(check_array(known, ensure_2d=False, dtype=None))
                if len(np.unique(known)) != len(known):
                    raise ValueError(f"classes has repeated values: {known.tolist()}.")
                self._y_positions = _are_positions(y, known)
                if not self._y_positions:
                    unseen = np.setdiff1d(np.unique(y), known)
                    if unseen.size:
                        raise ValueError(
                            f"y contains labels {unseen.tolist()} that are not in "
                            "classes."
                        )
                # Kept in the order given, as skorch does.
                self.classes_inferred_ = known
            else:
                self.classes_inferred_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in y; got {len(self.classes_)} class(es) "
                    f"({self.classes_.tolist()!r})."
                )
            self._n_classes = len(self.classes_)
        if getattr(self, "_y_positions", False):
            # skorch's convention: y holds positions in ``classes``.
            if not _are_positions(y, self.classes_, any_in=True):
                raise ValueError(
                    "y holds positions in classes (as at the first fit), so its "
                    f"values must be integers in [0, {len(self.classes_)}); got "
                    f"values from {y.min()!r} to {y.max()!r}."
                )
            return y.astype(np.int64)
        order = np.argsort(self.classes_, kind="stable")
        ordered = self.classes_[order]
        pos = np.clip(np.searchsorted(ordered, y), 0, len(ordered) - 1)
        if np.any(ordered[pos] != y):
            bad = np.unique(y[ordered[pos] != y])
            raise ValueError(
                f"y contains labels {bad.tolist()} unseen during the first fit; "
                f"known classes are {self.classes_.tolist()}."
            )
        return order[pos].astype(np.int64)

    def _decode(self, codes):
        """Labels for class codes, in the label space of the caller's ``y``.

        Positions when ``y`` held positions in ``classes`` (skorch's
        convention) or when the classes are unknown (a net initialised but
        never fitted, as skorch allows), the labels of ``classes_`` otherwise.
        """
        codes = np.asarray(codes)
        if getattr(self, "_y_positions", False) or (
            not hasattr(self, "classes_inferred_") and self.classes is None
        ):
            return codes
        return self.classes_[codes]

    def _prediction_input(self, X):
        """Validate X for prediction; a Dataset is wrapped to yield its x."""
        if is_indexed(X) or is_own_dataset(X):  # skorch's own calls
            return X
        if is_map_dataset(X):
            source, x0 = validate_dataset(X, need_pair=False)
            self._check_form(x0, reset=False)
            return ItemDataset(source)
        if is_dict_input(X):
            X = validate_dict(X)
            self._check_form(X, reset=False)
            return X
        self._check_form(None, reset=False)
        return self._validate_X(X, reset=False)

    @property
    def classes_(self):
        if self.classes is not None and not hasattr(self, "classes_inferred_"):
            return np.asarray(self.classes)
        try:
            return self.classes_inferred_
        except AttributeError as exc:
            why = "call fit first"
            if getattr(self, "_raw_y", False):
                why = (
                    "it was fitted on targets that are not one label per sample "
                    "(sequences or several values), whose classes are unknown; "
                    "pass classes to name them"
                )
            raise AttributeError(
                f"{type(self).__name__} has no attribute 'classes_': {why}."
            ) from exc

    def check_data(self, X, y):
        # Labels were validated and encoded in ``fit``/``partial_fit``.
        pass

    def get_iterator(self, dataset, training=False):
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        iterator = self.iterator_train if training else self.iterator_valid
        if training and "shuffle" not in kwargs:
            kwargs["shuffle"] = True
        if (
            iterator is DataLoader
            and kwargs.get("shuffle")
            and kwargs.get("sampler") is None
            and kwargs.get("batch_sampler") is None
        ):
            # The same order as shuffle=True, without a list of n Python ints.
            kwargs["shuffle"] = False
            kwargs["sampler"] = LeanRandomSampler(
                dataset, generator=kwargs.get("generator")
            )
        if _is_loader(iterator) or (
            not isinstance(iterator, type) and is_own_dataset(dataset)
        ):
            # Pass pre-collated batches (BatchedDataset, ItemDataset) through;
            # also to a callable that wraps a DataLoader (a partial, a mock).
            kwargs.setdefault("collate_fn", collate)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        if "device" not in kwargs and "device" in _signature_names(iterator):
            # Loaders that place the data themselves (sknoisy.fastpath.TensorLoader)
            # put it on the training device, once.
            kwargs["device"] = self.device
        return iterator(dataset, **kwargs)

    def get_split_datasets(self, X, y=None, **fit_params):
        return split_datasets(self, X, y, **fit_params)

    def get_dataset(self, X, y=None):
        data = X[X_KEY] if is_indexed(X) else X
        if isinstance(data, ItemSource):
            return ItemDataset(data, y)
        if not (
            isinstance(data, np.ndarray) or is_sparse(data) or _is_array_dict(data)
        ):
            return super().get_dataset(X, y)
        if getattr(self, "_raw_y", False):
            # skorch's raw targets (sequences...): skorch's Dataset, as in skorch.
            data = float32_arrays(data)
            X = {**X, X_KEY: data} if is_indexed(X) else data
            return super().get_dataset(X, y)
        default = self.dataset is Dataset and not self.get_params_for("dataset")
        loaders = _is_loader(self.iterator_train) and _is_loader(self.iterator_valid)
        if not (default and loaders):
            # Whole arrays go to these: give them the batches' dtypes.
            data = float32_arrays(data)
            X = {**X, X_KEY: data} if is_indexed(X) else data
        if default and loaders:
            return BatchedDataset(X, y)
        return super().get_dataset(X, y)


def _are_positions(y, classes, any_in=False):
    """Whether integer ``y`` indexes ``classes`` (skorch's ``classes`` use).

    At the first fit it must also share no value with ``classes`` (otherwise y
    holds the labels themselves); later calls only check the range.
    """
    if y.dtype.kind not in "iu" or not len(y):
        return False
    if not any_in and np.isin(y, classes).any():
        return False
    return bool(y.min() >= 0 and y.max() < len(classes))


def _is_loader(iterator):
    return isinstance(iterator, type) and issubclass(iterator, DataLoader)
