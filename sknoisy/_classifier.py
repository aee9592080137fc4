"""NoisyLabelClassifier: a skorch classifier for noisy labels.

The estimator owns every skorch hook it overrides, in this one file; each hook
hands its work to a collaborator with one job:

- :class:`~sknoisy.utils._adapter.InputAdapter`: validation of X and y, label
  encoding and decoding, ``classes_``, datasets and iterators;
- :class:`~sknoisy._objective.TrainingObjective`: the loss of a batch (base
  loss, per-sample state, weights), what ``get_loss`` returns during a fit;
- a training method (:mod:`sknoisy.methods`): callbacks, per-sample state,
  the method's loss terms, a second stage, its fitted attributes;
- :func:`~sknoisy.losses._routing.build_loss` and
  :func:`~sknoisy.models._infer.module_kwargs`: the loss and the network;
- :mod:`sknoisy.utils._compat`: every private name of skorch, torch and
  scikit-learn.
"""

from __future__ import annotations

import inspect
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet, NeuralNetClassifier
from skorch.callbacks import Callback, EpochScoring
from skorch.dataset import Dataset
from skorch.exceptions import NotInitializedError as SkorchNotInitializedError
from skorch.utils import to_numpy, to_tensor
from torch.utils.data import DataLoader

from ._objective import TrainingObjective
from .annotators._consensus import VoteConsensus
from .correction._issues import check_issue_options, issues_table, sample_index
from .correction._schedule import LRAnneal
from .correction._state import FROZEN, LabelState
from .exceptions import DivergenceWarning, NotInitializedError, _warn
from .losses import LOSSES
from .losses._pruning import TruncationPruning
from .losses._routing import LOSS_PARAMS, build_loss, loss_prunes
from .losses._weights import SampleWeights
from .methods import get_method, method_class
from .models._infer import module_kwargs
from .models._simple import MLP
from .utils._adapter import InputAdapter
from .utils._compat import (
    Interval,
    Options,
    StrOptions,
    criterion_names,
    reinitialize,
    routing_method,
    skorch_hooks,
    skorch_predict_nonlinearity,
    validate_parameter_constraints,
)
from .utils._data import INDEX_KEY, X_KEY, is_indexed
from .utils._docstring import Substitution
from .utils._dropin import check_fit_params, split_datasets
from .utils._torch import QuietPrintLog, local_torch_rng, torch_seed

__all__ = ["NoisyLabelClassifier"]


def _softmax(y_pred):
    return torch.softmax(y_pred, dim=-1)


#: Parameters stored by skorch's NeuralNetClassifier constructor.
_SKORCH_INIT_PARAMS = frozenset(
    (
        set(inspect.signature(NeuralNet.__init__).parameters)
        | set(inspect.signature(NeuralNetClassifier.__init__).parameters)
    )
    - {"self", "args", "kwargs"}
)

#: Parameters the default callbacks are built from.
_CALLBACK_PARAMS = frozenset(
    {
        "label_correction",
        "correction_start",
        "correction_window",
        "correction_holdout",
        "anneal_lr",
        "loss",
        "random_state",
        "sample_selection",
        "forget_rate",
        "noise_matrix",
        "dividemix_warmup",
        "dividemix_lambda_u",
        "dividemix_threshold",
    }
)


#: The end of fit's and partial_fit's docstrings.
_FIT_TAIL = """**fit_params : dict
            Passed to the module's ``forward`` by skorch; ``epochs`` sets
            the number of epochs of this call (default ``max_epochs``; for a
            ``fit`` whose ``LoadInitState`` loaded the checkpoint of an
            interrupted run, the epochs left in that run).

        Returns
        -------
        self : NoisyLabelClassifier
            The fitted estimator."""


