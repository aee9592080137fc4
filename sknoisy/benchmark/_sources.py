"""Where the data of a benchmark come from: one :class:`BenchmarkData` per source.

A source turns a :class:`~sknoisy.benchmark.BenchmarkConfig` into a
:class:`BenchmarkData`: the built-in data sets (:func:`builtin_source`, real
noise included) and a user's data file (:func:`file_source`). The training
labels of each run come from :meth:`BenchmarkData.training_labels`: labels
given with the data (human labels, a file's noisy labels), or noise injected
into the clean labels (:func:`inject_noise`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..noise import from_cleanlab_noise_matrix, make_noise
from ._data import _load_data
from ._userdata import DataFileError, _label, load_data_file

__all__ = [
    "BenchmarkData",
    "builtin_source",
    "file_source",
    "inject_noise",
    "load_source",
    "make_benchmark_noise",
]


@dataclass(frozen=True)
class BenchmarkData:
    """The arrays of a benchmark, from any source.

    Parameters
    ----------
    name : str
        The data set's name in the results (a file's name for a data file).
    X_train, X_test : array-like
        Training and test (or held-out) samples; ``X_test`` is ``None`` when
        nothing is held out.
    y_clean : ndarray or None
        The clean training labels; ``None`` when they are unknown (a data
        file whose labels are already noisy).
    y_given : ndarray or None
        Training labels given with the data, trained on as they are: the
        human labels of a real-noise data set, or a data file's noisy labels.
        ``None``: noise is injected into ``y_clean`` at every rate and seed.
    y_test : ndarray
        The test labels: clean when ``y_clean`` is known, else as given.
    module : type, default=None
        The network class (``None``: the classifier's default).
    params : dict, default={}
        Other parameters of the classifier (``batch_size``...).
    info : dict, default={}
        What the data are, for reports (file, sizes, classes, split).
    """

    name: str
    X_train: object
    y_clean: np.ndarray | None
    y_given: np.ndarray | None
    X_test: object
    y_test: np.ndarray
    module: type | None = None
    params: dict = field(default_factory=dict, hash=False)
    info: dict = field(default_factory=dict, hash=False)

    def training_labels(self, noise, rate, seed):
        """The training labels of one run.

        Parameters
        ----------
        noise : str
            Kind of injected noise (see :func:`inject_noise`).
        rate : float
            Noise rate.
        seed : int
            Seed of the noise.

        Returns
        -------
        y : ndarray of shape (n_train,)
            ``y_given`` when the data come with their labels, else ``y_clean``
            with noise of kind ``noise`` injected at ``rate``.
        """
        if self.y_given is not None:
            return self.y_given
        return inject_noise(self.X_train, self.y_clean, noise, rate, seed, self.name)

    def rates(self, injected):
        """The noise rates of the runs.

        Parameters
        ----------
        injected : sequence of float or None
            The rates of injected noise (of the configuration).

        Returns
        -------
        rates : list
            ``injected`` for injected noise; the measured rate (4 decimals)
            of given labels whose clean labels are known; ``[None]`` when the
            clean labels are unknown.
        """
        if self.y_given is None:
            return list(injected)
        if self.y_clean is None:
            return [None]
        return [round(float(np.mean(self.y_given != self.y_clean)), 4)]


# --------------------------------------------------------------------------------------
# Injected noise
# --------------------------------------------------------------------------------------
def make_benchmark_noise(kind, rate, seed, dataset, n_classes):
    """The injector of a run: noise ``kind`` at ``rate``, seeded by ``seed``.

    Parameters
    ----------
    kind : str
        A kind of :data:`~sknoisy.benchmark.NOISE_KINDS`.
    rate : float
        Noise rate in [0, 1].
    seed : int
        Seed of the injector (and of a ``"transition_matrix"``'s weights).
    dataset : str or None
        The data set's name: ``"asymmetric"`` uses the CIFAR-10 map for
        ``"cifar10"`` and the MNIST map of Patrini et al. otherwise.
    n_classes : int
        Number of classes.

    Returns
    -------
    injector : sknoisy.noise.BaseNoise
        Unfitted; ``"transition_matrix"`` keeps ``1 - rate`` on the diagonal
        and spreads ``rate`` over the other classes with Dirichlet(1) weights
        drawn from the seed.
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


def _random_matrix(y, rate, seed):
    """cleanlab's random noise matrix with trace ``n_classes * (1 - rate)``."""
    from cleanlab.benchmarking.noise_generation import (
        generate_noise_matrix_from_trace,
    )

    c = len(np.unique(y))
    py = np.bincount(y, minlength=c) / len(y)
    cl_matrix = generate_noise_matrix_from_trace(
        c, c * (1 - rate), py=py, valid_noise_matrix=True, seed=seed
    )
    matrix = from_cleanlab_noise_matrix(cl_matrix)
    return make_noise("transition_matrix", matrix=matrix, random_state=seed)


def inject_noise(X, y, kind, rate, seed, dataset=None):
    """Training labels with noise of ``kind`` injected at ``rate``.

    Every benchmark run with the same seed and rate gets the same labels.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Training samples (read by the feature-dependent kinds).
    y : array-like of shape (n_samples,)
        Clean training labels; not modified.
    kind : str
        A kind of :data:`~sknoisy.benchmark.NOISE_KINDS` (see
        :func:`make_benchmark_noise`), or ``"random_matrix"``: a random
        class-conditional transition matrix from cleanlab's
        ``generate_noise_matrix_from_trace`` with trace ``n_classes * (1 -
        rate)`` (needs cleanlab and labels ``0 .. n_classes - 1``).
    rate : float
        Noise rate in [0, 1]; 0 returns a copy of ``y``.
    seed : int
        Seed of the noise.
    dataset : str, default=None
        The data set's name (selects the map of ``"asymmetric"``).

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The noisy labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.benchmark import inject_noise
    >>> y = np.repeat(np.arange(4), 25)
    >>> y_noisy = inject_noise(np.zeros((100, 1)), y, "symmetric", 0.4, seed=0)
    >>> 0.2 < np.mean(y_noisy != y) < 0.6
    np.True_
    """
    y = np.asarray(y)
    if rate == 0:
        return y.copy()
    if kind == "random_matrix":
        injector = _random_matrix(y, rate, seed)
    else:
        injector = make_benchmark_noise(kind, rate, seed, dataset, len(np.unique(y)))
    return np.asarray(injector.fit_resample(X, y)[1])


# --------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------
def builtin_source(config):
    """The data of a built-in data set (real noise included).

    Parameters
    ----------
    config : BenchmarkConfig
        Its ``dataset``, ``data_dir``, ``n_train`` and ``noise`` (the human
        label set of a real-noise data set).

    Returns
    -------
    data : BenchmarkData
        The data set's split, network and classifier parameters (see
        :func:`~sknoisy.benchmark.run_benchmark`).
    """
    X_tr, y_tr, y_human, X_te, y_te, module, params = _load_data(
        config.dataset, config.data_dir, config.n_train, config.noise
    )
    info = {"name": config.dataset, "n_train": len(y_tr), "n_test": len(y_te)}
    return BenchmarkData(
        config.dataset, X_tr, y_tr, y_human, X_te, y_te, module, params, info
    )


def file_source(config):
    """The data of a user's file, split and standardised.

    A stratified share ``config.test_size`` of the samples
    (``random_state=0``) is held out; the features are standardised on the
    rest. The labels are clean when ``config`` injects noise, else as given.

    Parameters
    ----------
    config : BenchmarkConfig
        Its ``dataset`` (the file), ``target``, ``test_size``, ``n_train``
        and ``noise``.

    Returns
    -------
    data : BenchmarkData
        ``info`` holds the file, sizes, classes and split, and per training
        sample its ``train_index`` and ``train_labels``.

    Raises
    ------
    DataFileError
        A file that cannot be read or split as it is.
    """
    data = load_data_file(config.dataset, config.target)
    if config.noise == "asymmetric":
        _check_asymmetric_labels(data)
    (X_tr, y_tr, X_te, y_te), info = _prepare(data, config.test_size, config.n_train)
    clean, given = (y_tr, None) if config.injects_noise else (None, y_tr)
    return BenchmarkData(data.name, X_tr, clean, given, X_te, y_te, info=info)


def load_source(config):
    """The :class:`BenchmarkData` of a configuration, from its source.

    Parameters
    ----------
    config : BenchmarkConfig
        The benchmark's settings.

    Returns
    -------
    data : BenchmarkData
        From :func:`file_source` for a data file, else from
        :func:`builtin_source`.
    """
    return (file_source if config.is_file else builtin_source)(config)


def _check_asymmetric_labels(data):
    # make_benchmark_noise uses the MNIST map of Patrini et al. for a file.
    labels = data.classes[0]
    if labels.dtype.kind not in "iu" or not set(labels.tolist()) <= set(range(10)):
        raise DataFileError(
            f"{data.name}: noise 'asymmetric' uses the MNIST map of Patrini et al. "
            "(2 -> 7, 3 -> 8, 5 <-> 6, 7 -> 1) and needs the labels 0-9; the file's "
            f"labels are {', '.join(_label(c) for c in labels[:5])}"
            f"{', ...' if len(labels) > 5 else ''}. Use pair or transition_matrix."
        )


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
