"""Loss correction with a given or estimated noise matrix (Patrini et al. 2017)."""

from __future__ import annotations

import numpy as np

from ..correction._issues import fitted_noise_matrix, label_attributes
from ..losses import CrossEntropyLoss
from ..losses._correction import check_noise_matrix
from ._base import TrainingMethod
from ._joint import JointOptimization

__all__ = ["LossCorrection", "inflate_noise_matrix", "matrix_noise_rate"]


class _SoftCorrectionView:
    """The estimator's parameters as a ``label_correction="soft"`` fit sees them."""

    def __init__(self, net):
        self._net = net

    def __getattr__(self, name):
        if name == "label_correction":
            return "soft"
        return getattr(self._net, name)


class LossCorrection(TrainingMethod):
    """Forward or backward loss correction through a noise matrix.

    The method of ``loss="forward"`` and ``loss="backward"``
    (:class:`~sknoisy.losses.ForwardCorrectionLoss`,
    :class:`~sknoisy.losses.BackwardCorrectionLoss`). With a ``noise_matrix``
    (cleanlab's convention, ``P(given = i | true = j)``) the network trains
    through it from the first epoch. With ``noise_matrix=None`` the fit has
    two stages on the same data:

    1. a label-correcting fit (``label_correction="soft"`` with the
       estimator's correction parameters, cross entropy, ``max_epochs``
       epochs), whose confident-joint estimate of the noise matrix from the
       running average of its outputs is the fitted ``noise_matrix_`` (as
       for a correcting fit, see :ref:`noise_matrix`);
    2. a freshly initialised module and optimizer trained with the corrected
       loss through that matrix on the given labels, for ``refit_epochs``
       epochs (``None``: ``max_epochs``).

    Both stages anneal the learning rate as label correction does
    (``anneal_lr="auto"``: a tenth for the last 20% of each stage); with a
    given matrix ``"auto"`` does not anneal, as for cross entropy.

    Stage 1's fitted label attributes stay available (``corrected_labels_``,
    ``label_quality_``, ``get_label_issues()``...). With a given matrix the
    method sets ``noise_matrix_`` (the matrix validated) and ``noise_rate_``
    only.

    Parameters
    ----------
    net : NoisyLabelClassifier
        Reads ``loss``, ``noise_matrix`` and, for the estimate, the
        parameters of label correction and ``refit_epochs``.
    """

    name = "loss_correction"
    uses_label_state = True

    def __init__(self, net):
        super().__init__(net)
        self.matrix = net.noise_matrix
        self.estimates = self.matrix is None
        self.stage_one = (
            JointOptimization(_SoftCorrectionView(net)) if (self.estimates) else None
        )
        self.epochs = net.refit_epochs or net.max_epochs
        # as label correction: the last 20% of each stage at a tenth of lr
        self.anneals_lr = self.estimates
        self._ce = CrossEntropyLoss()
        self.inflation = net.noise_matrix_inflation
        self._criterion = None  # stage 2's loss, once it starts

    @classmethod
    def asked_for(cls, net):
        loss = net.loss
        if isinstance(loss, str) and loss in ("forward", "backward"):
            return f"loss={loss!r}"
        return None

    def check_inputs(self, X):
        if self.estimates:
            self.stage_one.check_inputs(X)

    def callbacks(self):
        return self.stage_one.callbacks() if self.estimates else []

    def reset_state(self, state, y_enc, n_classes, weights=None, prunes=False):
        if not self.estimates:
            check_noise_matrix(self.matrix, n_classes)
            return state.reset(y_enc, n_classes)
        return self.stage_one.reset_state(state, y_enc, n_classes, weights)

    def start_refit(self, criterion, state):
        if self.estimates:
            self._set_estimate(criterion, state)

    def _set_estimate(self, criterion, state):
        """Stage 2 starts: stage 1's estimate, its flips scaled up."""
        matrix, _ = fitted_noise_matrix(state, state.y.cpu().numpy())
        criterion.set_noise_matrix(
            inflate_noise_matrix(matrix, self.inflation),
            name="the estimated noise_matrix_",
        )

    def training_loss(self, criterion, state, y_pred, target, weight, index):
        if not self.estimates:
            return criterion(y_pred, target, weight=weight)
        if not state.frozen:  # stage 1: cross entropy with label correction
            return self.stage_one.training_loss(
                self._ce, state, y_pred, target, weight, index
            )
        if not criterion.has_matrix:  # a stage 2 restored without its loss
            self._set_estimate(criterion, state)
        self._criterion = criterion  # for training_noise_matrix_ (resumed too)
        return criterion(y_pred, state.y[index], weight=weight)

    def refit_epochs(self):
        return self.epochs if self.estimates else None

    def fitted_attributes(self, state, y_enc, decode, history):
        if self.estimates:
            attributes = label_attributes(state, y_enc, decode, history)
            if self._criterion is not None and self._criterion.has_matrix:
                attributes["training_noise_matrix_"] = self._criterion.noise_matrix
            return attributes
        matrix = check_noise_matrix(self.matrix)
        return {
            "noise_matrix_": matrix,
            "noise_rate_": matrix_noise_rate(matrix, np.asarray(y_enc)),
        }


