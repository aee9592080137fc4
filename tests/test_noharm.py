"""Do no harm, never silently (issue 23): unscaled inputs are said."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknoisy import NoisyLabelClassifier, find_label_issues
from sknoisy.exceptions import CorrectionWarning, UnscaledInputWarning
from sknoisy.utils._scale import SPREAD_LIMIT, column_scale_spread


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X.astype(np.float32), y


def _fast(**kwargs):
    return NoisyLabelClassifier(max_epochs=4, random_state=0, **kwargs)


def _caught(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if issubclass(w.category, UnscaledInputWarning)]


def test_raw_columns_are_said_with_the_fix(wine):
    X, y = wine
    said = _caught(lambda: _fast(label_correction="soft").fit(X, y))
    assert len(said) == 1
    message = str(said[0].message)
    assert "column 12" in message and "StandardScaler" in message
    assert issubclass(UnscaledInputWarning, CorrectionWarning)
    # find_label_issues fits a correcting estimator: said there too
    said = _caught(lambda: find_label_issues(X, y, estimator=_fast()))
    assert len(said) == 1


def test_scaled_columns_and_plain_training_are_not_warned_about(wine):
    X, y = wine
    pipe = make_pipeline(StandardScaler(), _fast(label_correction="soft"))
    assert not _caught(lambda: pipe.fit(X, y))
    assert not _caught(lambda: _fast().fit(X, y))  # no correction: nothing at stake
    X_input = X.copy()
    _caught(lambda: _fast(label_correction="soft").fit(X_input, y))
    np.testing.assert_array_equal(X_input, X)  # measured, not scaled in place


def test_column_scale_spread():
    X = np.c_[np.arange(10.0), 1000 * np.arange(10.0), np.arange(10.0)]
    ratio, column, top, median = column_scale_spread(X)
    assert ratio == pytest.approx(1000) and column == 1
    assert top == pytest.approx(1000 * np.arange(10.0).std())
    assert median == pytest.approx(np.arange(10.0).std())
    # constant and non-finite columns do not count; nothing to compare: None
    X_nan = np.c_[X, np.ones(10), np.full(10, np.nan)]
    assert column_scale_spread(X_nan)[1] == 1
    assert column_scale_spread(np.ones((4, 3))) is None
    assert column_scale_spread(np.ones((4, 2, 2))) is None
    assert column_scale_spread(sp.random(5, 3, format="csr")) is None
    assert column_scale_spread({"x": X}) is None
    assert column_scale_spread(np.array([["a", "b"]])) is None
    # below the limit: standardized or min-max scaled data
    rng = np.random.default_rng(0)
    X_scaled = rng.normal(size=(50, 6)) * np.array([1, 2, 3, 4, 5, 6])
    assert column_scale_spread(X_scaled)[0] < SPREAD_LIMIT


def _blobs_with_a_hidden_class():
    """Three blobs; a fourth class of 30 samples drawn inside the first blob."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        430, centers=[[0, 0], [6, 6], [0, 6]], random_state=0, cluster_std=1.0
    )
    hidden = np.random.default_rng(0).normal(size=(30, 2))
    X = np.vstack([X, hidden]).astype(np.float32)
    y = np.array(["a", "b", "c", "d"], dtype=object)[np.r_[y, np.full(30, 3)]]
    return X, y


def test_a_class_the_network_does_not_learn_is_said():
    # Class "d" cannot be told from "a": the network predicts "a" for its
    # samples, while it agrees with over 90% of the labels overall. The
    # warning names the class, the shares and the fix.
    X, y = _blobs_with_a_hidden_class()
    clf = NoisyLabelClassifier(label_correction="soft", max_epochs=30, random_state=0)
    with pytest.warns(CorrectionWarning, match=r"class 'd' \(30 samples\)") as rec:
        clf.fit(X, y)
    message = next(str(w.message) for w in rec if "has not learned" in str(w.message))
    assert "class_weight='balanced'" in message and "elr_lambda" in message
    assert "'a'" not in message  # the learned classes are not named
    # the same data without the hidden class: nothing of the kind is said
    keep = y != "d"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X[keep], y[keep])
    assert not [w for w in caught if "has not learned" in str(w.message)]


def test_unlearned_classes_rule():
    from sknoisy.correction._issues import warn_unlearned_classes

    decode = np.array(["a", "b", "c"]).__getitem__
    y = np.repeat([0, 1, 2], [50, 50, 10])
    predicted = y.copy()
    predicted[100:107] = 0  # class "c": 3 of 10 agree, overall 103 / 110
    with pytest.warns(CorrectionWarning, match=r"'c' \(10 samples\) for only 30%"):
        warn_unlearned_classes(y, predicted, decode)
    # at high noise (overall agreement below 0.8) nothing can be told apart
    noisy = predicted.copy()
    noisy[:30] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_unlearned_classes(y, noisy, decode)


def test_get_label_issues_says_what_fit_it_needs(wine):
    X, y = wine
    X = (X - X.mean(0)) / X.std(0)
    clf = _fast(label_correction="soft").fit(X, y)
    assert len(clf.get_label_issues()) == len(y)
    # a refit without correction leaves no label attribute of the first fit
    clf.set_params(label_correction=None, loss="gce").fit(X, y)
    for name in ("corrected_labels_", "label_quality_", "noise_matrix_"):
        assert not hasattr(clf, name)
    with pytest.raises(AttributeError, match="label_correction='soft'") as err:
        clf.get_label_issues()
    assert "loss='gce'" in str(err.value) and "not fitted" not in str(err.value)


def test_input_errors_name_the_column_and_the_label_types():
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=10), "color": ["red", "blue"] * 5, "n": range(10)}
    )
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match=r"non-numeric column 'color' \("):
        _fast().fit(X, y)
    numeric = X.drop(columns="color")
    assert _fast().fit(numeric, y).n_features_in_ == 2
    X_arr = rng.normal(size=(10, 2)).astype(np.float32)
    mixed = np.array([1, "a"] * 5, dtype=object)
    with pytest.raises(ValueError, match=r"mixes label types: number \(1\), str"):
        _fast().fit(X_arr, mixed)
    with pytest.raises(ValueError, match="missing label \\(None\\) at position 1"):
        _fast().fit(X_arr, np.array(["a", None] * 5, dtype=object))
    # an object column of numbers is numbers (as pandas often hands them over)
    clf = _fast().fit(X_arr, np.array([3, 7] * 5, dtype=object))
    assert clf.classes_.tolist() == [3, 7]
    assert set(clf.predict(X_arr).tolist()) <= {3, 7}
