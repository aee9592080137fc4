"""The settings of a benchmark: one validated, frozen :class:`BenchmarkConfig`."""

from __future__ import annotations

import numbers
import os
import types
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from ._cleanlab import CLEANLAB, MISSING_CLEANLAB, cleanlab_available
from ._data import _FILES, DATASETS, REAL_NOISE, _check_data_dir, _check_real_noise
from ._userdata import is_data_file

__all__ = [
    "DEFAULT_METHODS",
    "DEFAULT_RATES",
    "DEFAULT_SEEDS",
    "DEFAULT_TEST_SIZE",
    "METHODS",
    "NOISE_KINDS",
    "BenchmarkConfig",
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
        "elr": {"loss": "elr"},
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
#: Share of a data file's samples held out by default.
DEFAULT_TEST_SIZE = 0.2
NOISE_KINDS = (
    "symmetric",
    "asymmetric",
    "pair",
    "transition_matrix",
    "pseudo_label",
    "instance_dependent",
)


# --------------------------------------------------------------------------------------
# Checks of single settings
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
    return tuple(sorted(set(out)))


def _check_seeds(seeds):
    if _is_int(seeds):
        seeds = [seeds]
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one non-negative int")
    for seed in seeds:
        if not _is_int(seed) or seed < 0:
            raise ValueError(f"seeds must be non-negative ints, got {seed!r}")
    return tuple(dict.fromkeys(int(s) for s in seeds))


def _method_items(methods):
    """``(name, params or alias)`` pairs of method names or a mapping."""
    if isinstance(methods, str):
        methods = [methods]
    if isinstance(methods, Mapping):
        return list(methods.items())
    items = []
    for name in methods:
        if not isinstance(name, str) or name not in (*METHODS, CLEANLAB):
            raise ValueError(
                f"unknown method {name!r}; choose one of {', '.join(METHODS)}, "
                f"{CLEANLAB}"
            )
        items.append((name, name))
    return items


def _check_methods(methods):
    """``{name: classifier params, or "cleanlab"}`` from names or a mapping.

    The values of the parameters are checked by the classifier when a run
    fits it (the error then names the method).
    """
    items = _method_items(methods)
    if not items:
        raise ValueError("methods must name at least one method")
    out = {}
    for name, params in items:
        if not isinstance(name, str):
            raise ValueError(f"method names must be strings, got {name!r}")
        if isinstance(params, str) and params == CLEANLAB:
            if not cleanlab_available():
                raise ValueError(MISSING_CLEANLAB)
            out[name] = CLEANLAB
            continue
        if isinstance(params, str):  # a built-in method's name
            if params not in METHODS:
                raise ValueError(
                    f"unknown method {params!r} for {name!r}; choose one of "
                    f"{', '.join(METHODS)}, {CLEANLAB}"
                )
            params = METHODS[params]
        if not isinstance(params, Mapping) or not all(map(_is_name, params)):
            raise ValueError(
                f"method {name!r} must map to a dict of NoisyLabelClassifier "
                f"parameters, got {params!r}"
            )
        out[name] = dict(params)
    return out


def _is_name(key):
    return isinstance(key, str) and key.isidentifier()


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


def _check_training(config, least_n_train):
    """``max_epochs``, ``n_jobs`` and ``n_train`` (at least ``least_n_train``)."""
    if not _is_int(config.max_epochs) or config.max_epochs < 1:
        raise ValueError(f"max_epochs must be an int >= 1, got {config.max_epochs!r}")
    if not _is_int(config.n_jobs) or config.n_jobs == 0:
        raise ValueError(
            f"n_jobs must be a non-zero int (joblib), got {config.n_jobs!r}"
        )
    n_train = config.n_train
    if n_train is not None and (not _is_int(n_train) or n_train < least_n_train):
        raise ValueError(
            f"n_train must be None or an int >= {least_n_train}, got {n_train!r}"
        )
    return {
        "max_epochs": int(config.max_epochs),
        "n_jobs": int(config.n_jobs),
        "n_train": None if n_train is None else int(n_train),
    }


def _check_runs(config):
    """The methods, seeds and device."""
    return {
        "methods": _check_methods(config.methods),
        "seeds": _check_seeds(config.seeds),
        "device": _check_device(config.device),
    }


# --------------------------------------------------------------------------------------
# Checks of a whole configuration, for each kind of data
# --------------------------------------------------------------------------------------
def _check_builtin(config):
    dataset = config.dataset
    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise ValueError(
            f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}, or "
            "a .csv, .npz or .npy data file"
        )
    for name in ("target", "test_size"):
        if getattr(config, name) is not None:
            raise ValueError(
                f"{name} is for data files; {dataset!r} is a built-in data set"
            )
    noise, rates = config.noise, config.rates
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
    # A stratified split needs 2 samples of each class (10, or 100: cifar100n).
    least = 200 if dataset == "cifar100n" else 20
    return {
        "noise": noise,
        "rates": rates,
        **_check_training(config, least),
        **_check_runs(config),
        "data_dir": _check_data_dir(dataset, config.data_dir),
    }


