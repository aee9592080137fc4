"""Loss correction: the two losses, the matrix checks and the estimator's fits."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknoisy import NoisyLabelClassifier
from sknoisy.exceptions import NoiseMatrixWarning
from sknoisy.losses import (
    LOSSES,
    BackwardCorrectionLoss,
    ForwardCorrectionLoss,
    check_noise_matrix,
    regularized_transition,
)
from sknoisy.methods import inflate_noise_matrix

# cleanlab's convention: N[i, j] = P(given = i | true = j), columns sum to 1
N = np.array([[0.7, 0.1, 0.0], [0.3, 0.8, 0.2], [0.0, 0.1, 0.8]])
LOGITS = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0], [0.3, 0.2, 0.1]])
TARGET = torch.tensor([0, 2, 1])


def test_registry_names():
    assert LOSSES["forward"] is ForwardCorrectionLoss
    assert LOSSES["backward"] is BackwardCorrectionLoss


@pytest.mark.parametrize("cls", [ForwardCorrectionLoss, BackwardCorrectionLoss])
def test_identity_matrix_is_cross_entropy(cls):
    expected = torch.nn.functional.cross_entropy(LOGITS, TARGET)
    got = cls(np.eye(3))(LOGITS, TARGET)
    assert torch.allclose(got, expected, atol=1e-6)
    # no matrix yet: cross entropy too
    assert torch.allclose(cls()(LOGITS, TARGET), expected, atol=1e-6)


def test_forward_against_hand_computation():
    s = torch.softmax(LOGITS, 1).numpy().astype(np.float64)
    T = N.T  # row-stochastic T[i, j] = P(noisy j | true i)
    noisy = s @ T  # P(noisy = j | x)
    expected = -np.log(noisy[np.arange(3), TARGET.numpy()]).mean()
    got = ForwardCorrectionLoss(N)(LOGITS, TARGET).item()
    assert got == pytest.approx(expected, rel=1e-5)
    assert got != pytest.approx(
        torch.nn.functional.cross_entropy(LOGITS, TARGET).item(), rel=1e-3
    )


def test_backward_against_hand_computation():
    s = torch.softmax(LOGITS, 1).numpy().astype(np.float64)
    losses = -np.log(s)  # the loss of every class
    corrected = losses @ np.linalg.inv(N.T).T  # (T^-1 l) per sample
    expected = corrected[np.arange(3), TARGET.numpy()].mean()
    got = BackwardCorrectionLoss(N)(LOGITS, TARGET).item()
    assert got == pytest.approx(expected, rel=1e-5)


def test_backward_is_unbiased():
    # E over the noisy label y~ ~ T[y] of the corrected loss = CE of y
    loss = BackwardCorrectionLoss(N, reduction="none")
    T = N.T
    for y in range(3):
        logits = LOGITS[:1]
        per_label = torch.stack([loss(logits, torch.tensor([j]))[0] for j in range(3)])
        expectation = float((torch.tensor(T[y], dtype=torch.float32) * per_label).sum())
        ce = torch.nn.functional.cross_entropy(logits, torch.tensor([y])).item()
        assert expectation == pytest.approx(ce, abs=1e-5)


def test_soft_targets_are_expectations():
    loss = ForwardCorrectionLoss(N, reduction="none")
    soft = torch.tensor([[0.5, 0.5, 0.0]] * 3)
    mixed = 0.5 * loss(LOGITS, torch.zeros(3, dtype=torch.long)) + 0.5 * loss(
        LOGITS, torch.ones(3, dtype=torch.long)
    )
    assert torch.allclose(loss(LOGITS, soft), mixed, atol=1e-6)


def test_transposed_matrix_is_refused_with_a_hint():
    T = N.T  # rows sum to 1, columns do not
    with pytest.raises(ValueError, match="pass its transpose"):
        check_noise_matrix(T)
    with pytest.raises(ValueError, match="square"):
        check_noise_matrix(np.ones((2, 3)) / 2)
    with pytest.raises(ValueError, match="3 classes, the training labels have 2"):
        check_noise_matrix(N, n_classes=2)


def test_convention_matters():
    # an asymmetric matrix and its transpose give different losses
    M = np.array([[0.9, 0.4], [0.1, 0.6]])
    logits, target = LOGITS[:, :2], torch.tensor([0, 1, 1])
    a = ForwardCorrectionLoss(M)(logits, target).item()
    rows = M.T / M.T.sum(0)  # a column-stochastic matrix of another model
    b = ForwardCorrectionLoss(rows)(logits, target).item()
    assert a != pytest.approx(b, rel=1e-3)


def test_singular_matrix_warns_and_stays_finite():
    singular = np.full((3, 3), 1 / 3)
    with pytest.warns(NoiseMatrixWarning, match="noise_matrix is singular"):
        backward = BackwardCorrectionLoss(singular)
    value = backward(LOGITS * 100, TARGET)
    assert torch.isfinite(value)
    value.backward() if value.requires_grad else None
    with pytest.warns(NoiseMatrixWarning, match="forward correction trains"):
        forward = ForwardCorrectionLoss(singular)
    assert torch.isfinite(forward(LOGITS * 100, TARGET))


def test_regularized_transition_rule():
    T, lam = regularized_transition(np.full((3, 3), 1 / 3))
    assert 0 < lam < 1
    assert np.linalg.cond(T) <= 100
    assert np.allclose(T.sum(1), 1)
    same, zero = regularized_transition(np.eye(3))
    assert zero == 0 and np.allclose(same, np.eye(3))


def test_extreme_logits_give_finite_gradients():
    logits = torch.tensor([[80.0, -80.0, 0.0], [-80.0, 80.0, 0.0]], requires_grad=True)
    loss = BackwardCorrectionLoss(N)(logits, torch.tensor([2, 0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def _pair_noise(y, rate, seed):
    rng = np.random.default_rng(seed)
    flip = rng.random(len(y)) < rate
    c = y.max() + 1
    return np.where(flip, (y + 1) % c, y)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(300, centers=3, cluster_std=1.5, random_state=0)
    return X.astype(np.float32), y


def test_given_matrix_fit(blobs):
    X, y = blobs
    y_noisy = _pair_noise(y, 0.3, 0)
    matrix = np.array([[0.7, 0.0, 0.3], [0.3, 0.7, 0.0], [0.0, 0.3, 0.7]])
    clf = NoisyLabelClassifier(
        loss="forward", noise_matrix=matrix, max_epochs=10, random_state=0
    ).fit(X, y_noisy)
    np.testing.assert_allclose(clf.noise_matrix_, matrix)
    assert clf.noise_rate_ == pytest.approx(0.3, abs=0.02)
    assert clf.criterion_.has_matrix
    assert not hasattr(clf, "corrected_labels_")  # given matrix: no relabelling
    with pytest.raises(ValueError, match="pass its transpose"):
        NoisyLabelClassifier(loss="forward", noise_matrix=N.T, max_epochs=1).fit(
            X, y_noisy
        )
    with pytest.raises(ValueError, match="2 classes, the training labels have 3"):
        NoisyLabelClassifier(loss="backward", noise_matrix=np.eye(2), max_epochs=1).fit(
            X, y_noisy
        )


def test_estimated_matrix_fit(blobs):
    X, y = blobs
    y_noisy = _pair_noise(y, 0.3, 1)
    clf = NoisyLabelClassifier(
        loss="forward",
        max_epochs=8,
        correction_start=3,
        correction_window=3,
        random_state=0,
    ).fit(X, y_noisy)
    # stage 1 (label correction) then stage 2 (the corrected loss)
    assert len(clf.history_) == 16
    assert clf.criterion_.has_matrix
    # stage 2 trains through the estimate with its flips scaled by 1.25
    trained = inflate_noise_matrix(clf.noise_matrix_, 1.25)
    np.testing.assert_allclose(clf.criterion_.noise_matrix, trained, 1e-5)
    np.testing.assert_allclose(clf.training_noise_matrix_, trained, 1e-5)
    assert np.allclose(clf.noise_matrix_.sum(0), 1)
    assert clf.noise_rate_ > 0.1
    assert clf.corrected_labels_.shape == y.shape  # stage 1's attributes
    assert clf.get_label_issues().shape == (300, 5)


def test_inflation_one_trains_through_the_estimate(blobs):
    X, y = blobs
    y_noisy = _pair_noise(y, 0.3, 1)
    clf = NoisyLabelClassifier(
        loss="forward",
        noise_matrix_inflation=1.0,
        max_epochs=4,
        correction_start=2,
        correction_window=2,
        random_state=0,
    ).fit(X, y_noisy)
    np.testing.assert_allclose(clf.training_noise_matrix_, clf.noise_matrix_, 1e-5)
    with pytest.raises(ValueError, match="noise_matrix_inflation"):
        NoisyLabelClassifier(loss="forward", noise_matrix_inflation=0.5).fit(X, y)


def test_inflate_noise_matrix_rule():
    N = np.array([[0.7, 0.1, 0.3], [0.2, 0.9, 0.0], [0.1, 0.0, 0.7]])
    out = inflate_noise_matrix(N, 1.25)
    np.testing.assert_allclose(out.sum(0), 1)
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(out[off], N[off] * 1.25)  # every column has room
    np.testing.assert_allclose(inflate_noise_matrix(N, 1.0), N)
    # a column near 50% flips keeps its diagonal 1.1 times its largest flip
    two = inflate_noise_matrix(np.array([[0.6, 0.45], [0.4, 0.55]]), 1.25)
    assert two[0, 1] == pytest.approx(1 / 2.1)
    assert two[1, 0] == pytest.approx(1 / 2.1)
    # an estimate already past the cap is left as it is, never made cleaner
    bad = np.array([[0.4, 0.0], [0.6, 1.0]])
    np.testing.assert_allclose(inflate_noise_matrix(bad, 1.25), bad)
    assert np.linalg.cond(two) < 100


def test_backward_fit_is_finite_and_deterministic(blobs):
    X, y = blobs
    kw = {"loss": "backward", "max_epochs": 4, "correction_start": 2}
    kw["correction_window"] = 2
    a = NoisyLabelClassifier(random_state=3, **kw).fit(X, y).predict_proba(X)
    b = NoisyLabelClassifier(random_state=3, **kw).fit(X, y).predict_proba(X)
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


def test_pipeline_gridsearch_and_sample_weight(blobs):
    X, y = blobs
    matrix = np.eye(3) * 0.7 + 0.1
    pipe = make_pipeline(
        StandardScaler(),
        NoisyLabelClassifier(noise_matrix=matrix, max_epochs=3, random_state=0),
    )
    grid = GridSearchCV(
        pipe, {"noisylabelclassifier__loss": ["forward", "backward"]}, cv=2
    ).fit(X, y)
    assert grid.best_params_["noisylabelclassifier__loss"] in ("forward", "backward")
    weights = np.where(y == 0, 2.0, 1.0)
    clf = NoisyLabelClassifier(
        loss="forward", noise_matrix=matrix, max_epochs=3, random_state=0
    ).fit(X, y, sample_weight=weights)
    assert clf.score(X, y) > 0.5


def test_dataset_input(blobs):
    X, y = blobs
    data = torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    clf = NoisyLabelClassifier(
        loss="forward", noise_matrix=np.eye(3), max_epochs=2, random_state=0
    ).fit(data)
    assert clf.predict_proba(data).shape == (300, 3)
