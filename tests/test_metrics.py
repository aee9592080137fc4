"""Tests of sknoisy.metrics and of the calibration columns of the benchmark."""

import csv
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss

import sknoisy
from sknoisy.__main__ import main
from sknoisy.benchmark import format_table, run_benchmark, summarize_results
from sknoisy.benchmark._pipeline import _calibration_scores
from sknoisy.benchmark._report import RESULT_FIELDS
from sknoisy.metrics import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
    plot_reliability_diagram,
    reliability_curve,
)

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
ALL_METRICS = [
    expected_calibration_error,
    negative_log_likelihood,
    brier_score,
    reliability_curve,
]


def sklearn_log_loss(y_true, y_proba, labels=None):
    """sklearn's log_loss, whose y_pred became y_proba in scikit-learn 1.9."""
    if "y_proba" in inspect.signature(log_loss).parameters:
        return log_loss(y_true, y_proba=y_proba, labels=labels)
    return log_loss(y_true, y_proba, labels=labels)


def sample_calibrated(n, n_classes, rng, temperature=1.0):
    """Dirichlet probabilities; labels drawn from the probabilities.

    With ``temperature`` 1 the labels follow the probabilities (calibrated);
    above 1 they follow a flatter distribution than the one predicted
    (the predictions are overconfident), below 1 a sharper one
    (underconfident).
    """
    proba = rng.dirichlet(np.full(n_classes, 0.5), size=n)
    truth = proba ** (1.0 / temperature)
    truth /= truth.sum(axis=1, keepdims=True)
    u = rng.random((n, 1))
    y = (u > np.cumsum(truth, axis=1)).sum(axis=1)
    return np.minimum(y, n_classes - 1), proba


# --------------------------------------------------------------------------------------
# ECE and the reliability curve
# --------------------------------------------------------------------------------------
def test_ece_by_hand():
    # Top-label confidences 0.95, 0.95, 0.55, 0.35 (three classes), 4 bins:
    # bin (0.75, 1]: two samples, one right -> |0.5 - 0.95| = 0.45
    # bin (0.5, 0.75]: one sample, right -> |1 - 0.55| = 0.45
    # bin (0.25, 0.5]: one sample, wrong -> |0 - 0.35| = 0.35
    y_true = [0, 1, 2, 2]
    y_proba = [
        [0.95, 0.03, 0.02],
        [0.95, 0.03, 0.02],
        [0.20, 0.25, 0.55],
        [0.35, 0.33, 0.32],
    ]
    expected = (2 * 0.45 + 0.45 + 0.35) / 4
    ece = expected_calibration_error(y_true, y_proba, n_bins=4)
    assert ece == pytest.approx(expected, abs=1e-12)
    confidence, accuracy, counts = reliability_curve(y_true, y_proba, n_bins=4)
    np.testing.assert_array_equal(counts, [0, 1, 1, 2])
    np.testing.assert_allclose(accuracy[1:], [0.0, 1.0, 0.5])
    np.testing.assert_allclose(confidence[1:], [0.35, 0.55, 0.95])
    assert np.isnan(accuracy[0]) and np.isnan(confidence[0])


def test_ece_one_bin_is_the_gap_of_the_means():
    rng = np.random.default_rng(0)
    top = rng.uniform(0.5, 1.0, size=50)
    y_proba = np.column_stack([top, 1 - top])
    y_true = (rng.random(50) < 0.3).astype(int)  # class 0 right 70% of the time
    gap = abs(np.mean(y_true == 0) - top.mean())
    assert expected_calibration_error(y_true, y_proba, n_bins=1) == pytest.approx(gap)


def test_ece_bins_are_right_closed_and_default_to_15():
    # Confidence exactly 0.6 lies in (0.4, 0.6] with 5 bins, not (0.6, 0.8].
    _, _, counts = reliability_curve([0], [[0.6, 0.4]], n_bins=5, labels=[0, 1])
    np.testing.assert_array_equal(counts, [0, 0, 1, 0, 0])
    _, _, counts = reliability_curve([0, 1], [[0.6, 0.4], [0.5, 0.5]])
    assert counts.shape == (15,) and counts.sum() == 2
    assert counts[8] == 1 and counts[7] == 1  # 0.6 in (8/15, 9/15], 0.5 in bin 7


