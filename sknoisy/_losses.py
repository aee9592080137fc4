"""Implementation of :mod:`sknoisy.losses`; the conventions are documented there."""

import math
import numbers

import torch
from torch import nn
from torch.nn import functional as F

from ._docstring import Substitution

_REDUCTIONS = ("mean", "sum", "none")
_RCE_LOG_CLAMP = math.log(1e-4)  # A in RCE = -A * (1 - p)
_ENCOURAGING_EPS = 1e-5  # clamp of 1 - p inside the bonus
_DOC_PARTS = {
    "reduction": 'reduction : {"mean", "sum", "none"}, default="mean"\n'
    "        Reduction over the batch (see :mod:`sknoisy.losses`).",
    "setup": ">>> import torch\n"
    "    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])\n"
    "    >>> target = torch.tensor([0, 2])",
}
_REF = "References\n    ----------\n    .. [1] "
_DOC_PARTS.update(
    ref_gce=_REF + 'Z. Zhang and M. R. Sabuncu, "Generalized cross entropy loss for '
    'training\n       deep neural networks with noisy labels", NeurIPS 2018.',
    ref_sce=_REF + 'Y. Wang, X. Ma, Z. Chen, Y. Luo, J. Yi and J. Bailey, "Symmetric '
    'cross\n       entropy for robust learning with noisy labels", ICCV 2019.',
    ref_apl=_REF + "X. Ma, H. Huang, Y. Wang, S. Romano, S. Erfani and J. Bailey,\n"
    '       "Normalized loss functions for deep learning with noisy labels",\n'
    "       ICML 2020.",
)


_fill_doc = Substitution(**_DOC_PARTS)


