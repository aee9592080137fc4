"""The benchmark pipeline: :func:`run` trains every method of a configuration.

One *run* fits one method for one noise rate and one seed (:func:`_run_one`):
the fit step (torch threads, warning capture, the cleanlab branch) is the
same for every source. A run is scored on clean test labels when the clean
labels are known (accuracy, calibration, label recovery), else on the
held-out given labels (accuracy, label issues found).
"""

from __future__ import annotations

import contextlib
import time
import types
import warnings
from typing import NamedTuple

import numpy as np
import torch

from .._classifier import NoisyLabelClassifier
from ..exceptions import CorrectionWarning
from ..metrics import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
)
from ._cleanlab import CLEANLAB, fit_cleanlab
from ._parallel import run_parallel
from ._report import save_results
from ._sources import load_source
from ._userreport import data_summary, save_data_file_results

__all__ = ["run"]


class RunData(NamedTuple):
    """The arrays of one run: training labels drawn, test split, network."""

    X_train: object
    y_clean: np.ndarray | None
    y_noisy: np.ndarray
    X_test: object
    y_test: np.ndarray
    module: type | None
    params: dict


# --------------------------------------------------------------------------------------
# The fit step, once for every source
# --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _torch_threads(n_threads):
    """Torch uses ``n_threads`` threads inside (``None``: unchanged)."""
    old = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        if n_threads is not None:
            torch.set_num_threads(old)


def _fit_classifier(task, X, y, params):
    """Fit a NoisyLabelClassifier; return it and its CorrectionWarning messages."""
    clf = NoisyLabelClassifier(random_state=task["seed"], **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorrectionWarning)
        try:
            clf.fit(X, y)
        except ValueError as exc:  # bad parameters of a custom method
            raise ValueError(f"method {task['method']!r}: {exc}") from exc
    messages = []
    for w in caught:
        if issubclass(w.category, CorrectionWarning):
            messages.append(str(w.message))
        else:  # pass the others on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return clf, " ".join(messages) or None


def _fit(task, data, device):
    """Fit one method on ``data``'s noisy labels.

    Returns a namespace: ``classes``, ``predict``, ``predict_proba`` and, per
    training sample, ``label_quality``, ``corrected`` and ``issues`` (``None``
    for a method that does not correct labels), ``started`` (whether
    correction started) and ``warning`` (CorrectionWarning messages or
    ``None``). For ``"cleanlab"``, the corrected labels are those of its
    largest out-of-fold probabilities where it flags a label issue.
    """
    params = {"module": data.module, "device": device, "max_epochs": task["max_epochs"]}
    params.update(data.params)
    if task["params"] == CLEANLAB:
        fitted = fit_cleanlab(data.X_train, data.y_noisy, task["seed"], params)
        return types.SimpleNamespace(
            classes=fitted.classes,
            predict=fitted.predict,
            predict_proba=fitted.predict_proba,
            label_quality=fitted.label_quality,
            corrected=fitted.corrected_label,
            issues=fitted.is_label_issue,
            started=True,
            warning=None,
        )
    clf, warning = _fit_classifier(
        task, data.X_train, data.y_noisy, {**params, **task["params"]}
    )
    return types.SimpleNamespace(
        classes=clf.classes_,
        predict=clf.predict,
        predict_proba=clf.predict_proba,
        label_quality=getattr(clf, "label_quality_", None),
        corrected=getattr(clf, "corrected_labels_", None),
        issues=getattr(clf, "label_issues_", None),
        started=getattr(clf, "correction_start_", None) is not None,
        warning=warning,
    )


def _run_one(task, data, device, n_threads):
    """Train one method on one training set (a :class:`RunData`); score it."""
    with _torch_threads(n_threads):
        start = time.perf_counter()
        fitted = _fit(task, data, device)
        fit_seconds = time.perf_counter() - start
        score = _score_clean if data.y_clean is not None else _score_given
        result = score(task, data, fitted)
    return {**result, "fit_seconds": fit_seconds, "correction_warning": fitted.warning}


# --------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------
def _calibration_scores(y_true, proba, classes):
    """ECE (15 bins), NLL, Brier score and mean confidence on the test labels.

    A class that the noisy training labels lost entirely gets probability 0.
    """
    labels = np.union1d(classes, y_true)
    if len(labels) > len(classes):
        full = np.zeros((len(proba), len(labels)), dtype=proba.dtype)
        full[:, np.searchsorted(labels, classes)] = proba
        proba, classes = full, labels
    return {
        "ece": expected_calibration_error(y_true, proba, labels=classes),
        "nll": negative_log_likelihood(y_true, proba, labels=classes),
        "brier": brier_score(y_true, proba, labels=classes),
        "confidence": float(np.mean(np.max(proba, axis=1))),
    }


def _score_clean(task, data, fitted):
    """Accuracy and calibration on clean test labels; label recovery."""
    proba = fitted.predict_proba(data.X_test)
    classes = fitted.classes
    flipped = data.y_noisy != data.y_clean
    recovery = noisy_recovery = None
    if fitted.corrected is not None:
        fixed = fitted.corrected == data.y_clean
        recovery = float(fixed.mean())
        noisy_recovery = float(fixed[flipped].mean()) if flipped.any() else None
    return {
        **{key: task[key] for key in ("dataset", "noise", "rate", "method", "seed")},
        "max_epochs": task["max_epochs"],
        "n_train": len(data.y_clean),
        "n_test": len(data.y_test),
        "noise_rate": float(flipped.mean()),
        "test_accuracy": float(np.mean(classes[proba.argmax(axis=1)] == data.y_test)),
        **_calibration_scores(data.y_test, proba, classes),
        "label_recovery": recovery,
        "noisy_label_recovery": noisy_recovery,
    }


