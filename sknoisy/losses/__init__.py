"""Robust loss functions for training neural networks on noisy labels.

Every loss is a :class:`torch.nn.Module` whose ``forward(logits, target, weight=None)``
takes raw scores ``logits`` of shape ``(B, C)`` (not probabilities). Notation:
``s = softmax(logits)``, ``p = s_y`` the probability of the target class ``y``.

``target`` is an integer tensor ``(B,)`` of class indices or a float tensor ``(B, C)``
of soft targets (rows on the simplex); every loss accepts both. **Soft-target
principle**: for a soft target the loss is the expectation of the hard-label loss over
the target distribution, ``loss(z, y) = sum_j y_j * loss(z, j)``. Every loss here is
linear in the target in this way, so a one-hot target gives exactly the published
formula (for the reverse cross entropy this means ``-A * (1 - sum_j y_j s_j)``, not a
soft target clamped inside the logarithm).

``weight`` (optional, ``(B,)``) multiplies each sample's loss before the reduction;
``reduction="mean"`` is the plain mean of ``weight * loss`` over the ``B`` samples
(weight-0 samples count in the denominator), ``"sum"`` its sum, ``"none"`` the
``(B,)`` vector.

Everything is computed from ``log_softmax`` (``p = exp(log p)``) in the dtype of
``logits``; values and gradients stay finite for logits of huge magnitude
(``p -> 0`` and ``p -> 1``) in float32 and float64.
"""

from ._correction import (
    MAX_CONDITION,
    BackwardCorrectionLoss,
    ForwardCorrectionLoss,
    check_noise_matrix,
    regularized_transition,
)
from ._elr import ELRLoss
from ._registry import LOSSES, get_loss_class
from ._robust import *  # noqa: F403 - the losses listed in its __all__
from ._robust import __all__ as _robust_losses
from ._truncated import TruncatedGCELoss

__all__ = [
    "LOSSES",
    "MAX_CONDITION",
    *_robust_losses,
    "BackwardCorrectionLoss",
    "ForwardCorrectionLoss",
    "ELRLoss",
    "TruncatedGCELoss",
    "check_noise_matrix",
    "get_loss_class",
    "regularized_transition",
]
