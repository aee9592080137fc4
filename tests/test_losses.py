"""Tests for sknoisy.losses (formulas follow /shared/METHODS.md, sections 1, 3-5)."""

import inspect
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from sknoisy import losses as losses_module
from sknoisy.losses import (
    LOSSES,
    BootstrapLoss,
    CrossEntropyLoss,
    EncouragingLoss,
    GCELoss,
    LabelSmoothingLoss,
    MAELoss,
    NCELoss,
    NCERCELoss,
    RCELoss,
    SCELoss,
    TruncatedGCELoss,
    get_loss_class,
)
from sknoisy.losses._base import _conservative_bonus

A = math.log(1e-4)

# (id, class, kwargs) for every loss and a few notable settings
CONFIGS = [
    ("ce", CrossEntropyLoss, {}),
    ("mae", MAELoss, {}),
    ("gce", GCELoss, {"q": 0.7}),
    ("gce_q1", GCELoss, {"q": 1.0}),
    ("truncated_gce", TruncatedGCELoss, {"q": 0.7, "k": 0.5}),
    ("encouraging", EncouragingLoss, {"LE": 0.75}),
    ("encouraging_full", EncouragingLoss, {"LE": 1.0}),
    ("encouraging_linear", EncouragingLoss, {"LE": 0.0}),
    ("label_smoothing", LabelSmoothingLoss, {"smoothing": 0.1}),
    ("rce", RCELoss, {}),
    ("nce", NCELoss, {}),
    ("sce", SCELoss, {"alpha": 0.1, "beta": 1.0}),
    ("nce_rce", NCERCELoss, {"alpha": 1.0, "beta": 1.0}),
    ("bootstrap_soft", BootstrapLoss, {"mode": "soft"}),
    ("bootstrap_hard", BootstrapLoss, {"beta": 0.8, "mode": "hard"}),
]
CONFIG_IDS = [c[0] for c in CONFIGS]
PUBLIC_CLASSES = sorted({c[1] for c in CONFIGS}, key=lambda c: c.__name__)


def make(cls, kwargs, reduction="none"):
    return cls(**kwargs, reduction=reduction)


# ------------------------------------------------------------ numpy reference
def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_reference(name, z, y, kw):
    """Per-sample loss for hard targets, written directly from METHODS.md."""
    s = np_softmax(z)
    rows = np.arange(len(y))
    p = s[rows, y]
    ce = -np.log(p)
    rce = -A * (1 - p)
    if name == "ce":
        return ce
    if name == "mae":
        return 2 - 2 * p
    if name.startswith("gce"):
        return (1 - p ** kw["q"]) / kw["q"]
    if name == "truncated_gce":
        q, k = kw["q"], kw["k"]
        return (1 - p**q) / q - (1 - k**q) / q
    if name.startswith("encouraging"):
        le = kw["LE"]
        out = np.empty_like(p)
        for i, pi in enumerate(p):
            if pi <= le:
                bonus = math.log(max(1 - pi, 1e-5))
            else:
                bonus = math.log(1 - le) + (pi - le) / (le - 1)
            out[i] = -math.log(pi) + bonus
        return out
    if name == "label_smoothing":
        a = kw["smoothing"]
        c = z.shape[1]
        t = np.full_like(s, a / c)
        t[rows, y] += 1 - a
        return -(t * np.log(s)).sum(axis=1)
    if name == "rce":
        # -sum_k s_k log(clamp(onehot_k, 1e-4))
        t = np.full_like(s, 1e-4)
        t[rows, y] = 1.0
        return -(s * np.log(t)).sum(axis=1)
    if name == "nce":
        return ce / (-np.log(s)).sum(axis=1)
    if name == "sce":
        return kw["alpha"] * ce + kw["beta"] * rce
    if name == "nce_rce":
        return kw["alpha"] * ce / (-np.log(s)).sum(axis=1) + kw["beta"] * rce
    if name == "bootstrap_soft":
        b = 0.95
        t = (1 - b) * s
        t[rows, y] += b
        return -(t * np.log(s)).sum(axis=1)
    if name == "bootstrap_hard":
        b = kw["beta"]
        t = np.zeros_like(s)
        t[rows, s.argmax(axis=1)] = 1 - b
        t[rows, y] += b
        return -(t * np.log(s)).sum(axis=1)
    raise AssertionError(name)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(7, 4))
    y = rng.integers(0, 4, size=7)
    soft = rng.dirichlet(np.ones(4), size=7)
    return z, y, soft


