"""Joint optimisation of network and labels (Tanaka et al., CVPR 2018).

The label state lives in a :class:`TrainingState` held by the estimator; the
:class:`LabelCorrection` callback records the softmax of every training
forward pass by sample index, and at each epoch end replaces the labels by the
mean of the last ``correction_window`` epochs (soft) or its argmax (hard) once
correction has started. :func:`jo_regularizers` adds the prior and entropy
terms to the loss in ``NoisyLabelClassifier.get_loss``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

__all__ = [
    "LRAnneal",
    "LabelCorrection",
    "TrainingState",
    "early_learning_end",
    "jo_objective",
    "jo_regularizers",
]


def _log_mean_probs(log_s):
    """log of the batch-mean softmax, stable when a class' mass underflows."""
    return torch.logsumexp(log_s, dim=0) - math.log(log_s.shape[0])


def jo_regularizers(logits, prior, alpha, beta):
    """Prior and entropy terms of the joint optimisation objective.

    ``alpha * KL(prior || s_bar) + beta * mean_i H(s_i)``, where ``s_bar`` is the
    mean softmax over the mini-batch (METHODS.md, section 2).

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, n_classes)
        Raw network outputs.
    prior : torch.Tensor of shape (n_classes,)
        Class prior, positive, summing to one.
    alpha : float
        Weight of the prior term.
    beta : float
        Weight of the entropy term.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from sknoisy._correction import jo_regularizers
    >>> logits = torch.zeros(4, 2)  # uniform predictions
    >>> prior = torch.tensor([0.5, 0.5])
    >>> round(float(jo_regularizers(logits, prior, 1.0, 1.0)), 4)  # 0 + log(2)
    0.6931
    """
    log_s = F.log_softmax(logits, dim=-1)
    loss = logits.new_zeros(())
    if alpha:
        prior = prior.to(log_s.dtype)
        kl = torch.sum(prior * (torch.log(prior) - _log_mean_probs(log_s)))
        loss = loss + alpha * kl
    if beta:
        loss = loss - beta * torch.sum(log_s.exp() * log_s, dim=-1).mean()
    return loss


def jo_objective(logits, target, prior, alpha, beta, return_probs=False):
    """The whole joint optimisation loss with cross entropy, in one pass.

    ``CE(target, s) + alpha * KL(prior || s_bar) + beta * mean_i H(s_i)`` with
    one ``log_softmax``; equal to ``CrossEntropyLoss()(logits, target) +
    jo_regularizers(logits, prior, alpha, beta)`` (see the tests) and cheaper.

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, n_classes)
        Raw network outputs.
    target : torch.Tensor
        Class indices (batch,) or soft labels (batch, n_classes).
    prior : torch.Tensor of shape (n_classes,)
        Class prior, positive, summing to one.
    alpha, beta : float
        Weights of the prior and entropy terms.
    return_probs : bool, default=False
        Also return the softmax probabilities (computed anyway).

    Returns
    -------
    loss : torch.Tensor
        A scalar.
    probs : torch.Tensor of shape (batch, n_classes)
        Only with ``return_probs=True``.
    """
    log_s = F.log_softmax(logits, dim=-1)
    s = log_s.exp()
    if target.is_floating_point():
        # CE and entropy share the log-probabilities: -sum_j (y_j + beta s_j) log s_j
        loss = -torch.sum((target + beta * s) * log_s, dim=-1).mean()
    else:
        loss = F.nll_loss(log_s, target) - beta * torch.sum(s * log_s, dim=-1).mean()
    if alpha:
        prior = prior.to(log_s.dtype)
        neg_entropy_prior = torch.sum(prior * torch.log(prior))
        loss = loss + alpha * (neg_entropy_prior - prior @ _log_mean_probs(log_s))
    return (loss, s) if return_probs else loss


def early_learning_end(agreement, min_epochs=3, patience=2, tol=0.02):
    """Epoch at which the early-learning phase of a training run ends.

    ``agreement[t]`` is the fraction of training samples whose (train-mode)
    prediction matches their given label after epoch ``t + 1``. On noisy
    labels it rises fast while the network learns the clean majority, then
    flattens before the network starts memorising the noise, which raises it
    again slowly. Correction should start at the knee: the first epoch from
    which the gain over ``patience`` epochs, relative to the total rise so
    far, falls below ``tol`` per epoch.

    Parameters
    ----------
    agreement : sequence of float
        Per-epoch agreement between predictions and given labels.
    min_epochs : int, default=3
        Never end before this many epochs.
    patience : int, default=2
        Number of epochs over which the gain is measured.
    tol : float, default=0.02
        Relative gain per epoch below which learning is said to have flattened.

    Returns
    -------
    epoch : int or None
        The 1-based epoch that ends early learning, or ``None`` when it has
        not ended yet.

    Examples
    --------
    >>> from sknoisy._correction import early_learning_end
    >>> early_learning_end([0.1, 0.3, 0.5, 0.58, 0.6, 0.605, 0.61])
    7
    >>> early_learning_end([0.1, 0.2, 0.3, 0.4]) is None
    True
    """
    a = np.asarray(agreement, dtype=float)
    for t in range(max(min_epochs, patience + 1), len(a) + 1):
        rise = a[t - 1] - min(a[0], 1.0 / 2)  # total rise so far
        if rise <= 0:
            continue
        gain = (a[t - 1] - a[t - 1 - patience]) / patience
        if gain / rise < tol:
            return t
    return None


