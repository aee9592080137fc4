"""Loss correction with a noise matrix (Patrini et al., CVPR 2017).

The matrix is taken in cleanlab's convention, ``noise_matrix[i, j] =
P(given = i | true = j)`` (each column sums to 1), as sknoisy's
``noise_matrix_`` and :func:`sknoisy.noise.estimate_noise_matrix` give it.
Patrini's ``T[i, j] = P(noisy = j | true = i)`` is its transpose.
"""

from __future__ import annotations

import numpy as np
import torch

from ..exceptions import NoiseMatrixWarning, _warn
from ..utils._compat import own_buffers, state_dict_hooks
from ._base import _BaseLoss, _fill_doc

__all__ = [
    "BackwardCorrectionLoss",
    "ForwardCorrectionLoss",
    "MAX_CONDITION",
    "check_noise_matrix",
    "regularized_transition",
]

#: Largest condition number of ``T`` that loss correction accepts as given:
#: above it, forward correction warns, backward correction mixes ``T`` with
#: the identity (:func:`regularized_transition`).
MAX_CONDITION = 100.0

#: Probabilities are clamped at this value inside the logarithms, so every
#: class loss stays finite (at most ``-log(1e-7)`` = 16.1 per class).
_EPS = 1e-7


def check_noise_matrix(noise_matrix, n_classes=None, name="noise_matrix"):
    """Validate a noise matrix in cleanlab's convention; return it as float64.

    Parameters
    ----------
    noise_matrix : array-like of shape (n_classes, n_classes)
        ``noise_matrix[i, j] = P(given = i | true = j)``: entries in [0, 1],
        each column summing to 1 (within 1e-3).
    n_classes : int, default=None
        The number of classes it must have (None: any square matrix).
    name : str, default="noise_matrix"
        The parameter named in the error messages.

    Returns
    -------
    noise_matrix : ndarray of shape (n_classes, n_classes)
        The matrix, columns renormalised to sum to exactly 1.

    Raises
    ------
    ValueError
        When the matrix is not square, has the wrong number of classes, holds
        values outside [0, 1] or non-finite ones, or its columns do not sum to
        1; when its rows do, the message says it looks transposed (Patrini's
        row-stochastic convention) and how to convert it.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.losses import check_noise_matrix
    >>> check_noise_matrix([[0.8, 0.3], [0.2, 0.7]])
    array([[0.8, 0.3],
           [0.2, 0.7]])
    """
    matrix = np.asarray(noise_matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"{name} must be a square (n_classes, n_classes) matrix, got shape "
            f"{matrix.shape}."
        )
    if n_classes is not None and matrix.shape[0] != n_classes:
        raise ValueError(
            f"{name} has {matrix.shape[0]} classes, the training labels have "
            f"{n_classes}."
        )
    if not np.all(np.isfinite(matrix)) or matrix.min() < 0 or matrix.max() > 1:
        raise ValueError(f"{name} must hold probabilities in [0, 1].")
    columns = np.abs(matrix.sum(axis=0) - 1.0).max()
    if columns > 1e-3:
        rows = np.abs(matrix.sum(axis=1) - 1.0).max()
        hint = (
            " Its rows sum to 1: it looks like a row-stochastic transition "
            "matrix T[i, j] = P(noisy = j | true = i) (Patrini's convention); "
            f"pass its transpose ({name}=T.T, or "
            "sknoisy.noise.to_cleanlab_noise_matrix(T))."
            if rows <= 1e-3
            else ""
        )
        raise ValueError(
            f"{name} must be in cleanlab's convention, {name}[i, j] = P(given = "
            "i | true = j), with every column summing to 1; the column sums are "
            f"off by up to {columns:.3g}.{hint}"
        )
    return matrix / matrix.sum(axis=0, keepdims=True)