# ------------------------------------------------------------------ formulas
@pytest.mark.parametrize(("name", "cls", "kw"), CONFIGS, ids=CONFIG_IDS)
def test_matches_numpy_reference(name, cls, kw, data):
    z, y, _ = data
    got = make(cls, kw)(torch.tensor(z), torch.tensor(y))
    np.testing.assert_allclose(got.numpy(), np_reference(name, z, y, kw), rtol=1e-10)


def test_hand_computed_values_uniform_binary():
    # logits (0, 0): p = 1/2 for either class.
    z = torch.zeros(1, 2, dtype=torch.float64)
    y = torch.tensor([0])
    log2 = math.log(2)
    expected = [
        (CrossEntropyLoss(), log2),
        (MAELoss(), 1.0),
        (GCELoss(q=0.5), (1 - math.sqrt(0.5)) / 0.5),
        (TruncatedGCELoss(q=0.5, k=0.25), (0.25**0.5 - 0.5**0.5) / 0.5),
        (EncouragingLoss(LE=0.75), log2 + math.log(0.5)),
        (EncouragingLoss(LE=0.0), log2 - 0.5),
        (EncouragingLoss(LE=0.25), log2 + math.log(0.75) - 0.25 / 0.75),
        (LabelSmoothingLoss(smoothing=0.3), log2),
        (RCELoss(), -0.5 * math.log(1e-4)),
        (NCELoss(), 0.5),
        (SCELoss(alpha=2.0, beta=0.5), 2 * log2 - 0.25 * math.log(1e-4)),
        (NCERCELoss(alpha=2.0, beta=0.5), 1.0 - 0.25 * math.log(1e-4)),
        (BootstrapLoss(mode="soft"), log2),
        (BootstrapLoss(mode="hard"), log2),
    ]
    for loss, value in expected:
        assert loss(z, y).item() == pytest.approx(value, rel=1e-12), loss


def test_hand_computed_values_three_classes():
    z = torch.tensor([[math.log(0.2), math.log(0.3), math.log(0.5)]])
    y = torch.tensor([1])
    assert CrossEntropyLoss()(z, y).item() == pytest.approx(-math.log(0.3), rel=1e-6)
    assert MAELoss()(z, y).item() == pytest.approx(1.4, rel=1e-6)
    assert GCELoss(q=0.7)(z, y).item() == pytest.approx((1 - 0.3**0.7) / 0.7, 1e-6)
    denom = -(math.log(0.2) + math.log(0.3) + math.log(0.5))
    assert NCELoss()(z, y).item() == pytest.approx(-math.log(0.3) / denom, rel=1e-6)
    # label smoothing 0.3: target (0.1, 0.8, 0.1)
    ls = -(0.1 * math.log(0.2) + 0.8 * math.log(0.3) + 0.1 * math.log(0.5))
    assert LabelSmoothingLoss(0.3)(z, y).item() == pytest.approx(ls, rel=1e-6)
    # hard bootstrap, beta 0.8: target 0.8 on class 1 and 0.2 on the argmax (2)
    hb = -(0.8 * math.log(0.3) + 0.2 * math.log(0.5))
    assert BootstrapLoss(mode="hard")(z, y).item() == pytest.approx(hb, rel=1e-6)
    sb = -(0.95 * math.log(0.3)) - 0.05 * sum(v * math.log(v) for v in (0.2, 0.3, 0.5))
    assert BootstrapLoss()(z, y).item() == pytest.approx(sb, rel=1e-6)


