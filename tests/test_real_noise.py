"""Loaders of real-noise data sets (CIFAR-N, Clothing1M) on tiny fake files in the
published layouts, and ``sknoisy benchmark --dataset cifar10n``."""

import json
import pickle
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from sknoisy.__main__ import main
from sknoisy.benchmark import run_benchmark
from sknoisy.datasets import (
    ImageListDataset,
    load_cifar10n,
    load_cifar100n,
    load_clothing1m,
)
from sknoisy.datasets._real_noise import DataLayoutError

N_PER_BATCH = 6  # 5 batches: 30 training images, 3 per class
CIFAR10_KEYS = [
    "clean_label",
    "worse_label",
    "aggre_label",
    "random_label1",
    "random_label2",
    "random_label3",
]


# --------------------------------------------------------------------------------------
# Fake files
# --------------------------------------------------------------------------------------
def _dump(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def _cifar10_folder(root, rng):
    """torchvision's cifar-10-batches-py with 30 training and 10 test images."""
    folder = root / "cifar-10-batches-py"
    y_train = np.arange(5 * N_PER_BATCH) % 10
    for i in range(5):
        labels = y_train[i * N_PER_BATCH : (i + 1) * N_PER_BATCH]
        data = rng.integers(0, 256, (N_PER_BATCH, 3072), dtype=np.uint8)
        _dump(folder / f"data_batch_{i + 1}", {"data": data, "labels": list(labels)})
    test = rng.integers(0, 256, (10, 3072), dtype=np.uint8)
    _dump(folder / "test_batch", {"data": test, "labels": list(range(10))})
    _dump(folder / "batches.meta", {"label_names": [f"c{i}" for i in range(10)]})
    return y_train


def _flip(y, n_flip, n_classes, offset=1):
    noisy = y.copy()
    noisy[:n_flip] = (noisy[:n_flip] + offset) % n_classes
    return noisy


@pytest.fixture
def cifar10n_root(tmp_path):
    rng = np.random.default_rng(0)
    clean = _cifar10_folder(tmp_path, rng)
    labels = {
        "clean_label": clean.copy(),
        "worse_label": _flip(clean, 12, 10),  # 40%
        "aggre_label": _flip(clean, 3, 10),  # 10%
        "random_label1": _flip(clean, 6, 10),
        "random_label2": _flip(clean, 6, 10, offset=2),
        "random_label3": _flip(clean, 5, 10),
    }
    torch.save(labels, tmp_path / "CIFAR-10_human.pt")
    return tmp_path, labels


@pytest.fixture
def cifar100n_root(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-100-python"
    fine, coarse = np.array([0, 99, 42, 7, 5]), np.array([0, 19, 3, 1, 2])
    data = rng.integers(0, 256, (5, 3072), dtype=np.uint8)
    _dump(
        folder / "train", {"data": data, "fine_labels": fine, "coarse_labels": coarse}
    )
    test = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
    _dump(
        folder / "test", {"data": test, "fine_labels": [1, 2], "coarse_labels": [0, 1]}
    )
    meta = {
        "fine_label_names": [f"f{i}" for i in range(100)],
        "coarse_label_names": [f"s{i}" for i in range(20)],
    }
    _dump(folder / "meta", meta)
    labels = {
        "clean_label": fine,
        "noisy_label": np.array([1, 99, 42, 8, 5]),
        "clean_coarse_label": coarse,
        "noisy_coarse_label": np.array([0, 18, 3, 1, 2]),
    }
    torch.save(labels, tmp_path / "CIFAR-100_human.pt")
    return tmp_path, labels


def _save_as_numpy1(path):
    """Rewrite a torch.save file the way numpy 1.x pickles arrays."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            if name.endswith("data.pkl"):
                data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
            z.writestr(name, data)


def _layout_named(message, *parts):
    for part in ("Expected layout", "CIFAR-10_human.pt", *parts):
        assert part in message, (part, message)


# --------------------------------------------------------------------------------------
# CIFAR-10N
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "noise, name, key, rate",
    [
        ("worse", "worse", "worse_label", 0.4),
        ("aggre", "aggre", "aggre_label", 0.1),
        ("random2", "random2", "random_label2", 0.2),
        ("random_label3", "random3", "random_label3", 5 / 30),
    ],
)
def test_load_cifar10n(cifar10n_root, noise, name, key, rate):
    root, labels = cifar10n_root
    data = load_cifar10n(root, noise=noise)
    assert data.X_train.shape == (30, 3, 32, 32) and data.X_train.dtype == np.float32
    assert data.X_test.shape == (10, 3, 32, 32)
    assert data.y_train.dtype == np.int64 and data.y_train_clean.dtype == np.int64
    np.testing.assert_array_equal(data.y_train, labels[key])
    np.testing.assert_array_equal(data.y_train_clean, labels["clean_label"])
    np.testing.assert_array_equal(data.y_test, np.arange(10))
    assert data.noise == name
    assert data.noise_key == key
    assert data.noise_rate == pytest.approx(rate)
    assert data.classes == [f"c{i}" for i in range(10)]
    assert data.label_file == str(root / "CIFAR-10_human.pt")


def test_load_cifar10n_all_annotators(cifar10n_root):
    root, labels = cifar10n_root
    data = load_cifar10n(root, noise="annotators")
    keys = ["random_label1", "random_label2", "random_label3"]
    assert data.y_train.shape == (30, 3) and data.y_train.dtype == np.int64
    np.testing.assert_array_equal(data.y_train, np.stack([labels[k] for k in keys], 1))
    assert data.noise == "annotators" and data.noise_key == tuple(keys)
    assert data.noise_rate == pytest.approx((6 + 6 + 5) / 90)
    del labels["random_label2"]
    torch.save(labels, root / "CIFAR-10_human.pt")
    with pytest.raises(ValueError, match="no key 'random_label2'"):
        load_cifar10n(root, noise="annotators")


def test_cifar10n_label_file_option_normalize_and_tensors(cifar10n_root, tmp_path):
    root, labels = cifar10n_root
    elsewhere = tmp_path / "labels" / "mine.pt"
    elsewhere.parent.mkdir()
    # torch tensors and a numpy-1.x pickle are read as well as numpy 2 arrays
    torch.save({k: torch.as_tensor(v) for k, v in labels.items()}, elsewhere)
    data = load_cifar10n(root, label_file=elsewhere, normalize=True)
    np.testing.assert_array_equal(data.y_train, labels["worse_label"])
    assert data.mean.shape == (3,)
    np.testing.assert_allclose(data.X_train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    _save_as_numpy1(root / "CIFAR-10_human.pt")
    data = load_cifar10n(root, noise="aggre")
    np.testing.assert_array_equal(data.y_train, labels["aggre_label"])


def test_cifar10n_missing_files_name_file_and_layout(cifar10n_root):
    root, _ = cifar10n_root
    (root / "CIFAR-10_human.pt").unlink()
    with pytest.raises(FileNotFoundError, match="missing .*CIFAR-10_human.pt") as info:
        load_cifar10n(root)
    _layout_named(str(info.value), "cifar-10-batches-py/data_batch_1", str(root))
    (root / "cifar-10-batches-py" / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py/test_batch"):
        load_cifar10n(root)


def _rewrite(root, name="CIFAR-10_human.pt", **changes):
    labels = torch.load(root / name, weights_only=False)
    for key, value in changes.items():
        if value is None:
            del labels[key]
        else:
            labels[key] = value
    torch.save(labels, root / name)


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"worse_label": None}, "has no key 'worse_label'; its keys are 'clean_label'"),
        ({"clean_label": None}, "has no key 'clean_label'"),
        ({"worse_label": np.zeros(29, int)}, "'worse_label' has 29 labels, but the"),
        ({"worse_label": np.zeros((30, 2), int)}, r"1-D array of int.*\(30, 2\)"),
        ({"worse_label": np.full(30, 0.5)}, "1-D array of int labels"),
        ({"worse_label": np.r_[np.zeros(29, int), 10]}, r"outside \[0, 9\], e.g. 10"),
        ({"clean_label": np.r_[-1, np.zeros(29, int)]}, "outside.*at index 0"),
    ],
)
def test_cifar10n_malformed_label_file(cifar10n_root, changes, match):
    root, _ = cifar10n_root
    _rewrite(root, **changes)
    with pytest.raises(DataLayoutError, match=match) as info:
        load_cifar10n(root)
    assert isinstance(info.value, ValueError)
    _layout_named(str(info.value), str(root / "CIFAR-10_human.pt"))


def test_cifar10n_clean_labels_of_another_folder(cifar10n_root):
    root, labels = cifar10n_root
    _rewrite(root, clean_label=_flip(labels["clean_label"], 2, 10))
    with pytest.raises(DataLayoutError, match="do not belong together") as info:
        load_cifar10n(root)
    message = str(info.value)
    assert "at 2 of 30 images (first at index 0: 1 in the label file, 0" in message
    _layout_named(message, "cifar-10-batches-py")


@pytest.mark.parametrize(
    "content, match",
    [
        ([1, 2, 3], "holds a list, not a dict"),
        (None, "cannot read .* as a torch.save file"),
    ],
)
def test_cifar10n_not_a_label_dict(cifar10n_root, content, match):
    root, _ = cifar10n_root
    path = root / "CIFAR-10_human.pt"
    if content is None:
        path.write_text("clean_label,worse_label\n0,1\n")
    else:
        torch.save(content, path)
    with pytest.raises(DataLayoutError, match=match) as info:
        load_cifar10n(root)
    _layout_named(str(info.value))


class LabelList(list):
    """Not a tensor or array: refused by the safe reader."""


class Marker:
    """Unpickling it would create a file: the safe reader must never run it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_cifar10n_refuses_arbitrary_pickles(cifar10n_root, tmp_path):
    root, labels = cifar10n_root
    marker = tmp_path / "ran"
    torch.save({**labels, "worse_label": Marker(str(marker))}, root / "x.pt")
    with pytest.raises(DataLayoutError, match="allow_pickle=True") as info:
        load_cifar10n(root, label_file=root / "x.pt")
    assert "weights_only=True" in str(info.value)
    assert not marker.exists()
    # allow_pickle=True is the explicit opt-in for a trusted file
    torch.save(
        {**labels, "worse_label": LabelList(labels["worse_label"])}, root / "y.pt"
    )
    with pytest.raises(DataLayoutError, match="allow_pickle"):
        load_cifar10n(root, label_file=root / "y.pt")
    data = load_cifar10n(root, label_file=root / "y.pt", allow_pickle=True)
    np.testing.assert_array_equal(data.y_train, labels["worse_label"])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            {"noise": "clean"},
            ValueError,
            "unknown noise 'clean'; choose one of 'aggre'",
        ),
        ({"noise": "noisy"}, ValueError, "unknown noise"),
        ({"allow_pickle": "no"}, TypeError, "allow_pickle"),
        ({"normalize": 1}, TypeError, "normalize"),
        ({"label_file": 3}, TypeError, "label_file"),
    ],
)
def test_cifar10n_bad_parameters(cifar10n_root, kwargs, exc, match):
    root, _ = cifar10n_root
    with pytest.raises(exc, match=match):
        load_cifar10n(root, **kwargs)


