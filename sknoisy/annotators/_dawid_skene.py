"""Dawid–Skene: annotator confusion matrices and class posteriors by EM."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._votes import majority_vote

__all__ = ["DawidSkeneResult", "dawid_skene", "vote_tensor"]

#: pseudo-votes per class in each confusion row toward the one-coin model
#: under ``shrinkage="auto"``
AUTO_SHRINKAGE = 4.0
#: weight of the votes' class proportions in the class prior under
#: ``prior_shrinkage="auto"``
AUTO_PRIOR_SHRINKAGE = 0.5


class DawidSkeneResult(NamedTuple):
    """What :func:`dawid_skene` estimates.

    Attributes
    ----------
    posterior : ndarray of shape (n_samples, n_classes)
        ``P(true class | votes)`` of every sample.
    confusion : ndarray of shape (n_annotators, n_classes, n_classes)
        Row-stochastic confusion of each annotator,
        ``confusion[k, j, l] = P(annotator k says l | true class j)``.
    prior : ndarray of shape (n_classes,)
        The class prior.
    accuracy : ndarray of shape (n_annotators,)
        Each annotator's estimated accuracy: the mean posterior probability
        of its own votes, over the samples it labelled.
    n_iter : int
        EM iterations run.
    """

    posterior: np.ndarray
    confusion: np.ndarray
    prior: np.ndarray
    accuracy: np.ndarray
    n_iter: int


def vote_tensor(codes, n_classes, soft_votes=None):
    """One-hot votes of shape (n_samples, n_annotators, n_classes), float64.

    Missing votes (code ``-1``) are rows of zeros; ``soft_votes`` (shape
    (n_samples, n_classes) or (n_samples, n_soft, n_classes), rows of
    probabilities) are appended as further annotators whose votes are
    fractional.
    """
    codes = np.asarray(codes)
    n, k = codes.shape
    votes = np.zeros((n, k, n_classes))
    rows, cols = np.nonzero(codes >= 0)
    votes[rows, cols, codes[rows, cols]] = 1.0
    if soft_votes is not None:
        soft = np.asarray(soft_votes, dtype=np.float64)
        if soft.ndim == 2:
            soft = soft[:, None, :]
        votes = np.concatenate([votes, soft], axis=1)
    return votes


def one_coin(counts):
    """Each annotator's one-coin confusion from its (soft) vote counts.

    ``counts`` has shape (n_annotators, n_classes, n_classes); the result has
    the same shape: the annotator's overall accuracy (Laplace-smoothed) on
    the diagonal, and the rest of each row spread over the other classes as
    the whole panel's errors on that class are (pooled over annotators,
    Laplace-smoothed): evenly for symmetric noise, toward the usual mix-ups
    for pair noise.
    """
    n_classes = counts.shape[1]
    diagonal = np.arange(n_classes)
    total = counts.sum(axis=(1, 2))
    accuracy = (np.einsum("kjj->k", counts) + 1.0) / (total + 2.0)
    errors = counts.sum(axis=0) + 1.0
    errors[diagonal, diagonal] = 0.0
    errors /= errors.sum(axis=1, keepdims=True)
    coin = (1.0 - accuracy)[:, None, None] * errors[None, :, :]
    coin[:, diagonal, diagonal] = accuracy[:, None]
    return coin


def vote_proportions(votes, weight=None):
    """The votes' class proportions: the mean of each sample's vote shares.

    ``votes`` is a :func:`vote_tensor`; samples without a vote are left out,
    ``weight`` weighs the samples. Shape (n_classes,), sums to one.
    """
    per_sample = votes.sum(axis=1)
    total = per_sample.sum(axis=1)
    seen = total > 0
    shares = per_sample[seen] / total[seen, None]
    w = np.ones(len(shares)) if weight is None else weight[seen]
    if w.sum() <= 0:
        return np.full(votes.shape[2], 1.0 / votes.shape[2])
    return (shares * w[:, None]).sum(axis=0) / w.sum()


def _m_step(votes, posterior, weight, smoothing, shrinkage=0.0, anchor=None):
    weighted = posterior if weight is None else posterior * weight[:, None]
    prior = weighted.sum(axis=0) + smoothing
    prior /= prior.sum()
    if anchor is not None:  # (weight, proportions): the prior's pull
        prior = (1.0 - anchor[0]) * prior + anchor[0] * anchor[1]
    counts = np.einsum("nj,nkl->kjl", weighted, votes)
    if shrinkage > 0:
        counts = counts + shrinkage * one_coin(counts)
    counts = counts + smoothing
    confusion = counts / counts.sum(axis=2, keepdims=True)
    return prior, confusion


def _log_joint(votes, prior, confusion):
    """``log P(votes_n, true = j)`` of every sample and class, shape (n, C).

    ``prior`` is the class prior (C,) or a per-sample one (n, C).
    """
    return np.einsum("nkl,kjl->nj", votes, np.log(confusion)) + np.log(prior)


def _e_step(votes, prior, confusion):
    """The class posterior of every sample (``prior`` as in :func:`_log_joint`)."""
    log_lik = _log_joint(votes, prior, confusion)
    log_lik -= log_lik.max(axis=1, keepdims=True)
    posterior = np.exp(log_lik)
    posterior /= posterior.sum(axis=1, keepdims=True)
    return posterior


def log_likelihood(votes, prior, confusion, weight=None):
    """Log-likelihood of the votes under a Dawid–Skene model.

    ``sum_n w_n log sum_j prior_j prod_k prod_l confusion[k, j, l] **
    votes[n, k, l]`` for a :func:`vote_tensor` ``votes``: what EM climbs, so
    the fits of two starts can be compared.
    """
    log_lik = _log_joint(votes, prior, confusion)
    top = log_lik.max(axis=1, keepdims=True)
    per_sample = top[:, 0] + np.log(np.exp(log_lik - top).sum(axis=1))
    if weight is not None:
        per_sample = per_sample * weight
    return float(per_sample.sum())


def dawid_skene(
    codes,
    n_classes,
    *,
    soft_votes=None,
    sample_weight=None,
    init=None,
    smoothing=0.1,
    shrinkage=0.0,
    prior_shrinkage=0.0,
    max_iter=100,
    tol=1e-5,
):
    """Consensus labels and annotator confusions by Dawid & Skene's EM.

    Each annotator ``k`` is modelled by a confusion matrix
    ``pi_k[j, l] = P(k says l | true class j)`` and the classes by a prior;
    EM alternates the class posterior of every sample given the votes
    (E-step) and the (weighted) counts of votes against those posteriors
    (M-step), starting from the majority vote. Missing votes are left out of
    both steps, so an annotator who labelled few samples has a confusion
    estimated from those few (and smoothed toward uniform by
    ``smoothing``).

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_annotators)
        Encoded votes, class codes in ``[0, n_classes)`` and ``-1`` where an
        annotator did not label a sample (see
        :func:`~sknoisy.annotators.encode_votes`).
    n_classes : int
        Number of classes.
    soft_votes : array-like of shape (n_samples, n_classes) or \
