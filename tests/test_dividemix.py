"""DivideMix: the division, MixMatch's parts, fits, resume, sklearn plumbing."""

import pickle

import numpy as np
import pytest
import torch
from _callbacks import Interrupt
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sknoisy import NoisyLabelClassifier
from sknoisy.methods import DivideMix, method_name
from sknoisy.methods._dividemix import (
    DivideMixNetworks,
    clean_probability,
    default_augment,
    lambda_u_for,
    mixup,
    sharpen,
    warmup_epochs,
)
from sknoisy.models import CNN1D, CNN2D

SMALL = {"channels": (8, 16)}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X, y = (X[:240] / 16).astype(np.float32).reshape(-1, 1, 8, 8), y[:240]
    rng = np.random.default_rng(0)
    flip = rng.random(len(y)) < 0.4
    y_noisy = y.copy()
    y_noisy[flip] = (y[flip] + rng.integers(1, 10, flip.sum())) % 10
    return X, y_noisy, flip


def _params(**kwargs):
    params = {
        "module": CNN2D,
        "module__channels": SMALL["channels"],
        "sample_selection": "dividemix",
        "dividemix_warmup": 1,
        "max_epochs": 4,
        "batch_size": 64,
        "random_state": 0,
    }
    params.update(kwargs)
    return params


@pytest.fixture(scope="module")
def fitted(digits):
    X, y, _ = digits
    return NoisyLabelClassifier(**_params()).fit(X, y)


# ------------------------------------------------------------ the parts
def test_mixture_posterior_separates_two_clusters_of_losses():
    rng = np.random.default_rng(0)
    low, high = rng.normal(0.2, 0.05, 300), rng.normal(2.0, 0.3, 100)
    w = clean_probability(np.concatenate([low, high]))
    assert w[:300].min() > 0.9
    assert w[300:].max() < 0.1
    # the low-loss component, wherever it comes in the data
    w_rev = clean_probability(np.concatenate([high, low]))
    np.testing.assert_allclose(w_rev, np.concatenate([w[300:], w[:300]]))


def test_mixture_of_equal_losses_calls_every_sample_clean():
    np.testing.assert_array_equal(clean_probability(np.full(5, 0.3)), np.ones(5))


def test_sharpen_and_mixup_match_hand_computations():
    p = torch.tensor([[0.6, 0.3, 0.1]])
    expected = np.array([0.36, 0.09, 0.01]) / 0.46
    np.testing.assert_allclose(sharpen(p, 0.5).numpy()[0], expected, rtol=1e-6)
    np.testing.assert_allclose(sharpen(p, 1.0).numpy(), p.numpy(), rtol=1e-6)
    x = torch.tensor([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]])
    t = torch.eye(3)
    mx, mt = mixup(x, t, 0.7, torch.tensor([2, 0, 1]))
    np.testing.assert_allclose(
        mx.numpy(), [[0.7, 1.7], [2.4, 4.1], [0.9, 2.2]], rtol=1e-6
    )
    np.testing.assert_allclose(mt[1].numpy(), [0.3, 0.7, 0.0], rtol=1e-6)


def test_lambda_u_interpolates_the_published_values():
    assert lambda_u_for(0.2) == 0.0
    assert lambda_u_for(0.35) == pytest.approx(12.5)
    assert lambda_u_for(0.65) == pytest.approx(87.5)
    assert lambda_u_for(0.95) == 150.0
    assert warmup_epochs("auto", 100) == 10
    assert warmup_epochs(30, 12) == 12


def test_default_augmentation_keeps_shapes_and_is_seeded():
    images, signals = torch.rand(5, 1, 8, 8), torch.rand(5, 1, 40)
    for X in (images, signals):
        augment = default_augment(tuple(X.shape))
        a = augment(X, generator=torch.Generator().manual_seed(0))
        b = augment(X, generator=torch.Generator().manual_seed(0))
        assert a.shape == X.shape and torch.equal(a, b)
        assert not torch.equal(a, X)
    assert default_augment((5, 64)) is None


