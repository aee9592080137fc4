"""Label-noise injectors: samplers that corrupt ``y`` and leave ``X`` alone.

Every injector is an imbalanced-learn sampler: ``fit_resample(X, y)`` returns
``(X, y_noisy)`` and :class:`imblearn.pipeline.Pipeline` applies it while fitting
only, so a model is trained on noisy labels and scored on the given ones.

Transition matrices are row-stochastic: ``T[i, j] = P(noisy = j | true = i)`` over
``classes_`` in sorted order. cleanlab's ``noise_matrix`` is the transpose
(``P(label = i | true_label = j)``, columns sum to one); convert with
:func:`to_cleanlab_noise_matrix` and :func:`from_cleanlab_noise_matrix`.
"""

from abc import abstractmethod

import numpy as np
from imblearn.base import BaseSampler
from scipy import sparse
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ..utils._compat import fit_context, num_samples
from ..utils._docstring import Substitution

_SHARED_DOC = {
    "{exact}": """exact : bool, default=False
        If False, every sample is corrupted independently (a coin flip with the
        class's flip probability). If True, exactly ``round(p_c * n_c)`` samples
        of each class ``c`` are drawn without replacement, ``p_c`` being that
        class's flip probability and ``n_c`` its count.""",
    "{classes}": """classes : array-like, default=None
        All class labels the noise may use, e.g. when ``y`` is one CV fold that
        lacks a class. Every label of ``y`` must be among them. ``None`` means
        the sorted unique labels of ``y``.""",
    "{random_state}": """random_state : int, RandomState instance, Generator or None, \
default=None
        Seed of the noise. An int gives the same noisy labels on every call; a
        :class:`numpy.random.Generator` is used (and advanced) as is.""",
    "{attributes}": """classes_ : ndarray of shape (n_classes,)
        Sorted class labels; the rows and columns of ``transition_matrix_``.

    noise_mask_ : ndarray of shape (n_samples,), dtype=bool
        True where the noisy label differs from the given one.

    noise_rate_ : float
        Realized fraction of changed labels, ``noise_mask_.mean()``.

    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        Realized row-stochastic matrix: entry ``[i, j]`` is the fraction of samples
        of given class ``i`` whose noisy label is ``j``. Rows of classes absent
        from ``y`` are all zero.

    sampling_strategy_ : dict
        Number of changed labels per given class (imbalanced-learn's fitted
        attribute).

    n_features_in_ : int
        Number of features of ``X``, ``X.shape[1]`` (not set for 1-D ``X``).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features of ``X``; only when ``X`` is a DataFrame with
        string column names.""",
}

# The whole Attributes section, for the injectors with no attribute of their own.
_SHARED_DOC["{attributes_section}"] = (
    "Attributes\n    ----------\n    " + _SHARED_DOC["{attributes}"]
)

_fill_doc = Substitution(**{key.strip("{}"): text for key, text in _SHARED_DOC.items()})


