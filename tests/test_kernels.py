"""The fused CPU kernel of the joint optimisation objective."""

import numpy as np
import pytest
import torch

from sknoisy import NoisyLabelClassifier
from sknoisy.correction import _kernels
from sknoisy.correction._kernels import (
    _jo_kernel,
    _store_epoch,
    _window_update,
    can_fuse,
    compiled,
    fused_kernel,
    jo_loss_fused,
)
from sknoisy.correction._objective import _jo_objective_autograd, jo_objective

pytestmark = pytest.mark.skipif(fused_kernel() is None, reason="needs numba")


def _case(seed, n=24, c=5, scale=3.0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=gen, dtype=dtype) * scale
    prior = torch.rand(c, generator=gen, dtype=torch.float64) + 0.2
    hard = torch.randint(0, c, (n,), generator=gen)
    soft = torch.softmax(torch.randn(n, c, generator=gen, dtype=dtype), 1)
    return logits, prior / prior.sum(), hard, soft


def _fused(
    z, prior, alpha, beta, hard=None, soft=None, index=None, record=None, kernel=None
):
    c = z.shape[1]
    return jo_loss_fused(
        z,
        _kernels.NO_HARD if hard is None else hard,
        _kernels.empty_rows(c) if soft is None else soft,
        np.arange(len(z)) if index is None else index,
        _kernels.empty_rows(c) if record is None else record,
        prior,
        np.log(prior),
        alpha,
        beta,
        kernel=kernel,
    )


def _reference(logits, target, prior, alpha, beta):
    z = logits.detach().clone().requires_grad_()
    loss, probs = _jo_objective_autograd(z, target, prior.to(z.dtype), alpha, beta)
    loss.backward()
    return loss.item(), z.grad, probs


@pytest.mark.parametrize("kernel", [None, _jo_kernel], ids=["compiled", "python"])
@pytest.mark.parametrize("soft", [False, True], ids=["hard", "soft"])
@pytest.mark.parametrize("scale", [0.1, 3.0, 40.0])
@pytest.mark.parametrize("alpha,beta", [(1.2, 0.8), (0.0, 0.0), (3.0, 0.0)])
def test_value_and_gradient_match_autograd(kernel, soft, scale, alpha, beta):
    logits, prior, hard, soft_t = _case(0, scale=scale)
    target = soft_t if soft else hard
    value, grad, _ = _reference(logits, target, prior, alpha, beta)
    z = logits.clone().requires_grad_()
    loss = _fused(
        z,
        prior.numpy(),
        alpha,
        beta,
        hard=None if soft else hard.numpy(),
        soft=soft_t.numpy() if soft else None,
        kernel=kernel,
    )
    loss.backward()
    assert loss.item() == pytest.approx(value, rel=1e-9, abs=1e-9)
    torch.testing.assert_close(z.grad, grad, rtol=1e-7, atol=1e-10)


def test_float32_logits_match_autograd():
    logits, prior, hard, _ = _case(1, n=64, c=10, dtype=torch.float32)
    value, grad, _ = _reference(logits, hard, prior.float(), 1.2, 0.8)
    z = logits.clone().requires_grad_()
    loss = _fused(z, prior.numpy(), 1.2, 0.8, hard=hard.numpy())
    loss.backward()
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(value, rel=1e-5)
    torch.testing.assert_close(z.grad, grad, rtol=1e-4, atol=1e-7)


def test_soft_labels_are_looked_up_and_outputs_recorded_by_index():
    logits, prior, _, _ = _case(2, n=6, c=4)
    all_soft = torch.softmax(torch.randn(20, 4, dtype=torch.float64), 1).numpy()
    index = np.array([7, 0, 19, 3, 12, 5])
    record = np.full((20, 4), -1.0)
    z = logits.clone().requires_grad_()
    loss = _fused(z, prior.numpy(), 1.2, 0.8, soft=all_soft, index=index, record=record)
    value, _, probs = _reference(
        logits, torch.from_numpy(all_soft[index]), prior, 1.2, 0.8
    )
    assert loss.item() == pytest.approx(value, rel=1e-9)
    np.testing.assert_allclose(record[index], probs.numpy(), rtol=1e-12)
    untouched = np.setdiff1d(np.arange(20), index)
    assert np.all(record[untouched] == -1.0)


def test_class_that_underflows_everywhere_stays_finite():
    # Class 2's probability is exp(-800): 0 even in float64, in every row.
    logits = torch.tensor(
        [[800.0, 0.0, -800.0], [0.0, 800.0, -800.0], [400.0, 400.0, -800.0]],
        dtype=torch.float64,
    )
    prior = torch.full((3,), 1 / 3, dtype=torch.float64)
    z = logits.clone().requires_grad_()
    loss = _fused(z, prior.numpy(), 1.0, 0.5, hard=np.array([0, 1, 2]))
    loss.backward()
    assert np.isfinite(loss.item()) and torch.isfinite(z.grad).all()
    value, grad, _ = _reference(logits, torch.tensor([0, 1, 2]), prior, 1.0, 0.5)
    assert loss.item() == pytest.approx(value, rel=1e-9)
    torch.testing.assert_close(z.grad, grad)


