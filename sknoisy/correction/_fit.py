"""The label state of a fit: creation, class prior, stage-2 refit, fitted attributes."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from skorch.utils import to_tensor

from ..losses import CrossEntropyLoss
from ..losses._pruning import TruncationPruning
from ..utils._data import INDEX_KEY, is_indexed
from ..utils._torch import QuietPrintLog
from ._callbacks import LabelCorrection
from ._objective import jo_objective, jo_regularizers
from ._schedule import LRAnneal
from ._state import FROZEN, LabelState

# Parameters the default callbacks are built from.
_CALLBACK_PARAMS = frozenset(
    {
        "label_correction",
        "correction_start",
        "correction_window",
        "correction_holdout",
        "anneal_lr",
        "loss",
        "random_state",
    }
)


def _correction_start(history):
    """First epoch of the history that corrected labels, or None."""
    for epoch, row in enumerate(history, start=1):
        if row.get("correcting"):
            return epoch
    return None


class _LabelStateMixin:
    """Per-sample state (correction, pruning) of NoisyLabelClassifier."""

    @property
    def _default_callbacks(self):
        callbacks = [
            (name, QuietPrintLog() if name == "print_log" else cb)
            for name, cb in super()._default_callbacks
        ]
        if self._loss_prunes():
            callbacks.insert(0, ("truncation_pruning", TruncationPruning()))
        if self.label_correction is not None:
            correction = LabelCorrection(
                mode=self.label_correction,
                window=self.correction_window,
                start=self.correction_start,
                holdout=self.correction_holdout,
                random_state=self.random_state,
            )
            callbacks.insert(0, ("label_correction", correction))
        anneal = self.anneal_lr
        if isinstance(anneal, str):  # "auto"
            anneal = self.label_correction is not None
        if anneal is True:
            callbacks.insert(0, ("lr_anneal", LRAnneal(factor=0.1, at=0.8)))
        return callbacks

    def _uses_label_state(self):
        return self.label_correction is not None or self._loss_prunes()

    def initialize_criterion(self):
        """Initialise the loss and, when needed, the label state.

        Label correction and the truncated loss's pruning keep per-sample
        state; it is a second skorch criterion, ``label_state_``
        (:class:`~sknoisy.correction.LabelState`), so skorch moves it to the
        device and saves and loads it (``f_label_state``) like the others.
        """
        super().initialize_criterion()
        if self._uses_label_state():
            if "label_state" not in self._criteria:  # else fit resets it
                self.label_state_ = LabelState()
        elif "label_state" in self._criteria:
            del self.label_state_
        return self

    def torch_compile(self, module, name):
        # The label state is bookkeeping, not a computation to compile.
        if name == "label_state":
            return module
        return super().torch_compile(module, name)

    def _label_state(self):
        """The label state, or None when this configuration has none."""
        if "label_state" not in self._criteria:
            return None
        return self.label_state_

    def _ensure_training_state(self, y_enc, reset=False, weights=None):
        """Reset the state for a new run, or keep it to continue one.

        ``partial_fit`` on the same samples continues the run (the state
        matches the labels); anything else starts afresh.
        """
        state = self._label_state()
        if state is None:
            return None
        if not reset and state.matches(y_enc) and not state.frozen:
            return state
        prior = None
        if self.label_correction is not None:
            prior = self._class_prior(y_enc, weights)
        return state.reset(
            y_enc,
            self._n_classes,
            prior=prior,
            with_weights=self._loss_prunes(),
            hard=self.label_correction == "hard",
        )

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        state = self._label_state()
        # Compared once the callbacks' on_train_begin ran (skorch's
        # LoadInitState loads a checkpoint there): see on_epoch_begin.
        self._call_labels = None if state is None else state.y.clone()

    def on_epoch_begin(self, net, **kwargs):
        super().on_epoch_begin(net, **kwargs)
        expected = getattr(self, "_call_labels", None)
        if expected is None:
            return
        self._call_labels = None
        state = self._label_state()
        if state is not None and not state.matches(expected):
            n_state, n = len(state.y), len(expected)
            what = (
                f"{n_state} samples, this call has {n}"
                if n_state != n
                else f"{int((state.y.cpu() != expected.cpu()).sum())} of {n} "
                "given labels differ from this call's"
            )
            raise ValueError(
                "The label state loaded at the start of training (by a "
                "callback such as skorch's LoadInitState, from a checkpoint's "
                f"f_label_state) belongs to other data: it has {what}. Resume "
                "with the X and y of the checkpointed run, or start label "
                "correction afresh by not loading the label state "
                "(Checkpoint(f_label_state=None))."
            )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        state = self._label_state()
        weighted = (
            getattr(self, "_sample_weight", None) is not None
            or getattr(self, "_class_weight", None) is not None
        )
        if not is_indexed(X) or (state is None and not weighted):
            return super().get_loss(y_pred, y_true, X=X, training=training)
        y_true = to_tensor(y_true, device=self.device)
        index = to_tensor(X[INDEX_KEY], device=self.device)
        if not training:
            if state is not None and state.recording:
                # skorch's validation pass: its samples get corrected too.
                state.record(index, torch.softmax(y_pred.detach(), dim=-1), False)
            return self.criterion_(y_pred, y_true)
        if state is None:  # weights only
            weight = self._batch_weight(index, y_true)
            return self.criterion_(y_pred, y_true, weight=weight)
        target = state.targets(index, y_true)
        weight = self._batch_weight(index, target) if weighted else None
        if state.frozen:  # stage-2 refit: cross entropy on the fixed labels
            if weight is None:
                return F.cross_entropy(y_pred, target)
            return (F.cross_entropy(y_pred, target, reduction="none") * weight).mean()
        pruning = state.sample_weights(index)
        if pruning is not None:
            weight = pruning if weight is None else weight * pruning
        if not state.regularize:
            return self.criterion_(y_pred, target, weight=weight)
        if weight is None and type(self.criterion_) is CrossEntropyLoss:
            loss, probs = jo_objective(
                y_pred, target, state.prior, self.alpha, self.beta, return_probs=True
            )
        else:
            loss = self.criterion_(y_pred, target, weight=weight)
            loss = loss + jo_regularizers(y_pred, state.prior, self.alpha, self.beta)
            probs = torch.softmax(y_pred.detach(), dim=-1)
        if state.recording:
            state.record(index, probs)
        return loss

    def _class_prior(self, y_enc, weights=None):
        c = self._n_classes
        if isinstance(self.prior, str) and self.prior == "uniform":
            prior = np.full(c, 1.0 / c)
        elif isinstance(self.prior, str):  # "empirical", weighted like the loss
            prior = np.bincount(y_enc, weights=weights, minlength=c)
            prior = prior / prior.sum()
        else:
            prior = np.asarray(self.prior, dtype=float).ravel()
            if prior.shape != (c,) or not np.all(np.isfinite(prior)):
                raise ValueError(
                    f"prior must have one finite entry per class ({c}), got "
                    f"shape {prior.shape}."
                )
            if np.any(prior < 0) or prior.sum() <= 0:
                raise ValueError("prior must be non-negative with a positive sum.")
            prior = prior / prior.sum()
        # Classes with zero prior contribute nothing; keep the log finite.
        prior = np.maximum(prior, 1e-8)
        return prior / prior.sum()

    def _refit_on_corrected(self, state, indexed, y_enc, **fit_params):
        """Stage 2 of joint optimisation: fresh module, CE on the labels.

        The label state is frozen (its labels become fixed targets of a plain
        cross entropy, no prior or entropy term, no recording), a fresh module
        and optimizer are initialised, and skorch's own ``partial_fit`` trains
        them (as a new run, so the learning-rate anneal restarts).
        """
        state.set_phase(FROZEN)
        self._initialize_module(reason="refit on corrected labels")
        self._initialize_optimizer()
        epochs = self.refit_epochs or self.max_epochs
        self._start_call(epochs)
        super().partial_fit(indexed, y_enc, **{**fit_params, "epochs": epochs})

    def _set_state_attributes(self, state, y_enc, X=None, y=None):
        if state.prunes:
            self.pruning_weights_ = state.weights.cpu().numpy().copy()
        if self.label_correction is not None:
            soft = state.current_labels().cpu().numpy().copy()
            corrected = soft.argmax(axis=1)
            self.soft_labels_ = soft
            self.corrected_labels_ = self._decode(corrected)
            self.label_issues_ = corrected != y_enc
            self.correction_start_ = _correction_start(self.history_)
            self._set_issue_attributes(state, y_enc, X, y)
