"""The joint-optimisation objective (Tanaka et al. 2018): prior and entropy
terms, and the whole loss with cross entropy in one pass."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ._kernels import (
    NO_HARD,
    can_fuse,
    empty_rows,
    jo_loss_fused,
)


def _log_mean_probs(log_s):
    """log of the batch-mean softmax, stable when a class' mass underflows."""
    return torch.logsumexp(log_s, dim=0) - math.log(log_s.shape[0])


def jo_regularizers(logits, prior, alpha, beta):
    """Prior and entropy terms of the joint optimisation objective.

    ``alpha * KL(prior || s_bar) + beta * mean_i H(s_i)``, where ``s_bar`` is the
    mean softmax over the mini-batch (METHODS.md, section 2).

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, n_classes)
        Raw network outputs.
    prior : torch.Tensor of shape (n_classes,)
        Class prior, positive, summing to one.
    alpha : float
        Weight of the prior term.
    beta : float
        Weight of the entropy term.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.correction._objective import jo_regularizers
    >>> logits = torch.zeros(4, 2)  # uniform predictions
    >>> prior = torch.tensor([0.5, 0.5])
    >>> round(float(jo_regularizers(logits, prior, 1.0, 1.0)), 4)  # 0 + log(2)
    0.6931
    """
    log_s = F.log_softmax(logits, dim=-1)
    loss = logits.new_zeros(())
    if alpha:
        prior = prior.to(log_s.dtype)
        kl = torch.sum(prior * (torch.log(prior) - _log_mean_probs(log_s)))
        loss = loss + alpha * kl
    if beta:
        loss = loss - beta * torch.sum(log_s.exp() * log_s, dim=-1).mean()
    return loss


def jo_objective(logits, target, prior, alpha, beta, return_probs=False):
    """The whole joint optimisation loss with cross entropy, in one pass.

    ``CE(target, s) + alpha * KL(prior || s_bar) + beta * mean_i H(s_i)``,
    equal to ``CrossEntropyLoss()(logits, target) + jo_regularizers(logits,
    prior, alpha, beta)`` (see the tests) and cheaper.

    On CPU (with numba, a dependency) the value and the closed-form gradient
    are computed in one compiled pass and attached to the graph as a single
    linear term (:mod:`sknoisy.correction._kernels`); elsewhere the objective is built
    from torch operations and differentiated by autograd. Both agree to
    floating-point precision (tested).

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, n_classes)
        Raw network outputs.
    target : torch.Tensor
        Class indices (batch,) or soft labels (batch, n_classes).
    prior : torch.Tensor of shape (n_classes,)
        Class prior, positive, summing to one.
    alpha, beta : float
        Weights of the prior and entropy terms.
    return_probs : bool, default=False
        Also return the softmax probabilities (computed anyway, detached).

    Returns
    -------
    loss : torch.Tensor
        A scalar.
    probs : torch.Tensor of shape (batch, n_classes)
        Only with ``return_probs=True``.

    Examples
    --------
    >>> import torch
    >>> from sknoisy.correction._objective import jo_objective
    >>> logits = torch.zeros(4, 2, requires_grad=True)  # uniform predictions
    >>> target = torch.tensor([0, 1, 0, 1])
    >>> prior = torch.tensor([0.5, 0.5])
    >>> loss = jo_objective(logits, target, prior, alpha=1.0, beta=1.0)
    >>> round(loss.item(), 4)  # CE log(2) + KL 0 + entropy log(2)
    1.3863
    >>> loss.backward()  # only CE pulls: (s - onehot(y)) / batch
    >>> logits.grad[0]
    tensor([-0.1250,  0.1250])
    """
    if can_fuse(logits):
        if target.is_floating_point():
            soft, hard = target.detach().cpu().numpy(), None
        else:
            soft, hard = None, target.detach().cpu().numpy().astype(np.int64)
        c = logits.shape[1]
        prior = prior.detach().cpu().double().numpy()
        loss = jo_loss_fused(
            logits,
            NO_HARD if hard is None else hard,
            empty_rows(c) if soft is None else soft,
            np.arange(len(logits)),
            empty_rows(c),
            prior,
            np.log(prior),
            alpha,
            beta,
        )
        if return_probs:
            return loss, torch.softmax(logits.detach(), dim=-1)
        return loss
    loss, s = _jo_objective_autograd(logits, target, prior, alpha, beta)
    return (loss, s) if return_probs else loss


def _jo_objective_autograd(logits, target, prior, alpha, beta):
    log_s = F.log_softmax(logits, dim=-1)
    s = log_s.exp()
    if target.is_floating_point():
        # CE and entropy share the log-probabilities: -sum_j (y_j + beta s_j) log s_j
        loss = -torch.sum((target + beta * s) * log_s, dim=-1).mean()
    else:
        loss = F.nll_loss(log_s, target) - beta * torch.sum(s * log_s, dim=-1).mean()
    if alpha:
        prior = prior.to(log_s.dtype)
        neg_entropy_prior = torch.sum(prior * torch.log(prior))
        loss = loss + alpha * (neg_entropy_prior - prior @ _log_mean_probs(log_s))
    return loss, s.detach()
