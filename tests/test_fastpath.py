"""Tests of sknoisy.fastpath.TensorLoader."""

import os

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_blobs
from skorch.dataset import Dataset, ValidSplit
from torch.utils.data import DataLoader, Subset, TensorDataset

from sknoisy import NoisyLabelClassifier
from sknoisy._fastpath import _CACHE
from sknoisy.fastpath import TensorLoader
from sknoisy.utils._data import INDEX_KEY, X_KEY

LOADERS = {"iterator_train": TensorLoader, "iterator_valid": TensorLoader}


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _indexed_dataset(n=23, n_features=3, y=True, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features)).astype(np.float32)
    labels = rng.integers(0, 3, n) if y else None
    return Dataset({X_KEY: X, INDEX_KEY: np.arange(n)}, labels)


def _assert_same_batches(expected, actual):
    """Same nesting, keys, dtypes, shapes and values, batch by batch."""
    assert len(expected) == len(actual)
    for exp, act in zip(expected, actual):
        if isinstance(exp, torch.Tensor):
            assert isinstance(act, torch.Tensor)
            assert exp.dtype == act.dtype
            assert torch.equal(exp, act)
        elif isinstance(exp, dict):
            assert isinstance(act, dict) and list(exp) == list(act)
            _assert_same_batches(list(exp.values()), list(act.values()))
        else:
            assert isinstance(act, (list, tuple))
            _assert_same_batches(list(exp), list(act))


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


# ------------------------------------------------------------------ batches
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_equal_dataloader_with_a_generator(shuffle, drop_last):
    dataset = _indexed_dataset()
    kwargs = {"batch_size": 5, "shuffle": shuffle, "drop_last": drop_last}
    for epoch_seed in (0, 1):
        expected = list(DataLoader(dataset, generator=_gen(epoch_seed), **kwargs))
        loader = TensorLoader(dataset, generator=_gen(epoch_seed), **kwargs)
        actual = list(loader)
        assert len(loader) == len(expected) == (4 if drop_last else 5)
        _assert_same_batches(expected, actual)
        assert all(isinstance(batch, tuple) for batch in actual)


def test_global_generator_gives_dataloader_permutation_and_random_stream():
    dataset = _indexed_dataset()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        expected = [list(DataLoader(dataset, batch_size=4, shuffle=True))]
        expected.append(list(DataLoader(dataset, batch_size=4, shuffle=True)))
        after_dataloader = torch.rand(3)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        loader = TensorLoader(dataset, batch_size=4, shuffle=True)
        actual = [list(loader), list(loader)]  # two epochs, two permutations
        after_tensorloader = torch.rand(3)
    _assert_same_batches(expected, actual)
    assert not torch.equal(actual[0][0][1], actual[1][0][1])
    # The global stream advances exactly as with DataLoader.
    assert torch.equal(after_dataloader, after_tensorloader)


def test_prediction_dataset_without_y_matches_dataloader():
    X = np.arange(30, dtype=np.float32).reshape(10, 3)
    dataset = Dataset(X, None)
    expected = list(DataLoader(dataset, batch_size=4))
    _assert_same_batches(expected, list(TensorLoader(dataset, batch_size=4)))


@pytest.mark.parametrize("shuffle", [False, True])
def test_subset_and_nested_subset_match_dataloader(shuffle):
    dataset = _indexed_dataset(n=30)
    subset = Subset(dataset, np.arange(29, 0, -2))
    nested = Subset(subset, [4, 0, 7, 3, -1])
    for data in (subset, nested):
        expected = list(
            DataLoader(data, batch_size=4, shuffle=shuffle, generator=_gen())
        )
        actual = list(
            TensorLoader(data, batch_size=4, shuffle=shuffle, generator=_gen())
        )
        _assert_same_batches(expected, actual)


