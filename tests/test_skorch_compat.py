"""skorch behaviours that NoisyLabelClassifier keeps (see docs/skorch.rst)."""

import pickle
import warnings
from unittest.mock import Mock

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from skorch.dataset import ValidSplit
from skorch.exceptions import NotInitializedError as SkorchNotInitializedError
from torch import nn

from sknoisy import NoisyLabelClassifier
from sknoisy.exceptions import (
    CorrectionWarning,
    DivergenceWarning,
    NotInitializedError,
)

X, Y = make_blobs(120, n_features=4, centers=3, random_state=0)
X = X.astype(np.float32)


def fast(**kwargs):
    params = {"max_epochs": 2, "batch_size": 32, "random_state": 0}
    return NoisyLabelClassifier(**{**params, **kwargs})


class Probabilities(nn.Module):
    """A module that returns probabilities (for skorch's NLLLoss)."""

    def __init__(self, n_features=4, n_classes=3):
        super().__init__()
        self.dense = nn.Linear(n_features, n_classes)

    def forward(self, X):
        return torch.softmax(self.dense(X), dim=-1)


class Logits(Probabilities):
    def forward(self, X):
        return self.dense(X)


# ------------------------------------------------------------ max_epochs=0
def test_max_epochs_zero_initialises_and_trains_nothing():
    clf = fast(max_epochs=0).fit(X, Y)
    assert clf.initialized_
    assert len(clf.history) == 0
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    before = {k: v.clone() for k, v in clf.module_.state_dict().items()}
    assert clf.predict_proba(X).shape == (len(X), 3)
    # skorch's way to train later: partial_fit(..., epochs=n).
    clf.partial_fit(X, Y, epochs=3)
    assert len(clf.history) == 3
    after = clf.module_.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_max_epochs_zero_with_correction_warns_that_nothing_was_corrected():
    with pytest.warns(CorrectionWarning, match="max_epochs"):
        clf = fast(max_epochs=0, label_correction="soft").fit(X, Y)
    np.testing.assert_array_equal(clf.corrected_labels_, Y)


def test_partial_fit_epochs_zero_trains_nothing():
    clf = fast().fit(X, Y)
    clf.partial_fit(X, Y, epochs=0)
    assert len(clf.history) == 2


# --------------------------------------------------------- not initialised
@pytest.mark.parametrize("method", ["predict", "predict_proba", "forward"])
def test_not_initialised_error_is_skorchs_and_sklearns(method):
    clf = fast()
    with pytest.raises(NotInitializedError) as info:
        getattr(clf, method)(X)
    assert isinstance(info.value, SkorchNotInitializedError)
    assert isinstance(info.value, NotFittedError)
    assert info.value.args[0].startswith(
        "This NoisyLabelClassifier instance is not initialized yet."
    )


def test_initialised_but_not_fitted_net_predicts_indices():
    clf = fast(module=Logits).initialize()
    pred = clf.predict(X)
    assert pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, clf.predict_proba(X).argmax(1))
    # With classes given, they name the indices.
    clf = fast(module=Logits, classes=["a", "b", "c"]).initialize()
    assert set(clf.predict(X)) <= {"a", "b", "c"}


# ----------------------------------------------------------------- classes
def test_classes_keep_their_order_and_columns_follow_them():
    labels = np.array(["x", "y", "z"])[Y]
    clf = fast(classes=["z", "x", "y"]).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["z", "x", "y"])
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert (clf.predict(X) == labels).mean() > 0.9


