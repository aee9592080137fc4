"""Benchmark runner: robust losses and label correction under injected label noise.

One *run* trains one method (a :class:`~sknoisy.NoisyLabelClassifier`
configuration) for one noise rate and one seed. Noise is applied to the training
split only, with the run's seed, so every method sees the same noisy labels for
a given seed; test accuracy and calibration (ECE, NLL, Brier score) are measured
on the clean test labels.
"""

from __future__ import annotations

import numbers
import time
import types
import warnings
from collections.abc import Mapping

import numpy as np
import torch

from .._classifier import NoisyLabelClassifier
from ..exceptions import CorrectionWarning
from ..metrics import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
)
from ..noise import make_noise
from ._cleanlab import CLEANLAB, MISSING_CLEANLAB, cleanlab_available, fit_cleanlab
from ._data import (
    _FILES,
    DATASETS,
    REAL_NOISE,
    _check_data_dir,
    _check_real_noise,
    _load_data,
    load_benchmark_data,
)
from ._parallel import run_parallel
from ._report import RESULT_FIELDS, save_results

__all__ = [
    "DATASETS",
    "DEFAULT_METHODS",
    "METHODS",
    "NOISE_KINDS",
    "REAL_NOISE",
    "RESULT_FIELDS",
    "load_benchmark_data",
    "run_benchmark",
]

#: Method name -> parameters of :class:`~sknoisy.NoisyLabelClassifier`.
METHODS = types.MappingProxyType(
    {
        "ce": {"loss": "ce"},
        "label_smoothing": {"loss": "label_smoothing"},
        "gce": {"loss": "gce"},
        "truncated_gce": {"loss": "truncated_gce"},
        "encouraging": {"loss": "encouraging"},
        "jo_soft": {"loss": "ce", "label_correction": "soft"},
        "jo_hard": {"loss": "ce", "label_correction": "hard"},
        "mae": {"loss": "mae"},
        "sce": {"loss": "sce"},
        "nce_rce": {"loss": "nce_rce"},
        "bootstrap": {"loss": "bootstrap"},
    }
)
DEFAULT_METHODS = (
    "ce",
    "label_smoothing",
    "gce",
    "truncated_gce",
    "encouraging",
    "jo_soft",
)
DEFAULT_RATES = (0.0, 0.2, 0.4, 0.6, 0.8)
DEFAULT_SEEDS = (0, 1, 2)
NOISE_KINDS = (
    "symmetric",
    "asymmetric",
    "pair",
    "transition_matrix",
    "pseudo_label",
    "instance_dependent",
)


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------
def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_choice(value, choices, name):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"unknown {name} {value!r}; choose one of {', '.join(choices)}"
        )
    return value


def _check_rates(rates):
    if isinstance(rates, (str, bytes)) or not hasattr(rates, "__iter__"):
        rates = [rates]
    rates = list(rates)
    if not rates:
        raise ValueError("rates must hold at least one noise rate in [0, 1]")
    out = []
    for rate in rates:
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise ValueError(f"rates must be numbers in [0, 1], got {rate!r}")
        if not 0.0 <= float(rate) <= 1.0 or np.isnan(rate):
            raise ValueError(f"every rate must be in [0, 1], got {rate!r}")
        out.append(float(rate))
    return sorted(set(out))


def _check_seeds(seeds):
    if _is_int(seeds):
        seeds = [seeds]
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one non-negative int")
    for seed in seeds:
        if not _is_int(seed) or seed < 0:
            raise ValueError(f"seeds must be non-negative ints, got {seed!r}")
    return list(dict.fromkeys(int(s) for s in seeds))


