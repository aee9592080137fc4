"""Fast training data path: batches sliced from whole-dataset tensors.

:class:`TensorLoader` replaces torch's ``DataLoader`` as skorch's
``iterator_train`` / ``iterator_valid``; it places the data on the training
device once and cuts batches out of it without per-sample indexing.
"""

from ._fastpath import TensorLoader

__all__ = ["TensorLoader"]
