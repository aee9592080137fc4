"""Label issues from any model's probabilities: cleanlab's filters and scores.

The confident-learning filters of ``cleanlab.filter.find_label_issues``
(Northcutt et al., 2021) and the label-quality scores of ``cleanlab.rank``,
written on NumPy alone (cleanlab is not needed) and computed as cleanlab 2.9
computes them, integer rounding of the confident joint included, so that the
same probabilities give the same issues.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np

from ..noise._estimate import check_probs

__all__ = [
    "FILTERS",
    "RANKINGS",
    "check_labels_and_probs",
    "confident_joint",
    "filter_issues",
    "quality_scores",
    "rank_issues",
]

#: cleanlab's ``filter_by`` options.
FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
#: Filters that count issues from the pruned confident joint (the others do
#: not take ``num_to_remove_per_class``).
PRUNE_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both")
#: cleanlab's label-quality scores (``return_indices_ranked_by``).
RANKINGS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")

_FUZZ = 1e-6  # cleanlab's FLOATING_POINT_COMPARISON
_THRESHOLD_FLOOR = 2e-6  # cleanlab's CONFIDENT_THRESHOLDS_LOWER_BOUND


def check_labels_and_probs(labels, pred_probs):
    """Validated inputs: ``(codes, classes, probs)``.

    ``labels`` of any type are encoded as scikit-learn does, by their sorted
    unique values, the columns of ``pred_probs`` being the classes in that
    order. Integer labels within ``0 .. n_classes - 1`` are taken as the
    column numbers themselves, as cleanlab does, so a class may have no
    label. ``probs`` is float64.
    """
    probs = check_probs(pred_probs, "pred_probs").astype(np.float64, copy=False)
    raw = np.asarray(labels)
    if raw.ndim != 1:
        raise ValueError(
            f"labels must be 1-D (one given label per sample), got shape {raw.shape}."
        )
    n, c = probs.shape
    if len(raw) != n:
        raise ValueError(
            f"labels and pred_probs must have the same number of samples, got "
            f"{len(raw)} labels and {n} rows of pred_probs."
        )
    if raw.dtype == object and all(isinstance(v, Integral) for v in raw):
        raw = raw.astype(np.int64)
    if raw.dtype.kind in "iu" and raw.min() >= 0 and raw.max() < c:
        return raw.astype(np.int64), np.arange(c), probs
    try:
        classes, codes = np.unique(raw, return_inverse=True)
    except TypeError:
        raise ValueError(
            "labels must be of one type that sorts (numbers or strings), got "
            f"{sorted({type(v).__name__ for v in raw})}."
        ) from None
    if len(classes) != c:
        raise ValueError(
            f"labels have {len(classes)} distinct values but pred_probs has {c} "
            "columns: pass labels as column numbers 0 .. n_classes - 1, or "
            "labels whose sorted distinct values are the classes of the columns "
            f"(found {classes[:10].tolist()}{' ...' if len(classes) > 10 else ''})."
        )
    return codes.astype(np.int64).ravel(), classes, probs


def quality_scores(codes, probs, method="self_confidence"):
    """cleanlab's label-quality score of every sample (lower: likelier wrong).

    ``"self_confidence"``: the probability of the given label;
    ``"normalized_margin"``: ``(p_given - max p_other + 1) / 2``;
    ``"confidence_weighted_entropy"``: ``log(1 + h / s) / (h / s)`` with the
    normalized entropy ``h`` of the row and the self-confidence ``s``.
    """
    rows = np.arange(len(codes))
    self_conf = probs[rows, codes]
    if method == "self_confidence":
        return self_conf
    if method == "normalized_margin":
        others = probs.copy()
        others[rows, codes] = -np.inf
        return (self_conf - others.max(axis=1) + 1.0) / 2.0
    if method == "confidence_weighted_entropy":
        clipped = np.clip(probs, 1e-6, None)  # cleanlab's entropy
        entropy = -np.sum(clipped * np.log(clipped), axis=1) / np.log(probs.shape[1])
        ratio = entropy / np.clip(self_conf, 1e-6, None)
        return np.log(ratio + 1.0) / np.clip(ratio, 1e-6, None)
    raise ValueError(f"unknown score {method!r}; choose one of {RANKINGS}.")


def rank_issues(mask, codes, probs, method):
    """Indices of the flagged samples, lowest ``method`` score first."""
    rows = np.flatnonzero(mask)
    scores = quality_scores(codes, probs, method)[rows]
    return rows[np.argsort(scores)]


def _round_preserving_sum(values):
    """Round to integers keeping the (rounded) sum, as cleanlab does."""
    floats = np.asarray(values, dtype=float)
    ints = floats.round()
    target = np.sum(floats).round()
    total = np.sum(ints).round()
    while abs(total - target) > _FUZZ:
        diff = np.round(target - total)
        step = -1 if diff < 0.0 else 1
        changes = min(int(abs(diff)), len(floats))
        for i in np.argsort(floats - ints)[::-step][:changes]:
            ints[i] += step
        total = np.sum(ints).round()
    return ints.astype(int)


def _round_rows(matrix):
    return np.array([_round_preserving_sum(row) for row in matrix], dtype=int)


def confident_joint(codes, probs, calibrate=True):
    """cleanlab's confident joint and the samples off its diagonal.

    Returns
    -------
    joint : ndarray of shape (n_classes, n_classes), int
        ``joint[i, j]``: samples given label ``i`` counted as truly ``j``
        (each diagonal entry at least 1); with ``calibrate`` each row is
        scaled to the count of its given label and rounded.
    off_diagonal : ndarray of int
        The counted samples whose true-class guess differs from the given label.
    """
    n, c = probs.shape
    counts = np.bincount(codes, minlength=c)
    sums = np.bincount(codes, weights=probs[np.arange(n), codes], minlength=c)
    thresholds = np.full(c, 2.0)  # a class without labels is never counted
    present = counts > 0
    thresholds[present] = sums[present] / counts[present]
    thresholds = np.clip(thresholds, _THRESHOLD_FLOOR, None)
    passes = probs >= thresholds - _FUZZ
    n_pass = passes.sum(axis=1)
    guess = np.where(n_pass > 1, probs.argmax(axis=1), passes.argmax(axis=1))
    counted = n_pass > 0
    # Counted as (true, given) and transposed, as cleanlab's confusion matrix
    # is: the calibration then sums in the same order (see calibrate_joint).
    joint = np.zeros((c, c), dtype=np.int64)
    np.add.at(joint, (guess[counted], codes[counted]), 1)
    joint = joint.T
    np.fill_diagonal(joint, np.maximum(joint.diagonal(), 1))
    off_diagonal = np.flatnonzero(counted)[guess[counted] != codes[counted]]
    if calibrate:
        joint = calibrate_joint(joint, counts)
    return joint, off_diagonal


def calibrate_joint(joint, counts):
    """Rows scaled to the given-label counts, rounded keeping row totals."""
    # Same operations on the same memory layout as cleanlab (the transposed
    # view sums in another order): the rounding breaks ties identically.
    scaled = (joint.T / np.clip(joint.sum(axis=1), 1e-100, None) * counts).T
    scaled = scaled / np.clip(np.sum(scaled), 1e-100, None) * sum(counts)
    return _round_rows(scaled)


def _prune_counts(joint, min_examples, frac_noise):
    """cleanlab's prune-count matrix: ``[j, k]`` issues to take from label ``k``.

    The transposed joint, each diagonal raised to ``min_examples`` (taken
    evenly from its column's other entries), the off-diagonals scaled by
    ``frac_noise`` (the diagonal keeping the column totals).
    """
    matrix = joint.T.astype(float)
    diagonal = matrix.diagonal()
    new_diagonal = np.maximum(diagonal, min_examples)
    spread = np.maximum(np.count_nonzero(matrix, axis=0) - 1.0, 1.0)
    matrix = matrix - (new_diagonal - diagonal) / spread
    matrix[matrix < 0] = 0
    np.fill_diagonal(matrix, new_diagonal)
    reduced = matrix * frac_noise
    np.fill_diagonal(reduced, matrix.diagonal())
    np.fill_diagonal(reduced, matrix.diagonal() + np.sum(matrix - reduced, axis=0))
    return _round_rows(reduced.astype(int))


def _per_class_removals(prune, counts, num_to_remove):
    """The prune counts rescaled so that class ``k`` loses ``num_to_remove[k]``."""
    num_to_remove = np.asarray(num_to_remove, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = prune / np.sum(prune, axis=1)  # cleanlab's broadcasting
        noise = share.sum(axis=1) - share.diagonal()
        scaled = (share.T * np.where(noise > 0, num_to_remove / noise, 0.0)).T
    scaled = np.nan_to_num(scaled)
    np.fill_diagonal(scaled, counts - num_to_remove)
    return _round_rows(scaled)


def _too_few(class_name):
    warnings.warn(
        f"Class {class_name!r} has too few samples to flag any "
        "(min_examples_per_class): its labels are kept.",
        UserWarning,
        stacklevel=5,
    )


def _judged_classes(codes, n_classes, min_examples, classes):
    """``(k, members)`` of every class with more than ``min_examples`` samples.

    A class with samples but too few of them is warned about and skipped.
    """
    for k in range(n_classes):
        members = np.flatnonzero(codes == k)
        if len(members) > min_examples:
            yield k, members
        elif len(members):
            _too_few(np.asarray(classes)[k].tolist())


def _prune_by_class(codes, probs, prune, min_examples, classes):
    mask = np.zeros(len(codes), dtype=bool)
    for k, members in _judged_classes(codes, probs.shape[1], min_examples, classes):
        n_issues = len(members) - prune[k, k]
        if n_issues >= 1:
            order = np.argsort(probs[members, k])
            mask[members[order[:n_issues]]] = True
    return mask


def _prune_by_noise_rate(codes, probs, prune, min_examples, classes):
    mask = np.zeros(len(codes), dtype=bool)
    for k, members in _judged_classes(codes, probs.shape[1], min_examples, classes):
        class_mask = np.zeros(len(members), dtype=bool)
        rows = probs[members]
        for j in range(probs.shape[1]):
            n_prune = prune[j, k]
            if j != k and n_prune > 0:
                order = np.argsort(-(rows[:, j] - rows[:, k]))
                class_mask[order[:n_prune]] = True
        mask[members] = class_mask
    return mask


def _agrees_with_prediction(codes, probs):
    """Samples whose given label is (within 1e-6) the most probable class."""
    bumped = probs.copy()
    bumped[np.arange(len(codes)), codes] += _FUZZ
    return bumped.argmax(axis=1) == codes


def count_issues(codes, probs):
    """cleanlab's ``num_label_issues``: confident off-diagonal samples not
    predicted as their given label."""
    _, off = confident_joint(codes, probs, calibrate=False)
    mask = np.zeros(len(codes), dtype=bool)
    mask[off] = True
    mask[_agrees_with_prediction(codes, probs)] = False
    return int(mask.sum())


def filter_issues(
    codes,
    probs,
    filter_by,
    *,
    frac_noise=1.0,
    num_to_remove_per_class=None,
    min_examples_per_class=1,
    classes=None,
):
    """Boolean mask of the label issues of validated inputs (cleanlab's filters).

    See :func:`sknoisy.find_label_issues` for ``filter_by``; ``frac_noise``
    scales the pruned counts of the prune filters (cleanlab's meaning) and
    keeps the lowest self-confidence share of the others' issues.
    """
    n, c = probs.shape
    classes = np.arange(c) if classes is None else classes
    counts = np.bincount(codes, minlength=c)
    if filter_by in ("low_normalized_margin", "low_self_confidence"):
        scores = quality_scores(codes, probs, filter_by[4:])
        mask = np.zeros(n, dtype=bool)
        mask[np.argsort(scores)[: count_issues(codes, probs)]] = True
    elif filter_by == "predicted_neq_given":
        mask = probs.argmax(axis=1) != codes
    elif filter_by == "confident_learning":
        mask = np.zeros(n, dtype=bool)
        mask[confident_joint(codes, probs, calibrate=False)[1]] = True
    elif filter_by in PRUNE_FILTERS:
        joint, _ = confident_joint(codes, probs)
        prune = _prune_counts(joint, min_examples_per_class, frac_noise)
        if num_to_remove_per_class is not None:
            prune = _per_class_removals(prune, counts, num_to_remove_per_class)
        args = (codes, probs, prune, min_examples_per_class, classes)
        if filter_by == "prune_by_class":
            mask = _prune_by_class(*args)
        elif filter_by == "prune_by_noise_rate":
            mask = _prune_by_noise_rate(*args)
        else:
            mask = _prune_by_class(*args) & _prune_by_noise_rate(*args)
    else:
        raise ValueError(f"unknown filter_by {filter_by!r}; choose one of {FILTERS}.")
    if filter_by not in ("low_normalized_margin", "low_self_confidence"):
        mask[_agrees_with_prediction(codes, probs)] = False
    if filter_by not in PRUNE_FILTERS and frac_noise < 1.0 and mask.any():
        rows = np.flatnonzero(mask)
        keep = int(round(frac_noise * len(rows)))
        order = rows[np.argsort(quality_scores(codes, probs)[rows], kind="stable")]
        mask = np.zeros(n, dtype=bool)
        mask[order[:keep]] = True
    return mask
