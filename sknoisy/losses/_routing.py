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
    "elr_lambda": "lam",
    "noise_matrix": "noise_matrix",
}
LOSS_PARAMS = frozenset(_LOSS_PARAM_ROUTES)


def loss_class(loss, criterion):
    """The sknoisy loss class of the estimator, or None with a ``criterion``."""
    if criterion is not None:
        return None
    return get_loss_class(loss)


def loss_prunes(loss, criterion):
    """Whether the loss has a pruning step (the truncated Lq loss)."""
    try:
        cls = loss_class(loss, criterion)
    except (TypeError, ValueError):  # invalid loss: reported by fit
        return False
    return cls is not None and hasattr(cls, "prune_weights")


def build_loss(net):
    """The estimator's loss instance, or None for skorch's plain criterion.

    The loss class of ``net.loss`` is called with ``criterion__*`` and the
    estimator's loss hyperparameters (``q``, ``k``, ``LE``, ``smoothing``,
    ``loss_alpha``...) that the class takes; ``criterion__*`` wins.
    """
    cls = loss_class(net.loss, net.criterion)
    if cls is None:
        return None
    kwargs = net.get_params_for("criterion")
    if isinstance(net.loss, str):
        wanted = getattr(cls, "hyperparameters", ())
        for name, target in _LOSS_PARAM_ROUTES.items():
            if target not in wanted or target in kwargs:
                continue
            if name.startswith("bootstrap") != (net.loss == "bootstrap"):
                continue
            value = getattr(net, name)
            if value is not None:
                kwargs[target] = value
    return cls(**kwargs)
