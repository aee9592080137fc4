"""The pruning step (w-step) of the truncated Lq loss, as a skorch callback."""

from __future__ import annotations

import warnings

import torch
from skorch.callbacks import Callback
from skorch.utils import to_tensor

from ..utils._compat import set_training
from ..utils._data import INDEX_KEY

__all__ = ["TruncationPruning", "pruning_schedule"]


def pruning_schedule(max_epochs, prune_start=None, prune_every=None):
    """Epochs (1-based) at whose start the truncated loss prunes samples.

    The defaults scale the schedule of the widely used implementation (prune
    at the start of every 10th epoch from epoch 40, of 120 epochs) to
    ``max_epochs``.

    Parameters
    ----------
    max_epochs : int
        Number of training epochs.
    prune_start : int, default=None
        First pruning epoch; ``None`` means ``round(max_epochs / 3)``.
    prune_every : int, default=None
        Period; ``None`` means ``max(1, round(max_epochs / 12))``.

    Returns
    -------
    epochs : list of int
        The pruning epochs.

    Examples
    --------
    >>> from sknoisy.losses._pruning import pruning_schedule
    >>> pruning_schedule(120)
    [40, 50, 60, 70, 80, 90, 100, 110, 120]
    >>> pruning_schedule(30, prune_start=10, prune_every=5)
    [10, 15, 20, 25, 30]
    """
    start = prune_start if prune_start is not None else round(max_epochs / 3)
    every = prune_every if prune_every is not None else round(max_epochs / 12)
    start, every = max(1, int(start)), max(1, int(every))
    return list(range(start, max_epochs + 1, every))


class TruncationPruning(Callback):
    """Recompute the truncated Lq loss' sample weights on a schedule.

    At the start of each scheduled epoch the network, in eval mode, scores
    every training sample and keeps it (weight 1) when the probability of its
    current label exceeds ``k``, pruning it (weight 0) otherwise (Zhang &
    Sabuncu 2018, the w-step). :class:`~sknoisy.NoisyLabelClassifier` adds
    this callback itself for ``loss="truncated_gce"``; the schedule comes from
    its ``prune_start`` and ``prune_every`` parameters.

    The number of pruned samples is recorded in the history as ``n_pruned``.
    """

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        state = getattr(net, "label_state_", None)
        if state is None or not getattr(state, "prunes", False):
            raise TypeError(
                "TruncationPruning needs the label state of a NoisyLabelClassifier "
                "with loss='truncated_gce' (which adds this callback itself); "
                f"{type(net).__name__} has none."
            )
        if state.frozen or dataset_train is None:
            return
        epoch = len(net.history)
        if epoch not in pruning_schedule(
            net.max_epochs, net.prune_start, net.prune_every
        ):
            return
        self.prune(net, dataset_train, state)
        net.history.record("n_pruned", int((state.weights == 0).sum()))

    @torch.no_grad()
    def prune(self, net, dataset, state):
        """Set ``state.weights`` from one eval-mode pass over ``dataset``."""
        criterion = net.criterion_
        weights = state.weights.clone()
        set_training(net, False)
        for Xi, yi in net.get_iterator(dataset, training=False):
            index = to_tensor(Xi[INDEX_KEY], device=net.device)
            logits = net.infer(Xi)
            target = state.targets(index, to_tensor(yi, device=net.device))
            weights[index] = criterion.prune_weights(logits, target).to(weights.dtype)
        set_training(net, True)
        if not bool(weights.any()):
            # A network that is not confident about anything yet (pruning
            # scheduled too early) would prune every sample and stop learning.
            warnings.warn(
                f"Truncated loss: pruning in epoch {len(net.history)} would drop "
                "every sample (no probability above k); kept the previous "
                "weights. Start pruning later (prune_start) or lower k.",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        state.weights.copy_(weights)