# --------------------------------------------------------------------------------------
# CIFAR-100N
# --------------------------------------------------------------------------------------
def test_load_cifar100n_fine_and_coarse(cifar100n_root):
    root, labels = cifar100n_root
    data = load_cifar100n(root)
    np.testing.assert_array_equal(data.y_train, labels["noisy_label"])
    np.testing.assert_array_equal(data.y_train_clean, labels["clean_label"])
    assert data.noise_rate == pytest.approx(0.4) and len(data.classes) == 100
    assert data.X_train.shape == (5, 3, 32, 32) and data.noise == "noisy"
    coarse = load_cifar100n(root, noise="noisy_label", label_type="coarse")
    np.testing.assert_array_equal(coarse.y_train, labels["noisy_coarse_label"])
    np.testing.assert_array_equal(coarse.y_train_clean, labels["clean_coarse_label"])
    assert coarse.noise_rate == pytest.approx(0.2) and len(coarse.classes) == 20
    np.testing.assert_array_equal(coarse.y_test, [0, 1])


def test_cifar100n_errors(cifar100n_root):
    root, labels = cifar100n_root
    _rewrite(root, "CIFAR-100_human.pt", noisy_coarse_label=np.full(5, 20))
    with pytest.raises(DataLayoutError, match=r"outside \[0, 19\]") as info:
        load_cifar100n(root, label_type="coarse")
    assert "CIFAR-100_human.pt" in str(info.value)
    assert "cifar-100-python/train" in str(info.value)
    load_cifar100n(root)  # the fine labels are still fine
    _rewrite(root, "CIFAR-100_human.pt", clean_label=labels["clean_label"][::-1])
    with pytest.raises(DataLayoutError, match="do not belong together"):
        load_cifar100n(root)
    (root / "cifar-100-python" / "meta").unlink()
    with pytest.raises(FileNotFoundError, match="cifar-100-python/meta"):
        load_cifar100n(root)
    with pytest.raises(ValueError, match="label_type"):
        load_cifar100n(root, label_type="medium")


