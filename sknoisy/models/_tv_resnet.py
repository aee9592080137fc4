"""torchvision's ResNet-18 and ResNet-34 with a stem for 32x32 images.

Imported on first use of :class:`ResNet18` or :class:`ResNet34` (see
``sknoisy.models.__getattr__``): importing torchvision takes seconds.
"""

from __future__ import annotations

from torch import nn
from torchvision.models.resnet import BasicBlock
from torchvision.models.resnet import ResNet as _TVResNet

from ._layers import _IMAGE_NET_PARAMS, _as_images, _check_positive_int


class _CifarResNet(_TVResNet):
    _layers: tuple = ()

    def __init__(
        self, in_channels=3, n_classes=10, cifar_stem=True, zero_init_residual=False
    ):
        in_channels = _check_positive_int(in_channels, "in_channels")
        n_classes = _check_positive_int(n_classes, "n_classes")
        super().__init__(
            BasicBlock,
            list(self._layers),
            num_classes=n_classes,
            zero_init_residual=bool(zero_init_residual),
        )
        if cifar_stem:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")
        self.in_channels = in_channels
        self.n_classes = n_classes

    def forward(self, x):
        return super().forward(_as_images(x, self.in_channels))


_RESNET_DOC = """{name} (torchvision :class:`~torchvision.models.ResNet` with
    :class:`~torchvision.models.resnet.BasicBlock`, layers {layers}).

    With ``cifar_stem=True`` (default) the stem is adapted to 32x32 images: a 3x3
    stride-1 first convolution and no max-pool (Kuang Liu's CIFAR layout, used by
    the generalized cross entropy paper's ResNet-34).

    Parameters
    ----------
    {image_params}
    cifar_stem : bool, default=True
        Use the CIFAR stem; ``False`` keeps torchvision's ImageNet stem (7x7
        stride-2 convolution and max-pool) for larger images.
    zero_init_residual : bool, default=False
        Zero-initialise the last batch norm of each residual branch (torchvision).

    See Also
    --------
    PreActResNet32 : a smaller network for 32x32 images.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep Residual Learning for Image
       Recognition", CVPR 2016.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.models import {name}
    >>> net = {name}(n_classes=100).eval()
    >>> net(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 100])
    """


class ResNet18(_CifarResNet):
    __doc__ = _RESNET_DOC.format(
        name="ResNet18", layers="(2, 2, 2, 2)", image_params=_IMAGE_NET_PARAMS
    )
    _layers = (2, 2, 2, 2)


class ResNet34(_CifarResNet):
    __doc__ = _RESNET_DOC.format(
        name="ResNet34", layers="(3, 4, 6, 3)", image_params=_IMAGE_NET_PARAMS
    )
    _layers = (3, 4, 6, 3)
