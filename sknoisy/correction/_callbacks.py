"""Joint optimisation of network and labels (Tanaka et al., CVPR 2018).

The label state lives in a :class:`LabelState` module, the estimator's
criterion ``label_state_``; ``NoisyLabelClassifier.get_loss`` records the
softmax of every training forward pass in it by sample index, and the
:class:`LabelCorrection` callback (which owns the correction's parameters)
folds each epoch's outputs into a running average of ``correction_window``
epochs and, once correction has started, replaces the labels by that average
(soft) or its argmax (hard). Everything it decides is a function of the
label state and ``net.history``, so a resumed run continues where it stopped.
"""

from __future__ import annotations

import numpy as np
from skorch.callbacks import Callback

from ..exceptions import CorrectionWarning, _warn
from ._schedule import _holdout_seed, early_learning_end, holdout_mask, run_plan
from ._state import CORRECTED, GIVEN, LabelState


class LabelCorrection(Callback):
    """Update the training labels from the network's outputs (joint optimisation).

    :class:`~sknoisy.NoisyLabelClassifier` adds this callback itself when
    ``label_correction`` is ``"soft"`` or ``"hard"``, built from the
    estimator's ``label_correction``, ``correction_window``,
    ``correction_start``, ``correction_holdout`` and ``random_state``. It
    needs the estimator's label state (``label_state_``); added to a net
    without one it raises a ``TypeError``.

    During every training batch the softmax outputs are stored by sample index
    (no extra inference pass). At each epoch end they are folded into a
    running average of the last ``window`` epochs (:func:`window_weight`:
    their exact mean while a sample has at most ``window`` outputs, then an
    exponential moving average with the window's centre of mass, so the
    state is one ``n x C`` array whatever the window). Once correction has
    started, every epoch sets each training sample's label to that average
    (``"soft"``) or to the one-hot of its argmax (``"hard"``), as in the
    official code; under the estimator's ``correction_rule="confident"``
    (the label state's ``confident`` flag) only the labels that the average
    confidently puts in another class
    (:meth:`~sknoisy.correction.LabelState.update_labels`), the others
    keeping their given label.

    ``correction_start="auto"`` starts at the end of the early-learning phase.
    To find it, the given labels of a stratified random ``correction_holdout``
    share of the training samples are held out until correction starts: those
    samples still pass through the network (their outputs are recorded, and
    the prior and entropy terms see them) but their label term is zero. The
    mean probability that the network gives to their labels
    (``heldout_score``) rises while it learns what generalises; the same mean
    over the trained samples (``train_score``) rises with it until the network
    memorises the noisy labels it is trained on. Correction starts when the
    trained score pulls away from the held-out one, or when the held-out score
    stops rising (:func:`early_learning_end`), and at the latest after half of
    the training call's epochs. From then on every sample, held out or not,
    is trained on its corrected label. Neither test can be passed by
    memorisation raising a training curve, so the rule holds whatever the
    scale of the inputs (which decides how fast a network memorises), the
    data set and the noise.
    An integer ``correction_start`` starts at that epoch and holds nothing
    out.

    When correction never starts, or runs for fewer than
    ``correction_window`` epochs, a :class:`~sknoisy.exceptions.CorrectionWarning`
    names the parameter to change.

    History keys written per epoch: ``label_agreement`` (fraction of training
    predictions equal to the given label), ``heldout_agreement`` and
    ``heldout_score`` (the same and the mean probability of the given label,
    over the held-out samples, while the start is searched), ``train_score``
    (that mean probability over the trained samples), ``correcting``
    (bool) and ``n_labels_changed`` (labels whose argmax changed this epoch).

    Parameters
    ----------
    mode : {"soft", "hard"}, default="soft"
        Soft labels (the averaged outputs) or hard ones (their argmax).
    window : int, default=10
        Number of epochs averaged.
    start : "auto" or int, default="auto"
        Epoch at whose end correction starts, or ``"auto"`` (see above).
    holdout : float, default=0.1
        Share of labels held out while ``start="auto"`` searches the start.
    random_state : int, RandomState instance or None, default=None
        Seed of the held-out draw.
    """

    def __init__(
        self, mode="soft", window=10, start="auto", holdout=0.1, random_state=None
    ):
        self.mode = mode
        self.window = window
        self.start = start
        self.holdout = holdout
        self.random_state = random_state

    @staticmethod
    def _state(net):
        state = getattr(net, "label_state_", None)
        if not isinstance(state, LabelState) or not state.corrects:
            raise TypeError(
                "LabelCorrection needs the label state of a NoisyLabelClassifier "
                "with label_correction='soft' or 'hard' (which adds this callback "
                f"itself); {type(net).__name__} has none."
            )
        return state

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        state = self._state(net)
        if state.frozen:
            return
        state.set_hard(self.mode == "hard")
        state.begin_recording()
        if (
            self.start == "auto"
            and state._phase == GIVEN
            and not bool(state.n_averaged.any())
            and not state.masking
        ):
            self._hold_out(state)

    def _hold_out(self, state):
        if not self.holdout:
            return
        mask = holdout_mask(
            state.y.cpu().numpy(), self.holdout, _holdout_seed(self.random_state)
        )
        if mask.any():
            state.set_heldout(mask)
        else:
            _warn(
                "correction_start='auto' could hold out no label (no class has "
                "two samples), so the start is found from the agreement with "
                "the training labels, which memorisation keeps raising: set "
                "correction_start to an epoch.",
                CorrectionWarning,
            )

    def on_epoch_end(self, net, **kwargs):
        state = self._state(net)
        if not state.recording:
            return
        if state.masking:
            self._score_heldout(net, state)
        agree, _ = state.fold_epoch(int(self.window))
        epoch = len(net.history)
        net.history.record("label_agreement", agree)
        if state._phase == GIVEN and self._starts(net, epoch):
            state.set_phase(CORRECTED)  # held-out samples get labels from now on
        correcting = state._phase == CORRECTED
        n_changed = state.update_labels() if correcting else 0
        net.history.record("correcting", correcting)
        net.history.record("n_labels_changed", n_changed)

    def _score_heldout(self, net, state):
        """Record how well the network predicts held-out and trained labels."""
        probs, recorded, y = state.epoch_probs, state.recorded, state.y
        # per-sample values first: no copy of the (n, C) outputs
        p_given = probs.gather(1, y[:, None])[:, 0].double()
        hits = (probs.argmax(1) == y).double()
        held = state.heldout & (recorded > 0)
        trained = ~state.heldout & (recorded == 1)
        if bool(held.any()):
            net.history.record("heldout_score", float(p_given[held].mean()))
            net.history.record("heldout_agreement", float(hits[held].mean()))
        if bool(trained.any()):
            net.history.record("train_score", float(p_given[trained].mean()))

    def _starts(self, net, epoch):
        """Whether correction starts at the end of ``epoch``.

        A function of the history alone, so a resumed run decides as the
        uninterrupted one would.
        """
        if self.start != "auto":
            return epoch >= int(self.start)
        begin, end = run_plan(net.history)
        rows = net.history[begin:]
        heldout = [row["heldout_score"] for row in rows if "heldout_score" in row]
        if heldout:
            trained = [
                row.get("train_score", np.nan) for row in rows if "heldout_score" in row
            ]
            found = early_learning_end(heldout, trained)
        else:  # nothing held out: the agreement with the training labels
            found = early_learning_end(
                [row["label_agreement"] for row in rows if "label_agreement" in row]
            )
        latest = begin + max(1, (end - begin) // 2)
        return found is not None or epoch >= latest

    def on_train_end(self, net, **kwargs):
        state = self._state(net)
        if not state.recording:
            return
        state.end_recording()
        window = int(self.window)
        epochs = len(net.history)
        n_correcting = sum(1 for row in net.history if row.get("correcting"))
        _, end = run_plan(net.history)
        if n_correcting < window and epochs < end:
            done = (
                "Label correction never started"
                if n_correcting == 0
                else f"Label correction ran for only {n_correcting} epoch"
                + ("s" if n_correcting > 1 else "")
            )
            _warn(
                f"{done}: the run stopped at epoch {epochs} of the {end} planned "
                "(interrupted, or stopped by a callback such as EarlyStopping), "
                "so corrected_labels_ and label_issues_ are those of an "
                "unfinished run. To finish it, call partial_fit(X, y, "
                f"epochs={end - epochs}) on this estimator, or fit a new one "
                "with the same settings and a Checkpoint + LoadInitState of "
                f"this run (its fit trains the epochs left, to epoch {end}); "
                "if EarlyStopping stopped it, raise its patience or lower "
                "correction_start.",
                CorrectionWarning,
            )
        elif n_correcting == 0:
            start = self.start
            if start == "auto":
                fix = "raise max_epochs or set correction_start to an earlier epoch"
            else:
                fix = (
                    f"correction_start={start!r} is after the last epoch; lower "
                    "correction_start or raise max_epochs"
                )
            _warn(
                f"Label correction never started in {epochs} epochs, so "
                "corrected_labels_ are the given labels and label_issues_ is all "
                f"False: {fix}.",
                CorrectionWarning,
            )
        elif n_correcting < window:
            _warn(
                f"Label correction ran for only {n_correcting} of "
                f"{epochs} epochs, fewer than correction_window={window}, so the "
                "corrected labels average fewer epochs than asked: raise "
                "max_epochs, lower correction_start, or lower correction_window.",
                CorrectionWarning,
            )
        if n_correcting:
            self._check_restored_weights(net)

    @staticmethod
    def _check_restored_weights(net):
        """Warn when a callback will restore an earlier epoch's weights."""
        last = len(net.history)
        for name, cb in net.callbacks_:
            if not getattr(cb, "load_best", False):
                continue
            if hasattr(cb, "best_epoch_"):  # EarlyStopping
                best = cb.best_epoch_
            else:  # Checkpoint: the last epoch that saved
                key = getattr(cb, "event_name", None) or "event_cp"
                saved = [i for i, row in enumerate(net.history, 1) if row.get(key)]
                best = saved[-1] if saved else None
            if best is None or best == last:  # nothing saved, or the last epoch
                continue
            _warn(
                f"Callback {name!r} (load_best=True) restores the weights of epoch "
                f"{best} while corrected_labels_ and soft_labels_ are those of "
                f"epoch {last}: labels and weights are out of step. Monitor a "
                "score that follows the corrected labels, or set load_best=False.",
                CorrectionWarning,
            )
