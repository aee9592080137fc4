"""Helpers of the benchmark scripts: small data splits, text tables, mean ± std.

The scripts in the repository's ``benchmarks/`` folder share these through the
public API instead of importing one another.
"""

from __future__ import annotations

import statistics
import types

import numpy as np

__all__ = [
    "IMBALANCE_PROFILES",
    "SPLITS",
    "class_scores",
    "load_split",
    "make_imbalanced",
    "mean_std",
    "text_table",
]

#: Split name -> (data set, preprocessing) of :func:`load_split`.
SPLITS = types.MappingProxyType(
    {
        "digits-std": ("digits", "std"),
        "digits-minmax": ("digits", "minmax"),
        "digits-raw": ("digits", "raw"),
        "digits-x16": ("digits", "x16"),
        "mnist1d-raw": ("mnist1d", "raw"),
        "mnist1d-std": ("mnist1d", "std"),
        "breast_cancer-std": ("breast_cancer", "std"),
        "wine-std": ("wine", "std"),
        "wine-raw": ("wine", "raw"),
        "breast_cancer-raw": ("breast_cancer", "raw"),
        "digits-robust": ("digits", "robust"),
        "digits-quantile": ("digits", "quantile"),
        "synthetic-std": ("synthetic", "std"),
        "iris-std": ("iris", "std"),
        "classif6-std": ("classif6", "std"),
    }
)


def _samples(source, seed):
    from sklearn.datasets import (
        load_breast_cancer,
        load_digits,
        load_iris,
        load_wine,
        make_classification,
    )

    if source == "classif6":
        return make_classification(
            n_samples=1500,
            n_features=20,
            n_informative=8,
            n_classes=6,
            n_clusters_per_class=1,
            class_sep=1.5,
            random_state=seed,
        )
    if source == "synthetic":
        return make_classification(
            n_samples=3000,
            n_features=20,
            n_informative=10,
            n_classes=5,
            n_clusters_per_class=2,
            class_sep=1.5,
            random_state=seed,
        )
    loader = {
        "digits": load_digits,
        "breast_cancer": load_breast_cancer,
        "wine": load_wine,
        "iris": load_iris,
    }[source]
    return loader(return_X_y=True)


def _scaler(prep):
    from sklearn.preprocessing import (
        MinMaxScaler,
        QuantileTransformer,
        RobustScaler,
        StandardScaler,
    )

    if prep == "quantile":
        return QuantileTransformer(n_quantiles=200)
    return {"std": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}[
        prep
    ]()


def load_split(name, seed):
    """A train/test split of a small data set, preprocessed on its training part.

    Parameters
    ----------
    name : str
        A key of :data:`SPLITS`: ``"<data set>-<preprocessing>"``. Data sets:
        ``digits`` (scikit-learn's 8x8 digits), ``breast_cancer``, ``wine``,
        ``synthetic`` (``make_classification``: 3000 samples, 20 features,
        10 informative, 5 classes, ``class_sep=1.5``), ``iris``, ``classif6``
        (``make_classification``: 1500 samples, 20 features, 8 informative, 6
        classes, one cluster each, ``class_sep=1.5``) and ``mnist1d``
        (:func:`~sknoisy.datasets.load_mnist1d`, its own 4000/1000 split).
        Preprocessing: ``std`` (StandardScaler), ``minmax``, ``robust``,
        ``quantile`` (200 quantiles), fitted on the training part; ``x16``
        (divide by 16); ``raw`` (none).
    seed : int
        Seed of the split (stratified, 30% test) and of generated data.

    Returns
    -------
    X_train, X_test : ndarray, dtype=float32
        The preprocessed samples.
    y_train, y_test : ndarray
        The labels.

    Examples
    --------
    >>> from sknoisy.benchmark import load_split
    >>> X_tr, X_te, y_tr, y_te = load_split("digits-x16", seed=0)
    >>> X_tr.shape, X_te.shape, float(X_tr.max())
    ((1257, 64), (540, 64), 1.0)
    """
    from sklearn.model_selection import train_test_split

    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
    source, prep = SPLITS[name]
    if source == "mnist1d":
        from ..datasets import load_mnist1d

        data = load_mnist1d(random_state=seed)
        X_tr, X_te, y_tr, y_te = data.X_train, data.X_test, data.y_train, data.y_test
    else:
        X, y = _samples(source, seed)
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
    if prep in ("std", "minmax", "robust", "quantile"):
        scaler = _scaler(prep).fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    elif prep == "x16":
        X_tr, X_te = X_tr / 16.0, X_te / 16.0
    return X_tr.astype(np.float32), X_te.astype(np.float32), y_tr, y_te