(n_samples, n_soft, n_classes), default=None
        Further annotators whose votes are probability rows (a classifier's
        outputs), counted as fractional votes with a confusion of their own.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample in the M-step (the class prior and the
        confusion counts).
    init : array-like of shape (n_samples, n_classes), default=None
        Starting posteriors; ``None`` uses the majority vote of ``codes``.
    smoothing : float, default=0.1
        Pseudo-count added to every cell of every confusion matrix (and to
        the class counts of the prior): Laplace smoothing, which keeps the
        logarithms finite and pulls the confusion of an annotator with few
        votes toward uniform.
    shrinkage : float or "auto", default=0.0
        Pseudo-votes per row of every confusion matrix that pull it toward
        the annotator's one-coin confusion (its overall accuracy on the
        diagonal, the rest spread as the panel's pooled errors): each row is
        ``(counts + shrinkage * one_coin) / (row count + shrinkage)``, so the
        pull falls as the annotator's votes on that class grow
        (empirical-Bayes style). With few votes per annotator a full
        confusion is poorly identified and plain EM can drift below the
        majority vote; the one-coin prior keeps it near a model that needs
        one number per annotator. ``"auto"`` is ``4 * n_classes``, what
        ``NoisyLabelClassifier(annotators=True)`` uses; ``0`` is plain
        Dawid–Skene.
    prior_shrinkage : float in [0, 1] or "auto", default=0.0
        Weight of the votes' class proportions (the mean of every sample's
        vote shares, :func:`vote_proportions`) in the class prior; the rest
        is EM's estimate. With few votes per sample EM fits the prior and the
        confusions jointly into solutions where one class absorbs another
        (the prior of that class drifts well above its share of the votes
        and its confusions follow); the votes' proportions, which EM cannot
        move, hold the prior near the data. ``"auto"`` is ``0.5``, what
        ``NoisyLabelClassifier(annotators=True)`` uses; ``0`` is plain
        Dawid–Skene, ``1`` fixes the prior at the votes' proportions.
    max_iter : int, default=100
        Most EM iterations.
    tol : float, default=1e-5
        Stop when no posterior entry moves by more than ``tol``.

    Returns
    -------
    result : DawidSkeneResult
        ``posterior``, ``confusion`` (one matrix per annotator, the soft ones
        last), ``prior``, ``accuracy`` (per annotator) and ``n_iter``.

    References
    ----------
    .. [1] A. P. Dawid and A. M. Skene, "Maximum Likelihood Estimation of
       Observer Error-Rates Using the EM Algorithm", Journal of the Royal
       Statistical Society C, 28(1), 1979.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.annotators import dawid_skene
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.integers(0, 3, 500)
    >>> good = [np.where(rng.random(500) < 0.85, truth, rng.integers(0, 3, 500))
    ...         for _ in range(3)]
    >>> spam = rng.integers(0, 3, 500)  # answers at random
    >>> codes = np.stack([*good, spam], axis=1)
    >>> result = dawid_skene(codes, 3)
    >>> bool((result.posterior.argmax(1) == truth).mean() > 0.95)
    True
    >>> result.accuracy.round(1)
    array([0.9, 0.9, 0.9, 0.3])
    """
    codes = np.asarray(codes)
    if isinstance(shrinkage, str):
        if shrinkage != "auto":
            raise ValueError(f'shrinkage must be a float or "auto", got {shrinkage!r}')
        shrinkage = AUTO_SHRINKAGE * n_classes
    if isinstance(prior_shrinkage, str):
        if prior_shrinkage != "auto":
            raise ValueError(
                f'prior_shrinkage must be a float or "auto", got {prior_shrinkage!r}'
            )
        prior_shrinkage = AUTO_PRIOR_SHRINKAGE
    if not 0.0 <= prior_shrinkage <= 1.0:
        raise ValueError(f"prior_shrinkage must be in [0, 1], got {prior_shrinkage}")
    votes = vote_tensor(codes, n_classes, soft_votes)
    weight = None
    if sample_weight is not None:
        weight = np.asarray(sample_weight, dtype=np.float64)
    anchor = None
    if prior_shrinkage > 0:
        # the annotators' votes only: a soft annotator (the network) is
        # fitted to them and would count their proportions twice
        anchor = (
            float(prior_shrinkage),
            vote_proportions(vote_tensor(codes, n_classes), weight),
        )
    if init is None:
        posterior = majority_vote(codes, n_classes)
    else:
        posterior = np.asarray(init, dtype=np.float64)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        prior, confusion = _m_step(
            votes, posterior, weight, smoothing, shrinkage, anchor
        )
        new = _e_step(votes, prior, confusion)
        delta = np.abs(new - posterior).max()
        posterior = new
        if delta < tol:
            break
    prior, confusion = _m_step(votes, posterior, weight, smoothing, shrinkage, anchor)
    return DawidSkeneResult(
        posterior, confusion, prior, vote_accuracy(votes, posterior), n_iter
    )


def vote_accuracy(votes, posterior):
    """Mean posterior probability of each annotator's votes, (n_annotators,)."""
    agree = np.einsum("nkl,nl->k", votes, posterior)
    counts = votes.sum(axis=(0, 2))
    return np.divide(agree, counts, out=np.zeros_like(agree), where=counts > 0)
