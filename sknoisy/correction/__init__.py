"""Joint optimisation of network and labels (Tanaka et al., CVPR 2018).

:class:`LabelCorrection` owns the label update and :class:`LRAnneal` the
low-rate finish; :class:`~sknoisy.NoisyLabelClassifier` adds both when
``label_correction`` is set. See :ref:`label_correction`.
"""

from ._callbacks import LabelCorrection
from ._schedule import LRAnneal

__all__ = ["LabelCorrection", "LRAnneal"]
