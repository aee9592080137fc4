"""The interface of a training method, and plain training."""

from __future__ import annotations

__all__ = ["TrainingMethod"]


class TrainingMethod:
    """Plain training on the given labels; the base of every method.

    :class:`~sknoisy.NoisyLabelClassifier` makes one method object per
    training call from its parameters (:func:`~sknoisy.methods.get_method`)
    and calls these hooks; a method overrides the ones it needs. A method
    reads the estimator's parameters when it is made and keeps no state of a
    run: what must survive a checkpoint lives in the estimator's label state
    (:class:`~sknoisy.correction.LabelState`, ``label_state_``).

    Parameters
    ----------
    net : NoisyLabelClassifier
        The estimator whose parameters configure the method.

    Attributes
    ----------
    name : str
        The method's key in :data:`~sknoisy.methods.METHODS`.
    uses_label_state : bool
        Whether the method keeps per-sample state in ``label_state_``.
    default_lr : float
        Learning rate of ``lr="auto"`` (unless :meth:`learning_rate` says
        otherwise).
    anneals_lr : bool
        Whether ``anneal_lr="auto"`` anneals the learning rate.
    """

    name = "plain"
    uses_label_state = False
    default_lr = 1e-3
    anneals_lr = False

    def __init__(self, net):
        pass

    @classmethod
    def asked_for(cls, net):
        """The parameter setting of ``net`` that asks for this method, or None.

        For example ``"label_correction='soft'"``; plain training is what no
        parameter asks for.
        """
        return None

    @classmethod
    def learning_rate(cls, net):
        """The learning rate that ``lr="auto"`` gives ``net``."""
        return cls.default_lr

    @classmethod
    def build_module(cls, net, make):
        """The module ``module_`` of ``net``: ``make()`` builds the network.

        Methods that train several networks (co-teaching) wrap them here.
        """
        return make()

    def outputs(self, y_pred):
        """The ``(B, C)`` logits of the module's output ``y_pred``.

        What skorch's validation pass scores; a module that returns a tuple
        (two networks) answers its first element.
        """
        return y_pred

    def check_inputs(self, X):
        """Warn about training inputs the method cannot do its job on.

        Called at the start of every ``fit`` with the validated X.
        """

    def callbacks(self):
        """``(name, callback)`` pairs the method adds before skorch's own."""
        return []

    def reset_state(self, state, y_enc, n_classes, weights=None, prunes=False):
        """Start a new run's per-sample state on the encoded labels ``y_enc``.

        ``weights`` are each sample's weight for its given label (or None);
        ``prunes`` asks for the truncated loss' pruning weights.
        """
        return state.reset(y_enc, n_classes, with_weights=prunes)

    def training_loss(self, criterion, state, y_pred, target, weight, index):
        """The loss of a training batch.

        Parameters
        ----------
        criterion : torch.nn.Module
            The estimator's loss (``criterion_``).
        state : LabelState or None
            The per-sample state.
        y_pred : torch.Tensor of shape (B, C)
            The module's logits.
        target : torch.Tensor
            The batch's targets from the state: class indices or (B, C) rows.
        weight : torch.Tensor of shape (B,) or None
            Each sample's weight (sample, class and pruning weights).
        index : torch.Tensor of shape (B,)
            The samples' positions in the training set.
        """
        return criterion(y_pred, target, weight=weight)

    def refit_epochs(self):
        """Epochs of a second training stage after the first (None: none)."""
        return None

    def start_refit(self, criterion, state):
        """Called as the second stage starts, before its fresh optimizer.

        ``criterion`` is the estimator's loss, ``state`` the (frozen) label
        state.
        """

    def fitted_attributes(self, state, y_enc, decode, history):
        """The fitted attributes the method sets after training, as a dict."""
        return {}
