"""Argument checks and building blocks shared by the networks."""

from __future__ import annotations

import numbers

from torch import nn

from ..utils._modules import module_class

# Docstring entries of the parameters every image network takes first.
_IMAGE_NET_PARAMS = """in_channels : int, default=3
        Number of input channels (``(B, H, W)`` inputs are read as one channel
        when ``in_channels == 1``).
    n_classes : int, default=10
        Number of output logits."""

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "identity": nn.Identity,
}


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _check_sizes(values, name, allow_empty=False):
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        values = (values,)
    if not hasattr(values, "__iter__") or isinstance(values, str):
        raise TypeError(f"{name} must be a sequence of positive ints, got {values!r}")
    values = tuple(_check_positive_int(v, name) for v in values)
    if not values and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return values


def _check_dropout(dropout):
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"dropout must be a float in [0, 1), got {dropout!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    return float(dropout)


def _make_activation(activation):
    return module_class(activation, _ACTIVATIONS, "activation", "an nn.Module class")()


def _as_images(x, in_channels):
    """(B, H, W) -> (B, 1, H, W) when ``in_channels == 1``; (B, C, H, W) as is."""
    if x.dim() == 3 and in_channels == 1:
        return x.unsqueeze(1)
    if x.dim() != 4:
        raise ValueError(
            f"expected input of shape (B, {in_channels}, H, W)"
            + (" or (B, H, W)" if in_channels == 1 else "")
            + f", got {tuple(x.shape)}"
        )
    return x
