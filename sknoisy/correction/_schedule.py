"""When label correction starts (held-out labels), and the learning-rate anneal."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from skorch.callbacks import Callback

from ..utils._torch import torch_seed


def early_learning_end(
    heldout, trained=None, min_epochs=3, patience=3, rel_tol=0.05, memorized=0.1
):
    """Epoch at which the early-learning phase of a training run ends.

    ``heldout[t]`` scores how well the network predicts the given (noisy)
    labels of held-out training samples after epoch ``t + 1``: samples whose
    labels it has not been trained on (see :class:`LabelCorrection`); the
    score used is the mean probability of the given label. ``trained[t]`` is
    the same score over the samples it is trained on.

    While the network learns the patterns that the clean majority of the
    labels share, both scores rise together. Once it starts memorising the
    noisy labels of the samples it is trained on, two things happen, and
    either ends early learning (from epoch ``min_epochs`` on):

    - **memorisation**: the trained score pulls away from the held-out one,
      ``trained - heldout >= memorized * (1 - heldout)``: the network has
      closed a ``memorized`` share of the probability mass it misses on
      held-out labels, on the trained labels alone. This fires early when a
      network memorises fast (standardised inputs, small data);
    - **plateau**: the held-out score has set no new best for ``patience``
      epochs, a new best having to beat the previous one by ``rel_tol`` times
      the rise of the score since the first epoch. This fires when a network
      learns slowly and memorises slowly too.

    Neither test can be passed by memorisation alone raising a training
    curve, so the rule does not depend on how fast a network memorises.

    Parameters
    ----------
    heldout : sequence of float
        Per-epoch held-out score (higher is better).
    trained : sequence of float, default=None
        Per-epoch score of the trained samples; ``None`` skips the
        memorisation test.
    min_epochs : int, default=3
        Never end before this many epochs.
    patience : int, default=3
        Epochs without a new best held-out score after which early learning
        has ended.
    rel_tol : float, default=0.05
        Smallest improvement that counts as a new best, relative to the rise
        of the held-out score since the first epoch.
    memorized : float, default=0.1
        Share of the held-out shortfall ``1 - heldout`` by which the trained
        score may exceed the held-out score before memorisation is declared.

    Returns
    -------
    epoch : int or None
        The 1-based epoch that ends early learning, or ``None`` when it has
        not ended yet.

    Examples
    --------
    >>> from sknoisy.correction._schedule import early_learning_end
    >>> early_learning_end([0.2, 0.4, 0.5, 0.52, 0.51, 0.5, 0.49, 0.5])
    7
    >>> early_learning_end([0.1, 0.2, 0.3, 0.4, 0.5]) is None
    True
    >>> early_learning_end([0.2, 0.4, 0.5, 0.52], trained=[0.2, 0.42, 0.56, 0.6])
    3
    """
    a = np.asarray(heldout, dtype=float)
    if trained is not None:
        trained = np.asarray(trained, dtype=float)
        if trained.shape != a.shape:
            raise ValueError(
                f"heldout and trained must have the same length, got {a.shape[0]} "
                f"and {trained.shape[0]}."
            )
    best, best_epoch = -np.inf, 0
    for t, value in enumerate(a, start=1):
        if value > best + rel_tol * max(value - a[0], 0.0):
            best, best_epoch = value, t
        if t < min_epochs:
            continue
        if trained is not None and trained[t - 1] - value >= memorized * (1 - value):
            return t
        if t - best_epoch >= patience:
            return t
    return None


def holdout_mask(y, fraction, random_state=None):
    """Stratified random subset of samples whose labels are held out.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded given labels.
    fraction : float
        Share of each class to hold out, in (0, 1). Every class with at least
        two samples gives at least one; a class with one sample gives none.
    random_state : int, numpy Generator, RandomState or None, default=None
        Seed of the draw.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype=bool
        True for held-out samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.correction._schedule import holdout_mask
    >>> mask = holdout_mask(np.repeat([0, 1], 50), 0.1, random_state=0)
    >>> int(mask.sum()), int(mask[:50].sum())
    (10, 5)
    """
    y = np.asarray(y)
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    mask = np.zeros(len(y), dtype=bool)
    for k in np.unique(y):
        rows = np.flatnonzero(y == k)
        if len(rows) < 2:
            continue
        m = min(len(rows) - 1, max(1, int(round(fraction * len(rows)))))
        mask[rng.choice(rows, m, replace=False)] = True
    return mask


def _holdout_seed(random_state):
    """Seed of the held-out draw: fixed by ``random_state``, None without one."""
    seed = torch_seed(random_state)
    return None if seed is None else (seed + 104729) % (2**31 - 1)


def run_plan(history, epochs=None):
    """First and last epoch of the training run that the history is in.

    :class:`~sknoisy.NoisyLabelClassifier` records, in every epoch's row, the
    epoch count before its run (``plan_begin``) and at its planned end
    (``plan_end``). A call that resumes an interrupted run (``partial_fit``
    after a ``KeyboardInterrupt``, or :class:`skorch.callbacks.LoadInitState`)
    keeps the plan of that run; a call after a run has ended plans a new one.
    Schedules that depend on the run's length (the latest start of label
    correction, the learning-rate anneal) read it here, so a resumed run
    continues them rather than restarting them.

    Parameters
    ----------
    history : skorch.History
        The net's history; its last row is the current epoch.
    epochs : int, default=None
        Planned epochs when the history records no plan (a plain skorch
        net): the run is then taken to begin at the first epoch.

    Returns
    -------
    begin, end : int
        Epochs finished before the run, and at its planned end.

    Examples
    --------
    >>> from skorch.history import History
    >>> from sknoisy.correction._schedule import run_plan
    >>> history = History()
    >>> history.new_epoch()
    >>> history.record("plan_begin", 0)
    >>> history.record("plan_end", 30)
    >>> run_plan(history)
    (0, 30)
    """
    row = history[-1] if len(history) else {}
    begin, end = row.get("plan_begin"), row.get("plan_end")
    if begin is None or end is None:
        return 0, int(epochs if epochs is not None else len(history))
    return int(begin), int(end)


class LRAnneal(Callback):
    """Multiply the learning rate by ``factor`` for the last part of a run.

    Used by :class:`~sknoisy.NoisyLabelClassifier` (``anneal_lr``): labels
    are corrected at a constant high rate, then the network settles on them at
    a low rate. Each run (``fit``, a ``partial_fit`` that does not resume an
    interrupted run, the refit stage; see :func:`run_plan`) anneals its own
    last ``1 - at`` fraction of epochs; the rate is restored at the end of
    every call. The rate of every epoch is recorded in the history as ``lr``.
    The base rate is kept in each optimizer parameter group as
    ``initial_lr`` (as torch's schedulers do), so it is saved and restored
    with the optimizer's state.

    Parameters
    ----------
    factor : float, default=0.1
        Multiplier of the learning rate.
    at : float, default=0.8
        Fraction of the run's epochs after which the rate is lowered.
    """

    def __init__(self, factor=0.1, at=0.8):
        self.factor = factor
        self.at = at

    def on_train_begin(self, net, **kwargs):
        self.begin_ = len(net.history)
        for group in net.optimizer_.param_groups:
            group["initial_lr"] = group["lr"]

    def on_epoch_begin(self, net, **kwargs):
        begin, end = run_plan(net.history, self.begin_ + net.max_epochs)
        if "plan_begin" not in net.history[-1]:
            begin = self.begin_
        done = len(net.history) - 1 - begin  # epochs finished in this run
        milestone = max(1, round(self.at * (end - begin)))
        scale = self.factor if done >= milestone else 1.0
        for group in net.optimizer_.param_groups:
            base = group.setdefault("initial_lr", group["lr"])
            group["lr"] = base * scale
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])

    def on_train_end(self, net, **kwargs):
        for group in net.optimizer_.param_groups:
            if "initial_lr" in group:
                group["lr"] = group["initial_lr"]
