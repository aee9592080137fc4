"""Calibration metrics of predicted probabilities: ECE, NLL, Brier score."""

from __future__ import annotations

import numbers

import numpy as np

from ..utils._docstring import Substitution

__all__ = [
    "brier_score",
    "expected_calibration_error",
    "negative_log_likelihood",
    "reliability_curve",
]

_PARAMS = {
    "y_true": """y_true : array-like of shape (n_samples,)
        True labels, of any type (ints, strings...); every label must be in
        ``labels``.""",
    "y_proba": """y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's
        ``predict_proba``: values in [0, 1], rows summing to one (within
        ``max(1e-4, sqrt(eps))`` of the input's float type). Column ``j`` is
        the probability of ``labels[j]``.""",
    "labels": """labels : array-like of shape (n_classes,), default=None
        The class label of each column of ``y_proba``, in column order (for a
        fitted classifier: ``clf.classes_``). ``None`` uses
        ``np.unique(y_true)``, which requires every class to occur in
        ``y_true``.""",
    "n_bins": """n_bins : int, default=15
        Number of equal-width confidence bins on [0, 1]; bin ``b`` holds the
        confidences in ``(b / n_bins, (b + 1) / n_bins]`` (the first bin also
        holds 0).""",
    "ref_guo": """References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of
       modern neural networks", ICML 2017.""",
}
# The parameters of every binned (top-label confidence) metric, in order.
_PARAMS["binned_params"] = "\n    ".join(
    _PARAMS[name] for name in ("y_true", "y_proba", "n_bins", "labels")
)


def _check_n_bins(n_bins):
    if (
        isinstance(n_bins, bool)
        or not isinstance(n_bins, numbers.Integral)
        or n_bins < 1
    ):
        raise ValueError(f"n_bins must be an int >= 1, got {n_bins!r}")
    return int(n_bins)


def _label_indices(y_true, labels):
    """Column index of every label of ``y_true`` in ``labels``."""
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    try:
        pos = np.clip(np.searchsorted(ordered, y_true), 0, len(ordered) - 1)
        found = ordered[pos] == y_true
    except TypeError:  # labels and y_true of incomparable types
        found = np.zeros(len(y_true), dtype=bool)
        pos = np.zeros(len(y_true), dtype=np.intp)
    found = np.asarray(found, dtype=bool)
    if found.shape != y_true.shape or not found.all():
        missing = y_true if found.shape != y_true.shape else y_true[~found]
        missing = list(dict.fromkeys(missing.tolist()))
        raise ValueError(
            f"y_true holds labels that are not in labels: {missing[:5]}; labels "
            f"are {labels.tolist()}"
        )
    return order[pos]


def _check_inputs(y_true, y_proba, labels):
    """Validate the inputs; return ``(column index of y_true, float64 y_proba)``.

    The inputs are never modified: ``y_proba`` is copied whenever its values
    change (clipping of rounding errors).
    """
    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise ValueError(
            f"y_true must be 1-D of shape (n_samples,), got shape {y_true.shape}"
        )
    if y_true.dtype.kind == "f" and np.isnan(y_true).any():
        raise ValueError("y_true contains NaN")
    try:
        raw = np.asarray(y_proba)
        proba = raw.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y_proba must hold numbers: {exc}") from None
    dtype = raw.dtype
    if proba.ndim != 2:
        raise ValueError(
            "y_proba must be 2-D of shape (n_samples, n_classes), got shape "
            f"{proba.shape}; for a binary problem with the positive-class "
            "probability p, pass np.column_stack([1 - p, p])"
        )
    if proba.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"y_true and y_proba have different numbers of samples: "
            f"{y_true.shape[0]} and {proba.shape[0]}"
        )
    if proba.shape[0] == 0:
        raise ValueError("y_true and y_proba hold no samples")
    if not np.isfinite(proba).all():
        raise ValueError("y_proba contains NaN or infinity")
    eps = np.finfo(dtype).eps if np.issubdtype(dtype, np.floating) else 0.0
    tol = max(1e-4, float(np.sqrt(eps)))
    if proba.min() < -tol or proba.max() > 1 + tol:
        raise ValueError(
            f"y_proba values must lie in [0, 1], found [{proba.min():g}, "
            f"{proba.max():g}]"
        )
    sums = proba.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > tol)
    if bad.size:
        raise ValueError(
            f"every row of y_proba must sum to 1 (within {tol:g}); row {bad[0]} "
            f"sums to {sums[bad[0]]:.6g} ({bad.size} such rows). Pass "
            "probabilities (predict_proba), not scores or logits."
        )
    if proba.min() < 0 or proba.max() > 1:
        proba = np.clip(proba, 0.0, 1.0)  # a copy: the input stays as it was

    if labels is None:
        try:
            labels = np.unique(y_true)
        except TypeError as exc:
            raise ValueError(f"y_true holds labels of mixed types: {exc}") from None
        if len(labels) != proba.shape[1]:
            raise ValueError(
                f"y_true holds {len(labels)} classes but y_proba has "
                f"{proba.shape[1]} columns; pass labels, the class of each "
                "column (e.g. labels=clf.classes_)"
            )
    else:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != proba.shape[1]:
            raise ValueError(
                f"labels must be 1-D with one label per column of y_proba "
                f"({proba.shape[1]}), got shape {labels.shape}"
            )
        try:
            n_unique = len(np.unique(labels))
        except TypeError as exc:
            raise ValueError(f"labels of mixed types: {exc}") from None
        if n_unique != len(labels):
            raise ValueError(f"labels must be unique, got {labels.tolist()}")
    return _label_indices(y_true, labels), proba


