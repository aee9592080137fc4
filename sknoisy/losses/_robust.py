"""Robust losses: CE, MAE, GCE, encouraging, label smoothing, RCE, NCE, SCE,
NCE+RCE and bootstrapping."""

import math

import torch
from torch.nn import functional as F

from ._base import (
    _RCE_LOG_CLAMP,
    _BaseLoss,
    _check_inputs,
    _check_real,
    _conservative_bonus,
    _fill_doc,
    _gce,
    _reraise_out_of_range,
)

__all__ = [
    "BootstrapLoss",
    "CrossEntropyLoss",
    "EncouragingLoss",
    "GCELoss",
    "LabelSmoothingLoss",
    "MAELoss",
    "NCELoss",
    "NCERCELoss",
    "RCELoss",
    "SCELoss",
]


@_fill_doc
class CrossEntropyLoss(_BaseLoss):
    """Cross entropy ``-log p``.

    Parameters
    ----------
    {reduction}

    See Also
    --------
    GCELoss : Generalized cross entropy, robust to label noise.
    LabelSmoothingLoss : Cross entropy against smoothed targets.

    {examples}
    >>> round(CrossEntropyLoss()(logits, target).item(), 4)
    0.2056
    """

    def _class_losses(self, log_probs):
        return -log_probs

    def forward(self, logits, target, weight=None):
        hard = isinstance(target, torch.Tensor) and not target.is_floating_point()
        if weight is None and hard:
            # Hard labels without weights: validated as usual, then torch's
            # fused kernel (one op instead of log_softmax, gather and mean).
            target, _ = _check_inputs(logits, target)
            try:
                return F.cross_entropy(logits, target, reduction=self.reduction)
            except (IndexError, RuntimeError) as exc:
                _reraise_out_of_range(exc, target, logits.shape[1])
        return super().forward(logits, target, weight=weight)


class _ScaledMAELoss(_BaseLoss):
    """``scale * (1 - p)``: MAE is ``2 (1 - p)``, RCE ``-A (1 - p)``."""

    _elementwise = True
    _scale = 1.0

    def _class_losses(self, log_probs):
        return self._scale * (1.0 - log_probs.exp())


@_fill_doc
class MAELoss(_ScaledMAELoss):
    """Mean absolute error between softmax and one-hot target, ``2 - 2p``.

    Robust to symmetric label noise but slow to train.

    Parameters
    ----------
    {reduction}

    See Also
    --------
    GCELoss : Interpolates between cross entropy and MAE.

    References
    ----------
    .. [1] A. Ghosh, H. Kumar and P. S. Sastry, "Robust loss functions under label
       noise for deep neural networks", AAAI 2017.

    {examples}
    >>> round(MAELoss()(logits, target).item(), 4)
    0.3706
    """

    _scale = 2.0


@_fill_doc
class GCELoss(_BaseLoss):
    """Generalized cross entropy (Lq loss) ``(1 - p**q) / q``.

    ``q -> 0`` gives cross entropy, ``q = 1`` gives ``1 - p`` (MAE / 2). The
    gradient is the cross-entropy gradient weighted by ``p**q``.

    Parameters
    ----------
    q : float, default=0.7
        Exponent, in ``(0, 1]``.
    {reduction}

    See Also
    --------
    TruncatedGCELoss : Lq loss with pruning of low-confidence samples.

    {ref_gce}

    {examples}
    >>> round(GCELoss(q=0.7)(logits, target).item(), 4)
    0.1911
    """

    _bounds = {"q": (0.0, 1.0, True, False)}

    def __init__(self, q=0.7, reduction="mean"):
        super().__init__(reduction)
        self._set_checked(q=q)

    _elementwise = True

    def _class_losses(self, log_probs):
        return _gce(log_probs, float(self.q))


