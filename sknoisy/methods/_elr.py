"""Early-learning regularization (ELR, Liu et al., NeurIPS 2020)."""

from __future__ import annotations

from ..losses._elr import elr_probabilities
from ._base import TrainingMethod

__all__ = ["EarlyLearningRegularization"]


class EarlyLearningRegularization(TrainingMethod):
    """Train on the given labels with ELR's regularizer.

    The method of ``loss="elr"``. Every sample has a target ``t``, a moving
    average of the network's outputs on it, updated each time the sample is
    trained on (before the loss is computed, as in the official code)::

        t <- beta * t + (1 - beta) * p / sum(p),  p = clamp(softmax(z), 1e-4, 1 - 1e-4)

    starting from zeros, and the loss of a batch is
    :class:`~sknoisy.losses.ELRLoss`: cross entropy plus ``elr_lambda *
    log(1 - <p, t>)``. The targets are the rows of the label state's
    ``average`` buffer (``label_state_``, one ``n_samples x n_classes``
    float32 array), so a checkpoint holds them and a resumed run continues
    them. The given labels are never changed: the method sets no corrected
    labels.

    Parameters
    ----------
    net : NoisyLabelClassifier
        Reads ``elr_beta`` (the momentum of the targets); ``elr_lambda``
        reaches the loss.
    """

    name = "elr"
    uses_label_state = True

    def __init__(self, net):
        super().__init__(net)
        self.beta = float(net.elr_beta)

    @classmethod
    def asked_for(cls, net):
        return "loss='elr'" if isinstance(net.loss, str) and net.loss == "elr" else None

    def reset_state(self, state, y_enc, n_classes, weights=None, prunes=False):
        return state.reset(y_enc, n_classes, with_weights=prunes, running=True)

    def training_loss(self, criterion, state, y_pred, target, weight, index):
        probs = elr_probabilities(y_pred.detach())
        probs = probs / probs.sum(dim=1, keepdim=True)
        elr_target = state.update_running(index, probs, self.beta)
        return criterion(y_pred, target, weight=weight, elr_target=elr_target)
