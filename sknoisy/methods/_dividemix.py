"""DivideMix: two networks, a loss mixture per epoch, MixMatch on the split."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from .._augment import RandomCropFlip, check_augment
from ..utils._data import INDEX_KEY
from ._base import TrainingMethod
from ._joint import class_prior
from ._two_networks import TwoNetworks

__all__ = [
    "DivideMix",
    "DivideMixNetworks",
    "DivideMixSchedule",
    "clean_probability",
    "lambda_u_for",
    "mixup",
    "sharpen",
    "warmup_epochs",
]

#: Epochs of the linear ramp of the unlabelled loss' weight (official code).
RAMP_EPOCHS = 16
#: The published lambda_u at 20, 50 and 80% symmetric noise (CIFAR-10).
_LAMBDA_RATES, _LAMBDA_VALUES = (0.2, 0.5, 0.8), (0.0, 25.0, 150.0)


# ---------------------------------------------------------------- functions
def clean_probability(losses, *, reg_covar=5e-4, tol=1e-2, max_iter=10):
    """Posterior of the low-loss component of a two-component 1-D mixture.

    DivideMix's division (Li et al. 2020): the per-sample losses are scaled
    to [0, 1] (``(l - min) / (max - min)``), a two-component Gaussian mixture
    is fitted by EM with the official code's settings (``reg_covar=5e-4``,
    ``tol=1e-2``, ``max_iter=10``, as scikit-learn's ``GaussianMixture``),
    and each sample gets the posterior probability of the component with the
    smaller mean. The start is deterministic: 1-D k-means from the smallest
    and the largest loss (scikit-learn starts from a random k-means).

    Parameters
    ----------
    losses : array-like of shape (n_samples,)
        Per-sample losses.
    reg_covar : float, default=5e-4
        Added to each component's variance.
    tol : float, default=1e-2
        EM stops when the mean log-likelihood gains less.
    max_iter : int, default=10
        At most this many EM steps.

    Returns
    -------
    w : ndarray of shape (n_samples,)
        Clean probabilities in [0, 1]; all ones when the losses are all equal.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.methods._dividemix import clean_probability
    >>> w = clean_probability([0.1, 0.12, 0.09, 0.11, 2.0, 2.2, 1.9])
    >>> np.round(w, 2).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    """
    x = np.asarray(losses, dtype=np.float64).ravel()
    if x.size == 0:
        return x.copy()
    lo, hi = x.min(), x.max()
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return np.ones_like(x)
    x = (x - lo) / (hi - lo)
    # deterministic start: k-means in 1-D from the two ends
    centres = np.array([0.0, 1.0])
    for _ in range(10):
        near = np.abs(x[:, None] - centres[None, :]).argmin(1)
        new = np.array(
            [x[near == k].mean() if np.any(near == k) else centres[k] for k in (0, 1)]
        )
        if np.allclose(new, centres):
            break
        centres = new
    resp = np.stack([near == 0, near == 1], 1).astype(np.float64)
    eps = 10 * np.finfo(np.float64).eps
    bound = -np.inf
    for _ in range(max_iter):
        weights, means, var = _m_step(x, resp, reg_covar, eps)
        log_prob = _log_joint(x, weights, means, var)
        norm = np.logaddexp(log_prob[:, 0], log_prob[:, 1])
        resp = np.exp(log_prob - norm[:, None])
        new_bound = norm.mean()
        if abs(new_bound - bound) < tol:
            break
        bound = new_bound
    weights, means, var = _m_step(x, resp, reg_covar, eps)
    log_prob = _log_joint(x, weights, means, var)
    norm = np.logaddexp(log_prob[:, 0], log_prob[:, 1])
    return np.exp(log_prob[:, int(np.argmin(means))] - norm)


def _m_step(x, resp, reg_covar, eps):
    nk = resp.sum(0) + eps
    means = (resp * x[:, None]).sum(0) / nk
    var = (resp * (x[:, None] - means) ** 2).sum(0) / nk + reg_covar
    return nk / len(x), means, var


def _log_joint(x, weights, means, var):
    return (
        np.log(weights)
        - 0.5 * np.log(2 * np.pi * var)
        - 0.5 * (x[:, None] - means) ** 2 / var
    )


def sharpen(probs, temperature):
    """MixMatch's sharpening: ``p ** (1 / T)``, renormalised per row.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.methods._dividemix import sharpen
    >>> sharpen(torch.tensor([[0.6, 0.4]]), 0.5)
    tensor([[0.6923, 0.3077]])
    """
    powered = probs ** (1.0 / temperature)
    return powered / powered.sum(dim=1, keepdim=True)


def mixup(inputs, targets, lam, perm):
    """Mix each row with row ``perm[i]``: ``lam * a + (1 - lam) * b``.

    Parameters
    ----------
    inputs : torch.Tensor of shape (B, ...)
    targets : torch.Tensor of shape (B, C)
    lam : float
        The weight of each row's own sample (DivideMix draws ``lam`` from
        ``Beta(alpha, alpha)`` and takes ``max(lam, 1 - lam)``).
    perm : torch.Tensor of shape (B,)
        The partner of each row.

    Returns
    -------
    mixed_inputs, mixed_targets : torch.Tensor

    Examples
    --------
    >>> import torch
    >>> from sknoisy.methods._dividemix import mixup
    >>> x = torch.tensor([[0.0], [1.0]])
    >>> t = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> mx, mt = mixup(x, t, 0.75, torch.tensor([1, 0]))
    >>> mx.ravel().tolist(), mt[0].tolist()
    ([0.25, 0.75], [0.75, 0.25])
    """
    return (
        lam * inputs + (1.0 - lam) * inputs[perm],
        lam * targets + (1.0 - lam) * targets[perm],
    )


def lambda_u_for(noise_rate):
    """``lambda_u`` for a noise rate: the paper's 0 / 25 / 150 at 20 / 50 / 80%.

    Linear between those points, 0 below 20% and 150 above 80%.

    Examples
    --------
    >>> from sknoisy.methods._dividemix import lambda_u_for
    >>> [round(lambda_u_for(r), 2) for r in (0.1, 0.2, 0.4, 0.5, 0.8, 0.9)]
    [0.0, 0.0, 16.67, 25.0, 150.0, 150.0]
    """
    return float(np.interp(float(noise_rate), _LAMBDA_RATES, _LAMBDA_VALUES))


def warmup_epochs(warmup, n_epochs):
    """Epochs of cross-entropy warm-up in a run of ``n_epochs`` epochs.

    ``"auto"``: ``min(10, ceil(n_epochs / 3))``, the paper's 10 epochs
    (CIFAR-10) for a run of 30 epochs or more, a third of a shorter one (a
    fifth, 6 of 30 epochs, was too short on MNIST-1D with pair noise: the
    networks had not learnt the clean patterns yet, and the division then
    failed); an integer is used as given (at most ``n_epochs``).

    Examples
    --------
    >>> from sknoisy.methods._dividemix import warmup_epochs
    >>> warmup_epochs("auto", 300), warmup_epochs("auto", 60), warmup_epochs(3, 60)
    (10, 10, 3)
    >>> warmup_epochs("auto", 30), warmup_epochs("auto", 20), warmup_epochs("auto", 4)
    (10, 7, 2)
    """
    if isinstance(warmup, str):  # "auto"
        return max(1, min(10, math.ceil(n_epochs / 3)))
    return min(int(warmup), n_epochs)


# ---------------------------------------------------------- augmentation
class _Shift1D:
    """Random shift of a batch of 1-D signals ``(B, C, L)`` by up to ``padding``.

    Edge values fill the border (a :class:`~sknoisy.augment.RandomCropFlip`
    without flip on ``(B, C, 1, L)``).
    """

    def __init__(self, padding):
        self.padding = int(padding)
        self._crop = RandomCropFlip(self.padding, flip=False, padding_mode="edge")

    def __repr__(self):
        return f"Shift1D(padding={self.padding})"

    def __call__(self, X, generator=None):
        return self._crop(X.unsqueeze(2), generator=generator).squeeze(2)


def default_augment(batch_shape):
    """The augmentation of ``dividemix_augment="auto"`` for a batch's shape.

    Images ``(B, C, H, W)``: a random translation of up to ``max(1,
    round(min(H, W) / 8))`` pixels (zero border; 4 for 32x32 images, as
    CIFAR's crop, 1 for 8x8 digits) without flipping; signals ``(B, C, L)``:
    a random shift of up to ``max(1, round(L / 8))`` steps (edge values fill
    the border; 5 for MNIST-1D's 40). Anything else: None.

    Examples
    --------
    >>> from sknoisy.methods._dividemix import default_augment
    >>> default_augment((64, 1, 8, 8))
    RandomCropFlip(padding=1, flip=False, padding_mode='constant', fill=0.0)
    >>> default_augment((64, 1, 40))
    Shift1D(padding=5)
    """
    if len(batch_shape) == 4:
        return RandomCropFlip(max(1, round(min(batch_shape[2:]) / 8)), flip=False)
    if len(batch_shape) == 3:
        return _Shift1D(max(1, round(batch_shape[2] / 8)))
    return None


def _input_shape(X):
    """The shape of one sample of X (None: unknown)."""
    shape = getattr(X, "shape", None)
    if shape is not None and not isinstance(X, dict):
        return tuple(shape[1:])
    if isinstance(X, torch.utils.data.Dataset) and len(X):
        item = X[0]
        x = item[0] if isinstance(item, (tuple, list)) else item
        return tuple(getattr(x, "shape", ()))
    return None


# ------------------------------------------------------------------- module
class TrainingBatch(NamedTuple):
    """What :class:`DivideMixNetworks` returns in training mode."""

    inputs: torch.Tensor
    networks: TwoNetworks


class DivideMixNetworks(TwoNetworks):
    """:class:`TwoNetworks` whose training-mode forward defers to the method.

    In evaluation mode (prediction, skorch's validation pass, the division)
    ``forward`` returns ``(log_mean, logits_1, logits_2)`` as
    :class:`TwoNetworks`. In training mode it runs no network and returns a
    :class:`TrainingBatch` of the inputs and itself: DivideMix's training
    loss runs both networks on augmented and mixed copies of the batch.
    """

    def forward(self, *args, **kwargs):
        if self.training and len(args) == 1 and not kwargs:
            return TrainingBatch(args[0], self)
        return super().forward(*args, **kwargs)


# ------------------------------------------------------------------- method
class DivideMix(TrainingMethod):
    """Two networks, each trained by MixMatch on the other's division.

    The method of ``sample_selection="dividemix"`` (Li, Socher & Hoi 2020).
    The module holds two copies of ``module``, initialised independently.

    1. **Warm-up** (``dividemix_warmup`` epochs): both networks train with
       the estimator's ``loss`` (cross entropy by default) on one augmented
       view of each batch, plus ``dividemix_penalty`` times the mean negative
       entropy of the outputs (the official code's confidence penalty for
       asymmetric noise).
    2. **Division**, at the start of every later epoch (and after the last):
       each network's cross entropy on every training sample (evaluation
       mode, no gradient) is scaled to [0, 1], averaged with the scaled
       losses of the ``dividemix_window - 1`` previous divisions (the
       official code's asymmetric-noise setting), and a two-component
       Gaussian mixture is fitted to it (:func:`clean_probability`), per
       given class under ``dividemix_division="per_class"``; ``w`` is the
       posterior of the low-loss component. Stored in the label state
       (``label_state_.clean``: one row per network, then the kept losses),
       so checkpoints carry it.
    3. **MixMatch** per training batch. Network ``k`` uses the *other*
       network's ``w``: samples with ``w > dividemix_threshold`` are
       labelled, the others unlabelled. Two augmented views of the batch
       (``dividemix_augment``); labelled targets are co-refined, ``w y + (1 -
       w) p``, ``p`` the network's own mean output over the views, then
       sharpened (``dividemix_temperature``); unlabelled targets are
       co-guessed, the mean of both networks over both views, sharpened. The
       views and targets are mixed within the batch (mixup, ``lam ~
       Beta(alpha, alpha)``, ``lam = max(lam, 1 - lam)``, ``alpha =
       dividemix_alpha``), and the loss is cross entropy on the mixed
       labelled rows plus ``lambda_u`` times the mean squared error of the
       mixed unlabelled rows plus ``KL(prior || mean prediction)`` (the
       ``prior`` parameter; the paper's penalty is uniform, which the
       empirical prior equals on balanced classes). ``lambda_u`` ramps up
       linearly over the first 16 epochs after warm-up (official code).
       Both networks are updated by one optimizer step on the sum of their
       losses. ``sample_weight`` and ``class_weight`` weigh each mixed row
       by its own (dominant, ``lam >= 0.5``) sample's weight.

    Departures from the paper: the division is applied inside skorch's
    batches (each batch holds labelled and unlabelled samples in the
    proportions of the division) instead of separate labelled and unlabelled
    loaders; both networks use the same two views of a batch; the ramp of
    ``lambda_u`` moves per epoch, not per batch; the confidence penalty and
    the loss averaging (official code: asymmetric noise only) are on by
    default; the mixture is fitted per class by default; Adam
    (sknoisy's default) instead of SGD. :meth:`predict_proba` returns the
    mean of both networks' probabilities.

    Parameters
    ----------
    net : NoisyLabelClassifier
        Reads the ``dividemix_*`` parameters, ``prior`` and ``loss``.

    References
    ----------
    .. [1] J. Li, R. Socher and S. C. H. Hoi, "DivideMix: Learning with noisy
       labels as semi-supervised learning", ICLR 2020.
    """

    name = "dividemix"
    uses_label_state = True
    anneals_lr = True

    def __init__(self, net):
        super().__init__(net)
        if net.criterion is not None or (
            isinstance(net.loss, str) and net.loss == "truncated_gce"
        ):
            raise ValueError(
                "sample_selection='dividemix' trains on the logits of a sknoisy "
                "loss and selects samples itself: pass neither criterion nor "
                "loss='truncated_gce'."
            )
        self.threshold = float(net.dividemix_threshold)
        self.temperature = float(net.dividemix_temperature)
        self.alpha = float(net.dividemix_alpha)
        self.penalty = float(getattr(net, "dividemix_penalty", 0.0))
        self.prior = net.prior
        self.augment_param = net.dividemix_augment
        self._augment = (
            None
            if net.dividemix_augment == "auto"
            else (check_augment(net.dividemix_augment))
        )
        self._beta = None

    @classmethod
    def asked_for(cls, net):
        if net.sample_selection != "dividemix":
            return None
        return "sample_selection='dividemix'"

    @classmethod
    def build_module(cls, net, make):
        pair = TwoNetworks.build(make)
        return DivideMixNetworks(pair.first, pair.second)

    def outputs(self, y_pred):
        return y_pred[0] if isinstance(y_pred, tuple) else y_pred

    def check_inputs(self, X):
        if isinstance(X, dict):
            raise ValueError(
                "sample_selection='dividemix' augments and mixes the input "
                "tensor of a batch; a dict input has none. Pass an array or a "
                "Dataset of tensors."
            )
        if not isinstance(self.augment_param, str) or self.augment_param != "auto":
            return
        shape = _input_shape(X)
        if shape is not None and len(shape) not in (2, 3):
            raise ValueError(
                "sample_selection='dividemix' augments images (n, C, H, W) and "
                f"signals (n, C, L); got samples of shape {shape}. Reshape X, "
                "or pass dividemix_augment=None (no augmentation) or an "
                "augmentation callable."
            )

    def callbacks(self):
        return [("dividemix", DivideMixSchedule())]

    def reset_state(self, state, y_enc, n_classes, weights=None, prunes=False):
        state.reset(y_enc, n_classes)
        device = state.y.device
        n = len(state.y)
        state.clean = torch.ones(2, n, device=device)
        state.noise = torch.empty(0, device=device)
        state.dm_prior = torch.as_tensor(
            class_prior(self.prior, np.asarray(y_enc), n_classes, weights),
            dtype=torch.float32,
            device=device,
        )
        return state

    # ----------------------------------------------------------- batch loss
    def _augmentation(self, x):
        if self._augment is None and self.augment_param == "auto":
            self._augment = default_augment(tuple(x.shape)) or (lambda b, **_: b)
        return self._augment

    def _view(self, x):
        augment = self._augmentation(x)
        return x if augment is None else augment(x)

    def training_loss(self, criterion, state, y_pred, target, weight, index):
        if not isinstance(y_pred, TrainingBatch):
            raise TypeError(
                "sample_selection='dividemix' needs its module "
                "(DivideMixNetworks) in training mode."
            )
        x, nets = y_pred
        lambda_u = getattr(state, "dm_lambda_u", None)
        if lambda_u is None:  # warm-up: the estimator's loss on one view each
            loss = 0.0
            for net in nets_of(nets):
                logits = net(self._view(x))
                loss = loss + criterion(logits, target, weight=weight)
                if self.penalty > 0:  # confidence penalty: negative entropy
                    log_p = torch.log_softmax(logits.float(), -1)
                    loss = loss + self.penalty * (log_p.exp() * log_p).sum(1).mean()
            return loss
        n_classes = state.dm_prior.shape[0]
        given = (
            target
            if target.is_floating_point()
            else F.one_hot(target, n_classes).to(torch.float32)
        )
        views = torch.cat([self._view(x), self._view(x)])
        with torch.no_grad():
            probs = [torch.softmax(net(views).float(), -1) for net in nets_of(nets)]
            b = len(x)
            guess = sharpen(
                (probs[0] + probs[1]).view(2, b, -1).mean(0) / 2, self.temperature
            )
        if weight is not None:
            weight = torch.cat([weight, weight])
        loss = 0.0
        for k, net in enumerate(nets_of(nets)):
            w = state.clean[1 - k][index][:, None]  # the other network's division
            own = probs[k].view(2, b, -1).mean(0)
            refined = sharpen(w * given + (1 - w) * own, self.temperature)
            labelled = (w[:, 0] > self.threshold).repeat(2)
            targets = torch.where(
                labelled[:, None], refined.repeat(2, 1), guess.repeat(2, 1)
            )
            loss = loss + self._mixmatch_loss(
                net, views, targets, labelled, weight, state, lambda_u
            )
        return loss

    def _mixmatch_loss(self, net, views, targets, labelled, weight, state, lambda_u):
        if self._beta is None:
            a = torch.tensor(self.alpha)
            self._beta = torch.distributions.Beta(a, a)
        lam = float(self._beta.sample())
        lam = max(lam, 1.0 - lam)
        perm = torch.randperm(len(views)).to(views.device)
        mixed_x, mixed_t = mixup(views, targets, lam, perm)
        logits = net(mixed_x).float()
        log_p = torch.log_softmax(logits, -1)
        per_row_x = -(mixed_t * log_p).sum(1)
        per_row_u = ((log_p.exp() - mixed_t) ** 2).mean(1)
        if weight is not None:
            per_row_x, per_row_u = per_row_x * weight, per_row_u * weight
        loss_x = (
            per_row_x[labelled].mean() if bool(labelled.any()) else logits.sum() * 0
        )
        loss_u = per_row_u[~labelled].mean() if bool((~labelled).any()) else 0.0
        prior = state.dm_prior
        mean_p = log_p.exp().mean(0)
        penalty = (prior * torch.log(prior / mean_p.clamp_min(1e-12))).sum()
        return loss_x + lambda_u * loss_u + penalty

    # --------------------------------------------------------------- results
    def fitted_attributes(self, state, y_enc, decode, history):
        if state.clean.numel() == 0:
            return {}
        clean = state.clean[:2].mean(0).cpu().numpy().astype(np.float64)
        issues = clean < self.threshold
        y_enc = np.asarray(y_enc)
        predicted = state.predicted.cpu().numpy()
        out = {
            "clean_probability_": clean,
            "label_quality_": clean.copy(),
            "label_issues_": issues,
            "predicted_labels_": decode(predicted),
            "corrected_labels_": decode(np.where(issues, predicted, y_enc)),
            "noise_rate_": float(issues.mean()),
        }
        if state.noise.numel():
            out["dividemix_lambda_u_"] = float(state.noise[1])
        return out


def nets_of(pair):
    return (pair.first, pair.second)


# ------------------------------------------------------------------ callback
class DivideMixSchedule(Callback):
    """Warm-up, the division of each epoch and ``lambda_u``.

    At the start of each epoch of a run (counted from the run's first epoch,
    so a resumed run continues its schedule) it either leaves the networks in
    warm-up or divides the training set anew with both networks
    (:func:`clean_probability`, stored in ``label_state_.clean``) and sets
    the epoch's ``lambda_u``; after the last epoch it divides once more, for
    the fitted attributes. Under ``dividemix_lambda_u="auto"`` the noise rate
    is estimated at the first division (the share of samples whose mean clean
    probability is below the threshold) and kept in the label state (buffer
    ``noise``: the rate and ``lambda_u``).
    """

    def __init__(self):
        self._dataset = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_dataset"] = None  # never pickle the training data
        return state

    def _run(self, net):
        row = net.history[-1]
        begin, end = row.get("plan_begin", 0), row.get("plan_end", len(net.history))
        return len(net.history) - 1 - begin, max(1, end - begin)

    def on_train_begin(self, net, **kwargs):
        if not isinstance(net.module_, DivideMixNetworks):
            raise TypeError(
                "sample_selection='dividemix' needs its two-network module; "
                "re-initialise the net (fit) after changing sample_selection."
            )

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        state = net.label_state_
        self._dataset = dataset_train
        epoch, n_epochs = self._run(net)
        warmup = warmup_epochs(net.dividemix_warmup, n_epochs)
        if epoch < warmup or dataset_train is None:
            state.dm_lambda_u = None
            net.history.record("dividemix_lambda_u", 0.0)
            return
        self._divide(net, dataset_train, keep=True)
        if isinstance(net.dividemix_lambda_u, str):  # "auto"
            if state.noise.numel() == 0:
                rate = float(
                    (state.clean[:2].mean(0) < float(net.dividemix_threshold))
                    .float()
                    .mean()
                )
                state.noise = torch.tensor(
                    [rate, lambda_u_for(rate)], device=state.y.device
                )
            full = float(state.noise[1])
        else:
            full = float(net.dividemix_lambda_u)
        ramp = min(1.0, (epoch - warmup + 0.5) / RAMP_EPOCHS)
        state.dm_lambda_u = full * ramp
        net.history.record("dividemix_lambda_u", state.dm_lambda_u)
        net.history.record(
            "dividemix_labelled",
            float((state.clean[:2] > net.dividemix_threshold).float().mean()),
        )

    def on_train_end(self, net, **kwargs):
        state = net.label_state_
        state.dm_lambda_u = None
        if self._dataset is not None:
            self._divide(net, self._dataset, predict=True)
        self._dataset = None

    def _divide(self, net, dataset, predict=False, keep=False):
        """Both networks' clean probabilities on ``dataset``, into the state.

        The losses, scaled to [0, 1] per network, are averaged with those of
        the last ``dividemix_window - 1`` kept divisions (rows 2 and on of
        ``state.clean``: ``window - 1`` blocks of two rows, oldest first, NaN
        where not yet filled); ``keep`` appends this division's losses (the
        epochs' divisions, not the one after the last epoch, so an
        interrupted and resumed run keeps the same history).
        """
        state = net.label_state_
        device = state.y.device
        losses = torch.zeros(2, len(state.y), device=device)
        seen = torch.zeros(len(state.y), dtype=torch.bool, device=device)
        with torch.random.fork_rng(devices=[]):
            for batch in net.get_iterator(dataset, training=False):
                Xi = batch[0]
                index = torch.as_tensor(Xi[INDEX_KEY], device=device).long()
                _, z1, z2 = net.evaluation_step(batch, training=False)
                y = state.y[index]
                for k, z in enumerate((z1, z2)):
                    losses[k, index] = F.cross_entropy(
                        z.float().to(device), y, reduction="none"
                    )
                if predict:
                    mean = torch.softmax(z1.float(), -1) + torch.softmax(z2.float(), -1)
                    state.predicted[index] = mean.argmax(1).to(device)
                seen[index] = True
        rows = torch.nonzero(seen)[:, 0]
        lo = losses[:, rows].min(1, keepdim=True).values
        hi = losses[:, rows].max(1, keepdim=True).values
        losses = (losses - lo) / (hi - lo).clamp_min(1e-12)
        n, past = len(state.y), max(0, int(getattr(net, "dividemix_window", 1)) - 1)
        if state.clean.shape != (2 + 2 * past, n):  # new run or new window
            old = state.clean[:2] if len(state.clean) >= 2 else torch.ones(2, n)
            state.clean = torch.cat(
                [old.to(device), torch.full((2 * past, n), math.nan, device=device)]
            )
        history = torch.cat([state.clean[2:].view(past, 2, n), losses[None]])
        averaged = history.nanmean(0)
        if keep and past:
            state.clean[2:] = history[1:].reshape(2 * past, n)
        groups = [rows]
        if getattr(net, "dividemix_division", "global") == "per_class":
            labels = state.y[rows]
            groups = [rows[labels == c] for c in torch.unique(labels)]
        for k in range(2):
            for group in groups:
                w = clean_probability(averaged[k, group].cpu().numpy())
                state.clean[k, group] = torch.as_tensor(
                    w, dtype=torch.float32, device=device
                )
