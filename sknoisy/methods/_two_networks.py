"""Two networks trained together: the module and the small-loss selection.

Shared by the methods that train two networks on each other's choice of
samples (co-teaching; DivideMix builds on the same parts).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

__all__ = ["TwoNetworks", "forget_schedule", "small_loss_indices"]


class TwoNetworks(nn.Module):
    """Two networks with the same inputs; their outputs as one tuple.

    ``forward`` returns ``(log_mean, logits_1, logits_2)``: the logarithm of
    the mean of both networks' softmax outputs, then each network's logits.
    skorch's and sknoisy's prediction use the first element of a tuple, so
    :meth:`~sknoisy.NoisyLabelClassifier.predict_proba` returns the mean of
    both networks' probabilities (a softmax of ``log_mean`` gives it back);
    a training method reads the two logits.

    Parameters
    ----------
    first, second : torch.nn.Module
        The two networks, each returning logits of shape (n_samples,
        n_classes). They must not share parameters.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.methods._two_networks import TwoNetworks
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = TwoNetworks(torch.nn.Linear(4, 3), torch.nn.Linear(4, 3))
    >>> log_mean, z1, z2 = net(torch.randn(2, 4))
    >>> bool(torch.allclose(log_mean.exp().sum(1), torch.ones(2)))
    True
    """

    def __init__(self, first, second):
        super().__init__()
        self.first = first
        self.second = second

    def forward(self, *args, **kwargs):
        z1 = self.first(*args, **kwargs)
        z2 = self.second(*args, **kwargs)
        log_mean = torch.logsumexp(
            torch.stack(
                (torch.log_softmax(z1.float(), -1), torch.log_softmax(z2.float(), -1))
            ),
            dim=0,
        ) - math.log(2.0)
        return log_mean, z1, z2

    @classmethod
    def build(cls, make):
        """Two independently initialised networks from the factory ``make``.

        ``make()`` is called twice; when it returns the same instance twice
        (a ``module`` given as an instance), the second network is a deep
        copy whose layers are re-initialised (``reset_parameters``), so the
        two start apart, as co-teaching needs.
        """
        first = make()
        second = make()
        if second is first:
            second = copy.deepcopy(first)
            for layer in second.modules():
                reset = getattr(layer, "reset_parameters", None)
                if callable(reset):
                    reset()
        return cls(first, second)


def small_loss_indices(losses, keep):
    """Positions of the ``keep`` share of the smallest ``losses``.

    ``int(keep * len(losses))`` of them (at least one), as the official
    co-teaching code counts them, smallest first.

    Parameters
    ----------
    losses : torch.Tensor of shape (B,)
        Per-sample losses.
    keep : float
        The share kept, in (0, 1].

    Returns
    -------
    indices : torch.Tensor of shape (n_kept,)

    Examples
    --------
    >>> import torch
    >>> from sknoisy.methods._two_networks import small_loss_indices
    >>> small_loss_indices(torch.tensor([0.9, 0.1, 0.5, 0.3]), 0.5)
    tensor([1, 3])
    """
    n_kept = max(1, int(keep * len(losses)))
    return torch.argsort(losses, stable=True)[:n_kept]


def forget_schedule(epoch, forget_rate, ramp_epochs):
    """Co-teaching's share of samples forgotten in ``epoch`` (0-based).

    ``tau * min(epoch / T_k, 1)``: 0 in the first epoch, growing linearly to
    the forget rate ``tau`` at epoch ``T_k`` (Han et al. 2018; the kept share
    is ``R(T) = 1 - tau * min(T / T_k, 1)``).

    Parameters
    ----------
    epoch : int
        The epoch of the run, counted from 0.
    forget_rate : float
        ``tau``, in [0, 1).
    ramp_epochs : int
        ``T_k``, >= 1.

    Returns
    -------
    share : float

    Examples
    --------
    >>> from sknoisy.methods._two_networks import forget_schedule
    >>> [round(forget_schedule(t, 0.4, 10), 2) for t in (0, 5, 10, 30)]
    [0.0, 0.2, 0.4, 0.4]
    """
    return float(forget_rate) * min(epoch / ramp_epochs, 1.0)
