"""Tests for sknoisy.datasets, on tiny fake folders in torchvision's layouts."""

import pickle
import random
import struct

import numpy as np
import pytest

from sknoisy.datasets import (
    load_cifar10,
    load_cifar100,
    load_fashion_mnist,
    load_mnist,
    load_mnist1d,
)

CIFAR10_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


def _dump(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def _rows(rng, n):
    return rng.integers(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)


@pytest.fixture
def cifar10_root(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    batches = {}
    for i in range(1, 6):
        batches[f"data_batch_{i}"] = (_rows(rng, 2), [i % 10, (i + 3) % 10])
    batches["test_batch"] = (_rows(rng, 3), [9, 0, 4])
    for name, (data, labels) in batches.items():
        _dump(folder / name, {"data": data, "labels": labels, "batch_label": name})
    _dump(folder / "batches.meta", {"label_names": CIFAR10_NAMES, "num_vis": 3072})
    return tmp_path, batches


@pytest.fixture
def cifar100_root(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-100-python"
    splits = {
        "train": (_rows(rng, 4), [0, 99, 42, 7], [0, 19, 3, 1]),
        "test": (_rows(rng, 2), [5, 98], [2, 18]),
    }
    for name, (data, fine, coarse) in splits.items():
        _dump(
            folder / name, {"data": data, "fine_labels": fine, "coarse_labels": coarse}
        )
    meta = {
        "fine_label_names": [f"fine{i}" for i in range(100)],
        "coarse_label_names": [f"coarse{i}" for i in range(20)],
    }
    _dump(folder / "meta", meta)
    return tmp_path, splits


def _write_idx(path, array):
    """An uncompressed idx (SN3) file of unsigned bytes, as MNIST distributes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">I", 0x0800 + array.ndim)
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def _mnist_root(tmp_path, folder_name, seed=0):
    rng = np.random.default_rng(seed)
    raw = tmp_path / folder_name / "raw"
    arrays = {
        "train": (rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), [3, 1, 4, 1, 5]),
        "t10k": (rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), [9, 2]),
    }
    for prefix, (images, labels) in arrays.items():
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.array(labels))
    return tmp_path, arrays


def _check_images(data, n_train, n_test, shape):
    assert data.X_train.shape == (n_train, *shape)
    assert data.X_test.shape == (n_test, *shape)
    for X in (data.X_train, data.X_test):
        assert X.dtype == np.float32
        assert X.min() >= 0.0 and X.max() <= 1.0
    assert data.y_train.dtype == np.int64 and data.y_test.dtype == np.int64
    assert data.y_train.shape == (n_train,) and data.y_test.shape == (n_test,)
    assert all(isinstance(c, str) for c in data.classes)


# ------------------------------------------------------------------ CIFAR-10
def test_load_cifar10(cifar10_root):
    root, batches = cifar10_root
    data = load_cifar10(root)
    _check_images(data, 10, 3, (3, 32, 32))
    assert data.classes == CIFAR10_NAMES
    expected_y = np.concatenate([batches[f"data_batch_{i}"][1] for i in range(1, 6)])
    np.testing.assert_array_equal(data.y_train, expected_y)
    np.testing.assert_array_equal(data.y_test, [9, 0, 4])
    # CIFAR rows are 1024 red, 1024 green, 1024 blue values, row-major
    raw = batches["test_batch"][0]
    np.testing.assert_allclose(data.X_test[1].ravel(), raw[1] / 255.0, rtol=1e-6)
    assert data.X_test[2, 1, 3, 5] == np.float32(raw[2, 1024 + 3 * 32 + 5] / 255.0)
    assert data.mean is None and data.std is None


def test_load_cifar10_normalize(cifar10_root):
    root, _ = cifar10_root
    data = load_cifar10(str(root), normalize=True)
    assert data.X_train.dtype == np.float32 and data.mean.shape == (3,)
    np.testing.assert_allclose(data.X_train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(axis=(0, 2, 3)), 1, atol=1e-4)
    plain = load_cifar10(root)
    expected = (plain.X_test - data.mean[:, None, None]) / data.std[:, None, None]
    np.testing.assert_allclose(data.X_test, expected, rtol=1e-5, atol=1e-5)


def test_cifar10_missing_folder_error_names_root_and_layout(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_cifar10(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    for part in ("cifar-10-batches-py/data_batch_1", "test_batch", "batches.meta"):
        assert part in message


def test_cifar10_one_missing_file(cifar10_root):
    root, _ = cifar10_root
    (root / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="missing data_batch_3"):
        load_cifar10(root)


def test_cifar_bad_parameters(cifar10_root):
    root, _ = cifar10_root
    with pytest.raises(TypeError, match="normalize"):
        load_cifar10(root, normalize="yes")
    with pytest.raises(ValueError, match="root"):
        load_cifar10(None)
    with pytest.raises(ValueError, match="label_type"):
        load_cifar100(root, label_type="medium")


# ------------------------------------------------------------------ CIFAR-100
def test_load_cifar100_fine(cifar100_root):
    root, splits = cifar100_root
    data = load_cifar100(root)
    _check_images(data, 4, 2, (3, 32, 32))
    np.testing.assert_array_equal(data.y_train, splits["train"][1])
    np.testing.assert_array_equal(data.y_test, splits["test"][1])
    assert len(data.classes) == 100 and data.classes[99] == "fine99"
    raw = splits["train"][0]
    np.testing.assert_allclose(data.X_train[3].ravel(), raw[3] / 255.0, rtol=1e-6)


def test_load_cifar100_coarse(cifar100_root):
    root, splits = cifar100_root
    data = load_cifar100(root, label_type="coarse")
    np.testing.assert_array_equal(data.y_train, splits["train"][2])
    np.testing.assert_array_equal(data.y_test, splits["test"][2])
    assert len(data.classes) == 20 and data.classes[19] == "coarse19"


def test_cifar100_missing_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-100-python/train") as info:
        load_cifar100(tmp_path)
    assert str(tmp_path) in str(info.value)


# ------------------------------------------------------------------ MNIST
@pytest.mark.parametrize(
    "loader, folder, first_class",
    [(load_mnist, "MNIST", "0 - zero"), (load_fashion_mnist, "FashionMNIST", None)],
)
def test_load_mnist_like(tmp_path, loader, folder, first_class):
    root, arrays = _mnist_root(tmp_path, folder)
    data = loader(root)
    _check_images(data, 5, 2, (1, 28, 28))
    np.testing.assert_array_equal(data.y_train, arrays["train"][1])
    np.testing.assert_array_equal(data.y_test, arrays["t10k"][1])
    np.testing.assert_allclose(
        data.X_train[:, 0], arrays["train"][0] / 255.0, rtol=1e-6
    )
    assert len(data.classes) == 10
    if first_class is not None:
        assert data.classes[0] == first_class
    else:
        assert data.classes[0] == "T-shirt/top"


def test_mnist_missing_error_names_layout(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "MNIST/raw/train-images-idx3-ubyte" in message
    assert "t10k-labels-idx1-ubyte" in message


def test_fashion_mnist_gz_only_hint(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="decompress"):
        load_fashion_mnist(tmp_path)


def test_mnist_normalize(tmp_path):
    root, _ = _mnist_root(tmp_path, "MNIST")
    data = load_mnist(root, normalize=True)
    assert abs(float(data.X_train.mean())) < 1e-5
    assert data.mean.shape == (1,) and data.std.shape == (1,)


# ------------------------------------------------------------------ MNIST-1D
def test_load_mnist1d_small():
    data = load_mnist1d(n_samples=200, random_state=0)
    assert data.X_train.shape == (160, 40) and data.X_test.shape == (40, 40)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert set(np.unique(np.concatenate([data.y_train, data.y_test]))) == set(range(10))
    # the package draws n_samples // 10 signals per class
    counts = np.bincount(np.concatenate([data.y_train, data.y_test]), minlength=10)
    assert (counts == 20).all()
    assert data.classes == [str(i) for i in range(10)]
    assert np.isfinite(data.X_train).all()


def test_load_mnist1d_reproducible_and_seeded():
    a = load_mnist1d(n_samples=50, random_state=3)
    b = load_mnist1d(n_samples=50, random_state=3)
    c = load_mnist1d(n_samples=50, random_state=4)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)
    d = load_mnist1d(n_samples=50, random_state=np.random.default_rng(0))
    assert d.X_train.shape == (40, 40)


def test_load_mnist1d_restores_global_rngs():
    np_state = np.random.get_state()
    py_state = random.getstate()
    load_mnist1d(n_samples=20, random_state=1)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert np_state[0] == after[0] and np.array_equal(np_state[1], after[1])
    assert np_state[2:] == after[2:]


def test_load_mnist1d_options(tmp_path):
    data = load_mnist1d(n_samples=105, test_size=0.5, random_state=0)
    assert len(data.y_train) == 50 and len(data.y_test) == 50  # rounded to 100
    cached = load_mnist1d(n_samples=60, random_state=2, data_home=tmp_path)
    files = list(tmp_path.glob("mnist1d_*.npz"))
    assert len(files) == 1
    again = load_mnist1d(n_samples=60, random_state=2, data_home=tmp_path)
    np.testing.assert_array_equal(cached.X_train, again.X_train)
    np.testing.assert_array_equal(cached.y_test, again.y_test)
    shuffled = load_mnist1d(n_samples=60, random_state=2, shuffle_seq=True)
    assert shuffled.X_train.shape == cached.X_train.shape
    assert not np.array_equal(shuffled.X_train, cached.X_train)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_samples": 5}, ValueError, "n_samples"),
        ({"n_samples": 20.0}, TypeError, "n_samples"),
        ({"test_size": 1.0}, ValueError, "test_size"),
        ({"random_state": -1}, ValueError, "random_state"),
        ({"random_state": "seed"}, TypeError, "random_state"),
    ],
)
def test_load_mnist1d_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        load_mnist1d(**kwargs)
