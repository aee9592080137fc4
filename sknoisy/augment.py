"""Data augmentation of training batches, on the batch's device.

An augmentation is a callable ``augment(X, generator=None)`` returning a new batch
tensor of the same shape and dtype; randomness comes from the
:class:`torch.Generator`.
"""

from ._augment import BatchTransform, RandomCropFlip, check_augment

__all__ = ["RandomCropFlip", "BatchTransform", "check_augment"]
