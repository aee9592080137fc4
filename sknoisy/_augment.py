"""Batch data augmentation applied on the batch's device.

An augmentation is a callable ``augment(X, generator=None) -> X`` that takes a
training batch tensor and returns a new tensor of the same shape and dtype. It
never modifies its input. Randomness comes from the optional
:class:`torch.Generator`, so a seeded generator gives reproducible batches.
"""

from __future__ import annotations

import numbers

import torch

__all__ = ["RandomCropFlip", "BatchTransform", "check_augment"]

_PADDING_MODES = ("constant", "reflect", "edge")


def _draw_seed(generator):
    """A seed for torch's global RNG drawn from ``generator`` (or the global RNG)."""
    return int(torch.randint(0, 2**62, (1,), generator=generator).item())


def _randint(high, size, generator, device):
    """``torch.randint`` drawn on the generator's device, moved to ``device``."""
    gen_device = generator.device if generator is not None else torch.device("cpu")
    out = torch.randint(0, high, size, generator=generator, device=gen_device)
    return out.to(device)


class _BatchAugment:
    """What the batch augmentations share: the repr and the batch check."""

    _repr_names: tuple[str, ...] = ()  # constructor arguments shown by repr

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._repr_names)
        return f"{type(self).__name__}({args})"

    @staticmethod
    def _check_batch(X):
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"X must be a torch.Tensor, got {type(X).__name__}")


