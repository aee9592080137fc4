"""Sizes of a network's constructor arguments inferred from the data."""

from __future__ import annotations

import inspect

import numpy as np

from ..utils._adapter import signature_names


def infer_module_sizes(module, X):
    """Input-size keyword argument of a model class inferred from the data ``X``.

    The protocol of sknoisy's estimators: ``n_features`` is the number of features
    per sample after flattening; ``in_channels`` is ``X.shape[1]``, or 1 when the
    samples have no channel axis, i.e. ``X.ndim - 1`` equals the model's class
    attribute ``n_spatial_dims`` (1 for :class:`CNN1D`, 2 by default).

    Parameters
    ----------
    module : type or nn.Module
        The model class (an instance needs nothing: ``{}`` is returned).
    X : array-like of shape (n_samples, ...)
        The training inputs (anything with a ``shape``).

    Returns
    -------
    sizes : dict
        ``{"n_features": ...}``, ``{"in_channels": ...}`` or ``{}``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.models import MLP, CNN1D, CNN2D, infer_module_sizes
    >>> infer_module_sizes(MLP, np.zeros((5, 1, 8, 8)))
    {'n_features': 64}
    >>> infer_module_sizes(CNN1D, np.zeros((5, 40)))
    {'in_channels': 1}
    >>> infer_module_sizes(CNN2D, np.zeros((5, 3, 32, 32)))
    {'in_channels': 3}
    """
    if not isinstance(module, type):
        return {}
    params = inspect.signature(module.__init__).parameters
    shape = tuple(np.shape(X))
    if len(shape) < 2:
        raise ValueError(f"X must have at least 2 dimensions, got shape {shape}")
    if "n_features" in params:
        return {"n_features": int(np.prod(shape[1:]))}
    if "in_channels" in params:
        spatial = getattr(module, "n_spatial_dims", 2)
        return {"in_channels": 1 if len(shape) - 1 == spatial else int(shape[1])}
    return {}


def module_kwargs(module, given, in_shape, n_classes):
    """Constructor arguments of the estimator's module class.

    The sizes the class' constructor asks for (``n_features``,
    ``in_channels``, ``n_classes``) and the user did not ``given`` as
    ``module__*``, inferred from the shape of one sample ``in_shape`` (None:
    nothing to infer from, e.g. a dict X) and the number of classes
    ``n_classes`` (None: skorch's raw targets), then ``given``.
    """
    if in_shape is None:
        return dict(given)
    sizes = infer_module_sizes(module, np.empty((0, *in_shape)))
    if "n_classes" in signature_names(module) and n_classes is not None:
        sizes["n_classes"] = n_classes
    return {**{k: v for k, v in sizes.items() if k not in given}, **given}
