"""Network architectures for sknoisy estimators.

Every model is a :class:`torch.nn.Module` whose ``forward`` returns raw logits of
shape ``(n_samples, n_classes)``. Every ``__init__`` takes ``n_classes`` and one
input-size argument, ``n_features`` (:class:`MLP`) or ``in_channels`` (the
convolutional networks), which sknoisy's estimators fill in from the training data
when the user leaves them unset (see :func:`infer_module_sizes`). All other
arguments have defaults.
"""

from __future__ import annotations

import inspect
import math
import numbers

import numpy as np
from torch import nn
from torchvision.models.resnet import BasicBlock
from torchvision.models.resnet import ResNet as _TVResNet

__all__ = [
    "MLP",
    "CNN1D",
    "CNN2D",
    "PreActResNet",
    "PreActResNet32",
    "ResNet18",
    "ResNet34",
    "infer_module_sizes",
]

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
    if isinstance(activation, str):
        try:
            return _ACTIVATIONS[activation]()
        except KeyError:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)} or an nn.Module "
                f"class, got {activation!r}"
            ) from None
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation()
    raise TypeError(
        f"activation must be a str or an nn.Module class, got {activation!r}"
    )


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


class MLP(nn.Module):
    """Multi-layer perceptron returning logits.

    Inputs of shape ``(B, ...)`` are flattened to ``(B, n_features)``, so the
    network also takes images.

    Parameters
    ----------
    n_features : int
        Number of input features after flattening (``prod(X.shape[1:])``).
    n_classes : int
        Number of output logits.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Widths of the hidden layers; ``()`` gives a linear (softmax regression)
        model.
    activation : {"relu", "tanh", "logistic", "gelu", "elu", "leaky_relu", \
"identity"} or nn.Module class, default="relu"
        Non-linearity after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden activation (never on the logits).
    batch_norm : bool, default=False
        Insert :class:`torch.nn.BatchNorm1d` between each hidden linear layer and
        its activation.

    See Also
    --------
    CNN1D, CNN2D : convolutional networks for signals and images.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.models import MLP
    >>> net = MLP(n_features=20, n_classes=3, hidden_layer_sizes=(16,))
    >>> net(torch.zeros(5, 20)).shape
    torch.Size([5, 3])
    >>> net(torch.zeros(5, 4, 5)).shape  # flattened to 20 features
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features,
        n_classes,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        dropout=0.0,
        batch_norm=False,
    ):
        super().__init__()
        n_features = _check_positive_int(n_features, "n_features")
        n_classes = _check_positive_int(n_classes, "n_classes")
        hidden = _check_sizes(hidden_layer_sizes, "hidden_layer_sizes", True)
        dropout = _check_dropout(dropout)
        _make_activation(activation)  # validate once, even with no hidden layer
        layers = []
        width = n_features
        for size in hidden:
            layers.append(nn.Linear(width, size, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(_make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width, n_classes)
        self.n_features = n_features
        self.n_classes = n_classes

    def forward(self, x):
        return self.classifier(self.features(x.flatten(1)))


def _build_cnn(net, dim, in_channels, n_classes, channels, kernel_size, stride, *opts):
    """Set ``features``, ``dropout`` and ``classifier`` of a small 1-D/2-D CNN."""
    batch_norm, dropout, global_pool = opts
    in_channels = _check_positive_int(in_channels, "in_channels")
    n_classes = _check_positive_int(n_classes, "n_classes")
    channels = _check_sizes(channels, "channels")
    kernel_size = _check_positive_int(kernel_size, "kernel_size")
    dropout = _check_dropout(dropout)
    if global_pool not in ("avg", "max"):
        raise ValueError(f"global_pool must be 'avg' or 'max', got {global_pool!r}")
    conv, norm = (
        (nn.Conv1d, nn.BatchNorm1d) if dim == 1 else (nn.Conv2d, nn.BatchNorm2d)
    )
    layers, width = [], in_channels
    for i, out in enumerate(channels):
        step = 1 if i == 0 else stride
        pad = kernel_size // 2
        layers.append(conv(width, out, kernel_size, step, pad, bias=not batch_norm))
        layers += [norm(out)] if batch_norm else []
        layers.append(nn.ReLU(inplace=True))
        layers += [nn.MaxPool2d(2, ceil_mode=True)] if dim == 2 else []
        width = out
    pools = {
        (1, "avg"): nn.AdaptiveAvgPool1d,
        (1, "max"): nn.AdaptiveMaxPool1d,
        (2, "avg"): nn.AdaptiveAvgPool2d,
        (2, "max"): nn.AdaptiveMaxPool2d,
    }
    layers += [pools[dim, global_pool](1), nn.Flatten(1)]
    net.features = nn.Sequential(*layers)
    net.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
    net.classifier = nn.Linear(width, n_classes)
    net.in_channels, net.n_classes = in_channels, n_classes


class CNN1D(nn.Module):
    """Small 1-D convolutional network, e.g. for MNIST-1D signals.

    Each layer is ``Conv1d -> BatchNorm1d (optional) -> ReLU``; the first
    convolution has stride 1, the others stride ``stride``. A global pooling over
    the length makes the network independent of the signal length; a linear layer
    gives the logits.

    Parameters
    ----------
    in_channels : int, default=1
        Number of input channels. Inputs of shape ``(B, L)`` are read as one
        channel (only when ``in_channels == 1``); ``(B, C, L)`` as is.
    n_classes : int, default=10
        Number of output logits.
    channels : tuple of int, default=(32, 64, 64)
        Output channels of the convolutions.
    kernel_size : int, default=5
        Kernel size of every convolution ("same" padding ``kernel_size // 2``).
    stride : int, default=2
        Stride of every convolution after the first.
    batch_norm : bool, default=True
        Use batch normalisation after each convolution.
    dropout : float, default=0.0
        Dropout probability before the final linear layer.
    global_pool : {"avg", "max"}, default="avg"
        Global pooling over the length.

    See Also
    --------
    sknoisy.datasets.load_mnist1d : the MNIST-1D data set (signals of length 40).

    Examples
    --------
    >>> import torch
    >>> from sknoisy.models import CNN1D
    >>> net = CNN1D(n_classes=10)
    >>> net(torch.zeros(8, 40)).shape
    torch.Size([8, 10])
    """

    n_spatial_dims = 1

    def __init__(
        self,
        in_channels=1,
        n_classes=10,
        channels=(32, 64, 64),
        kernel_size=5,
        stride=2,
        batch_norm=True,
        dropout=0.0,
        global_pool="avg",
    ):
        super().__init__()
        stride = _check_positive_int(stride, "stride")
        sizes = (in_channels, n_classes, channels, kernel_size, stride)
        _build_cnn(self, 1, *sizes, batch_norm, dropout, global_pool)

    def forward(self, x):
        if x.dim() == 2 and self.in_channels == 1:
            x = x.unsqueeze(1)
        elif x.dim() != 3:
            raise ValueError(
                f"expected input of shape (B, {self.in_channels}, L)"
                + (" or (B, L)" if self.in_channels == 1 else "")
                + f", got {tuple(x.shape)}"
            )
        return self.classifier(self.dropout(self.features(x)))


class CNN2D(nn.Module):
    """Small 2-D convolutional network for images.

    Each stage is ``Conv2d 3x3 -> BatchNorm2d (optional) -> ReLU -> MaxPool2d 2``
    (ceil mode, so tiny inputs such as 8x8 digits still work); a global pooling and
    a linear layer give the logits, so any image size of at least 1x1 is accepted.

    Parameters
    ----------
    in_channels : int
        Number of input channels. Inputs of shape ``(B, H, W)`` are read as one
        channel (only when ``in_channels == 1``).
    n_classes : int
        Number of output logits.
    channels : tuple of int, default=(32, 64, 128)
        Output channels of the stages.
    kernel_size : int, default=3
        Kernel size of every convolution ("same" padding).
    batch_norm : bool, default=True
        Use batch normalisation after each convolution.
    dropout : float, default=0.0
        Dropout probability before the final linear layer.
    global_pool : {"avg", "max"}, default="avg"
        Global pooling over the spatial dimensions.

    See Also
    --------
    PreActResNet32, ResNet18 : deeper networks for 32x32 images.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.models import CNN2D
    >>> net = CNN2D(in_channels=1, n_classes=10)
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        in_channels,
        n_classes,
        channels=(32, 64, 128),
        kernel_size=3,
        batch_norm=True,
        dropout=0.0,
        global_pool="avg",
    ):
        super().__init__()
        sizes = (in_channels, n_classes, channels, kernel_size, 1)
        _build_cnn(self, 2, *sizes, batch_norm, dropout, global_pool)

    def forward(self, x):
        x = _as_images(x, self.in_channels)
        return self.classifier(self.dropout(self.features(x)))


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
    in_channels : int, default=3
        Number of input channels (``(B, H, W)`` inputs are read as one channel
        when ``in_channels == 1``).
    n_classes : int, default=10
        Number of output logits.
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
    in_channels : int, default=3
        Number of input channels (``(B, H, W)`` inputs are read as one channel
        when ``in_channels == 1``).
    n_classes : int, default=10
        Number of output logits.
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
    __doc__ = _RESNET_DOC.format(name="ResNet18", layers="(2, 2, 2, 2)")
    _layers = (2, 2, 2, 2)


class ResNet34(_CifarResNet):
    __doc__ = _RESNET_DOC.format(name="ResNet34", layers="(3, 4, 6, 3)")
    _layers = (3, 4, 6, 3)


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
