"""Cross entropy with the early-learning regularizer (ELR, Liu et al. 2020)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._base import _check_inputs, _fill_doc, _target_expectation
from ._robust import CrossEntropyLoss

__all__ = ["ELRLoss", "elr_probabilities"]

#: ELR's clamp of the softmax outputs (official code).
ELR_CLAMP = 1e-4


def elr_probabilities(logits):
    """Softmax of ``logits`` clamped to ``[1e-4, 1 - 1e-4]``, as ELR uses it.

    Parameters
    ----------
    logits : torch.Tensor of shape (B, C)
        Raw scores.

    Returns
    -------
    probs : torch.Tensor of shape (B, C)
        Clamped (not renormalised) probabilities.
    """
    return F.softmax(logits, dim=1).clamp(ELR_CLAMP, 1.0 - ELR_CLAMP)


@_fill_doc
class ELRLoss(CrossEntropyLoss):
    """Cross entropy plus the early-learning regularizer (ELR).

    For a sample with logits ``z``, label ``y`` and per-sample target ``t``
    (a running average of the network's past outputs)::

        loss = CE(z, y) + lam * log(1 - <p, t>)

    with ``p = clamp(softmax(z), 1e-4, 1 - 1e-4)`` (Liu et al. 2020). The
    regularizer rewards agreeing with the target, which the network's early,
    mostly clean predictions shape, and so keeps it from memorising wrong
    labels. :class:`~sknoisy.NoisyLabelClassifier` with ``loss="elr"`` keeps
    the targets ``t`` (one row per training sample, ``t <- beta t + (1 - beta)
    p / sum(p)`` each time a sample is trained on, ``elr_beta``) and passes a
    batch's rows as ``elr_target``; without ``elr_target`` the loss is the
    cross entropy.

    Parameters
    ----------
    lam : float, default=3.0
        Weight of the regularizer, ``>= 0`` (3 on CIFAR-10, 7 on CIFAR-100).
    {reduction}

    See Also
    --------
    CrossEntropyLoss : The loss without the regularizer.

    References
    ----------
    .. [1] S. Liu, J. Niles-Weed, N. Razavian and C. Fernandez-Granda,
       "Early-Learning Regularization Prevents Memorization of Noisy
       Labels", NeurIPS 2020.

    {examples}
    >>> t = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    >>> loss = ELRLoss(lam=3.0)
    >>> round(loss(logits, target, elr_target=t).item(), 4)
    -3.1288
    >>> round(loss(logits, target).item(), 4)  # no targets: cross entropy
    0.2056
    """

    _bounds = {"lam": (0.0, math.inf, False, True)}

    def __init__(self, lam=3.0, reduction="mean"):
        super().__init__(reduction=reduction)
        self._set_checked(lam=lam)

    def forward(self, logits, target, weight=None, elr_target=None):
        """Cross entropy plus ``lam * log(1 - <p, elr_target>)`` per sample.

        Parameters
        ----------
        logits : torch.Tensor of shape (B, C)
            Raw scores.
        target : torch.Tensor of shape (B,) or (B, C)
            Class indices or soft targets.
        weight : torch.Tensor of shape (B,), default=None
            Per-sample weights of the whole per-sample loss.
        elr_target : torch.Tensor of shape (B, C), default=None
            The samples' ELR targets; None gives the cross entropy.

        Returns
        -------
        loss : torch.Tensor
            Reduced as ``reduction`` says.
        """
        if elr_target is None:
            return super().forward(logits, target, weight=weight)
        if elr_target.shape != logits.shape:
            raise ValueError(
                f"elr_target must have shape {tuple(logits.shape)}, got "
                f"{tuple(elr_target.shape)}."
            )
        target, is_soft = _check_inputs(logits, target)
        ce = _target_expectation(-F.log_softmax(logits, dim=1), target, is_soft)
        agreement = (elr_target.to(logits.dtype) * elr_probabilities(logits)).sum(1)
        return self._reduce(ce + self.lam * torch.log1p(-agreement), weight)
