"""NoisyLabelClassifier trained through Hugging Face accelerate (skorch.hf).

Nothing here imports :mod:`accelerate` itself: skorch's :class:`AccelerateMixin`
only uses the ``accelerator`` object it is given, so ``import sknoisy.accelerate``
works without accelerate installed and only building an ``Accelerator`` needs it.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning
from skorch.hf import AccelerateMixin
from skorch.utils import to_tensor

from ._classifier import NoisyLabelClassifier
from .correction._callbacks import LabelCorrection
from .losses._pruning import TruncationPruning
from .methods import method_class
from .utils._compat import (
    AccelerateCompat,
    criterion_names,
    prepare_accelerator,
    set_training,
    unwrap_accelerator,
    wrapped_with_accelerator,
)
from .utils._data import INDEX_KEY

__all__ = ["AcceleratedNoisyLabelClassifier"]


def _n_processes(accelerator):
    return int(getattr(accelerator, "num_processes", 1) or 1)


def _all_reduce_(accelerator, tensor, op):
    """Reduce ``tensor`` across processes in place; ``op`` is "sum" or "max"."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        reduce_op = dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX
        dist.all_reduce(tensor, op=reduce_op)
    else:  # other back ends (e.g. XLA): accelerate's reduce returns a copy
        tensor.copy_(accelerator.reduce(tensor, reduction=op))
    return tensor


