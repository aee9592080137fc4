"""Data set loaders returning numpy arrays ready for sknoisy's estimators.

Every loader returns a :class:`sklearn.utils.Bunch` with ``X_train``, ``y_train``,
``X_test``, ``y_test`` (``X`` float32, ``y`` int64), ``classes`` (class names, list
of str) and ``DESCR``. Images are ``(n, C, H, W)`` with values in ``[0, 1]``
unless ``normalize=True``.

Nothing is downloaded: MNIST-1D is generated locally by the ``mnist1d`` package,
and the image data sets are read from the user's local copy in torchvision's
folder layout.
"""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..utils._docstring import Substitution

__all__ = [
    "load_mnist1d",
    "load_cifar10",
    "load_cifar100",
    "load_mnist",
    "load_fashion_mnist",
]


def _normalize_doc(which="each"):
    return (
        "normalize : bool, default=False\n        ``False`` keeps pixel values in "
        f"``[0, 1]``; ``True`` standardises {which}\n        channel with the "
        "training split's mean and standard deviation"
    )


# Docstring parts of the loaders (the real-noise loaders use them too).
_DOC_PARTS = {
    "normalize": _normalize_doc(),
    "returns": "Returns\n    -------\n    data : :class:`~sklearn.utils.Bunch`\n"
    "        ``X_train`` float32 of shape",
    "raises": "Raises\n    ------\n    FileNotFoundError\n        When a file is "
    "missing; the message shows the expected layout.",
}
_fill_doc = Substitution(**_DOC_PARTS)


# --------------------------------------------------------------------------------------
# MNIST-1D
# --------------------------------------------------------------------------------------
def _mnist1d_seed(random_state):
    if isinstance(random_state, (int, np.integer)) and not isinstance(
        random_state, bool
    ):
        if not 0 <= random_state < 2**32:
            raise ValueError(
                f"random_state must be in [0, 2**32) as an int, got {random_state}"
            )
        return int(random_state)
    if random_state is not None and not isinstance(
        random_state, (np.random.Generator, np.random.RandomState)
    ):
        raise TypeError(
            "random_state must be None, an int, a numpy Generator or a numpy "
            f"RandomState, got {random_state!r}"
        )
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(check_random_state(random_state).randint(2**31 - 1))


