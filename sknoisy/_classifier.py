"""NoisyLabelClassifier: a skorch classifier for noisy labels."""

from __future__ import annotations

import inspect
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_array
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _num_samples,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch import NeuralNet, NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import Dataset
from skorch.utils import is_dataset, to_tensor
from torch.utils.data import DataLoader

from ._correction import (
    LabelCorrection,
    LRAnneal,
    TrainingState,
    jo_regularizers,
)
from ._data import INDEX_KEY, X_KEY, BatchedDataset, collate, is_indexed
from ._losses import LOSSES, CrossEntropyLoss, get_loss_class
from ._models import MLP, infer_module_sizes
from ._truncation import TruncationPruning
from ._utils import QuietPrintLog, local_torch_rng, torch_seed

__all__ = ["NoisyLabelClassifier"]


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


def _signature_names(obj):
    try:
        return inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return {}


def _correction_start(history):
    """First epoch of the history that corrected labels, or None."""
    for epoch, row in enumerate(history, start=1):
        if row.get("correcting"):
            return epoch
    return None


def _softmax(y_pred):
    return torch.softmax(y_pred, dim=-1)


class NoisyLabelClassifier(NeuralNetClassifier):
    """Neural network classifier with robust losses and label correction.

    A :class:`skorch.NeuralNetClassifier` that takes a robust loss by name,
    behaves as a scikit-learn classifier (any label type in and out,
    probabilities from :meth:`predict_proba`, ``random_state``), and can
    correct the training labels while it learns (joint optimisation of network
    and labels, Tanaka et al. 2018). Every skorch parameter stays available
    (``module__*``, ``optimizer__*``, ``iterator_train__*``, ``callbacks``...).

    Read more in the :ref:`User Guide <losses>`.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network. It must return raw logits of shape (n_samples,
        n_classes). ``None`` uses :class:`sknoisy.models.MLP`. When the class'
        constructor has arguments ``n_features``, ``in_channels`` or
        ``n_classes`` that are not given as ``module__*``, they are filled in
        from the data at fit time.
    loss : str or torch.nn.Module class, default="ce"
        ``"ce"``, ``"mae"``, ``"gce"``, ``"truncated_gce"``, ``"encouraging"``,
        ``"label_smoothing"``, ``"sce"``, ``"nce_rce"``, ``"bootstrap"`` (see
        :mod:`sknoisy.losses`), or a loss class called as
        ``loss(**criterion__kwargs)`` and then ``loss_(logits, target,
        weight=None)``.
    q : float, default=0.7
        Exponent of the generalized cross entropy (``"gce"`` and
        ``"truncated_gce"``), in (0, 1].
    k : float, default=0.5
        Truncation threshold of ``"truncated_gce"``, in (0, 1).
    LE : float, default=0.75
        Log end of the encouraging loss' conservative bonus, in [0, 1].
    smoothing : float, default=0.1
        Smoothing factor of ``"label_smoothing"``, in [0, 1].
    loss_alpha : float, default=None
        Weight of the active term of ``"sce"`` (CE) and ``"nce_rce"`` (NCE).
        ``None`` uses the loss' default (0.1 and 1.0).
    loss_beta : float, default=None
        Weight of the reverse cross entropy of ``"sce"`` and ``"nce_rce"``.
        ``None`` uses the loss' default (1.0).
    bootstrap_beta : float, default=None
        Weight of the given label in ``"bootstrap"``; ``None`` uses 0.95
        (soft) or 0.8 (hard).
    bootstrap_mode : {"soft", "hard"}, default="soft"
        Variant of ``"bootstrap"``.
    prune_start : int, default=None
        First epoch (1-based) at which ``"truncated_gce"`` prunes samples.
        ``None`` scales the paper's schedule (epoch 40 of 120) to
        ``max_epochs``: ``round(max_epochs / 3)``.
    prune_every : int, default=None
        Pruning period in epochs; ``None`` scales the paper's 10 of 120:
        ``max(1, round(max_epochs / 12))``.
    label_correction : {None, "hard", "soft"}, default=None
        Correct the training labels during fit (joint optimisation). See
        :class:`sknoisy.LabelCorrection`.
    alpha : float, default=1.2
        Weight of the prior term ``KL(prior || mean softmax)`` of joint
        optimisation.
    beta : float, default=0.8
        Weight of the entropy term of joint optimisation.
    prior : {"uniform", "empirical"} or array-like of shape (n_classes,), \
            default="empirical"
        Class prior of the prior term; ``"empirical"`` uses the class
        frequencies of the given labels.
    correction_start : "auto" or int, default="auto"
        Epoch from which labels are updated. ``"auto"`` detects the end of
        the early-learning phase: the given labels of a held-out share of the
        training samples (``correction_holdout``) are not trained on until
        correction starts, and correction starts once the network predicts
        the labels it is trained on markedly better than the held-out ones
        (memorisation), or stops getting better at predicting the held-out
        ones (at the latest after half of the epochs; see
        :class:`sknoisy.LabelCorrection`). An integer starts at
        that epoch and holds nothing out.
    correction_window : int, default=10
        Number of most recent epochs whose softmax outputs are averaged.
    correction_holdout : float, default=0.1
        With ``correction_start="auto"``: share of each class whose given
        labels are held out until correction starts, in [0, 0.5]. ``0``
        watches the agreement on the training labels instead, which
        memorisation keeps raising (not recommended).
    refit_corrected : bool, default=False
        After correcting, train a freshly initialised module with cross
        entropy on the corrected labels (the paper's second stage).
    refit_epochs : int, default=None
        Epochs of the second stage; ``None`` uses ``max_epochs``.
    anneal_lr : bool or "auto", default="auto"
        Multiply the learning rate by 0.1 for the last 20% of the epochs
        (:class:`sknoisy.LRAnneal`; each training call anneals its own last
        epochs). ``"auto"`` anneals with ``label_correction`` only:
        labels are corrected at a constant high rate (Tanaka et al.), then the
        network settles on the corrected labels at a low rate. On load_digits
        with 40% flips this raised test accuracy from 0.949 to 0.960 (5 seeds).
    criterion : torch.nn.Module class, default=None
        A plain skorch criterion used instead of ``loss`` (for example
        ``torch.nn.NLLLoss`` with a module returning probabilities).
    optimizer : torch.optim.Optimizer class, default=torch.optim.Adam
        Optimizer; its arguments are given as ``optimizer__*``.
    lr : float or "auto", default="auto"
        Learning rate. ``"auto"`` is 1e-3 for plain training and 1e-2 with
        ``label_correction``: joint optimisation needs a high learning rate so
        that the network does not memorise the noisy labels before they are
        corrected (Tanaka et al. 2018 train stage 1 at a constant high rate).
    max_epochs : int, default=50
        Number of epochs.
    batch_size : int, default=64
        Mini-batch size (``-1``: the whole training set).
    iterator_train, iterator_valid, dataset, callbacks, warm_start, \
device, compile, use_caching, torch_load_kwargs : see skorch
        As in :class:`skorch.NeuralNet`. Training batches are shuffled unless
        ``iterator_train__shuffle=False``. With
        ``iterator_train=sknoisy.fastpath.TensorLoader`` (and
        ``iterator_valid``), the data are placed on ``device`` once and
        batches are sliced from them.
    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` runs the module's forward pass under
        :func:`torch.autocast` on ``device`` (mixed precision: parameters,
        gradients and optimizer state stay float32, and the logits are cast
        back to float32 before the loss). Supported on CPUs and on GPUs with
        bfloat16 (Ampere and later). For float16 and a gradient scaler, use
        :class:`sknoisy.accelerate.AcceleratedNoisyLabelClassifier` with
        ``Accelerator(mixed_precision="fp16")``.
    train_split : callable, default=None
        skorch's internal validation split; ``None`` trains on all samples.
    predict_nonlinearity : callable, None or "auto", default="auto"
        ``"auto"`` applies a softmax for every sknoisy loss, so
        :meth:`predict_proba` rows sum to one.
    verbose : int, default=0
        Verbosity; 1 prints skorch's per-epoch table.
    classes : array-like, default=None
        The class labels; ``None`` infers them from ``y``.
    random_state : int, numpy.random.Generator, RandomState or None, \
            default=None
        Seeds module initialisation, shuffling and dropout (through a local
        fork of torch's generators, so the global state is untouched). The
        same ``random_state`` gives the same result on CPU.
    **kwargs
        Prefixed parameters routed by skorch (``module__*``,
        ``optimizer__*``, ``criterion__*``, ``callbacks__*``...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    criterion_ : torch.nn.Module
        The loss in use.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, for pandas input with string
        column names.
    history_ : skorch.History
        Per-epoch training record.
    pruning_weights_ : ndarray of shape (n_samples,)
        Final per-sample weights of ``"truncated_gce"`` (1 kept, 0 pruned).
    corrected_labels_ : ndarray of shape (n_samples,)
        With ``label_correction``: the labels the model believes are right,
        in the caller's label space.
    soft_labels_ : ndarray of shape (n_samples, n_classes)
        With ``label_correction``: the final label distributions.
    label_issues_ : ndarray of shape (n_samples,), dtype=bool
        With ``label_correction``: ``corrected_labels_ != y``.
    correction_start_ : int or None
        With ``label_correction``: the epoch (1-based, counted over the
        history) at which correction started, ``None`` when it never started
        (a :class:`~sknoisy.exceptions.CorrectionWarning` was raised then).

    See Also
    --------
    sknoisy.losses : the robust losses.
    sknoisy.noise : label-noise injectors for pipelines.

    References
    ----------
    .. [1] Z. Zhang and M. Sabuncu, "Generalized Cross Entropy Loss for
       Training Deep Neural Networks with Noisy Labels", NeurIPS 2018.
    .. [2] D. Tanaka et al., "Joint Optimization Framework for Learning with
       Noisy Labels", CVPR 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknoisy import NoisyLabelClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = NoisyLabelClassifier(loss="gce", q=0.7, max_epochs=5,
    ...                            random_state=0).fit(X / 16, y)
    >>> clf.predict_proba(X[:2] / 16).sum(axis=1).round(6)
    array([1., 1.], dtype=float32)
    >>> bool(clf.score(X / 16, y) > 0.8)
    True
    """

    _parameter_constraints = {
        "module": [None, callable],
        "loss": [StrOptions(set(LOSSES)), type],
        "q": [Interval(Real, 0, 1, closed="right")],
        "k": [Interval(Real, 0, 1, closed="neither")],
        "LE": [Interval(Real, 0, 1, closed="both")],
        "smoothing": [Interval(Real, 0, 1, closed="both")],
        "loss_alpha": [None, Interval(Real, 0, None, closed="left")],
        "loss_beta": [None, Interval(Real, 0, None, closed="left")],
        "bootstrap_beta": [None, Interval(Real, 0, 1, closed="both")],
        "bootstrap_mode": [StrOptions({"soft", "hard"})],
        "prune_start": [None, Interval(Integral, 1, None, closed="left")],
        "prune_every": [None, Interval(Integral, 1, None, closed="left")],
        "label_correction": [None, StrOptions({"hard", "soft"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "prior": [StrOptions({"uniform", "empirical"}), "array-like"],
        "correction_start": [
            StrOptions({"auto"}),
            Interval(Integral, 0, None, closed="left"),
        ],
        "correction_window": [Interval(Integral, 1, None, closed="left")],
        "correction_holdout": [Interval(Real, 0, 0.5, closed="both")],
        "refit_corrected": ["boolean"],
        "refit_epochs": [None, Interval(Integral, 1, None, closed="left")],
        "anneal_lr": ["boolean", StrOptions({"auto"})],
        "criterion": [None, callable],
        "optimizer": [callable],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
        ],
        "train_split": [None, callable],
        "callbacks": [None, list, StrOptions({"disable"})],
        "predict_nonlinearity": [None, StrOptions({"auto"}), callable],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "device": [None, str, torch.device],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "classes": [None, "array-like"],
        "random_state": ["random_state", np.random.Generator],
    }

    # skorch sets these three in ``__init__``; scikit-learn wants no public
    # attribute set there, so they live in private slots behind properties.
    @property
    def history_(self):
        return self.__dict__.get("_history")

    @history_.setter
    def history_(self, value):
        self.__dict__["_history"] = value

    @property
    def initialized_(self):
        return self.__dict__.get("_initialized", False)

    @initialized_.setter
    def initialized_(self, value):
        self.__dict__["_initialized"] = value

    @property
    def virtual_params_(self):
        return self.__dict__.setdefault("_virtual_params", {})

    @virtual_params_.setter
    def virtual_params_(self, value):
        self.__dict__["_virtual_params"] = value

    def __init__(
        self,
        module=None,
        loss="ce",
        *,
        q=0.7,
        k=0.5,
        LE=0.75,
        smoothing=0.1,
        loss_alpha=None,
        loss_beta=None,
        bootstrap_beta=None,
        bootstrap_mode="soft",
        prune_start=None,
        prune_every=None,
        label_correction=None,
        alpha=1.2,
        beta=0.8,
        prior="empirical",
        correction_start="auto",
        correction_window=10,
        correction_holdout=0.1,
        refit_corrected=False,
        refit_epochs=None,
        anneal_lr="auto",
        criterion=None,
        optimizer=torch.optim.Adam,
        lr="auto",
        max_epochs=50,
        batch_size=64,
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=Dataset,
        train_split=None,
        callbacks=None,
        predict_nonlinearity="auto",
        warm_start=False,
        verbose=0,
        device="cpu",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        precision="float32",
        classes=None,
        random_state=None,
        **kwargs,
    ):
        # No work here (scikit-learn convention): store the parameters as
        # given. ``vars().update`` bypasses skorch's ``__setattr__``, which
        # would refuse an ``nn.Module`` instance as ``module``.
        params = dict(locals())
        for name in ("self", "kwargs", "__class__"):
            params.pop(name, None)
        kwargs = dict(kwargs)
        self._check_deprecated_params(**kwargs)
        history = kwargs.pop("history", None)
        initialized = kwargs.pop("initialized_", False)
        virtual_params = kwargs.pop("virtual_params_", {})
        vars(self).update(params)
        vars(self).update(kwargs)
        self._params_to_validate = set(kwargs)
        self._history = history
        self._initialized = initialized
        self._virtual_params = virtual_params

    # ------------------------------------------------------------------
    # scikit-learn plumbing
    # ------------------------------------------------------------------
    def _get_param_names(self):
        return [
            key
            for key in self.__dict__
            if not key.endswith("_") and not key.startswith("_")
        ]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.non_deterministic = False
        return tags

    def set_params(self, **kwargs):
        if not self.initialized_ and "callbacks" in kwargs:
            # skorch builds the callbacks right away; before fit, only store
            # the value (validation happens in fit).
            kwargs = dict(kwargs)
            vars(self)["callbacks"] = kwargs.pop("callbacks")
        super().set_params(**kwargs)
        if self.initialized_ and (_LOSS_PARAMS | {"loss"}) & set(kwargs):
            self._initialize_criterion(reason="loss parameters changed")
            self._initialize_optimizer()
        return self

    def _check_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        if self.criterion is not None and not (
            isinstance(self.loss, str) and self.loss == "ce"
        ):
            raise ValueError(
                "Pass either loss or criterion, not both: got "
                f"loss={self.loss!r} and criterion={self.criterion!r}."
            )
        if self.label_correction is not None and self.criterion is not None:
            raise ValueError(
                "label_correction needs a sknoisy loss (parameter loss), "
                "not a plain skorch criterion."
            )

    @property
    def _default_callbacks(self):
        callbacks = [
            (name, QuietPrintLog() if name == "print_log" else cb)
            for name, cb in super()._default_callbacks
        ]
        if self._loss_prunes():
            callbacks.insert(0, ("truncation_pruning", TruncationPruning()))
        if self.label_correction is not None:
            callbacks.insert(0, ("label_correction", LabelCorrection()))
        anneal = self.anneal_lr
        if isinstance(anneal, str):  # "auto"
            anneal = self.label_correction is not None
        if anneal is True:
            callbacks.insert(0, ("lr_anneal", LRAnneal(factor=0.1, at=0.8)))
        return callbacks

    # ------------------------------------------------------------------
    # Data handling
    # ------------------------------------------------------------------
    def _validate_X(self, X, reset):
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float32,
            allow_nd=True,
            ensure_min_samples=1,
        )

    def _validate_fit_data(self, X, y, reset, classes=None):
        """Validate X and y, set classes and sizes; return float32 X, int y."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        n_X, n_y = _num_samples(X), _num_samples(y)
        if n_X != n_y:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {n_X} and {n_y}."
            )
        if n_X == 0:
            raise ValueError("X and y are empty (0 samples); fit needs samples.")
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=np.float32,
            allow_nd=True,
            ensure_min_samples=2 if reset else 1,
            y_numeric=False,
        )
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            known = classes if classes is not None else self.classes
            if known is not None:
                known = np.unique(
                    column_or_1d(check_array(known, ensure_2d=False, dtype=None))
                )
                unseen = np.setdiff1d(np.unique(y), known)
                if unseen.size:
                    raise ValueError(
                        f"y contains labels {unseen.tolist()} that are not in classes."
                    )
                self.classes_inferred_ = known
            else:
                self.classes_inferred_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in y; got 1 class ({self.classes_[0]!r})."
                )
            self._n_classes = len(self.classes_)
            self._in_shape = X.shape[1:]
        y_enc = np.searchsorted(self.classes_, y)
        y_enc = np.clip(y_enc, 0, len(self.classes_) - 1)
        if np.any(self.classes_[y_enc] != y):
            bad = np.unique(y[self.classes_[y_enc] != y])
            raise ValueError(
                f"y contains labels {bad.tolist()} unseen during the first fit; "
                f"known classes are {self.classes_.tolist()}."
            )
        return X, y_enc.astype(np.int64)

    @property
    def classes_(self):
        if self.classes is not None and "classes_inferred_" not in vars(self):
            return np.asarray(self.classes)
        try:
            return self.classes_inferred_
        except AttributeError as exc:
            raise AttributeError(
                f"{type(self).__name__} has no attribute 'classes_': call fit first."
            ) from exc

    def check_data(self, X, y):
        # Labels were validated and encoded in ``fit``/``partial_fit``.
        pass

    def get_iterator(self, dataset, training=False):
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        iterator = self.iterator_train if training else self.iterator_valid
        if training and "shuffle" not in kwargs:
            kwargs["shuffle"] = True
        if isinstance(iterator, type) and issubclass(iterator, DataLoader):
            # Pass BatchedDataset's pre-collated batches through.
            kwargs.setdefault("collate_fn", collate)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        if "device" not in kwargs and "device" in _signature_names(iterator):
            # Loaders that place the data themselves (sknoisy.fastpath.TensorLoader)
            # put it on the training device, once.
            kwargs["device"] = self.device
        return iterator(dataset, **kwargs)

    def get_dataset(self, X, y=None):
        batched = isinstance(X, np.ndarray) or (
            is_indexed(X) and isinstance(X[X_KEY], np.ndarray)
        )
        if batched and self.dataset is Dataset and not self.get_params_for("dataset"):
            return BatchedDataset(X, y)
        return super().get_dataset(X, y)

    def notify(self, method_name, **cb_kwargs):
        # skorch calls every callback's hook for every batch, and most hooks
        # are Callback's inherited no-ops; call only those that do something.
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in self._hooked_callbacks(method_name):
            getattr(cb, method_name)(self, **cb_kwargs)

    def _hooked_callbacks(self, method_name):
        """Callbacks whose ``method_name`` is not ``Callback``'s no-op."""
        callbacks = self.callbacks_
        cache = self.__dict__.setdefault("_hook_cache", {})
        cached = cache.get(method_name)
        # Holding the list keeps its identity valid (also across pickling);
        # the length catches callbacks appended in place.
        if cached is not None and cached[0] is callbacks:
            if cached[1] == len(callbacks):
                return cached[2]
        noop = getattr(Callback, method_name, None)
        hooked = [
            cb
            for _, cb in callbacks
            if noop is None
            or method_name in vars(cb)
            or getattr(type(cb), method_name, None) is not noop
        ]
        cache[method_name] = (callbacks, len(callbacks), hooked)
        return hooked

    def _set_training(self, training=True):
        # skorch calls this for every batch, and Module.train() re-assigns the
        # flag of every submodule through the slow nn.Module.__setattr__. Skip
        # the modules that are entirely in the requested mode already.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and any(
                sub.training != training for sub in module.modules()
            ):
                module.train(training)

    # ------------------------------------------------------------------
    # Initialisation
    # ------------------------------------------------------------------
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

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        module = self.module if self.module is not None else MLP
        if not isinstance(module, torch.nn.Module):
            kwargs = {**self._inferred_module_kwargs(module, kwargs), **kwargs}
        self.module_ = self.initialized_instance(module, kwargs)
        return self

    def _inferred_module_kwargs(self, module, given):
        """Sizes the module's constructor asks for and the user did not give."""
        if not hasattr(self, "_in_shape"):
            return {}
        sizes = infer_module_sizes(module, np.empty((0, *self._in_shape)))
        if "n_classes" in _signature_names(module):
            sizes["n_classes"] = self._n_classes
        return {key: val for key, val in sizes.items() if key not in given}

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

    def _resolved_lr(self):
        if isinstance(self.lr, str):  # "auto"
            return 1e-2 if self.label_correction is not None else 1e-3
        return self.lr

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if isinstance(kwargs.get("lr"), str):
            kwargs["lr"] = self._resolved_lr()
        return args, kwargs

    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity == "auto" and self.criterion is None:
            self.check_is_fitted()
            return _softmax
        return super()._get_predict_nonlinearity()

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------
    def infer(self, x, **fit_params):
        if is_indexed(x):
            x = x[X_KEY]
        if self.precision == "float32":
            return super().infer(x, **fit_params)
        device_type = torch.device(self.device or "cpu").type
        with torch.autocast(device_type, dtype=torch.bfloat16):
            y_pred = super().infer(x, **fit_params)
        # Losses, label correction and probabilities work in float32.
        return y_pred.float()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if self.criterion is not None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        y_true = to_tensor(y_true, device=self.device)
        state = self.__dict__.get("_training_state")
        if not (training and state is not None and is_indexed(X)):
            return self.criterion_(y_pred, y_true)
        index = to_tensor(X[INDEX_KEY], device=self.device)
        weight = state.weights(index)
        if (
            state.regularize
            and weight is None
            and type(self.criterion_) is CrossEntropyLoss
        ):
            return state.jo_loss(y_pred, index, y_true, self.alpha, self.beta)
        target = state.targets(index, y_true)
        loss = self.criterion_(y_pred, target, weight=weight)
        if state.regularize:
            loss = loss + jo_regularizers(y_pred, state.prior, self.alpha, self.beta)
        if state.recording:
            state.record(index, torch.softmax(y_pred.detach(), dim=-1))
        return loss

    def _fit_seed(self):
        seed = torch_seed(self.random_state)
        if seed is None:
            return None
        # partial_fit continues with a fresh but reproducible stream.
        return (seed + len(self.history_ or [])) % (2**31 - 1)

    def fit(self, X, y, **fit_params):
        """Initialise and train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data (tabular, or images as (n, C, H, W)).
        y : array-like of shape (n_samples,)
            Training labels, possibly noisy; any label type.
        **fit_params : dict
            Passed to the module's ``forward`` by skorch.

        Returns
        -------
        self : NoisyLabelClassifier
            The fitted estimator.
        """
        self._check_params()
        X, y_enc = self._validate_fit_data(X, y, reset=True)
        self.__dict__.pop("_training_state", None)
        with local_torch_rng(torch_seed(self.random_state), self.device):
            if not self.warm_start or not self.initialized_:
                self.initialize()
            self._train(X, y_enc, **fit_params)
        return self

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data.
        y : array-like of shape (n_samples,)
            Training labels.
        classes : array-like of shape (n_classes,), default=None
            All labels; needed on the first call when ``y`` lacks some.
        **fit_params : dict
            Passed to the module's ``forward`` by skorch.

        Returns
        -------
        self : NoisyLabelClassifier
            The fitted estimator.
        """
        self._check_params()
        first = not self.initialized_ or "classes_inferred_" not in vars(self)
        X, y_enc = self._validate_fit_data(X, y, reset=first, classes=classes)
        with local_torch_rng(self._fit_seed(), self.device):
            if not self.initialized_:
                self.initialize()
            self._train(X, y_enc, **fit_params)
        return self

    def _train(self, X, y_enc, **fit_params):
        state = self._ensure_training_state(y_enc)
        # Sample indices travel with X only when per-sample state needs them;
        # otherwise skorch sees exactly what plain skorch would.
        indexed = X if state is None else {X_KEY: X, INDEX_KEY: np.arange(len(X))}
        super().partial_fit(indexed, y_enc, **fit_params)
        if state is not None and self.label_correction and self.refit_corrected:
            self._refit_on_corrected(state, indexed, y_enc, **fit_params)
        if state is not None:
            self._set_state_attributes(state, y_enc)

    def _ensure_training_state(self, y_enc):
        """Create (or, for ``partial_fit`` on the same samples, keep) the state."""
        pruning = self._loss_prunes()
        if not pruning and self.label_correction is None:
            self.__dict__.pop("_training_state", None)
            return None
        state = self.__dict__.get("_training_state")
        if state is not None and len(state.y) == len(y_enc) and state.stage == 1:
            if bool((state.y.cpu().numpy() == y_enc).all()):
                return state
        prior = None
        if self.label_correction is not None:
            prior = torch.as_tensor(
                self._class_prior(y_enc), dtype=torch.float32, device=self.device
            )
        state = TrainingState(
            y_enc, self._n_classes, self.device, prior=prior, with_weights=pruning
        )
        self._training_state = state
        return state

    def _class_prior(self, y_enc):
        c = self._n_classes
        if isinstance(self.prior, str) and self.prior == "uniform":
            prior = np.full(c, 1.0 / c)
        elif isinstance(self.prior, str):  # "empirical"
            prior = np.bincount(y_enc, minlength=c) / len(y_enc)
        else:
            prior = np.asarray(self.prior, dtype=float).ravel()
            if prior.shape != (c,) or not np.all(np.isfinite(prior)):
                raise ValueError(
                    f"prior must have one finite entry per class ({c}), got "
                    f"shape {prior.shape}."
                )
            if np.any(prior < 0) or prior.sum() <= 0:
                raise ValueError("prior must be non-negative with a positive sum.")
            prior = prior / prior.sum()
        # Classes with zero prior contribute nothing; keep the log finite.
        prior = np.maximum(prior, 1e-8)
        return prior / prior.sum()

    def _refit_on_corrected(self, state, indexed, y_enc, **fit_params):
        """Stage 2 of joint optimisation: fresh module, CE on the labels."""
        state.stage = 2
        self._initialize_module(reason="refit on corrected labels")
        criterion = self.criterion_
        self.criterion_ = get_loss_class("ce")()
        self._initialize_optimizer()
        self._planned_epochs = self.refit_epochs or self.max_epochs
        try:
            self.notify("on_train_begin", X=indexed, y=y_enc)
            self.fit_loop(
                indexed,
                y_enc,
                epochs=self.refit_epochs or self.max_epochs,
                **fit_params,
            )
            self.notify("on_train_end", X=indexed, y=y_enc)
        finally:
            self.criterion_ = criterion
            self.__dict__.pop("_planned_epochs", None)

    def _set_state_attributes(self, state, y_enc):
        if state.sample_weights is not None:
            self.pruning_weights_ = state.sample_weights.cpu().numpy().copy()
        if self.label_correction is not None:
            soft = state.current_labels().cpu().numpy().astype(np.float64)
            corrected = soft.argmax(axis=1)
            self.soft_labels_ = soft
            self.corrected_labels_ = self.classes_[corrected]
            self.label_issues_ = corrected != y_enc
            self.correction_start_ = _correction_start(self.history_)

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        batches = self.history[-1].get("batches", [])
        for batch in batches:
            value = batch.get("train_loss")
            if value is not None and not np.isfinite(value):
                raise FloatingPointError(
                    f"Training diverged: the train_loss is {value} in epoch "
                    f"{len(self.history)}. Lower lr, or check X for extreme values."
                )

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def predict_proba(self, X):
        """Class probabilities for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one, columns follow ``classes_``.
        """
        check_is_fitted(self)
        if not (is_dataset(X) or is_indexed(X)):  # skorch passes datasets
            X = self._validate_X(X, reset=False)
        # torch's DataLoader draws a seed from the global generator on every
        # pass; keep prediction free of side effects on the caller's RNG.
        with torch.random.fork_rng(devices=[]):
            return NeuralNet.predict_proba(self, X)

    def predict(self, X):
        """Predicted labels for X, in the label space of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
