"""Saving and loading fitted estimators (see docs/persistence.rst)."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs

from sknoisy import NoisyLabelClassifier

CONFIGS = {
    "ce": {"loss": "ce"},
    "encouraging": {"loss": "encouraging", "LE": 0.5},
    "truncated_gce": {"loss": "truncated_gce", "prune_start": 2, "prune_every": 1},
    "gce-soft-correction": {
        "loss": "gce",
        "label_correction": "soft",
        "correction_start": 1,
    },
}


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(n_samples=90, centers=3, n_features=4, random_state=0)
    return X, np.array(["ant", "bee", "cow"])[y]


def _fit(data, **params):
    X, y = data
    params = {"max_epochs": 3, "batch_size": 32, "random_state": 0, **params}
    return NoisyLabelClassifier(**params).fit(X, y)


def _assert_same_fitted(restored, clf, X):
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    np.testing.assert_array_equal(restored.classes_, clf.classes_)
    assert restored.n_features_in_ == clf.n_features_in_
    assert restored.history[:, "train_loss"] == clf.history[:, "train_loss"]
    for name in ("pruning_weights_", "soft_labels_", "corrected_labels_"):
        if hasattr(clf, name):
            np.testing.assert_array_equal(getattr(restored, name), getattr(clf, name))
    assert restored.get_params(deep=False).keys() == clf.get_params(deep=False).keys()


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_pickle_round_trip(data, config):
    X, _ = data
    clf = _fit(data, **CONFIGS[config])
    restored = pickle.loads(pickle.dumps(clf))
    _assert_same_fitted(restored, clf, X)


@pytest.mark.parametrize("compress", [0, 3])
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_joblib_round_trip(data, tmp_path, config, compress):
    X, _ = data
    clf = _fit(data, **CONFIGS[config])
    path = tmp_path / "clf.joblib"
    joblib.dump(clf, path, compress=compress)
    restored = joblib.load(path)
    _assert_same_fitted(restored, clf, X)


def test_restored_estimator_keeps_training(data):
    X, y = data
    clf = _fit(data, loss="gce")
    restored = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y)
    restored.partial_fit(X, y)
    # same weights, same optimizer state, same seed stream: same continuation
    np.testing.assert_allclose(
        restored.predict_proba(X), clf.predict_proba(X), rtol=1e-6, atol=1e-7
    )
    assert len(restored.history) == len(clf.history) == 6


def test_unfitted_estimator_round_trips(data):
    clf = NoisyLabelClassifier(loss="gce", q=0.3, max_epochs=2, random_state=0)
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.get_params(deep=False) == clf.get_params(deep=False)
    X, y = data
    np.testing.assert_array_equal(
        restored.fit(X, y).predict_proba(X), clf.fit(X, y).predict_proba(X)
    )


# ---------------------------------------------------------------- weights_only
@pytest.fixture
def torch_load_calls(monkeypatch):
    """Record the ``weights_only`` argument of every ``torch.load`` call."""
    calls = []
    original = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only", "unset"))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    return calls


def test_unpickling_loads_tensors_with_weights_only_by_default(data, torch_load_calls):
    clf = _fit(data)
    assert clf.torch_load_kwargs is None
    pickle.loads(pickle.dumps(clf))
    assert torch_load_calls and set(torch_load_calls) == {True}


def test_torch_load_kwargs_are_used_when_unpickling(data, torch_load_calls):
    clf = _fit(data, torch_load_kwargs={"weights_only": False})
    pickle.loads(pickle.dumps(clf))
    assert torch_load_calls and set(torch_load_calls) == {False}


def test_save_params_load_params_without_refitting(data, tmp_path):
    X, y = data
    clf = _fit(data, loss="truncated_gce", prune_start=2, prune_every=1)
    files = {
        "f_params": tmp_path / "params.pt",
        "f_optimizer": tmp_path / "optimizer.pt",
        "f_history": tmp_path / "history.json",
    }
    clf.save_params(**files)
    # The network sizes and classes are given, so no fit is needed first.
    new = NoisyLabelClassifier(
        loss="truncated_gce",
        module__n_features=4,
        module__n_classes=3,
        classes=clf.classes_,
    ).initialize()
    new.load_params(**files)
    np.testing.assert_array_equal(new.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(new.predict(X), clf.predict(X))
    assert new.history[:, "train_loss"] == clf.history[:, "train_loss"]
    assert (
        new.optimizer_.state_dict()["state"].keys()
        == clf.optimizer_.state_dict()["state"].keys()
    )


def test_save_params_load_params_into_a_refitted_clone(data, tmp_path):
    X, y = data
    clf = _fit(data, loss="encouraging")
    clf.save_params(f_params=tmp_path / "params.pt")
    new = clone(clf).set_params(max_epochs=1, random_state=1).fit(X, y)
    assert not np.allclose(new.predict_proba(X), clf.predict_proba(X))
    new.load_params(f_params=tmp_path / "params.pt")
    np.testing.assert_array_equal(new.predict_proba(X), clf.predict_proba(X))


def test_load_params_uses_weights_only(data, tmp_path, torch_load_calls):
    clf = _fit(data)
    clf.save_params(f_params=tmp_path / "params.pt")
    clf.load_params(f_params=tmp_path / "params.pt")
    assert torch_load_calls == [True]


_EXECUTED = []


def _side_effect():
    _EXECUTED.append(True)
    return torch.zeros(1)


class _Payload:
    """Unpickling this object calls ``_side_effect``: stands in for malware."""

    def __reduce__(self):
        return (_side_effect, ())


def test_load_params_refuses_code_in_a_params_file(data, tmp_path):
    clf = _fit(data)
    path = tmp_path / "evil.pt"
    state = dict(clf.module_.state_dict())
    state["payload"] = _Payload()
    torch.save(state, path)
    _EXECUTED.clear()
    with pytest.raises(pickle.UnpicklingError, match="[Ww]eights only"):
        clf.load_params(f_params=path)
    assert _EXECUTED == []
    # torch_load_kwargs is honoured: weights_only=False runs the payload,
    # which is why it must only be used for trusted files.
    clf.set_params(torch_load_kwargs={"weights_only": False})
    with pytest.raises(RuntimeError, match="payload"):  # unexpected key
        clf.load_params(f_params=path)
    assert _EXECUTED == [True]


def test_safetensors_round_trip(data, tmp_path):
    pytest.importorskip("safetensors")
    X, _ = data
    clf = _fit(data, loss="gce")
    clf.save_params(f_params=tmp_path / "params.safetensors", use_safetensors=True)
    new = clone(clf).set_params(max_epochs=1).fit(*data)
    new.load_params(f_params=tmp_path / "params.safetensors", use_safetensors=True)
    np.testing.assert_array_equal(new.predict_proba(X), clf.predict_proba(X))


def test_pickled_correction_model_keeps_labels_not_outputs():
    # The record of the epoch's outputs (n x C) is dropped at the end of fit;
    # what stays is the running average (n x C float32, needed to resume)
    # and the labels the user reads.
    import pickle

    rng = np.random.default_rng(0)
    n, c = 3000, 20
    X = rng.normal(size=(n, 8)).astype(np.float32)
    y = rng.integers(0, c, n)
    params = {"max_epochs": 2, "random_state": 0, "batch_size": 256}
    ce = NoisyLabelClassifier(**params).fit(X, y)
    with pytest.warns(UserWarning):  # two epochs < correction_window
        jo = NoisyLabelClassifier(
            label_correction="soft", correction_start=1, **params
        ).fit(X, y)
    extra = len(pickle.dumps(jo)) - len(pickle.dumps(ce))
    assert extra <= 2 * n * c * 8
    assert jo.label_state_.epoch_probs is None
    # ...and training goes on from the kept labels.
    jo.partial_fit(X, y)
    assert len(jo.history_) == 4 and jo.soft_labels_.shape == (n, c)


def test_pickle_after_callbacks_are_replaced():
    # The notify cache must not keep (and pickle) callbacks that were removed.
    import threading

    from skorch.callbacks import Callback

    class Unpicklable(Callback):
        def __init__(self):
            self.lock = threading.Lock()

        def on_epoch_end(self, net, **kwargs):
            pass

    X, y = make_blobs(n_samples=60, centers=2, n_features=3, random_state=0)
    X = X.astype(np.float32)
    clf = NoisyLabelClassifier(
        max_epochs=2, random_state=0, callbacks=[("u", Unpicklable())]
    ).fit(X, y)
    with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
        pickle.dumps(clf)  # the callback itself cannot be pickled
    clf.set_params(callbacks=[])
    clf.initialize_callbacks()  # skorch rebuilds callbacks_ from the new list
    assert "u" not in dict(clf.callbacks_)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X))
    assert "u" not in dict(restored.callbacks_)
