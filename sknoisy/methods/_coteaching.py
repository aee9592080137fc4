"""Co-teaching: two networks, each trained on the other's small-loss samples."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from ..noise._estimate import estimate_from_rows
from ._base import TrainingMethod
from ._two_networks import TwoNetworks, forget_schedule, small_loss_indices

__all__ = ["CoTeaching", "CoTeachingSchedule", "ramp_epochs"]

#: Epochs of the forget rate's linear ramp (T_k of the paper), at most.
RAMP_EPOCHS = 10


def ramp_epochs(n_epochs):
    """``T_k`` of a run of ``n_epochs`` epochs: ``min(10, ceil(n_epochs / 5))``.

    The paper's 10 epochs (of 200); a shorter run ramps over its first fifth,
    so that most of it trains at the full forget rate.

    Examples
    --------
    >>> from sknoisy.methods._coteaching import ramp_epochs
    >>> ramp_epochs(50), ramp_epochs(20), ramp_epochs(3)
    (10, 4, 1)
    """
    return max(1, min(RAMP_EPOCHS, math.ceil(n_epochs / 5)))


def estimate_epochs(n_epochs):
    """Epochs whose outputs estimate the forget rate: ``ceil(2 T_k / 5)``.

    4 of a 50-epoch run. Measured on load_digits (3 seeds, 50 epochs,
    co-teaching with the estimate against the true rate): after 2 epochs the
    rare classes of a long-tailed set are not learned yet and count as noise
    (0.41 to 0.53 for a true 0.2, -0.06); after 5 the networks start to
    memorise and the estimate falls below the true rate at symmetric 40%
    (-0.015); after 4 all of symmetric 40%, pair 40% and the long-tailed
    symmetric 20% are within 0.01 of the true rate.

    Examples
    --------
    >>> from sknoisy.methods._coteaching import estimate_epochs
    >>> estimate_epochs(50), estimate_epochs(20), estimate_epochs(3)
    (4, 2, 1)
    """
    return max(1, math.ceil(2 * ramp_epochs(n_epochs) / 5))


class CoTeaching(TrainingMethod):
    """Train two networks, each on the samples the other finds easy.

    The method of ``sample_selection="coteaching"`` (Han et al. 2018). The
    module is :class:`~sknoisy.methods._two_networks.TwoNetworks`: two copies
    of ``module``, initialised independently. In every training batch each
    network ranks the samples by its cross entropy on the given labels and
    keeps the share ``R(T) = 1 - tau * min(T / T_k, 1)`` with the smallest
    losses (``T`` the epoch of the run from 0, ``T_k = min(10,
    ceil(max_epochs / 5))``, :func:`ramp_epochs`); the *other* network is
    trained on them with the estimator's ``loss`` (cross entropy by default,
    times ``sample_weight`` and ``class_weight``). Both networks are updated
    by one optimizer step on the sum of their losses (Adam's steps are per
    parameter, so this equals the paper's two optimizers).

    The forget rate ``tau`` is ``forget_rate``; ``"auto"`` estimates the
    noise rate from the data. For the first ``ceil(2 T_k / 5)`` epochs both
    networks train on every sample (no sample is forgotten), while the mean
    of their softmax outputs on each sample is averaged over these epochs;
    then the confident-joint estimate
    (:func:`sknoisy.noise.estimate_noise_matrix`) of the given labels against
    these averages gives the noise rate, which is ``tau`` from then on
    (fitted ``noise_rate_``, ``noise_matrix_``). The paper's code needs the
    true rate instead.

    :meth:`~sknoisy.NoisyLabelClassifier.predict_proba` returns the mean of
    both networks' probabilities. Co-teaching selects samples and never
    relabels them: it sets no ``corrected_labels_`` or ``label_quality_``.

    Parameters
    ----------
    net : NoisyLabelClassifier
        Reads ``forget_rate``, ``max_epochs`` and ``loss``.

    References
    ----------
    .. [1] B. Han, Q. Yao, X. Yu, G. Niu, M. Xu, W. Hu, I. Tsang and
       M. Sugiyama, "Co-teaching: Robust training of deep neural networks with
       extremely noisy labels", NeurIPS 2018.
    """

    name = "coteaching"
    uses_label_state = True

    def __init__(self, net):
        super().__init__(net)
        if isinstance(net.loss, str) and net.loss == "truncated_gce":
            raise ValueError(
                "sample_selection='coteaching' selects samples itself and cannot "
                "be combined with loss='truncated_gce', which prunes them; pass "
                "another loss."
            )
        self.forget_rate = net.forget_rate

    @classmethod
    def asked_for(cls, net):
        if net.sample_selection != "coteaching":
            return None
        return "sample_selection='coteaching'"

    @classmethod
    def build_module(cls, net, make):
        return TwoNetworks.build(make)

    def outputs(self, y_pred):
        return y_pred[0] if isinstance(y_pred, tuple) else y_pred

    def callbacks(self):
        return [("coteaching", CoTeachingSchedule(self.forget_rate))]

    def reset_state(self, state, y_enc, n_classes, weights=None, prunes=False):
        state.reset(y_enc, n_classes, running=True)
        if not isinstance(self.forget_rate, str):
            rate = float(self.forget_rate)
            state.forget = torch.tensor([rate], device=state.y.device)
        return state

    def training_loss(self, criterion, state, y_pred, target, weight, index):
        _, z1, z2 = y_pred
        forget = getattr(state, "forget_now", 0.0)
        if getattr(state, "estimating", False):
            probs = torch.softmax(z1.detach(), -1) + torch.softmax(z2.detach(), -1)
            probs = probs / 2
            state.update_mean(index, probs)
        if forget <= 0:
            return criterion(z1, target, weight=weight) + criterion(
                z2, target, weight=weight
            )
        keep = 1.0 - forget
        with torch.no_grad():
            kept_1 = small_loss_indices(_ce(z1, target), keep)
            kept_2 = small_loss_indices(_ce(z2, target), keep)
        # each network learns from the samples the other one kept
        return _loss(criterion, z1, target, weight, kept_2) + _loss(
            criterion, z2, target, weight, kept_1
        )

    def fitted_attributes(self, state, y_enc, decode, history):
        out = {"forget_rate_": float(state.forget[0]) if state.forget.numel() else 0.0}
        if isinstance(self.forget_rate, str) and bool(state.n_averaged.any()):
            matrix, rate = estimate_from_rows(
                np.asarray(y_enc, dtype=np.int64), state.average.cpu().numpy(), True
            )
            out.update(noise_matrix_=matrix, noise_rate_=rate)
        return out


def _ce(logits, target):
    if target.is_floating_point():
        return -(target * torch.log_softmax(logits, -1)).sum(1)
    return F.cross_entropy(logits, target, reduction="none")


def _loss(criterion, logits, target, weight, kept):
    return criterion(
        logits[kept], target[kept], weight=None if weight is None else weight[kept]
    )


class CoTeachingSchedule(Callback):
    """The forget rate of each epoch, and its estimate under ``"auto"``.

    At the start of every epoch it sets the share the networks forget,
    :func:`~sknoisy.methods._two_networks.forget_schedule` of the epoch in
    the run (0 while the rate of ``"auto"`` is being estimated); at the end
    of the last estimating epoch it stores the estimated rate in the label
    state (buffer ``forget``), so a checkpoint holds it and a resumed run
    continues with it.

    Parameters
    ----------
    forget_rate : float or "auto"
        The estimator's ``forget_rate``.
    """

    def __init__(self, forget_rate="auto"):
        self.forget_rate = forget_rate

    def _run(self, net):
        row = net.history[-1]
        begin, end = row.get("plan_begin", 0), row.get("plan_end", len(net.history))
        return len(net.history) - 1 - begin, max(1, end - begin)

    def on_epoch_begin(self, net, **kwargs):
        state = net.label_state_
        epoch, n_epochs = self._run(net)
        known = state.forget.numel() > 0
        state.estimating = not known and epoch < estimate_epochs(n_epochs)
        tau = float(state.forget[0]) if known else 0.0
        state.forget_now = forget_schedule(epoch, tau, ramp_epochs(n_epochs))
        net.history.record("forget_rate", state.forget_now)

    def on_epoch_end(self, net, **kwargs):
        state = net.label_state_
        if not getattr(state, "estimating", False):
            return
        epoch, n_epochs = self._run(net)
        if epoch + 1 < min(estimate_epochs(n_epochs), n_epochs):
            return
        state.estimating = False
        _, rate = estimate_from_rows(
            state.y.cpu().numpy(), state.average.cpu().numpy(), True
        )
        state.forget = torch.tensor([min(rate, 0.95)], device=state.y.device)

    def on_train_end(self, net, **kwargs):
        state = net.label_state_
        state.estimating, state.forget_now = False, 0.0
