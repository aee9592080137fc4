"""Which training method a set of estimator parameters asks for."""

from __future__ import annotations

from ._base import TrainingMethod
from ._elr import EarlyLearningRegularization
from ._joint import JointOptimization

__all__ = ["METHODS", "get_method", "method_name"]

#: Every training method by name. A new method is a module of this package
#: plus an entry here (and, in :func:`method_name`, the parameter that asks
#: for it).
METHODS = {
    "plain": TrainingMethod,
    "joint_optimization": JointOptimization,
    "elr": EarlyLearningRegularization,
}


def method_name(net):
    """The name of the method ``net``'s parameters ask for.

    Parameters
    ----------
    net : NoisyLabelClassifier
        The estimator.

    Returns
    -------
    name : str
        A key of :data:`METHODS`: ``"joint_optimization"`` when
        ``label_correction`` is set, ``"elr"`` for ``loss="elr"``, else
        ``"plain"``.
    """
    if net.label_correction is not None:
        return "joint_optimization"
    if isinstance(net.loss, str) and net.loss == "elr":
        return "elr"
    return "plain"


def get_method(net):
    """The training method object for ``net``'s parameters.

    Examples
    --------
    >>> from sknoisy import NoisyLabelClassifier
    >>> from sknoisy.methods import get_method
    >>> get_method(NoisyLabelClassifier(label_correction="soft")).name
    'joint_optimization'
    >>> get_method(NoisyLabelClassifier(loss="gce")).name
    'plain'
    """
    return METHODS[method_name(net)](net)
