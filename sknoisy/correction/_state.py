"""Per-sample label state of one fit: targets, weights, recording."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ._kernels import (
    FLOATS,
    NO_HARD,
    empty_rows,
    fused_kernel,
    jo_loss_fused,
)
from ._objective import jo_objective


class TrainingState:
    """Per-sample state of one fit: current targets, sample weights, stage.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded given labels.
    n_classes : int
        Number of classes.
    device : str or torch.device
        Where the state tensors live.
    prior : torch.Tensor of shape (n_classes,) or None
        Class prior of the joint optimisation; ``None`` disables its
        regularisers.
    with_weights : bool
        Allocate per-sample weights (truncated loss).
    """

    def __init__(self, y, n_classes, device, prior=None, with_weights=False):
        self.y = torch.as_tensor(y, dtype=torch.long, device=device)
        self.n_classes = n_classes
        self.prior = prior
        # The fused CPU kernel (None: torch operations; see jo_loss).
        self._kernel = None
        if prior is not None:
            if self.y.device.type == "cpu":
                self._kernel = fused_kernel()
                self._no_rows = empty_rows(n_classes)
            self._prior64 = prior.cpu().double().numpy()
            self._log_prior64 = np.log(self._prior64)
        self.soft_labels = None  # None: the given labels are the targets
        # While the start is searched with held-out labels: the given labels
        # as one-hot rows, zero for held-out samples (no label signal).
        self.masked_targets = None
        self.sample_weights = (
            torch.ones(len(y), device=device) if with_weights else None
        )
        self.stage = 1
        # Filled by LabelCorrection: the softmax of each training forward pass,
        # stored by sample index from get_loss (no extra inference pass).
        self.epoch_probs = None
        self.batch_indices = []
        # Samples of skorch's validation split, recorded from its eval pass.
        self.valid_indices = []

    @property
    def recording(self):
        return self.epoch_probs is not None and self.stage == 1

    def record(self, index, probs, training=True):
        """Store a batch's (detached) softmax outputs by sample index.

        Training batches and batches of skorch's validation pass (``training``
        False) are both recorded, so samples of a ``train_split`` are
        corrected too (from the network's eval-mode outputs).
        """
        self.epoch_probs[index] = probs.detach().to(self.epoch_probs.dtype)
        (self.batch_indices if training else self.valid_indices).append(index)

    def jo_loss(self, logits, index, y_true, alpha, beta):
        """Joint optimisation loss of a training batch (cross entropy).

        Looks up the batch's current targets and, while recording, stores its
        softmax outputs; on CPU all of it happens in the fused kernel.
        """
        record = self.epoch_probs if self.stage == 1 else None
        kernel = self._kernel
        # On CPU (the state's device) with numba: fused, unless the logits are
        # not a float matrix in a graph (checked inline: this runs per batch).
        if (
            kernel is not None
            and logits.requires_grad
            and logits.dtype in FLOATS
            and logits.ndim == 2
        ):
            soft = self.soft_labels
            if soft is None:
                soft = self.masked_targets
            no_rows = self._no_rows
            loss = jo_loss_fused(
                logits,
                y_true.numpy() if soft is None else NO_HARD,
                no_rows if soft is None else soft.numpy(),
                index.numpy(),
                no_rows if record is None else record.numpy(),
                self._prior64,
                self._log_prior64,
                alpha,
                beta,
                kernel,
            )
            if record is not None:
                self.batch_indices.append(index)
            return loss
        target = self.targets(index, y_true)
        loss, probs = jo_objective(logits, target, self.prior, alpha, beta, True)
        if record is not None:
            self.record(index, probs)
        return loss

    @property
    def regularize(self):
        return self.prior is not None and self.stage == 1

    def targets(self, index, y_true):
        if self.soft_labels is None:
            if self.masked_targets is not None:
                return self.masked_targets[index]
            return y_true
        return self.soft_labels[index]

    def weights(self, index):
        if self.sample_weights is None or self.stage != 1:
            return None
        return self.sample_weights[index]

    def current_labels(self):
        if self.soft_labels is None:
            return F.one_hot(self.y, self.n_classes).float()
        return self.soft_labels
