"""Look-up of a :class:`torch.nn.Module` class by name, shared by the registries."""

from torch import nn


def module_class(value, table, name, kind, end=""):
    """The class that ``value`` names in ``table``, or ``value`` as is if it is a
    :class:`torch.nn.Module` subclass.

    ``name`` is the argument's name and ``kind`` how the class alternative reads in
    the error messages (e.g. ``"a torch.nn.Module subclass"``); ``end`` closes them.

    Examples
    --------
    >>> from torch import nn
    >>> from sknoisy.utils._modules import module_class
    >>> module_class("relu", {"relu": nn.ReLU}, "activation", "an nn.Module class")
    <class 'torch.nn.modules.activation.ReLU'>
    >>> module_class(nn.Tanh, {"relu": nn.ReLU}, "activation", "an nn.Module class")
    <class 'torch.nn.modules.activation.Tanh'>
    """
    if isinstance(value, str):
        try:
            return table[value]
        except KeyError:
            raise ValueError(
                f"{name} must be one of {sorted(table)} or {kind}, got {value!r}{end}"
            ) from None
    if isinstance(value, type) and issubclass(value, nn.Module):
        return value
    raise TypeError(
        f"{name} must be a str in {sorted(table)} or {kind}, got {value!r} of type "
        f"{type(value).__name__}{end}"
    )