# ------------------------------------------------------------------ fits
def test_fit_sets_the_division_and_the_label_attributes(fitted, digits):
    X, y, flip = digits
    clf = fitted
    assert method_name(clf) == "dividemix"
    assert isinstance(clf.module_, DivideMixNetworks)
    n = len(y)
    assert clf.clean_probability_.shape == (n,)
    assert np.all((clf.clean_probability_ >= 0) & (clf.clean_probability_ <= 1))
    np.testing.assert_array_equal(
        clf.label_issues_, clf.clean_probability_ < clf.dividemix_threshold
    )
    np.testing.assert_array_equal(
        clf.corrected_labels_[~clf.label_issues_], y[~clf.label_issues_]
    )
    assert clf.noise_rate_ == pytest.approx(clf.label_issues_.mean())
    # 40% flips: the division finds more wrong labels among the flipped ones
    assert clf.label_issues_[flip].mean() > clf.label_issues_[~flip].mean()
    # two rows of clean probabilities, then the kept losses (window 5: 4 x 2)
    assert clf.label_state_.clean.shape == (2 + 2 * 4, n)
    lam = clf.history[:, "dividemix_lambda_u"]
    assert lam[0] == 0.0 and 0 < lam[1] < lam[2] < lam[3]
    assert clf.dividemix_lambda_u_ == pytest.approx(
        lambda_u_for(clf.noise_rate_), abs=30
    )
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    table = clf.get_label_issues()
    assert table["is_label_issue"].sum() == clf.label_issues_.sum()


def test_fit_is_deterministic_with_random_state(fitted, digits):
    X, y, _ = digits
    again = NoisyLabelClassifier(**_params()).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(again.clean_probability_, fitted.clean_probability_)


@pytest.mark.parametrize("at", [1, 3])
def test_pickle_resume_equals_the_uninterrupted_run(fitted, digits, at):
    X, y, _ = digits
    cut = NoisyLabelClassifier(callbacks=[("cut", Interrupt(at))], **_params())
    cut.fit(X, y)
    assert len(cut.history) == at
    resumed = pickle.loads(pickle.dumps(cut))
    resumed.set_params(callbacks__cut=None)
    resumed.partial_fit(X, y, epochs=4 - at)
    np.testing.assert_allclose(
        resumed.predict_proba(X), fitted.predict_proba(X), atol=1e-5
    )
    np.testing.assert_allclose(
        resumed.clean_probability_, fitted.clean_probability_, atol=1e-5
    )
    assert resumed.history[:, "dividemix_lambda_u"] == pytest.approx(
        fitted.history[:, "dividemix_lambda_u"]
    )


def test_signals_with_cnn1d_and_a_given_lambda_u():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 40)
    X = (rng.normal(size=(120, 1, 40)) + y[:, None, None]).astype(np.float32)
    clf = NoisyLabelClassifier(
        CNN1D,
        module__channels=(8, 8),
        sample_selection="dividemix",
        dividemix_warmup=1,
        dividemix_lambda_u=5.0,
        max_epochs=3,
        random_state=0,
    ).fit(X, y)
    assert clf.predict(X).shape == (120,)
    assert not hasattr(clf, "dividemix_lambda_u_")
    assert clf.history[-1, "dividemix_lambda_u"] == pytest.approx(5.0 * 1.5 / 16)


def test_paper_settings_and_the_asymmetric_noise_features(digits):
    """Window 1, no penalty, one global mixture: the paper's symmetric path."""
    X, y, flip = digits
    paper = NoisyLabelClassifier(
        **_params(
            dividemix_window=1, dividemix_penalty=0.0, dividemix_division="global"
        )
    ).fit(X, y)
    assert paper.label_state_.clean.shape == (2, len(y))
    assert paper.label_issues_[flip].mean() > paper.label_issues_[~flip].mean()
    # the window keeps the last 2 divisions' scaled losses, oldest first
    kept = NoisyLabelClassifier(**_params(dividemix_window=3)).fit(X, y)
    history = kept.label_state_.clean[2:].view(2, 2, len(y))
    assert torch.all((history >= 0) & (history <= 1))
    # the penalty changes the warm-up
    assert not np.allclose(
        NoisyLabelClassifier(**_params(max_epochs=1)).fit(X, y).predict_proba(X),
        NoisyLabelClassifier(**_params(max_epochs=1, dividemix_penalty=0.0))
        .fit(X, y)
        .predict_proba(X),
    )


