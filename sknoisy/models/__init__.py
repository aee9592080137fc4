"""Neural network architectures (``torch.nn.Module``) returning logits.

Every model takes ``n_classes`` and an input-size argument (``n_features`` or
``in_channels``) that sknoisy's estimators infer from the data when left unset.
"""

from ._infer import infer_module_sizes
from ._resnet import PreActResNet, PreActResNet32
from ._simple import CNN1D, CNN2D, MLP

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


def __getattr__(name):
    # torchvision's ResNets load torchvision (seconds) on first use only.
    if name in ("ResNet18", "ResNet34"):
        from . import _tv_resnet

        return getattr(_tv_resnet, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
