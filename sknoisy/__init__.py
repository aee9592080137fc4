"""sknoisy: scikit-learn compatible neural networks for learning with noisy labels.

The estimator :class:`NoisyLabelClassifier` wraps a PyTorch network through
skorch, takes a robust loss by name (:mod:`sknoisy.losses`) and can correct the
training labels while it learns (:class:`LabelCorrection`). Label-noise
injectors for pipelines live in :mod:`sknoisy.noise`, networks in
:mod:`sknoisy.models`, data loaders in :mod:`sknoisy.datasets`, calibration
metrics in :mod:`sknoisy.metrics`.
"""

from .utils._docstring import _survive_stripped_docstrings

_survive_stripped_docstrings()  # before anything imports skorch

from . import (  # noqa: E402
    annotators,
    augment,
    correction,
    datasets,
    exceptions,
    losses,
    methods,
    metrics,
    models,
    noise,
)
from ._classifier import NoisyLabelClassifier  # noqa: E402
from ._find_issues import find_label_issues  # noqa: E402
from .correction import LabelCorrection, LRAnneal  # noqa: E402
from .correction._health import LabelHealthSummary, label_health_summary  # noqa: E402
from .losses._pruning import TruncationPruning  # noqa: E402

__version__ = "0.1.0.dev0"

__all__ = [
    "NoisyLabelClassifier",
    "LabelCorrection",
    "LRAnneal",
    "TruncationPruning",
    "find_label_issues",
    "label_health_summary",
    "LabelHealthSummary",
    "annotators",
    "augment",
    "correction",
    "methods",
    "datasets",
    "exceptions",
    "losses",
    "metrics",
    "models",
    "noise",
    "__version__",
]
