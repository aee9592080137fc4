"""Label-noise injectors (imbalanced-learn samplers) and helpers.

Transition matrices are row-stochastic, ``T[i, j] = P(noisy = j | true = i)``;
cleanlab's ``noise_matrix`` is the transpose (see :func:`to_cleanlab_noise_matrix`).
:func:`estimate_noise_matrix` estimates cleanlab's ``noise_matrix`` of given
labels from fitted probabilities.
"""

from ._base import BaseNoise
from ._class_conditional import AsymmetricNoise, SymmetricNoise, TransitionMatrixNoise
from ._estimate import estimate_noise_matrix
from ._factory import corrupt_labels, make_noise
from ._feature_dependent import InstanceDependentNoise, PseudoLabelNoise
from ._panel import AnnotatorPanel
from ._presets import (
    MAPPING_PRESETS,
    from_cleanlab_noise_matrix,
    symmetric_transition_matrix,
    to_cleanlab_noise_matrix,
)

__all__ = [
    "BaseNoise",
    "SymmetricNoise",
    "AsymmetricNoise",
    "TransitionMatrixNoise",
    "PseudoLabelNoise",
    "InstanceDependentNoise",
    "AnnotatorPanel",
    "corrupt_labels",
    "make_noise",
    "symmetric_transition_matrix",
    "to_cleanlab_noise_matrix",
    "from_cleanlab_noise_matrix",
    "estimate_noise_matrix",
    "MAPPING_PRESETS",
]