def test_per_class_division_fits_a_mixture_per_given_class(digits):
    X, y, _ = digits
    clf = NoisyLabelClassifier(**_params(dividemix_window=1)).fit(X, y)
    # each class holds clean samples: no class is marked noisy as a whole
    for c in np.unique(y):
        assert np.any(~clf.label_issues_[y == c])


def test_dataset_input_and_sample_weight(digits):
    X, y, _ = digits

    class Items(torch.utils.data.Dataset):
        def __len__(self):
            return len(y)

        def __getitem__(self, i):
            return torch.as_tensor(X[i]), int(y[i])

    params = _params(max_epochs=2)
    from_dataset = NoisyLabelClassifier(**params).fit(Items())
    from_arrays = NoisyLabelClassifier(**params).fit(X, y)
    np.testing.assert_allclose(
        from_dataset.predict_proba(X), from_arrays.predict_proba(X), atol=1e-5
    )
    weight = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.0)
    weighted = NoisyLabelClassifier(**params).fit(X, y, sample_weight=weight)
    assert not np.allclose(weighted.predict_proba(X), from_arrays.predict_proba(X))


def test_pipeline_and_grid_search(digits):
    X, y, _ = digits
    flat = X.reshape(len(X), -1)
    pipe = make_pipeline(
        FunctionTransformer(lambda A: A.reshape(len(A), 1, 8, 8)),
        NoisyLabelClassifier(**_params(max_epochs=2)),
    )
    search = GridSearchCV(
        pipe, {"noisylabelclassifier__dividemix_alpha": [1.0, 4.0]}, cv=2
    ).fit(flat, y)
    assert search.best_estimator_.predict(flat).shape == y.shape


def test_unsuitable_inputs_and_parameters_are_refused(digits):
    X, y, _ = digits
    with pytest.raises(ValueError, match="images .n, C, H, W. and signals"):
        NoisyLabelClassifier(sample_selection="dividemix").fit(X.reshape(len(X), -1), y)
    with pytest.raises(ValueError, match="dict input"):
        NoisyLabelClassifier(
            CNN2D,
            module__in_channels=1,
            module__n_classes=10,
            sample_selection="dividemix",
        ).fit({"x": X}, y)
    with pytest.raises(ValueError, match="neither criterion"):
        NoisyLabelClassifier(sample_selection="dividemix", loss="truncated_gce").fit(
            X, y
        )
    with pytest.raises(ValueError, match="cannot be combined"):
        NoisyLabelClassifier(sample_selection="dividemix", label_correction="soft").fit(
            X, y
        )
    for bad in (
        {"dividemix_window": 0},
        {"dividemix_division": "per_sample"},
        {"dividemix_penalty": -1.0},
    ):
        with pytest.raises(InvalidParameterError, match=next(iter(bad))):
            NoisyLabelClassifier(sample_selection="dividemix", **bad).fit(X, y)
    with pytest.raises(InvalidParameterError, match="dividemix_threshold"):
        NoisyLabelClassifier(sample_selection="dividemix", dividemix_threshold=1.0).fit(
            X, y
        )
    # tabular data train without augmentation when asked to
    clf = NoisyLabelClassifier(
        sample_selection="dividemix",
        dividemix_augment=None,
        dividemix_warmup=1,
        max_epochs=2,
        random_state=0,
    ).fit(X.reshape(len(X), -1), y)
    assert clf.clean_probability_.shape == y.shape


def test_registry_and_coteaching_still_resolve():
    assert method_name(NoisyLabelClassifier(sample_selection="coteaching")) == (
        "coteaching"
    )
    assert isinstance(
        DivideMix(NoisyLabelClassifier(sample_selection="dividemix")), DivideMix
    )
