"""The label state of a fit: creation, class prior, stage-2 refit, fitted attributes."""

from __future__ import annotations

import numpy as np
import torch

from ..losses import get_loss_class
from ._state import TrainingState

# Top-level estimator parameter -> loss-constructor argument, per loss name.


def _correction_start(history):
    """First epoch of the history that corrected labels, or None."""
    for epoch, row in enumerate(history, start=1):
        if row.get("correcting"):
            return epoch
    return None


class _LabelStateMixin:
    """Per-sample state (correction, pruning) of NoisyLabelClassifier."""

    def _ensure_training_state(self, y_enc):
        """Create (or, for ``partial_fit`` on the same samples, keep) the state."""
        pruning = self._loss_prunes()
        if not pruning and self.label_correction is None:
            self.__dict__.pop("_training_state", None)
            return None
        state = self.__dict__.get("_training_state")
        if state is not None and len(state.y) == len(y_enc) and state.stage == 1:
            if bool((state.y.cpu().numpy() == y_enc).all()):
                return state
        prior = None
        if self.label_correction is not None:
            prior = torch.as_tensor(
                self._class_prior(y_enc), dtype=torch.float32, device=self.device
            )
        state = TrainingState(
            y_enc, self._n_classes, self.device, prior=prior, with_weights=pruning
        )
        self._training_state = state
        return state

    def _class_prior(self, y_enc):
        c = self._n_classes
        if isinstance(self.prior, str) and self.prior == "uniform":
            prior = np.full(c, 1.0 / c)
        elif isinstance(self.prior, str):  # "empirical"
            prior = np.bincount(y_enc, minlength=c) / len(y_enc)
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
        """Stage 2 of joint optimisation: fresh module, CE on the labels."""
        state.stage = 2
        self._initialize_module(reason="refit on corrected labels")
        criterion = self.criterion_
        self.criterion_ = get_loss_class("ce")()
        self._initialize_optimizer()
        self._planned_epochs = self.refit_epochs or self.max_epochs
        try:
            self.notify("on_train_begin", X=indexed, y=y_enc)
            self.fit_loop(
                indexed,
                y_enc,
                epochs=self.refit_epochs or self.max_epochs,
                **fit_params,
            )
            self.notify("on_train_end", X=indexed, y=y_enc)
        finally:
            self.criterion_ = criterion
            self.__dict__.pop("_planned_epochs", None)

    def _set_state_attributes(self, state, y_enc):
        if state.sample_weights is not None:
            self.pruning_weights_ = state.sample_weights.cpu().numpy().copy()
        if self.label_correction is not None:
            soft = state.current_labels().cpu().numpy().astype(np.float64)
            corrected = soft.argmax(axis=1)
            self.soft_labels_ = soft
            self.corrected_labels_ = self.classes_[corrected]
            self.label_issues_ = corrected != y_enc
            self.correction_start_ = _correction_start(self.history_)
