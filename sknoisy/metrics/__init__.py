"""Calibration metrics of predicted probabilities, and the reliability diagram.

Accuracy says how often the predicted class is right; calibration says whether
the predicted probabilities can be trusted: of the predictions made with
confidence 0.8, about 80% should be right. Label smoothing (Müller et al.,
2019) and label noise both change it. Every function takes the true labels
(any label type) and a ``predict_proba`` output, with ``labels`` naming the
class of each column (``clf.classes_``).
"""

from ._calibration import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_curve,
)
from ._plot import plot_reliability_diagram

__all__ = [
    "expected_calibration_error",
    "negative_log_likelihood",
    "brier_score",
    "reliability_curve",
    "plot_reliability_diagram",
]