def test_plain_array_and_map_style_fallback_match_dataloader():
    X = np.arange(24, dtype=np.float64).reshape(8, 3)
    _assert_same_batches(
        list(DataLoader(X, batch_size=3)), list(TensorLoader(X, batch_size=3))
    )
    tensors = TensorDataset(torch.arange(16.0).reshape(8, 2), torch.arange(8))
    _assert_same_batches(
        list(DataLoader(tensors, batch_size=3, shuffle=True, generator=_gen())),
        list(TensorLoader(tensors, batch_size=3, shuffle=True, generator=_gen())),
    )


class _CountingDataset(torch.utils.data.Dataset):
    def __init__(self, n):
        self.n, self.calls = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        return {"a": torch.tensor([float(i)])}, i % 2


def test_dataset_is_read_once_across_epochs_and_loaders():
    dataset = _CountingDataset(10)
    loader = TensorLoader(dataset, batch_size=4, shuffle=True, generator=_gen())
    first, second = list(loader), list(loader)
    assert dataset.calls == 10
    assert sorted(torch.cat([Xb["a"] for Xb, _ in first]).ravel().tolist()) == list(
        map(float, range(10))
    )
    assert not torch.equal(first[0][0]["a"], second[0][0]["a"])
    # A second loader on the same dataset (as skorch's callbacks create) and a
    # Subset of it reuse the cached tensors.
    list(TensorLoader(dataset, batch_size=3))
    list(TensorLoader(Subset(dataset, [1, 2]), batch_size=3))
    assert dataset.calls == 10
    assert dataset in _CACHE
    del loader, dataset
    import gc

    gc.collect()
    assert not any(isinstance(key, _CountingDataset) for key in _CACHE.keys())


def test_cache_holds_device_copies_and_collated_data_only():
    dataset = _indexed_dataset()
    list(TensorLoader(dataset, batch_size=8))  # NumPy arrays read in place
    assert dataset not in _CACHE
    list(TensorLoader(dataset, batch_size=8, device="cpu"))
    assert dataset in _CACHE
    tensor = torch.arange(12.0).reshape(6, 2)
    batches = list(TensorLoader(tensor, batch_size=4, device="cpu"))
    assert [tuple(b.shape) for b in batches] == [(4, 2), (2, 2)]
    assert not any(isinstance(key, torch.Tensor) for key in _CACHE.keys())


def test_empty_dataset_gives_no_batches():
    loader = TensorLoader(_CountingDataset(0), batch_size=4, shuffle=True)
    assert len(loader) == 0 and list(loader) == []


def test_numpy_arrays_are_shared_not_copied_on_cpu():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    loader = TensorLoader(Dataset(X, np.zeros(6, dtype=np.int64)), batch_size=6)
    ((Xb, _),) = list(loader)
    assert Xb.data_ptr() == X.__array_interface__["data"][0]
    readonly = X.copy()
    readonly.flags.writeable = False
    ((Xb, _),) = list(TensorLoader(Dataset(readonly, None), batch_size=6))
    assert torch.equal(Xb, torch.from_numpy(X))


def test_device_places_data_once():
    dataset = _indexed_dataset()
    loader = TensorLoader(dataset, batch_size=8, shuffle=True, device="cpu")
    for Xb, yb in loader:
        assert Xb[X_KEY].device.type == "cpu" and yb.device.type == "cpu"
    assert loader.device == torch.device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device_batches_stay_on_the_device():  # pragma: no cover
    dataset = _indexed_dataset()
    loader = TensorLoader(dataset, batch_size=8, shuffle=True, device="cuda")
    for Xb, yb in loader:
        assert Xb[X_KEY].is_cuda and Xb[INDEX_KEY].is_cuda and yb.is_cuda