def test_y_as_positions_in_classes_as_in_skorch():
    clf = fast(classes=["cat", "dog", "eel"], max_epochs=20).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    # predictions are positions too (skorch's predict), so scores compare
    # like with like, in a search as well
    assert clf.predict(X).dtype.kind == "i"
    assert clf.score(X, Y) > 0.9
    search = cross_val_score(fast(classes=["cat", "dog", "eel"], max_epochs=20), X, Y)
    assert search.mean() > 0.8
    # the label outputs of correction are positions as well
    corr = fast(classes=["cat", "dog", "eel"], label_correction="soft", max_epochs=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        corr.fit(X, Y)
    assert set(corr.corrected_labels_) <= {0, 1, 2}
    table = corr.get_label_issues()
    np.testing.assert_array_equal(table["given_label"], Y)
    # Later calls keep the convention; out-of-range positions are refused.
    clf.partial_fit(X, Y)
    with pytest.raises(ValueError, match=r"integers in \[0, 3\)"):
        clf.partial_fit(X, Y + 1)


def test_labels_partly_in_classes_are_refused():
    with pytest.raises(ValueError, match=r"labels \[0\] that are not in classes"):
        fast(classes=[1, 2, 5]).fit(X, Y)


@pytest.mark.parametrize("classes", [[], np.array([])])
def test_empty_classes_are_refused(classes):
    with pytest.raises(ValueError, match="classes is empty"):
        fast(classes=classes).fit(X, Y)


def test_repeated_classes_are_refused():
    with pytest.raises(ValueError, match="repeated"):
        fast(classes=[0, 1, 1, 2]).fit(X, Y)


# ----------------------------------------------------- plain skorch criterion
def test_plain_criterion_divergence_warns_once_and_trains_on():
    # NLLLoss on logits takes the log of negative numbers: nan, as in skorch.
    clf = fast(module=Logits, criterion=nn.NLLLoss, max_epochs=3)
    with pytest.warns(DivergenceWarning, match="Lower lr") as record:
        clf.fit(X, Y)
    assert len([w for w in record if w.category is DivergenceWarning]) == 1
    assert len(clf.history) == 3


def test_sknoisy_loss_divergence_still_raises():
    X_big = X * np.float32(1e37)
    with pytest.raises(FloatingPointError, match="epoch 1"):
        fast(lr=1e6, optimizer=torch.optim.SGD).fit(X_big, Y)


def test_plain_criterion_trains_without_warning():
    clf = fast(module=Probabilities, criterion=nn.NLLLoss, max_epochs=20, lr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        clf.fit(X, Y)
    assert clf.score(X, Y) > 0.9
    np.testing.assert_allclose(clf.predict_proba(X).sum(1), 1, rtol=1e-5)


# ------------------------------------------------------------ skorch parts
def test_train_split_false_means_no_split():
    clf = fast(train_split=False).fit(X, Y)
    assert "valid_loss" not in clf.history[-1]


def test_custom_iterator_callable_gets_batches_it_can_collate():
    # A callable that is not a DataLoader class (skorch's tests wrap
    # DataLoader in a Mock), with and without a validation split.
    for split in (None, ValidSplit(4)):
        train = Mock(side_effect=torch.utils.data.DataLoader)
        valid = Mock(side_effect=torch.utils.data.DataLoader)
        clf = fast(iterator_train=train, iterator_valid=valid, train_split=split)
        clf.fit(X, Y)
        assert train.called
        assert clf.predict(X).shape == Y.shape


def test_dataset_items_error_is_skorchs_and_names_the_input():
    class ThreeItems(torch.utils.data.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return 0.0, 0.0, 0.0

    with pytest.raises(ValueError) as info:
        fast().fit(ThreeItems())
    assert info.value.args[0].startswith(
        "You are using a non-skorch dataset that returns 3 values."
    )
    notes = " ".join(getattr(info.value, "__notes__", [])) or str(info.value)
    assert "X is a ThreeItems whose item 0 is a tuple of 3" in notes


def test_pickle_after_callbacks_are_replaced():
    clf = fast().fit(X, Y)
    clf.set_params(callbacks=[])
    clf.partial_fit(X, Y)
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(clone.predict_proba(X), clf.predict_proba(X))


# ------------------------------------------- skorch's targets that are not labels
class ThreeOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 3)

    def forward(self, X):
        return self.dense(X)


def test_multilabel_targets_with_a_plain_criterion_go_to_skorch_as_they_are():
    Y3 = np.stack([Y == 0, Y == 1, X[:, 0] > 0], axis=1).astype(np.float32)
    clf = fast(
        module=ThreeOutputs,
        criterion=nn.BCEWithLogitsLoss,
        predict_nonlinearity=torch.sigmoid,  # skorch's "auto" is for one output
        max_epochs=30,
        lr=0.05,
    ).fit(X, Y3)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert ((proba > 0.5) == Y3).mean() > 0.85
    with pytest.raises(AttributeError, match="not one label per sample"):
        clf.classes_  # noqa: B018
    # sknoisy's per-label features need one label per sample
    with pytest.raises(ValueError, match="need one class label per sample"):
        clf.fit(X, Y3, sample_weight=np.ones(len(X)))
    with pytest.raises(ValueError, match="first fitted on one label per sample"):
        fast(module=ThreeOutputs, criterion=nn.CrossEntropyLoss).fit(X, Y).partial_fit(
            X, Y3
        )
    # and the other way round
    with pytest.raises(ValueError, match="first fitted on targets of another kind"):
        clf.partial_fit(X, Y)
    # a later fit on labels starts afresh
    clf.set_params(criterion=nn.CrossEntropyLoss).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_targets_that_are_not_labels_need_a_plain_criterion():
    Y3 = np.stack([Y == 0, Y == 1, Y == 2], axis=1).astype(np.float32)
    with pytest.raises(ValueError, match="y"):
        fast(module=ThreeOutputs, loss="gce").fit(X, Y3)


# ------------------------------------------------- metadata routing, trimming
class Recording(Logits):
    """Logits, recording the keyword arguments its forward receives."""

    seen = []

    def forward(self, X, **kwargs):
        Recording.seen.append(kwargs)
        return super().forward(X)


@pytest.fixture
def routing():
    import sklearn

    Recording.seen.clear()
    with sklearn.config_context(enable_metadata_routing=True):
        yield
    Recording.seen.clear()


@pytest.mark.parametrize(
    "params", [{}, {"label_correction": "soft", "correction_start": 1}]
)
def test_requested_fit_params_reach_the_module(routing, params):
    # As skorch >= 1.4: fit's requests for fit, partial_fit's for partial_fit.
    clf = fast(module=Recording, max_epochs=1, batch_size=60, **params)
    clf.set_fit_request(foo=True).fit(X, Y, foo=1)
    assert Recording.seen and all(seen == {"foo": 1} for seen in Recording.seen)
    Recording.seen.clear()
    clf.set_partial_fit_request(bar=True).partial_fit(X, Y, bar=2)
    assert Recording.seen and all(seen == {"bar": 2} for seen in Recording.seen)


def test_unrequested_fit_param_is_refused_before_validation(routing):
    # skorch's TypeError, not the complaint about y (one class) fit would raise.
    with pytest.raises(TypeError, match="unexpected argument"):
        fast().fit(X, np.zeros(len(X), dtype=int), unknown=1)
    with pytest.raises(TypeError, match="unexpected argument"):
        fast().partial_fit(X, Y, unknown=1)


def test_groups_reach_the_splitter_of_train_split(routing):
    from sklearn.model_selection import GroupKFold

    # No set_fit_request: GroupKFold asks for groups. As in skorch, the
    # module's forward gets them too (it takes **kwargs).
    groups = np.arange(len(X)) % 2
    clf = fast(module=Recording, train_split=ValidSplit(GroupKFold(2)))
    clf.fit(X, Y, groups=groups)
    assert "valid_loss" in clf.history[-1]


def test_trimmed_net_refuses_training_with_skorchs_error():
    from skorch.exceptions import SkorchTrainingImpossibleError

    clf = fast().fit(X, Y)
    clf.trim_for_prediction()
    assert clf.predict(X).shape == Y.shape
    for train in (clf.fit, clf.partial_fit):
        with pytest.raises(SkorchTrainingImpossibleError, match="trimmed"):
            train(X, Y)
