"""Estimate the noise matrix of given labels from fitted probabilities."""

from __future__ import annotations

import numpy as np

__all__ = ["estimate_noise_matrix"]


def check_probs(probs, name="probs"):
    """A validated (n, C) array of class probabilities (``name`` in messages).

    A float array is returned as it lies (no copy; nothing in the estimates
    writes to it); other numeric input is converted to float64. Refused:
    another shape, fewer than two classes, NaN or inf, values outside
    [0, 1] (logits), rows that do not sum to 1 within 1e-3.
    """
    probs = np.asarray(probs)
    if probs.dtype.kind not in "iuf" or probs.dtype.kind == "b":
        raise ValueError(
            f"{name} must be a numeric array of class probabilities, got "
            f"dtype {probs.dtype}."
        )
    if probs.dtype.kind != "f":
        probs = probs.astype(np.float64)
    if probs.ndim != 2 or probs.shape[1] < 2 or probs.shape[0] < 1:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_classes) with at "
            f"least two classes, got shape {probs.shape}."
        )
    if not np.all(np.isfinite(probs)):
        raise ValueError(f"{name} must be finite (no NaN or inf).")
    if probs.min() < 0.0 or probs.max() > 1.0:
        raise ValueError(
            f"{name} must lie in [0, 1] (pass probabilities, e.g. predict_proba's "
            f"output, not logits); got values in [{probs.min():.3g}, "
            f"{probs.max():.3g}]."
        )
    sums = probs.sum(axis=1, dtype=np.float64)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if len(bad):
        raise ValueError(
            f"each row of {name} must sum to 1 (within 1e-3); row "
            f"{int(bad[0])} sums to {sums[bad[0]]:.6g} ({len(bad)} rows do not)."
        )
    return probs


def _check_inputs(labels, probs):
    """Validated inputs: labels as int64 codes, probs as a float (n, C) array.

    A float array is checked where it lies (no copy; nothing here or in the
    estimate writes to it); other input is converted to float64.
    """
    probs = check_probs(probs, "probs")
    raw = np.asarray(labels)
    if raw.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {raw.shape}.")
    if len(raw) != len(probs):
        raise ValueError(
            f"labels and probs must have the same number of samples, got "
            f"{len(raw)} and {len(probs)}."
        )
    if raw.dtype.kind == "b" or raw.dtype.kind not in "iuf":
        raise ValueError(
            "labels must be integer class codes 0 .. n_classes - 1 (the column "
            "of probs of each class; encode them, e.g. with LabelEncoder), got "
            f"dtype {raw.dtype}."
        )
    codes = raw.astype(np.int64)
    if raw.dtype.kind == "f" and not np.array_equal(codes, raw):
        raise ValueError("labels must be integer class codes, got fractional values.")
    n_classes = probs.shape[1]
    if codes.min() < 0 or codes.max() >= n_classes:
        raise ValueError(
            f"labels must lie in 0 .. {n_classes - 1} (one column of probs per "
            f"class), got values in [{codes.min()}, {codes.max()}]."
        )
    return codes, probs


