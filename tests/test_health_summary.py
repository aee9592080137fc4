"""label_health_summary: per-class noise, overlapping pairs, overall score."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError

from sknoisy import LabelHealthSummary, NoisyLabelClassifier, label_health_summary
from sknoisy.noise import estimate_noise_matrix


def _hand_made():
    # 3 classes, 40 samples each; 8 true 0s labelled 1, 4 true 2s labelled 1,
    # 6 true 1s labelled 2; the model knows the true class.
    true = np.repeat([0, 1, 2], 40)
    given = true.copy()
    given[:8] = 1
    given[80:84] = 1
    given[40:46] = 2
    probs = np.eye(3)[true] * 0.7 + 0.1
    return true, given, probs


def test_numbers_match_the_hand_computed_noise_matrix():
    _, given, probs = _hand_made()
    summary = label_health_summary(labels=given, pred_probs=probs)
    n = len(given)
    joint = np.zeros((3, 3))  # P(given = i, true = j)
    joint[0, 0], joint[1, 0] = 32 / n, 8 / n
    joint[1, 1], joint[2, 1] = 34 / n, 6 / n
    joint[2, 2], joint[1, 2] = 36 / n, 4 / n
    np.testing.assert_allclose(summary.joint, joint, atol=1e-12)
    np.testing.assert_allclose(summary.noise_matrix, joint / joint.sum(axis=0))
    noise_matrix, noise_rate = estimate_noise_matrix(given, probs)
    np.testing.assert_allclose(summary.noise_matrix, noise_matrix)
    assert summary.noise_rate == pytest.approx(18 / 120) == pytest.approx(noise_rate)
    assert summary.overall_label_health_score == pytest.approx(1 - 18 / 120)
    table = summary.classes.set_index("class")
    # class 1: 46 labels, 12 of them wrong (8 true 0s, 4 true 2s)
    assert table.loc[1, "n_samples"] == 46
    assert table.loc[1, "label_noise"] == pytest.approx(12 / 46)
    assert table.loc[1, "label_issues"] == 12
    assert table.loc[1, "most_confused_class"] == 0
    assert table.loc[1, "most_confused_share"] == pytest.approx(8 / 46)
    assert table.loc[1, "label_quality"] == pytest.approx(34 / 46)
    # class 0: no wrong label, but 8 of its 40 true samples labelled 1
    assert (
        table.loc[0, "label_noise"] == 0 and table.loc[0, "most_confused_class"] is None
    )
    assert table.loc[0, "inverse_label_noise"] == pytest.approx(8 / 40)
    assert table.loc[0, "inverse_label_issues"] == 8
    assert table.loc[2, "label_noise"] == pytest.approx(6 / 42)
    # lowest label quality first
    assert list(summary.classes["class"]) == [1, 2, 0]
    rows = np.arange(len(given))
    assert table.loc[1, "mean_sample_quality"] == pytest.approx(
        probs[rows, given][given == 1].mean()
    )
    pairs = summary.overlapping_classes
    assert list(pairs.columns) == [
        "class_a",
        "class_b",
        "n_overlapping",
        "joint_probability",
    ]
    # 1 and 2 mixed up both ways (4 + 6), then 0 labelled 1 (8), 0-2 never
    assert (pairs.loc[0, "class_a"], pairs.loc[0, "class_b"]) == (1, 2)
    assert list(pairs["n_overlapping"]) == [10, 8, 0]
    assert pairs.loc[0, "joint_probability"] == pytest.approx(10 / 120)


def test_string_labels_class_names_text_and_cleanlab_keys():
    _, given, probs = _hand_made()
    names = np.array(["ant", "bee", "cow"])
    summary = label_health_summary(labels=names[given], pred_probs=probs)
    assert list(summary.classes["class"]) == ["bee", "cow", "ant"]
    renamed = label_health_summary(
        labels=given, pred_probs=probs, class_names=["A", "B", "C"]
    )
    assert renamed.overlapping_classes.loc[0, "class_a"] == "B"
    text = str(summary)
    assert "Overall label health score: 0.850" in text
    assert "about 15% of the labels, 18 samples" in text
    assert "ant" in text and "most_confused_class" in text
    assert isinstance(summary["classes_by_label_quality"], pd.DataFrame)
    assert summary["overall_label_health_score"] == summary.overall_label_health_score
    assert set(summary.keys()) == {
        "overall_label_health_score",
        "joint",
        "classes_by_label_quality",
        "overlapping_classes",
    }
    with pytest.raises(KeyError, match="health_summary keys"):
        summary["nope"]
    assert "LabelHealthSummary(n_samples=120, n_classes=3" in repr(summary)
    with pytest.raises(ValueError, match="name the 3 classes"):
        label_health_summary(labels=given, pred_probs=probs, class_names=["a"])


def test_close_to_cleanlab_health_summary():
    dataset = pytest.importorskip("cleanlab.dataset")
    rng = np.random.default_rng(0)
    true = rng.integers(0, 4, 800)
    given = np.where(rng.random(800) < 0.2, (true + 1) % 4, true)
    logits = rng.normal(size=(800, 4)) + 3 * np.eye(4)[true]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ours = label_health_summary(labels=given, pred_probs=probs)
    theirs = dataset.health_summary(given, probs, verbose=False)
    # cleanlab rounds its joint to counts; the estimates agree closely
    np.testing.assert_allclose(ours.joint, theirs["joint"], atol=0.01)
    mine = ours.classes.set_index("class").sort_index()["label_noise"]
    cl = theirs["classes_by_label_quality"].set_index("Class Index").sort_index()
    np.testing.assert_allclose(mine, cl["Label Noise"], atol=0.02)
    assert abs(ours.noise_rate - 0.2) < 0.05


@pytest.mark.filterwarnings("ignore::sknoisy.exceptions.CorrectionWarning")
def test_from_a_fitted_estimator():
    X, y = make_blobs(300, centers=3, cluster_std=1.0, random_state=2)
    rng = np.random.default_rng(1)
    y_noisy = np.where(rng.random(300) < 0.2, (y + 1) % 3, y)
    names = np.array(["x", "y", "z"])
    clf = NoisyLabelClassifier(
        label_correction="soft", max_epochs=15, random_state=0
    ).fit(X.astype(np.float32), names[y_noisy])
    summary = label_health_summary(clf)
    assert isinstance(summary, LabelHealthSummary)
    np.testing.assert_allclose(summary.noise_matrix, clf.noise_matrix_, atol=1e-12)
    assert summary.noise_rate == pytest.approx(clf.noise_rate_)
    assert set(summary.classes["class"]) == {"x", "y", "z"}
    table = summary.classes.set_index("class")
    for k, name in enumerate(names):
        assert table.loc[name, "mean_sample_quality"] == pytest.approx(
            clf.label_quality_[y_noisy == k].mean()
        )
    assert abs(summary.noise_rate - np.mean(y_noisy != y)) < 0.08
    plain = NoisyLabelClassifier(max_epochs=2, random_state=0).fit(
        X.astype(np.float32), y_noisy
    )
    with pytest.raises(NotFittedError, match="label_correction='soft'"):
        label_health_summary(plain)
    with pytest.raises(NotFittedError):
        label_health_summary(NoisyLabelClassifier(label_correction="soft"))
    with pytest.raises(ValueError, match="not both"):
        label_health_summary(clf, labels=y_noisy, pred_probs=np.full((300, 3), 1 / 3))
    with pytest.raises(ValueError, match="needs a fitted estimator"):
        label_health_summary(labels=y_noisy)