def _check_methods(methods):
    """Return ``{name: classifier params}`` from names or a mapping.

    The optional method ``"cleanlab"`` (a name, or the value of a mapping)
    maps to ``None``; it needs the cleanlab package.
    """
    if isinstance(methods, str):
        methods = [methods]
    if isinstance(methods, Mapping):
        items = list(methods.items())
    else:
        items = []
        for name in methods:
            if not isinstance(name, str) or name not in (*METHODS, CLEANLAB):
                raise ValueError(
                    f"unknown method {name!r}; choose one of {', '.join(METHODS)}, "
                    f"{CLEANLAB}"
                )
            items.append((name, CLEANLAB if name == CLEANLAB else METHODS[name]))
    if not items:
        raise ValueError("methods must name at least one method")
    out = {}
    for name, params in items:
        if not isinstance(name, str):
            raise ValueError(f"method names must be strings, got {name!r}")
        if isinstance(params, str) and params == CLEANLAB:
            if not cleanlab_available():
                raise ValueError(MISSING_CLEANLAB)
            out[name] = None
            continue
        if isinstance(params, str):  # alias of a built-in method
            if params not in METHODS:
                raise ValueError(
                    f"unknown method {params!r} for {name!r}; choose one of "
                    f"{', '.join(METHODS)}, {CLEANLAB}"
                )
            params = METHODS[params]
        if not isinstance(params, Mapping):
            raise ValueError(
                f"method {name!r} must map to a dict of NoisyLabelClassifier "
                f"parameters, got {params!r}"
            )
        params = dict(params)
        try:
            NoisyLabelClassifier(**params)._check_params()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"method {name!r}: {exc}") from exc
        out[name] = params
    return out


def _check_device(device):
    if not isinstance(device, str) or not (
        device == "cpu" or device == "cuda" or device.startswith("cuda:")
    ):
        raise ValueError(f"unknown device {device!r}; choose cpu or cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but torch.cuda.is_available() is False; use cpu"
        )
    return device


def check_benchmark_config(
    dataset="digits",
    *,
    noise=None,
    rates=None,
    methods=DEFAULT_METHODS,
    seeds=DEFAULT_SEEDS,
    max_epochs=50,
    device="cpu",
    n_jobs=1,
    data_dir=None,
    n_train=None,
):
    """Validate the benchmark settings; return them normalised (a dict).

    ``noise=None`` is ``"symmetric"``, or the default label set of a real-noise
    data set; ``rates=None`` is ``DEFAULT_RATES``, or ``None`` (measured) for
    a real-noise data set, which takes no rates. Raises ValueError with a
    message naming the bad setting.
    """
    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise ValueError(
            f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}, or "
            "a .csv, .npz or .npy data file"
        )
    if dataset in REAL_NOISE:
        noise = _check_real_noise(dataset, noise)
        if rates is not None:
            raise ValueError(
                f"rates are for injected noise; {dataset} trains on the human "
                f"labels {noise!r} of {_FILES[dataset][4]}, whose noise rate is "
                "measured: leave rates out"
            )
    else:
        noise = _check_choice(
            "symmetric" if noise is None else noise, NOISE_KINDS, "noise"
        )
        rates = _check_rates(DEFAULT_RATES if rates is None else rates)
    if not _is_int(max_epochs) or max_epochs < 1:
        raise ValueError(f"max_epochs must be an int >= 1, got {max_epochs!r}")
    if not _is_int(n_jobs) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (joblib), got {n_jobs!r}")
    # A stratified split needs 2 samples of each class (10, or 100: cifar100n).
    least = 200 if dataset == "cifar100n" else 20
    if n_train is not None and (not _is_int(n_train) or n_train < least):
        raise ValueError(f"n_train must be None or an int >= {least}, got {n_train!r}")
    return {
        "dataset": dataset,
        "noise": noise,
        "rates": rates,
        "methods": _check_methods(methods),
        "seeds": _check_seeds(seeds),
        "max_epochs": int(max_epochs),
        "device": _check_device(device),
        "n_jobs": int(n_jobs),
        "data_dir": _check_data_dir(dataset, data_dir),
        "n_train": None if n_train is None else int(n_train),
    }


# --------------------------------------------------------------------------------------
# Data, noise and one run
# --------------------------------------------------------------------------------------
def make_benchmark_noise(kind, rate, seed, dataset, n_classes):
    """The injector of a run: noise ``kind`` at ``rate``, seeded by ``seed``.

    ``"asymmetric"`` uses the CIFAR-10 map for cifar10 and the MNIST map of
    Patrini et al. otherwise; ``"transition_matrix"`` keeps ``1 - rate`` on the
    diagonal and spreads ``rate`` over the other classes with Dirichlet(1)
    weights drawn from the seed.
    """
    if kind == "asymmetric":
        mapping = "cifar10" if dataset == "cifar10" else "mnist"
        return make_noise(kind, rate=rate, mapping=mapping, random_state=seed)
    if kind == "transition_matrix":
        rng = np.random.default_rng([seed, 1])
        spread = rng.dirichlet(np.ones(n_classes), size=n_classes)
        spread *= 1 - np.eye(n_classes)
        spread /= spread.sum(axis=1, keepdims=True)
        matrix = (1 - rate) * np.eye(n_classes) + rate * spread
        return make_noise(kind, matrix=matrix, random_state=seed)
    return make_noise(kind, rate=rate, random_state=seed)