def regularized_transition(transition, max_condition=MAX_CONDITION):
    """Mix a row-stochastic ``T`` with the identity until it is well conditioned.

    ``T_lam = (1 - lam) T + lam I`` for the smallest ``lam`` of ``0, 0.05, 0.1,
    ..., 1`` whose condition number is at most ``max_condition`` (the identity's
    is 1). Rows still sum to 1, so ``T_lam`` is a noise model with less noise
    than ``T``: backward correction with it undoes part of the noise instead of
    amplifying the loss by ``||T^-1||`` (Patrini et al. note that backward
    correction is unstable for an ill-conditioned ``T``).

    Parameters
    ----------
    transition : ndarray of shape (n_classes, n_classes)
        Row-stochastic ``T[i, j] = P(noisy = j | true = i)``.
    max_condition : float, default=MAX_CONDITION
        The largest condition number (2-norm) accepted.

    Returns
    -------
    transition : ndarray of shape (n_classes, n_classes)
        ``T_lam``.
    lam : float
        The mixing weight used (0: ``T`` unchanged).

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.losses import regularized_transition
    >>> T, lam = regularized_transition(np.full((2, 2), 0.5))
    >>> float(lam), T.round(3).tolist()
    (0.05, [[0.525, 0.475], [0.475, 0.525]])
    """
    eye = np.eye(len(transition))
    for lam in np.linspace(0.0, 1.0, 21):
        mixed = (1.0 - lam) * transition + lam * eye
        if _condition(mixed) <= max_condition:
            return mixed, float(lam)
    return eye, 1.0  # pragma: no cover - the identity always passes


def _condition(matrix):
    with np.errstate(all="ignore"):
        value = np.linalg.cond(matrix)
    return float(value) if np.isfinite(value) else np.inf


class _CorrectionLoss(_BaseLoss):
    """Base of the two corrections: the matrix, its checks, its buffers."""

    hyperparameters = ("noise_matrix",)
    _backward = False

    def __init__(self, noise_matrix=None, reduction="mean"):
        super().__init__(reduction=reduction)
        self.register_buffer("transition", torch.empty(0))
        self.register_buffer("inverse", torch.empty(0))
        state_dict_hooks(self)
        if noise_matrix is not None:
            self.set_noise_matrix(noise_matrix)

    @property
    def has_matrix(self):
        """Whether a noise matrix is set (else the loss is cross entropy)."""
        return self.transition.numel() > 0

    @property
    def noise_matrix(self):
        """The matrix in use, in cleanlab's convention (None: none set)."""
        if not self.has_matrix:
            return None
        return self.transition.detach().cpu().double().numpy().T.copy()

    def set_noise_matrix(self, noise_matrix, name="noise_matrix"):
        """Validate ``noise_matrix`` (cleanlab's convention) and train through it.

        An ill-conditioned matrix (condition number above
        :data:`MAX_CONDITION`) raises a
        :class:`~sknoisy.exceptions.NoiseMatrixWarning`; backward correction
        then uses :func:`regularized_transition`.
        """
        matrix = check_noise_matrix(noise_matrix, name=name)
        transition = matrix.T  # row-stochastic T[i, j] = P(noisy j | true i)
        condition = _condition(transition)
        if condition > MAX_CONDITION:
            singular = not condition < 1e12
            what = "singular" if singular else "ill-conditioned"
            cond = "inf" if singular else f"{condition:.3g}"
            if self._backward:
                transition, lam = regularized_transition(transition)
                action = (
                    f"backward correction uses (1 - {lam:.2f}) T + {lam:.2f} I "
                    f"instead (condition number <= {MAX_CONDITION:g})"
                )
            else:
                action = (
                    "forward correction trains through it, but cannot tell "
                    "apart the true classes it confuses"
                )
            _warn(
                f"{name} is {what} (condition number {cond} > {MAX_CONDITION:g}): "
                f"{action}. Check {name}, or prefer loss='forward', which "
                "needs no inverse.",
                NoiseMatrixWarning,
            )
        device = self.transition.device
        self.transition = torch.as_tensor(transition, dtype=torch.float64).to(device)
        inverse = np.linalg.inv(transition) if self._backward else np.empty(0)
        self.inverse = torch.as_tensor(inverse, dtype=torch.float64).to(device)
        return self

    def before_state_load(self, state_dict, prefix):
        # The buffers are sized by the number of classes: take the saved ones.
        for name, buf in own_buffers(self).items():
            saved = state_dict.get(prefix + name)
            if saved is not None and saved.shape != buf.shape:
                setattr(self, name, torch.empty_like(saved, device=buf.device))

    def after_state_load(self):
        pass

    def extra_repr(self):
        return f"n_classes={len(self.transition)}, reduction={self.reduction!r}"


