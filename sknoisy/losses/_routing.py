"""How NoisyLabelClassifier's loss parameters reach the loss class."""

from __future__ import annotations

from ._registry import get_loss_class

# Top-level estimator parameter -> loss-constructor argument, per loss name.

_LOSS_PARAM_ROUTES = {
    "q": "q",
    "k": "k",
    "LE": "LE",
    "smoothing": "smoothing",
    "loss_alpha": "alpha",
    "loss_beta": "beta",
    "bootstrap_beta": "beta",
    "bootstrap_mode": "mode",
}
_LOSS_PARAMS = frozenset(_LOSS_PARAM_ROUTES)


class _LossMixin:
    """Loss class by name, and its hyperparameters routed from the estimator."""

    def _loss_class(self):
        if self.criterion is not None:
            return None
        return get_loss_class(self.loss)

    def _loss_prunes(self):
        """Whether the loss has a pruning step (the truncated Lq loss)."""
        try:
            loss_class = self._loss_class()
        except (TypeError, ValueError):  # invalid loss: reported by fit
            return False
        return loss_class is not None and hasattr(loss_class, "prune_weights")

    def initialize_criterion(self):
        loss_class = self._loss_class()
        if loss_class is None:
            return super().initialize_criterion()
        kwargs = self.get_params_for("criterion")
        if isinstance(self.loss, str):
            wanted = getattr(loss_class, "hyperparameters", ())
            for name, target in _LOSS_PARAM_ROUTES.items():
                if target not in wanted or target in kwargs:
                    continue
                if name.startswith("bootstrap") != (self.loss == "bootstrap"):
                    continue
                value = getattr(self, name)
                if value is not None:
                    kwargs[target] = value
        self.criterion_ = loss_class(**kwargs)
        return self
