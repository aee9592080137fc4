"""Which training method a set of estimator parameters asks for."""

from __future__ import annotations

from ._base import TrainingMethod
from ._correction import LossCorrection
from ._coteaching import CoTeaching
from ._dividemix import DivideMix
from ._elr import EarlyLearningRegularization
from ._joint import JointOptimization

__all__ = ["METHODS", "get_method", "method_class", "method_name"]

#: Every training method by name. A new method is a module of this package
#: (a :class:`TrainingMethod` whose ``asked_for`` names the parameter setting
#: that asks for it) plus an entry here.
METHODS = {
    "plain": TrainingMethod,
    "joint_optimization": JointOptimization,
    "elr": EarlyLearningRegularization,
    "coteaching": CoTeaching,
    "loss_correction": LossCorrection,
    "dividemix": DivideMix,
}


def method_class(net):
    """The class of the training method ``net``'s parameters ask for.

    Parameters
    ----------
    net : NoisyLabelClassifier
        The estimator.

    Returns
    -------
    cls : type
        The one class of :data:`METHODS` whose ``asked_for(net)`` names a
        parameter setting; :class:`TrainingMethod` (plain training) when none
        does.

    Raises
    ------
    ValueError
        When the parameters ask for two methods (``label_correction`` with
        ``loss="elr"``, for example).
    """
    asked = [(cls, cls.asked_for(net)) for cls in METHODS.values()]
    asked = [(cls, s) for cls, s in asked if s is not None]
    if len(asked) > 1:
        settings = [setting for _, setting in asked]
        names = ", ".join(cls.name for cls, _ in asked)
        raise ValueError(
            f"{settings[-1]} cannot be combined with {settings[0]}: each asks "
            f"for a training method of its own ({names}). Pass only one."
        )
    return asked[0][0] if asked else METHODS["plain"]


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
        ``label_correction`` is set, ``"elr"`` for ``loss="elr"``,
        ``"coteaching"`` for ``sample_selection="coteaching"``,
        ``"dividemix"`` for ``sample_selection="dividemix"``,
        ``"loss_correction"`` for ``loss="forward"`` or ``"backward"``, else
        ``"plain"``.
    """
    return method_class(net).name


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
    return method_class(net)(net)
