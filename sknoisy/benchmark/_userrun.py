"""Benchmark on a user's data file whose labels are already noisy.

Without clean labels there is no clean test accuracy and no label recovery to
measure. What can be measured is reported instead: accuracy on a held-out,
stratified split of the given labels, how many training labels each
label-correcting method finds wrong, and a histogram of a per-sample label
quality score (the probability the method gives the given label).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping

import numpy as np
import torch

from .._classifier import NoisyLabelClassifier
from ..exceptions import CorrectionWarning
from ._runner import (
    DEFAULT_METHODS,
    DEFAULT_SEEDS,
    METHODS,
    _check_device,
    _check_methods,
    _check_seeds,
    _is_int,
)
from ._userdata import DataFileError, _label, load_data_file

__all__ = ["cleanlab_available", "run_data_file"]

DEFAULT_TEST_SIZE = 0.2


def cleanlab_available():
    """Whether the optional method ``"cleanlab"`` can run (cleanlab imports)."""
    try:
        import cleanlab  # noqa: F401
    except ImportError:
        return False
    return True


def _check_data_file_methods(methods):
    """``{name: params}``; the method ``"cleanlab"`` maps to ``None``."""
    if isinstance(methods, str):
        methods = [methods]
    if isinstance(methods, Mapping):
        return _check_methods(methods)
    names = list(dict.fromkeys(methods))
    if not names:
        raise ValueError("methods must name at least one method")
    for name in names:
        if name != "cleanlab" and (not isinstance(name, str) or name not in METHODS):
            raise ValueError(
                f"unknown method {name!r}; choose one of {', '.join(METHODS)}, cleanlab"
            )
    if "cleanlab" in names and not cleanlab_available():
        raise ValueError(
            "method 'cleanlab' needs the cleanlab package, which is not installed "
            "(pip install cleanlab)"
        )
    others = [n for n in names if n != "cleanlab"]
    params = _check_methods(others) if others else {}
    return {n: None if n == "cleanlab" else params[n] for n in names}


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
        "methods": _check_data_file_methods(methods),
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


def _fit_cleanlab(X, y, seed, params):
    """CleanLearning around a NoisyLabelClassifier; returns (model, scores)."""
    from cleanlab.classification import CleanLearning

    classes = np.unique(y)
    y_enc = np.searchsorted(classes, y)
    folds = int(min(5, np.bincount(y_enc).min()))
    state = np.random.get_state()  # CleanLearning seeds NumPy's global generator
    try:
        model = CleanLearning(
            NoisyLabelClassifier(random_state=seed, **params),
            seed=seed,
            cv_n_folds=max(folds, 2),
            # cleanlab's own process pool fails inside joblib's workers.
            find_label_issues_kwargs={"n_jobs": 1},
            verbose=False,
        )
        model.fit(X, y_enc)
    finally:
        np.random.set_state(state)
    issues = model.get_label_issues()
    return (
        lambda X_new: classes[model.predict(X_new)],
        issues["label_quality"].to_numpy(dtype=float),
        classes[issues["predicted_label"].to_numpy()],
        issues["is_label_issue"].to_numpy(dtype=bool),
    )


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
            predict, quality, corrected, issues = _fit_cleanlab(
                X_tr, y_tr, task["seed"], params
            )
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
    from joblib import Parallel, delayed
    from sklearn.preprocessing import StandardScaler
    from tqdm.auto import tqdm

    config = _check_settings(
        methods, seeds, max_epochs, device, n_jobs, test_size, n_train
    )
    data = load_data_file(path, target)
    train, test = _split(data, config["test_size"], config["n_train"])
    scaler = StandardScaler().fit(data.X[train])
    X_tr = scaler.transform(data.X[train]).astype(np.float32)
    X_te = scaler.transform(data.X[test]).astype(np.float32) if len(test) else None
    arrays = (X_tr, data.y[train], X_te, data.y[test])
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
        "test_size": config["test_size"],
        "train_index": train,
        "train_labels": data.y[train],
    }
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
    n_threads = None if config["n_jobs"] == 1 else 1
    parallel = Parallel(n_jobs=config["n_jobs"], return_as="generator_unordered")
    runs = []
    bar = tqdm(
        total=len(jobs), desc="sknoisy benchmark", unit="run", disable=not progress
    )
    with bar:
        for run in parallel(
            delayed(_fit_one)(task, arrays, config["device"], n_threads)
            for task in jobs
        ):
            runs.append(run)
            bar.set_postfix_str(f"{run['method']} seed={run['seed']}")
            bar.update()
    order = {name: i for i, name in enumerate(config["methods"])}
    runs.sort(key=lambda r: (order[r["method"]], r["seed"]))
    public = {k: v for k, v in config.items() if k != "methods"}
    public["methods"] = {
        k: "cleanlab" if v is None else v for k, v in config["methods"].items()
    }
    report = {"data": info, "config": public, "runs": runs}
    if output is not None:
        from ._userreport import save_data_file_results

        save_data_file_results(report, output)
    return report
