"""Noise-matrix estimate: sknoisy.noise.estimate_noise_matrix and noise_matrix_."""

import numpy as np
import pytest

from sknoisy import NoisyLabelClassifier
from sknoisy.noise import (
    estimate_noise_matrix,
    from_cleanlab_noise_matrix,
    to_cleanlab_noise_matrix,
)


def _synthetic(T, n=6000, smooth=0.3, seed=0):
    """True labels, labels drawn through row-stochastic T, smoothed one-hot probs."""
    rng = np.random.default_rng(seed)
    c = len(T)
    true = rng.integers(0, c, n)
    given = np.array([rng.choice(c, p=T[t]) for t in true])
    probs = (1 - smooth) * np.eye(c)[true] + smooth / c
    return true, given, probs


def _realised(true, given, c):
    """cleanlab's convention: P(given = i | true = j) of the drawn labels."""
    m = np.zeros((c, c))
    np.add.at(m, (given, true), 1.0)
    return m / m.sum(axis=0)


T_PAIR = np.array(
    [[0.7, 0.3, 0.0, 0.0], [0.0, 0.8, 0.2, 0.0], [0.0, 0.0, 0.9, 0.1],
     [0.25, 0.0, 0.0, 0.75]]
)  # fmt: skip


@pytest.mark.parametrize(
    "T", [T_PAIR, 0.7 * np.eye(4) + 0.1 * (1 - np.eye(4))], ids=["pair", "symm"]
)
def test_recovers_known_matrix(T):
    true, given, probs = _synthetic(T)
    noise_matrix, noise_rate = estimate_noise_matrix(given, probs)
    np.testing.assert_allclose(noise_matrix.sum(axis=0), 1.0)
    # cleanlab's convention is the transpose of sknoisy's T
    np.testing.assert_allclose(noise_matrix, T.T, atol=0.03)
    np.testing.assert_allclose(noise_matrix, _realised(true, given, 4), atol=1e-9)
    np.testing.assert_allclose(from_cleanlab_noise_matrix(noise_matrix), T, atol=0.03)
    assert noise_rate == pytest.approx(np.mean(given != true), abs=1e-9)


def test_conversion_round_trip():
    np.testing.assert_allclose(
        to_cleanlab_noise_matrix(from_cleanlab_noise_matrix(T_PAIR.T)), T_PAIR.T
    )


def test_no_noise_is_identity():
    true, _, probs = _synthetic(np.eye(3), n=300)
    noise_matrix, noise_rate = estimate_noise_matrix(true, probs)
    np.testing.assert_allclose(noise_matrix, np.eye(3))
    assert noise_rate == 0.0


def test_class_without_samples_gets_identity_column():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 3, 200)  # class 3 is never given nor true
    probs = np.full((200, 4), 0.05)
    probs[np.arange(200), true] = 0.85
    noise_matrix, noise_rate = estimate_noise_matrix(true, probs)
    assert np.all(np.isfinite(noise_matrix))
    np.testing.assert_allclose(noise_matrix[:, 3], [0, 0, 0, 1])
    np.testing.assert_allclose(noise_matrix.sum(axis=0), 1.0)
    assert noise_rate == 0.0


def test_inputs_not_modified():
    true, given, probs = _synthetic(T_PAIR, n=400)
    given_list = given.tolist()
    probs32 = probs.astype(np.float32)
    before = probs32.copy(), given.copy()
    estimate_noise_matrix(given, probs32)
    estimate_noise_matrix(given_list, probs32.tolist())
    np.testing.assert_array_equal(probs32, before[0])
    np.testing.assert_array_equal(given, before[1])


@pytest.mark.parametrize(
    "labels, probs, match",
    [
        ([0, 1], [0.5, 0.5], "2-D"),
        ([0, 1], [[1.0], [1.0]], "at least two classes"),
        ([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]], "same number of samples"),
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], r"0 \.\. 1"),
        ([0, -1], [[0.5, 0.5], [0.5, 0.5]], r"0 \.\. 1"),
        ([0, 0.5], [[0.5, 0.5], [0.5, 0.5]], "fractional"),
        (["a", "b"], [[0.5, 0.5], [0.5, 0.5]], "integer class codes"),
        ([[0], [1]], [[0.5, 0.5], [0.5, 0.5]], "1-D"),
        ([0, 1], [[0.7, 0.7], [0.5, 0.5]], "sum to 1"),
        ([0, 1], [[2.0, -1.0], [0.5, 0.5]], r"\[0, 1\]"),
        ([0, 1], [[np.nan, 0.5], [0.5, 0.5]], "finite"),
    ],
)
def test_input_validation(labels, probs, match):
    with pytest.raises(ValueError, match=match):
        estimate_noise_matrix(labels, probs)


@pytest.fixture(scope="module")
def digits_noisy():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = (X[:600] / 16).astype(np.float32), y[:600]
    rng = np.random.default_rng(0)
    flip = rng.random(len(y)) < 0.3
    y_noisy = np.where(flip, (y + 1) % 10, y)  # pair noise 30%
    return X, y, y_noisy


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_fitted_attributes(digits_noisy, mode):
    X, y, y_noisy = digits_noisy
    labels = np.array(list("abcdefghij"))[y_noisy]  # any label type
    clf = NoisyLabelClassifier(
        label_correction=mode, max_epochs=25, random_state=0
    ).fit(X, labels)
    nm = clf.noise_matrix_
    assert nm.shape == (10, 10)
    np.testing.assert_allclose(nm.sum(axis=0), 1.0)
    assert isinstance(clf.noise_rate_, float) and 0.0 <= clf.noise_rate_ <= 1.0
    # cleanlab's convention: true class j is mostly labelled j + 1 (row j + 1)
    j = np.arange(10)
    assert np.mean(nm[(j + 1) % 10, j]) > 0.1
    assert np.mean(nm[j, (j + 1) % 10]) < 0.05
    assert abs(clf.noise_rate_ - np.mean(y_noisy != y)) < 0.15
    # the same as the public function on the running average
    state = clf.label_state_.average.numpy().astype(np.float64)
    expected, rate = estimate_noise_matrix(
        y_noisy, state / state.sum(axis=1, keepdims=True)
    )
    np.testing.assert_allclose(nm, expected)
    assert clf.noise_rate_ == rate


def test_no_attributes_without_correction(digits_noisy):
    X, _, y_noisy = digits_noisy
    clf = NoisyLabelClassifier(max_epochs=2, random_state=0).fit(X, y_noisy)
    assert not hasattr(clf, "noise_matrix_")
    assert not hasattr(clf, "noise_rate_")
