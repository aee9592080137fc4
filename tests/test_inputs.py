"""Inputs other than in-memory arrays: torch Datasets, dict X, memmaps.

Each form must train exactly as the same data given as an array (same
``random_state``, same predictions and label-issue attributes), keep the
sample indices for label correction and pruning, and refuse bad input with
an error that names it.
"""

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from skorch.dataset import ValidSplit
from torch.utils.data import Dataset, IterableDataset, Subset, TensorDataset

from sknoisy import NoisyLabelClassifier
from sknoisy.exceptions import CorrectionWarning
from sknoisy.fastpath import TensorLoader
from sknoisy.utils._adapter import InputAdapter
from sknoisy.utils._data import BatchedDataset
from sknoisy.utils._inputs import dataset_labels

X, Y = make_blobs(n_samples=90, centers=3, n_features=4, random_state=0)
X32 = X.astype(np.float32)
NAMES = np.array(["ant", "bee", "cat"])

CONFIGS = {
    "ce": {},
    "soft": {"label_correction": "soft", "correction_start": 1},
    "truncated_gce": {"loss": "truncated_gce", "prune_start": 2, "prune_every": 1},
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        yield


def fast(**params):
    params = {"max_epochs": 3, "batch_size": 16, "random_state": 0, **params}
    return NoisyLabelClassifier(**params)


def assert_same_fit(a, b, X_a, X_b):
    """Two fits on the same data in two forms agree in everything."""
    np.testing.assert_array_equal(a.classes_, b.classes_)
    np.testing.assert_allclose(a.predict_proba(X_a), b.predict_proba(X_b), atol=1e-6)
    np.testing.assert_array_equal(a.predict(X_a), b.predict(X_b))
    for name in ("label_quality_", "corrected_labels_", "pruning_weights_"):
        if hasattr(a, name):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    if hasattr(a, "label_quality_"):
        issues_a, issues_b = a.get_label_issues(), b.get_label_issues()
        # the values; the index is the data's own (file paths of a folder)
        assert issues_a.reset_index(drop=True).equals(issues_b.reset_index(drop=True))


class LazyDataset(Dataset):
    """Map-style dataset that builds each sample when asked (items ``x``)."""

    def __init__(self, X, pairs=False, calls=None):
        self.X, self.pairs, self.calls = X, pairs, calls

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        if self.calls is not None:
            self.calls.append(i)
        x = torch.tensor(self.X[i], dtype=torch.float64)  # converted per batch
        return (x, -1) if self.pairs else x


# -------------------------------------------------------------- Datasets
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_tensor_dataset_fits_as_the_array(config):
    params = CONFIGS[config]
    ds = TensorDataset(torch.from_numpy(X32), torch.from_numpy(Y))
    a = fast(**params).fit(X32, Y)
    b = fast(**params).fit(ds)  # labels from the dataset
    assert_same_fit(a, b, X32, ds)
    assert b.n_features_in_ == 4
    # prediction on items x, (x,) and (x, y)
    np.testing.assert_array_equal(
        b.predict(TensorDataset(torch.from_numpy(X32))), a.predict(X32)
    )
    np.testing.assert_array_equal(b.predict(LazyDataset(X32)), a.predict(X32))
    if config == "soft":
        assert b.label_issues_.shape == (len(Y),)


def test_lazy_dataset_with_y_given_string_labels():
    y = NAMES[Y]
    a = fast(**CONFIGS["soft"]).fit(X32, y)
    calls = []
    b = fast(**CONFIGS["soft"]).fit(LazyDataset(X, calls=calls), y)
    assert_same_fit(a, b, X32, LazyDataset(X))
    assert set(b.predict(LazyDataset(X))) <= set(NAMES)
    assert b.get_label_issues()["given_label"].tolist() == y.tolist()
    # read once up front (first item), then batch by batch: 3 epochs
    assert len(calls) == 1 + 3 * len(X)
    # items (x, y) with y given: the items' labels are ignored
    c = fast(**CONFIGS["soft"]).fit(LazyDataset(X, pairs=True), y)
    assert_same_fit(a, c, X32, LazyDataset(X, pairs=True))


def test_subset_and_skorch_dataset_labels_read_without_items():
    from skorch.dataset import Dataset as SkorchDataset

    class NoItems(TensorDataset):
        def __getitem__(self, i):
            raise AssertionError("labels must not be read from the items")

    base = TensorDataset(torch.from_numpy(X32), torch.from_numpy(Y))
    np.testing.assert_array_equal(dataset_labels(Subset(base, [3, 1])), Y[[3, 1]])
    skorch_ds = SkorchDataset(X32, NAMES[Y])
    np.testing.assert_array_equal(dataset_labels(skorch_ds), NAMES[Y])
    with pytest.raises(AssertionError, match="not be read"):
        dataset_labels(NoItems(torch.from_numpy(X32), torch.from_numpy(Y)))
    a = fast().fit(X32, NAMES[Y])
    b = fast().fit(SkorchDataset(X, NAMES[Y]))  # float64 rows, string labels
    assert_same_fit(a, b, X32, SkorchDataset(X))


def test_train_split_stratifies_a_dataset_with_y():
    # As in skorch, train_split gets y only when fit is given one: the labels
    # sknoisy reads from the items train the net but do not reach the split.
    ds = TensorDataset(torch.from_numpy(X32), torch.from_numpy(Y))
    params = {**CONFIGS["soft"], "train_split": ValidSplit(5, stratified=True)}
    a = fast(**params).fit(X32, Y)
    b = fast(**params).fit(ds, Y)
    assert_same_fit(a, b, X32, ds)
    assert "valid_loss" in b.history[-1]
    with pytest.raises(ValueError, match="Stratified CV requires explicitly"):
        fast(**params).fit(ds)
    seen = []

    def split(dataset, *args, **fit_params):
        seen.append(args)
        return dataset, None

    fast(max_epochs=1, train_split=split).fit(ds)
    fast(max_epochs=1, train_split=split).fit(ds, Y)
    assert seen[0] == () and len(seen[1]) == 1


def test_partial_fit_with_a_dataset_continues_the_label_state():
    ds = TensorDataset(torch.from_numpy(X32), torch.from_numpy(Y))
    a = fast(**CONFIGS["soft"]).fit(X32, Y)
    a.partial_fit(X32, Y)
    b = fast(**CONFIGS["soft"]).fit(ds)
    state = b.label_state_
    averaged = state.n_averaged.clone()
    b.partial_fit(ds)
    assert b.label_state_ is state
    assert bool((state.n_averaged > averaged).all())  # continued, not reset
    assert len(b.history) == 6
    assert_same_fit(a, b, X32, ds)


def test_dataset_with_tensor_loader():
    ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))  # float64
    params = {**CONFIGS["soft"], "iterator_train": TensorLoader}
    params["iterator_valid"] = TensorLoader
    a = fast(**params).fit(X32, Y)
    b = fast(**params).fit(ds)
    assert_same_fit(a, b, X32, ds)


