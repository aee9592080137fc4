"""Joint optimisation of network and labels (Tanaka et al., CVPR 2018)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..correction._callbacks import LabelCorrection
from ..correction._issues import label_attributes
from ..correction._objective import jo_objective, jo_regularizers
from ..losses import CrossEntropyLoss
from ..losses._elr import elr_probabilities
from ..utils._scale import warn_unscaled
from ._base import TrainingMethod

__all__ = ["JointOptimization", "class_prior", "regularizer_weight"]


class JointOptimization(TrainingMethod):
    """Correct the training labels while the network learns.

    The method of ``label_correction="soft"`` or ``"hard"``: the
    :class:`~sknoisy.LabelCorrection` callback keeps the running average of
    the network's outputs and, once early learning ends, replaces labels by
    it (soft) or its argmax (hard). Which labels it replaces is
    ``correction_rule``:

    - ``"confident"`` (default): only the labels that the averaged outputs
      confidently put in another class (below their own class's threshold,
      another class above its threshold: the off-diagonal of confident
      learning's confident joint, with per-class thresholds so that a rare or
      hard class is not absorbed by a frequent one); the other samples keep
      their given label. A flagged sample is trained on ``w * average + (1 -
      w) * given``, with ``w = min(1, share of flagged labels / 0.2)``
      (``FULL_SHARE``): where few labels look wrong, a flagged one is as
      likely a hard, correct sample. The loss adds the early-learning regularizer
      ``elr_lambda * log(1 - <p, t>)`` of ELR (targets ``t``: an exponential
      moving average of each sample's outputs, momentum ``elr_beta``, folded
      once per epoch) from the first epoch, and Tanaka's prior and entropy
      terms once correction runs, weighted by the same ``w``: they guard a
      relabelling against collapsing to a few classes, and have nothing to
      guard when few labels move;
    - ``"all"``: every label (Tanaka et al. 2018): the loss adds
      ``alpha * KL(prior || mean softmax) + beta * H(softmax)`` in every epoch
      (and the early-learning regularizer when ``elr_lambda > 0``; with
      ``elr_lambda=0`` this is the paper's objective).

    With ``refit_corrected`` a fresh module is trained with cross entropy on
    the corrected labels afterwards (stage 2). Its fitted attributes are
    ``corrected_labels_``, ``soft_labels_``, ``label_issues_``,
    ``label_quality_``, ``predicted_labels_``, ``correction_start_``,
    ``noise_matrix_`` and ``noise_rate_``.

    Parameters
    ----------
    net : NoisyLabelClassifier
        Reads ``label_correction``, ``correction_rule``, ``alpha``, ``beta``,
        ``prior``, ``elr_lambda``, ``elr_beta``, ``correction_*``,
        ``refit_corrected``, ``refit_epochs``, ``max_epochs`` and
        ``random_state``.
    """

    name = "joint_optimization"
    uses_label_state = True
    default_lr = 1e-3
    anneals_lr = True

    def __init__(self, net):
        super().__init__(net)
        self.mode = net.label_correction
        self.rule = net.correction_rule
        self.alpha = net.alpha
        self.beta = net.beta
        self.prior = net.prior
        self.lam = float(net.elr_lambda)
        self.momentum = float(net.elr_beta)
        self.correction = LabelCorrection(
            mode=net.label_correction,
            window=net.correction_window,
            start=net.correction_start,
            holdout=net.correction_holdout,
            random_state=net.random_state,
        )
        self.refit = net.refit_corrected
        self.epochs = net.refit_epochs or net.max_epochs

    @classmethod
    def asked_for(cls, net):
        if net.label_correction is None:
            return None
        return f"label_correction={net.label_correction!r}"

    @classmethod
    def learning_rate(cls, net):
        """``lr="auto"``: 1e-3 (Adam), 1e-2 with ``correction_rule="all"``.

        Replacing every label needs a network that has learned much by the
        end of early learning; Tanaka's rule was measured at 1e-2.
        """
        return 1e-2 if net.correction_rule == "all" else cls.default_lr

    def check_inputs(self, X):
        warn_unscaled(X, "the corrected labels")

    def callbacks(self):
        return [("label_correction", self.correction)]

    def reset_state(self, state, y_enc, n_classes, weights=None, prunes=False):
        return state.reset(
            y_enc,
            n_classes,
            prior=class_prior(self.prior, y_enc, n_classes, weights),
            with_weights=prunes,
            hard=self.mode == "hard",
            confident=self.rule == "confident",
            ema=self.momentum if self.lam > 0 else None,
        )

    def training_loss(self, criterion, state, y_pred, target, weight, index):
        if state.frozen:  # stage-2 refit: cross entropy on the fixed labels
            if weight is None:
                return F.cross_entropy(y_pred, target)
            return (F.cross_entropy(y_pred, target, reduction="none") * weight).mean()
        if not state.regularize:
            return criterion(y_pred, target, weight=weight)
        scale = regularizer_weight(state)
        alpha, beta = self.alpha * scale, self.beta * scale
        elr = self.lam > 0 and state.has_targets
        if weight is None and type(criterion) is CrossEntropyLoss:
            # the whole objective, ELR's term included, in one closed form
            loss, probs = jo_objective(
                y_pred,
                target,
                state.prior,
                alpha,
                beta,
                return_probs=True,
                elr_target=state.target[index] if elr else None,
                lam=self.lam,
            )
            if state.recording:
                state.record(index, probs)
            return loss
        loss = criterion(y_pred, target, weight=weight)
        if alpha or beta:
            loss = loss + jo_regularizers(y_pred, state.prior, alpha, beta)
        probs = torch.softmax(y_pred.detach(), dim=-1)
        if elr:
            agreement = (state.target[index] * elr_probabilities(y_pred)).sum(1)
            term = torch.log1p(-agreement)
            if weight is not None:
                term = term * weight
            loss = loss + self.lam * term.mean()
        if state.recording:
            state.record(index, probs)
        return loss

    def refit_epochs(self):
        return self.epochs if self.refit else None

    def fitted_attributes(self, state, y_enc, decode, history):
        return label_attributes(state, y_enc, decode, history)


def regularizer_weight(state):
    """Weight of the prior and entropy terms in the current epoch.

    1 under ``correction_rule="all"``; under ``"confident"``, 0 before
    correction starts and, while it runs, the state's ``move_weight``:
    ``min(1, share of replaced labels / 0.2)``.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.correction import LabelState
    >>> from sknoisy.methods._joint import regularizer_weight
    >>> state = LabelState().reset(torch.tensor([0, 1]), 2, prior=[0.5, 0.5])
    >>> regularizer_weight(state)
    1.0
    """
    if not state.confident_only:
        return 1.0
    if not state.correcting:
        return 0.0
    return state.move_weight


def class_prior(prior, y_enc, n_classes, weights=None):
    """The class prior of the prior term, normalised and strictly positive.

    Parameters
    ----------
    prior : {"uniform", "empirical"} or array-like of shape (n_classes,)
        The estimator's ``prior``; ``"empirical"`` counts the given labels,
        weighted by ``weights`` when given.
    y_enc : ndarray of shape (n_samples,)
        The encoded given labels.
    n_classes : int
        Number of classes.
    weights : ndarray of shape (n_samples,), default=None
        Each sample's weight (``sample_weight`` times ``class_weight``).

    Returns
    -------
    prior : ndarray of shape (n_classes,)

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.methods._joint import class_prior
    >>> class_prior("empirical", np.array([0, 0, 0, 1]), 2)
    array([0.75, 0.25])
    """
    c = n_classes
    if isinstance(prior, str) and prior == "uniform":
        prior = np.full(c, 1.0 / c)
    elif isinstance(prior, str):  # "empirical", weighted like the loss
        prior = np.bincount(y_enc, weights=weights, minlength=c)
        prior = prior / prior.sum()
    else:
        prior = np.asarray(prior, dtype=float).ravel()
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
