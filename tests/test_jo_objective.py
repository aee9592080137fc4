"""The joint optimisation objective in torch with its closed-form gradient."""

import importlib.util
import sys

import pytest
import torch

from sknoisy.correction import _objective
from sknoisy.correction._objective import _jo_objective_autograd, jo_objective

ALPHA_BETA = [(1.2, 0.8), (0.0, 0.8), (1.2, 0.0), (0.0, 0.0)]


def _case(n, c, dtype=torch.float64, scale=3.0, target="hard", seed=0):
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(n, c, generator=gen, dtype=torch.float64) * scale).to(dtype)
    prior = torch.rand(c, generator=gen, dtype=torch.float64) + 0.2
    if target == "hard":
        y = torch.randint(0, c, (n,), generator=gen)
    else:
        y = torch.softmax(torch.randn(n, c, generator=gen, dtype=torch.float64), 1)
        y = y.to(dtype)
        if target == "zero rows":  # held-out samples: no label signal
            y[::3] = 0.0
    return logits, y, prior / prior.sum()


def _value_and_grad(fn, logits, target, prior, alpha, beta):
    z = logits.detach().clone().requires_grad_()
    loss = fn(z, target, prior, alpha, beta)
    loss = loss[0] if isinstance(loss, tuple) else loss
    loss.backward()
    return loss.detach(), z.grad


@pytest.mark.parametrize("alpha,beta", ALPHA_BETA)
@pytest.mark.parametrize("target", ["hard", "soft", "zero rows"])
@pytest.mark.parametrize("c", [2, 100])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_value_and_gradient_equal_autograd(dtype, c, target, alpha, beta):
    logits, y, prior = _case(24, c, dtype, target=target)
    loss, grad = _value_and_grad(jo_objective, logits, y, prior, alpha, beta)
    ref_loss, ref_grad = _value_and_grad(
        _jo_objective_autograd, logits, y, prior, alpha, beta
    )
    assert loss.dtype == grad.dtype == dtype
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(grad, ref_grad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("target", ["hard", "zero rows"])
def test_extreme_logits_stay_finite(dtype, target):
    # Logits of +-50: in float32 the last class's probability underflows to
    # exactly 0 in every row, so prior / s_bar must be formed in log space.
    logits, y, prior = _case(12, 4, dtype, target=target)
    logits = torch.where(logits > 0, 50.0, -50.0).to(dtype)
    logits[:, -1] = -50.0
    logits[0, :2] = torch.tensor([50.0, -50.0], dtype=dtype)
    logits[1, :2] = torch.tensor([-50.0, 50.0], dtype=dtype)
    loss, grad = _value_and_grad(jo_objective, logits, y, prior, 1.2, 0.8)
    ref_loss, ref_grad = _value_and_grad(
        _jo_objective_autograd, logits, y, prior, 1.2, 0.8
    )
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(grad, ref_grad)


@pytest.mark.parametrize("alpha,beta", [(1.2, 0.8), (0.0, 0.0)])
@pytest.mark.parametrize("target", ["hard", "zero rows"])
def test_gradcheck(target, alpha, beta):
    logits, y, prior = _case(5, 3, target=target, scale=1.0)
    z = logits.clone().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda z: jo_objective(z, y, prior, alpha, beta), (z,)
    )


def test_gradient_scaled_by_upstream_gradient():
    logits, y, prior = _case(8, 4, target="soft")
    z = logits.clone().requires_grad_()
    (grad,) = torch.autograd.grad(
        jo_objective(z, y, prior, 1.2, 0.8), z, torch.tensor(-2.5, dtype=z.dtype)
    )
    _, ref = _value_and_grad(_jo_objective_autograd, logits, y, prior, 1.2, 0.8)
    torch.testing.assert_close(grad, -2.5 * ref)


def test_double_backward_raises():
    logits, y, prior = _case(6, 3)
    z = logits.clone().requires_grad_()
    loss = jo_objective(z, y, prior, 1.2, 0.8)
    (grad,) = torch.autograd.grad(loss, z, create_graph=True)
    _, ref = _value_and_grad(_jo_objective_autograd, logits, y, prior, 1.2, 0.8)
    torch.testing.assert_close(grad, ref)  # the first derivative is still right
    with pytest.raises(RuntimeError, match="no second derivative"):
        grad.sum().backward()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_return_probs_is_the_detached_softmax(dtype):
    logits, y, prior = _case(10, 5, dtype)
    z = logits.clone().requires_grad_()
    loss, probs = jo_objective(z, y, prior, 1.2, 0.8, return_probs=True)
    assert probs.dtype == dtype and probs.shape == (10, 5)
    assert not probs.requires_grad and probs.grad_fn is None
    torch.testing.assert_close(probs.sum(1), torch.ones(10, dtype=dtype))
    torch.testing.assert_close(probs, torch.softmax(logits, 1))
    loss.backward()  # the loss is still differentiable
    assert z.grad is not None


