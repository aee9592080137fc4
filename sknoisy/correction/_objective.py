"""The joint-optimisation objective (Tanaka et al. 2018): prior and entropy
terms, and the whole loss with cross entropy in one pass.

:func:`jo_objective` is plain torch code (any device): a
:class:`torch.autograd.Function` that computes the value from one
``log_softmax`` and returns the closed-form gradient in its backward pass,

.. math::

    \\frac{\\partial L}{\\partial z_{ik}} = \\frac{1}{B}\\Big[
    s_{ik} T_i - t_{ik}
    + \\alpha\\, s_{ik}\\big(\\textstyle\\sum_j s_{ij} r_j - r_k\\big)
    - \\beta\\, s_{ik}\\big(\\log s_{ik} + H(s_i)\\big)\\Big],
    \\qquad r = \\text{prior} / \\bar s,\\quad T_i = \\textstyle\\sum_j t_{ij},

instead of a dozen autograd nodes (softmax, its log, entropy, batch mean,
prior term, target lookup). ``s_{ik} r_k`` is evaluated in log space, so a
class whose batch mass underflows gives no ``0 * inf``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..losses._elr import ELR_CLAMP


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


def jo_objective(
    logits, target, prior, alpha, beta, return_probs=False, elr_target=None, lam=0.0
):
    """The whole joint optimisation loss with cross entropy, in one pass.

    ``CE(target, s) + alpha * KL(prior || s_bar) + beta * mean_i H(s_i)``,
    equal to ``CrossEntropyLoss()(logits, target) + jo_regularizers(logits,
    prior, alpha, beta)`` (see the tests) and cheaper.

    Plain torch operations on any device, without host synchronisation: the
    value comes from one ``log_softmax``, and the gradient with respect to
    ``logits`` is the closed form of the module docstring, returned by a
    single :class:`torch.autograd.Function` instead of a dozen autograd nodes.
    Both agree with autograd through the plain torch objective to
    floating-point precision (tested). Only first derivatives are available:
    backpropagating through the gradient (double backward) raises an error,
    and no gradient flows to ``target`` or ``prior``. ``float16`` and
    ``bfloat16`` logits are computed in ``float32``.

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, n_classes)
        Raw network outputs.
    target : torch.Tensor
        Class indices (batch,) or soft labels (batch, n_classes). A row of
        soft labels may sum to zero (a sample without label: no cross
        entropy term).
    prior : torch.Tensor of shape (n_classes,)
        Class prior, positive, summing to one.
    alpha, beta : float
        Weights of the prior and entropy terms.
    return_probs : bool, default=False
        Also return the softmax probabilities (computed anyway, detached).
    elr_target : torch.Tensor of shape (batch, n_classes), default=None
        Early-learning targets: adds ELR's regularizer ``lam * mean_i
        log(1 - <p_i, elr_target_i>)`` with ``p = clamp(s, 1e-4, 1 - 1e-4)``
        (:func:`~sknoisy.losses.elr_probabilities`), its gradient in closed
        form too.
    lam : float, default=0.0
        Weight of the early-learning regularizer.

    Returns
    -------
    loss : torch.Tensor
        A scalar, in the dtype of ``logits`` (``float32`` for half precision).
    probs : torch.Tensor of shape (batch, n_classes)
        Only with ``return_probs=True``; same dtype as ``loss``.

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
    alpha, beta, lam = float(alpha), float(beta), float(lam)
    if not lam:
        elr_target = None
    if logits.requires_grad and torch.is_grad_enabled():
        loss, s = _JOObjective.apply(
            logits, target, prior, alpha, beta, elr_target, lam
        )
    else:  # the value only
        with torch.no_grad():
            z = _as_float(logits)
            loss, s = _jo_forward(z, target, prior, alpha, beta, elr_target, lam)[:2]
    return (loss, s) if return_probs else loss


_FLOATS = (torch.float32, torch.float64)


def _as_float(logits):
    return logits if logits.dtype in _FLOATS else logits.float()


