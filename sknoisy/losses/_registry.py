"""Loss classes by name."""

from torch import nn

from ._robust import (
    BootstrapLoss,
    CrossEntropyLoss,
    EncouragingLoss,
    GCELoss,
    LabelSmoothingLoss,
    MAELoss,
    NCERCELoss,
    SCELoss,
)
from ._truncated import TruncatedGCELoss

LOSSES = {
    "ce": CrossEntropyLoss,
    "mae": MAELoss,
    "gce": GCELoss,
    "truncated_gce": TruncatedGCELoss,
    "encouraging": EncouragingLoss,
    "label_smoothing": LabelSmoothingLoss,
    "sce": SCELoss,
    "nce_rce": NCERCELoss,
    "bootstrap": BootstrapLoss,
}


def get_loss_class(name_or_class):
    """Return the loss class for a registry name or a module class.

    Parameters
    ----------
    name_or_class : str or type
        A key of :data:`LOSSES` or a subclass of :class:`torch.nn.Module`, which
        is returned unchanged.

    Returns
    -------
    loss_class : type
        The loss class.

    Examples
    --------
    >>> from sknoisy.losses import get_loss_class
    >>> get_loss_class("gce").__name__
    'GCELoss'
    """
    if isinstance(name_or_class, str):
        try:
            return LOSSES[name_or_class]
        except KeyError:
            raise ValueError(
                f"loss must be one of {sorted(LOSSES)} or a torch.nn.Module "
                f"subclass, got {name_or_class!r}."
            ) from None
    if isinstance(name_or_class, type) and issubclass(name_or_class, nn.Module):
        return name_or_class
    raise TypeError(
        f"loss must be a str in {sorted(LOSSES)} or a torch.nn.Module subclass, "
        f"got {name_or_class!r} of type {type(name_or_class).__name__}."
    )