def estimate_noise_matrix(labels, probs):
    """Estimate the noise matrix and noise rate of given labels.

    A confident-joint estimate (Northcutt et al., 2021), as cleanlab's
    ``compute_confident_joint`` with ``calibrate=True``: each class ``k``
    gets the threshold ``t_k``, the mean probability of class ``k`` over the
    samples labelled ``k`` (its mean self-confidence); a sample counts as
    truly of class ``j`` when ``probs[:, j] >= t_j`` (the most probable such
    class when several pass; samples where none passes are not counted).
    The counts of (given label, true class) pairs are then scaled so that
    each given class keeps its number of samples, giving the joint
    ``P(given = i, true = j)``; dividing each column by its sum gives the
    noise matrix. Works with any fitted probabilities: out-of-sample ones
    (``cross_val_predict(..., method="predict_proba")``) or the soft labels
    of a correcting fit (``soft_labels_``, which is what the fitted
    ``noise_matrix_`` of :class:`~sknoisy.NoisyLabelClassifier` uses).

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        The given (possibly noisy) labels as integer class codes
        ``0 .. n_classes - 1``: the column of ``probs`` of each class.
    probs : array-like of shape (n_samples, n_classes)
        Fitted class probabilities of the same samples, in [0, 1], each row
        summing to 1 (within 1e-3). Not modified.

    Returns
    -------
    noise_matrix : ndarray of shape (n_classes, n_classes)
        ``noise_matrix[i, j] = P(given = i | true = j)``, cleanlab's
        convention: each column sums to 1. sknoisy's injectors use the
        transpose, the row-stochastic ``T[j, i] = P(noisy = i | true = j)``:
        ``noise_matrix.T``, or
        :func:`~sknoisy.noise.from_cleanlab_noise_matrix`. A class that no
        sample is estimated to truly belong to (for instance a class with no
        given label, whose threshold is undefined and which is therefore
        never counted as a true class) gets the identity column (its labels
        would be kept), never NaN. A given class none of whose samples
        passes any threshold keeps its samples on the diagonal.
    noise_rate : float
        The estimated share of wrong labels, ``P(given != true)``: the
        off-diagonal mass of the noise matrix weighted by the estimated
        true-class prior (``1 - trace`` of the joint).

    See Also
    --------
    sknoisy.noise.from_cleanlab_noise_matrix : to sknoisy's row-stochastic ``T``.
    sknoisy.NoisyLabelClassifier : ``noise_matrix_`` and ``noise_rate_`` after
        a fit with ``label_correction``.

    References
    ----------
    .. [1] C. Northcutt, L. Jiang and I. Chuang, "Confident Learning:
       Estimating Uncertainty in Dataset Labels", JAIR 70, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.noise import estimate_noise_matrix
    >>> true = np.repeat([0, 1], 50)
    >>> given = true.copy()
    >>> given[:10] = 1                       # 10 of the 50 zeros are labelled 1
    >>> probs = np.eye(2)[true] * 0.8 + 0.1  # the model knows the true class
    >>> noise_matrix, noise_rate = estimate_noise_matrix(given, probs)
    >>> noise_matrix.round(2)
    array([[0.8, 0. ],
           [0.2, 1. ]])
    >>> round(noise_rate, 2)
    0.1
    """
    codes, probs = _check_inputs(labels, probs)
    return estimate_from_rows(codes, probs)


#: Values of ``probs`` converted to float64 at a time (8 MiB): the
#: estimate's memory does not grow with the number of samples.
_BLOCK_VALUES = 2**20


def _float64_rows(probs, start, block, normalize):
    """Rows ``start:start + block`` of ``probs`` in float64 (rows summing to 1)."""
    rows = probs[start : start + block].astype(np.float64)
    if normalize:
        rows /= np.maximum(rows.sum(axis=1, keepdims=True), 1e-12)
    return rows


def estimate_from_rows(codes, probs, normalize=False):
    """The confident-joint estimate of validated inputs, block by block.

    ``normalize`` divides each row by its sum first (the running averages of
    a correcting fit). Every value is computed in float64 as if ``probs``
    were converted whole, without holding such a copy.
    """
    return noise_matrix_from_joint(estimate_joint_from_rows(codes, probs, normalize))


def noise_matrix_from_joint(joint):
    """``(noise_matrix, noise_rate)`` of a joint ``P(given = i, true = j)``."""
    c = joint.shape[0]
    prior = joint.sum(axis=0)
    noise_matrix = np.eye(c)
    filled = prior > 0
    noise_matrix[:, filled] = joint[:, filled] / prior[filled]
    noise_rate = float(np.clip(1.0 - np.trace(joint), 0.0, 1.0))
    return noise_matrix, noise_rate


def estimate_joint_from_rows(codes, probs, normalize=False):
    """The calibrated joint ``P(given = i, true = j)`` of validated inputs."""
    n, c = probs.shape
    block = max(1, _BLOCK_VALUES // c)
    counts = np.bincount(codes, minlength=c).astype(np.float64)
    present = counts > 0
    # Per-class threshold: mean self-confidence; absent classes never pass.
    given_p = np.empty(n)
    for start in range(0, n, block):
        rows = _float64_rows(probs, start, block, normalize)
        given_p[start : start + len(rows)] = rows[
            np.arange(len(rows)), codes[start : start + len(rows)]
        ]
    self_conf = np.bincount(codes, weights=given_p, minlength=c)
    thresholds = np.full(c, np.inf)
    thresholds[present] = self_conf[present] / counts[present]
    joint = np.zeros((c, c))
    for start in range(0, n, block):
        rows = _float64_rows(probs, start, block, normalize)
        passes = rows >= thresholds - 1e-6
        n_pass = passes.sum(axis=1)
        guess = np.where(n_pass > 1, rows.argmax(axis=1), passes.argmax(axis=1))
        counted = n_pass > 0
        given = codes[start : start + len(rows)]
        np.add.at(joint, (given[counted], guess[counted]), 1.0)
    # Calibrate: each given class keeps its label count.
    row_sums = joint.sum(axis=1)
    empty_rows = present & (row_sums == 0)
    joint[empty_rows, empty_rows] = 1.0  # nothing passed: labels kept
    row_sums[empty_rows] = 1.0
    scale = np.divide(counts, row_sums, out=np.zeros(c), where=row_sums > 0)
    return joint * scale[:, None] / n
