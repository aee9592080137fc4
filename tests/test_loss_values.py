"""Pinned values and gradients of every loss against an independent NumPy oracle.

The oracle below is written from the formulas of ``METHODS.md`` (sections 1, 3-5)
only, in float64, without torch: a changed formula, constant, default
hyperparameter, reduction or weighting of any loss in ``sknoisy.losses.LOSSES``
fails here at once, long before a benchmark drifts. Gradients with respect to
the logits are checked against central differences of the oracle (the
prediction-dependent part of the bootstrapping target is held fixed, as the
loss detaches it). The last tests pin how ``NoisyLabelClassifier`` builds its
criterion and the defaults that shape a training run.
"""

import math

import numpy as np
import pytest
import torch

from sknoisy import NoisyLabelClassifier
from sknoisy.losses import LOSSES

#: An asymmetric noise matrix, P(given = i | true = j) (columns sum to 1).
NOISE_MATRIX = np.array(
    [
        [0.7, 0.1, 0.0, 0.2],
        [0.3, 0.8, 0.1, 0.0],
        [0.0, 0.1, 0.9, 0.0],
        [0.0, 0.0, 0.0, 0.8],
    ]
)
A_RCE = math.log(1e-4)  # RCE = -A * (1 - p)
EPS_EL = 1e-5  # clamp of 1 - p in the encouraging bonus

# Fixed small inputs: 6 samples, 4 classes, probabilities from ~0.01 to ~0.97
# (both sides of the encouraging log end 0.75 and of the truncation k 0.5).
LOGITS = np.array(
    [
        [2.0, 0.5, -1.0, 0.0],
        [0.0, 1.0, 3.0, -2.0],
        [-1.5, 0.2, 0.1, 2.5],
        [4.0, -1.0, -2.0, 0.3],
        [0.0, 0.0, 0.0, 0.0],
        [1.0, -3.0, 2.0, 0.5],
    ]
)
TARGET = np.array([0, 2, 1, 0, 3, 1])
WEIGHT = np.array([1.0, 0.0, 2.5, 0.5, 1.0, 3.0])
_rng = np.random.default_rng(0)
SOFT = _rng.dirichlet(np.ones(4), size=6)


# ----------------------------------------------------------------- NumPy oracle
def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _per_class(name, z, zd, params):
    """(B, C) matrix: the loss of every sample if its label were class j.

    ``z`` carries the gradient; ``zd`` is the same logits held fixed (only the
    bootstrapping target uses it).
    """
    s = _softmax(z)
    c = z.shape[1]
    if name in ("ce", "elr"):  # ELR without per-sample targets is CE
        return -np.log(s)
    if name == "mae":
        return 2.0 - 2.0 * s
    if name == "gce":
        q = params["q"]
        return (1.0 - s**q) / q
    if name == "truncated_gce":
        q, k = params["q"], params["k"]
        return (1.0 - s**q) / q - (1.0 - k**q) / q
    if name == "encouraging":
        le = params["LE"]
        full = np.log(np.maximum(1.0 - s, EPS_EL))
        if le < 1.0:
            tangent = np.log(1.0 - le) + (s - le) / (le - 1.0)
            bonus = np.where(s <= le, full, tangent)
        else:
            bonus = full
        return -np.log(s) + bonus
    if name == "label_smoothing":
        a = params["smoothing"]
        # CE against (1 - a) * onehot(j) + a / C
        return -(1.0 - a) * np.log(s) - a / c * np.log(s).sum(axis=1, keepdims=True)
    if name == "sce":
        rce = -A_RCE * (1.0 - s)
        return params["alpha"] * -np.log(s) + params["beta"] * rce
    if name == "nce_rce":
        nce = np.log(s) / np.log(s).sum(axis=1, keepdims=True)
        rce = -A_RCE * (1.0 - s)
        return params["alpha"] * nce + params["beta"] * rce
    if name == "bootstrap":
        beta, mode = params["beta"], params["mode"]
        sd = _softmax(zd)
        if mode == "soft":
            pred = -(sd * np.log(s)).sum(axis=1, keepdims=True)
        else:
            pred = -np.log(s)[np.arange(len(s)), sd.argmax(axis=1)][:, None]
        return -beta * np.log(s) + (1.0 - beta) * pred
    if name in ("forward", "backward"):
        # Patrini et al.: T = noise_matrix.T (cleanlab's convention given)
        T = params["N"].T if "N" in params else np.eye(c)
        if name == "forward":
            return -np.log(s @ T)
        return -np.log(s) @ np.linalg.inv(T).T
    raise KeyError(name)


