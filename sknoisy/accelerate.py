"""Multi-GPU and mixed-precision training through Hugging Face accelerate.

:class:`AcceleratedNoisyLabelClassifier` is skorch's
:class:`skorch.hf.AccelerateMixin` combined with
:class:`~sknoisy.NoisyLabelClassifier`. Importing this module does not need
the ``accelerate`` package; creating the ``accelerate.Accelerator`` passed as
``accelerator`` does (``pip install sknoisy[accelerate]``). Launch a training
script on two GPUs with ``accelerate launch --multi_gpu --num_processes 2
train.py``; see :doc:`/scaling`.
"""

from ._accelerate import AcceleratedNoisyLabelClassifier

__all__ = ["AcceleratedNoisyLabelClassifier"]