def class_scores(y_true, y_pred):
    """Accuracy, balanced accuracy and the worst class' recall of predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The clean labels.
    y_pred : array-like of shape (n_samples,)
        The predictions.

    Returns
    -------
    scores : dict
        ``accuracy``, ``balanced_accuracy`` and ``worst_recall`` (the lowest
        recall over the classes of ``y_true``), as floats.

    Examples
    --------
    >>> from sknoisy.benchmark import class_scores
    >>> class_scores([0, 0, 0, 1], [0, 0, 0, 0])
    {'accuracy': 0.75, 'balanced_accuracy': 0.5, 'worst_recall': 0.0}
    """
    from sklearn.metrics import balanced_accuracy_score, recall_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    recalls = recall_score(y_true, y_pred, average=None, labels=np.unique(y_true))
    return {
        "accuracy": float(np.mean(y_pred == y_true)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "worst_recall": float(recalls.min()),
    }


#: Class-size profiles of :func:`make_imbalanced`.
IMBALANCE_PROFILES = ("none", "longtail", "step")


def make_imbalanced(X, y, profile, seed, ratio=10.0):
    """Subsample the classes of ``(X, y)`` to an imbalanced profile.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
        Samples.
    y : ndarray of shape (n_samples,)
        Labels.
    profile : {"none", "longtail", "step"}
        ``"longtail"``: class ``k`` of a seeded random order of the ``C``
        classes keeps the share ``ratio ** (-k / (C - 1))`` of its samples
        (the largest class all, the smallest ``1 / ratio``); ``"step"``: half
        the classes (seeded) keep ``1 / ratio`` of their samples, the others
        all; ``"none"``: unchanged.
    seed : int
        Seed of the class order and of the samples kept.
    ratio : float, default=10.0
        Size of the largest class over the smallest (about).

    Returns
    -------
    X_sub, y_sub : ndarray
        The kept samples, in their original order (at least 2 per class).

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.benchmark import make_imbalanced
    >>> y = np.repeat(np.arange(4), 100)
    >>> _, y_sub = make_imbalanced(np.zeros((400, 1)), y, "step", seed=0)
    >>> sorted(np.bincount(y_sub).tolist())
    [10, 10, 100, 100]
    """
    if profile not in IMBALANCE_PROFILES:
        raise ValueError(
            f"unknown profile {profile!r}; choose one of "
            f"{', '.join(IMBALANCE_PROFILES)}"
        )
    if profile == "none":
        return X, y
    rng = np.random.default_rng(seed)
    classes = rng.permutation(np.unique(y))
    c = len(classes)
    if profile == "longtail":
        shares = ratio ** (-np.arange(c) / max(c - 1, 1))
    else:
        shares = np.where(np.arange(c) < c // 2, 1.0 / ratio, 1.0)
    keep = np.zeros(len(y), dtype=bool)
    for label, share in zip(classes, shares):
        rows = np.flatnonzero(y == label)
        n = min(len(rows), max(2, int(round(share * len(rows)))))
        keep[rng.choice(rows, n, replace=False)] = True
    return X[keep], y[keep]


def mean_std(values):
    """``"mean ± std"`` of the values that are not ``None`` (3 decimals).

    Parameters
    ----------
    values : iterable of float or None
        The values (e.g. one per seed).

    Returns
    -------
    text : str
        The mean and the sample standard deviation
        (:func:`statistics.stdev`); the value alone for one value; ``"-"``
        for none.

    Examples
    --------
    >>> from sknoisy.benchmark import mean_std
    >>> mean_std([0.9, 0.8, None]), mean_std([0.5]), mean_std([])
    ('0.850 ± 0.071', '0.500', '-')
    """
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def text_table(header, rows):
    """A plain text table: columns separated by ``|``, a rule under the header.

    Parameters
    ----------
    header, rows : sequence
        The column names and the rows, as for :func:`rst_table`.

    Returns
    -------
    table : str
        The lines of the table, without a trailing newline.

    Examples
    --------
    >>> from sknoisy.benchmark import text_table
    >>> print(text_table(["loss", "accuracy"], [["gce", "0.910"]]))
    loss | accuracy
    -----+---------
    gce  | 0.910
    """
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = [
        " | ".join(h.ljust(w) for h, w in zip(header, widths)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)