def _oracle(name, z, target, params, weight=None, reduction="mean", zd=None):
    zd = z if zd is None else zd
    per_class = _per_class(name, z, zd, params)
    if target.ndim == 2:  # soft target: expectation of the hard-label loss
        loss = (target * per_class).sum(axis=1)
    else:
        loss = per_class[np.arange(len(target)), target]
    if weight is not None:
        loss = loss * weight
    if reduction == "mean":  # weight-0 samples count in the denominator
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _oracle_grad(name, z, target, params, weight, h=1e-6):
    """d(sum-or-mean loss)/dz by central differences, prediction target fixed."""
    grad = np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        grad[idx] = (
            _oracle(name, up, target, params, weight, zd=z)
            - _oracle(name, down, target, params, weight, zd=z)
        ) / (2 * h)
    return grad


# Each case: (registry name, constructor kwargs, the oracle's parameters).
# The first case of every name uses the class defaults, pinned by the oracle
# values (METHODS.md defaults: q 0.7, k 0.5, LE 0.75, smoothing 0.1,
# SCE alpha 0.1 beta 1, NCE+RCE alpha 1 beta 1, bootstrap soft 0.95 hard 0.8).
CASES = [
    ("ce", {}, {}),
    ("mae", {}, {}),
    ("gce", {}, {"q": 0.7}),
    ("gce", {"q": 0.3}, {"q": 0.3}),
    ("gce", {"q": 1.0}, {"q": 1.0}),
    ("truncated_gce", {}, {"q": 0.7, "k": 0.5}),
    ("truncated_gce", {"q": 0.4, "k": 0.3}, {"q": 0.4, "k": 0.3}),
    ("encouraging", {}, {"LE": 0.75}),
    ("encouraging", {"LE": 1.0}, {"LE": 1.0}),
    ("encouraging", {"LE": 0.0}, {"LE": 0.0}),
    ("label_smoothing", {}, {"smoothing": 0.1}),
    ("label_smoothing", {"smoothing": 0.3}, {"smoothing": 0.3}),
    ("sce", {}, {"alpha": 0.1, "beta": 1.0}),
    ("sce", {"alpha": 6.0, "beta": 0.1}, {"alpha": 6.0, "beta": 0.1}),
    ("nce_rce", {}, {"alpha": 1.0, "beta": 1.0}),
    ("nce_rce", {"alpha": 10.0, "beta": 0.1}, {"alpha": 10.0, "beta": 0.1}),
    ("bootstrap", {}, {"beta": 0.95, "mode": "soft"}),
    ("bootstrap", {"mode": "hard"}, {"beta": 0.8, "mode": "hard"}),
    ("bootstrap", {"beta": 0.6, "mode": "soft"}, {"beta": 0.6, "mode": "soft"}),
    # ELR's regularizer needs per-sample targets: tests/test_elr.py
    ("elr", {}, {}),
    ("elr", {"lam": 7.0}, {}),
    # loss correction: no matrix is cross entropy; a matrix in cleanlab's
    # convention (columns sum to 1) is trained through as its transpose
    ("forward", {}, {}),
    ("forward", {"noise_matrix": NOISE_MATRIX}, {"N": NOISE_MATRIX}),
    ("backward", {}, {}),
    ("backward", {"noise_matrix": NOISE_MATRIX}, {"N": NOISE_MATRIX}),
]


def _id(value):
    return "N" if isinstance(value, np.ndarray) else value


IDS = [
    f"{name}-{'-'.join(f'{k}={_id(v)}' for k, v in kw.items()) or 'default'}"
    for name, kw, _ in CASES
]


def test_every_registered_loss_is_pinned():
    assert {name for name, _, _ in CASES} == set(LOSSES)


def _torch_loss(name, kwargs, reduction):
    return LOSSES[name](**kwargs, reduction=reduction)


