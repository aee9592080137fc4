"""Label issues (quality, table, find_label_issues), sample and class weights, repr."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from sknoisy import NoisyLabelClassifier, find_label_issues
from sknoisy.exceptions import CorrectionWarning


@pytest.fixture(scope="module")
def flipped():
    X, y = make_blobs(
        n_samples=300, centers=3, n_features=4, cluster_std=1.0, random_state=2
    )
    rng = np.random.default_rng(1)
    flip = rng.random(len(y)) < 0.25
    y_noisy = y.copy()
    y_noisy[flip] = (y[flip] + rng.integers(1, 3, flip.sum())) % 3
    return X.astype(np.float32), y, y_noisy, flip


def _jo(**kwargs):
    params = {"label_correction": "soft", "max_epochs": 20, "random_state": 0}
    params.update(kwargs)
    return NoisyLabelClassifier(**params)


@pytest.fixture(scope="module")
def fitted(flipped):
    X, _, y_noisy, _ = flipped
    names = np.array(["cat", "dog", "eel"])
    X_df = pd.DataFrame(X, index=pd.Index(np.arange(len(X)) * 7 + 3, name="id"))
    return _jo().fit(X_df, names[y_noisy])


def test_label_quality_ranks_the_flipped_labels(fitted, flipped):
    flip = flipped[3]
    quality = fitted.label_quality_
    assert quality.shape == flip.shape
    assert quality.min() >= 0.0 and quality.max() <= 1.0
    assert roc_auc_score(flip, -quality) > 0.95
    # the quality is the averaged output's probability of the given label
    state = fitted.label_state_
    given = state.y.numpy()
    expected = state.average.numpy()[np.arange(len(given)), given]
    np.testing.assert_allclose(quality, expected, rtol=1e-6)


def test_get_label_issues_keeps_the_index_and_label_values(fitted, flipped):
    issues = fitted.get_label_issues()
    assert list(issues.columns) == [
        "is_label_issue",
        "label_quality",
        "given_label",
        "predicted_label",
        "corrected_label",
    ]
    assert issues.index.equals(pd.Index(np.arange(300) * 7 + 3, name="id"))
    names = np.array(["cat", "dog", "eel"])
    np.testing.assert_array_equal(issues["given_label"], names[flipped[2]])
    assert set(issues["predicted_label"]) <= set(names)
    np.testing.assert_array_equal(issues["corrected_label"], fitted.corrected_labels_)
    np.testing.assert_array_equal(issues["is_label_issue"], fitted.label_issues_)
    # most flipped labels are found, few clean ones are flagged
    flip = flipped[3]
    found = issues["is_label_issue"].to_numpy()
    assert found[flip].mean() > 0.8 and found[~flip].mean() < 0.1


def test_get_label_issues_sort_threshold_and_frac_noise(fitted):
    ranked = fitted.get_label_issues(sort=True)
    assert ranked["label_quality"].is_monotonic_increasing
    cut = fitted.get_label_issues(threshold=0.5)
    np.testing.assert_array_equal(cut["is_label_issue"], fitted.label_quality_ < 0.5)
    half = fitted.get_label_issues(frac_noise=0.5)
    n_all = int(fitted.label_issues_.sum())
    assert half["is_label_issue"].sum() == round(0.5 * n_all)
    # the kept half are the lowest-quality issues
    kept = half["label_quality"][half["is_label_issue"]]
    dropped = half["label_quality"][fitted.label_issues_ & ~half["is_label_issue"]]
    assert kept.max() <= dropped.min()
    for bad in ({"threshold": 1.5}, {"frac_noise": 0.0}, {"frac_noise": 2}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            fitted.get_label_issues(**bad)


def test_get_label_issues_index_from_a_series_y_and_default_range(flipped):
    X, _, y_noisy, _ = flipped
    y_series = pd.Series(y_noisy, index=[f"s{i}" for i in range(len(y_noisy))])
    clf = _jo(max_epochs=6).fit(X, y_series)
    assert list(clf.get_label_issues().index[:2]) == ["s0", "s1"]
    clf = _jo(max_epochs=6).fit(X, y_noisy)
    assert clf.get_label_issues().index.equals(pd.RangeIndex(len(X)))


def test_get_label_issues_needs_a_correction_fit(flipped):
    X, _, y_noisy, _ = flipped
    with pytest.raises(NotFittedError):
        _jo().get_label_issues()
    clf = NoisyLabelClassifier(max_epochs=2, random_state=0).fit(X, y_noisy)
    with pytest.raises(NotFittedError, match="needs a fit with label_correction"):
        clf.get_label_issues()


def test_find_label_issues_mask_and_ranked_indices(flipped):
    X, _, y_noisy, flip = flipped
    params = {"max_epochs": 20, "random_state": 0}
    mask = find_label_issues(X, y_noisy, **params)
    assert mask.dtype == bool and mask.shape == flip.shape
    assert mask[flip].mean() > 0.8
    ranked = find_label_issues(
        X, y_noisy, return_indices_ranked_by="label_quality", **params
    )
    np.testing.assert_array_equal(np.sort(ranked), np.flatnonzero(mask))
    quality = _jo(**params).fit(X, y_noisy).label_quality_
    assert np.all(np.diff(quality[ranked]) >= 0)
    # settings come from the estimator given, cloned
    est = NoisyLabelClassifier(loss="gce")
    hard = find_label_issues(
        X, y_noisy, estimator=est, label_correction="hard", **params
    )
    assert hard.shape == flip.shape and est.label_correction is None
    with pytest.raises(TypeError, match="NoisyLabelClassifier"):
        find_label_issues(X, y_noisy, estimator=object())
    with pytest.raises(ValueError, match="frac_noise"):
        find_label_issues(X, y_noisy, frac_noise=0)


def test_zero_weight_on_flipped_samples_learns_the_clean_labels(flipped):
    X, y, y_noisy, flip = flipped
    params = {"max_epochs": 30, "random_state": 0, "lr": 1e-2}
    # make the noise harmful: flip 45% of class 0 to class 1
    y_bad = y.copy()
    rng = np.random.default_rng(0)
    hit = (y == 0) & (rng.random(len(y)) < 0.45)
    y_bad[hit] = 1
    plain = NoisyLabelClassifier(**params).fit(X, y_bad)
    oracle = NoisyLabelClassifier(**params).fit(X, y_bad, sample_weight=~hit * 1.0)
    clean = NoisyLabelClassifier(**params).fit(X[~hit], y_bad[~hit])
    assert oracle.score(X, y) >= clean.score(X, y) - 0.02
    assert oracle.score(X, y) > plain.score(X, y)


def test_unit_weights_change_nothing_and_inputs_are_kept(flipped):
    X, _, y_noisy, _ = flipped
    params = {"max_epochs": 3, "random_state": 0}
    weight = np.ones(len(X))
    a = NoisyLabelClassifier(**params).fit(X, y_noisy)
    b = NoisyLabelClassifier(**params).fit(X, y_noisy, sample_weight=weight)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    weight = np.linspace(0.5, 2, len(X))
    before = weight.copy()
    NoisyLabelClassifier(**params).fit(X, y_noisy, sample_weight=weight)
    np.testing.assert_array_equal(weight, before)


def test_weights_scale_each_samples_loss(flipped):
    X, _, y_noisy, _ = flipped
    clf = NoisyLabelClassifier(max_epochs=1, random_state=0, batch_size=len(X))
    seen = {}

    def capture(self, y_pred, y_true, X=None, training=False):
        loss = NoisyLabelClassifier.get_loss(self, y_pred, y_true, X, training)
        if training:
            per_sample = torch.nn.functional.cross_entropy(
                y_pred.detach(), torch.as_tensor(y_true), reduction="none"
            )
            seen["loss"], seen["per_sample"] = float(loss), per_sample
            seen["index"] = torch.as_tensor(X["sknoisy_index"])
        return loss

    clf.get_loss = capture.__get__(clf)
    weight = np.zeros(len(X))
    weight[:10] = 3.0
    clf.fit(X, y_noisy, sample_weight=weight)
    # rows come shuffled: weight them by their sample index
    row_weight = torch.as_tensor(weight, dtype=torch.float32)[seen["index"]]
    expected = float((seen["per_sample"] * row_weight).sum() / len(X))
    assert seen["loss"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "gce"},
        {"loss": "truncated_gce", "prune_start": 2, "prune_every": 2},
        {"label_correction": "soft", "correction_start": 2},
        {"label_correction": "hard", "refit_corrected": True, "refit_epochs": 2},
    ],
)
def test_sample_weight_with_every_kind_of_loss(flipped, params):
    X, _, y_noisy, _ = flipped
    weight = np.where(np.arange(len(X)) % 2, 2.0, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        clf = NoisyLabelClassifier(max_epochs=4, random_state=0, **params)
        clf.fit(X, y_noisy, sample_weight=weight)
        clf.partial_fit(X, y_noisy, sample_weight=weight)
    assert np.isfinite(clf.history[:, "train_loss"]).all()


def test_class_weight_balanced_and_dict():
    # overlapping classes, "c" rare: its weight decides how often it wins
    X, y = make_blobs(n_samples=600, centers=3, cluster_std=4.0, random_state=0)
    X = X.astype(np.float32)
    rng = np.random.default_rng(0)
    keep = (y != 2) | (rng.random(len(y)) < 0.15)
    X, y = X[keep], np.array(["a", "b", "c"])[y[keep]]
    params = {"max_epochs": 15, "random_state": 0, "lr": 1e-2}
    plain = NoisyLabelClassifier(**params).fit(X, y)
    heavy = NoisyLabelClassifier(class_weight={"c": 50.0}, **params).fit(X, y)
    assert (heavy.predict(X) == "c").mean() > (plain.predict(X) == "c").mean()
    balanced = NoisyLabelClassifier(class_weight="balanced", **params).fit(X, y)
    assert (balanced.predict(X) == "c").mean() >= (plain.predict(X) == "c").mean()
    with pytest.raises(ValueError, match="not in classes_"):
        NoisyLabelClassifier(class_weight={"z": 2.0}, max_epochs=1).fit(X, y)


@pytest.mark.parametrize(
    "weight,match",
    [
        (-np.ones(300), "non-negative"),
        (np.full(300, np.nan), "finite|NaN"),
        (np.zeros(300), "non-zero|all samples are zero"),
        (np.ones(5), "shape|samples"),
    ],
)
def test_bad_sample_weight_is_refused(flipped, weight, match):
    X, _, y_noisy, _ = flipped
    with pytest.raises(ValueError, match=match):
        NoisyLabelClassifier(max_epochs=1).fit(X, y_noisy, sample_weight=weight)


def test_sample_weight_needs_a_sknoisy_loss(flipped):
    X, _, y_noisy, _ = flipped
    clf = NoisyLabelClassifier(
        criterion=torch.nn.CrossEntropyLoss, max_epochs=1, predict_nonlinearity=None
    )
    with pytest.raises(ValueError, match="sknoisy loss"):
        clf.fit(X, y_noisy, sample_weight=np.linspace(1, 2, len(X)))


def test_repr_shows_the_changed_parameters(flipped):
    X, _, y_noisy, _ = flipped
    clf = NoisyLabelClassifier(loss="gce", q=0.3)
    assert repr(clf) == "NoisyLabelClassifier(loss='gce', q=0.3)"
    assert repr(NoisyLabelClassifier()) == "NoisyLabelClassifier()"
    clf.set_params(max_epochs=1).fit(X, y_noisy)
    text = repr(clf)
    assert text.startswith("NoisyLabelClassifier(loss='gce', max_epochs=1, q=0.3)")
    assert "[initialized]" in text and "module_=" in text


def test_find_label_issues_on_a_dataset_with_its_labels(flipped):
    from torch.utils.data import TensorDataset

    X, _, y_noisy, flip = flipped
    data = TensorDataset(torch.as_tensor(X), torch.as_tensor(y_noisy))
    params = {"max_epochs": 20, "random_state": 0}
    mask = find_label_issues(data, None, **params)
    np.testing.assert_array_equal(mask, find_label_issues(X, y_noisy, **params))
    assert mask[flip].mean() > 0.8


@pytest.mark.filterwarnings("ignore::sknoisy.exceptions.CorrectionWarning")
def test_the_table_says_where_its_index_came_from(fitted, flipped):
    X, _, y_noisy, _ = flipped
    assert "index of the X" in fitted.get_label_issues().attrs["index_source"]
    y_series = pd.Series(y_noisy, index=[f"s{i}" for i in range(len(y_noisy))])
    table = _jo(max_epochs=3).fit(X, y_series).get_label_issues(sort=True)
    assert "index of the y" in table.attrs["index_source"]
    table = _jo(max_epochs=3).fit(X, y_noisy).get_label_issues()
    assert table.index.name == "row"
    assert "set_output(transform='pandas')" in table.attrs["index_source"]


@pytest.mark.filterwarnings("ignore::sknoisy.exceptions.CorrectionWarning")
def test_the_index_survives_a_pipeline_as_documented(flipped):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _, y_noisy, _ = flipped
    index = pd.Index([f"id{i}" for i in range(len(X))], name="id")
    X_df = pd.DataFrame(X, index=index, columns=[f"f{i}" for i in range(4)])
    pipe = make_pipeline(StandardScaler(), _jo(max_epochs=3))
    # the scaler returns an array: positions, and the table says why
    table = pipe.fit(X_df, y_noisy)[-1].get_label_issues()
    assert table.index.name == "row" and "Pipeline" in table.attrs["index_source"]
    pipe.set_output(transform="pandas")
    assert pipe.fit(X_df, y_noisy)[-1].get_label_issues().index.equals(index)
    pipe.set_output(transform="default")
    y_series = pd.Series(y_noisy, index=index)
    assert pipe.fit(X_df, y_series)[-1].get_label_issues().index.equals(index)


class _FileDataset(torch.utils.data.Dataset):
    """Files listed as torchvision's ImageFolder lists them."""

    def __init__(self, X, y, root):
        self.X, self.targets, self.root = X, [int(v) for v in y], root
        self.classes = ["cat", "dog", "eel"]
        self.samples = [
            (f"{root}/{self.classes[t]}/img{i:03d}.png", t)
            for i, t in enumerate(self.targets)
        ]

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.targets[i]


@pytest.mark.filterwarnings("ignore::sknoisy.exceptions.CorrectionWarning")
def test_a_dataset_of_files_gives_paths_and_class_names(flipped):
    X, _, y_noisy, _ = flipped
    data = _FileDataset(X, y_noisy, "/data/pets")
    clf = _jo(max_epochs=3).fit(data, None)
    table = clf.get_label_issues()
    assert table.index.name == "path"
    assert table.index[0] == f"{data.classes[y_noisy[0]]}/img000.png"
    assert "file paths" in table.attrs["index_source"]
    np.testing.assert_array_equal(table["given_label"], np.array(data.classes)[y_noisy])
    assert set(table["predicted_label"]) <= set(data.classes)
    # the estimator's own labels stay the Dataset's (integers)
    assert clf.classes_.dtype.kind in "iu"
