"""Joint optimisation of network and labels (Tanaka et al., CVPR 2018).

The label state lives in a :class:`TrainingState` held by the estimator; the
:class:`LabelCorrection` callback records the softmax of every training
forward pass by sample index, and at each epoch end replaces the labels by the
mean of the last ``correction_window`` epochs (soft) or its argmax (hard) once
correction has started. :func:`jo_regularizers` adds the prior and entropy
terms to the loss in ``NoisyLabelClassifier.get_loss``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from ..exceptions import CorrectionWarning, _warn
from ._kernels import (
    _store_epoch,
    _window_update,
    compiled,
)
from ._schedule import _holdout_seed, early_learning_end, holdout_mask


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
        state.valid_indices = []
        self.seen_ = torch.zeros(n, dtype=torch.bool, device=state.y.device)
        # Trained samples scored beside the held-out ones: those of training
        # batches (not of a validation split) that are not held out; set once,
        # after the first epoch.
        self.trained_ = None
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
                targets = F.one_hot(state.y, c).float()
                targets[self.heldout_] = 0.0
                state.masked_targets = targets.contiguous()
            else:
                _warn(
                    "correction_start='auto' could hold out no label (no class has "
                    "two samples), so the start is found from the agreement with "
                    "the training labels, which memorisation keeps raising: set "
                    "correction_start to an epoch.",
                    CorrectionWarning,
                )

    def on_epoch_end(self, net, **kwargs):
        if not getattr(self, "active_", False):
            return
        state = self.state_
        if self.heldout_ is not None and self.trained_ is None and state.batch_indices:
            trained = torch.zeros_like(self.seen_)
            trained[torch.cat(state.batch_indices)] = True
            trained[self.heldout_] = False
            self.trained_ = torch.nonzero(trained)[:, 0]
        recorded = state.batch_indices + state.valid_indices
        if recorded and not self.all_seen_:
            # Mark this epoch's samples once, not per batch; once every sample
            # has been seen (normally after the first epoch) masks are skipped.
            self.seen_[torch.cat(recorded)] = True
            self.all_seen_ = bool(self.seen_.all())
        state.batch_indices = []
        state.valid_indices = []
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
        # The per-epoch outputs are rebuilt by every training call: drop them,
        # so the fitted (and pickled) model keeps only the labels.
        state = self.state_
        state.masked_targets = None
        state.epoch_probs = None
        state.batch_indices = []
        state.valid_indices = []
        self.buffer_ = self.window_sum_ = None
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
        if self.n_correcting_:
            self._check_restored_weights(net)

    @staticmethod
    def _check_restored_weights(net):
        """Warn when a callback will restore an earlier epoch's weights."""
        last = len(net.history)
        for name, cb in net.callbacks_:
            if not getattr(cb, "load_best", False):
                continue
            if hasattr(cb, "best_epoch_"):  # EarlyStopping
                best = cb.best_epoch_
            else:  # Checkpoint: the last epoch that saved
                key = getattr(cb, "event_name", None) or "event_cp"
                saved = [i for i, row in enumerate(net.history, 1) if row.get(key)]
                best = saved[-1] if saved else None
            if best is None or best == last:  # nothing saved, or the last epoch
                continue
            _warn(
                f"Callback {name!r} (load_best=True) restores the weights of epoch "
                f"{best} while corrected_labels_ and soft_labels_ are those of "
                f"epoch {last}: labels and weights are out of step. Monitor a "
                "score that follows the corrected labels, or set load_best=False.",
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