@_fill_doc
def load_mnist1d(
    n_samples=5000,
    *,
    test_size=0.2,
    shuffle_seq=False,
    random_state=0,
    data_home=None,
):
    """Generate the MNIST-1D data set (Greydanus & Kobak, 2024) locally.

    Ten classes of 1-D signals of length 40, made from 1-D digit templates by
    random padding, scaling, translation, correlated and i.i.d. noise and shear.
    The data are built with ``mnist1d.data.make_dataset`` and the package's default
    arguments (``n_samples=5000, random_state=42`` is the package's own default
    generation; whether it equals the published pickle is not checked here). The
    network is never used. Generating 5000 signals takes about a second.

    Parameters
    ----------
    n_samples : int, default=5000
        Total number of signals before the split; rounded down to a multiple of
        10 (the package draws ``n_samples // 10`` signals per class).
    test_size : float, default=0.2
        Fraction of the (shuffled) signals put in the test split, as the package
        splits them (``train_split = 1 - test_size``).
    shuffle_seq : bool, default=False
        Apply one random permutation to the time axis of every signal (the
        package's "shuffled" variant, which destroys spatial structure).
    random_state : int, numpy Generator, RandomState or None, default=0
        Seed of the generation. The package seeds NumPy's and Python's global
        generators; their states are saved before and restored after, so the
        caller's global random state is unchanged (not thread-safe while running).
    data_home : str or path-like, default=None
        If given, the arrays are cached there as
        ``mnist1d_n{n}_seed{seed}_test{test_size}[_shuffled].npz`` and read back on
        later calls; ``None`` caches nothing.

    {returns} (n_train, 40), ``y_train`` int64,
        ``X_test``, ``y_test``, ``classes`` (``["0", ..., "9"]``) and ``DESCR``.
        The signals are standardised by the package (global mean 0, std 1).

    See Also
    --------
    sknoisy.models.CNN1D : a network for these signals.

    References
    ----------
    .. [1] S. Greydanus and D. Kobak, "Scaling Down Deep Learning with MNIST-1D",
       ICML 2024.

    Examples
    --------
    >>> from sknoisy.datasets import load_mnist1d
    >>> data = load_mnist1d(n_samples=100, random_state=0)
    >>> data.X_train.shape, data.X_train.dtype, data.y_test.shape, data.y_test.dtype
    ((80, 40), dtype('float32'), (20,), dtype('int64'))
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an int >= 10, got {n_samples!r}")
    if n_samples < 10:
        raise ValueError(f"n_samples must be >= 10, got {n_samples}")
    if isinstance(test_size, bool) or not isinstance(test_size, (float, int)):
        raise TypeError(f"test_size must be a float in (0, 1), got {test_size!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    seed = _mnist1d_seed(random_state)
    n_total = int(n_samples) // 10 * 10
    train_split = 1.0 - float(test_size)
    if not 0 < int(n_total * train_split) < n_total:
        raise ValueError(
            f"test_size={test_size} leaves an empty split for n_samples={n_samples}"
        )

    cache = None
    if data_home is not None:
        name = f"mnist1d_n{n_total}_seed{seed}_test{float(test_size)!r}"
        cache = Path(data_home).expanduser() / (
            name + ("_shuffled" if shuffle_seq else "") + ".npz"
        )
        if cache.is_file():
            with np.load(cache) as f:
                arrays = {k: f[k] for k in ("X_train", "y_train", "X_test", "y_test")}
            return _mnist1d_bunch(**arrays)

    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = n_total
    args.train_split = train_split
    args.shuffle_seq = bool(shuffle_seq)
    args.seed = seed
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)  # seeds numpy's and python's global RNGs
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)

    arrays = {
        "X_train": np.asarray(data["x"], dtype=np.float32),
        "y_train": np.asarray(data["y"], dtype=np.int64),
        "X_test": np.asarray(data["x_test"], dtype=np.float32),
        "y_test": np.asarray(data["y_test"], dtype=np.int64),
    }
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.stem + f".tmp{os.getpid()}.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, cache)
    return _mnist1d_bunch(**arrays)


def _mnist1d_bunch(X_train, y_train, X_test, y_test):
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        classes=[str(i) for i in range(10)],
        DESCR="MNIST-1D (Greydanus & Kobak), generated locally with mnist1d.",
    )


# --------------------------------------------------------------------------------------
# torchvision image data sets
# --------------------------------------------------------------------------------------
def _check_root(root):
    if root is None:
        raise ValueError("root must be the folder holding the data set, got None")
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a str or path-like, got {root!r}")
    return Path(root).expanduser()


def _missing_error(name, root, folder, files, missing, hint=""):
    layout = "\n".join(f"    {root}/{folder}/{f}" for f in files)
    missing = ", ".join(missing)
    return FileNotFoundError(
        f"{name} not found under root={str(root)!r}: missing {missing}. "
        f"Expected torchvision's layout:\n{layout}\n"
        "sknoisy never downloads data; get a copy with torchvision, e.g. "
        f"torchvision.datasets.{name}(root, download=True).{hint}"
    )


def _finish_images(X_train, X_test, normalize):
    """uint8 (n, C, H, W) -> float32 in [0, 1], optionally standardised per channel."""
    X_train = X_train.astype(np.float32)
    X_train /= np.float32(255.0)
    X_test = X_test.astype(np.float32)
    X_test /= np.float32(255.0)
    mean = std = None
    if normalize:
        axes = (0, 2, 3)
        mean = X_train.mean(axis=axes, dtype=np.float64).astype(np.float32)
        std = X_train.std(axis=axes, dtype=np.float64).astype(np.float32)
        std = np.where(std > 0, std, np.float32(1.0))
        shape = (1, -1, 1, 1)
        X_train -= mean.reshape(shape)
        X_train /= std.reshape(shape)
        X_test -= mean.reshape(shape)
        X_test /= std.reshape(shape)
    return X_train, X_test, mean, std


def _image_bunch(X_train, y_train, X_test, y_test, classes, normalize, descr):
    X_train, X_test, mean, std = _finish_images(X_train, X_test, normalize)
    return Bunch(
        X_train=X_train,
        y_train=np.asarray(y_train, dtype=np.int64),
        X_test=X_test,
        y_test=np.asarray(y_test, dtype=np.int64),
        classes=[str(c) for c in classes],
        mean=mean,
        std=std,
        DESCR=descr,
    )


def _check_normalize(normalize):
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize must be a bool, got {normalize!r}")
    return bool(normalize)


def _cifar_classes():
    """torchvision CIFAR classes that check that the files exist, not their md5."""
    from torchvision.datasets import CIFAR10, CIFAR100

    class _NoChecksum:
        def _check_integrity(self):
            folder = os.path.join(self.root, self.base_folder)
            return all(
                os.path.isfile(os.path.join(folder, name))
                for name, _ in self.train_list + self.test_list
            )

        def _load_meta(self):
            path = os.path.join(self.root, self.base_folder, self.meta["filename"])
            with open(path, "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    class _CIFAR10(_NoChecksum, CIFAR10):
        pass

    class _CIFAR100(_NoChecksum, CIFAR100):
        pass

    return _CIFAR10, _CIFAR100


def _load_cifar(cls, root, name, meta_key=None, label_key=None):
    folder = cls.base_folder
    files = [f for f, _ in cls.train_list + cls.test_list] + [cls.meta["filename"]]
    missing = [f for f in files if not (root / folder / f).is_file()]
    if missing:
        raise _missing_error(name, root, folder, files, missing)
    if meta_key is not None:
        cls = type(cls.__name__, (cls,), {"meta": {**cls.meta, "key": meta_key}})
    splits = []
    for train in (True, False):
        ds = cls(str(root), train=train, download=False)
        X = np.ascontiguousarray(np.asarray(ds.data).transpose(0, 3, 1, 2))
        y = np.asarray(ds.targets, dtype=np.int64)
        if label_key is not None:  # torchvision keeps only the fine labels
            y = _read_cifar_labels(root / folder, ds, label_key)
        splits.append((X, y))
    return splits, list(ds.classes)


def _read_cifar_labels(folder, ds, key):
    names = ds.train_list if ds.train else ds.test_list
    labels = []
    for name, _ in names:
        with open(folder / name, "rb") as f:
            labels.extend(pickle.load(f, encoding="latin1")[key])
    return np.asarray(labels, dtype=np.int64)


@_fill_doc
def load_cifar10(root, *, normalize=False):
    """Load CIFAR-10 from a local copy in torchvision's layout.

    Read with :class:`torchvision.datasets.CIFAR10` (``download=False``); the
    files' presence is checked but **not their md5 checksums** (torchvision's
    integrity check is replaced by an existence check).

    Parameters
    ----------
    root : str or path-like
        Folder holding ``cifar-10-batches-py/`` (the ``root`` given to
        ``torchvision.datasets.CIFAR10``)::

            <root>/cifar-10-batches-py/data_batch_1 ... data_batch_5
            <root>/cifar-10-batches-py/test_batch
            <root>/cifar-10-batches-py/batches.meta

    {normalize} (applied to
        both splits; returned as ``mean`` and ``std``).

    {returns} (50000, 3, 32, 32), ``y_train`` int64,
        ``X_test`` (10000, 3, 32, 32), ``y_test``, ``classes`` (``"airplane"``,
        ..., ``"truck"``), ``mean`` and ``std`` (per channel, ``None`` unless
        ``normalize``) and ``DESCR``.

    {raises}

    See Also
    --------
    load_cifar100, sknoisy.models.PreActResNet32

    References
    ----------
    .. [1] A. Krizhevsky, "Learning Multiple Layers of Features from Tiny
       Images", 2009.
    """
    root = _check_root(root)
    normalize = _check_normalize(normalize)
    cifar10, _ = _cifar_classes()
    ((X_tr, y_tr), (X_te, y_te)), classes = _load_cifar(cifar10, root, "CIFAR10")
    return _image_bunch(
        X_tr, y_tr, X_te, y_te, classes, normalize, "CIFAR-10 (local copy)."
    )


@_fill_doc
def load_cifar100(root, *, label_type="fine", normalize=False):
    """Load CIFAR-100 from a local copy in torchvision's layout.

    Read with :class:`torchvision.datasets.CIFAR100` (``download=False``); the
    files' presence is checked but **not their md5 checksums**.

    Parameters
    ----------
    root : str or path-like
        Folder holding ``cifar-100-python/``::

            <root>/cifar-100-python/train
            <root>/cifar-100-python/test
            <root>/cifar-100-python/meta

    label_type : {"fine", "coarse"}, default="fine"
        The 100 fine classes or the 20 coarse super-classes.
    {normalize}.

    {returns} (50000, 3, 32, 32), ``y_train`` int64,
        ``X_test``, ``y_test``, ``classes`` (100 or 20 names), ``mean``, ``std``
        and ``DESCR``.

    {raises}

    See Also
    --------
    load_cifar10
    """
    if label_type not in ("fine", "coarse"):
        raise ValueError(f"label_type must be 'fine' or 'coarse', got {label_type!r}")
    root = _check_root(root)
    normalize = _check_normalize(normalize)
    _, cifar100 = _cifar_classes()
    kwargs = {}
    if label_type == "coarse":
        kwargs = {"meta_key": "coarse_label_names", "label_key": "coarse_labels"}
    ((X_tr, y_tr), (X_te, y_te)), classes = _load_cifar(
        cifar100, root, "CIFAR100", **kwargs
    )
    return _image_bunch(
        X_tr,
        y_tr,
        X_te,
        y_te,
        classes,
        normalize,
        f"CIFAR-100 ({label_type} labels, local copy).",
    )


_IDX_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def _load_mnist_like(cls, root, normalize, descr):
    root = _check_root(root)
    normalize = _check_normalize(normalize)
    folder = f"{cls.__name__}/raw"
    missing = [f for f in _IDX_FILES if not (root / folder / f).is_file()]
    legacy = root / cls.__name__ / "processed"
    has_legacy = all((legacy / f).is_file() for f in ("training.pt", "test.pt"))
    if missing and not has_legacy:
        hint = (
            " Files ending in .gz must be decompressed (gunzip)."
            if any((root / folder / (f + ".gz")).is_file() for f in missing)
            else ""
        )
        raise _missing_error(cls.__name__, root, folder, _IDX_FILES, missing, hint)
    splits = []
    for train in (True, False):
        ds = cls(str(root), train=train, download=False)
        X = ds.data.numpy()[:, None, :, :]
        y = ds.targets.numpy().astype(np.int64)
        splits.append((X, y))
    (X_tr, y_tr), (X_te, y_te) = splits
    return _image_bunch(X_tr, y_tr, X_te, y_te, list(cls.classes), normalize, descr)


_MNIST_DOC = """Load {title} from a local copy in torchvision's layout.

    Read with :class:`torchvision.datasets.{name}` (``download=False``), which
    reads the uncompressed idx files (no checksum involved).

    Parameters
    ----------
    root : str or path-like
        Folder holding ``{name}/raw/`` (the ``root`` given to
        ``torchvision.datasets.{name}``)::

            <root>/{name}/raw/train-images-idx3-ubyte
            <root>/{name}/raw/train-labels-idx1-ubyte
            <root>/{name}/raw/t10k-images-idx3-ubyte
            <root>/{name}/raw/t10k-labels-idx1-ubyte

    {normalize}.

    {returns} (60000, 1, 28, 28), ``y_train`` int64,
        ``X_test`` (10000, 1, 28, 28), ``y_test``, ``classes`` ({classes}),
        ``mean``, ``std`` (``None`` unless ``normalize``) and ``DESCR``.

    {raises}

    See Also
    --------
    {see_also}
    """


def load_mnist(root, *, normalize=False):
    from torchvision.datasets import MNIST

    return _load_mnist_like(MNIST, root, normalize, "MNIST (local copy).")


def load_fashion_mnist(root, *, normalize=False):
    from torchvision.datasets import FashionMNIST

    return _load_mnist_like(
        FashionMNIST, root, normalize, "Fashion-MNIST (local copy)."
    )


_MNIST_PARTS = {**_DOC_PARTS, "normalize": _normalize_doc("the")}
load_mnist.__doc__ = _MNIST_DOC.format(
    **_MNIST_PARTS,
    title="MNIST",
    name="MNIST",
    classes='torchvision\'s ``"0 - zero"``, ..., ``"9 - nine"``',
    see_also="load_fashion_mnist",
)
load_fashion_mnist.__doc__ = _MNIST_DOC.format(
    **_MNIST_PARTS,
    title="Fashion-MNIST",
    name="FashionMNIST",
    classes='``"T-shirt/top"``, ..., ``"Ankle boot"``',
    see_also="load_mnist",
)