def _noisy_labels(kind, rate, seed, dataset, X, y):
    if rate == 0:
        return y.copy()
    injector = make_benchmark_noise(kind, rate, seed, dataset, len(np.unique(y)))
    return np.asarray(injector.fit_resample(X, y)[1])


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


def _fit(task, X, y, module, params, device):
    """Fit one method; return ``(classes, predict_proba, corrected labels, warning)``.

    The corrected labels are ``None`` for a method that does not correct
    labels; for ``"cleanlab"`` they are the labels of its largest out-of-fold
    probabilities where it flags a label issue, the given labels elsewhere.
    """
    if task["params"] is None:  # cleanlab
        params = {"module": module, "device": device, **params}
        fitted = fit_cleanlab(X, y, task["seed"], params)
        return fitted.classes, fitted.predict_proba, fitted.corrected_label, ""
    params = {**params, **task["params"]}
    clf = NoisyLabelClassifier(
        module, device=device, random_state=task["seed"], **params
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorrectionWarning)
        clf.fit(X, y)
    correction_warning = " ".join(
        str(w.message) for w in caught if issubclass(w.category, CorrectionWarning)
    )
    for w in caught:  # pass the others on
        if not issubclass(w.category, CorrectionWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    corrected = getattr(clf, "corrected_labels_", None)
    return clf.classes_, clf.predict_proba, corrected, correction_warning


def _run_one(task, data, device, n_threads):
    """Train one method on one noisy training set; return its result dict."""
    X_tr, y_clean, y_noisy, X_te, y_te, module, base_params = data
    old_threads = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        params = {"max_epochs": task["max_epochs"], **base_params}
        start = time.perf_counter()
        classes, predict_proba, corrected, correction_warning = _fit(
            task, X_tr, y_noisy, module, params, device
        )
        fit_seconds = time.perf_counter() - start
        proba = predict_proba(X_te)
        test_accuracy = float(np.mean(classes[proba.argmax(axis=1)] == y_te))
    finally:
        if n_threads is not None:
            torch.set_num_threads(old_threads)
    flipped = y_noisy != y_clean
    recovery = noisy_recovery = None
    if corrected is not None:
        fixed = corrected == y_clean
        recovery = float(fixed.mean())
        noisy_recovery = float(fixed[flipped].mean()) if flipped.any() else None
    return {
        "dataset": task["dataset"],
        "noise": task["noise"],
        "rate": task["rate"],
        "method": task["method"],
        "seed": task["seed"],
        "max_epochs": task["max_epochs"],
        "n_train": len(y_clean),
        "n_test": len(y_te),
        "noise_rate": float(flipped.mean()),
        "test_accuracy": test_accuracy,
        **_calibration_scores(y_te, proba, classes),
        "label_recovery": recovery,
        "noisy_label_recovery": noisy_recovery,
        "fit_seconds": fit_seconds,
        "correction_warning": correction_warning or None,
    }


def run_benchmark(
    dataset="digits",
    *,
    noise=None,
    rates=None,
    methods=DEFAULT_METHODS,
    seeds=DEFAULT_SEEDS,
    max_epochs=50,
    device="cpu",
    n_jobs=1,
    data_dir=None,
    n_train=None,
    output=None,
    progress=True,
):
    """Train every method at every noise rate and seed; return one dict per run.

    Noise is injected into the training split only, seeded by the run's seed:
    for a given seed and rate every method trains on the same noisy labels.
    ``cifar10n`` and ``cifar100n`` have real noise instead: every run trains
    on a human label set of the CIFAR-N release, nothing is injected, and the
    one "rate" is the measured noise rate. Each run fits a
    :class:`~sknoisy.NoisyLabelClassifier` (``random_state`` is the seed) and
    is scored on the clean test labels.

    Parameters
    ----------
    dataset : {"digits", "mnist1d", "cifar10", "cifar10n", "cifar100n"}, \
default="digits"
        ``"digits"``: scikit-learn's 8x8 digits, ``X / 16``, stratified 70/30
        split (``random_state=0``), :class:`~sknoisy.models.MLP`.
        ``"mnist1d"``: :func:`~sknoisy.datasets.load_mnist1d` (5000 signals,
        4000/1000), :class:`~sknoisy.models.CNN1D`. ``"cifar10"``: a local copy
        in ``data_dir`` (:func:`~sknoisy.datasets.load_cifar10`, standardised),
        :class:`~sknoisy.models.PreActResNet32`, batch size 128.
        ``"cifar10n"``, ``"cifar100n"``: the same with the human labels of
        :func:`~sknoisy.datasets.load_cifar10n` and
        :func:`~sknoisy.datasets.load_cifar100n`; label recovery is measured
        against the release's ``clean_label``.
    noise : str, default=None
        ``None`` is ``"symmetric"``, or ``"worse"`` for cifar10n and
        ``"noisy"`` for cifar100n. For cifar10n the label set ``"aggre"``,
        ``"worse"``, ``"random1"``, ``"random2"`` or ``"random3"`` (or its key,
        e.g. ``"worse_label"``); for cifar100n ``"noisy"``. Otherwise
        a kind of :func:`sknoisy.noise.make_noise`: ``"symmetric"`` (flip to
        another class), ``"asymmetric"`` (MNIST map of Patrini et al. for
        digits and mnist1d, CIFAR-10 map for cifar10), ``"pair"``,
        ``"transition_matrix"`` (``1 - rate`` on the diagonal, ``rate`` spread
        over the other classes with random Dirichlet weights),
        ``"pseudo_label"`` or ``"instance_dependent"``. Rate 0 means no noise
        for every kind.
    rates : sequence of float, default=None
        Noise rates, each in [0, 1]; ``None`` is ``(0.0, 0.2, 0.4, 0.6,
        0.8)``. Must be ``None`` for cifar10n and cifar100n (a ValueError
        otherwise): their one rate is the measured fraction of human labels
        that differ from ``clean_label``.
    methods : sequence of str or dict, default=DEFAULT_METHODS
        Names of :data:`METHODS` (``"ce"``, ``"label_smoothing"``, ``"gce"``,
        ``"truncated_gce"``, ``"encouraging"``, ``"jo_soft"``, ``"jo_hard"``,
        ``"mae"``, ``"sce"``, ``"nce_rce"``, ``"bootstrap"``), or a dict
        ``{name: NoisyLabelClassifier parameters}`` for custom settings, e.g.
        ``{"gce_q0.3": {"loss": "gce", "q": 0.3}}``. The optional method
        ``"cleanlab"`` (needs the cleanlab package; a ValueError without it)
        is cleanlab's ``CleanLearning`` around a
        :class:`~sknoisy.NoisyLabelClassifier` with the data set's network and
        ``max_epochs``: it flags label issues from out-of-fold probabilities
        (5-fold), drops them and refits, so it trains six networks per run.
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the noise and of the classifiers.
    max_epochs : int, default=50
        Training epochs of every run.
    device : {"cpu", "cuda"}, default="cpu"
        Torch device (``"cuda:1"`` works too).
    n_jobs : int, default=1
        Runs trained in parallel by joblib, each run one job; torch uses one
        thread inside each parallel worker. ``-1`` uses every core.
    data_dir : str or path-like, default=None
        For ``"cifar10"`` (required): the folder holding
        ``cifar-10-batches-py/``; for ``"cifar10n"`` also
        ``CIFAR-10_human.pt``; for ``"cifar100n"``, ``cifar-100-python/`` and
        ``CIFAR-100_human.pt``. For ``"mnist1d"``: a cache folder.
    n_train : int, default=None
        Use a stratified subset of this many training samples (quick checks).
    output : str or path-like, default=None
        If given, :func:`save_results` writes ``runs.csv``, ``results.json``,
        ``table.txt`` and ``accuracy.png`` there.
    progress : bool, default=True
        Show a tqdm progress bar over the runs (on stderr).

    Returns
    -------
    results : list of dict
        One dict per run with the keys of ``RESULT_FIELDS``: ``dataset``,
        ``noise``, ``rate``, ``method``, ``seed``, ``max_epochs``,
        ``n_train``, ``n_test``, ``noise_rate`` (realized fraction of changed
        training labels), ``test_accuracy`` (clean test labels), ``ece``,
        ``nll`` and ``brier`` (calibration of ``predict_proba`` on the clean
        test labels: :func:`~sknoisy.metrics.expected_calibration_error` with
        15 bins, :func:`~sknoisy.metrics.negative_log_likelihood` and
        :func:`~sknoisy.metrics.brier_score`), ``confidence`` (mean largest
        predicted probability on the test set: above ``test_accuracy`` means
        overconfident, below underconfident),
        ``label_recovery`` (fraction of ``corrected_labels_`` equal to the
        clean training labels; for cleanlab, the label of its largest
        out-of-fold probability where it flags an issue and the given label
        elsewhere; ``None`` for methods that do not correct),
        ``noisy_label_recovery`` (the same over the flipped samples only),
        ``correction_warning`` (the message of a
        :class:`~sknoisy.exceptions.CorrectionWarning`, when correction never
        started or ran for fewer than ``correction_window`` epochs) and
        ``fit_seconds``.

    Raises
    ------
    ValueError
        For an unknown dataset, method, noise kind or device, a rate outside
        [0, 1], rates for a real-noise data set, a missing CIFAR-10 folder or
        CIFAR-N file (the message shows the layout), or a CIFAR-N label file
        not in the release's layout (the message names the file).

    See Also
    --------
    summarize_results, format_table, save_results

    Examples
    --------
    >>> from sknoisy.benchmark import run_benchmark, summarize_results
    >>> results = run_benchmark(rates=[0.4], methods=["ce", "gce"], seeds=[0],
    ...                         max_epochs=2, n_train=200, progress=False)
    >>> [(r["method"], r["rate"], round(r["noise_rate"], 2)) for r in results]
    [('ce', 0.4, 0.35), ('gce', 0.4, 0.35)]
    >>> len(summarize_results(results))
    2
    """
    config = check_benchmark_config(
        dataset,
        noise=noise,
        rates=rates,
        methods=methods,
        seeds=seeds,
        max_epochs=max_epochs,
        device=device,
        n_jobs=n_jobs,
        data_dir=data_dir,
        n_train=n_train,
    )
    X_tr, y_tr, y_human, X_te, y_te, module, base_params = _load_data(
        config["dataset"], config["data_dir"], config["n_train"], config["noise"]
    )
    if y_human is not None:  # real noise: one "rate", the measured one
        config["rates"] = [round(float(np.mean(y_human != y_tr)), 4)]
    data = (X_tr, y_tr, y_human, X_te, y_te, module, base_params)
    results = _run_all(config, data, progress)
    if output is not None:
        public = {k: v for k, v in config.items() if k not in ("methods", "data_dir")}
        public["methods"] = _public_methods(config["methods"])
        public["data_dir"] = None if data_dir is None else str(data_dir)
        save_results(results, output, config=public)
    return results


def _public_methods(methods):
    """The methods of a config as saved: ``"cleanlab"`` for cleanlab's ``None``."""
    return {k: CLEANLAB if v is None else v for k, v in methods.items()}


def _run_all(config, data, progress):
    """Train every method at every rate and seed of ``config`` on ``data``.

    ``data`` is ``(X_train, y_train, y_human, X_test, y_test, module,
    params)``: the clean training labels, the human labels of a real-noise
    data set (``None``: noise is injected at every rate and seed), the clean
    test split, the network class and extra classifier parameters. Returns
    the result dicts sorted by rate, method and seed.
    """

    X_tr, y_tr, y_human, X_te, y_te, module, base_params = data
    jobs = []
    for rate in config["rates"]:
        for seed in config["seeds"]:
            y_noisy = y_human
            if y_human is None:
                y_noisy = _noisy_labels(
                    config["noise"], rate, seed, config["dataset"], X_tr, y_tr
                )
            run_data = (X_tr, y_tr, y_noisy, X_te, y_te, module, base_params)
            for name, params in config["methods"].items():
                task = {
                    "dataset": config["dataset"],
                    "noise": config["noise"],
                    "rate": rate,
                    "method": name,
                    "seed": seed,
                    "max_epochs": config["max_epochs"],
                    "params": params,
                }
                jobs.append((task, run_data))

    results = run_parallel(
        _run_one,
        [(task, run_data, config["device"]) for task, run_data in jobs],
        config["n_jobs"],
        progress,
        lambda r: f"{r['method']} rate={r['rate']:g} seed={r['seed']}",
    )
    method_order = {name: i for i, name in enumerate(config["methods"])}
    results.sort(key=lambda r: (r["rate"], method_order[r["method"]], r["seed"]))
    return results