def test_augment_changes_only_the_input_entry():
    dataset = _indexed_dataset(n=12)
    calls = []

    def augment(X, generator=None):
        calls.append(tuple(X.shape))
        return X + 1

    plain = list(TensorLoader(dataset, batch_size=5))
    augmented = list(TensorLoader(dataset, batch_size=5, augment=augment))
    assert calls == [(5, 3), (5, 3), (2, 3)]
    for (X0, y0), (X1, y1) in zip(plain, augmented):
        assert torch.equal(X1[X_KEY], X0[X_KEY] + 1)
        assert torch.equal(X1[INDEX_KEY], X0[INDEX_KEY])
        assert torch.equal(y1, y0)
    images = Dataset(np.zeros((4, 3, 8, 8), dtype=np.float32), np.zeros(4))
    ((Xb, _),) = list(TensorLoader(images, batch_size=4, augment="crop_flip"))
    assert Xb.shape == (4, 3, 8, 8)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.0}, TypeError, "batch_size"),
        ({"shuffle": "yes"}, TypeError, "shuffle"),
        ({"drop_last": 1}, TypeError, "drop_last"),
        ({"device": 0}, TypeError, "device"),
        ({"generator": 0}, TypeError, "generator"),
        ({"augment": "flip"}, ValueError, "augment"),
        ({"sampler": [0, 1]}, ValueError, "sampler"),
        ({"collate_fn": list}, ValueError, "collate_fn"),
        ({"workers": 2}, TypeError, "workers"),
    ],
)
def test_invalid_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        TensorLoader(_indexed_dataset(), **kwargs)


def test_dataloader_tuning_kwargs_are_ignored():
    dataset = _indexed_dataset()
    loader = TensorLoader(
        dataset, batch_size=4, num_workers=2, pin_memory=True, sampler=None
    )
    _assert_same_batches(list(DataLoader(dataset, batch_size=4)), list(loader))


# ---------------------------------------------------------------- estimator
def test_fit_is_identical_to_the_dataloader_path(blobs):
    X, y = blobs
    params = {"max_epochs": 4, "batch_size": 16, "random_state": 0}
    default = NoisyLabelClassifier(**params).fit(X, y)
    fast = NoisyLabelClassifier(**params, **LOADERS).fit(X, y)
    again = NoisyLabelClassifier(**params, **LOADERS).fit(X, y)
    np.testing.assert_array_equal(fast.predict_proba(X), again.predict_proba(X))
    np.testing.assert_allclose(
        fast.predict_proba(X), default.predict_proba(X), rtol=0, atol=1e-6
    )
    other = NoisyLabelClassifier(**{**params, "random_state": 1}, **LOADERS)
    assert not np.allclose(other.fit(X, y).predict_proba(X), fast.predict_proba(X))


def test_indices_reach_label_correction_and_truncation(blobs):
    X, y = blobs
    y_noisy = y.copy()
    y_noisy[:12] = (y_noisy[:12] + 1) % 3
    clf = NoisyLabelClassifier(
        loss="truncated_gce",
        label_correction="soft",
        correction_start=2,
        prune_start=2,
        prune_every=1,
        max_epochs=6,
        batch_size=16,
        random_state=0,
        **LOADERS,
    ).fit(X, y_noisy)
    assert np.all(np.isfinite(clf.predict_proba(X)))
    assert clf.corrected_labels_.shape == y.shape
    assert np.all(np.isfinite(clf.soft_labels_))
    assert np.isin(clf.corrected_labels_, np.unique(y)).all()
    assert set(np.unique(clf.pruning_weights_)) <= {0.0, 1.0}
    assert "n_pruned" in clf.history_[-1]
    # Correction saw every sample: the soft labels moved away from one-hot.
    assert np.abs(clf.soft_labels_ - np.eye(3)[y_noisy]).max() > 0


def test_augment_only_in_training(blobs):
    X, y = blobs
    calls = []

    def augment(Xb, generator=None):
        calls.append(Xb.shape[0])
        return Xb + 0.01

    clf = NoisyLabelClassifier(
        max_epochs=3,
        batch_size=32,
        random_state=0,
        iterator_train__augment=augment,
        **LOADERS,
    ).fit(X, y)
    assert calls == [32, 32, 32, 24] * 3  # every training batch, every epoch
    clf.predict_proba(X)
    clf.score(X, y)
    assert len(calls) == 12
    plain = NoisyLabelClassifier(
        max_epochs=3, batch_size=32, random_state=0, **LOADERS
    ).fit(X, y)
    assert not np.allclose(plain.predict_proba(X), clf.predict_proba(X))