def _check_generator(random_state):
    """Turn a ``random_state`` into a :class:`numpy.random.Generator`."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


def _check_targets(y):
    """Validate ``y``; return it as a 1-D array and a function restoring its kind."""
    if y is None:
        raise ValueError(
            "This noise injector requires y to be passed, but the target y is None"
        )
    y_in = y
    if sparse.issparse(y):
        y = y.toarray()
    arr = np.asarray(y)
    # Integer arrays are always class labels: skip type_of_target, which costs
    # more than the noise itself on millions of labels.
    if not (arr.ndim == 1 and arr.dtype.kind in "iu"):
        check_classification_targets(y)
    one_hot = arr.ndim == 2 and arr.shape[1] > 1
    if one_hot:
        if not (np.isin(arr, (0, 1)).all() and (arr.sum(axis=1) == 1).all()):
            raise ValueError("Multilabel and multioutput targets are not supported.")
        y1d = arr.argmax(axis=1)
    else:
        y1d = arr.reshape(-1)

    def restore(labels):
        if one_hot:
            out = np.zeros(arr.shape, dtype=arr.dtype)
            out[np.arange(len(labels)), labels] = 1
        else:
            out = labels.reshape(arr.shape)
        if isinstance(y_in, list):
            return out.tolist()
        if type(y_in).__module__.startswith("pandas"):
            return _restore_pandas(y_in, out)
        return out

    return y1d, restore


def _restore_pandas(y, values):
    import pandas as pd

    def series_like(s, v):
        dtype = s.dtype
        if isinstance(dtype, pd.CategoricalDtype):  # new classes become categories
            extra = pd.Index(pd.unique(v)).difference(dtype.categories)
            cats = dtype.categories.append(extra)
            dtype = pd.CategoricalDtype(cats, ordered=dtype.ordered)
        return pd.Series(v, index=s.index, name=s.name).astype(dtype)

    if isinstance(y, pd.DataFrame):
        if values.ndim == 2 and values.shape[1] == y.shape[1] > 1:
            return pd.DataFrame(values, index=y.index, columns=y.columns)
        return series_like(y.iloc[:, 0], values.ravel()).to_frame()
    return series_like(y, values)


def _encode(y, classes):
    """Sorted classes and integer codes of ``y`` (codes index ``classes``)."""
    if classes is None:
        if y.dtype.kind in "iu" and y.size:
            low, high = int(y.min()), int(y.max())
            # dense range of ints: an O(n) bincount instead of sorting
            if high - low <= 4 * y.size + 1024 and -(2**62) < low <= high < 2**62:
                shifted = y.astype(np.intp, copy=False)
                if low:
                    shifted = shifted - low
                present = np.bincount(shifted, minlength=high - low + 1) > 0
                # smallest int type for the codes: less memory traffic on big y
                lookup = (np.cumsum(present) - 1).astype(
                    np.min_scalar_type(-present.size)
                )
                codes = lookup[shifted]
                return (np.flatnonzero(present) + low).astype(y.dtype), codes
        return np.unique(y, return_inverse=True)
    classes = np.asarray(classes)
    if classes.ndim != 1:
        raise ValueError(f"classes must be 1-D, got shape {classes.shape}")
    sorted_classes = np.unique(classes)
    if len(sorted_classes) != len(classes):
        raise ValueError("classes must not contain duplicates")
    if y.dtype.kind in "US" and sorted_classes.dtype.kind in "US":
        sorted_classes = sorted_classes.astype(
            np.promote_types(y.dtype, sorted_classes.dtype)
        )
    try:
        codes = np.searchsorted(sorted_classes, y)
        np.clip(codes, 0, len(sorted_classes) - 1, out=codes)
        unknown = sorted_classes[codes] != y
    except TypeError:  # labels and classes of incomparable types
        unknown = np.ones(len(y), dtype=bool)
    if np.any(unknown):
        raise ValueError(
            f"y contains labels that are not in classes: "
            f"{np.unique(np.asarray(y)[unknown])[:5].tolist()}"
        )
    return sorted_classes, codes


def _select(y, p, exact, rng):
    """Boolean mask of the samples to corrupt; ``p`` is a flip probability per class."""
    if not exact:
        return rng.random(len(y)) < p[y]
    mask = np.zeros(len(y), dtype=bool)
    for k, idx in enumerate(_class_groups(y, len(p))):
        mask[rng.choice(idx, int(np.rint(p[k] * idx.size)), replace=False)] = True
    return mask


def _class_groups(y, n_classes):
    """Sample indices grouped by class, as a list indexed by class code."""
    order = np.argsort(y, kind="stable")  # radix sort for small int codes
    bounds = np.cumsum(np.bincount(y, minlength=n_classes))
    return np.split(order, bounds[:-1])


class BaseNoise(BaseSampler):
    """Base class of the label-noise injectors.

    ``fit_resample`` validates ``X`` and ``y``, encodes the labels as integer codes
    ``0..n_classes-1`` of the sorted ``classes_``, calls the one hook
    ``_fit_resample(X, y, rng)``, which returns the noisy codes, then sets the
    fitted attributes and returns ``(X, y_noisy)`` with ``X`` the very object
    passed in and ``y_noisy`` of the same kind as ``y``: list, ndarray (dtype and
    shape kept, one-hot stays one-hot), pandas Series or DataFrame (index, name
    and dtype kept). ``y`` itself is never modified. A subclass sets
    ``_uses_features = True`` when its hook needs ``X`` as a 2-D numeric array;
    otherwise only the length of ``X`` matters and ``X`` may be of any shape
    (images of shape ``(n, C, H, W)``, a 1-D array of file paths, ...).

    Warning: This class should not be used directly. Use the derived classes.
    """

    _sampling_type = "bypass"
    _uses_features = False
    _parameter_constraints: dict = {
        "classes": ["array-like", None],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(self, *, classes=None, random_state=None):
        # The parameters every injector takes; subclasses set their own first.
        self.classes = classes
        self.random_state = random_state

    def fit(self, X, y):
        """Draw the noise and set the fitted attributes; returns ``self``.

        Same parameters as ``fit_resample``, which should be preferred.
        """
        self.fit_resample(X, y)
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y):
        """Return ``X`` unchanged and a noisy copy of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples; returned as is. Injectors that use features flatten it to
            ``(n_samples, n_features)`` internally.
        y : array-like of shape (n_samples,)
            Given labels (ints, strings, ...; a one-hot matrix is accepted too).

        Returns
        -------
        X : array-like
            The ``X`` passed in (same object).
        y_noisy : array-like of shape (n_samples,)
            Noisy labels, of the same kind as ``y``.
        """
        Xv, codes, restore = self._validate_inputs(X, y, " to move labels between")
        noisy = self._fit_resample(Xv, codes, _check_generator(self.random_state))
        c = len(self.classes_)
        self.noise_mask_ = noisy != codes
        self.noise_rate_ = float(self.noise_mask_.mean())
        flips = np.flatnonzero(self.noise_mask_)
        pairs = codes[flips].astype(np.intp) * c
        pairs += noisy[flips]
        counts = np.bincount(pairs, minlength=c * c).reshape(c, c)
        flipped = counts.sum(axis=1)
        totals = np.bincount(codes, minlength=c)
        counts[np.diag_indices(c)] = totals - flipped
        self.transition_matrix_ = np.divide(
            counts, totals[:, None], out=np.zeros((c, c)), where=totals[:, None] > 0
        )
        self.sampling_strategy_ = {
            label: int(k) for label, k in zip(self.classes_.tolist(), flipped)
        }
        return X, restore(self.classes_[noisy])

    def _validate_inputs(self, X, y, purpose=""):
        """``(X, codes, restore)`` of ``fit_resample``'s inputs; sets ``classes_``.

        Refuses an empty ``y``, sample counts that differ and a single class
        (the message says what the classes are needed ``purpose``).
        """
        y1d, restore = _check_targets(y)
        if len(y1d) == 0:
            raise ValueError("y is empty: fit_resample needs at least one sample")
        Xv = self._check_X(X)
        if num_samples(Xv) != len(y1d):
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {num_samples(Xv)} "
                f"and {len(y1d)}"
            )
        classes = self.classes
        if classes is None:
            classes = self._default_classes(y1d)
        self.classes_, codes = _encode(y1d, classes)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes{purpose}; got 1 "
                f"class ({self.classes_[0]!r})"
            )
        return Xv, codes, restore

    def _check_X(self, X):
        if self._uses_features:
            X = validate_data(self, X, accept_sparse="csr", allow_nd=True)
            return X.reshape(X.shape[0], -1) if X.ndim > 2 else X
        # Only len(X) is used: X is not converted, just its feature count noted.
        validate_data(self, X, skip_check_array=True)
        return X

    def _default_classes(self, y):
        return None

    @abstractmethod
    def _fit_resample(self, X, y, rng):
        """Return new noisy codes for the codes ``y`` (ints in ``[0, n_classes)``).

        ``X`` is the validated ``X`` (2-D numeric when ``_uses_features``), ``rng``
        a :class:`numpy.random.Generator`, the only source of randomness.
        """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.three_d_array = True
        if not self._uses_features:  # X is passed through, never read
            tags.no_validation = True
            tags.input_tags.string = True
            tags.input_tags.allow_nan = True
        return tags