def _score_given(task, data, fitted):
    """Accuracy on the held-out given labels; the label issues found."""
    accuracy = None
    if data.X_test is not None:
        accuracy = float(np.mean(fitted.predict(data.X_test) == data.y_test))
    issues = fitted.issues
    found = issues is not None and fitted.started
    return {
        "corrects_labels": issues is not None,
        **{key: task[key] for key in ("dataset", "method", "seed", "max_epochs")},
        "n_train": len(data.y_noisy),
        "n_test": len(data.y_test),
        "heldout_accuracy": accuracy,
        "n_label_issues": int(issues.sum()) if found else None,
        "label_issue_share": float(issues.mean()) if found else None,
        # per training sample, for the quality histogram and label_issues.csv
        "label_quality": fitted.label_quality if found else None,
        "corrected_labels": fitted.corrected if found else None,
        "label_issues": issues if found else None,
    }


# --------------------------------------------------------------------------------------
# Every run of a configuration
# --------------------------------------------------------------------------------------
def _describe(result):
    rate = f" rate={result['rate']:g}" if result.get("rate") is not None else ""
    return f"{result['method']}{rate} seed={result['seed']}"


def _tasks(config, data):
    """``(task, RunData, device)`` of every rate, seed and method."""
    calls = []
    for rate in data.rates(config.rates):
        for seed in config.seeds:
            y_noisy = data.training_labels(config.noise, rate, seed)
            run_data = RunData(
                data.X_train,
                data.y_clean,
                y_noisy,
                data.X_test,
                data.y_test,
                data.module,
                data.params,
            )
            for name, params in config.methods.items():
                task = {
                    "dataset": data.name,
                    "noise": config.noise,
                    "rate": rate,
                    "method": name,
                    "seed": seed,
                    "max_epochs": config.max_epochs,
                    "params": params,
                }
                calls.append((task, run_data, config.device))
    return calls


def _saved_config(config, data):
    """The settings of a run as reports store them (a JSON-ready dict)."""
    methods = dict(config.methods)
    shared = {
        "seeds": list(config.seeds),
        "max_epochs": config.max_epochs,
        "device": config.device,
        "n_jobs": config.n_jobs,
    }
    if not config.is_file:
        data_dir = None if config.data_dir is None else str(config.data_dir)
        return {
            "dataset": data.name,
            "noise": config.noise,
            "rates": data.rates(config.rates),
            **shared,
            "n_train": config.n_train,
            "methods": methods,
            "data_dir": data_dir,
        }
    saved = {**shared, "test_size": config.test_size, "n_train": config.n_train}
    if not config.injects_noise:
        return {**saved, "methods": methods}
    return {
        **saved,
        "dataset": data.name,
        "noise": config.noise,
        "rates": list(config.rates),
        "methods": methods,
        "labels": "clean (noise injected)",
    }


def run(config, data=None, *, output=None, progress=True):
    """Train every method of ``config`` at every noise rate and seed.

    Parameters
    ----------
    config : BenchmarkConfig
        The settings.
    data : BenchmarkData, default=None
        The data; ``None`` loads them from the configuration's source
        (:func:`load_source`).
    output : str or path-like, default=None
        If given, the result files are written there: with clean test labels
        those of :func:`save_results`, else those of
        :func:`save_data_file_results`.
    progress : bool, default=True
        Show a tqdm progress bar over the runs (on stderr).

    Returns
    -------
    report : dict
        ``"data"`` (what the data are), ``"config"`` (the settings, as
        stored) and ``"runs"``: one dict per run, sorted by rate, method (in
        the configuration's order) and seed. With clean test labels, the keys
        of :data:`RESULT_FIELDS` (see :func:`run_benchmark`); for a data file
        whose labels are already noisy, those of :func:`run_data_file`.

    Raises
    ------
    DataFileError
        A data file that cannot be read or split as it is.
    DataLayoutError
        A CIFAR-N label file not in the release's layout.

    Examples
    --------
    >>> from sknoisy.benchmark import BenchmarkConfig, run
    >>> config = BenchmarkConfig(rates=[0.4], methods=["ce"], seeds=[0],
    ...                          max_epochs=2, n_train=200)
    >>> report = run(config, progress=False)
    >>> [(r["method"], r["rate"]) for r in report["runs"]]
    [('ce', 0.4)]
    """
    if data is None:
        data = load_source(config)
    runs = run_parallel(
        _run_one, _tasks(config, data), config.n_jobs, progress, _describe
    )
    order = {name: i for i, name in enumerate(config.methods)}
    runs.sort(key=lambda r: (r.get("rate") or 0, order[r["method"]], r["seed"]))
    report = {"data": data.info, "config": _saved_config(config, data), "runs": runs}
    if output is not None:
        _save(report, output, config)
    return report


def _save(report, output, config):
    if config.is_file and not config.injects_noise:
        return save_data_file_results(report, output)
    saved = report["config"]
    if config.is_file:  # the file and its split
        saved = {**saved, "data": data_summary(report["data"])}
    return save_results(report["runs"], output, config=saved)
