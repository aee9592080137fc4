"""find_label_issues(labels=..., pred_probs=...): cleanlab's call, without cleanlab."""

import warnings

import numpy as np
import pytest

from sknoisy import find_label_issues
from sknoisy.correction._filter import FILTERS, confident_joint


def _probs(seed, n=240, c=4, noise=0.3):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, c, n)
    logits = rng.normal(size=(n, c)) + 3.0 * np.eye(c)[true] * (0.5 + rng.random())
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = np.where(rng.random(n) < noise, rng.integers(0, c, n), true)
    return labels, probs, labels != true


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("filter_by", FILTERS)
def test_same_issues_as_cleanlab(seed, filter_by):
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, probs, _ = _probs(seed, n=60 + 70 * seed, c=2 + seed % 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cleanlab_filter.find_label_issues(
            labels, probs, filter_by=filter_by, n_jobs=1
        )
        for rank_by in ("self_confidence", "normalized_margin"):
            ranked = cleanlab_filter.find_label_issues(
                labels,
                probs,
                filter_by=filter_by,
                n_jobs=1,
                return_indices_ranked_by=rank_by,
            )
            np.testing.assert_array_equal(
                find_label_issues(
                    labels=labels,
                    pred_probs=probs,
                    filter_by=filter_by,
                    return_indices_ranked_by=rank_by,
                ),
                ranked,
            )
    mask = find_label_issues(labels=labels, pred_probs=probs, filter_by=filter_by)
    assert mask.dtype == bool and mask.shape == labels.shape
    np.testing.assert_array_equal(mask, expected)


@pytest.mark.parametrize(
    "options",
    [
        {"frac_noise": 0.5},
        {"min_examples_per_class": 70},
        {"num_to_remove_per_class": [3, 0, 5, 1]},
        {"return_indices_ranked_by": "confidence_weighted_entropy"},
    ],
)
@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "prune_by_class", "both"])
def test_same_options_as_cleanlab(options, filter_by):
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, probs, _ = _probs(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cleanlab_filter.find_label_issues(
            labels, probs, filter_by=filter_by, n_jobs=1, **options
        )
        got = find_label_issues(
            labels=labels, pred_probs=probs, filter_by=filter_by, **options
        )
    np.testing.assert_array_equal(got, expected)


def test_default_is_cleanlabs_default_and_finds_the_flips():
    labels, probs, flipped = _probs(3, n=600)
    mask = find_label_issues(labels=labels, pred_probs=probs)
    by_noise_rate = find_label_issues(
        labels=labels, pred_probs=probs, filter_by="prune_by_noise_rate"
    )
    np.testing.assert_array_equal(mask, by_noise_rate)
    f1 = 2 * np.sum(mask & flipped) / (mask.sum() + flipped.sum())
    assert f1 > 0.6


def test_rankings_order_the_mask():
    labels, probs, _ = _probs(4)
    mask = find_label_issues(labels=labels, pred_probs=probs)
    self_conf = probs[np.arange(len(labels)), labels]
    for name in ("self_confidence", "label_quality"):
        ranked = find_label_issues(
            labels=labels, pred_probs=probs, return_indices_ranked_by=name
        )
        np.testing.assert_array_equal(np.sort(ranked), np.flatnonzero(mask))
        assert np.all(np.diff(self_conf[ranked]) >= 0)
    ranked = find_label_issues(
        labels=labels, pred_probs=probs, return_indices_ranked_by="normalized_margin"
    )
    others = probs.copy()
    others[np.arange(len(labels)), labels] = -1
    margin = self_conf - others.max(axis=1)
    np.testing.assert_array_equal(np.sort(ranked), np.flatnonzero(mask))
    assert np.all(np.diff(margin[ranked]) >= 0)


def test_num_to_remove_per_class_is_exact_by_class():
    labels, probs, _ = _probs(5)
    wanted = np.array([4, 0, 2, 7])
    mask = find_label_issues(
        labels=labels,
        pred_probs=probs,
        filter_by="prune_by_class",
        num_to_remove_per_class=wanted,
    )
    # the samples already predicted as their label are dropped afterwards
    counts = np.bincount(labels[mask], minlength=4)
    assert np.all(counts <= wanted) and counts.sum() >= wanted.sum() - 3
    assert counts[1] == 0
    # within each class the flagged ones have the lowest p_given
    self_conf = probs[np.arange(len(labels)), labels]
    for k in (0, 2, 3):
        members = labels == k
        assert (
            self_conf[mask & members].max()
            <= np.sort(self_conf[members])[wanted[k] - 1]
        )


def test_threshold_and_frac_noise():
    labels, probs, _ = _probs(6)
    self_conf = probs[np.arange(len(labels)), labels]
    mask = find_label_issues(labels=labels, pred_probs=probs, threshold=0.3)
    np.testing.assert_array_equal(mask, self_conf < 0.3)
    half = find_label_issues(
        labels=labels, pred_probs=probs, threshold=0.3, frac_noise=0.5
    )
    assert half.sum() == round(0.5 * mask.sum())
    assert self_conf[half].max() <= self_conf[mask & ~half].min()
    with pytest.raises(ValueError, match="threshold and filter_by"):
        find_label_issues(
            labels=labels, pred_probs=probs, threshold=0.3, filter_by="both"
        )


def test_string_labels_follow_sorted_classes():
    labels, probs, _ = _probs(8, c=3)
    names = np.array(["bird", "cat", "ant"])  # columns: ant, bird, cat
    order = np.argsort(names)  # column k is the class names[order][k]
    string_labels = names[labels]
    # probs columns must follow the sorted names: reorder them
    columns = np.empty_like(probs)
    columns[:, np.argsort(order)] = probs
    ranked = find_label_issues(
        labels=string_labels,
        pred_probs=columns,
        return_indices_ranked_by="normalized_margin",
    )
    np.testing.assert_array_equal(
        ranked,
        find_label_issues(
            labels=labels,
            pred_probs=probs,
            return_indices_ranked_by="normalized_margin",
        ),
    )
    # a list of Python ints is taken as column numbers
    mask = find_label_issues(labels=labels.tolist(), pred_probs=probs.tolist())
    np.testing.assert_array_equal(
        mask, find_label_issues(labels=labels, pred_probs=probs)
    )


@pytest.mark.parametrize(
    "labels, probs, match",
    [
        ([0, 1, 1], [[0.9, 0.1], [0.2, 0.8]], "same number of samples"),
        ([0, 1], [[0.9, 0.3], [0.2, 0.8]], "sum to 1"),
        ([0, 1], [[1.5, -0.5], [0.2, 0.8]], r"\[0, 1\]"),
        ([0, 1], [0.9, 0.1], "2-D"),
        ([[0], [1]], [[0.9, 0.1], [0.2, 0.8]], "1-D"),
        (["a", "b", "c"], [[0.9, 0.1]] * 3, "3 distinct values but pred_probs has 2"),
        ([0, 5, 7], [[0.9, 0.1]] * 3, "3 distinct values"),
        ([0, 1], [[np.nan, 1.0], [0.2, 0.8]], "finite"),
    ],
)
def test_bad_inputs_name_the_problem(labels, probs, match):
    with pytest.raises(ValueError, match=match):
        find_label_issues(labels=labels, pred_probs=probs)


def test_mixed_and_positional_calls_are_refused():
    labels, probs, _ = _probs(9, n=30, c=2)
    with pytest.raises(TypeError, match="labels=labels, pred_probs=pred_probs"):
        find_label_issues(labels, probs)
    with pytest.raises(ValueError, match="not both"):
        find_label_issues(probs, labels, pred_probs=probs)
    with pytest.raises(ValueError, match="pred_probs is missing"):
        find_label_issues(labels=labels)
    with pytest.raises(ValueError, match="fits nothing"):
        find_label_issues(labels=labels, pred_probs=probs, max_epochs=3)
    with pytest.raises(ValueError, match="needs X and y"):
        find_label_issues()
    with pytest.raises(ValueError, match="num_to_remove_per_class needs"):
        find_label_issues(
            labels=labels,
            pred_probs=probs,
            filter_by="confident_learning",
            num_to_remove_per_class=[1, 1],
        )
    with pytest.raises(ValueError, match="one non-negative integer per class"):
        find_label_issues(
            labels=labels,
            pred_probs=probs,
            filter_by="prune_by_class",
            num_to_remove_per_class=[1, 1, 1],
        )
    with pytest.raises(ValueError, match="filter_by"):
        find_label_issues(labels=labels, pred_probs=probs, filter_by="nope")


def test_small_class_is_kept_with_a_warning():
    labels, probs, _ = _probs(10, n=200, c=3)
    with pytest.warns(UserWarning, match="too few samples"):
        mask = find_label_issues(
            labels=labels, pred_probs=probs, min_examples_per_class=80
        )
    big = np.bincount(labels) > 80
    assert not mask[~big[labels]].any()


def test_confident_joint_counts_every_confident_sample():
    labels, probs, _ = _probs(11, n=100, c=3)
    raw, off = confident_joint(labels, probs, calibrate=False)
    calibrated, _ = confident_joint(labels, probs)
    np.testing.assert_array_equal(calibrated.sum(axis=1), np.bincount(labels))
    assert raw.sum() - np.trace(raw) <= len(off) <= raw.sum() - np.trace(raw) + 3


def test_fit_call_takes_the_filters_on_its_averaged_outputs():
    from sklearn.datasets import make_blobs

    from sknoisy import NoisyLabelClassifier

    X, y = make_blobs(200, centers=3, cluster_std=2.0, random_state=0)
    y_noisy = y.copy()
    y_noisy[:20] = (y[:20] + 1) % 3
    params = {"max_epochs": 10, "random_state": 0}
    clf = NoisyLabelClassifier(label_correction="soft", **params).fit(
        X.astype(np.float32), y_noisy
    )
    average = clf.label_state_.average.numpy().astype(np.float64)
    average /= average.sum(axis=1, keepdims=True)
    ranked = find_label_issues(
        X.astype(np.float32),
        y_noisy,
        filter_by="both",
        return_indices_ranked_by="normalized_margin",
        **params,
    )
    np.testing.assert_array_equal(
        ranked,
        find_label_issues(
            labels=y_noisy,
            pred_probs=average,
            filter_by="both",
            return_indices_ranked_by="normalized_margin",
        ),
    )
    assert np.isin(np.arange(20), ranked).mean() > 0.5
    # the corrected labels (default), ranked by margin: same set as the mask
    mask = find_label_issues(X.astype(np.float32), y_noisy, **params)
    by_margin = find_label_issues(
        X.astype(np.float32),
        y_noisy,
        return_indices_ranked_by="normalized_margin",
        **params,
    )
    np.testing.assert_array_equal(np.sort(by_margin), np.flatnonzero(mask))
