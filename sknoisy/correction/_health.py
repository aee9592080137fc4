"""label_health_summary: per-class label noise and an overall score."""

from __future__ import annotations

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..noise._estimate import estimate_joint_from_rows, noise_matrix_from_joint
from ._filter import check_labels_and_probs

__all__ = ["LabelHealthSummary", "label_health_summary"]

CLASS_COLUMNS = (
    "class",
    "n_samples",
    "label_noise",
    "inverse_label_noise",
    "label_issues",
    "inverse_label_issues",
    "most_confused_class",
    "most_confused_share",
    "label_quality",
    "mean_sample_quality",
)


class LabelHealthSummary:
    """The label health of a data set (see :func:`label_health_summary`).

    ``print(summary)`` shows it as text. The keys of cleanlab's
    ``health_summary`` dict are also items: ``summary["joint"]``,
    ``summary["classes_by_label_quality"]``, ``summary["overlapping_classes"]``
    and ``summary["overall_label_health_score"]``.

    Attributes
    ----------
    classes : pandas.DataFrame
        One row per class, lowest ``label_quality`` first: ``class``,
        ``n_samples`` (samples given that label), ``label_noise`` (estimated
        share of them that are wrong, ``P(true != k | given = k)``),
        ``inverse_label_noise`` (``P(given != k | true = k)``),
        ``label_issues`` and ``inverse_label_issues`` (the same as counts),
        ``most_confused_class`` (the true class that the wrong labels of the
        class most often belong to; None when it has none) and
        ``most_confused_share`` (the share of the class's labels that belong
        to it), ``label_quality`` (``1 - label_noise``) and
        ``mean_sample_quality`` (the mean probability of the given label over
        the class's samples).
    overlapping_classes : pandas.DataFrame
        One row per pair of classes, most confused first: ``class_a``,
        ``class_b``, ``n_overlapping`` (estimated samples of one given the
        other's label, both ways) and ``joint_probability``.
    overall_label_health_score : float
        ``1 - noise_rate``: the estimated share of correct labels.
    noise_rate : float
        The estimated share of wrong labels.
    noise_matrix : ndarray of shape (n_classes, n_classes)
        ``P(given = i | true = j)`` (columns sum to 1), cleanlab's convention.
    joint : ndarray of shape (n_classes, n_classes)
        ``P(given = i, true = j)``.
    n_samples : int
        Number of samples.
    """

    def __init__(self, classes, overlapping_classes, joint, noise_matrix, n_samples):
        self.classes = classes
        self.overlapping_classes = overlapping_classes
        self.joint = joint
        self.noise_matrix = noise_matrix
        self.noise_rate = float(np.clip(1.0 - np.trace(joint), 0.0, 1.0))
        self.overall_label_health_score = 1.0 - self.noise_rate
        self.n_samples = int(n_samples)

    _CLEANLAB_KEYS = {
        "overall_label_health_score": "overall_label_health_score",
        "joint": "joint",
        "classes_by_label_quality": "classes",
        "overlapping_classes": "overlapping_classes",
    }

    def __getitem__(self, key):
        if key not in self._CLEANLAB_KEYS:
            raise KeyError(
                f"{key!r}; the items are {sorted(self._CLEANLAB_KEYS)} "
                "(cleanlab's health_summary keys)."
            )
        return getattr(self, self._CLEANLAB_KEYS[key])

    def keys(self):
        return list(self._CLEANLAB_KEYS)

    def to_string(self, max_pairs=10):
        """The summary as text, with the ``max_pairs`` most overlapping pairs."""
        n_wrong = int(round(self.noise_rate * self.n_samples))
        pairs = self.overlapping_classes.head(max_pairs)
        pairs = pairs[pairs["n_overlapping"] > 0]
        fmt = "{:.3f}".format
        lines = [
            f"Label health of {self.n_samples:,} samples in "
            f"{len(self.classes)} classes",
            f"Overall label health score: {self.overall_label_health_score:.3f} "
            f"(about {self.noise_rate:.{0 if self.noise_rate >= 0.1 else 1}%} of "
            f"the labels, {n_wrong:,} samples, "
            "look wrong)",
            "",
            "Classes, lowest label quality first:",
            self.classes.to_string(index=False, float_format=fmt),
            "",
        ]
        if len(pairs):
            lines += [
                "Most overlapping class pairs (merge them, or tell them apart "
                "more clearly):",
                pairs.to_string(index=False, float_format=fmt),
            ]
        else:
            lines.append("No pair of classes overlaps.")
        return "\n".join(lines)

    def __str__(self):
        return self.to_string()

    def __repr__(self):
        return (
            f"LabelHealthSummary(n_samples={self.n_samples}, "
            f"n_classes={len(self.classes)}, "
            f"overall_label_health_score={self.overall_label_health_score:.3f})"
        )


