"""Data set loaders returning numpy arrays ready for sknoisy's estimators.

Each loader returns a :class:`sklearn.utils.Bunch` with ``X_train``, ``y_train``,
``X_test``, ``y_test`` and ``classes``. Nothing is downloaded.
"""

from ._datasets import (
    load_cifar10,
    load_cifar100,
    load_fashion_mnist,
    load_mnist,
    load_mnist1d,
)

__all__ = [
    "load_mnist1d",
    "load_cifar10",
    "load_cifar100",
    "load_mnist",
    "load_fashion_mnist",
]