def _share_epoch_outputs(accelerator, state):
    """Give every process the outputs that all processes recorded this epoch.

    Each process has recorded, in ``state.epoch_probs`` and
    ``state.recorded``, the softmax outputs of the batches it trained on (and
    of its share of the validation batches). Every sample gets one owner, the
    lowest process that recorded it (a sample recorded twice is one that the
    distributed sampler repeated to even out the last batches); one
    all-reduce of ``n`` integers finds the owners and the kind of record, and
    one sum all-reduce of the ``n x C`` outputs, in which every row has a
    single non-zero term, copies each owner's rows to every process exactly.
    """
    rank, size = int(accelerator.process_index), _n_processes(accelerator)
    recorded = state.recorded
    # (size - rank) * 4 + kind: the maximum is the lowest recording process.
    code = torch.where(
        recorded > 0,
        (size - rank) * 4 + recorded.to(torch.int32),
        torch.zeros((), dtype=torch.int32, device=recorded.device),
    )
    _all_reduce_(accelerator, code, "max")
    mine = (code > 0) & (size - code // 4 == rank)
    state.epoch_probs.masked_fill_(~mine[:, None], 0.0)
    _all_reduce_(accelerator, state.epoch_probs, "sum")
    state.recorded.copy_(code % 4)


class _SharedLabelCorrection(LabelCorrection):
    """Label correction whose label state is the same in every process.

    With several processes each one trains on its shard of every epoch, so
    it records the outputs of its shard only. At every epoch end, before the
    outputs are folded into the labels, the processes exchange them
    (:func:`_share_epoch_outputs`): every process then folds the outputs of
    all samples, scores the held-out labels on all of them, and takes the
    same decisions (start of correction, changed labels) from the same
    numbers. The held-out labels are drawn by the main process.
    """

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        state = self._state(net)
        if _n_processes(net.accelerator) > 1 and state.recording:
            # Without random_state every process would draw its own mask.
            mask = state.heldout.to(torch.int32)
            if int(net.accelerator.process_index) != 0:
                mask.zero_()
            _all_reduce_(net.accelerator, mask, "max")
            state.set_heldout(mask.bool())

    def on_epoch_end(self, net, **kwargs):
        state = self._state(net)
        if _n_processes(net.accelerator) > 1 and state.recording:
            _share_epoch_outputs(net.accelerator, state)
        super().on_epoch_end(net, **kwargs)


class _GatheredTruncationPruning(TruncationPruning):
    """Truncation pruning whose weights are gathered across processes.

    With several processes the evaluation data loader is sharded, so each
    process scores only its part of the training set. The (index, weight)
    pairs of all processes are gathered so every process holds the weights of
    every sample (a process trains on other samples in the next epoch).
    """

    @torch.no_grad()
    def prune(self, net, dataset, state):
        accelerator = net.accelerator
        criterion = net.criterion_
        device = state.weights.device
        set_training(net, False)
        try:
            for Xi, yi in net.get_iterator(dataset, training=False):
                index = to_tensor(Xi[INDEX_KEY], device=device)
                logits = net.infer(Xi)
                target = state.targets(index, to_tensor(yi, device=device))
                weights = criterion.prune_weights(logits, target).to(
                    device=logits.device, dtype=torch.float32
                )
                index = index.to(logits.device)
                if _n_processes(accelerator) > 1:
                    index, weights = accelerator.gather_for_metrics((index, weights))
                state.weights[index.to(device)] = weights.to(
                    device=device, dtype=state.weights.dtype
                )
        finally:
            set_training(net, True)


#: Epoch scores averaged over processes: (key, batch-size key, lower is better).
_SHARED_SCORES = (
    ("train_loss", "train_batch_size", True),
    ("valid_loss", "valid_batch_size", True),
    ("valid_acc", "valid_batch_size", False),
)


class _SharedEpochScores(Callback):
    """Record the same epoch losses (and ``valid_acc``) in every process.

    Each process computes ``train_loss``, ``valid_loss`` and ``valid_acc``
    on its own shard of the batches. This callback, placed after skorch's
    scoring callbacks and before the user's (``EarlyStopping``,
    ``Checkpoint``), replaces them by their means over all processes,
    weighted by the number of samples each process saw (exact for the losses
    and the accuracy), and recomputes their ``*_best`` flags, so callbacks
    that decide from them decide the same everywhere.
    """

    def on_epoch_end(self, net, **kwargs):
        accelerator = net.accelerator
        if _n_processes(accelerator) <= 1:
            return
        row = net.history[-1]
        batches = row.get("batches", [])
        sums = []
        for key, size_key, _ in _SHARED_SCORES:
            sizes = [b[size_key] for b in batches if size_key in b]
            n = float(sum(sizes))
            if key in row and key.endswith("_loss"):
                losses = [b[key] for b in batches if key in b and size_key in b]
                total = float(np.dot(losses, sizes[: len(losses)]))
            elif key in row:
                total = float(row[key]) * n
            else:
                total = n = 0.0
            sums += [total, n]
        sums = torch.tensor(sums, dtype=torch.float64, device=accelerator.device)
        _all_reduce_(accelerator, sums, "sum")
        for i, (key, _, lower) in enumerate(_SHARED_SCORES):
            total, n = float(sums[2 * i]), float(sums[2 * i + 1])
            if key not in row or n <= 0:
                continue
            value = total / n
            net.history.record(key, value)
            if f"{key}_best" in row:
                before = [h[key] for h in net.history[:-1] if key in h]
                best = not before or (
                    value < min(before) if lower else value > max(before)
                )
                net.history.record(f"{key}_best", bool(best))


class AcceleratedNoisyLabelClassifier(
    AccelerateCompat, AccelerateMixin, NoisyLabelClassifier
):
    """:class:`~sknoisy.NoisyLabelClassifier` trained through Hugging Face accelerate.

    skorch's :class:`skorch.hf.AccelerateMixin` combined with
    :class:`~sknoisy.NoisyLabelClassifier`: the ``accelerator`` prepares the
    module, optimizer and data loaders, so one model trains on several GPUs
    (distributed data parallel, one process per GPU, started with ``accelerate
    launch``), with mixed precision or gradient accumulation. Every parameter of
    :class:`~sknoisy.NoisyLabelClassifier` is available.

    Differences from the plain estimator:

    - ``device`` defaults to None: the accelerator places the data and the
      model (skorch refuses a ``device`` when ``accelerator.device_placement``).
    - ``verbose`` is honoured: the epoch table is printed (on the main process
      only) when ``verbose`` is truthy, whereas skorch's mixin prints it always.
    - ``loss="truncated_gce"``: the pruning weights computed by each process on
      its shard are gathered, so all processes share the same weights.
    - ``label_correction`` across processes: each process trains on its own
      shard of every epoch and records the outputs of that shard; at every
      epoch end the processes exchange them (one all-reduce of ``n x C``
      float32 outputs and one of ``n`` integers), so every process folds the
      outputs of all samples into the same label state and takes the same
      decisions (start of correction, held-out scores, changed labels). The
      held-out labels of ``correction_start="auto"`` are drawn by the main
      process. The loss of a batch stays local. ``corrected_labels_`` and the
      other fitted attributes are the same in every process. To keep the
      steps of a one-process run, pass the accelerator
      ``DataLoaderConfiguration(split_batches=True)`` (``batch_size`` is then
      the global batch); see :ref:`correction_processes`.
    - Continuing a run across processes (``partial_fit``, or ``fit`` with
      ``warm_start=True``) after ``unwrap_after_train=True`` unwrapped the
      module raises a ``ValueError``: the processes would train their copies
      without synchronised gradients. Pass ``unwrap_after_train=False``.
    - Saving: the module is unwrapped after training (``unwrap_after_train``),
      after which the estimator pickles; skorch calls pickling accelerated nets
      fragile, so prefer :meth:`save_params` and :meth:`load_params`.

    Read more in :doc:`/scaling`.

    Parameters
    ----------
    *args, **kwargs
        Parameters of :class:`~sknoisy.NoisyLabelClassifier`.
    accelerator : accelerate.Accelerator
        The accelerator; created in the training script, e.g.
        ``Accelerator(mixed_precision="bf16")``.
    device : str, torch.device or None, default=None
        Leave None unless ``Accelerator(device_placement=False)``.
    unwrap_after_train : bool, default=True
        Unwrap the module from its distributed wrapper after training (needed to
        pickle it and to predict without the wrapper).
    callbacks__print_log__sink : "auto" or callable, default="auto"
        ``"auto"`` prints through ``accelerator.print`` (main process only) when
        ``verbose`` is truthy.

    See Also
    --------
    sknoisy.NoisyLabelClassifier : The estimator without accelerate.
    skorch.hf.AccelerateMixin : The skorch mixin used here.

    Examples
    --------
    >>> from accelerate import Accelerator  # doctest: +SKIP
    >>> from sklearn.datasets import load_digits
    >>> from sknoisy.accelerate import AcceleratedNoisyLabelClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = AcceleratedNoisyLabelClassifier(  # doctest: +SKIP
    ...     accelerator=Accelerator(), loss="gce", max_epochs=5, random_state=0
    ... ).fit(X / 16, y)
    """

    def __init__(
        self,
        *args,
        accelerator,
        device=None,
        unwrap_after_train=True,
        callbacks__print_log__sink="auto",
        **kwargs,
    ):
        super().__init__(
            *args,
            accelerator=accelerator,
            device=device,
            unwrap_after_train=unwrap_after_train,
            callbacks__print_log__sink=callbacks__print_log__sink,
            **kwargs,
        )

    # ------------------------------------------------------------------
    # Training across processes
    # ------------------------------------------------------------------
    def _train(self, X, y_enc, source, sample_weight, reset=False, **fit_params):
        n_processes = _n_processes(self.accelerator)
        if n_processes > 1 and method_class(self).name == "elr":
            raise ValueError(
                "loss='elr' keeps per-sample targets that each process would "
                "update on its own shard only; across several processes they are "
                "not exchanged yet. Train with one process, or use "
                "label_correction, whose label state is shared."
            )
        if n_processes > 1 and not wrapped_with_accelerator(self):
            raise ValueError(
                f"{type(self).__name__} cannot continue training across "
                f"{n_processes} processes after unwrap_after_train=True "
                "unwrapped the module: each process would train its own copy "
                "without synchronised gradients, so the models (and corrected "
                "labels) would diverge. Pass unwrap_after_train=False to continue "
                "with partial_fit or warm_start=True, or call fit with "
                "warm_start=False to start a new run."
            )
        return super()._train(
            X, y_enc, source, sample_weight, reset=reset, **fit_params
        )

    def _reset_for_refit(self):
        # The refit on corrected labels starts with a fresh module and
        # optimizer: prepare them like the first ones.
        super()._reset_for_refit()
        unwrap_accelerator(self)
        prepare_accelerator(self)

    def _training_state(self, method, y_enc, reset, weights):
        # The per-sample state (labels, pruning weights) lives where the
        # accelerator puts the batches, not on ``device`` (None here).
        state = self._label_state()
        if state is not None:
            state.to(self.accelerator.device)
        return super()._training_state(method, y_enc, reset, weights)

    # ------------------------------------------------------------------
    # Callbacks and printing
    # ------------------------------------------------------------------
    def _run_callbacks(self, callbacks):
        run = []
        for name, callback in callbacks:
            if isinstance(callback, TruncationPruning):
                callback = _GatheredTruncationPruning()
            elif type(callback) is LabelCorrection:
                callback = _SharedLabelCorrection(**callback.get_params())
            if name == "print_log":  # after skorch's scores, before the user's
                run.append(("shared_scores", _SharedEpochScores()))
            run.append((name, callback))
        return run

    def _print_if_verbose(self, text):
        if self.verbose:
            getattr(self.accelerator, "print", print)(text)

    @contextmanager
    def print_sink(self):
        """While callbacks are built: route ``"auto"`` printing through verbose.

        skorch's mixin replaces ``"auto"`` by ``accelerator.print``, which
        ignores ``verbose``; route through a sink that honours it, and keep the
        parameter as the user gave it.
        """
        sink = self.callbacks__print_log__sink
        if not (isinstance(sink, str) and sink == "auto"):
            yield
            return
        self.callbacks__print_log__sink = self._print_if_verbose
        try:
            yield
        finally:
            self.callbacks__print_log__sink = sink

    # ------------------------------------------------------------------
    # Accelerator
    # ------------------------------------------------------------------
    def criteria_to_prepare(self):
        """The criteria the accelerator prepares: those with trainable parameters.

        accelerate wraps every prepared module in ``DistributedDataParallel``
        on multi-process CPU runs, which fails for a loss without parameters.
        sknoisy's losses have none, so only criteria with trainable
        parameters are prepared; the others are just moved to the
        accelerator's device (they may hold buffers, e.g. class weights).
        """
        trainable = []
        for name in criterion_names(self):
            criterion = getattr(self, name + "_")
            if not isinstance(criterion, torch.nn.Module):
                continue
            if any(p.requires_grad for p in criterion.parameters()):
                trainable.append(name)
            elif getattr(self.accelerator, "device_placement", False):
                criterion.to(self.accelerator.device)
        return trainable

    def __setstate__(self, state):
        # skorch loads the tensors onto the CPU when ``device`` is None and
        # then sets ``device="cpu"`` (with a DeviceWarning), which the
        # accelerator would refuse at the next fit; keep None.
        device = state.get("device")
        with warnings.catch_warnings():
            if device is None:
                warnings.simplefilter("ignore", DeviceWarning)
            super().__setstate__(state)
        if device is None:
            self.device = None
