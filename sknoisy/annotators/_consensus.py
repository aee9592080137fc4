"""The annotators' side of a fit of ``NoisyLabelClassifier(annotators=True)``."""

from __future__ import annotations

import numpy as np

from ._dawid_skene import _e_step, dawid_skene, vote_tensor

__all__ = ["VoteConsensus"]


def _usable_weights(sample_weight, n):
    """Finite non-negative weights of shape (n,), else None (refused later)."""
    if sample_weight is None:
        return None
    try:
        weight = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if weight.shape != (n,) or not np.all(np.isfinite(weight)) or weight.min() < 0:
        return None
    return weight if weight.sum() > 0 else None


class VoteConsensus:
    """Consensus of several annotators' votes, before and after training.

    One per fit of :class:`~sknoisy.NoisyLabelClassifier` with
    ``annotators=True``. At the start, Dawid–Skene (:func:`dawid_skene`,
    started from the majority vote, samples weighted by ``sample_weight``)
    turns the votes into a soft label per sample, weighted by each
    annotator's estimated confusion: the training targets (the label state's
    soft given labels) and, through their argmax, the given labels. After
    training, when the fit kept a running average of the network's outputs
    (``label_correction``), a second Dawid–Skene round counts that average
    as one more annotator with a confusion of its own, started from the
    first round's posteriors: the network's view of a sample that few or
    unreliable annotators labelled sharpens its consensus, and the
    annotators' confusions and qualities are re-estimated against it.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_annotators)
        Encoded votes, ``-1`` where missing.
    n_classes : int
        Number of classes.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample in Dawid–Skene's estimates.
    """

    def __init__(self, codes, n_classes, sample_weight=None):
        self.codes = np.asarray(codes)
        self.n_classes = int(n_classes)
        self.weight = _usable_weights(sample_weight, len(self.codes))
        self.first = dawid_skene(self.codes, self.n_classes, sample_weight=self.weight)
        self.soft = self.first.posterior.astype(np.float32)
        self.labels = self.first.posterior.argmax(axis=1).astype(np.int64)
        self.confusion, self.prior = self.first.confusion, self.first.prior

    def prime(self, state):
        """Make the soft consensus the label state's given labels."""
        state.set_given(self.soft)

    def network_outputs(self, state):
        """The running average of the network's outputs, or None."""
        if state is None or not state.corrects or not bool(state.n_averaged.any()):
            return None
        return state.average.detach().cpu().numpy().astype(np.float64)

    def fitted_attributes(self, state, decode):
        """``consensus_*`` and ``annotator_*`` attributes, as a dict."""
        n_annotators = self.codes.shape[1]
        outputs = self.network_outputs(state)
        result = self.first
        if outputs is not None:
            outputs = outputs / outputs.sum(axis=1, keepdims=True)
            result = dawid_skene(
                self.codes,
                self.n_classes,
                soft_votes=outputs,
                sample_weight=self.weight,
                init=self.first.posterior,
            )
        posterior = result.posterior
        consensus = posterior.argmax(axis=1)
        self.confusion = result.confusion[:n_annotators]
        self.prior = result.prior
        self.codes = None  # the votes are not kept past the fit
        return {
            "consensus_labels_": decode(consensus),
            "consensus_proba_": posterior,
            "consensus_quality_": posterior[np.arange(len(consensus)), consensus],
            "annotator_quality_": result.accuracy[:n_annotators],
            "annotator_confusion_": self.confusion,
        }

    def posterior(self, codes):
        """Class posteriors of new votes under the fitted annotators (E-step)."""
        codes = np.asarray(codes)
        if codes.shape[1] != self.confusion.shape[0]:
            raise ValueError(
                f"The votes have {codes.shape[1]} annotator columns, but the "
                f"estimator was fitted on {self.confusion.shape[0]}: pass the "
                "same annotators' columns, or 1-D true labels."
            )
        return _e_step(vote_tensor(codes, self.n_classes), self.prior, self.confusion)
