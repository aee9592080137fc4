"""What skorch does with fit's inputs that sknoisy's own input handling keeps.

sknoisy validates and encodes X and y before skorch's ``partial_fit`` sees
them. Two things skorch does at that point are kept here, for skorch code
that moves to :class:`~sknoisy.NoisyLabelClassifier` unchanged:

* metadata routing (skorch >= 1.4, with
  ``sklearn.set_config(enable_metadata_routing=True)``): fit parameters that
  no consumer requested are refused before any work, and skorch resolves the
  requests of the public method that was called (``fit`` or
  ``partial_fit``), not of the ``partial_fit`` that sknoisy's ``fit`` calls;
* ``train_split`` is given ``y`` only when the caller gave one: the labels
  sknoisy reads from a Dataset's ``(x, y)`` items train the net, but the
  split gets none, as in skorch (a stratified ``ValidSplit`` then raises
  skorch's "Stratified CV requires explicitly passing a suitable y.").
"""

from __future__ import annotations

from sklearn import get_config
from sklearn.utils.metadata_routing import process_routing

from ._compat import SKORCH_ROUTES
from ._data import X_KEY, is_indexed
from ._inputs import ItemSource, dataset_labels

__all__ = ["check_fit_params", "labels_of_items", "split_datasets"]


def check_fit_params(net, method, fit_params):
    """Refuse unrequested fit parameters up front, with skorch's TypeError.

    Only with metadata routing enabled (and a skorch that routes); ``epochs``
    is ``partial_fit``'s own argument, not metadata.
    """
    if not (SKORCH_ROUTES and get_config().get("enable_metadata_routing")):
        return
    params = {key: value for key, value in fit_params.items() if key != "epochs"}
    process_routing(net, method, **params)


def labels_of_items(source):
    """The labels of a Dataset's ``(x, y)`` items, noting they were read."""
    source.labels_read = True
    return dataset_labels(source.dataset)


def _labels_were_read(X):
    data = X[X_KEY] if is_indexed(X) else X
    return isinstance(data, ItemSource) and data.labels_read


def split_datasets(net, X, y=None, **fit_params):
    """skorch's ``get_split_datasets``, without the labels of a Dataset's items.

    As in skorch, ``train_split`` gets ``y`` only when the caller passed one.
    """
    dataset = net.get_dataset(X, y)
    if not net.train_split:
        return dataset, None
    if y is None or _labels_were_read(X):
        return net.train_split(dataset, **fit_params)
    return net.train_split(dataset, y, **fit_params)