# --------------------------------------------------------------------------------------
# Clothing1M
# --------------------------------------------------------------------------------------
CLOTHING_NAMES = [f"class{i}" for i in range(14)]
IMAGES = {  # path: (noisy label or None, clean label or None, size, colour)
    "images/0/00/a.jpg": (3, 3, (20, 12), (255, 0, 0)),
    "images/0/00/b.jpg": (5, 4, (16, 16), (0, 255, 0)),
    "images/0/01/c.png": (13, None, (10, 30), (0, 0, 255)),
    "images/1/00/d.jpg": (None, 7, (12, 12), (255, 255, 255)),
    "images/1/00/e.jpg": (0, 0, (14, 9), (0, 0, 0)),
}
SPLITS = {
    "noisy_train_key_list.txt": [
        "images/0/00/a.jpg",
        "images/0/01/c.png",
        "images/0/00/b.jpg",
    ],
    "clean_train_key_list.txt": ["images/0/00/b.jpg", "images/1/00/d.jpg"],
    "clean_val_key_list.txt": ["images/1/00/e.jpg"],
    "clean_test_key_list.txt": ["images/0/00/a.jpg"],
}


@pytest.fixture
def clothing_root(tmp_path):
    for path, (_, _, size, colour) in IMAGES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, colour).save(tmp_path / path)
    (tmp_path / "category_names_eng.txt").write_text("\n".join(CLOTHING_NAMES) + "\n")
    for file, column in (("noisy_label_kv.txt", 0), ("clean_label_kv.txt", 1)):
        lines = [f"{p} {v[column]}" for p, v in IMAGES.items() if v[column] is not None]
        (tmp_path / file).write_text("\n".join(lines) + "\n")
    for file, keys in SPLITS.items():
        (tmp_path / file).write_text("\n".join(keys) + "\n")
    return tmp_path