# -------------------------------------------------------------------- limits
def test_gce_tends_to_ce_as_q_to_zero(data):
    z, y, _ = data
    z, y = torch.tensor(z), torch.tensor(y)
    ce = CrossEntropyLoss(reduction="none")(z, y)
    gce = GCELoss(q=1e-4, reduction="none")(z, y)
    torch.testing.assert_close(gce, ce, rtol=2e-3, atol=1e-3)
    # and the error shrinks with q
    gce_small = GCELoss(q=1e-6, reduction="none")(z, y)
    assert (gce_small - ce).abs().max() < (gce - ce).abs().max()


def test_gce_q1_is_half_mae(data):
    z, y, soft = data
    z = torch.tensor(z)
    for t in (torch.tensor(y), torch.tensor(soft)):
        torch.testing.assert_close(
            GCELoss(q=1.0, reduction="none")(z, t),
            MAELoss(reduction="none")(z, t) / 2,
        )


def test_gce_gradient_is_p_power_q_weighted_ce():
    z = torch.tensor([[1.0, -0.5, 0.3]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1])
    (g_gce,) = torch.autograd.grad(GCELoss(q=0.7)(z, y), z)
    (g_ce,) = torch.autograd.grad(CrossEntropyLoss()(z, y), z)
    p = torch.softmax(z, dim=1)[0, 1].detach()
    torch.testing.assert_close(g_gce, p**0.7 * g_ce)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5, 1.0])
def test_label_smoothing_matches_torch(smoothing, data):
    z, y, soft = data
    z = torch.tensor(z)
    for reduction in ("mean", "sum", "none"):
        for t in (torch.tensor(y), torch.tensor(soft)):
            torch.testing.assert_close(
                LabelSmoothingLoss(smoothing, reduction=reduction)(z, t),
                F.cross_entropy(z, t, label_smoothing=smoothing, reduction=reduction),
            )


def test_encouraging_le0_is_ce_minus_p_and_le1_is_full_bonus(data):
    z, y, _ = data
    z, y = torch.tensor(z), torch.tensor(y)
    ce = F.cross_entropy(z, y, reduction="none")
    p = torch.exp(-ce)
    torch.testing.assert_close(EncouragingLoss(LE=0.0, reduction="none")(z, y), ce - p)
    torch.testing.assert_close(
        EncouragingLoss(LE=1.0, reduction="none")(z, y), ce + torch.log1p(-p)
    )


def test_encouraging_full_bonus_clamp():
    # p ~ 1: 1 - p is clamped to 1e-5, so the loss is log(1e-5) - log p ~ log(1e-5)
    z = torch.tensor([[50.0, 0.0]], dtype=torch.float64)
    value = EncouragingLoss(LE=1.0)(z, torch.tensor([0])).item()
    assert value == pytest.approx(math.log(1e-5), rel=1e-9)


@pytest.mark.parametrize("le", [0.25, 0.5, 0.75, 0.9])
def test_conservative_bonus_continuous_and_smooth_at_log_end(le):
    eps = 1e-7
    p = torch.tensor([le - eps, le, le + eps], dtype=torch.float64, requires_grad=True)
    bonus = _conservative_bonus(p.log(), le)
    (grad,) = torch.autograd.grad(bonus.sum(), p)
    # continuity: value at LE is log(1 - LE), approached from both sides
    slope = 1 / (le - 1)  # derivative of log(1 - p) at LE
    assert bonus[1].item() == pytest.approx(math.log(1 - le), abs=1e-12)
    assert bonus[0].item() == pytest.approx(math.log(1 - le) - eps * slope, abs=1e-9)
    assert bonus[2].item() == pytest.approx(math.log(1 - le) + eps * slope, abs=1e-9)
    # the derivative matches on both sides
    np.testing.assert_allclose(grad.numpy(), slope, rtol=1e-5)
    # far right of LE the bonus is the straight tangent line
    p_right = torch.tensor([0.99], dtype=torch.float64)
    expected = math.log(1 - le) + (0.99 - le) * slope
    assert _conservative_bonus(p_right.log(), le).item() == pytest.approx(expected)