# --------------------------------------------------------------------------- helpers
def _check_real(value, name, low, high, low_open=False, high_open=False):
    """Validate that ``value`` is a real number in the given interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}.")
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (above and below):
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        high_txt = "inf" if math.isinf(high) else f"{high:g}"
        raise ValueError(
            f"{name} must be in {left}{low:g}, {high_txt}{right}, got {value}."
        )
    return value


def _check_inputs(logits, target):
    """Validate inputs; return ``(target, is_soft)`` on the device of ``logits``."""
    for name, value in (("logits", logits), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value)}.")
    if not logits.is_floating_point():
        raise TypeError(f"logits must be a floating tensor, got {logits.dtype}.")
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, C), got {tuple(logits.shape)}.")
    if target.is_floating_point():
        if target.shape != logits.shape:
            raise ValueError(
                f"target must be class indices of shape ({logits.shape[0]},) or "
                f"soft targets of shape {tuple(logits.shape)}, got a float tensor "
                f"of shape {tuple(target.shape)}."
            )
        return target.to(device=logits.device, dtype=logits.dtype), True
    if target.dtype == torch.bool or target.is_complex():
        raise TypeError(f"target must be integer or floating, got {target.dtype}.")
    if target.shape != logits.shape[:1]:
        raise ValueError(
            f"target of integer dtype must have shape ({logits.shape[0]},), got "
            f"shape {tuple(target.shape)}."
        )
    return target.to(device=logits.device, dtype=torch.long), False


def _reraise_out_of_range(exc, target, n_classes):
    """Turn torch's index error for a bad class index into a clear ValueError.

    Checking the range up front would cost several ops (and, on an accelerator,
    a host sync) per batch; torch already raises on CPU (and asserts on GPU),
    so the check only runs once something failed.
    """
    if bool(((target < 0) | (target >= n_classes)).any()):
        raise ValueError(
            f"target class indices must be in [0, {n_classes}), got values from "
            f"{int(target.min())} to {int(target.max())}."
        ) from exc
    raise exc


def _target_expectation(values, target, is_soft):
    """``sum_j y_j * values[:, j]`` (soft) or ``values[i, y_i]`` (hard)."""
    if is_soft:
        return (target * values).sum(dim=1)
    return values.gather(1, target.unsqueeze(1)).squeeze(1)


def _gce(log_probs, q):
    """Lq loss ``(1 - p**q) / q`` for every class, with ``p**q = exp(q log p)``."""
    return -torch.expm1(q * log_probs) / q


def _conservative_bonus(log_probs, log_end):
    """Conservative bonus of the encouraging loss for every class."""
    probs = log_probs.exp()
    bonus = torch.log((-torch.expm1(log_probs)).clamp_min(_ENCOURAGING_EPS))
    if log_end < 1.0:
        # tangent of log(1 - p) at p = log_end; finite in both branches, so the
        # gradient of torch.where stays finite too.
        linear = math.log1p(-log_end) + (probs - log_end) / (log_end - 1.0)
        bonus = torch.where(probs > log_end, linear, bonus)
    return bonus


# ------------------------------------------------------------------------ base class
class _BaseLoss(nn.Module):
    """Common machinery: validation, soft targets, weights and reduction.

    Subclasses implement ``_class_losses(log_probs)`` returning the ``(B, C)``
    matrix whose column ``j`` is the loss of every sample if its label were ``j``.
    """

    hyperparameters: tuple[str, ...] = ()
    #: ``_class_losses`` acts elementwise on log-probabilities (column j depends
    #: on log p_j only), which allows the fused hard-target path.
    _elementwise = False

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {list(_REDUCTIONS)}, got {reduction!r}."
            )
        self.reduction = reduction

    def _class_losses(self, log_probs):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, logits, target, weight=None):
        """Compute the loss.

        Parameters
        ----------
        logits : torch.Tensor of shape (B, C)
            Raw, unnormalised scores.
        target : torch.Tensor of shape (B,) or (B, C)
            Integer class indices, or soft targets (rows on the simplex).
        weight : torch.Tensor of shape (B,), default=None
            Per-sample weights multiplying each sample's loss before reduction.

        Returns
        -------
        loss : torch.Tensor
            A scalar for ``reduction="mean"`` or ``"sum"``, shape ``(B,)`` for
            ``"none"``.
        """
        target, is_soft = _check_inputs(logits, target)
        try:
            if self._elementwise and not is_soft:
                # Every class' loss is a function of its own log-probability:
                # take log p_y with torch's fused kernel and apply it to (B,).
                log_p = -F.cross_entropy(logits, target, reduction="none")
                loss = self._class_losses(log_p)
            else:
                log_probs = F.log_softmax(logits, dim=1)
                loss = _target_expectation(
                    self._class_losses(log_probs), target, is_soft
                )
        except (IndexError, RuntimeError) as exc:
            if is_soft:
                raise
            _reraise_out_of_range(exc, target, logits.shape[1])
        if weight is not None:
            weight = torch.as_tensor(weight, dtype=loss.dtype, device=loss.device)
            if weight.shape != loss.shape:
                raise ValueError(
                    f"weight must have shape ({loss.shape[0]},), got shape "
                    f"{tuple(weight.shape)}."
                )
            loss = loss * weight
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def extra_repr(self):
        names = (*self.hyperparameters, "reduction")
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in names)


# -------------------------------------------------------------------------- losses
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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import CrossEntropyLoss
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


@_fill_doc
class MAELoss(_BaseLoss):
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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import MAELoss
    >>> round(MAELoss()(logits, target).item(), 4)
    0.3706
    """

    _elementwise = True

    def _class_losses(self, log_probs):
        return 2.0 - 2.0 * log_probs.exp()


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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import GCELoss
    >>> round(GCELoss(q=0.7)(logits, target).item(), 4)
    0.1911
    """

    hyperparameters = ("q",)

    def __init__(self, q=0.7, reduction="mean"):
        super().__init__(reduction=reduction)
        self.q = _check_real(q, "q", 0.0, 1.0, low_open=True)

    _elementwise = True

    def _class_losses(self, log_probs):
        return _gce(log_probs, float(self.q))


@_fill_doc
class TruncatedGCELoss(_BaseLoss):
    """Truncated Lq loss, trained with per-sample pruning weights.

    The truncated loss is ``L_q(k)`` if ``p <= k`` and ``L_q(p)`` otherwise, with
    ``L_q(p) = (1 - p**q) / q``. It is optimised by alternating two steps with
    weights ``w_i`` in ``{0, 1}``:

    - theta-step: the forward pass returns ``w_i * (L_q(p_i) - L_q(k))`` per sample
      (``weight`` holds ``w_i``; all ones when ``None``), averaged over the whole
      batch with ``reduction="mean"``;
    - w-step (pruning): :meth:`prune_weights` returns ``w_i = 1[p_i > k]``,
      equivalently ``1[L_q(p_i) < L_q(k)]``; compute it with the network in eval
      mode over the training set.

    Parameters
    ----------
    q : float, default=0.7
        Exponent, in ``(0, 1]``.
    k : float, default=0.5
        Truncation threshold on the target probability, in ``(0, 1)``.
    {reduction}

    See Also
    --------
    GCELoss : The untruncated Lq loss.

    {ref_gce}

    Examples
    --------
    >>> import torch
    >>> from sknoisy.losses import TruncatedGCELoss
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    >>> target = torch.tensor([1, 2])
    >>> loss = TruncatedGCELoss(q=0.7, k=0.5)
    >>> w = loss.prune_weights(logits, target)
    >>> w
    tensor([0., 1.])
    >>> round(loss(logits, target, weight=w).item(), 4)
    -0.1945
    """

    hyperparameters = ("q", "k")

    def __init__(self, q=0.7, k=0.5, reduction="mean"):
        super().__init__(reduction=reduction)
        self.q = _check_real(q, "q", 0.0, 1.0, low_open=True)
        self.k = _check_real(k, "k", 0.0, 1.0, low_open=True, high_open=True)

    _elementwise = True

    def _class_losses(self, log_probs):
        q, k = float(self.q), float(self.k)
        return _gce(log_probs, q) - (1.0 - k**q) / q

    @torch.no_grad()
    def prune_weights(self, logits, target):
        """Pruning weights ``w_i = 1[p_i > k]`` (the w-step).

        Parameters
        ----------
        logits : torch.Tensor of shape (B, C)
            Raw scores, computed with the network in eval mode.
        target : torch.Tensor of shape (B,) or (B, C)
            Class indices or soft targets; for soft targets
            ``p = sum_j y_j s_j``.

        Returns
        -------
        weight : torch.Tensor of shape (B,)
            Float tensor of zeros and ones, dtype of ``logits``, no gradient.
        """
        target, is_soft = _check_inputs(logits, target)
        probs = F.log_softmax(logits, dim=1).exp()
        p = _target_expectation(probs, target, is_soft)
        return (p > float(self.k)).to(logits.dtype)


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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import EncouragingLoss
    >>> round(EncouragingLoss(LE=0.75)(logits, target).item(), 4)
    -1.4395
    """

    hyperparameters = ("LE",)

    def __init__(self, LE=0.75, reduction="mean"):
        super().__init__(reduction=reduction)
        self.LE = _check_real(LE, "LE", 0.0, 1.0)

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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import LabelSmoothingLoss
    >>> round(LabelSmoothingLoss(smoothing=0.1)(logits, target).item(), 4)
    0.3639
    """

    hyperparameters = ("smoothing",)

    def __init__(self, smoothing=0.1, reduction="mean"):
        super().__init__(reduction=reduction)
        self.smoothing = _check_real(smoothing, "smoothing", 0.0, 1.0)

    def _class_losses(self, log_probs):
        a = float(self.smoothing)
        uniform = log_probs.sum(dim=1, keepdim=True) / log_probs.shape[1]
        return -(1.0 - a) * log_probs - a * uniform


@_fill_doc
class RCELoss(_BaseLoss):
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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import RCELoss
    >>> round(RCELoss()(logits, target).item(), 4)
    1.7067
    """

    _elementwise = True

    def _class_losses(self, log_probs):
        return -_RCE_LOG_CLAMP * (1.0 - log_probs.exp())


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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import NCELoss
    >>> round(NCELoss()(logits, target).item(), 4)
    0.0385
    """

    def _class_losses(self, log_probs):
        return log_probs / log_probs.sum(dim=1, keepdim=True)


class _WeightedPairLoss(_BaseLoss):
    """``alpha * first + beta * second``; the parts are held as member modules."""

    hyperparameters = ("alpha", "beta")
    _parts = ()  # ((attribute, class), (attribute, class))

    def __init__(self, alpha, beta, reduction):
        super().__init__(reduction=reduction)
        self.alpha = _check_real(alpha, "alpha", 0.0, math.inf, high_open=True)
        self.beta = _check_real(beta, "beta", 0.0, math.inf, high_open=True)
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
    beta : float, default=1.0
        Weight of the reverse cross entropy, ``>= 0`` (0.1 on CIFAR-100); alpha
        and beta must not both be 0.
    {reduction}

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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import SCELoss
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
    beta : float, default=1.0
        Weight of the reverse cross entropy, ``>= 0`` (0.1 on CIFAR-100); alpha
        and beta must not both be 0.
    {reduction}

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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import NCERCELoss
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

    Examples
    --------
    {setup}
    >>> from sknoisy.losses import BootstrapLoss
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


# ------------------------------------------------------------------------- registry
LOSSES = {
    "ce": CrossEntropyLoss,
    "mae": MAELoss,
    "gce": GCELoss,
    "truncated_gce": TruncatedGCELoss,
    "encouraging": EncouragingLoss,
    "label_smoothing": LabelSmoothingLoss,
    "sce": SCELoss,
    "nce_rce": NCERCELoss,
    "bootstrap": BootstrapLoss,
}


def get_loss_class(name_or_class):
    """Return the loss class for a registry name or a module class.

    Parameters
    ----------
    name_or_class : str or type
        A key of :data:`LOSSES` or a subclass of :class:`torch.nn.Module`, which
        is returned unchanged.

    Returns
    -------
    loss_class : type
        The loss class.

    Examples
    --------
    >>> from sknoisy.losses import get_loss_class
    >>> get_loss_class("gce").__name__
    'GCELoss'
    """
    if isinstance(name_or_class, str):
        try:
            return LOSSES[name_or_class]
        except KeyError:
            raise ValueError(
                f"loss must be one of {sorted(LOSSES)} or a torch.nn.Module "
                f"subclass, got {name_or_class!r}."
            ) from None
    if isinstance(name_or_class, type) and issubclass(name_or_class, nn.Module):
        return name_or_class
    raise TypeError(
        f"loss must be a str in {sorted(LOSSES)} or a torch.nn.Module subclass, "
        f"got {name_or_class!r} of type {type(name_or_class).__name__}."
    )