@Substitution(**_PARAMS)
def reliability_curve(y_true, y_proba, *, n_bins=15, labels=None):
    """Per-bin confidence, accuracy and counts of the top-label predictions.

    Each sample's *confidence* is its largest predicted probability and its
    prediction the column holding it (the first one on ties); samples are
    grouped into equal-width confidence bins. A calibrated classifier has, in
    every bin, an accuracy equal to the mean confidence (Guo et al., 2017).

    Parameters
    ----------
    {binned_params}

    Returns
    -------
    confidence : ndarray of shape (n_bins,)
        Mean confidence of the samples in each bin; NaN for empty bins.
    accuracy : ndarray of shape (n_bins,)
        Fraction of correct predictions in each bin; NaN for empty bins.
    counts : ndarray of shape (n_bins,), dtype=int
        Number of samples in each bin. The bin edges are
        ``np.linspace(0, 1, n_bins + 1)``.

    See Also
    --------
    expected_calibration_error : The count-weighted gap of this curve.
    plot_reliability_diagram : Draw the curve.

    {ref_guo}

    Examples
    --------
    >>> from sknoisy.metrics import reliability_curve
    >>> y_true = ["cat", "dog", "dog", "cat"]
    >>> y_proba = [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]]
    >>> confidence, accuracy, counts = reliability_curve(y_true, y_proba, n_bins=5)
    >>> counts  # confidences 0.6 | 0.7, 0.8 | 0.9 (the last "cat" is missed)
    array([0, 0, 1, 2, 1])
    >>> accuracy
    array([nan, nan, 1. , 0.5, 1. ])
    >>> confidence
    array([ nan,  nan, 0.6 , 0.75, 0.9 ])
    """
    n_bins = _check_n_bins(n_bins)
    y_idx, proba = _check_inputs(y_true, y_proba, labels)
    predicted = np.argmax(proba, axis=1)
    confidence = proba[np.arange(len(proba)), predicted]
    correct = (predicted == y_idx).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Right-closed bins: a confidence equal to an inner edge goes to the bin
    # below it, as in (b / n_bins, (b + 1) / n_bins].
    bins = np.searchsorted(edges[1:-1], confidence, side="left")
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(bins, confidence, n_bins) / counts
        accuracy = np.bincount(bins, correct, n_bins) / counts
    return mean_confidence, accuracy, counts


