"""Co-teaching: the schedule, the small-loss exchange and the estimator's fits."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknoisy import NoisyLabelClassifier
from sknoisy.correction import LabelState
from sknoisy.losses import CrossEntropyLoss
from sknoisy.methods import CoTeaching, get_method
from sknoisy.methods._coteaching import ramp_epochs
from sknoisy.methods._two_networks import (
    TwoNetworks,
    forget_schedule,
    small_loss_indices,
)


def test_forget_schedule():
    rates = [forget_schedule(t, 0.3, 10) for t in range(15)]
    assert rates[0] == 0.0
    assert rates[5] == pytest.approx(0.15)
    assert rates[10:] == [pytest.approx(0.3)] * 5
    assert np.all(np.diff(rates) >= 0)
    assert (ramp_epochs(200), ramp_epochs(50), ramp_epochs(20)) == (10, 10, 4)


def test_small_loss_indices():
    losses = torch.tensor([0.5, 0.1, 2.0, 0.3, 1.0])
    assert small_loss_indices(losses, 0.6).tolist() == [1, 3, 0]
    assert small_loss_indices(losses, 0.01).tolist() == [1]  # at least one
    assert len(small_loss_indices(losses, 1.0)) == 5


def test_exchange_trains_each_network_on_the_others_choice():
    # network 1 finds samples 0, 1 easy; network 2 finds samples 2, 3 easy
    target = torch.tensor([0, 0, 0, 0])
    z1 = torch.tensor([[5.0, 0.0], [5.0, 0.0], [0.0, 5.0], [0.0, 5.0]])
    z2 = torch.tensor([[0.0, 5.0], [0.0, 5.0], [5.0, 0.0], [5.0, 0.0]])
    z1.requires_grad_(True)
    z2.requires_grad_(True)
    state = LabelState().reset(target, 2, running=True)
    state.forget_now = 0.5
    method = CoTeaching.__new__(CoTeaching)
    method.forget_rate = 0.5
    loss = method.training_loss(
        CrossEntropyLoss(), state, (None, z1, z2), target, None, torch.arange(4)
    )
    loss.backward()
    # network 1 is trained on samples 2, 3 (network 2's small losses) only
    assert z1.grad[:2].abs().sum() == 0 and z1.grad[2:].abs().sum() > 0
    assert z2.grad[2:].abs().sum() == 0 and z2.grad[:2].abs().sum() > 0
    expected = 2 * torch.nn.functional.cross_entropy(
        torch.tensor([[0.0, 5.0]] * 2), torch.tensor([0, 0])
    )
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_two_networks_start_apart_and_predict_their_mean():
    first = torch.nn.Linear(4, 3)
    net = TwoNetworks.build(lambda: first)  # an instance: copied, re-initialised
    assert not torch.equal(net.first.weight, net.second.weight)
    x = torch.randn(5, 4)
    log_mean, z1, z2 = net(x)
    mean = (torch.softmax(z1, 1) + torch.softmax(z2, 1)) / 2
    assert torch.allclose(torch.softmax(log_mean, 1), mean, atol=1e-6)


def _noisy_blobs(rate, seed=0, n=600):
    X, y = make_blobs(n, centers=4, cluster_std=1.0, random_state=seed)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(seed)
    flip = rng.random(n) < rate
    other = (y + rng.integers(1, 4, n)) % 4
    return X.astype(np.float32), y, np.where(flip, other, y)


def test_auto_forget_rate_close_to_the_true_one():
    X, y, y_noisy = _noisy_blobs(0.3)
    true_rate = float(np.mean(y != y_noisy))
    # the default 50 epochs: the estimate reads the outputs of the first four
    clf = NoisyLabelClassifier(
        sample_selection="coteaching", batch_size=32, random_state=0
    ).fit(X, y_noisy)
    assert clf.forget_rate_ == pytest.approx(true_rate, abs=0.06)
    assert clf.noise_rate_ == pytest.approx(clf.forget_rate_, abs=1e-6)
    assert clf.noise_matrix_.shape == (4, 4)
    assert clf.score(X, y) > 0.9
    assert not hasattr(clf, "corrected_labels_")  # co-teaching relabels nothing
    # the history records the forget rate of every epoch: 0, then the ramp
    rates = clf.history_[:, "forget_rate"]
    assert rates[0] == 0 and rates[-1] == pytest.approx(clf.forget_rate_)
    # nothing is forgotten while the rate is estimated (epochs 1 to 4)
    assert list(rates[:4]) == [0.0] * 4 and rates[4] > 0


def test_explicit_forget_rate_and_determinism():
    X, y, y_noisy = _noisy_blobs(0.2, seed=1, n=300)
    kw = {"sample_selection": "coteaching", "forget_rate": 0.2, "max_epochs": 5}
    a = NoisyLabelClassifier(random_state=4, **kw).fit(X, y_noisy)
    b = NoisyLabelClassifier(random_state=4, **kw).fit(X, y_noisy)
    assert a.forget_rate_ == pytest.approx(0.2)
    assert not hasattr(a, "noise_rate_")
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert get_method(a).name == "coteaching"


def test_refuses_a_second_method():
    X, _, y_noisy = _noisy_blobs(0.2, n=100)
    for params in ({"label_correction": "soft"}, {"loss": "elr"}, {"loss": "forward"}):
        with pytest.raises(ValueError, match="cannot be combined"):
            NoisyLabelClassifier(sample_selection="coteaching", **params).fit(
                X, y_noisy
            )
    with pytest.raises(ValueError, match="truncated_gce"):
        NoisyLabelClassifier(
            sample_selection="coteaching", loss="truncated_gce", max_epochs=1
        ).fit(X, y_noisy)


def test_pipeline_gridsearch_sample_weight_validation_and_dataset():
    X, y, y_noisy = _noisy_blobs(0.2, seed=2, n=200)
    pipe = make_pipeline(
        StandardScaler(),
        NoisyLabelClassifier(sample_selection="coteaching", max_epochs=3),
    )
    grid = GridSearchCV(
        pipe, {"noisylabelclassifier__forget_rate": [0.1, "auto"]}, cv=2
    ).fit(X, y_noisy)
    assert grid.best_score_ > 0.5
    clf = NoisyLabelClassifier(
        sample_selection="coteaching",
        loss="gce",
        max_epochs=3,
        train_split=lambda ds, y=None: (ds, ds),  # skorch's validation pass
        random_state=0,
    ).fit(X, y_noisy, sample_weight=np.where(y_noisy == 0, 2.0, 1.0))
    assert "valid_loss" in clf.history_[-1]
    data = torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    clf = NoisyLabelClassifier(
        sample_selection="coteaching", max_epochs=2, random_state=0
    ).fit(data)
    proba = clf.predict_proba(data)
    assert proba.shape == (200, 4) and np.allclose(proba.sum(1), 1, atol=1e-5)