class RandomCropFlip(_BatchAugment):
    """Random translation (pad then crop) and horizontal flip of an image batch.

    The standard CIFAR augmentation (``RandomCrop(32, padding=4)`` followed by
    ``RandomHorizontalFlip()``), vectorised over the batch: every image gets its own
    offset and flip, all drawn at once, and the crops are gathered with one
    advanced-indexing operation on the batch's device. The padded image is never
    built: out-of-range rows and columns are mapped back (``reflect``/``edge``) or
    filled (``constant``), so any floating dtype (float16 and bfloat16 included)
    works.

    Parameters
    ----------
    padding : int, default=4
        Maximal shift in pixels, along each spatial axis; the output of an image
        is the ``H x W`` window at a random offset in ``[0, 2 * padding]`` of the
        image padded by ``padding`` on every side. ``0`` disables cropping.
    flip : bool, default=True
        Flip each image horizontally (last axis) with probability 0.5.
    padding_mode : {"constant", "reflect", "edge"}, default="constant"
        How the border is filled, as in :func:`torchvision.transforms.v2.Pad`;
        ``"reflect"`` needs ``padding < min(H, W)``.
    fill : float, default=0.0
        Value of the border for ``padding_mode="constant"``.

    See Also
    --------
    BatchTransform : apply a torchvision v2 transform to a batch instead.

    Notes
    -----
    ``__call__(X, generator=None)`` takes a tensor of shape ``(B, C, H, W)`` (or
    ``(B, H, W)``) and returns a new tensor of the same shape, dtype and device.
    With ``generator=None`` torch's global generator is used. A generator on
    another device than ``X`` (e.g. a CPU generator for a CUDA batch) is fine: the
    random numbers are drawn on the generator's device and moved.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.augment import RandomCropFlip
    >>> augment = RandomCropFlip(padding=4)
    >>> X = torch.rand(8, 3, 32, 32)
    >>> out = augment(X, generator=torch.Generator().manual_seed(0))
    >>> out.shape, out.dtype
    (torch.Size([8, 3, 32, 32]), torch.float32)
    >>> again = augment(X, generator=torch.Generator().manual_seed(0))
    >>> bool(torch.equal(out, again))
    True
    """

    _repr_names = ("padding", "flip", "padding_mode", "fill")

    def __init__(self, padding=4, flip=True, padding_mode="constant", fill=0.0):
        if isinstance(padding, bool) or not isinstance(padding, numbers.Integral):
            raise TypeError(f"padding must be a non-negative int, got {padding!r}")
        if padding < 0:
            raise ValueError(f"padding must be a non-negative int, got {padding}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        if isinstance(fill, bool) or not isinstance(fill, numbers.Real):
            raise TypeError(f"fill must be a real number, got {fill!r}")
        self.padding = int(padding)
        self.flip = bool(flip)
        self.padding_mode = padding_mode
        self.fill = float(fill)

    def _source_index(self, index, size):
        """Map padded coordinates (may be out of range) into ``[0, size)``."""
        if self.padding_mode == "reflect":
            index = index.abs()
            return torch.where(index >= size, 2 * (size - 1) - index, index)
        return index.clamp(0, size - 1)  # "edge"; "constant" masks afterwards

    def __call__(self, X, generator=None):
        self._check_batch(X)
        if X.dim() == 3:
            return self(X.unsqueeze(1), generator=generator).squeeze(1)
        if X.dim() != 4:
            raise ValueError(
                f"X must have shape (B, C, H, W) or (B, H, W), got {tuple(X.shape)}"
            )
        B, C, H, W = X.shape
        p = self.padding
        if self.padding_mode == "reflect" and p >= min(H, W):
            raise ValueError(
                f"padding must be smaller than the image size for reflect padding, "
                f"got padding={p} for {H}x{W} images"
            )
        if B == 0 or (p == 0 and not self.flip):
            return X.clone()
        device = X.device
        shift = _randint(2 * p + 1, (2, B), generator, device) - p  # (2, B)
        rows = torch.arange(H, device=device) + shift[0][:, None]  # (B, H)
        cols = torch.arange(W, device=device)
        if self.flip:
            flipped = _randint(2, (B,), generator, device).bool()
            cols = torch.where(flipped[:, None], cols.flip(0), cols)  # (B, W)
        cols = cols + shift[1][:, None]
        src_rows = self._source_index(rows, H)
        src_cols = self._source_index(cols, W)
        out = X[
            torch.arange(B, device=device)[:, None, None, None],
            torch.arange(C, device=device)[None, :, None, None],
            src_rows[:, None, :, None],
            src_cols[:, None, None, :],
        ]
        if self.padding_mode == "constant" and p > 0:
            inside = ((rows >= 0) & (rows < H))[:, None, :, None] & (
                (cols >= 0) & (cols < W)
            )[:, None, None, :]
            out = out.masked_fill(~inside, self.fill)
        return out


class BatchTransform(_BatchAugment):
    """Apply a torchvision transform (e.g. a ``transforms.v2.Compose``) to a batch.

    The documented alternative to :class:`RandomCropFlip` for augmentations that
    sknoisy does not vectorise. torchvision transforms draw from torch's global
    generator; here they run inside :func:`torch.random.fork_rng` seeded from
    ``generator``, so the results are reproducible and the caller's global random
    state is left untouched.

    Parameters
    ----------
    transform : callable
        A torchvision v2 transform (or any callable on tensors).
    per_sample : bool, default=True
        Apply ``transform`` to each image separately (a Python loop: one random
        draw per image, slower). ``False`` applies it once to the whole batch,
        which torchvision v2 supports but with the *same* random parameters for
        every image.

    See Also
    --------
    RandomCropFlip : vectorised crop-and-flip.

    Examples
    --------
    >>> import torch
    >>> from torchvision.transforms import v2
    >>> from sknoisy.augment import BatchTransform
    >>> augment = BatchTransform(
    ...     v2.Compose([v2.RandomCrop(32, padding=4), v2.RandomHorizontalFlip()])
    ... )
    >>> X = torch.rand(4, 3, 32, 32)
    >>> a = augment(X, generator=torch.Generator().manual_seed(0))
    >>> b = augment(X, generator=torch.Generator().manual_seed(0))
    >>> a.shape, bool(torch.equal(a, b))
    (torch.Size([4, 3, 32, 32]), True)
    """

    _repr_names = ("transform", "per_sample")

    def __init__(self, transform, per_sample=True):
        if not callable(transform):
            raise TypeError(f"transform must be callable, got {transform!r}")
        self.transform = transform
        self.per_sample = bool(per_sample)

    def __call__(self, X, generator=None):
        self._check_batch(X)
        seed = _draw_seed(generator)
        devices = []
        if X.device.type == "cuda":
            devices = [X.device.index or 0]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)  # local: restored when the block exits
            if self.per_sample:
                if len(X) == 0:
                    return X.clone()
                return torch.stack([self.transform(x) for x in X])
            return self.transform(X)


def check_augment(augment):
    """Turn the ``augment`` parameter of an estimator into a batch callable.

    Parameters
    ----------
    augment : None, "crop_flip", RandomCropFlip, BatchTransform, torchvision \
transform or callable
        ``None`` means no augmentation; ``"crop_flip"`` means
        ``RandomCropFlip()``; a torchvision transform (an object from
        ``torchvision.transforms``) is wrapped in :class:`BatchTransform`; any
        other callable must accept ``(X, generator=None)``.

    Returns
    -------
    augment : callable or None
        ``augment(X, generator=None) -> X``, or ``None``.

    Examples
    --------
    >>> from sknoisy.augment import check_augment
    >>> check_augment("crop_flip")
    RandomCropFlip(padding=4, flip=True, padding_mode='constant', fill=0.0)
    >>> check_augment(None) is None
    True
    """
    if augment is None:
        return None
    if isinstance(augment, str):
        if augment == "crop_flip":
            return RandomCropFlip()
        raise ValueError(
            f"augment must be None or 'crop_flip' as a str, got {augment!r}"
        )
    if isinstance(augment, _BatchAugment):
        return augment
    if type(augment).__module__.startswith("torchvision.transforms"):
        return BatchTransform(augment)
    if callable(augment):
        return augment
    raise TypeError(f"augment must be None, a str or a callable, got {augment!r}")