@Substitution(**_PARAMS)
def expected_calibration_error(y_true, y_proba, *, n_bins=15, labels=None):
    """Expected calibration error (ECE) of the top-label predictions.

    ``ECE = sum_b (n_b / n) * |accuracy_b - confidence_b|`` over the
    equal-width confidence bins ``b`` of :func:`reliability_curve`, where
    ``n_b`` is the number of samples in bin ``b``. 0 is perfect calibration;
    the value lies in [0, 1]. 15 bins is the setting of Guo et al. (2017) and
    Müller et al. (2019).

    Parameters
    ----------
    {binned_params}

    Returns
    -------
    ece : float
        Expected calibration error, in [0, 1].

    See Also
    --------
    reliability_curve : The per-bin values.
    negative_log_likelihood, brier_score : Proper scoring rules.

    {ref_guo}
    .. [2] R. Müller, S. Kornblith and G. Hinton, "When does label smoothing
       help?", NeurIPS 2019.

    Examples
    --------
    Two samples at confidence 0.9, one right and one wrong (accuracy 0.5),
    and two at 0.6, both right: ``0.5 * |0.5 - 0.9| + 0.5 * |1 - 0.6|``.

    >>> from sknoisy.metrics import expected_calibration_error
    >>> y_true = [0, 1, 1, 1]
    >>> y_proba = [[0.9, 0.1], [0.9, 0.1], [0.4, 0.6], [0.4, 0.6]]
    >>> round(expected_calibration_error(y_true, y_proba), 6)
    0.4
    """
    confidence, accuracy, counts = reliability_curve(
        y_true, y_proba, n_bins=n_bins, labels=labels
    )
    full = counts > 0
    gaps = np.abs(accuracy[full] - confidence[full])
    return float(min(1.0, np.sum(counts[full] * gaps) / counts.sum()))


@Substitution(**_PARAMS)
def negative_log_likelihood(y_true, y_proba, *, labels=None, eps="auto"):
    """Mean negative log-likelihood of the true labels (log loss).

    ``-mean_i log p_i(y_i)``, with the probabilities clipped to
    ``[eps, 1]`` so that a zero probability gives a large, finite loss. Equal
    to :func:`sklearn.metrics.log_loss` (natural logarithm) when the columns
    follow the sorted labels.

    Parameters
    ----------
    {y_true}
    {y_proba}
    {labels}
    eps : float or "auto", default="auto"
        Lower clip of the probabilities, in (0, 1). ``"auto"`` is the machine
        epsilon of ``y_proba``'s float type (float64 for other types), as
        scikit-learn does.

    Returns
    -------
    nll : float
        Mean negative log-likelihood, >= 0 (lower is better).

    See Also
    --------
    brier_score : The quadratic scoring rule.
    sklearn.metrics.log_loss : The same loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.metrics import negative_log_likelihood
    >>> y_proba = [[0.8, 0.2], [0.5, 0.5]]
    >>> nll = negative_log_likelihood(["a", "b"], y_proba)
    >>> bool(np.isclose(nll, -(np.log(0.8) + np.log(0.5)) / 2))
    True
    """
    if isinstance(eps, str) and eps == "auto":
        dtype = getattr(y_proba, "dtype", None)
        floating = isinstance(dtype, np.dtype) and dtype.kind == "f"
        eps = float(np.finfo(dtype if floating else np.float64).eps)
    elif isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < 1:
        raise ValueError(f"eps must be 'auto' or a float in (0, 1), got {eps!r}")
    y_idx, proba = _check_inputs(y_true, y_proba, labels)
    p = np.clip(proba[np.arange(len(proba)), y_idx], eps, 1.0)
    return float(-np.mean(np.log(p)))


@Substitution(**_PARAMS)
def brier_score(y_true, y_proba, *, labels=None):
    """Multiclass Brier score: mean squared distance to the one-hot labels.

    ``mean_i sum_k (p_ik - 1[y_i = k]) ** 2``, in [0, 2] (Brier, 1950). For
    two classes it is twice :func:`sklearn.metrics.brier_score_loss` of the
    positive class.

    Parameters
    ----------
    {y_true}
    {y_proba}
    {labels}

    Returns
    -------
    brier : float
        Brier score, in [0, 2] (lower is better).

    See Also
    --------
    negative_log_likelihood : The logarithmic scoring rule.

    References
    ----------
    .. [1] G. W. Brier, "Verification of forecasts expressed in terms of
       probability", Monthly Weather Review 78(1), 1950.

    Examples
    --------
    ``(0.2**2 + 0.2**2) + (0.5**2 + 0.5**2)`` over two samples:

    >>> from sknoisy.metrics import brier_score
    >>> round(brier_score([0, 1], [[0.8, 0.2], [0.5, 0.5]]), 6)
    0.29
    """
    y_idx, proba = _check_inputs(y_true, y_proba, labels)
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(proba)), y_idx] = 1.0
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
