"""Tests of NoisyLabelClassifier: losses, labels, data types, skorch params."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from sknoisy import NoisyLabelClassifier
from sknoisy.losses import LOSSES
from sknoisy.models import MLP


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=150, centers=3, n_features=4, random_state=0)
    return X, y


def fast(**kwargs):
    params = {"max_epochs": 5, "random_state": 0, "batch_size": 32}
    params.update(kwargs)
    return NoisyLabelClassifier(**params)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_fits_and_predict_proba_sums_to_one(blobs, loss):
    X, y = blobs
    clf = fast(loss=loss).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert clf.criterion_.__class__ is LOSSES[loss]


def test_loss_hyperparameters_reach_the_criterion(blobs):
    X, y = blobs
    clf = fast(loss="gce", q=0.3, max_epochs=1).fit(X, y)
    assert clf.criterion_.q == 0.3
    clf = fast(loss="truncated_gce", q=0.4, k=0.2, max_epochs=1).fit(X, y)
    assert (clf.criterion_.q, clf.criterion_.k) == (0.4, 0.2)
    clf = fast(loss="encouraging", LE=0.25, max_epochs=1).fit(X, y)
    assert clf.criterion_.LE == 0.25
    clf = fast(loss="label_smoothing", smoothing=0.3, max_epochs=1).fit(X, y)
    assert clf.criterion_.smoothing == 0.3
    clf = fast(loss="sce", loss_alpha=2.0, loss_beta=0.5, max_epochs=1).fit(X, y)
    assert (clf.criterion_.alpha, clf.criterion_.beta) == (2.0, 0.5)
    clf = fast(
        loss="bootstrap", bootstrap_beta=0.7, bootstrap_mode="hard", max_epochs=1
    ).fit(X, y)
    assert (clf.criterion_.beta, clf.criterion_.mode) == (0.7, "hard")
    # set_params after fit re-creates the criterion
    clf = fast(loss="gce", max_epochs=1).fit(X, y)
    clf.set_params(q=0.9)
    assert clf.criterion_.q == 0.9


def test_loss_class_with_criterion_params(blobs):
    X, y = blobs
    clf = fast(loss=LOSSES["gce"], criterion__q=0.2, max_epochs=1).fit(X, y)
    assert isinstance(clf.criterion_, LOSSES["gce"]) and clf.criterion_.q == 0.2


def test_plain_skorch_criterion(blobs):
    X, y = blobs
    clf = fast(criterion=torch.nn.CrossEntropyLoss).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X).sum(1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="loss or criterion"):
        fast(loss="gce", criterion=torch.nn.CrossEntropyLoss).fit(X, y)


def test_grid_search_over_q_and_LE(blobs):
    X, y = blobs
    grid = GridSearchCV(
        fast(max_epochs=3),
        [
            {"loss": ["gce"], "q": [0.3, 0.7]},
            {"loss": ["encouraging"], "LE": [0.5, 1.0]},
        ],
        cv=3,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_["loss"] in {"gce", "encouraging"}
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))


@pytest.mark.parametrize(
    "labels", [["cat", "dog", "emu"], [10, -3, 7], [1.0, 2.0, 3.0], [True, False]]
)
def test_labels_round_trip(blobs, labels):
    X, y = blobs
    labels = np.asarray(labels)
    if len(labels) == 2:
        y = y % 2
    y_lab = labels[y]
    clf = fast(max_epochs=10).fit(X, y_lab)
    assert set(clf.classes_) == set(labels)
    pred = clf.predict(X)
    assert pred.dtype == y_lab.dtype
    assert set(pred) <= set(labels)
    assert np.mean(pred == y_lab) > 0.8


def test_pandas_input(blobs):
    X, y = blobs
    Xdf = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    ys = pd.Series(np.array(["a", "b", "c"])[y], name="target")
    clf = fast().fit(Xdf, ys)
    assert list(clf.feature_names_in_) == list(Xdf.columns)
    assert clf.n_features_in_ == 4
    pred = clf.predict(Xdf)
    assert set(pred) <= {"a", "b", "c"}
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(Xdf.rename(columns={"f0": "other"}))


def test_float64_and_readonly_input_not_modified(blobs):
    X, y = blobs
    X = X.astype(np.float64)
    X_copy, y_copy = X.copy(), y.copy()
    X.setflags(write=False)
    y.setflags(write=False)
    clf = fast(label_correction="soft", correction_start=1).fit(X, y)
    clf.predict(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_random_state_reproducible_and_global_rng_untouched(blobs):
    X, y = blobs
    torch.manual_seed(123)
    before = torch.get_rng_state()
    p1 = fast(random_state=7).fit(X, y).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), before)
    p2 = fast(random_state=7).fit(X, y).predict_proba(X)
    p3 = fast(random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)
    p4 = fast(random_state=np.random.default_rng(7)).fit(X, y).predict_proba(X)
    assert p4.shape == p1.shape


def test_default_module_is_sized_from_data(blobs):
    X, y = blobs
    clf = fast(max_epochs=1).fit(X, y)
    assert isinstance(clf.module_, MLP)
    out = clf.module_(torch.zeros(2, 4))
    assert out.shape == (2, 3)
    clf = fast(module=MLP, module__hidden_layer_sizes=(8,), max_epochs=1).fit(X, y)
    assert sum(p.numel() for p in clf.module_.parameters()) == 4 * 8 + 8 + 8 * 3 + 3


def test_module_instance_is_used(blobs):
    X, y = blobs
    # the instance's weights come from torch's global generator: fix them so
    # the result does not depend on which tests ran before in this process
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = torch.nn.Sequential(
            torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
        )
    clf = fast(module=module, max_epochs=40).fit(X, y)
    assert clf.module_ is module
    assert clf.score(X, y) > 0.5


def test_image_input_with_cnn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :4].mean(axis=(1, 2)) > 0).astype(int)
    from sknoisy.models import CNN2D

    clf = fast(module=CNN2D, module__channels=(4, 8), max_epochs=2).fit(X, y)
    assert clf.predict_proba(X).shape == (40, 2)


def test_skorch_parameters_stay_available(blobs):
    X, y = blobs

    class Count(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = Count()
    clf = fast(
        max_epochs=4,
        train_split=ValidSplit(5, stratified=True),
        callbacks=[("count", counter)],
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        lr=0.05,
        iterator_train__drop_last=True,
    ).fit(X, y)
    assert counter.epochs == 4
    assert len(clf.history) == 4
    assert "valid_acc" in clf.history[-1]
    assert clf.optimizer_.param_groups[0]["momentum"] == 0.9
    # skorch's set_params routing keeps working
    clf.set_params(max_epochs=2)
    clf.partial_fit(X, y)
    assert len(clf.history) == 6


def test_partial_fit_and_classes(blobs):
    X, y = blobs
    clf = fast(max_epochs=1)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert list(clf.classes_) == [0, 1, 2]
    clf.partial_fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match="unseen"):
        clf.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :2], y)


def test_truncated_gce_pruning(blobs):
    X, y = blobs
    y = y.copy()
    y[:20] = (y[:20] + 1) % 3  # some wrong labels
    clf = fast(loss="truncated_gce", max_epochs=12, prune_start=4, prune_every=4)
    clf.fit(X, y)
    weights = clf.pruning_weights_
    assert weights.shape == (len(X),)
    assert set(np.unique(weights)) <= {0.0, 1.0}
    pruned_epochs = [h["epoch"] for h in clf.history if "n_pruned" in h]
    assert pruned_epochs == [4, 8, 12]
    # Wrong labels are pruned more often than right ones.
    assert (weights[:20] == 0).mean() > (weights[20:] == 0).mean()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"q": 1.5}, "'q' parameter"),
        ({"q": 0.0}, "'q' parameter"),
        ({"k": 1.0}, "'k' parameter"),
        ({"LE": 1.2}, "'LE' parameter"),
        ({"LE": -0.1}, "'LE' parameter"),
        ({"smoothing": 2.0}, "'smoothing' parameter"),
        ({"loss": "focal"}, "'loss' parameter"),
        ({"label_correction": "medium"}, "'label_correction' parameter"),
        ({"max_epochs": -1}, "'max_epochs' parameter"),
        ({"lr": -1.0}, "'lr' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"correction_window": 0}, "'correction_window' parameter"),
        ({"prior": "zipf"}, "'prior' parameter"),
    ],
)
def test_bad_parameters_name_the_parameter(blobs, params, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        fast(**params).fit(X, y)


def test_bad_data_is_rejected(blobs):
    X, y = blobs
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fast().fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fast().fit(X_inf, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fast().fit(X, y[:-1])
    with pytest.raises(ValueError, match="class"):
        fast().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        fast().fit(X, np.linspace(0, 1, len(X)))
    clf = fast(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="prior"):
        fast(label_correction="soft", prior=[0.5, 0.5]).fit(X, y)


class _NaNModule(torch.nn.Module):
    def __init__(self, n_features=4, n_classes=3):
        super().__init__()
        self.lin = torch.nn.Linear(n_features, n_classes)

    def forward(self, x):
        return self.lin(x) * float("nan")


def test_divergence_raises_with_epoch(blobs):
    X, y = blobs
    with pytest.raises(FloatingPointError, match="epoch 1"):
        fast(module=_NaNModule).fit(X, y)


@pytest.mark.parametrize("loss", ["ce", "truncated_gce"])
def test_pickle_and_joblib_round_trip(blobs, tmp_path, loss):
    X, y = blobs
    clf = fast(loss=loss, label_correction="soft", correction_start=1).fit(X, y)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    restored = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    np.testing.assert_array_equal(restored.corrected_labels_, clf.corrected_labels_)


def test_save_params_load_params(blobs, tmp_path):
    X, y = blobs
    clf = fast().fit(X, y)
    clf.save_params(f_params=tmp_path / "params.pt")
    new = clone(clf)
    new.fit(X, y)  # sizes the module
    new.load_params(f_params=tmp_path / "params.pt")
    np.testing.assert_allclose(new.predict_proba(X), clf.predict_proba(X))


def test_get_params_has_no_private_or_fitted_names(blobs):
    X, y = blobs
    clf = fast(module__hidden_layer_sizes=(8,)).fit(X, y)
    names = clf.get_params(deep=False)
    assert "module__hidden_layer_sizes" in names
    assert not [n for n in names if n.startswith("_") or n.endswith("_")]


def test_bfloat16_precision(blobs):
    X, y = blobs
    clf = fast(precision="bfloat16", max_epochs=10).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert clf.score(X, y) > 0.9
    outputs = []
    hook = clf.module_.register_forward_hook(lambda m, i, out: outputs.append(out))
    clf.predict_proba(X[:2])
    hook.remove()
    assert outputs[0].dtype == torch.bfloat16  # the module ran under autocast
    reference = fast(max_epochs=10).fit(X, y).predict_proba(X)
    assert not np.array_equal(proba, reference)
    np.testing.assert_allclose(proba, reference, atol=0.1)


def test_precision_is_validated(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="precision"):
        fast(precision="float8").fit(X, y)


def test_print_log_prints_only_when_verbose_and_other_sinks_get_every_line(
    blobs, capsys
):
    X, y = blobs
    NoisyLabelClassifier(max_epochs=2, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    NoisyLabelClassifier(max_epochs=2, verbose=1, random_state=0).fit(X, y)
    assert "train_loss" in capsys.readouterr().out
    lines = []
    NoisyLabelClassifier(
        max_epochs=2, callbacks__print_log__sink=lines.append, random_state=0
    ).fit(X, y)
    assert "train_loss" in lines[0] and len(lines) == 2 + 2  # header + epochs


class _Counting(Callback):
    def __init__(self):
        self.calls = {}

    def on_batch_end(self, net, **kwargs):
        self.calls["on_batch_end"] = self.calls.get("on_batch_end", 0) + 1

    def on_epoch_end(self, net, **kwargs):
        self.calls["on_epoch_end"] = self.calls.get("on_epoch_end", 0) + 1


def test_notify_calls_every_hook_that_does_something(blobs):
    X, y = blobs
    counting = _Counting()
    clf = NoisyLabelClassifier(
        max_epochs=3, batch_size=len(X) // 3, callbacks=[counting], random_state=0
    ).fit(X, y)
    assert counting.calls == {"on_batch_end": 3 * 3, "on_epoch_end": 3}
    # A hook set on the instance, and a callback appended in place, are seen.
    counting.on_batch_begin = lambda net, **kw: counting.calls.update(begin=True)
    late = _Counting()
    clf.callbacks_.append(("late", late))
    clf.partial_fit(X, y)
    assert counting.calls["begin"] is True
    assert late.calls == {"on_batch_end": 3 * 3, "on_epoch_end": 3}


def test_valid_acc_scores_labels_of_any_type():
    # skorch's valid_acc compared the caller's labels (predict) with their
    # codes: 0.017 for labels 1..10 and an error for strings.
    from sklearn.datasets import load_digits
    from skorch.dataset import ValidSplit

    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16, y[:400]
    accs = []
    for labels in (y, y + 1, np.array(list("abcdefghij"))[y]):
        clf = NoisyLabelClassifier(
            max_epochs=3, random_state=0, train_split=ValidSplit(4)
        ).fit(X, labels)
        accs.append([row["valid_acc"] for row in clf.history])
    assert accs[0][-1] > 0.5
    assert accs[0] == accs[1] == accs[2]
