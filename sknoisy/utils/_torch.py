"""Small helpers shared across sknoisy: seeding torch locally, quiet logging."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import torch
from skorch.callbacks import PrintLog

__all__ = ["QuietPrintLog", "torch_seed", "local_torch_rng"]

_MAX_SEED = 2**31 - 1


def torch_seed(random_state):
    """Turn a scikit-learn style ``random_state`` into a torch seed.

    Parameters
    ----------
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        ``None`` means "do not seed": the caller keeps using torch's global
        generator, and results vary between runs.

    Returns
    -------
    seed : int or None
        A non-negative integer, or ``None`` for ``random_state=None``.

    Examples
    --------
    >>> from sknoisy.utils._torch import torch_seed
    >>> torch_seed(3)
    3
    >>> torch_seed(None) is None
    True
    """
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative integer, got {random_state}"
            )
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(_MAX_SEED))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(_MAX_SEED))
    raise TypeError(
        "random_state must be None, an int, a numpy Generator or a numpy "
        f"RandomState, got {random_state!r}"
    )


@contextlib.contextmanager
def local_torch_rng(seed, device="cpu"):
    """Seed torch's generators inside the block and restore them afterwards.

    The global random state of the caller is left exactly as it was, so
    seeding one estimator never changes the randomness of other code.

    Parameters
    ----------
    seed : int or None
        ``None`` leaves the generators alone (no fork, no seeding).
    device : str or torch.device, default="cpu"
        When it is a CUDA device, that device's generator is forked too.
    """
    if seed is None:
        yield
        return
    devices = []
    device = torch.device(device) if device is not None else torch.device("cpu")
    if device.type == "cuda" and torch.cuda.is_available():
        index = (
            device.index if device.index is not None else torch.cuda.current_device()
        )
        devices = [index]
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.manual_seed(seed)
        yield


class QuietPrintLog(PrintLog):
    """skorch's ``PrintLog`` that skips its work when nothing would be shown.

    skorch formats the epoch table even with ``verbose=0`` and then discards
    it; on small networks that costs a few percent of the fit. With the default
    sink (``print``) and ``verbose=0`` this callback returns early; any other
    sink (a logger, a file) still receives every line, as with ``PrintLog``.
    """

    def on_epoch_end(self, net, **kwargs):
        if self.sink is print and not net.verbose:
            return
        super().on_epoch_end(net, **kwargs)