def test_load_clothing1m_noisy_train(clothing_root):
    data = load_clothing1m(clothing_root, image_size=8)
    np.testing.assert_array_equal(data.y, [3, 13, 5])
    np.testing.assert_array_equal(data.y_noisy, [3, 13, 5])
    np.testing.assert_array_equal(data.y_clean, [3, -1, 4])
    assert data.noise_rate == pytest.approx(0.5)  # a and b have both labels
    assert data.classes == CLOTHING_NAMES and data.split == "noisy_train"
    dataset = data.dataset
    assert isinstance(dataset, ImageListDataset) and len(dataset) == 3
    image, label = dataset[1]
    assert image.shape == (3, 8, 8) and image.dtype == torch.float32 and label == 13
    np.testing.assert_allclose(image[2].numpy(), 1.0)  # blue
    np.testing.assert_allclose(image[:2].numpy(), 0.0)
    assert dataset.path(2) == str(clothing_root / "images/0/00/b.jpg")
    loader = torch.utils.data.DataLoader(dataset, batch_size=2)
    images, labels = next(iter(loader))
    assert images.shape == (2, 3, 8, 8) and labels.tolist() == [3, 13]


@pytest.mark.parametrize(
    "split, y, y_noisy",
    [
        ("clean_train", [4, 7], [5, -1]),
        ("clean_val", [0], [0]),
        ("clean_test", [3], [3]),
    ],
)
def test_load_clothing1m_clean_splits(clothing_root, split, y, y_noisy):
    data = load_clothing1m(clothing_root, split=split)
    np.testing.assert_array_equal(data.y, y)
    np.testing.assert_array_equal(data.y_clean, y)
    np.testing.assert_array_equal(data.y_noisy, y_noisy)
    assert data.dataset[0][0].shape == (3, 224, 224)  # the default size


