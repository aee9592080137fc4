"""Input checks and data plumbing of :class:`~sknoisy.NoisyLabelClassifier`."""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _num_samples,
    column_or_1d,
    validate_data,
)
from skorch.dataset import Dataset
from torch.utils.data import DataLoader

from ._data import X_KEY, BatchedDataset, collate, is_indexed

# Top-level estimator parameter -> loss-constructor argument, per loss name.


def _signature_names(obj):
    try:
        return inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return {}


class _InputMixin:
    """Validation of X and y, classes, and how skorch gets its batches."""

    def _validate_X(self, X, reset):
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float32,
            allow_nd=True,
            ensure_min_samples=1,
        )

    def _validate_fit_data(self, X, y, reset, classes=None):
        """Validate X and y, set classes and sizes; return float32 X, int y."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        n_X, n_y = _num_samples(X), _num_samples(y)
        if n_X != n_y:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_X} and {n_y}."
            )
        if n_X == 0:
            raise ValueError("X and y are empty (0 samples); fit needs samples.")
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=np.float32,
            allow_nd=True,
            ensure_min_samples=2 if reset else 1,
            y_numeric=False,
        )
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            known = classes if classes is not None else self.classes
            if known is not None:
                known = np.unique(
                    column_or_1d(check_array(known, ensure_2d=False, dtype=None))
                )
                unseen = np.setdiff1d(np.unique(y), known)
                if unseen.size:
                    raise ValueError(
                        f"y contains labels {unseen.tolist()} that are not in classes."
                    )
                self.classes_inferred_ = known
            else:
                self.classes_inferred_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in y; got 1 class ({self.classes_[0]!r})."
                )
            self._n_classes = len(self.classes_)
            self._in_shape = X.shape[1:]
        y_enc = np.searchsorted(self.classes_, y)
        y_enc = np.clip(y_enc, 0, len(self.classes_) - 1)
        if np.any(self.classes_[y_enc] != y):
            bad = np.unique(y[self.classes_[y_enc] != y])
            raise ValueError(
                f"y contains labels {bad.tolist()} unseen during the first fit; "
                f"known classes are {self.classes_.tolist()}."
            )
        return X, y_enc.astype(np.int64)

    @property
    def classes_(self):
        if self.classes is not None and "classes_inferred_" not in vars(self):
            return np.asarray(self.classes)
        try:
            return self.classes_inferred_
        except AttributeError as exc:
            raise AttributeError(
                f"{type(self).__name__} has no attribute 'classes_': call fit first."
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
        if isinstance(iterator, type) and issubclass(iterator, DataLoader):
            # Pass BatchedDataset's pre-collated batches through.
            kwargs.setdefault("collate_fn", collate)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        if "device" not in kwargs and "device" in _signature_names(iterator):
            # Loaders that place the data themselves (sknoisy.fastpath.TensorLoader)
            # put it on the training device, once.
            kwargs["device"] = self.device
        return iterator(dataset, **kwargs)

    def get_dataset(self, X, y=None):
        batched = isinstance(X, np.ndarray) or (
            is_indexed(X) and isinstance(X[X_KEY], np.ndarray)
        )
        if batched and self.dataset is Dataset and not self.get_params_for("dataset"):
            return BatchedDataset(X, y)
        return super().get_dataset(X, y)
