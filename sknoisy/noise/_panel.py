"""A simulated panel of annotators: one noisy label column per annotator."""

import numbers

import numpy as np

from ..utils._compat import Interval, StrOptions, fit_context
from ._base import BaseNoise, _check_generator, _fill_doc

__all__ = ["AnnotatorPanel"]


def _per_annotator(value, n, name):
    values = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    if values.shape != (n,):  # pragma: no cover - broadcast_to raises first
        raise ValueError(f"{name} must be a float or have one entry per annotator")
    return values


@_fill_doc
class AnnotatorPanel(BaseNoise):
    """Simulate a panel of annotators: ``fit_resample(X, y)`` returns ``(X, A)``.

    Each of ``n_annotators`` annotators labels a random share ``coverage`` of
    the samples; a label is right with probability ``accuracy`` and otherwise
    wrong in the way ``confusion`` says. ``spammers`` of them (the last ones)
    answer uniformly at random. ``A`` has one column per annotator and a
    missing entry (``NaN`` for numeric labels, ``None`` otherwise) where an
    annotator did not label a sample; every sample gets at least
    ``min_votes`` labels. In an :class:`imblearn.pipeline.Pipeline` the panel
    runs at fit only, so ``NoisyLabelClassifier(annotators=True)`` is trained
    on the votes and scored on the given (clean) labels.

    Parameters
    ----------
    n_annotators : int, default=5
        Number of annotators (columns of ``A``), at least 2.
    accuracy : float or array-like of shape (n_annotators,), default=0.7
        Probability that an annotator's label is the given one, per annotator
        or for all, in [0, 1]. Ignored for the spammers.
    coverage : float or array-like of shape (n_annotators,), default=1.0
        Share of the samples each annotator labels, in (0, 1].
    spammers : int, default=0
        Number of annotators (the last ones) who answer uniformly at random
        (accuracy ``1 / n_classes``).
    confusion : {"symmetric", "pair", "random"}, default="symmetric"
        Where a wrong label goes: a uniformly drawn other class
        (``"symmetric"``), the next class in ``classes_`` (``"pair"``), or a
        class drawn from each annotator's own random distribution per true
        class (``"random"``, a flat Dirichlet draw).
    min_votes : int, default=1
        Least number of labels of a sample: samples that drew fewer get
        labels from annotators drawn at random among the others.

    {classes}

    {random_state}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels; the rows and columns of ``confusion_``.
    accuracy_ : ndarray of shape (n_annotators,)
        Realised accuracy of each annotator on the samples it labelled.
    coverage_ : ndarray of shape (n_annotators,)
        Realised share of samples each annotator labelled.
    confusion_ : ndarray of shape (n_annotators, n_classes, n_classes)
        Realised row-stochastic confusion of each annotator:
        ``confusion_[k, i, j]`` is the share of its labels of given class
        ``i`` that are ``j``.
    spammers_ : ndarray of shape (n_annotators,), dtype=bool
        True for the annotators who answer at random.
    noise_rate_ : float
        Share of the votes that differ from the given label.
    n_features_in_ : int
        Number of features of ``X``.

    See Also
    --------
    sknoisy.annotators.dawid_skene : Consensus and annotator confusions.
    sknoisy.NoisyLabelClassifier : With ``annotators=True``, trained on ``A``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.noise import AnnotatorPanel
    >>> X, y = np.zeros((1000, 2)), np.repeat([0, 1, 2, 3], 250)
    >>> panel = AnnotatorPanel(3, accuracy=[0.9, 0.8, 0.7], coverage=0.5,
    ...                        spammers=1, random_state=0)
    >>> X_res, A = panel.fit_resample(X, y)
    >>> A.shape, bool(np.isnan(A).any()), int((~np.isnan(A)).sum(1).min())
    ((1000, 3), True, 1)
    >>> panel.accuracy_.round(1)
    array([0.9, 0.8, 0.3])
    """

    _parameter_constraints: dict = {
        **BaseNoise._parameter_constraints,
        "n_annotators": [Interval(numbers.Integral, 2, None, closed="left")],
        "accuracy": [Interval(numbers.Real, 0, 1, closed="both"), "array-like"],
        "coverage": [Interval(numbers.Real, 0, 1, closed="right"), "array-like"],
        "spammers": [Interval(numbers.Integral, 0, None, closed="left")],
        "confusion": [StrOptions({"symmetric", "pair", "random"})],
        "min_votes": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_annotators=5,
        *,
        accuracy=0.7,
        coverage=1.0,
        spammers=0,
        confusion="symmetric",
        min_votes=1,
        classes=None,
        random_state=None,
    ):
        self.n_annotators = n_annotators
        self.accuracy = accuracy
        self.coverage = coverage
        self.spammers = spammers
        self.confusion = confusion
        self.min_votes = min_votes
        super().__init__(classes=classes, random_state=random_state)

    def _check_panel(self):
        k = self.n_annotators
        accuracy = _per_annotator(self.accuracy, k, "accuracy")
        coverage = _per_annotator(self.coverage, k, "coverage")
        if np.any((accuracy < 0) | (accuracy > 1)):
            raise ValueError(f"accuracy must be in [0, 1], got {self.accuracy!r}.")
        if np.any((coverage <= 0) | (coverage > 1)):
            raise ValueError(f"coverage must be in (0, 1], got {self.coverage!r}.")
        if self.spammers > k:
            raise ValueError(
                f"spammers={self.spammers} exceeds n_annotators={k}; lower spammers."
            )
        if self.min_votes > k:
            raise ValueError(
                f"min_votes={self.min_votes} exceeds n_annotators={k}; lower min_votes."
            )
        return accuracy, coverage

    @fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y):
        """Return ``X`` unchanged and the panel's labels ``A``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples; returned as is.
        y : array-like of shape (n_samples,)
            The given (true) labels, of any type.

        Returns
        -------
        X : array-like
            The ``X`` passed in (same object).
        A : ndarray or pandas.DataFrame of shape (n_samples, n_annotators)
            One column per annotator; float with ``NaN`` for missing entries
            when the labels are numbers, object with ``None`` otherwise. A
            DataFrame (index of ``y``, columns ``annotator_0``...) when ``y``
            is a pandas object.
        """
        Xv, codes, _ = self._validate_inputs(X, y)
        codes = np.asarray(codes, dtype=np.int64)
        votes = self._fit_resample(Xv, codes, _check_generator(self.random_state))
        self._set_attributes(codes, votes)
        return X, self._labels(votes, y)

    def _fit_resample(self, X, y, rng):
        """Votes (n, n_annotators) as class codes, -1 where missing."""
        accuracy, coverage = self._check_panel()
        n, k, c = len(y), self.n_annotators, len(self.classes_)
        labelled = rng.random((n, k)) < coverage[None, :]
        # every sample gets min_votes labels: keep its own, add random others
        priority = labelled + rng.random((n, k))
        top = np.argsort(-priority, axis=1)[:, : self.min_votes]
        labelled[np.arange(n)[:, None], top] = True
        spammers = np.arange(k) >= k - self.spammers
        if self.confusion == "random":  # wrong-answer distributions
            wrong = rng.dirichlet(np.ones(c - 1), size=(k, c))
        votes = np.empty((n, k), dtype=np.int64)
        for j in range(k):
            if spammers[j]:
                votes[:, j] = rng.integers(0, c, n)
                continue
            right = rng.random(n) < accuracy[j]
            if self.confusion == "symmetric":
                other = (y + rng.integers(1, c, n)) % c
            elif self.confusion == "pair":
                other = (y + 1) % c
            else:
                cum = np.cumsum(wrong[j][y], axis=1)
                offset = (rng.random(n)[:, None] > cum).sum(axis=1)
                other = (y + 1 + np.minimum(offset, c - 2)) % c
            votes[:, j] = np.where(right, y, other)
        votes[~labelled] = -1
        self.spammers_ = spammers
        return votes

    def _set_attributes(self, codes, votes):
        n, k = votes.shape
        c = len(self.classes_)
        seen = votes >= 0
        self.coverage_ = seen.mean(axis=0)
        hits = (votes == codes[:, None]) & seen
        self.accuracy_ = hits.sum(axis=0) / np.maximum(seen.sum(axis=0), 1)
        self.noise_rate_ = float(1 - hits.sum() / seen.sum())
        confusion = np.zeros((k, c, c))
        for j in range(k):
            rows = seen[:, j]
            np.add.at(confusion[j], (codes[rows], votes[rows, j]), 1.0)
        totals = confusion.sum(axis=2, keepdims=True)
        self.confusion_ = np.divide(
            confusion, totals, out=np.zeros_like(confusion), where=totals > 0
        )

    def _labels(self, votes, y):
        classes = self.classes_
        if classes.dtype.kind in "iufb":
            A = np.full(votes.shape, np.nan)
        else:
            A = np.full(votes.shape, None, dtype=object)
        seen = votes >= 0
        A[seen] = classes[votes[seen]]
        if type(y).__module__.startswith("pandas"):
            import pandas as pd

            columns = [f"annotator_{j}" for j in range(votes.shape[1])]
            return pd.DataFrame(A, index=y.index, columns=columns)
        return A