def label_health_summary(
    estimator=None, *, labels=None, pred_probs=None, class_names=None
):
    """Summarise how noisy the labels of a data set are, class by class.

    cleanlab's ``health_summary``, built on sknoisy's confident-joint
    estimate of the noise (:func:`sknoisy.noise.estimate_noise_matrix`):
    the joint distribution ``P(given = i, true = j)`` of the given labels and
    the estimated true classes gives, per class, the share of its labels that
    are wrong and the class they should most often have been; per pair of
    classes, how often they are mixed up; overall, the share of correct
    labels, ``1 - noise_rate``.

    Parameters
    ----------
    estimator : NoisyLabelClassifier, default=None
        Fitted with ``label_correction``: the estimate behind its
        ``noise_matrix_`` and ``noise_rate_`` (the given labels against the
        averaged outputs of the fit), its ``label_quality_`` and
        ``classes_``. Not with ``labels``/``pred_probs``.
    labels : array-like of shape (n_samples,), default=None
        Given labels, as in :func:`sknoisy.find_label_issues`'s probability
        call (integers ``0 .. n_classes - 1``, or any labels whose sorted
        distinct values are the classes of the columns of ``pred_probs``).
    pred_probs : array-like of shape (n_samples, n_classes), default=None
        Class probabilities of any model, ideally out-of-sample.
    class_names : array-like of shape (n_classes,), default=None
        Names to show for the classes; ``None`` uses the labels (the
        estimator's ``classes_``).

    Returns
    -------
    summary : LabelHealthSummary
        ``classes`` and ``overlapping_classes`` (pandas DataFrames),
        ``overall_label_health_score``, ``noise_rate``, ``noise_matrix``
        and ``joint``; ``print(summary)`` shows them.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        For an estimator not fitted, or fitted without ``label_correction``.
    ValueError
        For neither or both of ``estimator`` and ``labels``/``pred_probs``,
        and for inputs of the wrong shape or range.

    See Also
    --------
    find_label_issues : The samples whose labels look wrong.
    sknoisy.noise.estimate_noise_matrix : The noise matrix alone.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy import label_health_summary
    >>> true = np.repeat([0, 1], 50)
    >>> given = true.copy()
    >>> given[:10] = 1                       # 10 of the 50 zeros are labelled 1
    >>> probs = np.eye(2)[true] * 0.8 + 0.1  # the model knows the true class
    >>> summary = label_health_summary(
    ...     labels=given, pred_probs=probs, class_names=["cat", "dog"]
    ... )
    >>> round(summary.overall_label_health_score, 2)
    0.9
    >>> summary.classes[["class", "n_samples", "label_noise",
    ...                  "most_confused_class"]].round(3)
      class  n_samples  label_noise most_confused_class
    0   dog         60        0.167                 cat
    1   cat         40        0.000                None
    """
    import pandas as pd

    from_probs = labels is not None or pred_probs is not None
    if estimator is not None and from_probs:
        raise ValueError(
            "Pass either a fitted estimator or labels= and pred_probs=, not both."
        )
    if estimator is None:
        if labels is None or pred_probs is None:
            raise ValueError(
                "label_health_summary needs a fitted estimator, or both labels= "
                "and pred_probs=."
            )
        codes, classes, probs = check_labels_and_probs(labels, pred_probs)
        joint = estimate_joint_from_rows(codes, probs)
        quality = probs[np.arange(len(codes)), codes]
    else:
        codes, classes, joint, quality = _from_estimator(estimator)
    n_classes = joint.shape[0]
    names = classes if class_names is None else np.asarray(class_names)
    if names.shape != (n_classes,):
        raise ValueError(
            f"class_names must name the {n_classes} classes, got "
            f"{len(names) if names.ndim == 1 else names.shape}."
        )
    names = names.tolist()
    noise_matrix, _ = noise_matrix_from_joint(joint)
    n = len(codes)
    counts = np.bincount(codes, minlength=n_classes)
    given_p, true_p, diagonal = joint.sum(axis=1), joint.sum(axis=0), np.diag(joint)
    noise = np.divide(
        given_p - diagonal, given_p, out=np.zeros(n_classes), where=given_p > 0
    )
    inverse = np.divide(
        true_p - diagonal, true_p, out=np.zeros(n_classes), where=true_p > 0
    )
    off = joint - np.diag(diagonal)
    confused = off.argmax(axis=1)
    confused_mass = off[np.arange(n_classes), confused]
    share = np.divide(
        confused_mass, given_p, out=np.zeros(n_classes), where=given_p > 0
    )
    mean_quality = np.divide(
        np.bincount(codes, weights=quality, minlength=n_classes),
        counts,
        out=np.full(n_classes, np.nan),
        where=counts > 0,
    )
    table = pd.DataFrame(
        {
            "class": names,
            "n_samples": counts,
            "label_noise": noise,
            "inverse_label_noise": inverse,
            "label_issues": np.rint((given_p - diagonal) * n).astype(int),
            "inverse_label_issues": np.rint((true_p - diagonal) * n).astype(int),
            "most_confused_class": pd.Series(
                [names[j] if m > 0 else None for j, m in zip(confused, confused_mass)],
                dtype=object,
            ),
            "most_confused_share": share,
            "label_quality": 1.0 - noise,
            "mean_sample_quality": mean_quality,
        }
    )
    table = table.sort_values("label_quality", kind="stable").reset_index(drop=True)
    a, b = np.triu_indices(n_classes, k=1)
    both_ways = joint[a, b] + joint[b, a]
    pairs = pd.DataFrame(
        {
            "class_a": [names[i] for i in a],
            "class_b": [names[j] for j in b],
            "n_overlapping": np.rint(both_ways * n).astype(int),
            "joint_probability": both_ways,
        }
    )
    pairs = pairs.sort_values("joint_probability", ascending=False, kind="stable")
    return LabelHealthSummary(
        table, pairs.reset_index(drop=True), joint, noise_matrix, n
    )


def _from_estimator(estimator):
    """Codes, classes, joint and per-sample quality of a correcting fit."""
    check_is_fitted(estimator)
    state = getattr(estimator, "label_state_", None)
    table = getattr(estimator, "_label_table", None)
    if table is None or state is None or not hasattr(estimator, "noise_matrix_"):
        raise NotFittedError(
            "label_health_summary needs an estimator fitted with "
            "label_correction='soft' or 'hard' (its noise_matrix_); this "
            f"{type(estimator).__name__} was fitted with label_correction="
            f"{getattr(estimator, 'label_correction', None)!r}. Refit with "
            "label_correction='soft', or pass labels= and pred_probs=."
        )
    codes = np.asarray(table[0], dtype=np.int64)
    average = state.average.detach().cpu().numpy()
    # the estimate of noise_matrix_ (correction/_issues.py fitted_noise_matrix)
    joint = estimate_joint_from_rows(codes, average, normalize=True)
    return codes, np.asarray(estimator.classes_), joint, estimator.label_quality_