@_fill_doc
class EncouragingLoss(_BaseLoss):
    """Encouraging loss ``-log p + bonus(p)`` with the conservative bonus.

    ``bonus(p) = log(1 - p)`` if ``p <= LE`` else
    ``log(1 - LE) + (p - LE) / (LE - 1)`` (the tangent of ``log(1 - p)`` at
    ``LE``), with ``1 - p`` clamped to at least ``1e-5``. ``LE = 1`` is the full
    bonus, ``LE = 0`` the linear bonus ``-p``. The loss can be negative.

    Parameters
    ----------
    LE : float, default=0.75
        Log end of the conservative bonus, in ``[0, 1]``.
    {reduction}

    See Also
    --------
    CrossEntropyLoss : The loss without the bonus.

    References
    ----------
    .. [1] G. Zhao, W. Yang, X. Ren, L. Li, Y. Wu and X. Sun, "Well-classified
       examples are underestimated in classification with deep neural networks",
       AAAI 2022.

    {examples}
    >>> round(EncouragingLoss(LE=0.75)(logits, target).item(), 4)
    -1.4395
    """

    _bounds = {"LE": (0.0, 1.0, False, False)}

    def __init__(self, LE=0.75, reduction="mean"):
        super().__init__(reduction)
        self._set_checked(LE=LE)

    _elementwise = True

    def _class_losses(self, log_probs):
        return -log_probs + _conservative_bonus(log_probs, float(self.LE))


@_fill_doc
class LabelSmoothingLoss(_BaseLoss):
    """Cross entropy against label-smoothed targets ``(1 - a) * onehot + a / C``.

    Equal to ``torch.nn.functional.cross_entropy(..., label_smoothing=a)``.

    Parameters
    ----------
    smoothing : float, default=0.1
        Smoothing ``a``, in ``[0, 1]``.
    {reduction}

    See Also
    --------
    CrossEntropyLoss : The loss without smoothing.

    References
    ----------
    .. [1] R. Müller, S. Kornblith and G. Hinton, "When does label smoothing
       help?", NeurIPS 2019.

    {examples}
    >>> round(LabelSmoothingLoss(smoothing=0.1)(logits, target).item(), 4)
    0.3639
    """

    _bounds = {"smoothing": (0.0, 1.0, False, False)}

    def __init__(self, smoothing=0.1, reduction="mean"):
        super().__init__(reduction)
        self._set_checked(smoothing=smoothing)

    def _class_losses(self, log_probs):
        a = float(self.smoothing)
        uniform = log_probs.sum(dim=1, keepdim=True) / log_probs.shape[1]
        return -(1.0 - a) * log_probs - a * uniform


@_fill_doc
class RCELoss(_ScaledMAELoss):
    """Reverse cross entropy ``-A * (1 - p)`` with ``A = log(1e-4)``.

    The one-hot target is clamped to ``1e-4`` inside the logarithm of
    ``-sum_k s_k log y_k``.

    Parameters
    ----------
    {reduction}

    See Also
    --------
    SCELoss : Cross entropy plus reverse cross entropy.
    NCERCELoss : Normalized cross entropy plus reverse cross entropy.

    {ref_sce}

    {examples}
    >>> round(RCELoss()(logits, target).item(), 4)
    1.7067
    """

    _scale = -_RCE_LOG_CLAMP


@_fill_doc
class NCELoss(_BaseLoss):
    """Normalized cross entropy ``(-log p) / sum_j (-log s_j)``.

    Parameters
    ----------
    {reduction}

    See Also
    --------
    NCERCELoss : NCE combined with reverse cross entropy.

    {ref_apl}

    {examples}
    >>> round(NCELoss()(logits, target).item(), 4)
    0.0385
    """

    def _class_losses(self, log_probs):
        return log_probs / log_probs.sum(dim=1, keepdim=True)


class _WeightedPairLoss(_BaseLoss):
    """``alpha * first + beta * second``; the parts are held as member modules."""

    _bounds = {
        "alpha": (0.0, math.inf, False, True),
        "beta": (0.0, math.inf, False, True),
    }
    _parts = ()  # ((attribute, class), (attribute, class))

    def __init__(self, alpha, beta, reduction):
        super().__init__(reduction)
        self._set_checked(alpha=alpha, beta=beta)
        if alpha == 0 and beta == 0:
            raise ValueError("alpha and beta must not both be 0, got 0 and 0.")
        for attribute, part in self._parts:
            setattr(self, attribute, part(reduction="none"))

    def _class_losses(self, log_probs):
        first, second = (getattr(self, name) for name, _ in self._parts)
        return float(self.alpha) * first._class_losses(log_probs) + float(
            self.beta
        ) * second._class_losses(log_probs)


