"""Pre-activation residual networks for 32x32 images (no torchvision needed).

torchvision's ResNet-18/34 with a CIFAR stem are in ``_tv_resnet``, imported
on first use (torchvision takes seconds to import).
"""

from __future__ import annotations

import math

from torch import nn

from ..utils._docstring import Substitution
from ._layers import (
    _IMAGE_NET_PARAMS,
    _as_images,
    _check_positive_int,
    _check_sizes,
)


def _conv3x3(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)


class _PreActBlock(nn.Module):
    """``BN-ReLU-conv3x3-BN-ReLU-conv3x3`` + shortcut: identity (official ``BlockB``)
    or, with ``projection``, a 1x1 conv of the pre-activated input (``BlockA``)."""

    def __init__(self, in_channels, out_channels, stride=1, projection=False):
        super().__init__()
        if not projection and (stride != 1 or in_channels != out_channels):
            raise ValueError("an identity shortcut needs stride 1 and equal widths")
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = _conv3x3(in_channels, out_channels, stride)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = _conv3x3(out_channels, out_channels)
        self.shortcut = None
        if projection:
            self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride, bias=False)
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.relu(self.bn1(x))
        shortcut = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)
        out = self.conv2(self.relu(self.bn2(out)))
        return out + shortcut


@Substitution(image_params=_IMAGE_NET_PARAMS)
class PreActResNet(nn.Module):
    """Pre-activation ResNet for small images (He et al., 2016), CIFAR layout.

    A 3x3 stem convolution with ``widths[0]`` channels, three stages of
    ``(depth - 2) / 6`` pre-activation basic blocks with ``widths`` channels
    (strides 1, 2, 2), a final ``BN-ReLU``, global average pooling and a linear
    layer. As in the official joint-optimization code, the first block of every
    stage has a 1x1 projection shortcut applied to its pre-activated input, and
    convolutions use He-normal initialisation (``fan_in``).

    Parameters
    ----------
    {image_params}
    depth : int, default=32
        Number of weighted layers, ``6 * n + 2`` for ``n`` blocks per stage
        (20, 32, 44, 56, 110, ...).
    widths : tuple of 3 int, default=(32, 64, 128)
        Channels of the three stages. ``(16, 32, 64)`` gives the classic
        CIFAR ResNet-32 of He et al. (0.46M parameters).

    See Also
    --------
    PreActResNet32 : the network of the joint-optimization paper.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Identity Mappings in Deep Residual
       Networks", ECCV 2016.
    .. [2] D. Tanaka, D. Ikami, T. Yamasaki and K. Aizawa, "Joint Optimization
       Framework for Learning with Noisy Labels", CVPR 2018.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.models import PreActResNet
    >>> net = PreActResNet(n_classes=10, depth=20, widths=(16, 32, 64))
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels=3, n_classes=10, depth=32, widths=(32, 64, 128)):
        super().__init__()
        in_channels = _check_positive_int(in_channels, "in_channels")
        n_classes = _check_positive_int(n_classes, "n_classes")
        depth = _check_positive_int(depth, "depth")
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6 * n + 2 with n >= 1, got {depth}")
        widths = _check_sizes(widths, "widths")
        if len(widths) != 3:
            raise ValueError(f"widths must have 3 entries, got {widths}")
        n_blocks = (depth - 2) // 6
        self.conv1 = _conv3x3(in_channels, widths[0])
        stages = []
        width = widths[0]
        for i, out in enumerate(widths):
            blocks = [_PreActBlock(width, out, 1 if i == 0 else 2, projection=True)]
            blocks += [_PreActBlock(out, out) for _ in range(n_blocks - 1)]
            stages.append(nn.Sequential(*blocks))
            width = out
        self.layer1, self.layer2, self.layer3 = stages
        self.bn = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, n_classes)
        self.in_channels = in_channels
        self.n_classes = n_classes
        self.reset_parameters()

    def reset_parameters(self):
        """He-normal convolutions, LeCun-normal linear layer, unit batch norms."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=1.0 / math.sqrt(m.in_features))
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.conv1(_as_images(x, self.in_channels))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.avgpool(self.relu(self.bn(x)))
        return self.fc(x.flatten(1))


class PreActResNet32(PreActResNet):
    """PreAct ResNet-32 of the joint-optimization paper (Tanaka et al., 2018).

    Three stages of five pre-activation basic blocks with 32, 64 and 128 channels
    for 32x32 images, exactly as the official code's ``PreActResNet`` (about 1.86M
    parameters; not to be confused with the 16/32/64-channel ResNet-32 of He et
    al., which has 0.46M).

    Parameters
    ----------
    in_channels : int, default=3
        Number of input channels.
    n_classes : int, default=10
        Number of output logits.

    See Also
    --------
    PreActResNet : any depth and widths; its references.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.models import PreActResNet32
    >>> net = PreActResNet32(n_classes=10).eval()
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels=3, n_classes=10):
        super().__init__(in_channels, n_classes, depth=32, widths=(32, 64, 128))