def test_ece_extremes():
    # Always certain and always wrong: the worst possible ECE.
    y_proba = np.tile([1.0, 0.0, 0.0], (6, 1))
    wrong = [1, 2, 1, 2, 1, 2]
    assert expected_calibration_error(wrong, y_proba, labels=[0, 1, 2]) == 1
    # Always certain and always right: perfectly calibrated.
    assert expected_calibration_error([0] * 6, y_proba, labels=[0, 1, 2]) == 0


def test_calibrated_predictions_have_ece_near_zero():
    rng = np.random.default_rng(0)
    y_true, y_proba = sample_calibrated(200_000, 5, rng)
    ece = expected_calibration_error(y_true, y_proba, labels=np.arange(5))
    assert ece < 0.005
    confidence, accuracy, counts = reliability_curve(
        y_true, y_proba, labels=np.arange(5)
    )
    full = counts > 1000
    np.testing.assert_allclose(accuracy[full], confidence[full], atol=0.02)


@pytest.mark.parametrize("temperature, over", [(3.0, True), (0.3, False)])
def test_over_and_underconfidence_detected(temperature, over):
    rng = np.random.default_rng(1)
    y_true, y_proba = sample_calibrated(50_000, 5, rng, temperature)
    labels = np.arange(5)
    assert expected_calibration_error(y_true, y_proba, labels=labels) > 0.05
    confidence, accuracy, counts = reliability_curve(y_true, y_proba, labels=labels)
    full = counts > 500
    gaps = confidence[full] - accuracy[full]
    mean_gap = np.sum(gaps * counts[full]) / counts[full].sum()
    assert (mean_gap > 0.05) if over else (mean_gap < -0.05)


def test_reliability_curve_counts_and_means():
    rng = np.random.default_rng(2)
    y_true, y_proba = sample_calibrated(1000, 3, rng)
    confidence, accuracy, counts = reliability_curve(y_true, y_proba, n_bins=7)
    assert counts.sum() == 1000 and counts.dtype.kind == "i"
    top = y_proba.max(axis=1)
    bins = np.minimum((np.ceil(top * 7) - 1).astype(int), 6)
    for b in range(7):
        members = bins == b
        assert counts[b] == members.sum()
        if members.any():
            assert confidence[b] == pytest.approx(top[members].mean())
            right = y_proba[members].argmax(axis=1) == y_true[members]
            assert accuracy[b] == pytest.approx(right.mean())


# --------------------------------------------------------------------------------------
# NLL and Brier score
# --------------------------------------------------------------------------------------
def test_nll_equals_sklearn_log_loss():
    rng = np.random.default_rng(3)
    y_true, y_proba = sample_calibrated(500, 4, rng)
    y_proba = 0.98 * y_proba + 0.005  # no zero probability
    labels = np.arange(4)
    ours = negative_log_likelihood(y_true, y_proba, labels=labels)
    assert ours == pytest.approx(sklearn_log_loss(y_true, y_proba, labels=labels))
    hand = -np.mean(np.log(y_proba[np.arange(500), y_true]))
    assert ours == pytest.approx(hand)


def test_nll_clips_zero_probabilities():
    y_proba = np.array([[1.0, 0.0], [0.5, 0.5]])
    nll = negative_log_likelihood([1, 0], y_proba)
    eps = np.finfo(np.float64).eps
    assert nll == pytest.approx((-np.log(eps) - np.log(0.5)) / 2)
    assert nll == pytest.approx(sklearn_log_loss([1, 0], y_proba))
    float32 = negative_log_likelihood([1, 0], y_proba.astype(np.float32))
    eps32 = np.finfo(np.float32).eps
    assert float32 == pytest.approx((-np.log(eps32) - np.log(0.5)) / 2)
    assert negative_log_likelihood([1, 0], y_proba, eps=1e-3) == pytest.approx(
        (-np.log(1e-3) - np.log(0.5)) / 2
    )