# ------------------------------------------------------------ ImageFolder
@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    pytest.importorskip("torchvision")
    from PIL import Image

    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for c, name in enumerate(NAMES):
        (root / name).mkdir()
        for i in range(6):
            pixels = rng.integers(0, 60, (8, 8, 3)) + 90 * c
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")
    return root


def test_image_folder_fits_labels_without_decoding(image_folder):
    from torchvision import datasets, transforms

    opened = []

    def loader(path):
        opened.append(path)
        return datasets.folder.default_loader(path)

    ds = datasets.ImageFolder(image_folder, transforms.ToTensor(), loader=loader)
    np.testing.assert_array_equal(dataset_labels(ds), ds.targets)
    assert opened == []  # labels from ds.targets
    from sknoisy.models import CNN2D

    params = dict(CONFIGS["soft"], module=CNN2D, module__channels=(4,))
    clf = fast(**params).fit(ds)
    # the items' labels: class indices into ds.classes
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_features_in_ == 3  # channels, as for (n, C, H, W) arrays
    assert clf.module_.in_channels == 3
    issues = clf.get_label_issues(sort=True)
    assert len(issues) == len(ds)
    # rows by file path, labels by folder name
    assert set(issues.index) == {
        str(Path(p).relative_to(image_folder)) for p, _ in ds.samples
    }
    assert set(issues["given_label"]) == set(ds.classes)
    # with the folder names as y
    names = np.array(ds.classes)[ds.targets]
    named = fast(**params).fit(ds, names)
    np.testing.assert_array_equal(named.classes_, NAMES)
    assert set(named.predict(ds)) <= set(NAMES)
    images = np.stack([ds[i][0].numpy() for i in range(len(ds))])
    assert_same_fit(named, fast(**params).fit(images, names), ds, images)