def inflate_noise_matrix(noise_matrix, factor):
    """Scale a noise matrix's flips by ``factor``; each diagonal stays the largest.

    Every off-diagonal entry of column ``j`` is multiplied by ``factor`` and
    the diagonal takes the rest, except that a column's flips are scaled by
    less where the diagonal would otherwise fall below 1.1 times the
    column's largest flip: a matrix that stays diagonally dominant keeps
    every class identifiable (and two classes at 50% flips would make it
    singular).

    Parameters
    ----------
    noise_matrix : ndarray of shape (n_classes, n_classes)
        Cleanlab's convention, ``P(given = i | true = j)``.
    factor : float
        At least 1.

    Returns
    -------
    noise_matrix : ndarray of shape (n_classes, n_classes)
        Columns summing to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.methods import inflate_noise_matrix
    >>> N = np.array([[0.8, 0.4], [0.2, 0.6]])
    >>> inflate_noise_matrix(N, 1.25).round(3).tolist()
    [[0.75, 0.476], [0.25, 0.524]]
    """
    matrix = np.array(noise_matrix, dtype=np.float64)
    n = len(matrix)
    off = ~np.eye(n, dtype=bool)
    flips = np.where(off, matrix, 0.0)
    total, largest = flips.sum(axis=0), flips.max(axis=0)
    # the largest scale s <= factor with 1 - s * total >= 1.1 * s * largest
    with np.errstate(divide="ignore"):
        cap = 1.0 / (total + 1.1 * largest)
    scale = np.minimum(float(factor), np.maximum(cap, 1.0))
    flips *= scale[None, :]
    result = flips + np.diag(1.0 - flips.sum(axis=0))
    return result / result.sum(axis=0, keepdims=True)


def matrix_noise_rate(noise_matrix, y_enc):
    """``P(given != true)`` under a noise matrix and the given labels.

    The true class prior ``p`` solves ``noise_matrix @ p = given prior``
    (least squares, clipped to the simplex); the rate is ``sum_j p_j (1 -
    noise_matrix[j, j])``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.methods._correction import matrix_noise_rate
    >>> N = np.array([[0.8, 0.2], [0.2, 0.8]])
    >>> round(matrix_noise_rate(N, np.array([0, 1, 0, 1])), 3)
    0.2
    """
    c = len(noise_matrix)
    given = np.bincount(y_enc, minlength=c) / max(len(y_enc), 1)
    prior = np.linalg.lstsq(noise_matrix, given, rcond=None)[0]
    prior = np.clip(prior, 0.0, None)
    prior = prior / prior.sum() if prior.sum() > 0 else given
    return float(np.sum(prior * (1.0 - np.diag(noise_matrix))))