def test_encouraging_loss_can_be_negative():
    z = torch.tensor([[5.0, 0.0, 0.0]])
    assert EncouragingLoss(LE=0.75)(z, torch.tensor([0])).item() < 0


# ----------------------------------------------------------- truncated loss
def test_truncated_gce_prune_weights_and_zero_gradients():
    q, k = 0.7, 0.5
    z = torch.tensor(
        [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.1], [3.0, 0.0, 0.0]],
        dtype=torch.float64,
        requires_grad=True,
    )
    y = torch.tensor([0, 0, 2, 0])
    loss = TruncatedGCELoss(q=q, k=k)
    w = loss.prune_weights(z, y)
    p = torch.softmax(z.detach(), dim=1)[torch.arange(4), y]
    torch.testing.assert_close(w, (p > k).double())
    assert w.tolist() == [1.0, 0.0, 0.0, 1.0]
    assert w.dtype == z.dtype and not w.requires_grad
    # equivalently L_q(p) < L_q(k)
    lq = (1 - p**q) / q
    assert torch.equal(w.bool(), lq < (1 - k**q) / q)

    value = loss(z, y, weight=w)
    expected = (w * (lq - (1 - k**q) / q)).sum() / 4  # pruned samples count
    torch.testing.assert_close(value, expected)
    (grad,) = torch.autograd.grad(value, z)
    assert torch.all(grad[w == 0] == 0)
    assert torch.all(grad[w == 1].abs().sum(dim=1) > 0)


def test_truncated_gce_without_weight_is_shifted_gce(data):
    z, y, _ = data
    z, y = torch.tensor(z), torch.tensor(y)
    shift = (1 - 0.3**0.6) / 0.6
    torch.testing.assert_close(
        TruncatedGCELoss(q=0.6, k=0.3, reduction="none")(z, y),
        GCELoss(q=0.6, reduction="none")(z, y) - shift,
    )


def test_truncated_prune_weights_soft_target():
    z = torch.log(torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]))
    soft = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    # p = sum_j y_j s_j = 0.45 and 0.2
    w = TruncatedGCELoss(k=0.4).prune_weights(z, soft)
    assert w.tolist() == [1.0, 0.0]


# ------------------------------------------------------------- soft targets
@pytest.mark.parametrize(("name", "cls", "kw"), CONFIGS, ids=CONFIG_IDS)
def test_soft_target_is_expectation_of_hard_losses(name, cls, kw, data):
    z, _, soft = data
    z, soft = torch.tensor(z), torch.tensor(soft)
    loss = make(cls, kw)
    n, c = soft.shape
    per_class = torch.stack(
        [loss(z, torch.full((n,), j, dtype=torch.long)) for j in range(c)], dim=1
    )
    torch.testing.assert_close(loss(z, soft), (soft * per_class).sum(dim=1))


@pytest.mark.parametrize(("name", "cls", "kw"), CONFIGS, ids=CONFIG_IDS)
def test_one_hot_float_target_equals_index_target(name, cls, kw, data):
    z, y, _ = data
    z, y = torch.tensor(z), torch.tensor(y)
    loss = make(cls, kw)
    torch.testing.assert_close(loss(z, F.one_hot(y, 4).double()), loss(z, y))