class LRAnneal(Callback):
    """Multiply the learning rate by ``factor`` for the last part of training.

    Used by :class:`~sknoisy.NoisyLabelClassifier` (``anneal_lr``): labels
    are corrected at a constant high rate, then the network settles on them at
    a low rate. Each training call (``fit``, ``partial_fit``, the refit stage)
    anneals its own last ``1 - at`` fraction of epochs and restores the rate
    at its end. The rate of every epoch is recorded in the history as ``lr``.

    Parameters
    ----------
    factor : float, default=0.1
        Multiplier of the learning rate.
    at : float, default=0.8
        Fraction of the call's epochs after which the rate is lowered.
    """

    def __init__(self, factor=0.1, at=0.8):
        self.factor = factor
        self.at = at

    def on_train_begin(self, net, **kwargs):
        self.start_ = len(net.history)
        epochs = net.__dict__.get("_planned_epochs") or net.max_epochs
        self.milestone_ = max(1, round(self.at * epochs))
        self.base_lrs_ = [g["lr"] for g in net.optimizer_.param_groups]

    def on_epoch_begin(self, net, **kwargs):
        done = len(net.history) - 1 - self.start_  # epochs finished in this call
        scale = self.factor if done >= self.milestone_ else 1.0
        for group, base in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = base * scale
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])

    def on_train_end(self, net, **kwargs):
        for group, base in zip(net.optimizer_.param_groups, self.base_lrs_):
            group["lr"] = base


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
        self.soft_labels = None  # None: the given labels are the targets
        self.sample_weights = (
            torch.ones(len(y), device=device) if with_weights else None
        )
        self.stage = 1
        # Filled by LabelCorrection: the softmax of each training forward pass,
        # stored by sample index from get_loss (no extra inference pass).
        self.epoch_probs = None
        self.batch_indices = []

    @property
    def recording(self):
        return self.epoch_probs is not None and self.stage == 1

    def record(self, index, probs):
        """Store a training batch's (detached) softmax outputs by sample index."""
        self.epoch_probs[index] = probs.detach().to(self.epoch_probs.dtype)
        self.batch_indices.append(index)

    @property
    def regularize(self):
        return self.prior is not None and self.stage == 1

    def targets(self, index, y_true):
        if self.soft_labels is None:
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


class LabelCorrection(Callback):
    """Update the training labels from the network's outputs (joint optimisation).

    :class:`~sknoisy.NoisyLabelClassifier` adds this callback itself when
    ``label_correction`` is ``"soft"`` or ``"hard"``; its settings come from
    the estimator's ``correction_start`` and ``correction_window``.

    During every training batch the softmax outputs are stored by sample index
    (no extra inference pass). At each epoch end they enter a ring buffer of
    the last ``correction_window`` epochs. Once correction has started, every
    epoch sets each training sample's label to the buffer mean (``"soft"``)
    or to the one-hot of its argmax (``"hard"``), as in the official code.

    ``correction_start="auto"`` starts at the end of the early-learning phase,
    found from the per-epoch agreement between predictions and given labels
    (:func:`early_learning_end`): on small data the network memorises noisy
    labels within a few epochs, on harder data it needs many epochs to learn
    at all, so no fixed warm-up fits both.

    History keys written per epoch: ``label_agreement`` (fraction of training
    predictions equal to the given label), ``correcting`` (bool) and
    ``n_labels_changed`` (labels whose argmax changed this epoch).
    """

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        state = net.__dict__.get("_training_state")
        self.active_ = state is not None and state.stage == 1
        if not self.active_:
            return
        n, c = len(state.y), state.n_classes
        window = int(net.correction_window)
        self.state_ = state
        self.buffer_ = torch.zeros(window, n, c, device=state.y.device)
        state.epoch_probs = torch.zeros(n, c, device=state.y.device)
        state.batch_indices = []
        self.seen_ = torch.zeros(n, dtype=torch.bool, device=state.y.device)
        self.n_filled_ = 0
        self.agreement_ = []
        start = net.correction_start
        self.start_epoch_ = None if start == "auto" else int(start)

    def on_epoch_end(self, net, **kwargs):
        if not getattr(self, "active_", False):
            return
        state = self.state_
        if state.batch_indices:  # mark this epoch's samples once, not per batch
            self.seen_[torch.cat(state.batch_indices)] = True
            state.batch_indices = []
        seen = self.seen_
        epoch_probs = state.epoch_probs
        slot = self.n_filled_ % self.buffer_.shape[0]
        self.buffer_[slot] = epoch_probs
        self.n_filled_ += 1
        agree = (epoch_probs[seen].argmax(1) == state.y[seen]).float().mean()
        self.agreement_.append(float(agree))
        epoch = len(net.history)
        if self.start_epoch_ is None:
            end = early_learning_end(self.agreement_)
            if end is not None:
                self.start_epoch_ = end
        correcting = self.start_epoch_ is not None and epoch >= self.start_epoch_
        n_changed = 0
        if correcting:
            n_changed = self._update_labels(net, seen)
        net.history.record("label_agreement", float(agree))
        net.history.record("correcting", bool(correcting))
        net.history.record("n_labels_changed", n_changed)

    def _update_labels(self, net, seen):
        state = self.state_
        filled = min(self.n_filled_, self.buffer_.shape[0])
        mean = self.buffer_[:filled].mean(dim=0)
        if net.label_correction == "hard":
            mean = F.one_hot(mean.argmax(1), state.n_classes).to(mean.dtype)
        old = state.current_labels()
        new = torch.where(seen[:, None], mean, old)
        new = new / new.sum(dim=1, keepdim=True)
        n_changed = int((new.argmax(1) != old.argmax(1)).sum())
        state.soft_labels = new
        return n_changed
