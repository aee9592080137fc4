"""Tests for sknoisy.models."""

import numpy as np
import pytest
import torch
from torch import nn

from sknoisy.models import (
    CNN1D,
    CNN2D,
    MLP,
    PreActResNet,
    PreActResNet32,
    ResNet18,
    ResNet34,
    infer_module_sizes,
)


def _build(factory, seed=0):
    """Build a model with a locally seeded torch RNG (global state restored)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return factory()


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------ output shapes
@pytest.mark.parametrize("batch", [1, 3, 7])
@pytest.mark.parametrize("shape", [(20,), (4, 5), (1, 2, 10)])
def test_mlp_output_shape_flattens(batch, shape):
    model = MLP(n_features=20, n_classes=4, hidden_layer_sizes=(8,))
    assert model(_randn(batch, *shape)).shape == (batch, 4)


@pytest.mark.parametrize("length", [10, 40, 64])
@pytest.mark.parametrize("batch", [2, 5])
def test_cnn1d_output_shape(batch, length):
    model = CNN1D(n_classes=10, channels=(4, 8))
    assert model(_randn(batch, length)).shape == (batch, 10)
    assert model(_randn(batch, 1, length)).shape == (batch, 10)
    model3 = CNN1D(in_channels=3, n_classes=2, channels=(4,))
    assert model3(_randn(batch, 3, length)).shape == (batch, 2)


@pytest.mark.parametrize("size", [1, 5, 8, 28, 32])
def test_cnn2d_output_shape(size):
    model = CNN2D(in_channels=1, n_classes=3, channels=(4, 8, 8))
    assert model(_randn(2, 1, size, size)).shape == (2, 3)
    assert model(_randn(2, size, size)).shape == (2, 3)  # no channel axis
    rgb = CNN2D(in_channels=3, n_classes=5, channels=(4, 8))
    assert rgb(_randn(4, 3, size, size + 3)).shape == (4, 5)


@pytest.mark.parametrize(
    "factory",
    [
        lambda: PreActResNet32(n_classes=7),
        lambda: PreActResNet(n_classes=7, depth=8, widths=(4, 8, 8)),
        lambda: ResNet18(n_classes=7),
    ],
)
@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (3, 3, 16, 16), (1, 3, 8, 8)])
def test_resnet_output_shape(factory, shape):
    model = _build(factory).eval()
    with torch.no_grad():
        assert model(_randn(*shape)).shape == (shape[0], 7)


def test_resnets_single_channel_and_imagenet_stem():
    model = _build(lambda: PreActResNet(1, 4, depth=8, widths=(4, 4, 8))).eval()
    with torch.no_grad():
        assert model(_randn(2, 28, 28)).shape == (2, 4)
        resnet = ResNet18(in_channels=1, n_classes=4, cifar_stem=False).eval()
        assert resnet(_randn(2, 1, 64, 64)).shape == (2, 4)
    assert resnet.conv1.in_channels == 1 and resnet.conv1.kernel_size == (7, 7)
    assert isinstance(ResNet18().maxpool, nn.Identity)
    assert ResNet18().conv1.kernel_size == (3, 3) and ResNet18().conv1.stride == (1, 1)


# ------------------------------------------------------------------ parameter counts
def test_parameter_counts():
    # the JO paper's PreAct ResNet-32 (widths 32/64/128, official code): ~1.86M
    assert 1.8e6 < _n_params(PreActResNet32()) < 1.95e6
    # the classic 16/32/64 CIFAR ResNet-32 of He et al.: ~0.46M
    assert 0.44e6 < _n_params(PreActResNet(widths=(16, 32, 64))) < 0.48e6
    # CIFAR ResNet-18/34 (Kuang Liu): 11.17M / 21.28M with 10 classes
    assert 11.0e6 < _n_params(ResNet18()) < 11.3e6
    assert 21.1e6 < _n_params(ResNet34()) < 21.4e6
    assert _n_params(MLP(10, 3, hidden_layer_sizes=(5,))) == 10 * 5 + 5 + 5 * 3 + 3
    assert _n_params(MLP(10, 3, hidden_layer_sizes=())) == 33


def test_preactresnet32_structure():
    model = PreActResNet32(n_classes=10)
    for stage, width in zip((model.layer1, model.layer2, model.layer3), (32, 64, 128)):
        assert len(stage) == 5
        assert stage[0].shortcut is not None  # projection in each first block
        assert all(block.shortcut is None for block in stage[1:])
        assert stage[-1].conv2.out_channels == width
    assert model.fc.in_features == 128 and model.fc.out_features == 10
    n_convs = sum(
        isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3) for m in model.modules()
    )
    assert n_convs + 1 == 32  # 31 3x3 convolutions + the classifier


# ------------------------------------------------------------------ training
@pytest.mark.parametrize(
    "factory, shape, steps",
    [
        (lambda: MLP(12, 3, hidden_layer_sizes=(16,)), (24, 12), 15),
        (lambda: MLP(12, 3, batch_norm=True, dropout=0.1), (24, 12), 15),
        (lambda: CNN1D(n_classes=3, channels=(8, 8)), (24, 20), 15),
        (lambda: CNN2D(1, 3, channels=(8, 8)), (24, 1, 8, 8), 15),
        (lambda: PreActResNet(3, 3, depth=8, widths=(8, 8, 8)), (24, 3, 8, 8), 15),
        (lambda: PreActResNet32(3, 3), (6, 3, 4, 4), 6),
        (lambda: ResNet18(3, 3), (6, 3, 4, 4), 6),
    ],
)
def test_sgd_steps_reduce_loss(factory, shape, steps):
    model = _build(factory)
    X = _randn(*shape, seed=1)
    y = torch.randint(0, 3, (shape[0],), generator=torch.Generator().manual_seed(2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def loss_fn():
        return nn.functional.cross_entropy(model(X), y)

    with torch.random.fork_rng(devices=[]):  # dropout draws stay local
        torch.manual_seed(3)
        model.train()
        first = loss_fn().item()
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            opt.step()
        last = loss_fn().item()
    assert np.isfinite(first)
    assert last < 0.8 * first, (first, last)


# ------------------------------------------------------------------ determinism
@pytest.mark.parametrize(
    "factory, shape",
    [
        (lambda: MLP(6, 2, dropout=0.5, batch_norm=True), (5, 6)),
        (lambda: CNN1D(n_classes=2, channels=(4,), dropout=0.5), (5, 12)),
        (lambda: CNN2D(1, 2, channels=(4,), dropout=0.5), (5, 1, 6, 6)),
        (lambda: PreActResNet(3, 2, depth=8, widths=(4, 4, 4)), (5, 3, 8, 8)),
        (lambda: ResNet34(3, 2), (2, 3, 8, 8)),
    ],
)
def test_eval_mode_is_deterministic(factory, shape):
    model = _build(factory).eval()
    X = _randn(*shape)
    with torch.no_grad():
        out1, out2 = model(X), model(X)
        single = model(X[:1])
    torch.testing.assert_close(out1, out2, rtol=0, atol=0)
    torch.testing.assert_close(single, out1[:1], rtol=1e-4, atol=1e-5)
    # same seed, same initialisation
    other = _build(factory).eval()
    with torch.no_grad():
        torch.testing.assert_close(other(X), out1)


def test_build_does_not_touch_global_rng():
    state = torch.get_rng_state()
    _build(lambda: CNN2D(1, 2, channels=(4,)))
    assert torch.equal(state, torch.get_rng_state())


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "factory, match, exc",
    [
        (lambda: MLP(0, 2), "n_features", ValueError),
        (lambda: MLP(3.0, 2), "n_features", TypeError),
        (lambda: MLP(3, 0), "n_classes", ValueError),
        (lambda: MLP(3, 2, hidden_layer_sizes=(4, 0)), "hidden_layer", ValueError),
        (lambda: MLP(3, 2, activation="swish"), "activation", ValueError),
        (lambda: MLP(3, 2, dropout=1.0), "dropout", ValueError),
        (lambda: CNN1D(channels=()), "channels", ValueError),
        (lambda: CNN1D(global_pool="sum"), "global_pool", ValueError),
        (lambda: CNN2D(0, 2), "in_channels", ValueError),
        (lambda: CNN2D(1, 2, kernel_size=0), "kernel_size", ValueError),
        (lambda: PreActResNet(depth=30), "depth", ValueError),
        (lambda: PreActResNet(widths=(8, 8)), "widths", ValueError),
        (lambda: ResNet18(in_channels=-1), "in_channels", ValueError),
    ],
)
def test_bad_parameters_raise(factory, match, exc):
    with pytest.raises(exc, match=match):
        factory()


def test_bad_input_shapes_raise():
    with pytest.raises(ValueError, match="shape"):
        CNN2D(3, 2)(torch.zeros(2, 8, 8))  # 3-D input needs in_channels == 1
    with pytest.raises(ValueError, match="shape"):
        CNN1D(in_channels=2)(torch.zeros(2, 8))


def test_activation_module_class():
    model = MLP(4, 2, hidden_layer_sizes=(3,), activation=nn.Tanh)
    assert any(isinstance(m, nn.Tanh) for m in model.modules())


# ------------------------------------------------------------------ size inference
def test_infer_module_sizes():
    assert infer_module_sizes(MLP, np.zeros((5, 3, 4))) == {"n_features": 12}
    assert infer_module_sizes(CNN1D, np.zeros((5, 40))) == {"in_channels": 1}
    assert infer_module_sizes(CNN1D, np.zeros((5, 2, 40))) == {"in_channels": 2}
    assert infer_module_sizes(CNN2D, np.zeros((5, 28, 28))) == {"in_channels": 1}
    assert infer_module_sizes(ResNet18, np.zeros((5, 3, 8, 8))) == {"in_channels": 3}
    assert infer_module_sizes(PreActResNet32, np.zeros((5, 1, 8, 8))) == {
        "in_channels": 1
    }
    assert infer_module_sizes(MLP(4, 2), np.zeros((5, 4))) == {}
    assert infer_module_sizes(nn.Identity, np.zeros((5, 4))) == {}
    with pytest.raises(ValueError, match="X"):
        infer_module_sizes(MLP, np.zeros(5))
    # the inferred sizes build a working model
    X = np.zeros((3, 28, 28), dtype=np.float32)
    model = CNN2D(n_classes=2, **infer_module_sizes(CNN2D, X))
    assert model(torch.from_numpy(X)).shape == (3, 2)