def test_soft_cross_entropy_matches_torch(data):
    z, _, soft = data
    z, soft = torch.tensor(z), torch.tensor(soft)
    torch.testing.assert_close(CrossEntropyLoss()(z, soft), F.cross_entropy(z, soft))


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_bootstrap_prediction_target_is_detached(mode, data):
    z, y, _ = data
    z = torch.tensor(z, requires_grad=True)
    y = torch.tensor(y)
    beta = 0.7
    (grad,) = torch.autograd.grad(BootstrapLoss(beta, mode=mode)(z, y), z)
    s = torch.softmax(z, dim=1)
    pred = s if mode == "soft" else F.one_hot(s.argmax(dim=1), 4).double()
    target = beta * F.one_hot(y, 4).double() + (1 - beta) * pred.detach()
    (expected,) = torch.autograd.grad(F.cross_entropy(z, target), z)
    torch.testing.assert_close(grad, expected)
    if mode == "soft":  # without the detach the gradient would differ
        target_att = beta * F.one_hot(y, 4).double() + (1 - beta) * s
        (att,) = torch.autograd.grad(-(target_att * s.log()).sum(1).mean(), z)
        assert not torch.allclose(att, expected)


def test_bootstrap_default_beta_depends_on_mode(data):
    z, y, _ = data
    z, y = torch.tensor(z), torch.tensor(y)
    for mode, beta in (("soft", 0.95), ("hard", 0.8)):
        default = BootstrapLoss(mode=mode)
        assert default.beta is None
        torch.testing.assert_close(default(z, y), BootstrapLoss(beta, mode=mode)(z, y))
    torch.testing.assert_close(BootstrapLoss(1.0)(z, y), F.cross_entropy(z, y))


def test_combined_losses_hold_their_parts(data):
    z, y, _ = data
    z, y = torch.tensor(z), torch.tensor(y)
    apl = NCERCELoss(alpha=2.0, beta=0.3)
    assert isinstance(apl.nce, NCELoss) and isinstance(apl.rce, RCELoss)
    torch.testing.assert_close(apl(z, y), 2.0 * NCELoss()(z, y) + 0.3 * RCELoss()(z, y))
    sce = SCELoss(alpha=6.0, beta=0.1)
    assert isinstance(sce.ce, CrossEntropyLoss) and isinstance(sce.rce, RCELoss)
    torch.testing.assert_close(
        sce(z, y), 6.0 * F.cross_entropy(z, y) + 0.1 * RCELoss()(z, y)
    )


# ------------------------------------------------------- reductions, weights
@pytest.mark.parametrize(("name", "cls", "kw"), CONFIGS, ids=CONFIG_IDS)
def test_reductions_and_weights(name, cls, kw, data):
    z, y, soft = data
    z = torch.tensor(z)
    w = torch.tensor([0.0, 1.0, 2.0, 0.5, 0.0, 1.0, 3.0], dtype=torch.float64)
    for t in (torch.tensor(y), torch.tensor(soft)):
        none = make(cls, kw, "none")(z, t)
        assert none.shape == (7,)
        mean = make(cls, kw, "mean")(z, t)
        total = make(cls, kw, "sum")(z, t)
        assert mean.dim() == 0 and total.dim() == 0
        torch.testing.assert_close(mean, none.mean())
        torch.testing.assert_close(total, none.sum())
        torch.testing.assert_close(make(cls, kw, "none")(z, t, weight=w), w * none)
        # the mean divides by the batch size, zero-weight samples included
        torch.testing.assert_close(
            make(cls, kw, "mean")(z, t, weight=w), (w * none).sum() / 7
        )
        torch.testing.assert_close(
            make(cls, kw, "sum")(z, t, weight=w), (w * none).sum()
        )
        ones = make(cls, kw, "mean")(z, t, weight=torch.ones(7, dtype=torch.float64))
        torch.testing.assert_close(ones, mean)


def test_weight_dtype_follows_logits():
    z = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    w = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    out = GCELoss(reduction="none")(z, torch.tensor([0, 1, 1]), weight=w)
    assert out.dtype == torch.float32