def test_brier_score_by_hand():
    y_true = [0, 2, 1]
    y_proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.3, 0.2]])
    onehot = np.eye(3)[y_true]
    expected = np.mean(np.sum((y_proba - onehot) ** 2, axis=1))
    assert brier_score(y_true, y_proba) == pytest.approx(expected)
    # (0.09 + 0.04 + 0.01) + (0.01 + 0.01 + 0.04) + (0.25 + 0.49 + 0.04)
    assert brier_score(y_true, y_proba) == pytest.approx(0.98 / 3)


def test_brier_score_binary_is_twice_sklearns():
    rng = np.random.default_rng(4)
    p = rng.random(100)
    y = (rng.random(100) < p).astype(int)
    ours = brier_score(y, np.column_stack([1 - p, p]))
    assert ours == pytest.approx(2 * brier_score_loss(y, p))


# --------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ALL_METRICS)
def test_string_labels_match_integer_labels(metric):
    rng = np.random.default_rng(5)
    y_int, y_proba = sample_calibrated(300, 3, rng)
    names = np.array(["ant", "bee", "cat"])
    a = metric(y_int, y_proba)
    b = metric(names[y_int], y_proba)
    c = metric(list(names[y_int]), y_proba.tolist(), labels=list(names))
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a, c)


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_labels_give_the_column_order(metric):
    rng = np.random.default_rng(6)
    y_true, y_proba = sample_calibrated(300, 4, rng)
    y_proba = 0.9 * y_proba + 0.025
    names = np.array(["w", "x", "y", "z"])
    order = np.array([2, 0, 3, 1])
    reference = metric(names[y_true], y_proba)
    permuted = metric(names[y_true], y_proba[:, order], labels=names[order])
    np.testing.assert_allclose(reference, permuted)
    # The same columns read with the sorted labels are another model.
    other = metric(names[y_true], y_proba[:, order], labels=names)
    assert not np.allclose(np.nan_to_num(reference), np.nan_to_num(other))


def test_labels_cover_classes_missing_from_y_true():
    y_proba = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
    with pytest.raises(ValueError, match="2 classes but y_proba has 3 columns"):
        brier_score([0, 1], y_proba)
    assert brier_score([0, 1], y_proba, labels=[0, 1, 2]) == pytest.approx(
        ((0.09 + 0.04 + 0.01) + (0.01 + 0.04 + 0.01)) / 2
    )


def test_float32_probabilities_accepted():
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(1000, 10)).astype(np.float32) * 5
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)  # sums to 1 within float32 eps
    y = rng.integers(0, 10, size=1000)
    ece = expected_calibration_error(y, proba, labels=np.arange(10))
    assert ece == pytest.approx(
        expected_calibration_error(y, proba.astype(np.float64), labels=np.arange(10))
    )


# --------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------
GOOD_Y = [0, 1, 1]
GOOD_P = [[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]]


