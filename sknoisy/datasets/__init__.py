"""Data set loaders returning numpy arrays ready for sknoisy's estimators.

Each loader of a clean data set returns a :class:`sklearn.utils.Bunch` with
``X_train``, ``y_train``, ``X_test``, ``y_test`` and ``classes``; the loaders of
data sets with real (human or web) label noise add the clean training labels
where they are known. Nothing is downloaded.
"""

from ._clothing1m import ImageListDataset, load_clothing1m
from ._datasets import *  # noqa: F403 - the clean loaders, listed in its __all__
from ._datasets import __all__ as _clean_loaders
from ._real_noise import DataLayoutError, load_cifar10n, load_cifar100n

__all__ = [
    *_clean_loaders,
    "load_cifar10n",
    "load_cifar100n",
    "load_clothing1m",
    "ImageListDataset",
    "DataLayoutError",
]