@_fill_doc
class SCELoss(_WeightedPairLoss):
    """Symmetric cross entropy ``alpha * CE + beta * RCE``.

    Parameters
    ----------
    alpha : float, default=0.1
        Weight of the cross entropy, ``>= 0`` (6.0 on CIFAR-100 in the paper).
    {beta_rce}

    Attributes
    ----------
    ce : CrossEntropyLoss
        The cross-entropy part.
    rce : RCELoss
        The reverse cross-entropy part.

    See Also
    --------
    RCELoss : The reverse cross entropy alone.
    NCERCELoss : The normalized (active-passive) variant.

    {ref_sce}

    {examples}
    >>> round(SCELoss(alpha=0.1, beta=1.0)(logits, target).item(), 4)
    1.7273
    """

    _parts = (("ce", CrossEntropyLoss), ("rce", RCELoss))

    def __init__(self, alpha=0.1, beta=1.0, reduction="mean"):
        super().__init__(alpha, beta, reduction)


@_fill_doc
class NCERCELoss(_WeightedPairLoss):
    """Active-passive loss ``alpha * NCE + beta * RCE``.

    Parameters
    ----------
    alpha : float, default=1.0
        Weight of the normalized cross entropy, ``>= 0`` (10 on CIFAR-100 in the
        paper).
    {beta_rce}

    Attributes
    ----------
    nce : NCELoss
        The normalized cross-entropy (active) part.
    rce : RCELoss
        The reverse cross-entropy (passive) part.

    See Also
    --------
    NCELoss, RCELoss : The two parts.
    SCELoss : Unnormalized cross entropy plus reverse cross entropy.

    {ref_apl}

    {examples}
    >>> round(NCERCELoss(alpha=1.0, beta=1.0)(logits, target).item(), 4)
    1.7452
    """

    _parts = (("nce", NCELoss), ("rce", RCELoss))

    def __init__(self, alpha=1.0, beta=1.0, reduction="mean"):
        super().__init__(alpha, beta, reduction)


@_fill_doc
class BootstrapLoss(_BaseLoss):
    """Bootstrapping loss: cross entropy against a mix of label and prediction.

    - soft: ``-sum_k (beta t_k + (1 - beta) s_k) log s_k``;
    - hard: ``-sum_k (beta t_k + (1 - beta) z_k) log s_k`` with
      ``z = onehot(argmax s)``.

    Following Reed et al., the model-prediction part of the target (``s`` in the
    soft mode, ``z`` in the hard mode) is detached: gradients flow only through
    ``log s_k``, never through the target.

    Parameters
    ----------
    beta : float, default=None
        Weight of the given label, in ``[0, 1]``. ``None`` uses the paper's value
        for the mode: 0.95 for ``"soft"``, 0.8 for ``"hard"``.
    mode : {"soft", "hard"}, default="soft"
        Whether the prediction enters the target as probabilities or as the
        one-hot argmax.
    {reduction}

    References
    ----------
    .. [1] S. Reed, H. Lee, D. Anguelov, C. Szegedy, D. Erhan and A. Rabinovich,
       "Training deep neural networks on noisy labels with bootstrapping",
       ICLR 2015 workshop (arXiv:1412.6596).

    {examples}
    >>> round(BootstrapLoss(mode="soft")(logits, target).item(), 4)
    0.2239
    >>> round(BootstrapLoss(mode="hard")(logits, target).item(), 4)
    0.2056
    """

    hyperparameters = ("beta", "mode")
    _DEFAULT_BETA = {"soft": 0.95, "hard": 0.8}

    def __init__(self, beta=None, mode="soft", reduction="mean"):
        super().__init__(reduction=reduction)
        if mode not in self._DEFAULT_BETA:
            raise ValueError(f"mode must be one of ['soft', 'hard'], got {mode!r}.")
        if beta is not None:
            _check_real(beta, "beta", 0.0, 1.0)
        self.beta = beta
        self.mode = mode

    def _effective_beta(self):
        return self._DEFAULT_BETA[self.mode] if self.beta is None else float(self.beta)

    def _class_losses(self, log_probs):
        beta = self._effective_beta()
        if self.mode == "soft":
            pred_term = -(log_probs.detach().exp() * log_probs).sum(dim=1, keepdim=True)
        else:
            argmax = log_probs.detach().argmax(dim=1, keepdim=True)
            pred_term = -log_probs.gather(1, argmax)
        return -beta * log_probs + (1.0 - beta) * pred_term
