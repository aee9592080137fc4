"""The benchmark's built-in data sets: names, file checks and loading.

``cifar10n`` and ``cifar100n`` come with real (human) label noise: their noise
is a label set of the CIFAR-N release, not an injector, and their noise rate is
measured rather than chosen.
"""

from __future__ import annotations

import os
import types
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ..datasets._real_noise import (
    CIFAR10N_FILE,
    CIFAR10N_NOISE,
    CIFAR100N_FILE,
    CIFAR100N_NOISE,
)

__all__ = ["DATASETS", "DEFAULT_REAL_NOISE", "REAL_NOISE", "load_benchmark_data"]

DATASETS = ("digits", "mnist1d", "cifar10", "cifar10n", "cifar100n")
#: Data sets with real label noise -> {noise name: key of their label file}.
REAL_NOISE = types.MappingProxyType(
    {
        "cifar10n": types.MappingProxyType(dict(CIFAR10N_NOISE)),
        "cifar100n": types.MappingProxyType(dict(CIFAR100N_NOISE)),
    }
)
#: Data sets with real label noise -> the noise name used by default.
DEFAULT_REAL_NOISE = types.MappingProxyType({"cifar10n": "worse", "cifar100n": "noisy"})
_CIFAR10_FILES = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
    "batches.meta",
)
# dataset -> (title, its images, image folder, its files, label file or None)
_FILES = {
    "cifar10": ("CIFAR-10", "CIFAR10", "cifar-10-batches-py", _CIFAR10_FILES, None),
    "cifar10n": (
        "CIFAR-10N",
        "CIFAR10",
        "cifar-10-batches-py",
        _CIFAR10_FILES,
        CIFAR10N_FILE,
    ),
    "cifar100n": (
        "CIFAR-100N",
        "CIFAR100",
        "cifar-100-python",
        ("train", "test", "meta"),
        CIFAR100N_FILE,
    ),
}


def _layout_error(dataset, data_dir, missing):
    title, images, folder, files, label_file = _FILES[dataset]
    root = Path(data_dir) if data_dir is not None else Path("<data-dir>")
    lines = [f"    {root}/{folder}/{f}" for f in files]
    get = (
        "sknoisy never downloads data; get a copy with torchvision.datasets."
        f"{images}(<data-dir>, download=True)"
    )
    holding = f"{title} in torchvision's layout"
    if label_file is not None:
        lines.append(
            f"    {root}/{label_file}   (the CIFAR-N release's label file, "
            "github.com/UCSC-REAL/cifar-10-100n)"
        )
        get += f" and {label_file} from the CIFAR-N release"
        holding = f"{images} in torchvision's layout and {label_file}"
    if data_dir is None:
        what = (
            f"dataset={dataset!r} needs data_dir (--data-dir), the local folder "
            f"holding {holding}"
        )
    else:
        what = f"{title} not found under data_dir={str(data_dir)!r}: missing "
        what += ", ".join(missing)
    layout = "\n".join(lines)
    return ValueError(f"{what}. Expected layout:\n{layout}\n{get}.")


def _check_data_dir(dataset, data_dir):
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise ValueError(f"data_dir must be a path, got {data_dir!r}")
    if dataset not in _FILES:
        return data_dir
    if data_dir is None:
        raise _layout_error(dataset, None, [])
    _, _, folder_name, files, label_file = _FILES[dataset]
    folder = Path(data_dir).expanduser() / folder_name
    missing = [f for f in files if not (folder / f).is_file()]
    if missing and not folder.is_dir():
        missing = [f"{folder.name}/"]
    if label_file is not None and not (folder.parent / label_file).is_file():
        missing.append(label_file)
    if missing:
        raise _layout_error(dataset, data_dir, missing)
    return data_dir


def _check_real_noise(dataset, noise):
    """The noise name of a real-noise data set (a label file key accepted too)."""
    names = REAL_NOISE[dataset]
    if noise is None:
        return DEFAULT_REAL_NOISE[dataset]
    by_key = {key: name for name, key in names.items()}
    if isinstance(noise, str) and noise in by_key:
        return by_key[noise]
    if not isinstance(noise, str) or noise not in names:
        choices = ", ".join(f"{n} ({k})" for n, k in names.items())
        raise ValueError(
            f"unknown noise {noise!r} for {dataset}, whose noise is a human label "
            f"set of {_FILES[dataset][4]}; choose one of {choices}"
        )
    return noise


def _load_data(dataset, data_dir=None, n_train=None, noise=None):
    """``(X_train, y_train, y_human, X_test, y_test, module, params)``.

    ``y_train`` are the clean training labels; ``y_human`` the human labels
    named by ``noise`` for a real-noise data set, else ``None``.
    """
    from ..models import CNN1D, MLP, PreActResNet32

    params, y_human = {}, None
    if dataset == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        module = MLP
    elif dataset == "mnist1d":
        from ..datasets import load_mnist1d

        data = load_mnist1d(n_samples=5000, random_state=0, data_home=data_dir)
        X_tr, y_tr, X_te, y_te = data.X_train, data.y_train, data.X_test, data.y_test
        module = CNN1D
    else:
        from ..datasets import load_cifar10, load_cifar10n, load_cifar100n

        if dataset == "cifar10":
            data = load_cifar10(data_dir, normalize=True)
            y_tr = data.y_train
        else:
            loader = load_cifar10n if dataset == "cifar10n" else load_cifar100n
            data = loader(data_dir, noise=noise, normalize=True)
            y_tr, y_human = data.y_train_clean, data.y_train
        X_tr, X_te, y_te = data.X_train, data.X_test, data.y_test
        module, params = PreActResNet32, {"batch_size": 128}
    if n_train is not None and n_train < len(y_tr):
        # the same stratified subset of the images, clean and human labels
        arrays = [X_tr, y_tr] + ([] if y_human is None else [y_human])
        parts = train_test_split(
            *arrays, train_size=n_train, stratify=y_tr, random_state=0
        )
        X_tr, y_tr = parts[0], parts[2]
        y_human = None if y_human is None else parts[4]
    return X_tr, np.asarray(y_tr), y_human, X_te, np.asarray(y_te), module, params


def load_benchmark_data(dataset, data_dir=None, n_train=None):
    """Train/test arrays and the network of a benchmark data set.

    Parameters
    ----------
    dataset : str
        A name of :data:`DATASETS` (see :func:`run_benchmark`).
    data_dir : str or path-like, default=None
        The folder of the CIFAR files, or the cache folder of ``mnist1d``.
    n_train : int, default=None
        Keep a stratified subset of this many training samples.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        The split, with the clean training labels (for ``cifar10n`` and
        ``cifar100n``, the release's ``clean_label``).
    module : type
        The network class of the data set.
    params : dict
        Extra classifier parameters (``batch_size`` for CIFAR).

    Examples
    --------
    >>> from sknoisy.benchmark import load_benchmark_data
    >>> X_tr, y_tr, X_te, y_te, module, params = load_benchmark_data(
    ...     "digits", n_train=200)
    >>> X_tr.shape, X_te.shape, module.__name__, params
    ((200, 64), (540, 64), 'MLP', {})
    """
    X_tr, y_tr, _, X_te, y_te, module, params = _load_data(
        dataset, data_dir, n_train, noise=DEFAULT_REAL_NOISE.get(dataset)
    )
    return X_tr, y_tr, X_te, y_te, module, params