def test_clothing1m_transform_and_no_overlap(clothing_root):
    seen = []

    def transform(image):
        seen.append(image.size)
        return torch.zeros(1)

    data = load_clothing1m(clothing_root, split="clean_val", transform=transform)
    assert data.dataset[0][0].shape == (1,) and seen == [(14, 9)]
    (clothing_root / "clean_label_kv.txt").write_text("images/1/00/d.jpg 7\n")
    (clothing_root / "clean_val_key_list.txt").write_text("images/1/00/d.jpg\n")
    assert load_clothing1m(clothing_root, split="clean_val").noise_rate is None


def test_clothing1m_missing_files(clothing_root):
    (clothing_root / "clean_label_kv.txt").unlink()
    with pytest.raises(FileNotFoundError, match="missing clean_label_kv.txt") as info:
        load_clothing1m(clothing_root)
    message = str(info.value)
    assert str(clothing_root) in message and "Expected Clothing1M layout" in message
    assert "noisy_train_key_list.txt" in message and "images/0/00/" in message


@pytest.mark.parametrize(
    "file, text, match",
    [
        ("noisy_label_kv.txt", "images/0/00/a.jpg\n", r"line 1: 'images/0/00/a.jpg'"),
        ("noisy_label_kv.txt", "images/0/00/a.jpg 3\nx y z\n", "line 2: 'x y z' is"),
        ("clean_label_kv.txt", "images/0/00/a.jpg three\n", "'<image path> <label"),
        ("clean_label_kv.txt", "images/0/00/a.jpg 14\n", "label in 0-13"),
        (
            "noisy_label_kv.txt",
            "images/0/00/a.jpg 3\nimages/0/00/a.jpg 4\n",
            "two labels",
        ),
        ("noisy_train_key_list.txt", "images/0/00/a.jpg 3\n", "not one image path"),
        ("category_names_eng.txt", "a\nb\n", "lists 2 class names, expected 14"),
    ],
)
def test_clothing1m_malformed_files(clothing_root, file, text, match):
    (clothing_root / file).write_text(text)
    with pytest.raises(DataLayoutError, match=match) as info:
        load_clothing1m(clothing_root)
    message = str(info.value)
    assert str(clothing_root / file) in message
    assert "Expected Clothing1M layout" in message


def test_clothing1m_listed_image_without_label(clothing_root):
    (clothing_root / "noisy_label_kv.txt").write_text("images/0/00/a.jpg 3\n")
    with pytest.raises(DataLayoutError, match="lists 2 images without a label") as info:
        load_clothing1m(clothing_root)
    assert "noisy_label_kv.txt, e.g. images/0/01/c.png" in str(info.value)