def _jo_forward(z, target, prior, alpha, beta, elr_target=None, lam=0.0):
    """The objective, the softmax, and what the gradient needs.

    Returns ``loss, s, log_s, t, q, e`` with ``t`` the target (soft rows in
    the dtype of ``z``, or int64 indices), ``q = log prior - log sum_i s_i``
    (``None`` without prior term), so that ``exp(log_s + q)`` is
    ``s_ik prior_k / (n s_bar_k)`` computed without overflow, and ``e`` the
    ELR term's per-row gradient factor (``None`` without it).
    """
    n = z.shape[0]
    log_s = torch.log_softmax(z, dim=-1)
    s = torch.exp(log_s)
    if target.is_floating_point():
        t = target if target.dtype == z.dtype else target.to(z.dtype)
        # cross entropy and entropy share the log: -sum (t + beta s) log s / n
        w = torch.add(t, s, alpha=beta) if beta else t
        loss = torch.dot(w.reshape(-1), log_s.reshape(-1)).mul_(-1.0 / n)
    else:
        t = target if target.dtype == torch.int64 else target.long()
        loss = F.nll_loss(log_s, t)
        if beta:
            loss.sub_(torch.dot(s.reshape(-1), log_s.reshape(-1)), alpha=beta / n)
    q = None
    if alpha:
        if prior.dtype != z.dtype:
            prior = prior.to(z.dtype)
        # KL(prior || s_bar) = prior . q + log n, log s_bar by log-sum-exp
        q = torch.log(prior).sub_(torch.logsumexp(log_s, dim=0))
        loss.add_(torch.dot(prior, q), alpha=alpha).add_(alpha * math.log(n))
    e = None
    if elr_target is not None:
        # lam/n sum_i log(1 - a_i), a_i = <clamp(s_i), t_i>; the gradient
        # factor through the clamp: t_ik s_ik where s is inside its bounds
        te = elr_target if elr_target.dtype == z.dtype else elr_target.to(z.dtype)
        p = s.clamp(ELR_CLAMP, 1.0 - ELR_CLAMP)
        agreement = torch.linalg.vecdot(p, te)
        loss.add_(torch.log1p(agreement.neg()).sum(), alpha=lam / n)
        # -lam / (n (1 - a_i)), and the clamp passes the gradient where p == s
        scale = agreement.sub_(1.0).mul_(n / lam)[:, None]
        e = torch.where(p == s, te * s, 0.0).div_(scale)
    return loss, s, log_s, t, q, e


def _jo_backward(ctx, grad_loss, grad_probs):
    """Closed-form gradient with respect to the logits (module docstring)."""
    s, log_s, t, q, e = ctx.saved_tensors
    alpha, beta = ctx.alpha, ctx.beta
    n = s.shape[0]
    soft = t.is_floating_point()
    # grad = s * (c - beta/n log s) - alpha s r / n - t / n, with the row scale
    # c_i = (T_i + alpha sum_j s_ij r_j - beta H_i) / n
    c = sr = None
    if beta:
        c = torch.linalg.vecdot(s, log_s)  # -H_i
    if alpha:
        sr = torch.add(log_s, q).exp_()  # s_ik r_k / n
        if c is None:
            c = sr.sum(dim=-1).mul_(alpha)
        else:
            c = torch.addmv(c, sr, s.new_ones(s.shape[1]), beta=beta / n, alpha=alpha)
    elif c is not None:
        c.mul_(beta / n)
    if soft:
        if c is None:
            c = t.sum(dim=-1).mul_(1.0 / n)
        else:
            c.add_(t.sum(dim=-1), alpha=1.0 / n)
    elif c is not None:
        c.add_(1.0 / n)
    if beta:
        grad = torch.add(c.unsqueeze(-1), log_s, alpha=-beta / n).mul_(s)
    elif c is None:  # class indices, no prior, no entropy term
        grad = s.mul(1.0 / n)
    else:
        grad = s.mul(c.unsqueeze(-1))
    if alpha:
        grad.sub_(sr, alpha=alpha)
    if e is not None:
        # ELR: -lam / (n (1 - a_i)) (m_ik - s_ik sum_j m_ij), m = t s inside
        grad.add_(e).addcmul_(s, e.sum(dim=-1, keepdim=True), value=-1.0)
    if soft:
        grad.sub_(t, alpha=1.0 / n)
    else:
        index = t.unsqueeze(-1)
        grad.scatter_add_(1, index, s.new_full(index.shape, -1.0 / n))
    grad.mul_(grad_loss)
    if grad.dtype != ctx.logits_dtype:
        grad = grad.to(ctx.logits_dtype)
    return grad, None, None, None, None, None, None


class _NoSecondDerivative(torch.autograd.Function):
    """Identity whose backward raises: marks the closed-form gradient, under
    ``create_graph=True``, as not differentiable further (never silently 0)."""

    @staticmethod
    def forward(ctx, grad):
        return grad.clone()

    @staticmethod
    def backward(ctx, grad_grad):
        raise RuntimeError(
            "jo_objective has no second derivative: its gradient is computed "
            "in closed form and cannot be differentiated again (double backward)"
        )


class _JOObjective(torch.autograd.Function):
    """The joint optimisation loss and its closed-form gradient (first order).

    ``apply(logits, target, prior, alpha, beta)`` returns the loss and the
    softmax probabilities (not differentiable).
    """

    @staticmethod
    def forward(ctx, logits, target, prior, alpha, beta, elr_target=None, lam=0.0):
        loss, s, log_s, t, q, e = _jo_forward(
            _as_float(logits), target, prior, alpha, beta, elr_target, lam
        )
        ctx.save_for_backward(s, log_s, t, q, e)
        ctx.alpha, ctx.beta, ctx.logits_dtype = alpha, beta, logits.dtype
        ctx.mark_non_differentiable(s)
        return loss, s

    @staticmethod
    def backward(ctx, grad_loss, grad_probs):
        if not torch.is_grad_enabled():
            return _jo_backward(ctx, grad_loss, grad_probs)
        with torch.no_grad():  # create_graph=True
            grad = _jo_backward(ctx, grad_loss, grad_probs)[0]
        grad = _NoSecondDerivative.apply(grad.requires_grad_())
        return grad, None, None, None, None, None, None


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