def test_image_folder_without_transform_is_refused(image_folder):
    from torchvision import datasets

    ds = datasets.ImageFolder(image_folder)
    with pytest.raises(TypeError, match=r"X's items hold x as a PIL\..*ToTensor"):
        fast().fit(ds)


# ------------------------------------------------------------------- dict
class TwoInputs(torch.nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.dense = torch.nn.Linear(3, n_classes)
        self.embed = torch.nn.Embedding(5, n_classes)

    def forward(self, dense, token):
        return self.dense(dense) + self.embed(token)


@pytest.mark.parametrize("config", ["ce", "soft"])
def test_dict_X_reaches_forward_as_keywords(config):
    token = (np.arange(len(X)) % 5).astype(np.int64)
    Xd = {"dense": X[:, :3], "token": token}  # float64 converted, int64 kept
    weight = np.linspace(0.5, 1.5, len(X))
    clf = fast(module=TwoInputs, **CONFIGS[config]).fit(Xd, Y, sample_weight=weight)
    assert clf.predict_proba(Xd).shape == (len(X), 3)
    assert not hasattr(clf, "n_features_in_")
    # the same fit from a Dataset whose items are dicts
    items = [({"dense": X[i, :3], "token": token[i]}, Y[i]) for i in range(len(X))]

    class Items(Dataset):
        def __len__(self):
            return len(items)

        def __getitem__(self, i):
            return items[i]

    other = fast(module=TwoInputs, **CONFIGS[config]).fit(Items(), sample_weight=weight)
    assert_same_fit(clf, other, Xd, Items())
    if config == "soft":
        assert len(clf.get_label_issues()) == len(X)
    with pytest.raises(ValueError, match=r"X is an array or Dataset, but .* dict"):
        clf.predict(X)
    with pytest.raises(ValueError, match=r"X is a dict \['dense'\], but"):
        clf.predict({"dense": X[:, :3]})


# ---------------------------------------------------------------- memmaps
def _memmap(tmp_path, array, name="X.npy"):
    path = tmp_path / name
    np.save(path, array)
    return np.load(path, mmap_mode="r"), path


def _validated(clf, X):
    """What fit hands to skorch: the data of X and the encoded labels."""
    return InputAdapter().validate_fit(clf, X, Y, reset=True)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_read_only_memmap_fits_as_the_array(tmp_path, config):
    Xm, path = _memmap(tmp_path, X32)
    before = _digest(path)
    assert _validated(fast(), Xm)[0] is Xm  # no copy
    a = fast(**CONFIGS[config]).fit(X32, Y)
    b = fast(**CONFIGS[config]).fit(Xm, Y)
    assert_same_fit(a, b, X32, Xm)
    if config == "soft":
        assert b.get_label_issues(sort=True)["label_quality"].is_monotonic_increasing
    assert _digest(path) == before and not Xm.flags.writeable


def test_non_float32_memmap_is_not_copied(tmp_path):
    X8 = (X * 10 + 60).clip(0, 255).astype(np.uint8)
    Xm, path = _memmap(tmp_path, X8)
    clf = fast(**CONFIGS["soft"])
    data, y_enc = _validated(clf, Xm)
    assert data is Xm  # the caller's memmap, no float32 copy
    dataset = clf.get_dataset(data, y_enc)
    assert isinstance(dataset, BatchedDataset) and dataset._columns.array is Xm
    Xb, _ = dataset.__getitems__([4, 2])
    assert Xb.dtype == torch.float32
    np.testing.assert_array_equal(Xb.numpy(), X8[[4, 2]])
    a = fast(**CONFIGS["soft"]).fit(X8.astype(np.float32), Y)
    b = fast(**CONFIGS["soft"]).fit(Xm, Y)
    assert_same_fit(a, b, X8.astype(np.float32), Xm)


def test_float64_arrays_are_not_copied_but_converted_per_batch():
    a = fast(**CONFIGS["soft"]).fit(X32, Y)
    b = fast(**CONFIGS["soft"])
    data, y_enc = _validated(b, X)
    assert data.dtype == np.float64 and np.shares_memory(data, X)
    assert b.get_dataset(data, y_enc).__getitems__([0])[0].dtype == torch.float32
    assert_same_fit(a, b.fit(X, Y), X32, X)


def test_memmap_with_tensor_loader(tmp_path):
    Xm, _ = _memmap(tmp_path, X)  # float64: converted once for the loader
    loader = {"iterator_train": TensorLoader, "iterator_valid": TensorLoader}
    a = fast(**loader).fit(X32, Y)
    b = fast(**loader).fit(Xm, Y)
    assert_same_fit(a, b, X32, Xm)


# -------------------------------------------------------------- bad input
def test_dataset_items_not_pairs():
    ds = TensorDataset(torch.from_numpy(X32))
    # skorch's message, and sknoisy's naming the input (a PEP 678 note).
    with pytest.raises(ValueError, match=r"non-skorch dataset that returns 1 value"):
        fast().fit(ds)
    with pytest.raises(ValueError, match=r"X is a TensorDataset whose item 0 is a"):
        fast().fit(ds)
    with pytest.raises(ValueError, match=r"item 0 is a Tensor.*, not an \(x, y\)"):
        fast().fit(LazyDataset(X))
    three = TensorDataset(*[torch.from_numpy(X32)] * 3)
    with pytest.raises(ValueError, match=r"dataset that returns 3 values"):
        fast().fit(three)
    with pytest.raises(ValueError, match=r"dataset that returns 3 values"):
        fast().fit(X32, Y).predict(three)


def test_dataset_item_not_a_pair_later_on_is_named():
    class Ragged(torch.utils.data.Dataset):  # labels read item by item
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return (torch.zeros(3), 1) if i < 5 else (torch.zeros(3),)

    with pytest.raises(ValueError, match=r"(?s)returns 1 value.*whose item 5 is"):
        fast().fit(Ragged())


def test_dataset_and_y_of_different_lengths():
    with pytest.raises(ValueError, match="inconsistent numbers of samples: 90 and 89"):
        fast().fit(LazyDataset(X), Y[:-1])


def test_memmap_of_wrong_dtype(tmp_path):
    Xm, path = _memmap(tmp_path, X.astype("S8"))
    before = _digest(path)
    with pytest.raises(TypeError, match=r"X is a memory-mapped array of dtype \|S8"):
        fast().fit(Xm, Y)
    assert _digest(path) == before


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e300])
def test_non_finite_value_in_a_memmap_batch(tmp_path, bad):
    X_bad = X.copy()
    X_bad[7, 2] = bad
    Xm, path = _memmap(tmp_path, X_bad)
    before = _digest(path)
    with pytest.raises(ValueError, match=r"Input X contains NaN.* sample\(s\) \[7\]"):
        fast().fit(Xm, Y)
    clf = fast().fit(X, Y)
    with pytest.raises(ValueError, match=r"sample\(s\) \[7\]"):
        clf.predict(Xm)
    assert _digest(path) == before