def test_clothing1m_listed_image_missing(clothing_root):
    (clothing_root / "images/0/01/c.png").unlink()
    with pytest.raises(FileNotFoundError, match="1 of the 3 images listed") as info:
        load_clothing1m(clothing_root)
    message = str(info.value)
    assert str(clothing_root / "images/0/01/c.png") in message
    assert "noisy_train_key_list.txt" in message and "Expected Clothing1M" in message
    data = load_clothing1m(clothing_root, check_images=False)  # found when read
    with pytest.raises(FileNotFoundError, match="image 1 not found") as info:
        data.dataset[1]
    assert "c.png (listed in" in str(info.value) and "Expected" in str(info.value)
    (clothing_root / "images/0/01").rmdir()
    with pytest.raises(FileNotFoundError, match="1 of the 3 images"):
        load_clothing1m(clothing_root)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"split": "train"}, ValueError, "split must be one of noisy_train"),
        ({"image_size": 0}, ValueError, "image_size"),
        ({"image_size": (8, 8, 3)}, ValueError, "image_size"),
        ({"image_size": 8, "transform": abs}, ValueError, "image_size is for"),
        ({"transform": 3}, TypeError, "transform must be callable"),
        ({"check_images": "yes"}, TypeError, "check_images"),
    ],
)
def test_clothing1m_bad_parameters(clothing_root, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        load_clothing1m(clothing_root, **kwargs)


def test_image_list_dataset(tmp_path):
    Image.new("RGB", (4, 6), (255, 0, 0)).save(tmp_path / "x.png")
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    dataset = ImageListDataset(
        [str(tmp_path / "x.png"), str(tmp_path / "bad.jpg")], [1, 2], image_size=(3, 5)
    )
    image, label = dataset[0]
    assert image.shape == (3, 3, 5) and label == 1
    with pytest.raises(OSError, match="cannot be decoded: .*bad.jpg"):
        dataset[1]
    with pytest.raises(ValueError, match="one per path"):
        ImageListDataset(["x.png"], [1, 2], root=tmp_path)
    copy = pickle.loads(pickle.dumps(dataset))  # DataLoader workers pickle it
    assert copy[0][1] == 1


# --------------------------------------------------------------------------------------
# sknoisy benchmark --dataset cifar10n
# --------------------------------------------------------------------------------------
def test_benchmark_cifar10n_end_to_end(cifar10n_root, tmp_path):
    root, labels = cifar10n_root
    results = run_benchmark(
        "cifar10n",
        noise="worse",
        methods=["ce", "jo_soft"],
        seeds=[0, 1],
        max_epochs=1,
        data_dir=root,
        output=tmp_path / "out",
        progress=False,
    )
    assert len(results) == 4  # one "rate" x 2 methods x 2 seeds
    for r in results:
        assert r["dataset"] == "cifar10n" and r["noise"] == "worse"
        assert r["rate"] == 0.4 and r["noise_rate"] == pytest.approx(0.4)
        assert r["n_train"] == 30 and r["n_test"] == 10
    jo = [r for r in results if r["method"] == "jo_soft"]
    assert all(0.0 <= r["label_recovery"] <= 1.0 for r in jo)
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["config"]["rates"] == [0.4] and doc["config"]["noise"] == "worse"
    table = (tmp_path / "out" / "table.txt").read_text()
    assert "cifar10n, worse noise" in table and "rate 0.4" in table


def test_benchmark_cifar10n_trains_on_the_human_labels(cifar10n_root, monkeypatch):
    import sknoisy.benchmark._parallel as parallel
    import sknoisy.benchmark._pipeline as runner

    root, labels = cifar10n_root
    seen = []

    def run_one(task, data, *args):
        seen.append((task, data))
        return {key: task[key] for key in ("method", "rate", "seed")}

    monkeypatch.setattr(runner, "_run_one", run_one)
    monkeypatch.setattr(
        parallel, "Parallel", lambda **kw: lambda jobs: [f(*a, **k) for f, a, k in jobs]
    )
    run_benchmark(
        "cifar10n",
        noise="aggre_label",
        methods=["ce"],
        seeds=[0, 3],
        data_dir=root,
        progress=False,
    )
    assert len(seen) == 2
    for task, (X_tr, y_clean, y_noisy, X_te, y_te, module, params) in seen:
        assert task["noise"] == "aggre" and task["rate"] == 0.1
        np.testing.assert_array_equal(y_clean, labels["clean_label"])
        np.testing.assert_array_equal(y_noisy, labels["aggre_label"])  # not injected
        assert X_tr.shape == (30, 3, 32, 32) and module.__name__ == "PreActResNet32"


def test_benchmark_cifar10n_n_train_keeps_images_and_labels_together(cifar10n_root):
    from sknoisy.benchmark._data import _load_data

    root, labels = cifar10n_root
    full = _load_data("cifar10n", root, None, "worse")
    X, y, y_human = _load_data("cifar10n", root, 20, "worse")[:3]
    assert X.shape[0] == 20 and np.bincount(y).min() == 2  # stratified
    for i in range(20):  # every kept image keeps its own two labels
        j = int(np.flatnonzero((full[0] == X[i]).all(axis=(1, 2, 3)))[0])
        assert y[i] == full[1][j] and y_human[i] == full[2][j]


def test_benchmark_cifar10n_errors(cifar10n_root, tmp_path):
    root, _ = cifar10n_root
    with pytest.raises(ValueError, match="rates are for injected noise") as info:
        run_benchmark("cifar10n", rates=[0.2], data_dir=root, progress=False)
    assert "CIFAR-10_human.pt" in str(info.value)
    with pytest.raises(ValueError, match="unknown noise 'symmetric' for cifar10n"):
        run_benchmark("cifar10n", noise="symmetric", data_dir=root, progress=False)
    with pytest.raises(ValueError, match="needs data_dir") as info:
        run_benchmark("cifar10n", progress=False)
    assert "CIFAR-10_human.pt" in str(info.value)
    with pytest.raises(ValueError, match="missing cifar-10-batches-py/, CIFAR-10_h"):
        run_benchmark("cifar10n", data_dir=tmp_path / "empty", progress=False)
    with pytest.raises(ValueError, match="n_train must be None or an int >= 200"):
        run_benchmark("cifar100n", n_train=100, data_dir=root, progress=False)
    with pytest.raises(ValueError, match="missing .*CIFAR-100_human.pt") as info:
        run_benchmark("cifar100n", data_dir=root, progress=False)
    assert f"{root}/cifar-100-python/train" in str(info.value)


def test_cli_cifar10n(cifar10n_root, tmp_path, capsys):
    root, _ = cifar10n_root
    argv = ["benchmark", "--dataset", "cifar10n", "--data-dir", str(root)]
    status = main(
        argv
        + ["--noise", "worse", "--methods", "ce", "--seeds", "0", "--max-epochs", "1"]
        + ["--output", str(tmp_path / "out"), "--no-progress"]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "cifar10n, worse noise: test accuracy" in printed and "rate 0.4" in printed
    for extra, message in [
        (["--rates", "0.2"], "rates are for injected noise"),
        (["--noise", "pair"], "unknown noise 'pair' for cifar10n"),
    ]:
        with pytest.raises(SystemExit) as info:
            main(argv + extra)
        assert info.value.code == 2 and message in capsys.readouterr().err
    _rewrite(root, worse_label=np.zeros(7, int))  # found when the file is read
    with pytest.raises(SystemExit) as info:
        main(argv + ["--output", str(tmp_path / "bad"), "--no-progress"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "'worse_label' has 7 labels" in err
    assert "CIFAR-10_human.pt" in err and not (tmp_path / "bad").exists()
