"""Loss classes by name."""

from ..utils._modules import module_class
from ._correction import BackwardCorrectionLoss, ForwardCorrectionLoss
from ._elr import ELRLoss
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
    "elr": ELRLoss,
    "forward": ForwardCorrectionLoss,
    "backward": BackwardCorrectionLoss,
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
