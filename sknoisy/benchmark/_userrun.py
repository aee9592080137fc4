"""Benchmark on a user's data file.

:func:`run_data_file`: the file's labels are already noisy. Without clean
labels there is no clean test accuracy and no label recovery to measure. What
can be measured is reported instead: accuracy on a held-out, stratified split
of the given labels, how many training labels each label-correcting method
finds wrong, and a histogram of a per-sample label quality score (the
probability the method gives the given label).

:func:`run_data_file_injected`: the file's labels are taken as clean. Noise is
injected into the training split as for the built-in data sets, and every
method is scored on the clean held-out labels (accuracy, calibration, label
recovery).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch

from .._classifier import NoisyLabelClassifier
from ..exceptions import CorrectionWarning
from ._cleanlab import cleanlab_available, fit_cleanlab
from ._parallel import run_parallel
from ._runner import (
    DEFAULT_METHODS,
    DEFAULT_RATES,
    DEFAULT_SEEDS,
    NOISE_KINDS,
    _check_choice,
    _check_device,
    _check_methods,
    _check_rates,
    _check_seeds,
    _is_int,
    _public_methods,
    _run_all,
)
from ._userdata import DataFileError, _label, load_data_file

__all__ = ["cleanlab_available", "run_data_file", "run_data_file_injected"]

DEFAULT_TEST_SIZE = 0.2


def _check_settings(methods, seeds, max_epochs, device, n_jobs, test_size, n_train):
    if not _is_int(max_epochs) or max_epochs < 1:
        raise ValueError(f"max_epochs must be an int >= 1, got {max_epochs!r}")
    if not _is_int(n_jobs) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (joblib), got {n_jobs!r}")
    if isinstance(test_size, bool) or not (
        isinstance(test_size, (int, float)) and 0 <= test_size <= 0.5
    ):
        raise ValueError(f"test_size must be a number in [0, 0.5], got {test_size!r}")
    if n_train is not None and (not _is_int(n_train) or n_train < 2):
        raise ValueError(f"n_train must be None or an int >= 2, got {n_train!r}")
    return {
        "methods": _check_methods(methods),
        "seeds": _check_seeds(seeds),
        "max_epochs": int(max_epochs),
        "device": _check_device(device),
        "n_jobs": int(n_jobs),
        "test_size": float(test_size),
        "n_train": n_train,
    }


def _split(data, test_size, n_train):
    """Indices of the training and held-out parts (stratified, random_state=0)."""
    from sklearn.model_selection import train_test_split

    labels, counts = data.classes
    index = np.arange(len(data.y))
    if test_size > 0:
        if counts.min() < 2:
            raise DataFileError(
                f"{data.name}: class {_label(labels[counts.argmin()])} has a single "
                "sample; the stratified held-out split needs at least two per "
                "class (or run with --test-size 0)."
            )
        n_test = math.ceil(test_size * len(index))
        if min(n_test, len(index) - n_test) < len(labels):
            raise DataFileError(
                f"{data.name}: {len(index)} samples are too few to hold out "
                f"{test_size:g} of them with each of the {len(labels)} classes on "
                "both sides; use more data, another --test-size, or --test-size 0."
            )
        train, test = train_test_split(
            index, test_size=test_size, stratify=data.y, random_state=0
        )
    else:
        train, test = index, index[:0]
    if n_train is not None and n_train < len(train):
        try:
            train, _ = train_test_split(
                train, train_size=n_train, stratify=data.y[train], random_state=0
            )
        except ValueError as exc:
            raise DataFileError(f"{data.name}: --n-train {n_train}: {exc}") from None
    return np.sort(train), np.sort(test)


def _prepare(data, test_size, n_train):
    """Split and standardise a data file: ``((X_tr, y_tr, X_te, y_te), info)``.

    The scaler is fitted on the training part; ``X_te`` is ``None`` when
    nothing is held out. ``info`` describes the file and the split.
    """
    from sklearn.preprocessing import StandardScaler

    train, test = _split(data, test_size, n_train)
    scaler = StandardScaler().fit(data.X[train])
    X_tr = scaler.transform(data.X[train]).astype(np.float32)
    X_te = scaler.transform(data.X[test]).astype(np.float32) if len(test) else None
    labels, counts = data.classes
    info = {
        "name": data.name,
        "target": data.target,
        "labels_from": data.labels_from,
        "n_samples": len(data.y),
        "n_features": data.X.shape[1],
        "classes": {str(c): int(n) for c, n in zip(labels, counts)},
        "n_train": len(train),
        "n_test": len(test),
        "test_size": test_size,
        "train_index": train,
        "train_labels": data.y[train],
    }
    return (X_tr, data.y[train], X_te, data.y[test]), info


def _fit_one(task, data, device, n_threads):
    """Train one method with one seed; score it on the held-out given labels."""
    X_tr, y_tr, X_te, y_te = data
    params = {"max_epochs": task["max_epochs"], "device": device}
    old_threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    quality = corrected = issues = None
    warning, started = None, True
    try:
        start = time.perf_counter()
        if task["params"] is None:
            fitted = fit_cleanlab(X_tr, y_tr, task["seed"], params)
            predict, quality = fitted.predict, fitted.label_quality
            corrected, issues = fitted.corrected_label, fitted.is_label_issue
        else:
            clf = NoisyLabelClassifier(
                random_state=task["seed"], **params, **task["params"]
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", CorrectionWarning)
                clf.fit(X_tr, y_tr)
            for w in caught:
                if issubclass(w.category, CorrectionWarning):
                    warning = " ".join(filter(None, [warning, str(w.message)]))
                else:  # pass the others on
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            predict = clf.predict
            if hasattr(clf, "label_quality_"):
                # The probability of the given label under the averaged outputs.
                quality = clf.label_quality_
                corrected, issues = clf.corrected_labels_, clf.label_issues_
                started = clf.correction_start_ is not None
        fit_seconds = time.perf_counter() - start
        accuracy = None if X_te is None else float(np.mean(predict(X_te) == y_te))
    finally:
        if n_threads is not None:
            torch.set_num_threads(old_threads)
    found = issues is not None and started
    return {
        "corrects_labels": issues is not None,
        "dataset": task["dataset"],
        "method": task["method"],
        "seed": task["seed"],
        "max_epochs": task["max_epochs"],
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "heldout_accuracy": accuracy,
        "n_label_issues": int(issues.sum()) if found else None,
        "label_issue_share": float(issues.mean()) if found else None,
        "fit_seconds": fit_seconds,
        "correction_warning": warning,
        # per training sample, for the quality histogram and label_issues.csv
        "label_quality": quality if found else None,
        "corrected_labels": corrected if found else None,
        "label_issues": issues if found else None,
    }


def run_data_file(
    path,
    target=None,
    *,
    methods=DEFAULT_METHODS,
    seeds=DEFAULT_SEEDS,
    max_epochs=50,
    test_size=DEFAULT_TEST_SIZE,
    n_train=None,
    device="cpu",
    n_jobs=1,
    output=None,
    progress=True,
):
    """Benchmark the methods on a data file whose labels are already noisy.

    No noise is injected. A stratified share ``test_size`` of the samples
    (``random_state=0``) is held out; the features are standardised on the
    rest, and every method is trained there once per seed.

    Parameters
    ----------
    path, target : see :func:`~sknoisy.benchmark._userdata.load_data_file`
    methods : sequence of str or dict, default=DEFAULT_METHODS
        Names of :data:`~sknoisy.benchmark.METHODS`, plus ``"cleanlab"``
        (cleanlab's ``CleanLearning`` around a default
        :class:`~sknoisy.NoisyLabelClassifier`) when cleanlab is installed;
        or ``{name: NoisyLabelClassifier parameters}``.
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the networks (the split is the same for every seed).
    max_epochs : int, default=50
        Training epochs of every run.
    test_size : float, default=0.2
        Share of the samples held out, in [0, 0.5]; ``0`` holds none out (no
        accuracy, label issues for every sample).
    n_train : int, default=None
        Train on a stratified subset of this many training samples.
    device : str, default="cpu"
        Torch device.
    n_jobs : int, default=1
        Runs trained in parallel by joblib (one torch thread each).
    output : str or path-like, default=None
        Folder for ``runs.csv``, ``results.json``, ``report.txt`` and
        ``label_issues.csv``.
    progress : bool, default=True
        Show a progress bar.

    Returns
    -------
    report : dict
        ``"data"`` (file, sizes, classes, split), ``"config"`` and
        ``"runs"``: one dict per run with ``heldout_accuracy`` (on the given
        held-out labels), ``n_label_issues`` and ``label_issue_share`` (for
        methods that correct labels; ``None`` otherwise or when correction
        never started), ``fit_seconds``, ``correction_warning`` and, per
        training sample, ``label_quality``, ``corrected_labels`` and
        ``label_issues``.
    """
    config = _check_settings(
        methods, seeds, max_epochs, device, n_jobs, test_size, n_train
    )
    data = load_data_file(path, target)
    arrays, info = _prepare(data, config["test_size"], config["n_train"])
    jobs = [
        {
            "dataset": data.name,
            "method": name,
            "seed": seed,
            "max_epochs": config["max_epochs"],
            "params": params,
        }
        for seed in config["seeds"]
        for name, params in config["methods"].items()
    ]
    runs = run_parallel(
        _fit_one,
        [(task, arrays, config["device"]) for task in jobs],
        config["n_jobs"],
        progress,
        lambda r: f"{r['method']} seed={r['seed']}",
    )
    order = {name: i for i, name in enumerate(config["methods"])}
    runs.sort(key=lambda r: (order[r["method"]], r["seed"]))
    public = {k: v for k, v in config.items() if k != "methods"}
    public["methods"] = _public_methods(config["methods"])
    report = {"data": info, "config": public, "runs": runs}
    if output is not None:
        from ._userreport import save_data_file_results

        save_data_file_results(report, output)
    return report


def _check_injected_noise(noise, rates, test_size):
    """The noise kind and rates of :func:`run_data_file_injected`, checked."""
    noise = _check_choice("symmetric" if noise is None else noise, NOISE_KINDS, "noise")
    rates = _check_rates(DEFAULT_RATES if rates is None else rates)
    if isinstance(test_size, (int, float)) and test_size == 0:
        raise ValueError(
            "noise is injected to score the methods on the clean labels of a "
            "held-out split; test_size 0 holds none out"
        )
    return noise, rates


def _check_asymmetric_labels(noise, data):
    # make_benchmark_noise uses the MNIST map of Patrini et al. for a file.
    labels = data.classes[0]
    if noise == "asymmetric" and (
        labels.dtype.kind not in "iu" or not set(labels.tolist()) <= set(range(10))
    ):
        raise DataFileError(
            f"{data.name}: noise 'asymmetric' uses the MNIST map of Patrini et al. "
            "(2 -> 7, 3 -> 8, 5 <-> 6, 7 -> 1) and needs the labels 0-9; the file's "
            f"labels are {', '.join(_label(c) for c in labels[:5])}"
            f"{', ...' if len(labels) > 5 else ''}. Use pair or transition_matrix."
        )


def run_data_file_injected(
    path,
    target=None,
    *,
    noise="symmetric",
    rates=DEFAULT_RATES,
    methods=DEFAULT_METHODS,
    seeds=DEFAULT_SEEDS,
    max_epochs=50,
    test_size=DEFAULT_TEST_SIZE,
    n_train=None,
    device="cpu",
    n_jobs=1,
    output=None,
    progress=True,
):
    """Benchmark the methods on a data file whose labels are taken as clean.

    As for the built-in data sets: a stratified share ``test_size`` of the
    samples (``random_state=0``) is held out with its labels as given, the
    features are standardised on the rest, noise of kind ``noise`` is
    injected into the training labels at every rate (seeded by the run's
    seed, so every method sees the same noisy labels), and every method is
    scored on the held-out labels: accuracy, calibration and label recovery
    (against the file's training labels).

    Parameters
    ----------
    path, target : see :func:`~sknoisy.benchmark._userdata.load_data_file`
    noise : str, default="symmetric"
        A kind of :func:`sknoisy.noise.make_noise` (``None`` is
        ``"symmetric"``); ``"asymmetric"`` is the MNIST map of Patrini et al.
        and needs the labels 0-9; ``"transition_matrix"`` spreads the rate
        over the other classes with random Dirichlet weights.
    rates : sequence of float, default=DEFAULT_RATES
        Noise rates in [0, 1] (``None``: ``(0.0, 0.2, 0.4, 0.6, 0.8)``).
    methods : sequence of str or dict, default=DEFAULT_METHODS
        As for :func:`run_data_file`.
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the noise and of the networks (the split is the same for
        every seed).
    max_epochs : int, default=50
        Training epochs of every run.
    test_size : float, default=0.2
        Share of the samples held out, in (0, 0.5].
    n_train : int, default=None
        Train on a stratified subset of this many training samples.
    device : str, default="cpu"
        Torch device.
    n_jobs : int, default=1
        Runs trained in parallel by joblib (one torch thread each).
    output : str or path-like, default=None
        Folder for the files of :func:`~sknoisy.benchmark.save_results`
        (``runs.csv``, ``results.json``, ``table.txt``, ``accuracy.png``).
    progress : bool, default=True
        Show a progress bar.

    Returns
    -------
    report : dict
        ``"data"`` (file, sizes, classes, split), ``"config"`` and ``"runs"``:
        one dict per run with the keys of
        :data:`~sknoisy.benchmark.RESULT_FIELDS`, as returned by
        :func:`~sknoisy.benchmark.run_benchmark` (``dataset`` is the file's
        name).
    """
    noise, rates = _check_injected_noise(noise, rates, test_size)
    config = _check_settings(
        methods, seeds, max_epochs, device, n_jobs, test_size, n_train
    )
    data = load_data_file(path, target)
    _check_asymmetric_labels(noise, data)
    (X_tr, y_tr, X_te, y_te), info = _prepare(
        data, config["test_size"], config["n_train"]
    )
    config.update(dataset=data.name, noise=noise, rates=rates)
    arrays = (X_tr, y_tr, None, X_te, y_te, None, {})
    runs = _run_all(config, arrays, progress)
    public = {k: v for k, v in config.items() if k != "methods"}
    public["methods"] = _public_methods(config["methods"])
    public["labels"] = "clean (noise injected)"
    if output is not None:
        from ._report import save_results

        save_results(runs, output, config={**public, "data": _json_info(info)})
    return {"data": info, "config": public, "runs": runs}


def _json_info(info):
    """``info`` without its per-sample arrays (for results.json)."""
    return {k: v for k, v in info.items() if k not in ("train_index", "train_labels")}
