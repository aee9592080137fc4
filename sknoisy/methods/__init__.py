"""Training methods: how a fit turns noisy labels into a training signal.

A training method is a small object with the hooks the estimator calls
(its callbacks, the start of a run's per-sample state, the loss of a training
batch, what follows the training epochs, the fitted attributes it sets).
:class:`~sknoisy.NoisyLabelClassifier` picks one from its parameters through
:func:`get_method`; adding a method is a new module here (whose
``asked_for`` names the parameter setting that asks for it) plus one entry in
``METHODS``. See :ref:`developers`.
"""

from ._base import TrainingMethod
from ._correction import LossCorrection, inflate_noise_matrix
from ._coteaching import CoTeaching
from ._dividemix import DivideMix
from ._elr import EarlyLearningRegularization
from ._joint import JointOptimization
from ._registry import METHODS, get_method, method_class, method_name

__all__ = [
    "METHODS",
    "CoTeaching",
    "DivideMix",
    "EarlyLearningRegularization",
    "JointOptimization",
    "LossCorrection",
    "TrainingMethod",
    "get_method",
    "inflate_noise_matrix",
    "method_class",
    "method_name",
]
