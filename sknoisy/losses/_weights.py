"""Per-sample weights of a fit: ``sample_weight`` and ``class_weight``."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight

from ..utils._compat import check_sample_weight


class SampleWeights:
    """``sample_weight`` (fit argument) and ``class_weight`` (parameter).

    A sample's loss is multiplied, before the batch mean, by its
    ``sample_weight`` and by the ``class_weight`` of the label it is trained
    on: the given label, or, once label correction has changed it, the
    corrected one (the expected class weight under a soft label). The class
    weight follows the label so that correcting labels cannot move weight
    from one class to another. Neither is state of the run: ``fit`` and
    ``partial_fit`` take ``sample_weight`` per call, as in scikit-learn.

    Parameters
    ----------
    sample : torch.Tensor of shape (n_samples,) or None
        float32 sample weights (None: all ones).
    per_class : torch.Tensor of shape (n_classes,) or None
        float32 class weights (None: all ones).
    totals : ndarray of shape (n_samples,)
        Each sample's weight for its given label (float64), for the
        empirical class prior.
    """

    def __init__(self, sample, per_class, totals):
        self.sample = sample
        self.per_class = per_class
        self.totals = totals

    @classmethod
    def from_fit(
        cls, y_enc, sample_weight, class_weight, classes, device, plain_criterion=None
    ):
        """Validate a call's weights; None when every sample weighs 1.

        Parameters
        ----------
        y_enc : ndarray of shape (n_samples,)
            The encoded given labels.
        sample_weight : array-like of shape (n_samples,) or None
            The call's ``sample_weight``.
        class_weight : dict, "balanced" or None
            The estimator's ``class_weight``.
        classes : ndarray of shape (n_classes,)
            The estimator's ``classes_``.
        device : str or torch.device
            Where the weight tensors live.
        plain_criterion : object, default=None
            The estimator's plain skorch ``criterion``, which takes no weights.
        """
        if sample_weight is None and class_weight is None:
            return None
        weight = check_sample_weight(sample_weight, y_enc, dtype=np.float64, copy=True)
        if not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
        per_class = class_weight_vector(class_weight, classes, y_enc)
        total = weight * per_class[y_enc]
        if total.sum() <= 0:
            raise ValueError(
                "The weights of all samples are zero (sample_weight times "
                "class_weight): nothing to train on."
            )
        if np.all(total == 1.0):
            return None  # same result and speed as no weights
        if plain_criterion is not None:
            raise ValueError(
                "sample_weight and class_weight need a sknoisy loss (parameter "
                f"loss), not the plain criterion {plain_criterion!r}."
            )

        def tensor(values):
            if np.all(values == 1.0):
                return None
            return torch.as_tensor(values, dtype=torch.float32, device=device)

        return cls(tensor(weight), tensor(per_class), total)

    def batch(self, index, target):
        """Weight of each sample of a batch (None: all ones)."""
        weight = None if self.sample is None else self.sample[index]
        if self.per_class is None:
            return weight
        if target.is_floating_point():  # soft labels: expected class weight
            by_label = target @ self.per_class
        else:
            by_label = self.per_class[target]
        return by_label if weight is None else weight * by_label


def class_weight_vector(class_weight, classes, y_enc):
    """One weight per class from ``class_weight`` (dict, "balanced", None)."""
    c = len(classes)
    if class_weight is None:
        return np.ones(c)
    if isinstance(class_weight, dict):
        known = classes.tolist()
        unknown = [k for k in class_weight if k not in known]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown} that are not in classes_ {known}."
            )
        vector = np.ones(c)
        for label, value in class_weight.items():
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(
                    f"class_weight[{label!r}] must be finite and "
                    f"non-negative, got {value!r}."
                )
            vector[known.index(label)] = value
        return vector
    # "balanced": n_samples / (n_classes * count), over the classes in y
    present = np.unique(y_enc)
    vector = np.ones(c)
    vector[present] = compute_class_weight("balanced", classes=present, y=y_enc)
    return vector
