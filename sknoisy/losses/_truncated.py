"""The truncated Lq loss (Zhang & Sabuncu 2018) and its pruning step."""

import torch
from torch.nn import functional as F

from ._base import (
    _BaseLoss,
    _check_inputs,
    _fill_doc,
    _gce,
    _target_expectation,
)


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

    _bounds = {"q": (0.0, 1.0, True, False), "k": (0.0, 1.0, True, True)}

    def __init__(self, q=0.7, k=0.5, reduction="mean"):
        super().__init__(reduction)
        self._set_checked(q=q, k=k)

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
