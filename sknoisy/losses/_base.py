"""Shared helpers and the base class of the robust losses."""

import math
import numbers

import torch
from torch import nn
from torch.nn import functional as F

from ..utils._docstring import Substitution

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
# beta of the weighted pairs with reverse cross entropy, then the reduction
_DOC_PARTS["beta_rce"] = (
    "beta : float, default=1.0\n        Weight of the reverse cross entropy, ``>= 0`` "
    "(0.1 on CIFAR-100); alpha\n        and beta must not both be 0.\n    "
    + _DOC_PARTS["reduction"]
)
_DOC_PARTS["examples"] = "Examples\n    --------\n    " + _DOC_PARTS["setup"]
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


def _fill_doc(obj):
    """Fill the ``{part}`` placeholders; ``{examples}`` ends importing ``obj``."""
    examples = (
        f"{_DOC_PARTS['examples']}\n    >>> from sknoisy.losses import {obj.__name__}"
    )
    return Substitution(**{**_DOC_PARTS, "examples": examples})(obj)


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
    #: Real hyperparameters checked by ``_set_checked``: name -> ``(low, high, low_open,
    #: high_open)`` of :func:`_check_real`; a class setting it gets its names as
    #: ``hyperparameters``.
    _bounds: dict[str, tuple] = {}
    #: ``_class_losses`` acts elementwise on log-probabilities (column j depends
    #: on log p_j only), which allows the fused hard-target path.
    _elementwise = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_bounds" in vars(cls):
            cls.hyperparameters = tuple(cls._bounds)

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {list(_REDUCTIONS)}, got {reduction!r}."
            )
        self.reduction = reduction

    def _set_checked(self, **values):
        """Set real hyperparameters, each checked against its ``_bounds``."""
        for name, value in values.items():
            setattr(self, name, _check_real(value, name, *self._bounds[name]))

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
        return self._reduce(loss, weight)

    def _reduce(self, loss, weight=None):
        """Multiply the ``(B,)`` losses by ``weight`` and apply ``reduction``."""
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