@pytest.mark.parametrize("metric", ALL_METRICS)
@pytest.mark.parametrize(
    "y_true, y_proba, kwargs, message",
    [
        ([0, 1], GOOD_P, {}, "different numbers of samples: 2 and 3"),
        (GOOD_Y, [0.8, 0.3, 0.5], {}, "must be 2-D"),
        (GOOD_Y, [GOOD_P], {}, "must be 2-D"),
        ([[0], [1], [1]], GOOD_P, {}, "y_true must be 1-D"),
        (GOOD_Y, [[0.8, 0.3], [0.3, 0.7], [0.5, 0.5]], {}, "row 0 sums to 1.1"),
        (GOOD_Y, [[2.0, -1.0], [0.3, 0.7], [0.5, 0.5]], {}, r"lie in \[0, 1\]"),
        (GOOD_Y, [[np.nan, 0.2], [0.3, 0.7], [0.5, 0.5]], {}, "NaN or infinity"),
        (GOOD_Y, [[np.inf, 0.2], [0.3, 0.7], [0.5, 0.5]], {}, "NaN or infinity"),
        (GOOD_Y, [["a", "b"], ["c", "d"], ["e", "f"]], {}, "must hold numbers"),
        ([0.0, np.nan, 1.0], GOOD_P, {}, "y_true contains NaN"),
        ([], np.empty((0, 2)), {}, "no samples"),
        ([0, 1, 2], GOOD_P, {}, "3 classes but y_proba has 2 columns"),
        (GOOD_Y, GOOD_P, {"labels": [0, 1, 2]}, "one label per column"),
        (GOOD_Y, GOOD_P, {"labels": [1, 1]}, "labels must be unique"),
        (
            GOOD_Y,
            GOOD_P,
            {"labels": [0, 2]},
            r"not in labels: \[1\]; labels are \[0, 2\]",
        ),
        (GOOD_Y, GOOD_P, {"labels": ["a", "b"]}, "not in labels"),
    ],
)
def test_bad_input_raises(metric, y_true, y_proba, kwargs, message):
    with pytest.raises(ValueError, match=message):
        metric(y_true, y_proba, **kwargs)


@pytest.mark.parametrize("func", [expected_calibration_error, reliability_curve])
@pytest.mark.parametrize("n_bins", [0, -3, 1.5, True, "15", None])
def test_bad_n_bins(func, n_bins):
    with pytest.raises(ValueError, match="n_bins must be an int >= 1"):
        func(GOOD_Y, GOOD_P, n_bins=n_bins)


@pytest.mark.parametrize("eps", [0, 1, -0.1, "tiny", True])
def test_bad_eps(eps):
    with pytest.raises(ValueError, match="eps must be 'auto' or a float"):
        negative_log_likelihood(GOOD_Y, GOOD_P, eps=eps)


@pytest.mark.parametrize(
    "func", [*ALL_METRICS, lambda y, p, **kw: plot_reliability_diagram(y, p, **kw)]
)
def test_inputs_not_mutated(func):
    y_true = np.array(["b", "a", "c", "a"])
    # Rounding errors slightly outside [0, 1] are clipped inside, not in place.
    y_proba = np.array(
        [
            [1.0 + 1e-9, 0.0, -1e-9],
            [0.2, 0.5, 0.3],
            [0.1, 0.1, 0.8],
            [0.6, 0.3, 0.1],
        ]
    )
    labels = np.array(["c", "a", "b"])
    saved = y_true.copy(), y_proba.copy(), labels.copy()
    func(y_true, y_proba, labels=labels)
    np.testing.assert_array_equal(y_true, saved[0])
    np.testing.assert_array_equal(y_proba, saved[1])
    np.testing.assert_array_equal(labels, saved[2])


# --------------------------------------------------------------------------------------
# Plot
# --------------------------------------------------------------------------------------
def test_plot_reliability_diagram_draws_one_bar_per_nonempty_bin():
    from matplotlib.axes import Axes

    rng = np.random.default_rng(8)
    y_true, y_proba = sample_calibrated(400, 3, rng)
    _, accuracy, counts = reliability_curve(y_true, y_proba, n_bins=10)
    ax = plot_reliability_diagram(y_true, y_proba, n_bins=10, label="net")
    assert isinstance(ax, Axes)
    full = counts > 0
    assert 0 < full.sum() < 10  # top-label confidence >= 1/3: low bins stay empty
    assert len(ax.patches) == full.sum()
    heights = sorted(p.get_height() for p in ax.patches)
    np.testing.assert_allclose(heights, np.sort(accuracy[full]))
    assert all(p.get_width() == pytest.approx(0.1) for p in ax.patches)
    diagonal, curve = ax.lines
    np.testing.assert_array_equal(diagonal.get_xdata(), [0, 1])
    assert len(curve.get_xdata()) == full.sum()
    ece = expected_calibration_error(y_true, y_proba, n_bins=10)
    assert ax.get_legend_handles_labels()[1][1] == f"net (ECE {ece:.3f})"


