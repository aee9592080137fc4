"""The input adapter of :class:`~sknoisy.NoisyLabelClassifier`.

:class:`InputAdapter` validates X and y, encodes and decodes the labels, keeps
what a fit learnt about its inputs (their form, the classes, skorch's raw
targets) and builds the datasets and iterators skorch trains on. The
estimator holds one per fit and calls it from its skorch hooks.

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
from sklearn.utils.validation import column_or_1d, validate_data
from skorch.dataset import Dataset
from torch.utils.data import DataLoader

from ._compat import num_samples
from ._data import (
    X_KEY,
    BatchedDataset,
    LeanRandomSampler,
    collate,
    float32_arrays,
    is_indexed,
    is_mapped,
)
from ._dropin import labels_of_items
from ._inputs import (
    NUMERIC_DTYPES,
    ItemDataset,
    ItemSource,
    check_dtype,
    check_float32_range,
    check_frame_columns,
    is_dict_input,
    is_map_dataset,
    is_own_dataset,
    validate_dataset,
    validate_dict,
)
from ._sparse import ACCEPT_SPARSE, is_sparse


def signature_names(obj):
    """The parameters of ``obj``'s signature ({} when it has none)."""
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


class InputAdapter:
    """What a fit learnt about its inputs, and how they reach skorch.

    One adapter is made by each fit (``reset``) and kept by the estimator;
    ``partial_fit``, prediction and the fitted label attributes use it.
    Its methods take the estimator ``net`` for its parameters (``classes``,
    ``criterion``, ``iterator_*``, ``dataset``...); ``validate_data`` sets
    ``n_features_in_`` and ``feature_names_in_`` on it, as scikit-learn does.

    Attributes
    ----------
    fitted : bool
        Whether a fit has validated its inputs.
    raw : bool
        skorch's targets that are not one label per sample (sequences,
        several values per sample), passed to skorch as they are.
    positions : bool
        ``y`` holds integer positions in ``classes`` (skorch's convention).
    n_classes : int or None
        Number of classes (None for raw targets).
    in_shape : tuple or None
        Shape of one sample of an array X (None for a dict X).
    keys : tuple or None
        The sorted keys of a dict X or of a Dataset's dict items.
    """

    def __init__(self):
        self.fitted = False
        self.raw = False
        self.positions = False
        self.n_classes = None
        self.in_shape = None
        self.keys = None

    # ------------------------------------------------------------- fit input
    def validate_fit(self, net, X, y, reset, classes=None):
        """Validate X and y, set classes and sizes; return X's data, int y.

        The data are an array (numeric, possibly the caller's own), a dict of
        arrays, or an :class:`ItemSource` around a Dataset. skorch's targets
        that are not one label per sample (see :meth:`raw_targets`) are
        returned as they are. ``reset`` starts a new fit (this adapter must
        then be a new one).
        """
        raw = raw_targets(net, X, y)
        if not reset and raw != self.raw:
            kinds = ("one label per sample", "targets of another kind")
            raise ValueError(
                f"y holds {kinds[raw]} (shape {tuple(np.shape(y))}), but "
                f"{type(net).__name__} was first fitted on {kinds[not raw]}."
            )
        x0 = None  # the first sample's input, for a Dataset or a dict X
        if is_map_dataset(X):
            X, x0 = validate_dataset(X, need_pair=y is None)
            n_X = len(X)
            if y is None:
                y = labels_of_items(X)
        elif y is None:
            raise ValueError(
                f"{type(net).__name__} requires y to be passed, but the target "
                "y is None."
            )
        elif is_dict_input(X):
            X = x0 = validate_dict(X)
            n_X = len(next(iter(X.values())))
        else:
            n_X = num_samples(X)
        n_y = num_samples(y)
        if n_X != n_y:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_X} and {n_y}."
            )
        if n_X == 0:
            raise ValueError("X and y are empty (0 samples); fit needs samples.")
        self.check_form(net, x0, reset)
        if raw:
            # skorch's targets: no classes to infer, nothing to encode.
            if x0 is None:
                X = self.validate_X(net, X, reset=reset)
            y_enc = y
            if reset:
                _drop(net, "classes_inferred_")
        elif getattr(net, "annotators", False):
            # one column of labels per annotator: validated and encoded apart
            if x0 is None:
                X = self.validate_X(net, X, reset=reset)
            y_enc = self.encode_votes(net, y, reset, classes)
        else:
            if x0 is None:
                X, y = self._validate_arrays(net, X, y, reset)
            else:
                y = validate_data(net, y=y, reset=False)
            y_enc = self.encode_labels(net, y, reset, classes)
        if reset:
            self.raw = raw
            self.fitted = True
            self._set_form(net, x0, X.shape[1:] if x0 is None else None)
        return X, y_enc

    def validate_X(self, net, X, reset):
        """Validate array-like X; numeric arrays are returned uncopied."""
        if isinstance(X, np.ndarray):
            check_dtype(X, "X")
        check_frame_columns(X, "X")
        mapped = is_mapped(X)
        out = validate_data(
            net,
            X,
            reset=reset,
            dtype=NUMERIC_DTYPES,
            allow_nd=True,
            accept_sparse=ACCEPT_SPARSE,
            ensure_min_samples=1,
            ensure_all_finite=not mapped,  # a memmap is checked batch by batch
        )
        return _kept(X, out, mapped)

    def _validate_arrays(self, net, X, y, reset):
        if isinstance(X, np.ndarray):
            check_dtype(X, "X")
        check_frame_columns(X, "X")
        mapped = is_mapped(X)
        X_out, y = validate_data(
            net,
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
        return _kept(X, X_out, mapped), y

    def _set_form(self, net, x0, in_shape):
        """Record the input's form at fit (sizes of the module, checks later)."""
        self.keys = None if x0 is None else _form(x0)
        if x0 is not None:  # a Dataset or a dict X: set what validate_data sets
            _drop(net, "feature_names_in_", "n_features_in_")
            if self.keys is None:
                in_shape = tuple(x0.shape)
                net.n_features_in_ = int(in_shape[0])
        self.in_shape = None if in_shape is None else tuple(in_shape)

    def check_form(self, net, x, reset):
        """Refuse an input of another form than at fit (keys, features)."""
        if reset or self.n_classes is None:
            return
        keys = _form(x)
        if keys != self.keys:
            raise ValueError(
                f"X is {_show_form(keys)}, but {type(net).__name__} was fitted "
                f"on {_show_form(self.keys)} as X."
            )
        n_features = getattr(net, "n_features_in_", None)
        if keys is None and x is not None and n_features is not None:
            if x.shape[0] != n_features:
                raise ValueError(
                    f"X has {x.shape[0]} features per sample (items of shape "
                    f"{tuple(x.shape)}), but {type(net).__name__} is expecting "
                    f"{n_features} features as input."
                )

    # ---------------------------------------------------------------- labels
    def encode_labels(self, net, y, reset, classes):
        """Class codes (int64) of the labels ``y``; at ``reset`` set classes."""
        y = column_or_1d(y, warn=True)
        try:
            check_classification_targets(y)
        except (TypeError, ValueError):
            # Only labels scikit-learn refuses are looked at one by one.
            y = _one_label_type(y)
            check_classification_targets(y)
        if reset:
            known = classes if classes is not None else net.classes
            self.positions = False
            if known is not None:
                if len(known) == 0:
                    raise ValueError(
                        "classes is empty; give the class labels, or None to "
                        "infer them from y."
                    )
                known = column_or_1d(check_array(known, ensure_2d=False, dtype=None))
                if len(np.unique(known)) != len(known):
                    raise ValueError(f"classes has repeated values: {known.tolist()}.")
                self.positions = _are_positions(y, known)
                if not self.positions:
                    unseen = np.setdiff1d(np.unique(y), known)
                    if unseen.size:
                        raise ValueError(
                            f"y contains labels {unseen.tolist()} that are not in "
                            "classes."
                        )
                # Kept in the order given, as skorch does.
                net.classes_inferred_ = known
            else:
                net.classes_inferred_ = np.unique(y)
            if len(net.classes_inferred_) < 2:
                raise ValueError(
                    f"{type(net).__name__} needs samples of at least 2 classes "
                    f"in y; got {len(net.classes_inferred_)} class(es) "
                    f"({net.classes_inferred_.tolist()!r})."
                )
            self.n_classes = len(net.classes_inferred_)
        classes_ = self.classes(net)
        if self.positions:
            # skorch's convention: y holds positions in ``classes``.
            if not _are_positions(y, classes_, any_in=True):
                raise ValueError(
                    "y holds positions in classes (as at the first fit), so its "
                    f"values must be integers in [0, {len(classes_)}); got "
                    f"values from {y.min()!r} to {y.max()!r}."
                )
            return y.astype(np.int64)
        order = np.argsort(classes_, kind="stable")
        ordered = classes_[order]
        pos = np.clip(np.searchsorted(ordered, y), 0, len(ordered) - 1)
        if np.any(ordered[pos] != y):
            bad = np.unique(y[ordered[pos] != y])
            raise ValueError(
                f"y contains labels {bad.tolist()} unseen during the first fit; "
                f"known classes are {classes_.tolist()}."
            )
        return order[pos].astype(np.int64)

    def encode_votes(self, net, A, reset, classes):
        """Class codes (n, n_annotators) of an annotator matrix, -1 if missing.

        See :func:`sknoisy.annotators.encode_votes`; at ``reset`` the classes
        are ``classes``, else the ``classes`` parameter, else the sorted
        labels of every column.
        """
        from ..annotators._votes import encode_votes

        if not reset:
            return encode_votes(A, self.classes(net))[0]
        known = classes if classes is not None else net.classes
        if known is not None and len(known) == 0:
            raise ValueError(
                "classes is empty; give the class labels, or None to infer "
                "them from the annotators' labels."
            )
        codes, found = encode_votes(A, known)
        if len(found) < 2:
            raise ValueError(
                f"{type(net).__name__} needs at least 2 classes among the "
                f"annotators' labels; got {found.tolist()!r}."
            )
        self.positions = False
        net.classes_inferred_ = found
        self.n_classes = len(found)
        return codes

    def decode(self, net, codes):
        """Labels for class codes, in the label space of the caller's ``y``.

        Positions when ``y`` held positions in ``classes`` (skorch's
        convention) or when the classes are unknown (a net initialised but
        never fitted, as skorch allows), the labels of ``classes_`` otherwise.
        """
        codes = np.asarray(codes)
        if self.positions or (self.n_classes is None and net.classes is None):
            return codes
        return self.classes(net)[codes]

    def classes(self, net):
        """``classes_``: the fitted classes, or the ``classes`` parameter."""
        if net.classes is not None and self.n_classes is None:
            return np.asarray(net.classes)
        if self.n_classes is None:
            why = "call fit first"
            if self.raw:
                why = (
                    "it was fitted on targets that are not one label per sample "
                    "(sequences or several values), whose classes are unknown; "
                    "pass classes to name them"
                )
            raise AttributeError(
                f"{type(net).__name__} has no attribute 'classes_': {why}."
            )
        return net.classes_inferred_

    # ------------------------------------------------------------ prediction
    def validate_predict(self, net, X):
        """Validate X for prediction; a Dataset is wrapped to yield its x."""
        if is_indexed(X) or is_own_dataset(X):  # skorch's own calls
            return X
        if is_map_dataset(X):
            source, x0 = validate_dataset(X, need_pair=False)
            self.check_form(net, x0, reset=False)
            return ItemDataset(source)
        if is_dict_input(X):
            X = validate_dict(X)
            self.check_form(net, X, reset=False)
            return X
        self.check_form(net, None, reset=False)
        return self.validate_X(net, X, reset=False)

    # ------------------------------------------------- datasets and iterators
    def iterator(self, net, dataset, training=False):
        """The data loader skorch iterates (``get_iterator``)."""
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = net.get_params_for(prefix)
        iterator = net.iterator_train if training else net.iterator_valid
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
        kwargs.setdefault("batch_size", net.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        if "device" not in kwargs and "device" in signature_names(iterator):
            # Loaders that place the data themselves (sknoisy.fastpath.TensorLoader)
            # put it on the training device, once.
            kwargs["device"] = net.device
        return iterator(dataset, **kwargs)

    def dataset(self, net, X, y=None):
        """sknoisy's dataset for X, or ``(None, X)`` for skorch to build one.

        Returns ``(dataset, X)``: a dataset of sknoisy's (batches taken from
        arrays, Dataset items) and X, or None and the X (whole arrays in the
        batches' dtypes) that skorch's own ``get_dataset`` should wrap.
        """
        data = X[X_KEY] if is_indexed(X) else X
        if isinstance(data, ItemSource):
            return ItemDataset(data, y), X
        if not (
            isinstance(data, np.ndarray) or is_sparse(data) or _is_array_dict(data)
        ):
            return None, X
        default = net.dataset is Dataset and not net.get_params_for("dataset")
        loaders = _is_loader(net.iterator_train) and _is_loader(net.iterator_valid)
        if default and loaders and not self.raw:
            return BatchedDataset(X, y), X
        # skorch's Dataset (raw targets too) or the user's loaders get whole
        # arrays: give them the batches' dtypes.
        data = float32_arrays(data)
        return None, ({**X, X_KEY: data} if is_indexed(X) else data)


def raw_targets(net, X, y):
    """Whether y is skorch's kind of target that is not a label per sample.

    With a plain skorch ``criterion`` only: a y of more than one value per
    sample (shape (n, k, ...), k > 1) or an object array of sequences goes
    to skorch as it is (sequence or multi-output targets), as in skorch.
    """
    if net.criterion is None or y is None or is_map_dataset(X):
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


def _kept(X, X_out, mapped):
    """The caller's memmap itself, or the validated in-memory array."""
    if mapped and isinstance(X, np.ndarray) and X_out.dtype == X.dtype:
        return X
    if not mapped:
        check_float32_range(X_out, "X")
    return X_out


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


def _one_label_type(y):
    """Labels of one type: refuse a mix (``1`` and ``"a"``), naming the types.

    Called on labels that scikit-learn refused. Its message for a mix
    ("Unknown label type: unknown ... regression target") points elsewhere,
    and it refuses an object array of numbers or booleans (a pandas
    ``object`` column), which is converted here.
    """
    if y.dtype != object or not len(y):
        return y
    from ..annotators._votes import label_kind

    kinds = {}
    for i, value in enumerate(y):
        if value is None or (isinstance(value, float) and value != value):
            raise ValueError(
                f"y has a missing label ({value!r}) at position {i}: drop those "
                "samples, or give them a label."
            )
        kinds.setdefault(label_kind(value), value)
    if len(kinds) > 1:
        examples = ", ".join(f"{kind} ({value!r})" for kind, value in kinds.items())
        raise ValueError(
            f"y mixes label types: {examples}. Give every label the same type, "
            "e.g. y.astype(str)."
        )
    if set(kinds) <= {"number", "bool"}:
        return np.asarray(y.tolist())
    return y
