"""Joint optimisation of network and labels (Tanaka et al., CVPR 2018).

:class:`LabelState` holds the per-sample labels of a fit (the estimator's
criterion ``label_state_``), :class:`LabelCorrection` owns the label update
and :class:`LRAnneal` the low-rate finish; :class:`~sknoisy.NoisyLabelClassifier`
adds them when ``label_correction`` is set. :func:`run_plan` and
:func:`window_weight` are the schedule and the running average they use.
See :ref:`label_correction`.
"""

from ._callbacks import LabelCorrection
from ._schedule import LRAnneal, run_plan
from ._state import LabelState, window_weight

__all__ = [
    "LabelCorrection",
    "LRAnneal",
    "LabelState",
    "run_plan",
    "window_weight",
]
