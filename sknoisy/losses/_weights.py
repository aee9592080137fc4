"""Per-sample weights of a fit: ``sample_weight`` and ``class_weight``."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import _check_sample_weight


class _SampleWeightMixin:
    """``sample_weight`` (fit argument) and ``class_weight`` (parameter).

    A sample's loss is multiplied, before the batch mean, by its
    ``sample_weight`` and by the ``class_weight`` of the label it is trained
    on: the given label, or, once label correction has changed it, the
    corrected one (the expected class weight under a soft label). The class
    weight follows the label so that correcting labels cannot move weight
    from one class to another. Neither is state of the run: ``fit`` and
    ``partial_fit`` take ``sample_weight`` per call, as in scikit-learn.
    """

    def _prepare_weights(self, X, y_enc, sample_weight):
        """Validate and keep the call's weights; return per-sample totals.

        Sets ``_sample_weight`` (n,) and ``_class_weight`` (C,), each a
        float32 tensor or None when it is all ones; returns the per-sample
        product for the given labels (float64 array) or None.
        """
        self._sample_weight = self._class_weight = None
        if sample_weight is None and self.class_weight is None:
            return None
        if getattr(self, "_raw_y", False):
            raise ValueError(
                "sample_weight and class_weight need one class label per sample "
                "in y; this y holds sequences or several values per sample."
            )
        weight = _check_sample_weight(sample_weight, X, dtype=np.float64, copy=True)
        if not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
        per_class = self._class_weight_vector(y_enc)
        total = weight * per_class[y_enc]
        if total.sum() <= 0:
            raise ValueError(
                "The weights of all samples are zero (sample_weight times "
                "class_weight): nothing to train on."
            )
        if np.all(total == 1.0):
            return None  # same result and speed as no weights
        if self.criterion is not None:
            raise ValueError(
                "sample_weight and class_weight need a sknoisy loss (parameter "
                f"loss), not the plain criterion {self.criterion!r}."
            )
        if not np.all(weight == 1.0):
            self._sample_weight = torch.as_tensor(
                weight, dtype=torch.float32, device=self.device
            )
        if not np.all(per_class == 1.0):
            self._class_weight = torch.as_tensor(
                per_class, dtype=torch.float32, device=self.device
            )
        return total

    def _class_weight_vector(self, y_enc):
        c = len(self.classes_)
        class_weight = self.class_weight
        if class_weight is None:
            return np.ones(c)
        if isinstance(class_weight, dict):
            known = self.classes_.tolist()
            unknown = [k for k in class_weight if k not in known]
            if unknown:
                raise ValueError(
                    f"class_weight has labels {unknown} that are not in classes_ "
                    f"{known}."
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

    def _batch_weight(self, index, target):
        """Weight of each sample of a batch (None: all ones)."""
        weight = self._sample_weight
        weight = None if weight is None else weight[index]
        per_class = self._class_weight
        if per_class is None:
            return weight
        if target.is_floating_point():  # soft labels: expected class weight
            by_label = target @ per_class
        else:
            by_label = per_class[target]
        return by_label if weight is None else weight * by_label
