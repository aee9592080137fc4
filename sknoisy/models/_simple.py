"""Small networks: MLP, 1-D and 2-D CNNs."""

from __future__ import annotations

from torch import nn

from ._layers import (
    _as_images,
    _check_dropout,
    _check_positive_int,
    _check_sizes,
    _make_activation,
)


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