@_fill_doc
class ForwardCorrectionLoss(_CorrectionLoss):
    """Forward loss correction: cross entropy of the noisy label under ``T``.

    ``loss = -log (T^T s)_y``, ``s = softmax(logits)``, ``T[i, j] = P(noisy = j
    | true = i)``: the network's outputs estimate the clean class
    probabilities, and the loss scores the given (noisy) label under the
    noisy-label distribution they imply (Patrini et al. 2017). With ``T = I``
    it is cross entropy. The mixed probabilities are clamped at 1e-7 inside
    the logarithm.

    Parameters
    ----------
    noise_matrix : array-like of shape (n_classes, n_classes), default=None
        In cleanlab's convention, ``noise_matrix[i, j] = P(given = i | true =
        j)`` (columns sum to 1; ``T`` is its transpose). ``None``: none yet,
        cross entropy until :meth:`set_noise_matrix` is called.
    {reduction}

    See Also
    --------
    BackwardCorrectionLoss : the other correction, through ``T^-1``.

    References
    ----------
    .. [1] G. Patrini, A. Rozza, A. K. Menon, R. Nock and L. Qu, "Making deep
       neural networks robust to label noise: a loss correction approach",
       CVPR 2017.

    {examples}
    >>> N = [[0.8, 0.3, 0.0], [0.2, 0.7, 0.0], [0.0, 0.0, 1.0]]
    >>> round(ForwardCorrectionLoss(N)(logits, target).item(), 4)
    0.277
    """

    def _class_losses(self, log_probs):
        if not self.has_matrix:
            return -log_probs
        mixed = log_probs.exp() @ self.transition.to(log_probs.dtype)
        return -torch.log(mixed.clamp_min(_EPS))


@_fill_doc
class BackwardCorrectionLoss(_CorrectionLoss):
    """Backward loss correction: the per-class losses through ``T^-1``.

    ``loss = (T^-1 l)_y`` with ``l_k = -log s_k`` the cross entropy of every
    class (``s`` clamped at 1e-7, so each ``l_k`` is at most 16.1): its
    expectation over the noisy label equals the cross entropy of the true
    label (Patrini et al. 2017, Theorem 1). Individual values can be negative.
    ``T`` must be invertible; one whose condition number exceeds
    :data:`MAX_CONDITION` is mixed with the identity first
    (:func:`regularized_transition`, with a
    :class:`~sknoisy.exceptions.NoiseMatrixWarning`).

    Parameters
    ----------
    noise_matrix : array-like of shape (n_classes, n_classes), default=None
        In cleanlab's convention (see :class:`ForwardCorrectionLoss`).
        ``None``: cross entropy until :meth:`set_noise_matrix` is called.
    {reduction}

    See Also
    --------
    ForwardCorrectionLoss : the correction that needs no inverse.

    References
    ----------
    .. [1] G. Patrini, A. Rozza, A. K. Menon, R. Nock and L. Qu, "Making deep
       neural networks robust to label noise: a loss correction approach",
       CVPR 2017.

    {examples}
    >>> N = [[0.8, 0.3, 0.0], [0.2, 0.7, 0.0], [0.0, 0.0, 1.0]]
    >>> round(BackwardCorrectionLoss(N)(logits, target).item(), 4)
    -0.0944
    """

    _backward = True

    def _class_losses(self, log_probs):
        losses = -log_probs.clamp_min(float(np.log(_EPS)))
        if not self.has_matrix:
            return losses
        return losses @ self.inverse.to(log_probs.dtype).T