def test_plot_reliability_diagram_uses_given_axes():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    out = plot_reliability_diagram(GOOD_Y, GOOD_P, n_bins=3, ax=ax)
    assert out is ax
    assert len(ax.patches) == 2  # confidences 0.8, 0.7 | 0.5
    assert ax.get_legend_handles_labels()[1][1].startswith("ECE ")
    with pytest.raises(ValueError, match="n_bins"):
        plot_reliability_diagram(GOOD_Y, GOOD_P, n_bins=0, ax=ax)


# --------------------------------------------------------------------------------------
# Package and documentation
# --------------------------------------------------------------------------------------
def test_metrics_is_public_and_documented():
    assert "metrics" in sknoisy.__all__ and sknoisy.metrics is not None
    text = API.read_text()
    documented = set(re.findall(r"^\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", text, re.M))
    assert ".. automodule:: sknoisy.metrics" in text
    assert set(sknoisy.metrics.__all__) <= documented
    for name in sknoisy.metrics.__all__:
        assert getattr(sknoisy.metrics, name).__doc__.count(">>>") >= 2


# --------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    results = run_benchmark(
        rates=[0.0, 0.5],
        methods=["ce", "label_smoothing"],
        seeds=[0],
        n_train=200,
        max_epochs=3,
        output=out,
        progress=False,
    )
    return results, out


def test_benchmark_records_calibration(tiny_run):
    results, out = tiny_run
    assert {"ece", "nll", "brier", "confidence"} <= set(RESULT_FIELDS)
    with open(out / "runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(results) == 4
    for row, r in zip(rows, results):
        assert 0 < float(row["ece"]) <= 1 and float(row["ece"]) == r["ece"]
        assert float(row["nll"]) > 0 and 0 < float(row["brier"]) <= 2
        assert 0.1 <= float(row["confidence"]) <= 1
    # The recorded numbers are those of the metrics on the same predictions.
    summary = summarize_results(results)
    ece = [r["ece"] for r in results if r["method"] == "ce" and r["rate"] == 0.0]
    assert summary[0]["ece_mean"] == pytest.approx(np.mean(ece))
    table = format_table(summary)
    assert "calibration on clean test labels" in table
    for name in ("ECE", "NLL", "Brier", "confidence"):
        lines = [line for line in table.splitlines() if line.startswith(name + " ")]
        assert len(lines) == 2  # ce and label_smoothing
    assert (out / "table.txt").read_text() == table


def test_benchmark_calibration_scores_match_the_metrics():
    rng = np.random.default_rng(9)
    y, proba = sample_calibrated(200, 4, rng)
    proba = proba.astype(np.float32)
    classes = np.arange(4)
    scores = _calibration_scores(y, proba, classes)
    assert scores["ece"] == expected_calibration_error(y, proba, labels=classes)
    assert scores["nll"] == negative_log_likelihood(y, proba, labels=classes)
    assert scores["brier"] == brier_score(y, proba, labels=classes)
    assert scores["confidence"] == pytest.approx(proba.max(axis=1).mean())
    # A class the noisy training labels lost gets probability 0 in the test.
    y_missing = np.where(y == 3, 4, y)
    padded = _calibration_scores(y_missing, proba, classes)
    full = np.column_stack([proba, np.zeros(200, np.float32)])
    labels = np.arange(5)
    assert padded["brier"] == brier_score(y_missing, full, labels=labels)
    assert padded["nll"] > scores["nll"]


def test_cli_prints_calibration(tmp_path, capsys):
    argv = ["benchmark", "--rates", "0", "--methods", "ce", "--seeds", "0"]
    argv += ["--max-epochs", "1", "--n-train", "100", "--no-progress"]
    assert main([*argv, "--output", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "calibration on clean test labels" in printed
    assert re.search(r"^ECE\s+ce\s+0\.\d{3}$", printed, re.M)  # one seed: no ±
    header = (tmp_path / "runs.csv").read_text().splitlines()[0].split(",")
    assert header[header.index("test_accuracy") + 1 :][:4] == [
        "ece",
        "nll",
        "brier",
        "confidence",
    ]