@skorch_hooks
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
        ``"label_smoothing"``, ``"sce"``, ``"nce_rce"``, ``"bootstrap"``,
        ``"elr"`` (cross entropy with the early-learning regularizer and its
        per-sample targets, :class:`~sknoisy.methods.EarlyLearningRegularization`;
        see :mod:`sknoisy.losses`), ``"forward"`` and ``"backward"`` (loss
        correction through ``noise_matrix``,
        :class:`~sknoisy.methods.LossCorrection`), or a loss class called as
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
    elr_lambda : float, default=3.0
        Weight of the early-learning regularizer of ``"elr"`` and of label
        correction, ``>= 0`` (the paper's CIFAR-10 value; 7 on CIFAR-100).
        With ``label_correction``, 0 leaves it out (Tanaka's objective).
    elr_beta : float, default=0.7
        Momentum of the regularizer's per-sample targets, in [0, 1) (the
        paper's CIFAR-10 value; 0.9 on CIFAR-100). ``"elr"`` folds them per
        batch as the paper does; label correction once per epoch, from the
        outputs it records anyway (so every process of a multi-process fit
        holds the same targets).
    prune_start : int, default=None
        First epoch (1-based) at which ``"truncated_gce"`` prunes samples.
        ``None`` scales the paper's schedule (epoch 40 of 120) to
        ``max_epochs``: ``round(max_epochs / 3)``.
    prune_every : int, default=None
        Pruning period in epochs; ``None`` scales the paper's 10 of 120:
        ``max(1, round(max_epochs / 12))``.
    noise_matrix : array-like of shape (n_classes, n_classes), default=None
        The noise matrix of ``loss="forward"`` and ``"backward"`` (ignored by
        the other losses), in cleanlab's convention: ``noise_matrix[i, j] =
        P(given = i | true = j)``, columns summing to 1 (Patrini's
        row-stochastic ``T`` is its transpose; a matrix whose rows, not
        columns, sum to 1 is refused with that hint). ``None`` estimates it:
        a first stage (a ``label_correction="soft"`` fit) estimates it from
        the data, then a fresh network trains through it (``refit_epochs``).
        A matrix whose condition number exceeds 100 raises a
        :class:`~sknoisy.exceptions.NoiseMatrixWarning`; backward correction
        then mixes it with the identity. See :ref:`loss_correction`.
    noise_matrix_inflation : float, default=1.25
        With ``noise_matrix=None``: the factor the estimate's flips (its
        off-diagonal entries) are multiplied by before the second stage
        trains through it (:func:`~sknoisy.methods.inflate_noise_matrix`;
        each column's diagonal stays 1.1 times its largest flip). The first
        stage memorises part of the flipped labels, which its estimate then
        counts as right: at 40% pair noise it finds about a third less noise
        than there is (see :ref:`loss_correction`), and a network trained
        through too little noise learns the flips it misses. 1 trains
        through the estimate as it is (Patrini's two stages). The fitted
        ``noise_matrix_`` is the estimate, ``training_noise_matrix_`` the
        matrix trained through.
    sample_selection : {None, "coteaching", "dividemix"}, default=None
        ``"coteaching"``: train two copies of ``module`` (initialised
        independently), each on the samples of smallest loss under the
        other (Han et al. 2018, :class:`~sknoisy.methods.CoTeaching`);
        :meth:`predict_proba` returns the mean of both networks'
        probabilities. See :ref:`coteaching`. ``"dividemix"``: two copies
        of ``module``, each trained by MixMatch on the other's division of
        the samples into clean (labelled) and noisy (unlabelled) by a
        mixture on per-sample losses (Li et al. 2020,
        :class:`~sknoisy.methods.DivideMix`), for images and 1-D signals;
        see :ref:`dividemix`.
    forget_rate : float or "auto", default="auto"
        Co-teaching's forget rate ``tau`` in [0, 1): the share of each batch
        each network leaves out once the linear ramp of the first ``min(10,
        ceil(max_epochs / 5))`` epochs (``T_k``) ends. ``"auto"`` estimates
        the noise rate from the two networks' outputs in the first ``ceil(2
        T_k / 5)`` epochs, in which nothing is forgotten (fitted
        ``forget_rate_``, ``noise_rate_``). Ignored without
        ``sample_selection="coteaching"``.
    dividemix_warmup : int or "auto", default="auto"
        Epochs of plain training (``loss``) before DivideMix's first division.
        ``"auto"``: ``min(10, ceil(max_epochs / 3))`` (the paper's 10 of 300
        on CIFAR-10, a third of a run shorter than 30 epochs).
    dividemix_lambda_u : float or "auto", default="auto"
        Weight of the unlabelled (mean squared error) loss, reached after a
        linear ramp of 16 epochs. ``"auto"``: from the noise rate estimated at
        the first division, linear between the paper's 0, 25 and 150 at 20,
        50 and 80% noise (fitted ``dividemix_lambda_u_``).
    dividemix_threshold : float, default=0.5
        Clean probability above which a sample counts as labelled.
    dividemix_temperature : float, default=0.5
        Sharpening temperature of the refined and guessed targets.
    dividemix_alpha : float, default=4.0
        Mixup's ``Beta(alpha, alpha)``.
    dividemix_augment : "auto", "crop_flip", None or callable, default="auto"
        The augmentation of DivideMix's two views of a batch
        (:func:`sknoisy.augment.check_augment`). ``"auto"``: images ``(n, C,
        H, W)`` are translated by up to ``min(H, W) / 8`` pixels (no flip);
        signals ``(n, C, L)`` shifted by up to ``L / 8`` steps; other inputs
        are refused. ``"crop_flip"`` is the paper's CIFAR augmentation;
        ``None`` trains on unaugmented views.
    dividemix_penalty : float, default=1.0
        Weight of the confidence penalty (negative entropy of the outputs)
        added to the warm-up loss, against memorising asymmetric noise early
        (the official code's CIFAR-10 asymmetric setting, weight 1); 0 turns
        it off (the paper's symmetric-noise warm-up).
    dividemix_division : {"per_class", "global"}, default="per_class"
        ``"per_class"`` fits the two-component mixture to the losses of each
        given class separately, so that a class whose losses are all high
        (the target of asymmetric flips) is not marked noisy as a whole;
        ``"global"`` fits one mixture to all samples (the paper).
    dividemix_window : int, default=5
        Each sample's loss (scaled to [0, 1] per network) is averaged over
        the divisions of the last ``dividemix_window`` epochs before the
        mixture is fitted (the official code's asymmetric setting, 5); 1
        fits the current epoch's losses only (the paper's symmetric setting).
    label_correction : {None, "hard", "soft"}, default=None
        Correct the training labels during fit (joint optimisation). See
        :class:`sknoisy.LabelCorrection`.
    correction_rule : {"confident", "all"}, default="confident"
        Which labels correction replaces. ``"confident"``: only those that
        the network's averaged outputs confidently put in another class
        (per-class thresholds, as confident learning's confident joint);
        the others keep their given label, the early-learning regularizer
        (``elr_lambda``) holds from the first epoch, and both the move of a
        replaced label toward the outputs and the prior and entropy terms
        (``alpha``, ``beta``) are weighted by the share of replaced labels
        (full weight from 20%). ``"all"``: every label, with
        the prior and entropy terms at full weight throughout (Tanaka et al.
        2018; with ``elr_lambda=0`` the paper's objective, and sknoisy's
        default until issue 23). See :ref:`no-harm`.
    alpha : float, default=1.2
        Weight of the prior term ``KL(prior || mean softmax)`` of joint
        optimisation.
    beta : float, default=0.8
        Weight of the entropy term of joint optimisation.
    prior : {"uniform", "empirical"} or array-like of shape (n_classes,), \
            default="empirical"
        Class prior of the prior term (also of DivideMix's penalty);
        ``"empirical"`` uses the class
        frequencies of the given labels (weighted by ``sample_weight`` and
        ``class_weight`` when given).
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
        Number of most recent epochs whose softmax outputs are averaged:
        exactly while a sample has at most this many outputs, then as a
        moving average with the same centre of mass
        (:func:`sknoisy.correction.window_weight`), so the label state costs
        one ``n_samples x n_classes`` array whatever the window.
    correction_holdout : float, default=0.1
        With ``correction_start="auto"``: share of each class whose given
        labels are held out until correction starts, in [0, 0.5]. ``0``
        watches the agreement on the training labels instead, which
        memorisation keeps raising (not recommended).
    refit_corrected : bool, default=False
        After correcting, train a freshly initialised module with cross
        entropy on the corrected labels (the paper's second stage).
    refit_epochs : int, default=None
        Epochs of the second stage (also the corrected-loss stage of
        ``loss="forward"``/``"backward"`` with an estimated matrix); ``None``
        uses ``max_epochs``.
    anneal_lr : bool or "auto", default="auto"
        Multiply the learning rate by 0.1 for the last 20% of the epochs
        (:class:`sknoisy.LRAnneal`; each run anneals its own last epochs, a
        call that resumes an interrupted run continues its schedule).
        ``"auto"`` anneals with ``label_correction`` only: labels are
        corrected at a constant high rate (Tanaka et al.), then the network
        settles on the corrected labels at a low rate. On load_digits
        with 40% flips this raised test accuracy from 0.949 to 0.960 (5 seeds).
    class_weight : dict, "balanced" or None, default=None
        Weight of each class' samples in the loss (times ``sample_weight``):
        a dict ``{label: weight}``, or ``"balanced"`` for
        ``n_samples / (n_classes * np.bincount(y))``, as in scikit-learn.
    criterion : torch.nn.Module class, default=None
        A plain skorch criterion used instead of ``loss`` (for example
        ``torch.nn.NLLLoss`` with a module returning probabilities).
    optimizer : torch.optim.Optimizer class, default=torch.optim.Adam
        Optimizer; its arguments are given as ``optimizer__*``.
    lr : float or "auto", default="auto"
        Learning rate. ``"auto"`` is 1e-3, and 1e-2 with
        ``correction_rule="all"``: replacing every label needs a network that
        has learned much by the end of early learning (Tanaka et al. 2018
        train stage 1 at a constant high rate), while ``"confident"``
        replaces only what the network is sure of, and the early-learning
        regularizer keeps it from memorising the noisy labels meanwhile.
    max_epochs : int, default=50
        Number of epochs. ``0`` initialises the network and trains nothing
        (as in skorch: load parameters, or train later with
        ``partial_fit(X, y, epochs=n)``).
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
    train_split : callable, None or False, default=None
        skorch's internal validation split; ``None`` (or ``False``, as in
        skorch) trains on all samples.
    predict_nonlinearity : callable, None or "auto", default="auto"
        ``"auto"`` applies a softmax for every sknoisy loss, so
        :meth:`predict_proba` rows sum to one.
    verbose : int, default=0
        Verbosity; 1 prints skorch's per-epoch table.
    annotators : bool, default=False
        ``y`` is a matrix of shape (n_samples, n_annotators): one column per
        annotator, each entry the label that annotator gave the sample or a
        missing value (``NaN``, ``None``, ``pd.NA``) where it gave none.
        Dawid–Skene (:func:`sknoisy.annotators.dawid_skene`) weighs the votes
        by each annotator's estimated confusion into a soft label per sample,
        the training target; with ``label_correction`` the network's averaged
        outputs then sharpen it, and count as one more annotator in the final
        consensus. Sets ``consensus_labels_``, ``consensus_proba_``,
        ``consensus_quality_``, ``annotator_quality_`` and
        ``annotator_confusion_``. Votes that cannot identify the annotators
        (too few shared votes per annotator, agreement at chance), or a
        network that disagrees with the consensus on most samples, raise a
        :class:`~sknoisy.exceptions.ConsensusWarning`. See :ref:`annotators`.
    classes : array-like, default=None
        The class labels, kept in the order given (the columns of
        :meth:`predict_proba`); ``None`` infers them from ``y`` (sorted).
        ``y`` holds labels from ``classes``, or, as in skorch, integer
        positions in ``classes`` when none of its values is a class label
        (``classes=["cat", "dog"]`` with ``y`` in ``{0, 1}``); :meth:`predict`
        then returns positions too, as skorch does.
    random_state : int, numpy.random.Generator, RandomState or None, \
            default=None
        Seeds module initialisation, shuffling and dropout (through a local
        fork of torch's generators, so the global state is untouched). The
        same ``random_state`` gives the same result on CPU. Every epoch's
        streams are seeded from it and the epoch number, so a run resumed
        after an interruption (from a pickle, or a skorch ``Checkpoint`` with
        ``LoadInitState``) ends equal to the uninterrupted one.
    **kwargs
        Prefixed parameters routed by skorch (``module__*``,
        ``optimizer__*``, ``criterion__*``, ``callbacks__*``...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    criterion_ : torch.nn.Module
        The loss in use.
    label_state_ : sknoisy.correction.LabelState
        With ``label_correction`` or ``"truncated_gce"``: the per-sample
        state of the run (labels, running average, pruning weights), a
        second skorch criterion. Save it with the others through
        ``save_params(f_label_state=...)`` or
        ``Checkpoint(f_label_state="label_state.pt")``.
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
    soft_labels_ : ndarray of shape (n_samples, n_classes), dtype=float32
        With ``label_correction``: the final label distributions (averages
        of float32 softmax outputs).
    label_issues_ : ndarray of shape (n_samples,), dtype=bool
        With ``label_correction``: ``corrected_labels_ != y``. The full table,
        with scores, ranking and a threshold: :meth:`get_label_issues`.
    label_quality_ : ndarray of shape (n_samples,)
        With ``label_correction``: the probability of each given label under
        the network's outputs averaged over the last ``correction_window``
        epochs, in [0, 1]; low values flag labels the model doubts (a
        ranking score, as cleanlab's label quality).
    predicted_labels_ : ndarray of shape (n_samples,)
        With ``label_correction``: the network's prediction for each training
        sample in the last epoch.
    correction_start_ : int or None
        With ``label_correction``: the epoch (1-based, counted over the
        history) at which correction started, ``None`` when it never started
        (a :class:`~sknoisy.exceptions.CorrectionWarning` was raised then).
    noise_matrix_ : ndarray of shape (n_classes, n_classes)
        With ``loss="forward"`` or ``"backward"``: the given matrix, or the
        estimate below (trained through as ``training_noise_matrix_``). With
        ``label_correction`` (and co-teaching with ``forget_rate="auto"``):
        the estimated noise matrix of the given labels in cleanlab's convention,
        ``noise_matrix_[i, j] = P(given = i | true = j)`` (each column sums
        to 1; sknoisy's row-stochastic ``T`` is its transpose, see
        :func:`~sknoisy.noise.from_cleanlab_noise_matrix`): the confident-joint
        estimate of :func:`~sknoisy.noise.estimate_noise_matrix` from the given
        labels and the running average of the outputs (``soft_labels_``),
        from this one fit. See :ref:`noise_matrix`.
    training_noise_matrix_ : ndarray of shape (n_classes, n_classes)
        With ``loss="forward"`` or ``"backward"`` and ``noise_matrix=None``:
        the matrix the second stage trained through, in cleanlab's convention:
        ``noise_matrix_`` with its flips scaled by ``noise_matrix_inflation``.
    noise_rate_ : float
        With ``label_correction``, loss correction, or co-teaching with
        ``forget_rate="auto"``: the estimated share of wrong given labels,
        ``P(given != true)``.
    forget_rate_ : float
        With ``sample_selection="coteaching"``: the forget rate used (given,
        or estimated).
    clean_probability_ : ndarray of shape (n_samples,)
        With ``sample_selection="dividemix"``: each training sample's clean
        probability after the last epoch (mean over both networks). DivideMix
        also sets ``label_quality_`` (this probability), ``label_issues_``
        (below ``dividemix_threshold``), ``predicted_labels_`` (both
        networks' mean prediction after the last epoch), ``corrected_labels_``
        (the prediction for the issues, the given label otherwise),
        ``noise_rate_`` (the share of issues) and, under
        ``dividemix_lambda_u="auto"``, ``dividemix_lambda_u_``.
    consensus_labels_ : ndarray of shape (n_samples,)
        With ``annotators``: each training sample's consensus label, in the
        annotators' label space (the argmax of ``consensus_proba_``).
    consensus_proba_ : ndarray of shape (n_samples, n_classes)
        With ``annotators``: the class posterior of each training sample given
        the votes (and, with ``label_correction``, the network's averaged
        outputs).
    consensus_quality_ : ndarray of shape (n_samples,)
        With ``annotators``: the posterior probability of the consensus label,
        in [0, 1]; low for samples whose consensus is doubtful.
    annotator_quality_ : ndarray of shape (n_annotators,)
        With ``annotators``: each annotator's estimated accuracy, the mean
        consensus probability of the labels it gave (higher is better).
    annotator_confusion_ : ndarray of shape (n_annotators, n_classes, n_classes)
        With ``annotators``: each annotator's estimated row-stochastic
        confusion, ``[k, i, j] = P(annotator k says j | true class i)``.

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
        "elr_lambda": [Interval(Real, 0, None, closed="left")],
        "elr_beta": [Interval(Real, 0, 1, closed="left")],
        "noise_matrix": [None, "array-like"],
        "noise_matrix_inflation": [Interval(Real, 1, None, closed="left")],
        "sample_selection": [None, StrOptions({"coteaching", "dividemix"})],
        "forget_rate": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="left")],
        "dividemix_warmup": [
            StrOptions({"auto"}),
            Interval(Integral, 0, None, closed="left"),
        ],
        "dividemix_lambda_u": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="left"),
        ],
        "dividemix_threshold": [Interval(Real, 0, 1, closed="neither")],
        "dividemix_temperature": [Interval(Real, 0, None, closed="neither")],
        "dividemix_alpha": [Interval(Real, 0, None, closed="neither")],
        "dividemix_augment": [StrOptions({"auto", "crop_flip"}), None, callable],
        "dividemix_penalty": [Interval(Real, 0, None, closed="left")],
        "dividemix_window": [Interval(Integral, 1, None, closed="left")],
        "dividemix_division": [StrOptions({"global", "per_class"})],
        "prune_start": [None, Interval(Integral, 1, None, closed="left")],
        "prune_every": [None, Interval(Integral, 1, None, closed="left")],
        "label_correction": [None, StrOptions({"hard", "soft"})],
        "correction_rule": [StrOptions({"confident", "all"})],
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
        "class_weight": [None, dict, StrOptions({"balanced"})],
        "criterion": [None, callable],
        "optimizer": [callable],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
        ],
        "train_split": [None, Options(bool, {False}), callable],
        "callbacks": [None, list, StrOptions({"disable"})],
        "predict_nonlinearity": [None, StrOptions({"auto"}), callable],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "device": [None, str, torch.device],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "annotators": ["boolean"],
        "classes": [None, "array-like"],
        "random_state": ["random_state", np.random.Generator],
    }

    # skorch's constructor also sets its fitted slots history_, initialized_
    # and virtual_params_ (an expected failure of scikit-learn's
    # check_no_attributes_set_in_init, listed in tests/test_common.py).
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
        elr_lambda=3.0,
        elr_beta=0.7,
        noise_matrix=None,
        noise_matrix_inflation=1.25,
        sample_selection=None,
        forget_rate="auto",
        dividemix_warmup="auto",
        dividemix_lambda_u="auto",
        dividemix_threshold=0.5,
        dividemix_temperature=0.5,
        dividemix_alpha=4.0,
        dividemix_augment="auto",
        dividemix_penalty=1.0,
        dividemix_window=5,
        dividemix_division="per_class",
        prune_start=None,
        prune_every=None,
        label_correction=None,
        correction_rule="confident",
        alpha=1.2,
        beta=0.8,
        prior="empirical",
        correction_start="auto",
        correction_window=10,
        correction_holdout=0.1,
        refit_corrected=False,
        refit_epochs=None,
        anneal_lr="auto",
        class_weight=None,
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
        annotators=False,
        classes=None,
        random_state=None,
        **kwargs,
    ):
        # No work here (scikit-learn convention): store the parameters as
        # given. sknoisy's own parameters are set first, then skorch's
        # constructor stores its own ones (and its fitted slots).
        params = dict(locals())
        for name in ("self", "kwargs", "__class__"):
            params.pop(name, None)
        for name in set(params) - _SKORCH_INIT_PARAMS:
            setattr(self, name, params[name])
        super().__init__(
            **{name: params[name] for name in _SKORCH_INIT_PARAMS}, **kwargs
        )

    # Private slots, set per fit (class-level defaults until then):
    #: the fit's InputAdapter (a fresh, unfitted one stands in before fit)
    _inputs = InputAdapter()
    #: the running training call's TrainingObjective (None outside a call)
    _objective = None
    #: the given labels a checkpointed label state must match at epoch 1
    _run_labels = None
    #: (given label codes, caller's index) of the issues table
    _label_table = None
    _finish_plan = False
    #: names of the fitted label attributes the last fit set
    _label_names = ()
    #: cache of the callbacks that implement each notify hook
    _hook_cache = None
    _divergence_warned = False
    #: with ``annotators``: the fit's VoteConsensus
    _consensus = None

    # ------------------------------------------------------------------
    # scikit-learn plumbing
    # ------------------------------------------------------------------
    def set_params(self, **kwargs):
        if not self.initialized_ and "callbacks" in kwargs:
            # skorch builds the callbacks right away; before fit, only store
            # the value (validation happens in fit).
            kwargs = dict(kwargs)
            self.callbacks = kwargs.pop("callbacks")
        super().set_params(**kwargs)
        if self.initialized_ and (LOSS_PARAMS | {"loss"}) & set(kwargs):
            reinitialize(self, "criterion", reason="loss parameters changed")
            reinitialize(self, "optimizer", reason=None)
        if self.initialized_ and _CALLBACK_PARAMS & set(kwargs):
            # The callbacks are built from these; they keep no state of a
            # run (that is in label_state_ and the history), so rebuild them.
            self.initialize_callbacks()
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
        method_class(self)  # refuses parameters that ask for two methods
        if self.label_correction is not None and self.criterion is not None:
            raise ValueError(
                "label_correction needs a sknoisy loss (parameter loss), "
                "not a plain skorch criterion."
            )
        if self.annotators and self.criterion is not None:
            raise ValueError(
                "annotators=True trains on soft consensus labels, which need a "
                "sknoisy loss (parameter loss), not a plain skorch criterion."
            )

    def __repr__(self):
        # scikit-learn's repr (the parameters that differ from their
        # defaults) instead of skorch's "[uninitialized](module=None,)";
        # an initialised net adds skorch's view of its modules.
        text = BaseEstimator.__repr__(self)
        if self.initialized_:
            text += (
                "[initialized]" + NeuralNet.__repr__(self).split("[initialized]")[-1]
            )
        return text

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True  # CSR, densified per batch
        tags.non_deterministic = False
        return tags

    def __getstate__(self):
        state = super().__getstate__()
        # The hook cache holds the callback list it was built from (possibly
        # replaced since, with callbacks that cannot be pickled); it is
        # rebuilt on the next notify. The objective lives for one call.
        state.pop("_hook_cache", None)
        state.pop("_objective", None)
        return state

    # ------------------------------------------------------------------
    # Initialisation: callbacks, module, criteria, optimizer
    # ------------------------------------------------------------------
    def _uses_label_state(self):
        return (
            method_class(self).uses_label_state
            or loss_prunes(self.loss, self.criterion)
            or bool(self.annotators)  # the soft consensus labels
        )

    def get_default_callbacks(self):
        """skorch's default callbacks, preceded by the training method's.

        In order: the learning-rate anneal (``anneal_lr``), the method's
        callbacks (:class:`~sknoisy.LabelCorrection` for
        ``label_correction``), the truncated loss' pruning, then skorch's
        (its ``print_log`` quiet about sknoisy's bookkeeping columns, its
        ``valid_acc`` computed on class codes, so labels of any type score
        right).
        """
        method = get_method(self)
        callbacks = [
            (
                name,
                _DEFAULT_REPLACEMENTS[name]() if name in _DEFAULT_REPLACEMENTS else cb,
            )
            for name, cb in super().get_default_callbacks()
        ]
        if loss_prunes(self.loss, self.criterion):
            callbacks.insert(0, ("truncation_pruning", TruncationPruning()))
        callbacks[:0] = method.callbacks()
        anneal = self.anneal_lr
        if isinstance(anneal, str):  # "auto"
            anneal = method.anneals_lr
        if anneal is True:
            callbacks.insert(0, ("lr_anneal", LRAnneal(factor=0.1, at=0.8)))
        return self._run_callbacks(callbacks)

    def _run_callbacks(self, callbacks):
        """The default callbacks of a run (a subclass may swap some)."""
        return callbacks

    def initialize_module(self):
        """The network: ``module`` (``MLP`` by default), sized from the data."""
        kwargs = self.get_params_for("module")
        module = self.module if self.module is not None else MLP
        if not isinstance(module, torch.nn.Module):
            inputs = self._inputs
            kwargs = module_kwargs(module, kwargs, inputs.in_shape, inputs.n_classes)
        self.module_ = method_class(self).build_module(
            self, lambda: self.initialized_instance(module, kwargs)
        )
        return self

    def initialize_criterion(self):
        """Initialise the loss and, when needed, the label state.

        The loss is ``loss`` by name (its hyperparameters routed from the
        estimator) or skorch's plain ``criterion``. Label correction and the
        truncated loss' pruning keep per-sample state; it is a second skorch
        criterion, ``label_state_`` (:class:`~sknoisy.correction.LabelState`),
        so skorch moves it to the device and saves and loads it
        (``f_label_state``) like the others.
        """
        loss = build_loss(self)
        if loss is None:
            super().initialize_criterion()
        else:
            self.criterion_ = loss
        has_state = self._label_state() is not None
        if self._uses_label_state():
            if not has_state:  # else fit resets it
                self.label_state_ = LabelState()
        elif has_state:
            del self.label_state_
        return self

    def torch_compile(self, module, name):
        # The label state is bookkeeping, not a computation to compile.
        if name == "label_state":
            return module
        return super().torch_compile(module, name)

    def _resolved_lr(self):
        if isinstance(self.lr, str):  # "auto"
            return method_class(self).learning_rate(self)
        return self.lr

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if isinstance(kwargs.get("lr"), str):
            kwargs["lr"] = self._resolved_lr()
        return args, kwargs

    # ------------------------------------------------------------------
    # Data: validation, datasets, iterators, the forward pass
    # ------------------------------------------------------------------
    def check_data(self, X, y):
        # Labels were validated and encoded in ``fit``/``partial_fit``.
        pass

    def get_dataset(self, X, y=None):
        dataset, X = self._inputs.dataset(self, X, y)
        return dataset if dataset is not None else super().get_dataset(X, y)

    def get_iterator(self, dataset, training=False):
        return self._inputs.iterator(self, dataset, training=training)

    def get_split_datasets(self, X, y=None, **fit_params):
        # As in skorch, train_split gets y only when the caller gave one.
        return split_datasets(self, X, y, **fit_params)

    def infer(self, x, **fit_params):
        # The sample indices stay out of the module; bfloat16 under autocast.
        if is_indexed(x):
            x = x[X_KEY]
        if self.precision == "float32":
            return super().infer(x, **fit_params)
        device_type = torch.device(self.device or "cpu").type
        with torch.autocast(device_type, dtype=torch.bfloat16):
            y_pred = super().infer(x, **fit_params)
        # Losses, label correction and probabilities work in float32.
        return y_pred.float()

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------
    @Substitution(fit_tail=_FIT_TAIL)
    def fit(self, X, y=None, sample_weight=None, **fit_params):
        """Initialise and train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), dict or torch Dataset
            Training data: an array (tabular, or images as (n, C, H, W); a
            memmap is read batch by batch, never copied), skorch's dict of
            arrays (the module's ``forward`` gets its keys), or a map-style
            :class:`torch.utils.data.Dataset` whose items are ``(x, y)``, or
            ``x`` when ``y`` is given. See :ref:`large_data`.
        y : array-like of shape (n_samples,), default=None
            Training labels, possibly noisy; any label type. ``None`` reads
            them from a Dataset's items.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample's loss (times ``class_weight``);
            ``None`` weighs all samples equally.
        {fit_tail}
        """
        return self._fit_call(X, y, sample_weight, fit_params, new_run=True)

    @Substitution(fit_tail=_FIT_TAIL)
    def partial_fit(self, X, y=None, classes=None, sample_weight=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        After an interrupted run, pass ``epochs=`` the epochs left in it
        (``max_epochs - len(history_)`` for a ``fit``) to end where the
        uninterrupted run ends.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), dict or torch Dataset
            Training data, as in :meth:`fit`.
        y : array-like of shape (n_samples,), default=None
            Training labels (``None``: a Dataset's own).
        classes : array-like of shape (n_classes,), default=None
            All labels; needed on the first call when ``y`` lacks some.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample's loss in this call.
        {fit_tail}
        """
        return self._fit_call(
            X, y, sample_weight, fit_params, new_run=False, classes=classes
        )

    def _fit_call(self, X, y, sample_weight, fit_params, *, new_run, classes=None):
        """``fit`` (``new_run``) or ``partial_fit``: validate, initialise, train."""
        method = "fit" if new_run else "partial_fit"
        self.check_training_readiness()
        check_fit_params(self, method, fit_params)
        self._check_params()
        source = (X, y)
        first = new_run or not self.initialized_ or not self._inputs.fitted
        if first:
            self._inputs = InputAdapter()
        X, y_enc = self._inputs.validate_fit(self, X, y, reset=first, classes=classes)
        if self.annotators:  # the votes' consensus: soft targets, given labels
            self._consensus = VoteConsensus(
                y_enc, self._inputs.n_classes, sample_weight
            )
            y_enc = self._consensus.labels
        self._finish_plan = new_run
        seed = torch_seed(self.random_state) if new_run else self._fit_seed()
        with local_torch_rng(seed, self.device):
            if not self.initialized_ or (new_run and not self.warm_start):
                self.initialize()
            # skorch resolves metadata requests of the method that was called
            fit_params = {**fit_params, **routing_method(method)}
            self._train(X, y_enc, source, sample_weight, reset=new_run, **fit_params)
        return self

    def _fit_seed(self):
        seed = torch_seed(self.random_state)
        if seed is None:
            return None
        # partial_fit continues with a fresh but reproducible stream.
        return (seed + len(self.history_ or [])) % (2**31 - 1)

    def _train(self, X, y_enc, source, sample_weight, reset=False, **fit_params):
        """One training call: weights, per-sample state, skorch's loop, stage 2."""
        method = get_method(self)
        if reset:
            self._clear_label_attributes()
            method.check_inputs(X)
        weights = self._sample_weights(y_enc, sample_weight)
        state = self._training_state(method, y_enc, reset, weights)
        epochs = fit_params.get("epochs")
        self._start_call(self.max_epochs if epochs is None else epochs)
        # Sample indices travel with X only when per-sample state or weights
        # need them; otherwise skorch sees exactly what plain skorch would.
        indexed = X
        if state is not None or weights is not None:
            indexed = {X_KEY: X, INDEX_KEY: np.arange(len(y_enc))}
            self._objective = TrainingObjective(method, weights)
        try:
            super().partial_fit(indexed, y_enc, **fit_params)
            refit_epochs = method.refit_epochs() if state is not None else None
            # a run resumed (LoadInitState) inside its second stage is done
            if refit_epochs is not None and not state.frozen:
                self._refit(method, state, indexed, y_enc, refit_epochs, **fit_params)
        finally:
            self._objective = None
        if state is not None:
            self._set_label_attributes(method, state, y_enc, *source)

    def _sample_weights(self, y_enc, sample_weight):
        if sample_weight is None and self.class_weight is None:
            return None
        if self._inputs.raw:
            raise ValueError(
                "sample_weight and class_weight need one class label per sample "
                "in y; this y holds sequences or several values per sample."
            )
        return SampleWeights.from_fit(
            y_enc,
            sample_weight,
            self.class_weight,
            self.classes_,
            self.device,
            plain_criterion=self.criterion,
        )

    def _label_state(self):
        """The label state, or None when this configuration has none."""
        if "label_state" not in criterion_names(self):
            return None
        return self.label_state_

    def _training_state(self, method, y_enc, reset, weights):
        """Reset the label state for a new run, or keep it to continue one.

        ``partial_fit`` on the same samples continues the run (the state
        matches the labels); anything else starts afresh.
        """
        state = self._label_state()
        if state is None:
            return None
        if not reset and state.matches(y_enc) and not state.frozen:
            return state
        state = method.reset_state(
            state,
            y_enc,
            self._inputs.n_classes,
            weights=None if weights is None else weights.totals,
            prunes=loss_prunes(self.loss, self.criterion),
        )
        if self.annotators:
            self._consensus.prime(state)
        return state

    def _refit(self, method, state, indexed, y_enc, epochs, **fit_params):
        """A second stage: fresh module and optimizer on the frozen labels.

        The label state is frozen (its labels become fixed targets of a plain
        cross entropy, no prior or entropy term, no recording), a fresh module
        and optimizer are initialised, and skorch's own ``partial_fit`` trains
        them (as a new run, so the learning-rate anneal restarts).
        """
        state.set_phase(FROZEN)
        self._reset_for_refit()
        method.start_refit(self.criterion_, state)
        self._start_call(epochs)
        super().partial_fit(indexed, y_enc, **{**fit_params, "epochs": epochs})

    def _reset_for_refit(self):
        reinitialize(self, "module", reason="refit on corrected labels")
        reinitialize(self, "optimizer", reason=None)

    def _start_call(self, epochs):
        """Epochs this training call will run (for the run plan)."""
        self.epochs_left_ = int(epochs)
        self._divergence_warned = False

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's training loop; a ``fit`` that resumes a run finishes it.

        A ``fit`` without ``epochs`` whose callbacks restored the state of a
        run that stopped before its planned end (skorch's
        :class:`~skorch.callbacks.LoadInitState` loading the checkpoint of an
        interrupted fit) trains the epochs left in that run's plan
        (``plan_end`` in the history; see :func:`~sknoisy.correction.run_plan`)
        instead of ``max_epochs`` more: re-running the interrupted script
        ends where the uninterrupted one ends. ``partial_fit`` keeps skorch's
        meaning (``max_epochs`` more, continuing the plan where it stopped),
        and an explicit ``epochs`` is trained as given.
        """
        if epochs is None and self._finish_plan:
            left = self._epochs_left_in_plan()
            if left is not None:
                epochs = left
                self._start_call(left)
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def _epochs_left_in_plan(self):
        """Epochs to the planned end of an unfinished run, else None."""
        history = self.history
        if not len(history):
            return None
        end = history[-1].get("plan_end")
        if end is None or int(end) <= len(history):
            return None
        return int(end) - len(history)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The loss of a batch: the fit's objective, else skorch's criterion.

        During a fit with per-sample state or weights (X carries the sample
        indices), :class:`~sknoisy._objective.TrainingObjective`; otherwise
        skorch's ``get_loss``.
        """
        objective = self._objective
        if objective is None or not is_indexed(X):
            return super().get_loss(y_pred, y_true, X=X, training=training)
        state = self._label_state()
        device = self.device if state is None else state.y.device
        index = to_tensor(X[INDEX_KEY], device=device)
        y_true = to_tensor(y_true, device=self.device)
        return objective(self.criterion_, state, y_pred, y_true, index, training)

    def notify(self, method_name, **cb_kwargs):
        # Correctness: skorch's notify calls hooks on every entry of
        # callbacks_, which breaks once set_params(callbacks__name=None) has
        # replaced a callback by None on an initialised net (resuming without
        # a callback, tests/test_resume.py); those are skipped here. Calling
        # only hooks that are not Callback's no-ops is a side effect: its
        # speed gain is within noise (fit time with skorch's notify 0.996 and
        # 1.06 of this one, digits MLP 10 epochs, CE and soft correction).
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in self._hooked_callbacks(method_name):
            getattr(cb, method_name)(self, **cb_kwargs)

    def _hooked_callbacks(self, method_name):
        """Callbacks whose ``method_name`` is not ``Callback``'s no-op."""
        callbacks = self.callbacks_
        if self._hook_cache is None:
            self._hook_cache = {}
        cached = self._hook_cache.get(method_name)
        # Holding the list keeps its identity valid (also across pickling);
        # the length catches callbacks appended in place.
        if cached is not None and cached[0] is callbacks:
            if cached[1] == len(callbacks):
                return cached[2]
        noop = getattr(Callback, method_name, None)
        hooked = [
            cb
            for _, cb in callbacks
            if cb is not None
            and (
                noop is None
                or method_name in vars(cb)
                or getattr(type(cb), method_name, None) is not noop
            )
        ]
        self._hook_cache[method_name] = (callbacks, len(callbacks), hooked)
        return hooked

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        state = self._label_state()
        # Compared once the callbacks' on_train_begin ran (skorch's
        # LoadInitState loads a checkpoint there): see on_epoch_begin.
        self._run_labels = None if state is None else state.y.clone()

    def on_epoch_begin(self, net, **kwargs):
        """Open the epoch's history row, record the run plan, seed the epoch.

        The row gets ``plan_begin`` and ``plan_end`` (see
        :func:`~sknoisy.correction.run_plan`); with a ``random_state`` the
        epoch's random streams (shuffling, dropout, augmentation) are seeded
        from it and the epoch number, so a run resumed after an interruption
        draws what the uninterrupted run would have drawn. At the first epoch
        of a call, a label state loaded by a callback is checked against the
        call's labels.
        """
        super().on_epoch_begin(net, **kwargs)
        history = self.history
        done = len(history) - 1
        previous = history[-2] if done else {}
        begin, end = previous.get("plan_begin"), previous.get("plan_end")
        if end is None or done >= end:  # a new run: this call's epochs
            begin, end = done, done + max(1, self.epochs_left_)
        history.record("plan_begin", begin)
        history.record("plan_end", end)
        self.epochs_left_ -= 1
        seed = torch_seed(self.random_state)
        if seed is not None:
            seed = (seed + 7919 * (done + 1)) % (2**31 - 1)
            torch.random.default_generator.manual_seed(seed)
            device = torch.device(self.device or "cpu")
            if device.type == "cuda" and torch.cuda.is_available():
                torch.cuda.manual_seed(seed)
        if self._run_labels is not None:
            expected, self._run_labels = self._run_labels, None
            _check_loaded_state(self._label_state(), expected)

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        _check_divergence(self)

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def check_is_fitted(self, attributes=None, *args, **kwargs):
        """Raise :class:`~sknoisy.exceptions.NotInitializedError` if needed.

        As skorch's ``check_is_fitted`` (an initialised net counts as
        fitted), with an error that is also scikit-learn's
        :class:`~sklearn.exceptions.NotFittedError`.
        """
        try:
            super().check_is_fitted(attributes, *args, **kwargs)
        except SkorchNotInitializedError as exc:
            raise NotInitializedError(*exc.args) from None

    @property
    def classes_(self):
        return self._inputs.classes(self)

    def predict_proba(self, X):
        """Class probabilities for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), dict or torch Dataset
            Input data, in the form given to :meth:`fit` (a Dataset's items
            are ``x`` or ``(x, y)``).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one, columns follow ``classes_``.
        """
        self.check_is_fitted()
        X = self._inputs.validate_predict(self, X)
        if self.predict_nonlinearity == "auto" and self.criterion is None:
            nonlinearity = _softmax  # every sknoisy loss takes logits
        else:
            nonlinearity = skorch_predict_nonlinearity(self)
        # torch's DataLoader draws a seed from the global generator on every
        # pass; keep prediction free of side effects on the caller's RNG.
        with torch.random.fork_rng(devices=[]):
            y_probas = []
            for y_pred in self.forward_iter(X, training=False):
                y_pred = y_pred[0] if isinstance(y_pred, tuple) else y_pred
                y_probas.append(to_numpy(nonlinearity(y_pred)))
        return np.concatenate(y_probas, 0)

    def score(self, X, y, sample_weight=None):
        """Accuracy on (X, y); with ``annotators``, ``y`` may hold votes.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), dict or torch Dataset
            Input data, as in :meth:`predict`.
        y : array-like of shape (n_samples,) or (n_samples, n_annotators)
            True labels; with ``annotators=True`` also a matrix of the same
            annotators' votes (as at fit), scored against their consensus
            under the fitted ``annotator_confusion_`` (as in a
            cross-validation split of the votes).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of :meth:`predict`.
        """
        if self.annotators and np.ndim(y) == 2 and self._consensus is not None:
            codes = self._inputs.encode_votes(self, y, reset=False, classes=None)
            y = self._inputs.decode(self, self._consensus.posterior(codes).argmax(1))
        return super().score(X, y, sample_weight=sample_weight)

    def predict(self, X):
        """Predicted labels for X, in the label space of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), dict or torch Dataset
            Input data, as in :meth:`predict_proba`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels; class positions, as in skorch, when ``y`` held
            positions in ``classes``, or for a net that was initialised but
            never fitted and has no ``classes``.
        """
        proba = self.predict_proba(X)
        return self._inputs.decode(self, np.argmax(proba, axis=1))

    # ------------------------------------------------------------------
    # Fitted labels
    # ------------------------------------------------------------------
    def _clear_label_attributes(self):
        """Remove the label attributes of an earlier fit (a new fit starts)."""
        for name in self._label_names:
            if hasattr(self, name):  # unless the caller deleted it
                delattr(self, name)
        self._label_names, self._label_table = (), None

    def _set_label_attributes(self, method, state, y_enc, X=None, y=None):
        if state.prunes:
            self.pruning_weights_ = state.weights.cpu().numpy().copy()
        decode = lambda codes: self._inputs.decode(self, codes)  # noqa: E731
        attributes = method.fitted_attributes(state, y_enc, decode, self.history_)
        if self.annotators:
            attributes.update(self._consensus.fitted_attributes(state, decode))
        for name, value in attributes.items():
            setattr(self, name, value)
        self._label_names = (*attributes, *(("pruning_weights_",) * state.prunes))
        if "label_quality_" in attributes:
            self._label_table = (np.asarray(y_enc).copy(), sample_index(X, y))

    def get_label_issues(self, *, threshold=None, frac_noise=1.0, sort=False):
        """Table of the training labels and what the model believes of them.

        Available after ``fit`` with ``label_correction``. One row per training
        sample, indexed like the ``X`` (or, failing that, the ``y``) passed to
        ``fit`` when it was a pandas object; by file path (named ``"path"``,
        relative to the root) when X was a Dataset that lists its files
        (torchvision's ``ImageFolder``), whose class names then stand in the
        label columns; else by position ``0..n-1`` (named ``"row"``).
        ``table.attrs["index_source"]`` says which. In a
        :class:`~sklearn.pipeline.Pipeline` the estimator sees what the last
        transformer returns, an array unless the pipeline is configured with
        ``set_output(transform="pandas")``: pass ``y`` as a pandas Series
        (passed through unchanged) to keep the index either way. The columns
        follow cleanlab's ``CleanLearning.get_label_issues()``:

        - ``is_label_issue``: the sample's label is probably wrong (by default
          its corrected label differs from the given one);
        - ``label_quality``: ``label_quality_``, in [0, 1], low for labels
          the model doubts;
        - ``given_label``: the label passed to ``fit`` (with ``annotators``,
          the votes' Dawid–Skene consensus the network was trained on);
        - ``predicted_label``: the network's prediction for the sample in the
          last training epoch;
        - ``corrected_label``: ``corrected_labels_``.

        Parameters
        ----------
        threshold : float, default=None
            Flag the samples whose ``label_quality`` is below ``threshold``
            instead of those whose corrected label differs from the given one.
        frac_noise : float, default=1.0
            Keep only this share of the flagged samples, those of lowest
            quality (as cleanlab's ``frac_noise``).
        sort : bool, default=False
            Sort the rows by ``label_quality``, lowest (most suspicious) first.

        Returns
        -------
        issues : pandas.DataFrame of shape (n_samples, 5)
            Needs pandas.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``, and after a fit without ``label_correction``
            (which scores no label); the message names the fit it needs.

        Examples
        --------
        >>> import numpy as np
        >>> from sknoisy import NoisyLabelClassifier
        >>> from sklearn.datasets import make_blobs
        >>> X, y = make_blobs(200, centers=3, random_state=0)
        >>> y_noisy = y.copy()
        >>> y_noisy[:10] = (y[:10] + 1) % 3
        >>> clf = NoisyLabelClassifier(
        ...     label_correction="soft", max_epochs=20, random_state=0
        ... ).fit(X, y_noisy)
        >>> issues = clf.get_label_issues(sort=True)
        >>> list(issues.columns)  # doctest: +NORMALIZE_WHITESPACE
        ['is_label_issue', 'label_quality', 'given_label',
         'predicted_label', 'corrected_label']
        >>> bool(issues["label_quality"].is_monotonic_increasing)
        True
        """
        check_issue_options(threshold, frac_noise)
        check_is_fitted(self)
        if self._label_table is None:  # NotFittedError is an AttributeError
            raise NotFittedError(
                "get_label_issues needs a fit with label_correction='soft' or "
                f"'hard'; this {type(self).__name__} was fitted with "
                f"label_correction={self.label_correction!r} and "
                f"loss={self.loss!r}, which score no label. Refit with "
                "label_correction='soft', or call sknoisy.find_label_issues."
            )
        given, (index, names, source) = self._label_table
        columns = {
            "label_quality": self.label_quality_,
            "label_issues": self.label_issues_,
            "given_label": self._inputs.decode(self, given),
            "predicted_label": self.predicted_labels_,
            "corrected_label": self.corrected_labels_,
        }
        return issues_table(
            columns, index, threshold, frac_noise, sort, names=names, source=source
        )


def _code_accuracy(net, X, y):
    """Accuracy on skorch's validation split, computed on class codes.

    skorch's ``valid_acc`` compares ``net.predict`` with the split's targets;
    sknoisy's ``predict`` returns the caller's labels while the split holds
    their codes, so the codes of the predictions are compared instead.
    skorch's raw targets (sequences...) keep skorch's accuracy.
    """
    if net._inputs.raw:
        return accuracy_score(y, net.predict(X))
    codes = np.argmax(net.predict_proba(X), axis=1)
    return accuracy_score(np.asarray(y), codes)


def _valid_accuracy():
    return EpochScoring(_code_accuracy, name="valid_acc", lower_is_better=False)


#: skorch's default callbacks that sknoisy replaces, by name.
_DEFAULT_REPLACEMENTS = {"print_log": QuietPrintLog, "valid_acc": _valid_accuracy}


def _check_loaded_state(state, expected):
    """Refuse a label state loaded for other labels or samples."""
    if state is None or state.matches(expected):
        return
    n_state, n = len(state.y), len(expected)
    what = (
        f"{n_state} samples, this call has {n}"
        if n_state != n
        else f"{int((state.y.cpu() != expected.cpu()).sum())} of {n} "
        "given labels differ from this call's"
    )
    raise ValueError(
        "The label state loaded at the start of training (by a "
        "callback such as skorch's LoadInitState, from a checkpoint's "
        f"f_label_state) belongs to other data: it has {what}. Resume "
        "with the X and y of the checkpointed run, or start label "
        "correction afresh by not loading the label state "
        "(Checkpoint(f_label_state=None))."
    )


def _check_divergence(net):
    """Stop (sknoisy loss) or warn once (plain criterion) on a non-finite loss."""
    for batch in net.history[-1].get("batches", []):
        value = batch.get("train_loss")
        if value is None or np.isfinite(value):
            continue
        message = (
            f"Training diverged: the train_loss is {value} in epoch "
            f"{len(net.history)}. Lower lr, or check X for extreme values."
        )
        if net.criterion is None:
            raise FloatingPointError(message)
        # A plain skorch criterion trains on, as in skorch: say it once.
        if not net._divergence_warned:
            net._divergence_warned = True
            _warn(
                message + " (With a plain criterion, training goes on "
                "as in skorch; a module whose output does not suit the "
                "criterion also causes this.)",
                DivergenceWarning,
            )
        return