def test_non_finite_value_in_a_dataset_batch():
    X_bad = X.copy()
    X_bad[[11, 3], 0] = np.nan
    match = r"Input X contains NaN.* sample\(s\) \[3, 11\]"
    with pytest.raises(ValueError, match=match):
        fast(batch_size=-1).fit(LazyDataset(X_bad), Y)


def test_dict_X_bad_inputs():
    with pytest.raises(ValueError, match="different numbers of samples"):
        fast(module=TwoInputs).fit({"dense": X[:, :3], "token": np.arange(5)}, Y)
    with pytest.raises(ValueError, match="keys must be strings"):
        fast().fit({"sknoisy_index": X}, Y)
    with pytest.raises(ValueError, match=r"X\['dense'\] contains NaN"):
        fast(module=TwoInputs).fit({"dense": np.full((90, 3), np.nan)}, Y)
    with pytest.raises(ValueError, match="requires y to be passed"):
        fast().fit({"dense": X})


def test_iterable_dataset_and_wrong_features_refused():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(X32)

    with pytest.raises(TypeError, match="X is an IterableDataset"):
        fast().fit(Stream(), Y)
    clf = fast(max_epochs=1).fit(X32, Y)
    with pytest.raises(ValueError, match="X has 3 features per sample"):
        clf.predict(LazyDataset(X[:, :3]))