# -------------------------------------------------------- numerical safety
EXTREME = [
    [1e4, -1e4, 0.0],  # p -> 1 for class 0, p -> 0 for classes 1 and 2
    [-1e4, 1e4, 1e4],  # ties at the top
    [0.0, 0.0, 0.0],
    [-1e4, -1e4, 1e4],
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "cls", "kw"), CONFIGS, ids=CONFIG_IDS)
def test_extreme_logits_are_finite(name, cls, kw, dtype):
    for target in (
        torch.tensor([0, 0, 1, 2]),
        torch.tensor([1, 2, 2, 0]),
        torch.tensor(
            [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1], [0.9, 0.1, 0.0]],
            dtype=dtype,
        ),
    ):
        z = torch.tensor(EXTREME, dtype=dtype, requires_grad=True)
        for reduction in ("mean", "none"):
            value = make(cls, kw, reduction)(z, target)
            assert value.dtype == dtype
            assert torch.isfinite(value).all(), (name, target, value)
            (grad,) = torch.autograd.grad(value.sum(), z)
            assert torch.isfinite(grad).all(), (name, target, grad)


# Not gradchecked: the full encouraging bonus (kink of the clamp) and soft
# bootstrapping, whose detached target makes the autograd gradient differ from the
# numerical one by design (checked in test_bootstrap_prediction_target_is_detached).
_NO_GRADCHECK = ("encouraging_full", "bootstrap_soft")


@pytest.mark.parametrize(
    ("name", "cls", "kw"),
    [c for c in CONFIGS if c[0] not in _NO_GRADCHECK],
    ids=[i for i in CONFIG_IDS if i not in _NO_GRADCHECK],
)
def test_gradcheck(name, cls, kw):
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(4, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 1])
    soft = torch.softmax(torch.randn(4, 3, generator=gen, dtype=torch.float64), 1)
    loss = make(cls, kw, "mean")
    assert torch.autograd.gradcheck(lambda x: loss(x, y), (z,))
    assert torch.autograd.gradcheck(lambda x: loss(x, soft), (z,))


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (GCELoss, {"q": 0.0}, r"q must be in \(0, 1\], got 0.0"),
        (GCELoss, {"q": 1.5}, r"q must be in \(0, 1\]"),
        (GCELoss, {"q": float("nan")}, "q must be in"),
        (TruncatedGCELoss, {"q": -1}, "q must be in"),
        (TruncatedGCELoss, {"k": 0.0}, r"k must be in \(0, 1\)"),
        (TruncatedGCELoss, {"k": 1.0}, r"k must be in \(0, 1\)"),
        (EncouragingLoss, {"LE": -0.1}, r"LE must be in \[0, 1\]"),
        (EncouragingLoss, {"LE": 1.1}, "LE must be in"),
        (LabelSmoothingLoss, {"smoothing": 1.2}, r"smoothing must be in \[0, 1\]"),
        (SCELoss, {"alpha": -1.0}, r"alpha must be in \[0, inf\)"),
        (SCELoss, {"beta": -0.5}, "beta must be in"),
        (SCELoss, {"alpha": 0, "beta": 0}, "alpha and beta must not both be 0"),
        (NCERCELoss, {"alpha": 0.0, "beta": 0.0}, "alpha and beta"),
        (NCERCELoss, {"beta": -1}, "beta must be in"),
        (BootstrapLoss, {"beta": 1.5}, r"beta must be in \[0, 1\]"),
        (BootstrapLoss, {"mode": "medium"}, "mode must be one of"),
        (CrossEntropyLoss, {"reduction": "avg"}, "reduction must be one of"),
        (MAELoss, {"reduction": None}, "reduction must be one of"),
    ],
)
def test_invalid_hyperparameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize("bad", ["0.5", None, True, [0.5]])
def test_hyperparameter_wrong_type(bad):
    with pytest.raises(TypeError, match="q must be a real number"):
        GCELoss(q=bad)


