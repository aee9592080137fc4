"""ELR: the loss against the paper's formula, its targets, search and resume."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV

from sknoisy import NoisyLabelClassifier
from sknoisy.benchmark import inject_noise
from sknoisy.losses import LOSSES, ELRLoss
from sknoisy.methods import EarlyLearningRegularization, get_method


def _numpy_elr(logits, target, t, lam, weight=None, soft=False):
    """The paper's per-sample loss, written from the formula with NumPy."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    logp = np.log(p)
    ce = -(target * logp).sum(1) if soft else -logp[np.arange(len(z)), target]
    pc = np.clip(p, 1e-4, 1 - 1e-4)
    loss = ce + lam * np.log(1.0 - (t * pc).sum(1))
    return loss if weight is None else loss * weight


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (7, 4))
    target = rng.integers(0, 4, 7)
    t = rng.dirichlet(np.ones(4), 7) * rng.uniform(0.2, 1.0, (7, 1))
    return logits, target, t


@pytest.mark.parametrize("lam", [0.0, 3.0, 7.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elr_loss_is_the_papers_formula(batch, lam, reduction):
    logits, target, t = batch
    weight = np.linspace(0.5, 2.0, len(target))
    got = ELRLoss(lam=lam, reduction=reduction)(
        torch.tensor(logits),
        torch.tensor(target),
        weight=torch.tensor(weight),
        elr_target=torch.tensor(t),
    )
    want = _numpy_elr(logits, target, t, lam, weight)
    want = {"mean": want.mean(), "sum": want.sum(), "none": want}[reduction]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)


def test_elr_loss_gradient_and_soft_targets(batch):
    logits, target, t = batch
    soft = np.eye(4)[target] * 0.7 + 0.075
    z = torch.tensor(logits, requires_grad=True)
    ELRLoss(lam=3.0)(z, torch.tensor(soft), elr_target=torch.tensor(t)).backward()
    # central differences of the NumPy formula
    eps, grad = 1e-6, np.zeros_like(logits)
    for i in np.ndindex(*logits.shape):
        hi, lo = logits.copy(), logits.copy()
        hi[i] += eps
        lo[i] -= eps
        f = lambda x: _numpy_elr(x, soft, t, 3.0, soft=True).mean()  # noqa: E731
        grad[i] = (f(hi) - f(lo)) / (2 * eps)
    np.testing.assert_allclose(z.grad.numpy(), grad, atol=1e-6)


def test_elr_loss_without_targets_is_cross_entropy(batch):
    logits, target, _ = batch
    z, y = torch.tensor(logits), torch.tensor(target)
    assert torch.allclose(ELRLoss()(z, y), torch.nn.functional.cross_entropy(z, y))
    with pytest.raises(ValueError, match="elr_target must have shape"):
        ELRLoss()(z, y, elr_target=torch.zeros(3, 4, dtype=z.dtype))
    with pytest.raises(ValueError, match="lam"):
        ELRLoss(lam=-1.0)


@pytest.fixture
def noisy_blobs():
    X, y = make_blobs(240, centers=4, cluster_std=2.0, random_state=0)
    X = X.astype(np.float32)
    return X, inject_noise(X, y, "symmetric", 0.3, seed=0)


def test_elr_is_a_method_with_its_targets_in_the_label_state(noisy_blobs):
    X, y = noisy_blobs
    clf = NoisyLabelClassifier(loss="elr", max_epochs=0, random_state=0).fit(X, y)
    assert isinstance(get_method(clf), EarlyLearningRegularization)
    assert "elr" in LOSSES and isinstance(clf.criterion_, ELRLoss)
    state = clf.label_state_
    assert state.average.shape == (len(y), 4) and not state.average.any()
    # One full-batch step: the targets become (1 - beta) * the paper's p-hat
    # of the network before the step (the update precedes the loss).
    with torch.no_grad():
        p = torch.softmax(clf.module_(torch.as_tensor(X)), dim=1)
    p = p.clamp(1e-4, 1 - 1e-4)
    p = p / p.sum(1, keepdim=True)
    clf.set_params(max_epochs=1, batch_size=-1, elr_beta=0.6).partial_fit(X, y)
    np.testing.assert_allclose(
        clf.label_state_.average.numpy(), 0.4 * p.numpy(), rtol=1e-5, atol=1e-7
    )
    assert not hasattr(clf, "corrected_labels_")  # ELR changes no label


def test_elr_resumes_exactly(noisy_blobs):
    X, y = noisy_blobs
    params = {"loss": "elr", "random_state": 3, "batch_size": 32}
    whole = NoisyLabelClassifier(max_epochs=4, **params).fit(X, y)
    parts = NoisyLabelClassifier(max_epochs=2, **params).fit(X, y).partial_fit(X, y)
    assert torch.equal(whole.label_state_.average, parts.label_state_.average)
    np.testing.assert_array_equal(whole.predict_proba(X), parts.predict_proba(X))


def test_elr_hyperparameters_are_searchable(noisy_blobs):
    X, y = noisy_blobs
    search = GridSearchCV(
        NoisyLabelClassifier(loss="elr", max_epochs=2, random_state=0),
        {"elr_lambda": [0.0, 3.0], "elr_beta": [0.5, 0.9]},
        cv=2,
    ).fit(X, y)
    assert set(search.best_params_) == {"elr_lambda", "elr_beta"}
    assert search.best_estimator_.criterion_.lam == search.best_params_["elr_lambda"]
    assert len(search.cv_results_["params"]) == 4


def test_elr_lambda_zero_is_cross_entropy(noisy_blobs):
    X, y = noisy_blobs
    elr = NoisyLabelClassifier(loss="elr", elr_lambda=0.0, max_epochs=3, random_state=0)
    ce = NoisyLabelClassifier(loss="ce", max_epochs=3, random_state=0)
    np.testing.assert_allclose(
        elr.fit(X, y).predict_proba(X), ce.fit(X, y).predict_proba(X), atol=1e-5
    )


def test_elr_with_label_correction_is_refused(noisy_blobs):
    X, y = noisy_blobs
    with pytest.raises(ValueError, match="cannot be combined with label_correction"):
        NoisyLabelClassifier(loss="elr", label_correction="soft").fit(X, y)
    with pytest.raises(ValueError, match="elr_beta"):
        NoisyLabelClassifier(loss="elr", elr_beta=1.0).fit(X, y)


def test_elr_with_sample_weight_weighs_the_whole_loss(noisy_blobs):
    X, y = noisy_blobs
    w = np.ones(len(y))
    w[: len(y) // 2] = 0.0
    a = NoisyLabelClassifier(loss="elr", max_epochs=2, random_state=0)
    a.fit(X, y, sample_weight=w)
    assert np.isfinite(a.predict_proba(X)).all()
    # zero-weight samples still get targets (they are trained on, weight 0)
    assert a.label_state_.average[: len(y) // 2].sum() > 0


def test_the_registry_picks_one_method_from_the_parameters():
    from sknoisy.methods import JointOptimization, TrainingMethod, method_class

    assert method_class(NoisyLabelClassifier()) is TrainingMethod
    assert method_class(NoisyLabelClassifier(loss="elr")) is EarlyLearningRegularization
    net = NoisyLabelClassifier(label_correction="hard")
    assert method_class(net) is JointOptimization
    with pytest.raises(ValueError, match="joint_optimization, elr"):
        method_class(NoisyLabelClassifier(loss="elr", label_correction="hard"))