# ---------------------------------------------------- searches on a Dataset
def test_grid_search_on_a_slice_dataset_equals_arrays():
    from sklearn.model_selection import GridSearchCV
    from skorch.helper import SliceDataset

    ds = TensorDataset(torch.from_numpy(X32), torch.from_numpy(Y))
    grid = {"q": [0.3, 0.7]}
    est = fast(loss="gce", **CONFIGS["soft"])
    on_arrays = GridSearchCV(est, grid, cv=3).fit(X32, Y)
    on_dataset = GridSearchCV(est, grid, cv=3).fit(SliceDataset(ds, idx=0), Y)
    np.testing.assert_allclose(
        on_dataset.cv_results_["mean_test_score"],
        on_arrays.cv_results_["mean_test_score"],
    )
    best = on_dataset.best_estimator_
    np.testing.assert_array_equal(
        best.corrected_labels_, on_arrays.best_estimator_.corrected_labels_
    )
    assert best.predict(SliceDataset(ds, idx=0)).shape == Y.shape


# ------------------------------------------------------- lean shuffling
@pytest.mark.parametrize("n", [1, 7, 1000])
@pytest.mark.parametrize("num_samples", [None, "more"])
def test_lean_sampler_draws_what_torch_draws(n, num_samples):
    from torch.utils.data import RandomSampler

    from sknoisy.utils._data import LeanRandomSampler

    size = None if num_samples is None else 2 * n + 3
    orders = []
    for cls in (RandomSampler, LeanRandomSampler):
        torch.manual_seed(3)
        orders.append((list(cls(range(n), num_samples=size)), torch.rand(2)))
    assert orders[0][0] == orders[1][0]
    torch.testing.assert_close(orders[0][1], orders[1][1])  # same stream after


def test_training_loader_uses_the_lean_sampler_and_fits_as_before():
    from sknoisy.utils._data import LeanRandomSampler

    clf = fast().fit(X32, Y)
    loader = clf.get_iterator(clf.get_dataset(X32, Y), training=True)
    assert isinstance(loader.sampler, LeanRandomSampler)
    # a user's own sampler is kept
    sampler = torch.utils.data.SequentialSampler(range(len(Y)))
    own = fast(iterator_train__sampler=sampler, iterator_train__shuffle=False)
    own.fit(X32, Y)
    assert own.get_iterator(own.get_dataset(X32, Y), training=True).sampler is sampler