def test_boundary_hyperparameters_accepted():
    GCELoss(q=1)
    EncouragingLoss(LE=0)
    EncouragingLoss(LE=1)
    LabelSmoothingLoss(smoothing=0.0)
    SCELoss(alpha=0.0, beta=1.0)
    NCERCELoss(alpha=1.0, beta=0.0)
    BootstrapLoss(beta=np.float64(0.0), mode="hard")


def test_invalid_inputs():
    loss = GCELoss()
    z = torch.zeros(3, 4)
    with pytest.raises(ValueError, match="target"):
        loss(z, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="target"):
        loss(z, torch.zeros(3, 3))
    with pytest.raises(ValueError, match="target"):
        loss(z, torch.zeros(3))  # float 1-d is neither form
    with pytest.raises(TypeError, match="target"):
        loss(z, torch.zeros(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="logits"):
        loss(torch.zeros(4), torch.tensor([0, 1, 2, 3]))
    with pytest.raises(TypeError, match="logits"):
        loss(torch.zeros(3, 4, dtype=torch.long), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="weight"):
        loss(z, torch.tensor([0, 1, 2]), weight=torch.ones(2))


# ------------------------------------------------------------------ registry
def test_registry_and_get_loss_class():
    assert set(LOSSES) == {
        "forward",
        "backward",
        "ce",
        "mae",
        "gce",
        "truncated_gce",
        "encouraging",
        "label_smoothing",
        "sce",
        "nce_rce",
        "bootstrap",
        "elr",
    }
    for name, cls in LOSSES.items():
        assert get_loss_class(name) is cls
    assert get_loss_class(GCELoss) is GCELoss
    assert get_loss_class(nn.MSELoss) is nn.MSELoss
    with pytest.raises(ValueError, match=r"loss must be one of \[.*'gce'.*\]"):
        get_loss_class("lq")
    with pytest.raises(TypeError, match="loss"):
        get_loss_class(GCELoss())
    with pytest.raises(TypeError, match="loss"):
        get_loss_class(3)


def test_public_module_all():
    for name in losses_module.__all__:
        assert hasattr(losses_module, name)
    assert {c.__name__ for c in PUBLIC_CLASSES} <= set(losses_module.__all__)


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_hyperparameters_attribute_matches_signature(cls):
    params = inspect.signature(cls.__init__).parameters
    names = tuple(p for p in params if p not in ("self", "reduction"))
    assert cls.hyperparameters == names
    loss = cls()
    assert loss.reduction == "mean"
    # rebuilding from the routed hyperparameters gives the same settings
    clone = cls(**{h: getattr(loss, h) for h in cls.hyperparameters})
    assert repr(clone) == repr(loss)
    for h in cls.hyperparameters:
        assert f"{h}=" in repr(loss)


# --------------------------------------------------------------- nn.Module
@pytest.mark.parametrize(("name", "cls", "kw"), CONFIGS, ids=CONFIG_IDS)
def test_is_parameter_free_module(name, cls, kw):
    loss = make(cls, kw, "mean")
    assert isinstance(loss, nn.Module)
    assert list(loss.parameters()) == []
    assert loss.state_dict() == {}
    moved = loss.to(torch.float64)
    assert moved is loss
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 0, 1])
    out64 = loss(z.double(), y)
    out32 = loss(z, y)
    assert out64.dtype == torch.float64 and out32.dtype == torch.float32
    torch.testing.assert_close(out32.double(), out64, rtol=1e-5, atol=1e-5)


def test_cross_entropy_fast_path_matches_generic_path():
    from sknoisy.losses import CrossEntropyLoss

    logits = torch.randn(7, 4, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([0, 3, 1, 2, 2, 0, 1])
    for reduction in ("mean", "sum", "none"):
        loss = CrossEntropyLoss(reduction=reduction)
        fused = loss(logits, target)
        generic = loss(logits, target, weight=torch.ones(7))
        torch.testing.assert_close(fused, generic)
    with pytest.raises(ValueError, match="target"):
        CrossEntropyLoss()(logits, torch.tensor([0, 1, 2, 3, 4, 0, 1]))
