"""The annotators' side of a fit of ``NoisyLabelClassifier(annotators=True)``."""

from __future__ import annotations

import numpy as np

from ..exceptions import ConsensusWarning, _warn
from ._dawid_skene import (
    DawidSkeneResult,
    _e_step,
    _m_step,
    dawid_skene,
    log_likelihood,
    vote_accuracy,
    vote_tensor,
)
from ._votes import majority_vote

__all__ = ["VoteConsensus", "combine_with_network", "vote_reliability"]

#: exponent of the network's own per-sample probabilities in the combination
NETWORK_SAMPLE_WEIGHT = 0.25
#: weight of the vote proportions in the training targets (the rest is the
#: first Dawid-Skene round's posterior)
VOTE_TARGET_WEIGHT = 0.5
#: votes per cell of a confusion matrix (on samples another annotator also
#: labelled, for the median annotator) below which the consensus warns
MIN_VOTES_PER_CELL = 2
#: best annotator's agreement with the others beyond chance (kappa) below
#: which the consensus warns
MIN_KAPPA = 0.02
#: share of samples on which the network may disagree with the consensus
MAX_NETWORK_DISAGREEMENT = 0.4


def vote_reliability(codes, n_classes):
    """How well a vote matrix identifies its annotators, as two numbers.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_annotators)
        Encoded votes, ``-1`` where missing.
    n_classes : int
        Number of classes.

    Returns
    -------
    overlap : float
        Votes of the median annotator on samples that at least one other
        annotator also labelled: what Dawid–Skene can estimate its confusion
        (``n_classes**2`` cells) from.
    kappa : float
        The largest, over annotators, agreement of an annotator's votes with
        the other votes on the same samples beyond chance, Cohen-style:
        ``(agree - chance) / (1 - chance)``, with ``chance`` the agreement
        that the votes' class proportions give. 0 when every annotator
        agrees with the rest only as often as random answers would, ``nan``
        without a sample of two votes.
    """
    codes = np.asarray(codes)
    seen = codes >= 0
    per_sample = seen.sum(axis=1)
    multi = per_sample >= 2
    overlap = float(np.median((seen & multi[:, None]).sum(axis=0)))
    if not multi.any():
        return overlap, float("nan")
    counts = majority_vote(codes, n_classes) * per_sample[:, None]
    share = counts.sum(axis=0) / counts.sum()
    chance = float((share**2).sum())
    if chance >= 1.0:  # one class only: every vote agrees
        return overlap, 1.0
    rows = np.nonzero(multi)[0]
    kappas = []
    for k in range(codes.shape[1]):
        mine = rows[codes[rows, k] >= 0]
        if len(mine) == 0:
            continue
        others = per_sample[mine] - 1.0
        agreeing = counts[mine, codes[mine, k]] - 1.0
        agree = agreeing.sum() / others.sum()
        kappas.append((agree - chance) / (1.0 - chance))
    return overlap, float(max(kappas))


def _check_votes(codes, n_classes):
    """ConsensusWarning when the votes cannot identify the annotators."""
    overlap, kappa = vote_reliability(codes, n_classes)
    needed = MIN_VOTES_PER_CELL * n_classes**2
    if overlap < needed:
        _warn(
            f"The median annotator cast {overlap:g} votes on samples that "
            f"another annotator also labelled, fewer than {needed} "
            f"({MIN_VOTES_PER_CELL} per cell of its {n_classes}x{n_classes} "
            "confusion matrix): Dawid-Skene cannot estimate the annotators' "
            "confusions, and the consensus and annotator_quality_ rest on its "
            "one-coin prior. Collect more votes per annotator on shared "
            "samples (at least two votes per sample), or merge annotators "
            "with few votes into one column.",
            ConsensusWarning,
        )
    elif not kappa >= MIN_KAPPA:  # nan too
        _warn(
            f"No annotator agrees with the others much more than chance would "
            f"(largest kappa {kappa:.3f} < {MIN_KAPPA}): every annotator looks "
            "like a random answerer, so the votes alone say almost nothing "
            "about the classes, and the consensus and annotator_quality_ rest "
            "on the network's predictions (with label_correction) or on "
            "noise (without). Check that the vote columns use the same class "
            "labels, and collect votes from more reliable annotators.",
            ConsensusWarning,
        )