@pytest.mark.parametrize("kernel", [None, _jo_kernel], ids=["compiled", "python"])
def test_out_of_range_indices_raise_instead_of_writing(kernel):
    logits, prior, hard, _ = _case(3, n=4, c=3)
    z = logits.clone().requires_grad_()
    record = np.zeros((4, 3))
    with pytest.raises(IndexError, match="sample index"):
        _fused(
            z,
            prior.numpy(),
            1.0,
            1.0,
            hard=hard.numpy(),
            index=np.array([0, 1, 2, 4]),
            record=record,
            kernel=kernel,
        )
    assert np.all(record == 0)
    with pytest.raises(IndexError, match="target class"):
        _fused(z, prior.numpy(), 1.0, 1.0, hard=np.array([0, 1, 3, 0]), kernel=kernel)


def test_can_fuse_only_for_cpu_float_graphs():
    z = torch.zeros(4, 3, requires_grad=True)
    assert can_fuse(z)
    assert not can_fuse(torch.zeros(4, 3))  # no gradient wanted
    assert not can_fuse(torch.zeros(4, 3, 2, requires_grad=True))
    assert not can_fuse(torch.zeros(4, 3, dtype=torch.bfloat16, requires_grad=True))
    assert not can_fuse(torch.zeros(4, 3, device="meta", requires_grad=True))
    with torch.no_grad():
        assert not can_fuse(z)


def test_jo_objective_without_gradient_uses_torch():
    logits, prior, hard, _ = _case(4)
    fused = jo_objective(logits.clone().requires_grad_(), hard, prior, 1.2, 0.8)
    plain = jo_objective(logits, hard, prior, 1.2, 0.8)  # no grad: torch path
    assert fused.item() == pytest.approx(plain.item(), rel=1e-9)


def test_fit_uses_the_kernel_and_matches_the_torch_path(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    params = {
        "label_correction": "soft",
        "correction_start": 1,
        "max_epochs": 4,
        "batch_size": 32,
        "random_state": 0,
    }
    calls = []
    original = _kernels.jo_loss_fused

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr("sknoisy.correction._state.jo_loss_fused", counting)
    fused = NoisyLabelClassifier(**params).fit(X, y)
    assert len(calls) == 4 * 4  # every training batch
    monkeypatch.setattr(
        "sknoisy.correction._objective.can_fuse", lambda logits, **kw: False
    )
    monkeypatch.setattr("sknoisy.correction._callbacks.compiled", lambda func: None)
    plain = NoisyLabelClassifier(**params).fit(X, y)
    np.testing.assert_allclose(
        fused.history[:, "train_loss"], plain.history[:, "train_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(fused.soft_labels_, plain.soft_labels_, atol=1e-4)
    for key in ("label_agreement", "n_labels_changed", "correcting"):
        assert fused.history[:, key] == pytest.approx(plain.history[:, key])


def test_without_numba_the_torch_path_is_used(monkeypatch):
    monkeypatch.setattr(_kernels, "_NUMBA", False)
    assert fused_kernel() is None
    assert compiled(_window_update) is None
    assert not can_fuse(torch.zeros(2, 2, requires_grad=True))
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = (X[:, 1] > 0).astype(int)
    clf = NoisyLabelClassifier(label_correction="hard", max_epochs=3, random_state=0)
    assert clf.fit(X, y).corrected_labels_.shape == (60,)


@pytest.mark.parametrize("compile_it", [True, False], ids=["compiled", "python"])
@pytest.mark.parametrize("all_seen", [True, False])
@pytest.mark.parametrize("hard", [False, True])
def test_epoch_kernels_match_torch(compile_it, all_seen, hard):
    rng = np.random.default_rng(5)
    n, c, window = 30, 4, 3
    probs = rng.dirichlet(np.ones(c), size=(window, n)).astype(np.float32)
    y = rng.integers(0, c, n)
    seen = rng.random(n) < 0.7
    buffer = np.zeros((window, n, c), dtype=np.float32)
    window_sum = np.zeros((n, c))
    store = compiled(_store_epoch) if compile_it else _store_epoch
    update = compiled(_window_update) if compile_it else _window_update
    for epoch in range(window + 2):  # wraps around the ring
        slot = epoch % window
        agree, counted = store(probs[slot], buffer, window_sum, slot, y, seen, all_seen)
        mask = np.ones(n, bool) if all_seen else seen
        assert counted == mask.sum()
        assert agree == (probs[slot].argmax(1) == y)[mask].sum()
    np.testing.assert_array_equal(buffer, probs)
    np.testing.assert_allclose(window_sum, probs.sum(0), rtol=1e-6)
    labels = np.eye(c, dtype=np.float32)[y]
    before = labels.copy()
    label_argmax = y.copy()
    changed = update(window_sum, window, hard, seen, all_seen, label_argmax, labels)
    mean = probs.mean(0)
    expected = np.eye(c, dtype=np.float32)[mean.argmax(1)] if hard else mean
    mask = np.ones(n, bool) if all_seen else seen
    np.testing.assert_allclose(labels[mask], expected[mask], rtol=1e-6)
    np.testing.assert_array_equal(labels[~mask], before[~mask])
    assert changed == (mean.argmax(1) != y)[mask].sum()
    np.testing.assert_array_equal(label_argmax[mask], mean.argmax(1)[mask])


def test_unwritable_cache_falls_back_to_compiling_per_process(monkeypatch):
    class FakeNumba:
        def njit(self, cache=False, nogil=False):
            if cache:
                raise RuntimeError("cannot cache function: no locator available")
            return lambda func: ("compiled without cache", func)

    monkeypatch.setattr(_kernels, "_NUMBA", FakeNumba())
    monkeypatch.setattr(_kernels, "_COMPILED", {})
    assert compiled(_store_epoch) == ("compiled without cache", _store_epoch)
