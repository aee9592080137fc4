"""Label issues of a fit: quality scores, the issues table, find_label_issues."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

__all__ = ["find_label_issues"]

ISSUE_COLUMNS = (
    "is_label_issue",
    "label_quality",
    "given_label",
    "predicted_label",
    "corrected_label",
)


def _sample_index(X, y):
    """The index of the caller's samples: X's, else y's (pandas), else None."""
    for data in (X, y):
        index = getattr(data, "index", None)
        if index is not None and not callable(index) and len(index) == len(data):
            return index.copy()
    return None


def _issue_mask(quality, corrected_issue, threshold, frac_noise):
    """Which samples are issues, from the quality and the corrected labels."""
    if threshold is None:
        mask = np.asarray(corrected_issue, dtype=bool).copy()
    else:
        mask = np.asarray(quality) < threshold
    if frac_noise < 1.0 and mask.any():
        # keep the lowest-quality ``frac_noise`` share of the issues
        rows = np.flatnonzero(mask)
        keep = int(round(frac_noise * len(rows)))
        order = rows[np.argsort(quality[rows], kind="stable")]
        mask = np.zeros_like(mask)
        mask[order[:keep]] = True
    return mask


class _LabelIssuesMixin:
    """``label_quality_`` and ``get_label_issues`` of NoisyLabelClassifier."""

    def get_label_issues(self, *, threshold=None, frac_noise=1.0, sort=False):
        """Table of the training labels and what the model believes of them.

        Available after ``fit`` with ``label_correction``. One row per training
        sample, indexed like the ``X`` (or, failing that, the ``y``) passed to
        ``fit`` when it was a pandas object, else ``0..n-1``. The columns
        follow cleanlab's ``CleanLearning.get_label_issues()``:

        - ``is_label_issue``: the sample's label is probably wrong (by default
          its corrected label differs from the given one);
        - ``label_quality``: ``label_quality_``, in [0, 1], low for labels
          the model doubts;
        - ``given_label``: the label passed to ``fit``;
        - ``predicted_label``: the network's prediction for the sample in the
          last training epoch;
        - ``corrected_label``: ``corrected_labels_``.

        Parameters
        ----------
        threshold : float, default=None
            Flag the samples whose ``label_quality`` is below ``threshold``
            instead of those whose corrected label differs from the given one.
        frac_noise : float, default=1.0
            Keep only this share of the flagged samples, those of lowest
            quality (as cleanlab's ``frac_noise``).
        sort : bool, default=False
            Sort the rows by ``label_quality``, lowest (most suspicious) first.

        Returns
        -------
        issues : pandas.DataFrame of shape (n_samples, 5)
            Needs pandas.

        Examples
        --------
        >>> import numpy as np
        >>> from sknoisy import NoisyLabelClassifier
        >>> from sklearn.datasets import make_blobs
        >>> X, y = make_blobs(200, centers=3, random_state=0)
        >>> y_noisy = y.copy()
        >>> y_noisy[:10] = (y[:10] + 1) % 3
        >>> clf = NoisyLabelClassifier(
        ...     label_correction="soft", max_epochs=20, random_state=0
        ... ).fit(X, y_noisy)
        >>> issues = clf.get_label_issues(sort=True)
        >>> list(issues.columns)  # doctest: +NORMALIZE_WHITESPACE
        ['is_label_issue', 'label_quality', 'given_label',
         'predicted_label', 'corrected_label']
        >>> bool(issues["label_quality"].is_monotonic_increasing)
        True
        """
        _check_issue_options(threshold, frac_noise)
        check_is_fitted(self, "label_quality_")
        import pandas as pd

        mask = _issue_mask(
            self.label_quality_, self.label_issues_, threshold, frac_noise
        )
        table = pd.DataFrame(
            {
                "is_label_issue": mask,
                "label_quality": self.label_quality_,
                "given_label": self._decode(self._given_codes),
                "predicted_label": self.predicted_labels_,
                "corrected_label": self.corrected_labels_,
            },
            index=self._label_index,
        )
        if sort:
            table = table.sort_values("label_quality", kind="stable")
        return table

    def _set_issue_attributes(self, state, y_enc, X, y):
        self.label_quality_ = state.label_quality().cpu().numpy().astype(np.float64)
        self.predicted_labels_ = self._decode(state.predicted.cpu().numpy())
        self._given_codes = np.asarray(y_enc).copy()
        self._label_index = _sample_index(X, y)