def combine_with_network(
    codes,
    outputs,
    second,
    *,
    sample_weight=None,
    power=NETWORK_SAMPLE_WEIGHT,
    smoothing=0.1,
    max_iter=100,
    tol=1e-5,
):
    """Per-sample combination of the network's outputs with the votes.

    ``second`` is the Dawid–Skene round that counted the network as one more
    annotator (its confusion last): that class-level confusion turns each
    sample's outputs into a log-prior over its true class, which this adds
    ``power`` times the log of the sample's own output probabilities to, so
    that a confident output counts for more than the network's average
    reliability on its class. The annotators' confusions are then
    re-estimated by EM against the votes, with that per-sample prior in
    place of the class prior.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_annotators)
        Encoded votes, ``-1`` where missing.
    outputs : ndarray of shape (n_samples, n_classes)
        The network's averaged output probabilities (rows sum to one).
    second : DawidSkeneResult
        :func:`dawid_skene` on ``codes`` with ``soft_votes=outputs``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weight of each sample in the confusion counts.
    power : float, default=0.25
        Exponent of the per-sample output probabilities.

    Returns
    -------
    result : DawidSkeneResult
        The combined posterior, the annotators' confusions (the network's
        class-level one last, as in ``second``), the class prior of
        ``second`` and every annotator's accuracy against the posterior.
    """
    n_classes = outputs.shape[1]
    votes = vote_tensor(codes, n_classes)
    log_prior = np.log(second.prior)[None, :] + outputs @ np.log(second.confusion[-1]).T
    log_prior += power * np.log(np.clip(outputs, 1e-12, 1.0))
    log_prior -= log_prior.max(axis=1, keepdims=True)
    prior = np.exp(log_prior)
    prior /= prior.sum(axis=1, keepdims=True)
    posterior = second.posterior
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        _, confusion = _m_step(votes, posterior, sample_weight, smoothing)
        new = _e_step(votes, prior, confusion)  # the per-sample prior
        delta = np.abs(new - posterior).max()
        posterior = new
        if delta < tol:
            break
    _, confusion = _m_step(votes, posterior, sample_weight, smoothing)
    confusion = np.concatenate([confusion, second.confusion[-1:]], axis=0)
    accuracy = vote_accuracy(vote_tensor(codes, n_classes, outputs), posterior)
    return DawidSkeneResult(posterior, confusion, second.prior, accuracy, n_iter)


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
    started from the majority vote, samples weighted by ``sample_weight``,
    each confusion shrunk toward its one-coin model with
    ``shrinkage="auto"``, the class prior toward the votes' class proportions
    with ``prior_shrinkage="auto"``) turns the votes into a posterior per
    sample,
    weighted by each annotator's estimated confusion; its argmax is the
    given label, and its average with the vote proportions (weight
    ``VOTE_TARGET_WEIGHT``) the training targets (the label state's soft
    given labels). After
    training, when the fit kept a running average of the network's outputs
    (``label_correction``), a second Dawid–Skene round counts that average
    as one more annotator with a confusion of its own, started from the
    first round's posteriors: the network's view of a sample that few or
    unreliable annotators labelled sharpens its consensus, and the
    annotators' confusions and qualities are re-estimated against it. When
    that round estimates the network more accurate than every annotator,
    :func:`combine_with_network` also counts each sample's own output
    probabilities (to the power ``NETWORK_SAMPLE_WEIGHT``) on top of the
    network's class-level confusion, and re-estimates the annotators against
    that per-sample prior: a confident output then outweighs a vote or two of
    middling annotators, which the class-level confusion alone does not.

    A :class:`~sknoisy.exceptions.ConsensusWarning` is raised at the start
    when the votes cannot identify the annotators (the median annotator has
    fewer than ``MIN_VOTES_PER_CELL * n_classes**2`` votes on samples another
    annotator also labelled, or no annotator agrees with the rest by
    ``MIN_KAPPA`` beyond chance, :func:`vote_reliability`), and after
    training when the network's averaged outputs disagree with the final
    consensus on more than ``MAX_NETWORK_DISAGREEMENT`` of the samples.

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
        #: share of samples whose network argmax differs from the consensus
        self.network_disagreement = None
        _check_votes(self.codes, self.n_classes)
        self.first = dawid_skene(
            self.codes,
            self.n_classes,
            sample_weight=self.weight,
            shrinkage="auto",
            prior_shrinkage="auto",
        )
        # the targets hedge the first round with the plain vote proportions:
        # where few votes per annotator leave Dawid-Skene's confusions poorly
        # identified, a network trained on its posterior alone follows its
        # errors; the argmax (the given labels) stays the first round's
        votes = majority_vote(self.codes, self.n_classes)
        self.soft = (
            (1.0 - VOTE_TARGET_WEIGHT) * self.first.posterior
            + VOTE_TARGET_WEIGHT * votes
        ).astype(np.float32)
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

    def _second_round(self, outputs):
        """Dawid–Skene with the network as one more annotator, best of two starts.

        EM started from the first round's posterior keeps that round's
        errors where the votes alone left the classes poorly identified (on
        small panels a whole class can be given to another); started from
        the network's outputs it follows the features. The start whose fit
        explains the votes and the outputs better (higher log-likelihood)
        is kept.
        """
        votes = vote_tensor(self.codes, self.n_classes, outputs)
        best, best_ll = None, -np.inf
        for init in (self.first.posterior, outputs):
            result = dawid_skene(
                self.codes,
                self.n_classes,
                soft_votes=outputs,
                sample_weight=self.weight,
                init=init,
                prior_shrinkage="auto",
            )
            ll = log_likelihood(votes, result.prior, result.confusion, self.weight)
            if ll > best_ll:
                best, best_ll = result, ll
        return best

    def fitted_attributes(self, state, decode):
        """``consensus_*`` and ``annotator_*`` attributes, as a dict."""
        n_annotators = self.codes.shape[1]
        outputs = self.network_outputs(state)
        result = self.first
        if outputs is not None:
            outputs = outputs / outputs.sum(axis=1, keepdims=True)
            result = self._second_round(outputs)
            # a network more accurate than every annotator (as estimated
            # against the second round's posterior) also counts per sample
            if result.accuracy[-1] > result.accuracy[:n_annotators].max():
                result = combine_with_network(
                    self.codes, outputs, result, sample_weight=self.weight
                )
        posterior = result.posterior
        consensus = posterior.argmax(axis=1)
        if outputs is not None:
            disagree = float(np.mean(outputs.argmax(axis=1) != consensus))
            self.network_disagreement = disagree
            if disagree > MAX_NETWORK_DISAGREEMENT:
                _warn(
                    f"The network's averaged predictions disagree with the "
                    f"votes' consensus on {disagree:.0%} of the training "
                    f"samples (more than {MAX_NETWORK_DISAGREEMENT:.0%}): "
                    "either the votes say little about the classes or the "
                    "network did not learn them. Check the votes, train "
                    "longer (max_epochs), or compare with "
                    "label_correction=None.",
                    ConsensusWarning,
                )
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