@pytest.mark.parametrize("target", ["hard", "soft"])
def test_logits_without_gradient(target):
    logits, y, prior = _case(10, 5, target=target)
    if target == "soft":
        y.requires_grad_()  # no graph to the target either
    loss, probs = jo_objective(logits, y, prior, 1.2, 0.8, return_probs=True)
    ref, ref_probs = _jo_objective_autograd(logits, y.detach(), prior, 1.2, 0.8)
    assert not loss.requires_grad and loss.grad_fn is None
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(probs, ref_probs)
    with torch.no_grad():
        z = logits.clone().requires_grad_()
        assert not jo_objective(z, y, prior, 1.2, 0.8).requires_grad


def test_half_precision_logits_are_computed_in_float32():
    logits, y, prior = _case(16, 6, torch.bfloat16, target="soft")
    loss, grad = _value_and_grad(jo_objective, logits, y, prior, 1.2, 0.8)
    ref_loss, ref_grad = _value_and_grad(
        _jo_objective_autograd, logits.float(), y.float(), prior, 1.2, 0.8
    )
    assert loss.dtype == torch.float32 and grad.dtype == torch.bfloat16
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(grad, ref_grad.to(torch.bfloat16))


def test_int32_class_indices():
    logits, y, prior = _case(10, 5)
    expected = _value_and_grad(jo_objective, logits, y, prior, 1.2, 0.8)
    got = _value_and_grad(jo_objective, logits, y.int(), prior, 1.2, 0.8)
    torch.testing.assert_close(got, expected)


def test_needs_neither_numba_nor_the_kernels(monkeypatch):
    # A fresh copy of the module, imported with numba and the numba kernels
    # unimportable, computes the same loss and gradient.
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.setitem(sys.modules, "sknoisy.correction._kernels", None)
    name = "sknoisy.correction._objective_copy"
    spec = importlib.util.spec_from_file_location(name, _objective.__file__)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    logits, y, prior = _case(10, 5, torch.float32)
    got = _value_and_grad(module.jo_objective, logits, y, prior, 1.2, 0.8)
    expected = _value_and_grad(_jo_objective_autograd, logits, y, prior, 1.2, 0.8)
    torch.testing.assert_close(got, expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("target", ["hard", "zero rows"])
def test_cuda(target):
    logits, y, prior = _case(32, 7, torch.float32, target=target)
    device = torch.device("cuda")
    loss, grad = _value_and_grad(
        jo_objective, logits.to(device), y.to(device), prior.to(device), 1.2, 0.8
    )
    ref_loss, ref_grad = _value_and_grad(
        _jo_objective_autograd, logits, y, prior, 1.2, 0.8
    )
    assert loss.device.type == grad.device.type == "cuda"
    torch.testing.assert_close(loss.cpu(), ref_loss)
    torch.testing.assert_close(grad.cpu(), ref_grad)


def _with_elr_autograd(elr_target, lam):
    from sknoisy.losses._elr import elr_probabilities

    def fn(z, target, prior, alpha, beta):
        loss = _jo_objective_autograd(z, target, prior, alpha, beta)[0]
        agreement = (elr_target * elr_probabilities(z)).sum(1)
        return loss + lam * torch.log1p(-agreement).mean()

    return fn


@pytest.mark.parametrize("alpha,beta", [(1.2, 0.8), (0.0, 0.0)])
@pytest.mark.parametrize("target", ["hard", "zero rows"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_elr_term_in_closed_form_equals_autograd(dtype, target, alpha, beta):
    logits, y, prior = _case(24, 5, dtype, scale=6.0, target=target)
    logits[0] = torch.tensor([40.0, 0.0, 0.0, 0.0, 0.0], dtype=dtype)  # clamped
    gen = torch.Generator().manual_seed(1)
    elr_target = torch.softmax(torch.randn(24, 5, generator=gen), 1).to(dtype)

    def fused(z, target, prior, alpha, beta):
        return jo_objective(z, target, prior, alpha, beta, elr_target=elr_target, lam=3)

    loss, grad = _value_and_grad(fused, logits, y, prior, alpha, beta)
    ref_loss, ref_grad = _value_and_grad(
        _with_elr_autograd(elr_target, 3.0), logits, y, prior, alpha, beta
    )
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(grad, ref_grad)
    # without the term (lam=0) the targets are ignored
    plain = jo_objective(logits, y, prior, alpha, beta)
    zero = jo_objective(logits, y, prior, alpha, beta, elr_target=elr_target, lam=0)
    torch.testing.assert_close(plain, zero)
