"""find_label_issues: the training labels that are probably wrong."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from ._classifier import NoisyLabelClassifier
from .correction._issues import issue_mask
from .utils._compat import Interval, StrOptions, validate_params

__all__ = ["find_label_issues"]


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
    mask = issue_mask(quality, clf.label_issues_, threshold, frac_noise)
    if return_indices_ranked_by is None:
        return mask
    rows = np.flatnonzero(mask)
    return rows[np.argsort(quality[rows], kind="stable")]