def test_valid_split_subset(blobs):
    X, y = blobs
    params = {"max_epochs": 3, "batch_size": 16, "random_state": 0}
    split = {"train_split": ValidSplit(5)}
    fast = NoisyLabelClassifier(**params, **split, **LOADERS).fit(X, y)
    default = NoisyLabelClassifier(**params, **split).fit(X, y)
    assert fast.history_[-1, "train_batch_count"] == 6  # 96 training samples
    assert fast.history_[-1, "valid_batch_count"] == 2  # 24 validation samples
    np.testing.assert_allclose(
        fast.history_[:, "valid_loss"], default.history_[:, "valid_loss"], rtol=1e-5
    )


def test_device_routed_through_iterator_params(blobs):
    X, y = blobs
    clf = NoisyLabelClassifier(
        max_epochs=2,
        random_state=0,
        iterator_train__device="cpu",
        iterator_valid__device="cpu",
        **LOADERS,
    ).fit(X, y)
    assert clf.predict(X).shape == y.shape


def test_accuracy_on_digits_similar_to_default(digits):
    X, y = digits
    X_train, y_train, X_test, y_test = X[:900], y[:900], X[900:], y[900:]
    params = {"max_epochs": 10, "batch_size": 32, "random_state": 0}
    default = NoisyLabelClassifier(**params).fit(X_train, y_train)
    fast = NoisyLabelClassifier(**params, **LOADERS).fit(X_train, y_train)
    fast_score = fast.score(X_test, y_test)
    assert fast_score > 0.85
    assert abs(fast_score - default.score(X_test, y_test)) < 0.03


@pytest.mark.skipif(
    not os.environ.get("SKNOISY_SLOW_TESTS"),
    reason="torch.compile on the CPU compiles C++ kernels (about a minute); "
    "set SKNOISY_SLOW_TESTS=1",
)
def test_compile_with_tensor_loader(blobs):  # pragma: no cover
    X, y = blobs
    params = {"max_epochs": 2, "batch_size": 32, "random_state": 0}
    ref = NoisyLabelClassifier(**params).fit(X, y)
    compiled = NoisyLabelClassifier(**params, compile=True, **LOADERS).fit(X, y)
    np.testing.assert_allclose(
        compiled.predict_proba(X), ref.predict_proba(X), atol=1e-5
    )


def test_estimator_passes_its_device_to_the_loader():
    X, y = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
    seen = []

    class Recording(TensorLoader):
        def __init__(self, dataset, device=None, **kwargs):
            seen.append(device)
            super().__init__(dataset, device=device, **kwargs)

    NoisyLabelClassifier(
        max_epochs=1, iterator_train=Recording, iterator_valid=Recording
    ).fit(X, y).predict(X)
    assert seen == ["cpu", "cpu"]


@pytest.mark.parametrize("loss", ["ce", "gce"])
def test_automatic_start_same_with_tensor_loader(blobs, loss):
    # The held-out search (masked targets looked up by index) takes the same
    # path through both loaders; the fused CE kernel and the generic loss path
    # are both exercised.
    X, y = blobs
    y_noisy = y.copy()
    y_noisy[:12] = (y_noisy[:12] + 1) % 3
    params = {
        "loss": loss,
        "label_correction": "soft",
        "correction_window": 2,
        "max_epochs": 8,
        "batch_size": 16,
        "random_state": 0,
    }
    slow = NoisyLabelClassifier(**params).fit(X, y_noisy)
    fast = NoisyLabelClassifier(**params, **LOADERS).fit(X, y_noisy)
    assert "heldout_score" in slow.history_[0]
    assert fast.correction_start_ == slow.correction_start_
    np.testing.assert_allclose(
        fast.history_[:, "train_loss"], slow.history_[:, "train_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(fast.soft_labels_, slow.soft_labels_, atol=1e-4)