def _check_file(config):
    if config.data_dir is not None:
        raise ValueError(
            "data_dir is for the built-in data sets; a data file needs no data folder"
        )
    test_size = DEFAULT_TEST_SIZE if config.test_size is None else config.test_size
    noise, rates = config.noise, config.rates
    if noise is not None or rates is not None:  # the file's labels are clean
        noise = _check_choice(
            "symmetric" if noise is None else noise, NOISE_KINDS, "noise"
        )
        rates = _check_rates(DEFAULT_RATES if rates is None else rates)
        if isinstance(test_size, (int, float)) and test_size == 0:
            raise ValueError(
                "noise is injected to score the methods on the clean labels of a "
                "held-out split; test_size 0 holds none out"
            )
    if isinstance(test_size, bool) or not (
        isinstance(test_size, (int, float)) and 0 <= test_size <= 0.5
    ):
        raise ValueError(f"test_size must be a number in [0, 0.5], got {test_size!r}")
    return {
        "noise": noise,
        "rates": rates,
        "test_size": float(test_size),
        **_check_training(config, 2),
        **_check_runs(config),
    }


@dataclass(frozen=True)
class BenchmarkConfig:
    """The settings of a benchmark, checked and normalised when created.

    One configuration describes every kind of benchmark: a built-in data set
    with injected noise (``digits``, ``mnist1d``, ``cifar10``), a data set
    with real label noise (``cifar10n``, ``cifar100n``), a user's data file
    whose labels are already noisy, or a data file whose labels are taken as
    clean (``noise`` or ``rates`` given: noise is injected). Pass it to
    :func:`run`.

    Parameters
    ----------
    dataset : str or path-like, default="digits"
        A name of :data:`DATASETS`, or a ``.csv``, ``.npz`` or ``.npy`` file
        (see :func:`load_data_file`).
    target : str, default=None
        Data files only: the label column of a ``.csv`` file, or the labels
        ``.npy`` file that goes with a features ``.npy`` file.
    noise : str, default=None
        A kind of :data:`NOISE_KINDS` (``None``: ``"symmetric"``), or a noise
        name of :data:`REAL_NOISE` for a real-noise data set (``None``: its
        default, :data:`DEFAULT_REAL_NOISE`). For a data file, ``None`` with
        ``rates=None`` takes the labels as given (noisy).
    rates : sequence of float, default=None
        Noise rates in [0, 1]; ``None`` is :data:`DEFAULT_RATES`. Must be
        ``None`` for a real-noise data set, whose rate is measured.
    methods : sequence of str or dict, default=DEFAULT_METHODS
        Names of :data:`METHODS` and ``"cleanlab"``, or ``{name:
        NoisyLabelClassifier parameters}``; the classifier checks the values
        when a run fits it.
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the noise and of the classifiers.
    max_epochs : int, default=50
        Training epochs of every run.
    device : str, default="cpu"
        Torch device (``"cpu"``, ``"cuda"`` or ``"cuda:N"``).
    n_jobs : int, default=1
        Runs trained in parallel by joblib (``-1``: every core).
    data_dir : str or path-like, default=None
        Built-in data sets only: the folder of the CIFAR files, or the cache
        folder of ``mnist1d``.
    n_train : int, default=None
        Train on a stratified subset of this many training samples.
    test_size : float, default=None
        Data files only: share of the samples held out, in [0, 0.5] (``None``:
        :data:`DEFAULT_TEST_SIZE`; 0 holds none out, only without injected
        noise).

    Attributes
    ----------
    is_file : bool
        Whether ``dataset`` is a user's data file.
    injects_noise : bool
        Whether noise is injected into clean training labels at every rate.

    Raises
    ------
    ValueError
        For any setting out of its range, with a message naming it.

    Examples
    --------
    >>> from sknoisy.benchmark import BenchmarkConfig
    >>> config = BenchmarkConfig(rates=[0.4, 0.2], methods=["ce"], seeds=0)
    >>> config.rates, config.seeds, config.noise
    ((0.2, 0.4), (0,), 'symmetric')
    >>> BenchmarkConfig(max_epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: max_epochs must be an int >= 1, got 0
    """

    dataset: str | os.PathLike = "digits"
    target: str | None = None
    noise: str | None = None
    rates: tuple | None = None
    methods: dict = field(default=DEFAULT_METHODS, hash=False)
    seeds: tuple = DEFAULT_SEEDS
    max_epochs: int = 50
    device: str = "cpu"
    n_jobs: int = 1
    data_dir: str | os.PathLike | None = None
    n_train: int | None = None
    test_size: float | None = None

    def __post_init__(self):
        checked = _check_file(self) if self.is_file else _check_builtin(self)
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @property
    def is_file(self):
        """Whether ``dataset`` names a user's data file."""
        return is_data_file(self.dataset)

    @property
    def injects_noise(self):
        """Whether noise is injected into clean training labels."""
        return self.rates is not None