def _check_issue_options(threshold, frac_noise):
    if threshold is not None and not (
        isinstance(threshold, Real) and 0.0 <= threshold <= 1.0
    ):
        raise ValueError(f"threshold must be None or in [0, 1], got {threshold!r}.")
    if not (isinstance(frac_noise, Real) and 0.0 < frac_noise <= 1.0):
        raise ValueError(f"frac_noise must be in (0, 1], got {frac_noise!r}.")


@validate_params(
    {
        "X": "no_validation",
        "y": ["array-like", None],
        "estimator": "no_validation",
        "threshold": [None, Interval(Real, 0, 1, closed="both")],
        "frac_noise": [Interval(Real, 0, 1, closed="right")],
        "return_indices_ranked_by": [None, StrOptions({"label_quality"})],
        "label_correction": [StrOptions({"soft", "hard"})],
        "max_epochs": [None, Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def find_label_issues(
    X,
    y=None,
    *,
    estimator=None,
    threshold=None,
    frac_noise=1.0,
    return_indices_ranked_by=None,
    label_correction="soft",
    max_epochs=None,
    random_state=None,
):
    """Find the training labels that are probably wrong.

    Fits a :class:`~sknoisy.NoisyLabelClassifier` with label correction on
    ``(X, y)`` and flags the samples whose corrected label differs from the
    given one (or whose ``label_quality_`` is below ``threshold``), in the
    spirit of ``cleanlab.filter.find_label_issues``. The labels are corrected
    in one fit, without cross-validation: each sample's quality is the
    probability of its given label under the network's outputs averaged over
    the last epochs, which the label correction keeps from memorising the
    noise.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, ...)
        Training data (a pandas DataFrame keeps its index in the estimator's
        ``get_label_issues()``).
    y : array-like of shape (n_samples,) or None
        The given labels, possibly noisy; any label type. ``None`` when X is
        a torch ``Dataset`` whose items carry their labels.
    estimator : NoisyLabelClassifier, default=None
        Settings to fit with (cloned; ``label_correction`` is set).
        ``None`` uses ``NoisyLabelClassifier()``.
    threshold : float, default=None
        Flag samples whose label quality is below this value instead of
        those whose corrected label differs from the given one.
    frac_noise : float, default=1.0
        Return only this share of the flagged samples, those of lowest
        quality.
    return_indices_ranked_by : {None, "label_quality"}, default=None
        ``None`` returns a boolean mask; ``"label_quality"`` returns the
        indices of the flagged samples, lowest quality first.
    label_correction : {"soft", "hard"}, default="soft"
        The correction to fit with.
    max_epochs : int, default=None
        Epochs of the fit; ``None`` keeps the estimator's.
    random_state : int, RandomState instance or None, default=None
        Seed of the fit; ``None`` keeps the estimator's.

    Returns
    -------
    issues : ndarray
        Boolean mask of shape (n_samples,), or the ranked indices.

    See Also
    --------
    NoisyLabelClassifier.get_label_issues : The full table, with scores.

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
    """
    from .._classifier import NoisyLabelClassifier

    if estimator is None:
        estimator = NoisyLabelClassifier()
    if not isinstance(estimator, NoisyLabelClassifier):
        raise TypeError(
            f"estimator must be a NoisyLabelClassifier, got {type(estimator).__name__}."
        )
    params = {"label_correction": label_correction}
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    if random_state is not None:
        params["random_state"] = random_state
    clf = clone(estimator).set_params(**params).fit(X, y)
    quality = clf.label_quality_
    mask = _issue_mask(quality, clf.label_issues_, threshold, frac_noise)
    if return_indices_ranked_by is None:
        return mask
    rows = np.flatnonzero(mask)
    return rows[np.argsort(quality[rows], kind="stable")]
