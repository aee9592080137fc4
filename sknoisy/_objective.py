"""The training objective of a fit: base loss, per-sample state, weights, method."""

from __future__ import annotations

import torch

__all__ = ["TrainingObjective"]


class TrainingObjective:
    """What :meth:`NoisyLabelClassifier.get_loss` computes during a fit.

    One objective is made per training call and dropped at its end. For each
    batch of a training pass it asks the per-sample state for the batch's
    targets (given, held-out-masked or corrected labels), multiplies the
    sample weights (``sample_weight``, ``class_weight`` of the target,
    pruning weights of the truncated loss) and hands the rest to the
    training method (:class:`~sknoisy.methods.TrainingMethod`), which calls
    the base loss and adds its own terms. In skorch's validation pass the base
    loss is computed on the given labels (and the outputs are recorded when
    the state records them).

    Parameters
    ----------
    method : TrainingMethod
        The training method of the call.
    weights : SampleWeights or None
        The call's sample and class weights (None: all ones).
    """

    def __init__(self, method, weights=None):
        self.method = method
        self.weights = weights

    def __call__(self, criterion, state, y_pred, y_true, index, training):
        """The loss of a batch.

        Parameters
        ----------
        criterion : torch.nn.Module
            The base loss (``criterion_``).
        state : LabelState or None
            The per-sample state (None when the fit keeps none).
        y_pred : torch.Tensor of shape (B, C)
            Logits.
        y_true : torch.Tensor of shape (B,)
            Encoded given labels.
        index : torch.Tensor of shape (B,)
            The samples' positions in the training set.
        training : bool
            A training batch (else skorch's validation pass).
        """
        if not training:
            y_pred = self.method.outputs(y_pred)
            if state is not None and state.recording:
                # skorch's validation pass: its samples get corrected too.
                state.record(index, torch.softmax(y_pred.detach(), dim=-1), False)
            return criterion(y_pred, y_true)
        if state is None:  # weights only
            return criterion(y_pred, y_true, weight=self._weight(index, y_true))
        target = state.targets(index, y_true)
        weight = self._weight(index, target)
        pruning = state.sample_weights(index)
        if pruning is not None:
            weight = pruning if weight is None else weight * pruning
        return self.method.training_loss(
            criterion, state, y_pred, target, weight, index
        )

    def _weight(self, index, target):
        return None if self.weights is None else self.weights.batch(index, target)
