"""Tests for sknoisy.augment."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from sknoisy.augment import BatchTransform, RandomCropFlip, check_augment


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _images(B=16, C=3, H=8, W=8, seed=0):
    return torch.rand(B, C, H, W, generator=_gen(seed))


def _match_window(out, padded, H, W, p):
    """(dy, dx, flipped) such that ``out`` is that window of ``padded``, or None."""
    for dy in range(2 * p + 1):
        for dx in range(2 * p + 1):
            window = padded[:, dy : dy + H, dx : dx + W]
            if torch.equal(out, window):
                return dy, dx, False
            if torch.equal(out, window.flip(-1)):
                return dy, dx, True
    return None


_TORCH_MODE = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_crop_equals_shifted_window_of_padded_input(mode):
    p, H, W = 3, 6, 7
    X = _images(B=32, H=H, W=W)
    out = RandomCropFlip(padding=p, padding_mode=mode)(X, generator=_gen(1))
    padded = F.pad(X, (p, p, p, p), mode=_TORCH_MODE[mode])
    shifts = set()
    for i in range(len(X)):
        found = _match_window(out[i], padded[i], H, W, p)
        assert found is not None, f"image {i} is not a window of the padded input"
        shifts.add(found[:2])
    assert len(shifts) > 5  # offsets vary across the batch


def test_constant_fill_value():
    X = torch.ones(64, 1, 4, 4)
    out = RandomCropFlip(padding=2, flip=False, fill=-1.0)(X, generator=_gen(0))
    values = set(out.unique().tolist())
    assert values == {-1.0, 1.0}


def test_shape_dtype_device_preserved_and_input_untouched():
    X = _images()
    before = X.clone()
    out = RandomCropFlip()(X, generator=_gen())
    assert out.shape == X.shape and out.dtype == X.dtype and out.device == X.device
    assert torch.equal(X, before)
    assert not torch.equal(out, X)


def test_flips_about_half_the_time():
    # padding=0: only flips; an asymmetric ramp tells flipped from unflipped
    ramp = torch.arange(5.0).expand(400, 1, 3, 5)
    out = RandomCropFlip(padding=0, flip=True)(ramp, generator=_gen(2))
    flipped = torch.tensor([torch.equal(o, r.flip(-1)) for o, r in zip(out, ramp)])
    unchanged = torch.tensor([torch.equal(o, r) for o, r in zip(out, ramp)])
    assert bool((flipped ^ unchanged).all())
    assert 0.4 < flipped.float().mean().item() < 0.6


def test_no_flip_option():
    ramp = torch.arange(5.0).expand(50, 1, 3, 5).contiguous()
    out = RandomCropFlip(padding=0, flip=False)(ramp, generator=_gen(2))
    assert torch.equal(out, ramp)


def test_reproducible_with_same_generator():
    X = _images()
    aug = RandomCropFlip(padding=2)
    a = aug(X, generator=_gen(5))
    b = aug(X, generator=_gen(5))
    c = aug(X, generator=_gen(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    g = _gen(5)
    assert not torch.equal(aug(X, generator=g), aug(X, generator=g))


def test_default_generator_does_not_fail_and_global_state_used():
    X = _images(B=4)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        a = RandomCropFlip()(X)
        torch.manual_seed(0)
        b = RandomCropFlip()(X)
    assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_low_precision_dtypes(dtype):
    X = _images(B=8).to(dtype)
    out = RandomCropFlip(padding=2, padding_mode="reflect")(X, generator=_gen(3))
    assert out.dtype == dtype and out.shape == X.shape
    padded = F.pad(X.float(), (2, 2, 2, 2), mode="reflect").to(dtype)
    for i in range(len(X)):
        assert _match_window(out[i], padded[i], 8, 8, 2) is not None


def test_three_dim_input_and_empty_batch():
    X = torch.rand(5, 6, 6, generator=_gen())
    out = RandomCropFlip(padding=1)(X, generator=_gen())
    assert out.shape == X.shape
    empty = torch.zeros(0, 3, 4, 4)
    assert RandomCropFlip()(empty).shape == (0, 3, 4, 4)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"padding": -1}, ValueError, "padding"),
        ({"padding": 1.5}, TypeError, "padding"),
        ({"padding_mode": "wrap"}, ValueError, "padding_mode"),
        ({"fill": "black"}, TypeError, "fill"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RandomCropFlip(**kwargs)


def test_bad_inputs():
    with pytest.raises(TypeError, match="X"):
        RandomCropFlip()(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="X"):
        RandomCropFlip()(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="padding"):
        RandomCropFlip(padding=4, padding_mode="reflect")(torch.zeros(2, 1, 4, 4))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_batch_with_cpu_generator():
    X = _images().cuda().half()
    out = RandomCropFlip()(X, generator=_gen(0))
    assert out.is_cuda and out.dtype == torch.float16
    cpu = RandomCropFlip()(X.cpu(), generator=_gen(0))
    assert torch.equal(out.cpu(), cpu)


# ------------------------------------------------------------------ BatchTransform
def test_batch_transform_torchvision_v2_reproducible_and_local():
    X = _images(B=6, H=8, W=8)
    aug = BatchTransform(
        v2.Compose([v2.RandomCrop(8, padding=2), v2.RandomHorizontalFlip()])
    )
    state = torch.get_rng_state()
    a = aug(X, generator=_gen(0))
    b = aug(X, generator=_gen(0))
    assert torch.equal(state, torch.get_rng_state())  # global RNG untouched
    assert torch.equal(a, b) and a.shape == X.shape
    padded = F.pad(X, (2, 2, 2, 2))
    for i in range(len(X)):
        assert _match_window(a[i], padded[i], 8, 8, 2) is not None
    assert not torch.equal(a, aug(X, generator=_gen(1)))


def test_batch_transform_whole_batch_shares_parameters():
    X = torch.arange(4.0).expand(10, 1, 2, 4).contiguous()
    aug = BatchTransform(v2.RandomHorizontalFlip(p=1.0), per_sample=False)
    assert torch.equal(aug(X), X.flip(-1))
    with pytest.raises(TypeError, match="transform"):
        BatchTransform(3)


def test_check_augment():
    assert check_augment(None) is None
    assert isinstance(check_augment("crop_flip"), RandomCropFlip)
    crop = RandomCropFlip(padding=1)
    assert check_augment(crop) is crop
    wrapped = check_augment(v2.RandomHorizontalFlip())
    assert isinstance(wrapped, BatchTransform)

    def my_aug(X, generator=None):
        return X

    assert check_augment(my_aug) is my_aug
    with pytest.raises(ValueError, match="augment"):
        check_augment("mixup")
    with pytest.raises(TypeError, match="augment"):
        check_augment(3)
