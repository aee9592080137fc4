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
from sklearn.utils import check_random_state
from skorch.callbacks import Callback

from ._kernels import (
    FLOATS,
    NO_HARD,
    _store_epoch,
    _window_update,
    can_fuse,
    compiled,
    empty_rows,
    fused_kernel,
    jo_loss_fused,
)
from ._utils import torch_seed
from .exceptions import CorrectionWarning, _warn

__all__ = [
    "LRAnneal",
    "LabelCorrection",
    "TrainingState",
    "early_learning_end",
    "holdout_mask",
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

    ``CE(target, s) + alpha * KL(prior || s_bar) + beta * mean_i H(s_i)``,
    equal to ``CrossEntropyLoss()(logits, target) + jo_regularizers(logits,
    prior, alpha, beta)`` (see the tests) and cheaper.

    On CPU (with numba, a dependency) the value and the closed-form gradient
    are computed in one compiled pass and attached to the graph as a single
    linear term (:mod:`sknoisy._kernels`); elsewhere the objective is built
    from torch operations and differentiated by autograd. Both agree to
    floating-point precision (tested).

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
        Also return the softmax probabilities (computed anyway, detached).

    Returns
    -------
    loss : torch.Tensor
        A scalar.
    probs : torch.Tensor of shape (batch, n_classes)
        Only with ``return_probs=True``.

    Examples
    --------
    >>> import torch
    >>> from sknoisy._correction import jo_objective
    >>> logits = torch.zeros(4, 2, requires_grad=True)  # uniform predictions
    >>> target = torch.tensor([0, 1, 0, 1])
    >>> prior = torch.tensor([0.5, 0.5])
    >>> loss = jo_objective(logits, target, prior, alpha=1.0, beta=1.0)
    >>> round(loss.item(), 4)  # CE log(2) + KL 0 + entropy log(2)
    1.3863
    >>> loss.backward()  # only CE pulls: (s - onehot(y)) / batch
    >>> logits.grad[0]
    tensor([-0.1250,  0.1250])
    """
    if can_fuse(logits):
        if target.is_floating_point():
            soft, hard = target.detach().cpu().numpy(), None
        else:
            soft, hard = None, target.detach().cpu().numpy().astype(np.int64)
        c = logits.shape[1]
        prior = prior.detach().cpu().double().numpy()
        loss = jo_loss_fused(
            logits,
            NO_HARD if hard is None else hard,
            empty_rows(c) if soft is None else soft,
            np.arange(len(logits)),
            empty_rows(c),
            prior,
            np.log(prior),
            alpha,
            beta,
        )
        if return_probs:
            return loss, torch.softmax(logits.detach(), dim=-1)
        return loss
    loss, s = _jo_objective_autograd(logits, target, prior, alpha, beta)
    return (loss, s) if return_probs else loss


def _jo_objective_autograd(logits, target, prior, alpha, beta):
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
    return loss, s.detach()


def early_learning_end(
    heldout, trained=None, min_epochs=3, patience=3, rel_tol=0.05, memorized=0.1
):
    """Epoch at which the early-learning phase of a training run ends.

    ``heldout[t]`` scores how well the network predicts the given (noisy)
    labels of held-out training samples after epoch ``t + 1``: samples whose
    labels it has not been trained on (see :class:`LabelCorrection`); the
    score used is the mean probability of the given label. ``trained[t]`` is
    the same score over the samples it is trained on.

    While the network learns the patterns that the clean majority of the
    labels share, both scores rise together. Once it starts memorising the
    noisy labels of the samples it is trained on, two things happen, and
    either ends early learning (from epoch ``min_epochs`` on):

    - **memorisation**: the trained score pulls away from the held-out one,
      ``trained - heldout >= memorized * (1 - heldout)``: the network has
      closed a ``memorized`` share of the probability mass it misses on
      held-out labels, on the trained labels alone. This fires early when a
      network memorises fast (standardised inputs, small data);
    - **plateau**: the held-out score has set no new best for ``patience``
      epochs, a new best having to beat the previous one by ``rel_tol`` times
      the rise of the score since the first epoch. This fires when a network
      learns slowly and memorises slowly too.

    Neither test can be passed by memorisation alone raising a training
    curve, so the rule does not depend on how fast a network memorises.

    Parameters
    ----------
    heldout : sequence of float
        Per-epoch held-out score (higher is better).
    trained : sequence of float, default=None
        Per-epoch score of the trained samples; ``None`` skips the
        memorisation test.
    min_epochs : int, default=3
        Never end before this many epochs.
    patience : int, default=3
        Epochs without a new best held-out score after which early learning
        has ended.
    rel_tol : float, default=0.05
        Smallest improvement that counts as a new best, relative to the rise
        of the held-out score since the first epoch.
    memorized : float, default=0.1
        Share of the held-out shortfall ``1 - heldout`` by which the trained
        score may exceed the held-out score before memorisation is declared.

    Returns
    -------
    epoch : int or None
        The 1-based epoch that ends early learning, or ``None`` when it has
        not ended yet.

    Examples
    --------
    >>> from sknoisy._correction import early_learning_end
    >>> early_learning_end([0.2, 0.4, 0.5, 0.52, 0.51, 0.5, 0.49, 0.5])
    7
    >>> early_learning_end([0.1, 0.2, 0.3, 0.4, 0.5]) is None
    True
    >>> early_learning_end([0.2, 0.4, 0.5, 0.52], trained=[0.2, 0.42, 0.56, 0.6])
    3
    """
    a = np.asarray(heldout, dtype=float)
    if trained is not None:
        trained = np.asarray(trained, dtype=float)
        if trained.shape != a.shape:
            raise ValueError(
                f"heldout and trained must have the same length, got {a.shape[0]} "
                f"and {trained.shape[0]}."
            )
    best, best_epoch = -np.inf, 0
    for t, value in enumerate(a, start=1):
        if value > best + rel_tol * max(value - a[0], 0.0):
            best, best_epoch = value, t
        if t < min_epochs:
            continue
        if trained is not None and trained[t - 1] - value >= memorized * (1 - value):
            return t
        if t - best_epoch >= patience:
            return t
    return None


def holdout_mask(y, fraction, random_state=None):
    """Stratified random subset of samples whose labels are held out.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded given labels.
    fraction : float
        Share of each class to hold out, in (0, 1). Every class with at least
        two samples gives at least one; a class with one sample gives none.
    random_state : int, numpy Generator, RandomState or None, default=None
        Seed of the draw.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype=bool
        True for held-out samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy._correction import holdout_mask
    >>> mask = holdout_mask(np.repeat([0, 1], 50), 0.1, random_state=0)
    >>> int(mask.sum()), int(mask[:50].sum())
    (10, 5)
    """
    y = np.asarray(y)
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    mask = np.zeros(len(y), dtype=bool)
    for k in np.unique(y):
        rows = np.flatnonzero(y == k)
        if len(rows) < 2:
            continue
        m = min(len(rows) - 1, max(1, int(round(fraction * len(rows)))))
        mask[rng.choice(rows, m, replace=False)] = True
    return mask


def _holdout_seed(random_state):
    """Seed of the held-out draw: fixed by ``random_state``, None without one."""
    seed = torch_seed(random_state)
    return None if seed is None else (seed + 104729) % (2**31 - 1)


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

    @property
    def recording(self):
        return self.epoch_probs is not None and self.stage == 1

    def record(self, index, probs):
        """Store a training batch's (detached) softmax outputs by sample index."""
        self.epoch_probs[index] = probs.detach().to(self.epoch_probs.dtype)
        self.batch_indices.append(index)

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

    ``correction_start="auto"`` starts at the end of the early-learning phase.
    To find it, the given labels of a stratified random ``correction_holdout``
    share of the training samples are held out until correction starts: those
    samples still pass through the network (their outputs are recorded, and
    the prior and entropy terms see them) but their label term is zero. The
    mean probability that the network gives to their labels
    (``heldout_score``) rises while it learns what generalises; the same mean
    over the trained samples (``train_score``) rises with it until the network
    memorises the noisy labels it is trained on. Correction starts when the
    trained score pulls away from the held-out one, or when the held-out score
    stops rising (:func:`early_learning_end`), and at the latest after half of
    the training call's epochs. From then on every sample, held out or not,
    is trained on its corrected label. Neither test can be passed by
    memorisation raising a training curve, so the rule holds whatever the
    scale of the inputs (which decides how fast a network memorises), the
    data set and the noise.
    An integer ``correction_start`` starts at that epoch and holds nothing
    out.

    When correction never starts, or runs for fewer than
    ``correction_window`` epochs, a :class:`~sknoisy.exceptions.CorrectionWarning`
    names the parameter to change.

    History keys written per epoch: ``label_agreement`` (fraction of training
    predictions equal to the given label), ``heldout_agreement`` and
    ``heldout_score`` (the same and the mean probability of the given label,
    over the held-out samples, while the start is searched), ``train_score``
    (that mean probability over the trained samples), ``correcting``
    (bool) and ``n_labels_changed`` (labels whose argmax changed this epoch).
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
        self.window_sum_ = None  # running sum of the buffer (CPU kernels)
        state.epoch_probs = torch.zeros(n, c, device=state.y.device)
        state.batch_indices = []
        self.seen_ = torch.zeros(n, dtype=torch.bool, device=state.y.device)
        self.all_seen_ = False
        self.n_filled_ = 0
        self.agreement_ = []
        # Argmax of the current labels (the given ones until the first update).
        self.label_argmax_ = state.current_labels().argmax(1).contiguous()
        self.epochs_begin_ = len(net.history)
        planned = net.__dict__.get("_planned_epochs") or net.max_epochs
        # "auto" starts after half of this call's epochs at the latest.
        self.latest_start_ = self.epochs_begin_ + max(1, int(planned) // 2)
        self.n_correcting_ = 0
        self.heldout_ = None
        self.heldout_score_ = []
        self.train_score_ = []
        start = net.correction_start
        self.start_epoch_ = None if start == "auto" else int(start)
        if self.start_epoch_ is None and state.soft_labels is not None:
            # A later partial_fit of a run whose correction started: go on.
            self.start_epoch_ = self.epochs_begin_ + 1
        fraction = getattr(net, "correction_holdout", 0.1)
        if self.start_epoch_ is None and fraction and state.soft_labels is None:
            mask = holdout_mask(
                state.y.cpu().numpy(), fraction, _holdout_seed(net.random_state)
            )
            if mask.any():
                self.heldout_ = torch.as_tensor(
                    np.flatnonzero(mask), device=state.y.device
                )
                self.trained_ = torch.as_tensor(
                    np.flatnonzero(~mask), device=state.y.device
                )
                targets = F.one_hot(state.y, c).float()
                targets[self.heldout_] = 0.0
                state.masked_targets = targets.contiguous()

    def on_epoch_end(self, net, **kwargs):
        if not getattr(self, "active_", False):
            return
        state = self.state_
        if state.batch_indices and not self.all_seen_:
            # Mark this epoch's samples once, not per batch; once every sample
            # has been seen (normally after the first epoch) masks are skipped.
            self.seen_[torch.cat(state.batch_indices)] = True
            self.all_seen_ = bool(self.seen_.all())
        state.batch_indices = []
        agree = self._store_epoch(state)
        self.agreement_.append(agree)
        epoch = len(net.history)
        if self.start_epoch_ is None:
            self._search_start(net, state, epoch)
        correcting = self.start_epoch_ is not None and epoch >= self.start_epoch_
        if correcting:
            # Every sample is trained on its (corrected) label from now on.
            state.masked_targets = None
            self.n_correcting_ += 1
        n_changed = self._update_labels(net) if correcting else 0
        net.history.record("label_agreement", agree)
        net.history.record("correcting", bool(correcting))
        net.history.record("n_labels_changed", n_changed)

    def _search_start(self, net, state, epoch):
        """Score the held-out labels; set ``start_epoch_`` once learning ends."""
        if self.heldout_ is None:  # nothing held out: the training agreement
            scores = self.agreement_
            end = early_learning_end(scores)
        else:
            probs = state.epoch_probs[self.heldout_]
            given = state.y[self.heldout_]
            p_given = probs.gather(1, given[:, None])[:, 0]
            score = float(p_given.double().mean())
            self.heldout_score_.append(score)
            net.history.record("heldout_score", score)
            net.history.record(
                "heldout_agreement", float((probs.argmax(1) == given).double().mean())
            )
            trained = self.trained_
            p_train = state.epoch_probs[trained].gather(1, state.y[trained, None])
            train_score = float(p_train.double().mean())
            self.train_score_.append(train_score)
            net.history.record("train_score", train_score)
            end = early_learning_end(self.heldout_score_, self.train_score_)
        if end is not None or epoch >= self.latest_start_:
            self.start_epoch_ = epoch

    def on_train_end(self, net, **kwargs):
        if not getattr(self, "active_", False):
            return
        self.state_.masked_targets = None
        window = int(net.correction_window)
        epochs = len(net.history) - self.epochs_begin_
        if self.n_correcting_ == 0:
            start = net.correction_start
            if start == "auto":
                fix = "raise max_epochs or set correction_start to an earlier epoch"
            else:
                fix = (
                    f"correction_start={start!r} is after the last epoch; lower "
                    "correction_start or raise max_epochs"
                )
            _warn(
                f"Label correction never started in {epochs} epochs, so "
                "corrected_labels_ are the given labels and label_issues_ is all "
                f"False: {fix}.",
                CorrectionWarning,
            )
        elif self.n_correcting_ < window:
            _warn(
                f"Label correction ran for only {self.n_correcting_} of "
                f"{epochs} epochs, fewer than correction_window={window}, so the "
                "corrected labels average fewer epochs than asked: raise "
                "max_epochs, lower correction_start, or lower correction_window.",
                CorrectionWarning,
            )

    def _kernel(self, func):
        """Compiled CPU kernel for the label state, or None (torch path)."""
        return compiled(func) if self.buffer_.device.type == "cpu" else None

    def _store_epoch(self, state):
        """Put the epoch's outputs in the ring buffer; return the agreement."""
        slot = self.n_filled_ % self.buffer_.shape[0]
        self.n_filled_ += 1
        kernel = self._kernel(_store_epoch)
        if kernel is not None:
            if self.window_sum_ is None:
                self.window_sum_ = np.zeros(self.buffer_.shape[1:])
            agree, counted = kernel(
                state.epoch_probs.numpy(),
                self.buffer_.numpy(),
                self.window_sum_,
                slot,
                state.y.numpy(),
                self.seen_.numpy(),
                self.all_seen_,
            )
            return agree / max(counted, 1)
        self.buffer_[slot] = state.epoch_probs
        matches = state.epoch_probs.argmax(1) == state.y
        if not self.all_seen_:
            matches = matches[self.seen_]
        return float(matches.float().mean())

    def _update_labels(self, net):
        state = self.state_
        filled = min(self.n_filled_, self.buffer_.shape[0])
        hard = net.label_correction == "hard"
        kernel = self._kernel(_window_update)
        if kernel is not None:
            if state.soft_labels is None:
                state.soft_labels = state.current_labels().contiguous()
            return kernel(
                self.window_sum_,
                filled,
                hard,
                self.seen_.numpy(),
                self.all_seen_,
                self.label_argmax_.numpy(),
                state.soft_labels.numpy(),
            )
        # Rows are means of softmax outputs, so they already sum to one.
        new = self.buffer_[:filled].mean(dim=0)
        new_argmax = new.argmax(1)
        if hard:
            new = F.one_hot(new_argmax, state.n_classes).to(new.dtype)
        if not self.all_seen_:  # samples never drawn keep their labels
            new = torch.where(self.seen_[:, None], new, state.current_labels())
            new_argmax = torch.where(self.seen_, new_argmax, self.label_argmax_)
        n_changed = int((new_argmax != self.label_argmax_).sum())
        state.soft_labels = new
        self.label_argmax_ = new_argmax
        return n_changed
