"""find_label_issues: the training labels that are probably wrong."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from ._classifier import NoisyLabelClassifier
from .correction._filter import (
    FILTERS,
    PRUNE_FILTERS,
    RANKINGS,
    check_labels_and_probs,
    filter_issues,
    quality_scores,
    rank_issues,
)
from .correction._issues import issue_mask
from .utils._compat import Interval, StrOptions, validate_params

__all__ = ["find_label_issues"]

#: ``filter_by`` of the probability call when none is given: cleanlab's own
#: default, which no other filter beat in every cell of
#: ``benchmarks/bench_cleanlab_call.py`` (see docs/label_correction.rst).
DEFAULT_FILTER = "prune_by_noise_rate"


@validate_params(
    {
        "X": "no_validation",
        "y": ["array-like", None],
        "labels": ["array-like", None],
        "pred_probs": ["array-like", None],
        "estimator": "no_validation",
        "filter_by": [None, StrOptions(set(FILTERS))],
        "threshold": [None, Interval(Real, 0, 1, closed="both")],
        "frac_noise": [Interval(Real, 0, 1, closed="right")],
        "num_to_remove_per_class": ["array-like", None],
        "min_examples_per_class": [Interval(Integral, 0, None, closed="left")],
        "return_indices_ranked_by": [None, StrOptions({"label_quality", *RANKINGS})],
        "label_correction": [StrOptions({"soft", "hard"})],
        "max_epochs": [None, Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def find_label_issues(
    X=None,
    y=None,
    *,
    labels=None,
    pred_probs=None,
    estimator=None,
    filter_by=None,
    threshold=None,
    frac_noise=1.0,
    num_to_remove_per_class=None,
    min_examples_per_class=1,
    return_indices_ranked_by=None,
    label_correction="soft",
    max_epochs=None,
    random_state=None,
):
    """Find the training labels that are probably wrong.

    Two calls:

    - ``find_label_issues(X, y)`` fits a :class:`~sknoisy.NoisyLabelClassifier`
      with label correction on ``(X, y)`` and flags the samples whose
      corrected label differs from the given one (or whose ``label_quality_``
      is below ``threshold``). The labels are corrected in one fit, without
      cross-validation: each sample's quality is the probability of its given
      label under the network's outputs averaged over the last epochs, which
      the label correction keeps from memorising the noise.
    - ``find_label_issues(labels=labels, pred_probs=pred_probs)``, cleanlab's
      call (``cleanlab.filter.find_label_issues``): no network is trained,
      the issues come from the class probabilities of any model, ideally
      out-of-sample (``cross_val_predict(..., method="predict_proba")``),
      by confident learning (Northcutt et al., 2021). Every ``filter_by`` of
      cleanlab gives the issues cleanlab gives on the same probabilities;
      cleanlab need not be installed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, ...)
        Training data (a pandas DataFrame keeps its index in the estimator's
        ``get_label_issues()``). Not with ``labels``/``pred_probs``.
    y : array-like of shape (n_samples,) or None
        The given labels, possibly noisy; any label type. ``None`` when X is
        a torch ``Dataset`` whose items carry their labels.
    labels : array-like of shape (n_samples,), default=None
        The given labels of the probability call (keyword only); any label
        type: integers ``0 .. n_classes - 1`` are column numbers of
        ``pred_probs`` (as in cleanlab), other labels are encoded by their
        sorted distinct values (as scikit-learn's ``classes_``), the columns
        of ``pred_probs`` being those classes in that order.
    pred_probs : array-like of shape (n_samples, n_classes), default=None
        Class probabilities of the same samples from any model (keyword
        only), in [0, 1], each row summing to 1 (within 1e-3).
    estimator : NoisyLabelClassifier, default=None
        ``X, y`` call: settings to fit with (cloned; ``label_correction`` is
        set). ``None`` uses ``NoisyLabelClassifier()``.
    filter_by : {"prune_by_noise_rate", "prune_by_class", "both", \
            "confident_learning", "predicted_neq_given", \
            "low_normalized_margin", "low_self_confidence"}, default=None
        cleanlab's rule for which samples are issues, on ``pred_probs`` (or,
        in the ``X, y`` call, on the fit's averaged outputs):

        - ``"prune_by_noise_rate"``: for every off-diagonal ``(i, j)`` of
          the calibrated confident joint, its count of the samples labelled
          ``i`` with the largest margin ``p_j - p_i``;
        - ``"prune_by_class"``: for every class, its estimated number of
          wrong labels among its samples, lowest ``p_given`` first;
        - ``"both"``: flagged by both rules above;
        - ``"confident_learning"``: the samples off the diagonal of the
          confident joint (confidently of another class than their label);
        - ``"predicted_neq_given"``: the most probable class is not the
          given label;
        - ``"low_normalized_margin"``, ``"low_self_confidence"``: the
          samples of lowest score, as many as cleanlab's
          ``num_label_issues``.

        All but the last two then keep the labels that are (within 1e-6)
        the most probable class. ``None``: in the probability call
        ``"prune_by_noise_rate"`` (cleanlab's default: measured against the
        other rules, none gave a higher F1 in every cell of the benchmark);
        in the ``X, y`` call the corrected labels (see above).
    threshold : float, default=None
        Flag the samples whose label quality (probability of the given
        label) is below this value instead; not with ``filter_by``.
    frac_noise : float, default=1.0
        Return only this share of the issues: for the prune filters,
        cleanlab's meaning (the pruned counts are scaled by it); otherwise
        those of lowest label quality.
    num_to_remove_per_class : array-like of shape (n_classes,), default=None
        With a prune filter: flag this many samples of each given class
        (exactly with ``"prune_by_class"``; within one of it with
        ``"prune_by_noise_rate"``, as in cleanlab).
    min_examples_per_class : int, default=1
        A class with this many samples or fewer has none flagged by the
        prune filters (with a warning); the prune counts leave at least this
        many samples to each class.
    return_indices_ranked_by : {None, "label_quality", "self_confidence", \
            "normalized_margin", "confidence_weighted_entropy"}, default=None
        ``None`` returns a boolean mask; otherwise the indices of the issues,
        lowest score first. ``"label_quality"`` and ``"self_confidence"``
        are the probability of the given label (``label_quality_`` in the
        ``X, y`` call); ``"normalized_margin"`` is ``(p_given - max p_other
        + 1) / 2``; ``"confidence_weighted_entropy"`` is cleanlab's.
    label_correction : {"soft", "hard"}, default="soft"
        ``X, y`` call: the correction to fit with.
    max_epochs : int, default=None
        ``X, y`` call: epochs of the fit; ``None`` keeps the estimator's.
    random_state : int, RandomState instance or None, default=None
        ``X, y`` call: seed of the fit; ``None`` keeps the estimator's. The
        probability call is deterministic.

    Returns
    -------
    issues : ndarray
        Boolean mask of shape (n_samples,), or the ranked indices.

    Raises
    ------
    TypeError
        For cleanlab's call made positionally, ``find_label_issues(labels,
        pred_probs)``: pass them as keywords.
    ValueError
        When ``X``/``y`` and ``labels``/``pred_probs`` are mixed, and for
        inputs of the wrong shape or range.

    See Also
    --------
    NoisyLabelClassifier.get_label_issues : The full table, with scores.
    label_health_summary : Per-class noise rates and an overall score.

    References
    ----------
    .. [1] C. Northcutt, L. Jiang and I. Chuang, "Confident Learning:
       Estimating Uncertainty in Dataset Labels", JAIR 70, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from sknoisy import find_label_issues
    >>> X, y = make_blobs(200, centers=3, random_state=0)
    >>> y_noisy = y.copy()
    >>> y_noisy[:10] = (y[:10] + 1) % 3
    >>> ranked = find_label_issues(
    ...     X, y_noisy, return_indices_ranked_by="label_quality",
    ...     max_epochs=20, random_state=0,
    ... )
    >>> bool(np.isin(np.arange(10), ranked).mean() >= 0.8)
    True

    cleanlab's call, on out-of-sample probabilities of any model:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_predict
    >>> pred_probs = cross_val_predict(
    ...     LogisticRegression(), X, y_noisy, cv=5, method="predict_proba"
    ... )
    >>> ranked = find_label_issues(
    ...     labels=y_noisy, pred_probs=pred_probs,
    ...     return_indices_ranked_by="self_confidence",
    ... )
    >>> bool(np.isin(np.arange(10), ranked).mean() >= 0.8)
    True
    """
    if labels is not None or pred_probs is not None:
        if X is not None or y is not None:
            raise ValueError(
                "Pass either X and y (a network is fitted) or labels= and "
                "pred_probs= (issues from given probabilities), not both."
            )
        if labels is None or pred_probs is None:
            missing = "labels" if labels is None else "pred_probs"
            raise ValueError(
                f"The probability call needs both labels= and pred_probs=; "
                f"{missing} is missing."
            )
        if estimator is not None or max_epochs is not None:
            raise ValueError(
                "estimator and max_epochs set a fit, but the probability call "
                "(labels=, pred_probs=) fits nothing: leave them out."
            )
        codes, classes, probs = check_labels_and_probs(labels, pred_probs)
        if threshold is None and filter_by is None:
            filter_by = DEFAULT_FILTER
        return _issues_from_probs(
            codes,
            probs,
            classes,
            filter_by,
            threshold,
            frac_noise,
            num_to_remove_per_class,
            min_examples_per_class,
            return_indices_ranked_by,
            quality=None,
        )
    if X is None:
        raise ValueError(
            "find_label_issues needs X and y (a network is fitted), or "
            "labels= and pred_probs= (issues from any model's probabilities)."
        )
    _refuse_positional_cleanlab_call(X, y)
    if estimator is None:
        estimator = NoisyLabelClassifier()
    if not isinstance(estimator, NoisyLabelClassifier):
        raise TypeError(
            f"estimator must be a NoisyLabelClassifier, got {type(estimator).__name__}."
        )
    _check_filter_options(filter_by, threshold, num_to_remove_per_class, None)
    params = {"label_correction": label_correction}
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    if random_state is not None:
        params["random_state"] = random_state
    clf = clone(estimator).set_params(**params).fit(X, y)
    quality = clf.label_quality_
    needs_probs = filter_by is not None or return_indices_ranked_by not in (
        None,
        "label_quality",
        "self_confidence",
    )
    if not needs_probs:
        mask = issue_mask(quality, clf.label_issues_, threshold, frac_noise)
        if return_indices_ranked_by is None:
            return mask
        rows = np.flatnonzero(mask)
        return rows[np.argsort(quality[rows], kind="stable")]
    codes, probs = _fitted_probs(clf)
    if filter_by is None:  # the corrected labels, ranked by another score
        mask = issue_mask(quality, clf.label_issues_, threshold, frac_noise)
        return rank_issues(mask, codes, probs, return_indices_ranked_by)
    return _issues_from_probs(
        codes,
        probs,
        clf.classes_,
        filter_by,
        threshold,
        frac_noise,
        num_to_remove_per_class,
        min_examples_per_class,
        return_indices_ranked_by,
        quality=quality,
    )


def _issues_from_probs(
    codes,
    probs,
    classes,
    filter_by,
    threshold,
    frac_noise,
    num_to_remove_per_class,
    min_examples_per_class,
    rank_by,
    quality,
):
    """The mask or ranked indices of validated probabilities."""
    _check_filter_options(filter_by, threshold, num_to_remove_per_class, probs)
    if quality is None:
        quality = quality_scores(codes, probs)
    if threshold is not None:
        mask = issue_mask(quality, quality < threshold, None, frac_noise)
    else:
        mask = filter_issues(
            codes,
            probs,
            filter_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            classes=classes,
        )
    if rank_by is None:
        return mask
    if rank_by in ("label_quality", "self_confidence"):
        rows = np.flatnonzero(mask)
        return rows[np.argsort(quality[rows])]
    return rank_issues(mask, codes, probs, rank_by)


def _check_filter_options(filter_by, threshold, num_to_remove, probs):
    if threshold is not None and filter_by is not None:
        raise ValueError(
            "threshold and filter_by are two rules for the issues: pass one "
            f"(got threshold={threshold!r}, filter_by={filter_by!r})."
        )
    if num_to_remove is None:
        return
    if filter_by not in PRUNE_FILTERS:
        raise ValueError(
            "num_to_remove_per_class needs filter_by='prune_by_class', "
            f"'prune_by_noise_rate' or 'both', got filter_by={filter_by!r}."
        )
    if probs is None:
        return
    counts = np.asarray(num_to_remove)
    n_classes = probs.shape[1]
    if counts.shape != (n_classes,) or counts.dtype.kind not in "iu":
        raise ValueError(
            "num_to_remove_per_class must hold one non-negative integer per "
            f"class ({n_classes}), got {num_to_remove!r}."
        )
    if counts.min() < 0:
        raise ValueError(
            f"num_to_remove_per_class must be non-negative, got {num_to_remove!r}."
        )


def _refuse_positional_cleanlab_call(X, y):
    """TypeError for ``find_label_issues(labels, pred_probs)`` (cleanlab's order)."""
    if (
        y is None
        or not isinstance(X, (list, tuple, np.ndarray))
        and not hasattr(X, "ndim")
    ):
        return
    if np.ndim(y) == 2 and np.ndim(X) == 1:
        raise TypeError(
            "find_label_issues(X, y) got 1-D X and 2-D y: this looks like "
            "cleanlab's call find_label_issues(labels, pred_probs). Pass them "
            "as keywords: find_label_issues(labels=labels, pred_probs=pred_probs)."
        )


def _fitted_probs(clf):
    """Given-label codes and the averaged outputs (rows summing to 1) of a fit."""
    codes = np.asarray(clf._label_table[0], dtype=np.int64)
    average = clf.label_state_.average.detach().cpu().numpy().astype(np.float64)
    average /= np.maximum(average.sum(axis=1, keepdims=True), 1e-12)
    return codes, average