@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name, kwargs, params", CASES, ids=IDS)
def test_value_and_gradient(name, kwargs, params, weighted, soft):
    target = SOFT if soft else TARGET
    weight = WEIGHT if weighted else None
    t_target = torch.tensor(target) if soft else torch.tensor(target, dtype=torch.long)
    t_weight = None if weight is None else torch.tensor(weight)
    for reduction in ("mean", "sum", "none"):
        z = torch.tensor(LOGITS, requires_grad=True)
        out = _torch_loss(name, kwargs, reduction)(z, t_target, weight=t_weight)
        expected = _oracle(name, LOGITS, target, params, weight, reduction)
        np.testing.assert_allclose(
            out.detach().numpy(),
            expected,
            rtol=1e-9,
            atol=1e-10,
            err_msg=f"{name} {kwargs} value, reduction={reduction}",
        )
        if reduction == "none":
            continue
        out.backward()
        grad = _oracle_grad(name, LOGITS, target, params, weight)
        if reduction == "sum":  # the oracle's gradient is of the mean
            grad = grad * len(LOGITS)
        np.testing.assert_allclose(
            z.grad.numpy(),
            grad,
            rtol=1e-5,
            atol=1e-7,
            err_msg=f"{name} {kwargs} gradient, reduction={reduction}",
        )


@pytest.mark.parametrize("name, kwargs, params", CASES, ids=IDS)
def test_float32_matches_oracle(name, kwargs, params):
    """The dtype the estimator trains in: same values to float32 precision."""
    z = torch.tensor(LOGITS, dtype=torch.float32)
    out = _torch_loss(name, kwargs, "none")(z, torch.tensor(TARGET))
    expected = _oracle(name, LOGITS, TARGET, params, reduction="none")
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-5, atol=2e-5)


def test_gce_gradient_is_ce_gradient_times_p_to_the_q():
    """METHODS.md 1: dL_q/dz = p**q * dCE/dz (per sample)."""
    z = torch.tensor(LOGITS, requires_grad=True)
    LOSSES["gce"](q=0.7, reduction="sum")(z, torch.tensor(TARGET)).backward()
    s = _softmax(LOGITS)
    p = s[np.arange(len(TARGET)), TARGET]
    ce_grad = s - np.eye(4)[TARGET]
    np.testing.assert_allclose(z.grad.numpy(), p[:, None] ** 0.7 * ce_grad, rtol=1e-9)


def test_truncated_prune_weights():
    """METHODS.md 1: w_i = 1[p_i > k]."""
    loss = LOSSES["truncated_gce"]()
    w = loss.prune_weights(torch.tensor(LOGITS), torch.tensor(TARGET))
    p = _softmax(LOGITS)[np.arange(len(TARGET)), TARGET]
    np.testing.assert_array_equal(w.numpy(), (p > 0.5).astype(float))


# ------------------------------------------------- what the estimator builds
def _criterion(**params):
    X = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    y = np.arange(40) % 4
    clf = NoisyLabelClassifier(max_epochs=0, random_state=0, **params).fit(X, y)
    return clf.criterion_


@pytest.mark.parametrize(
    "params, cls, attributes",
    [
        ({}, LOSSES["ce"], {}),
        ({"loss": "gce"}, LOSSES["gce"], {"q": 0.7}),
        ({"loss": "gce", "q": 0.4}, LOSSES["gce"], {"q": 0.4}),
        ({"loss": "truncated_gce"}, LOSSES["truncated_gce"], {"q": 0.7, "k": 0.5}),
        ({"loss": "encouraging"}, LOSSES["encouraging"], {"LE": 0.75}),
        ({"loss": "label_smoothing"}, LOSSES["label_smoothing"], {"smoothing": 0.1}),
        ({"loss": "bootstrap"}, LOSSES["bootstrap"], {"mode": "soft"}),
        ({"loss": "elr"}, LOSSES["elr"], {"lam": 3.0}),
        ({"loss": "elr", "elr_lambda": 7.0}, LOSSES["elr"], {"lam": 7.0}),
    ],
)
def test_estimator_criterion(params, cls, attributes):
    """The estimator's loss: its class, hyperparameters and a mean reduction."""
    criterion = _criterion(**params)
    assert type(criterion) is cls
    assert criterion.reduction == "mean"
    for name, value in attributes.items():
        assert getattr(criterion, name) == value


def test_estimator_training_defaults():
    """Defaults that shape every fit (a change here moves every benchmark)."""
    params = NoisyLabelClassifier().get_params()
    expected = {
        "loss": "ce",
        "q": 0.7,
        "k": 0.5,
        "LE": 0.75,
        "smoothing": 0.1,
        "prune_start": None,
        "prune_every": None,
        "label_correction": None,
        "elr_lambda": 3.0,
        "elr_beta": 0.7,
        "anneal_lr": "auto",
        "lr": "auto",
        "max_epochs": 50,
        "batch_size": 64,
    }
    assert {name: params[name] for name in expected} == expected
