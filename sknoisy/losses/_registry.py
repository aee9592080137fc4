"""Loss classes by name."""

from ..utils._modules import module_class
from . import _robust, _truncated

LOSSES = {
    "ce": _robust.CrossEntropyLoss,
    "mae": _robust.MAELoss,
    "gce": _robust.GCELoss,
    "truncated_gce": _truncated.TruncatedGCELoss,
    "encouraging": _robust.EncouragingLoss,
    "label_smoothing": _robust.LabelSmoothingLoss,
    "sce": _robust.SCELoss,
    "nce_rce": _robust.NCERCELoss,
    "bootstrap": _robust.BootstrapLoss,
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
    return module_class(
        name_or_class, LOSSES, "loss", "a torch.nn.Module subclass", end="."
    )
