"""Fused CPU kernels of joint optimisation (compiled with numba).

On CPU a training batch of a small network holds a few hundred logits, and the
cost of the JO objective is not its arithmetic but the number of tensor
operations: a softmax, its log, an entropy, a batch mean, a prior term, the
target lookup and the recording of the outputs are a dozen kernel launches and
autograd nodes, each several microseconds, against one fused
``cross_entropy`` for plain training. :func:`jo_loss_fused` does all of it in
one compiled pass and returns a loss whose backward pass is a single product
with the closed-form gradient

.. math::

    \\frac{\\partial L}{\\partial z_{ik}} = \\frac{1}{B}\\Big[
    s_{ik} \\textstyle\\sum_j y_{ij} - y_{ik}
    - \\alpha\\, s_{ik}\\big(r_k - \\textstyle\\sum_j s_{ij} r_j\\big)
    - \\beta\\, s_{ik}\\big(\\log s_{ik} + H(s_i)\\big)\\Big],
    \\qquad r = \\text{prior} / \\bar s .

The epoch-end label update (ring buffer of outputs, agreement with the given
labels, window mean or argmax) has kernels too: :func:`_store_epoch` and
:func:`_window_update`.

numba is imported, and each kernel compiled (then cached on disk), on first
use only. Without numba, :func:`compiled` returns ``None`` and callers use the
torch implementation; the kernels also run as plain Python, which is how the
tests check their arithmetic independently of the compiler.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "FLOATS",
    "NO_HARD",
    "can_fuse",
    "compiled",
    "empty_rows",
    "fused_kernel",
    "jo_loss_fused",
]

_UNDERFLOW = 1e-300  # column mass below this is recomputed in log space

#: Logit dtypes the kernel takes.
FLOATS = (torch.float32, torch.float64)


def _jo_kernel(z, hard, soft, index, record, prior, log_prior, alpha, beta, grad):
    """Value and gradient of the JO objective for one batch of logits.

    Parameters
    ----------
    z : ndarray of shape (n, c)
        Logits.
    hard : ndarray of shape (n,), int64
        Class indices, used when ``soft`` is empty.
    soft : ndarray of shape (m, c)
        Soft labels of all samples (row ``index[i]`` is sample ``i``'s), or an
        empty ``(0, c)`` array for hard labels.
    index : ndarray of shape (n,), int64
        Rows of ``soft`` and ``record`` that belong to the batch.
    record : ndarray of shape (m, c)
        Receives the softmax outputs at rows ``index``; ``(0, c)`` to skip.
    prior, log_prior : ndarray of shape (c,), float64
        Class prior and its log.
    alpha, beta : float
        Weights of the prior and entropy terms.
    grad : ndarray of shape (n * c,)
        Receives the gradient with respect to ``z``, flattened (row-major).

    Returns
    -------
    value : float
        The objective.
    z_dot_grad : float
        ``sum(z * grad)`` (to place the linear surrogate at ``value``).
    """
    n, c = z.shape
    use_soft = soft.shape[0] > 0
    do_record = record.shape[0] > 0
    for i in range(n):  # the kernel writes through these: check them first
        if (use_soft and not 0 <= index[i] < soft.shape[0]) or (
            do_record and not 0 <= index[i] < record.shape[0]
        ):
            raise IndexError("sample index out of range")
        if not use_soft and not 0 <= hard[i] < c:
            raise IndexError("target class out of range")
    s = np.empty((n, c))
    log_s = np.empty((n, c))
    col = np.zeros(c)
    for i in range(n):
        m = z[i, 0]
        for k in range(1, c):
            if z[i, k] > m:
                m = z[i, k]
        total = 0.0
        for k in range(c):
            e = math.exp(z[i, k] - m)
            s[i, k] = e
            total += e
        log_norm = m + math.log(total)
        inv_total = 1.0 / total
        for k in range(c):
            s[i, k] *= inv_total
            log_s[i, k] = z[i, k] - log_norm
            col[k] += s[i, k]
            if do_record:
                record[index[i], k] = s[i, k]
    # log r_k = log prior_k - log s_bar_k, with s_bar the batch-mean softmax.
    # A class whose mass underflows everywhere gets a log-sum-exp instead.
    log_r = np.empty(c)
    r = np.empty(c)
    stable = np.empty(c, dtype=np.bool_)
    kl = 0.0
    for k in range(c):
        if col[k] > _UNDERFLOW:
            log_s_bar = math.log(col[k] / n)
            stable[k] = True
        else:
            mk = log_s[0, k]
            for i in range(1, n):
                if log_s[i, k] > mk:
                    mk = log_s[i, k]
            acc = 0.0
            for i in range(n):
                acc += math.exp(log_s[i, k] - mk)
            log_s_bar = mk + math.log(acc) - math.log(n)
            stable[k] = False
        log_r[k] = log_prior[k] - log_s_bar
        r[k] = prior[k] / math.exp(log_s_bar) if stable[k] else 0.0
        kl += prior[k] * log_r[k]
    ce = 0.0
    neg_entropy_sum = 0.0
    z_dot_grad = 0.0
    inv_n = 1.0 / n
    sr = np.empty(c)
    for i in range(n):
        neg_entropy = 0.0
        dot = 0.0
        y_sum = 1.0
        for k in range(c):
            neg_entropy += s[i, k] * log_s[i, k]
            if stable[k]:
                sr[k] = s[i, k] * r[k]
            else:
                sr[k] = math.exp(log_s[i, k] + log_r[k])
            dot += sr[k]
        if use_soft:
            y_sum = 0.0
            for k in range(c):
                y_sum += soft[index[i], k]
                ce -= soft[index[i], k] * log_s[i, k]
        else:
            ce -= log_s[i, hard[i]]
        neg_entropy_sum += neg_entropy
        scale = y_sum + alpha * dot + beta * neg_entropy
        for k in range(c):
            g = s[i, k] * scale - alpha * sr[k] - beta * s[i, k] * log_s[i, k]
            if use_soft:
                g -= soft[index[i], k]
            elif k == hard[i]:
                g -= 1.0
            grad[i * c + k] = g * inv_n
            z_dot_grad += z[i, k] * grad[i * c + k]
    value = (ce - beta * neg_entropy_sum) / n + alpha * kl
    return value, z_dot_grad


def _store_epoch(epoch_probs, buffer, window_sum, slot, y, seen, all_seen):
    """Put an epoch's outputs in ring-buffer slot ``slot``; count agreement.

    ``window_sum`` (float64) is kept equal to the sum of the buffer's slots,
    so the window mean costs one pass over (n, c), not over the window.

    Returns the number of samples (seen so far) whose argmax equals ``y``, and
    the number of those samples.
    """
    n, c = epoch_probs.shape
    agree = 0
    counted = 0
    for i in range(n):
        best = 0
        for k in range(c):
            p = epoch_probs[i, k]
            window_sum[i, k] += p - buffer[slot, i, k]
            buffer[slot, i, k] = p
            if p > epoch_probs[i, best]:
                best = k
        if all_seen or seen[i]:
            counted += 1
            if best == y[i]:
                agree += 1
    return agree, counted


def _window_update(window_sum, filled, hard, seen, all_seen, label_argmax, labels):
    """Set ``labels`` to the window mean ``window_sum / filled`` (or its argmax).

    Samples never seen keep their row. ``label_argmax`` is updated in place;
    returns how many argmaxes changed.
    """
    n, c = labels.shape
    changed = 0
    for i in range(n):
        if not (all_seen or seen[i]):
            continue
        best = 0
        for k in range(1, c):
            if window_sum[i, k] > window_sum[i, best]:
                best = k
        for k in range(c):
            if hard:
                labels[i, k] = 1.0 if k == best else 0.0
            else:
                labels[i, k] = window_sum[i, k] / filled
        if best != label_argmax[i]:
            changed += 1
            label_argmax[i] = best
    return changed


_NUMBA = None  # the numba module once imported; False when it is missing
_COMPILED = {}


def compiled(func):
    """The numba-compiled ``func``, or ``None`` when numba is not installed.

    numba is imported, and ``func`` compiled (then cached on disk), on first
    use.

    Parameters
    ----------
    func : callable
        One of this module's kernels.

    Returns
    -------
    kernel : callable or None
    """
    global _NUMBA
    if _NUMBA is None:
        try:
            import numba
        except ImportError:  # pragma: no cover - numba is a dependency
            _NUMBA = False
        else:
            _NUMBA = numba
    if _NUMBA is False:
        return None
    kernel = _COMPILED.get(func.__name__)
    if kernel is None:
        try:
            kernel = _NUMBA.njit(cache=True, nogil=True)(func)
        except RuntimeError:  # no writable cache directory: compile per process
            kernel = _NUMBA.njit(nogil=True)(func)
        _COMPILED[func.__name__] = kernel
    return kernel


def fused_kernel():
    """The compiled JO-objective kernel, or ``None`` without numba."""
    return compiled(_jo_kernel)


def can_fuse(logits):
    """Whether :func:`jo_loss_fused` applies to ``logits``.

    CPU, 2-d, float32 or float64, in a graph that wants gradients, and numba
    available.
    """
    return (
        logits.requires_grad
        and logits.dtype in FLOATS
        and logits.ndim == 2
        and logits.device.type == "cpu"
        and torch.is_grad_enabled()
        and fused_kernel() is not None
    )


_EMPTY = {}


def empty_rows(c):
    """A cached ``(0, c)`` array: the kernel's "no soft labels / no recording"."""
    try:
        return _EMPTY[c]
    except KeyError:
        return _EMPTY.setdefault(c, np.empty((0, c), dtype=np.float32))


#: The kernel's "no hard labels" (soft labels are given).
NO_HARD = np.empty(0, dtype=np.int64)


def jo_loss_fused(
    logits, hard, soft, index, record, prior, log_prior, alpha, beta, kernel=None
):
    """JO objective of a batch through the fused kernel (see module docs).

    Parameters
    ----------
    logits : torch.Tensor of shape (n, c)
        CPU logits that require a gradient.
    hard : ndarray of shape (n,), int64
        Class indices of the batch, or :data:`NO_HARD` when ``soft`` is given.
    soft : ndarray of shape (m, c)
        Soft labels looked up at rows ``index``, or ``empty_rows(c)`` for
        hard labels.
    index : ndarray of shape (n,), int64
        Rows of ``soft`` and ``record`` that hold the batch's samples.
    record : ndarray of shape (m, c)
        Receives the batch's softmax outputs at rows ``index``;
        ``empty_rows(c)`` to skip.
    prior, log_prior : ndarray of shape (c,), float64
        Class prior and its log.
    alpha, beta : float
        Weights of the prior and entropy terms.
    kernel : callable, default=None
        The kernel to run (the compiled one by default; the plain-Python
        :func:`_jo_kernel` in tests).

    Returns
    -------
    loss : torch.Tensor
        A scalar equal to the objective, whose gradient with respect to
        ``logits`` is the objective's.
    """
    z = logits.detach().numpy()
    if not z.flags.c_contiguous:
        z = np.ascontiguousarray(z)
    flat = torch.empty(z.size, dtype=logits.dtype)
    value, z_dot_grad = (kernel or fused_kernel())(
        z, hard, soft, index, record, prior, log_prior, alpha, beta, flat.numpy()
    )
    # A linear term with the closed-form gradient, shifted to the value.
    return torch.dot(logits.reshape(-1), flat) + (value - z_dot_grad)
