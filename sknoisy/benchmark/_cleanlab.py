"""The optional benchmark method ``"cleanlab"``: cleanlab's ``CleanLearning``.

``CleanLearning`` (Northcutt et al., confident learning) finds label issues
from out-of-fold predicted probabilities, drops them and refits. The
benchmark wraps it around a :class:`~sknoisy.NoisyLabelClassifier` with the
run's settings, so it trains the same network as the other methods. cleanlab
is not a dependency of sknoisy: the method runs only when cleanlab imports.
"""

from __future__ import annotations

import types

import numpy as np

from .._classifier import NoisyLabelClassifier

__all__ = ["CLEANLAB", "MISSING_CLEANLAB", "cleanlab_available", "fit_cleanlab"]

#: Name of the optional method.
CLEANLAB = "cleanlab"
#: Why the method cannot run without the package.
MISSING_CLEANLAB = (
    "method 'cleanlab' needs the cleanlab package, which is not installed "
    "(pip install cleanlab)"
)


def cleanlab_available():
    """Whether the optional method ``"cleanlab"`` can run (cleanlab imports).

    Returns
    -------
    available : bool
        True when ``import cleanlab`` succeeds.
    """
    try:
        import cleanlab  # noqa: F401
    except ImportError:
        return False
    return True


def fit_cleanlab(X, y, seed, params):
    """Fit ``CleanLearning`` around a ``NoisyLabelClassifier`` on ``(X, y)``.

    The labels are encoded as ``0..n_classes - 1`` for cleanlab and decoded
    back. The number of cross-validation folds is 5, or fewer when a class
    has fewer samples (at least 2). NumPy's global random state, which
    CleanLearning seeds, is restored afterwards.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
        Training samples.
    y : ndarray of shape (n_samples,)
        Given (possibly noisy) training labels, of any type.
    seed : int
        Seed of cleanlab's folds and of the classifier (``random_state``).
    params : dict
        Parameters of the wrapped :class:`~sknoisy.NoisyLabelClassifier`
        (``module``, ``max_epochs``, ``device``...).

    Returns
    -------
    fitted : types.SimpleNamespace
        ``classes`` (the labels of the columns of ``predict_proba``, sorted),
        ``predict`` and ``predict_proba`` (callables on new samples), and per
        training sample ``label_quality`` (cleanlab's label quality score),
        ``predicted_label`` (the label of the largest out-of-fold
        probability), ``is_label_issue`` (bool) and ``corrected_label`` (the
        predicted label where cleanlab flags an issue, the given label
        elsewhere).
    """
    from cleanlab.classification import CleanLearning

    classes = np.unique(y)
    y_enc = np.searchsorted(classes, y)
    folds = int(min(5, np.bincount(y_enc).min()))
    state = np.random.get_state()  # CleanLearning seeds NumPy's global generator
    try:
        model = CleanLearning(
            NoisyLabelClassifier(random_state=seed, **params),
            seed=seed,
            cv_n_folds=max(folds, 2),
            # cleanlab's own process pool fails inside joblib's workers.
            find_label_issues_kwargs={"n_jobs": 1},
            verbose=False,
        )
        model.fit(X, y_enc)
    finally:
        np.random.set_state(state)
    issues = model.get_label_issues()
    predicted = classes[issues["predicted_label"].to_numpy()]
    is_issue = issues["is_label_issue"].to_numpy(dtype=bool)
    return types.SimpleNamespace(
        # the refit may have lost a class that cleaning removed entirely
        classes=classes[np.asarray(model.clf.classes_, dtype=np.intp)],
        predict=lambda X_new: classes[model.predict(X_new)],
        predict_proba=model.predict_proba,
        label_quality=issues["label_quality"].to_numpy(dtype=float),
        predicted_label=predicted,
        is_label_issue=is_issue,
        corrected_label=np.where(is_issue, predicted, np.asarray(y)),
    )
