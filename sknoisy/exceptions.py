"""Warnings and errors of sknoisy.

Every case where a method cannot deliver what its parameters promise is
reported with a warning class of this module, whose message names the
parameter to change. Filter them as usual::

    import warnings
    from sknoisy.exceptions import CorrectionWarning
    warnings.simplefilter("error", CorrectionWarning)
"""

__all__ = [
    "ConsensusWarning",
    "CorrectionWarning",
    "DivergenceWarning",
    "NoiseMatrixWarning",
    "NotInitializedError",
    "SknoisyWarning",
    "UnscaledInputWarning",
]

from sklearn.exceptions import NotFittedError
from skorch.exceptions import NotInitializedError as _SkorchNotInitializedError


class SknoisyWarning(UserWarning):
    """Base class of the warnings that sknoisy raises."""


class ConsensusWarning(SknoisyWarning):
    """The consensus of several annotators' votes cannot be trusted.

    Raised by a fit of ``NoisyLabelClassifier(annotators=True)`` when the
    votes cannot identify what Dawid–Skene estimates: the median annotator
    cast fewer than ``2 * n_classes**2`` votes on samples that another
    annotator also labelled (two votes per cell of its confusion matrix), or
    no annotator agrees with the others' votes on the same samples more than
    chance would (a Cohen-style kappa below ``0.02`` for every annotator);
    and, after
    training, when the network's averaged predictions (``label_correction``)
    disagree with the final consensus on more than 40% of the samples. The consensus,
    ``annotator_quality_`` and the targets the network was trained on then
    rest on little more than the one-coin prior or the network itself; the
    message names what to change (the votes to collect, or the parameter).
    """


class CorrectionWarning(SknoisyWarning):
    """Label correction did not do what its parameters promise.

    Raised at the end of a fit with ``label_correction`` when correction never
    started (too few epochs, a ``correction_start`` after the last epoch, or
    training stopped early), or when it ran for fewer epochs than
    ``correction_window``, so that the corrected labels rest on fewer epochs
    of outputs than asked for; when no corrected label keeps a class, or
    when one other class takes more than 1.5 times as many of the samples
    given a class as that class keeps and ends with more than 1.5 times its
    own given labels (correction merged two classes, as pair noise near 50%
    can make it; ``loss="forward"`` with an estimated matrix warns the same
    from its first stage); when a
    class has one sample, whose label ``correction_rule="confident"`` cannot
    judge; and when the network contradicts the labels of a class far more
    than the rest while agreeing with most labels (a class it has not
    learned). :class:`UnscaledInputWarning`, a subclass, is raised at the
    start of the fit. The message names the parameter to change.
    In code, the fitted estimator's ``correction_start_`` (None when
    correction never started) and the number of epochs with ``correcting``
    in its ``history_`` tell these runs apart from a normal one.
    """


class UnscaledInputWarning(CorrectionWarning):
    """The columns of X differ so much in scale that correction may do harm.

    Raised when a fit with ``label_correction`` (and
    :func:`~sknoisy.find_label_issues`) gets a numeric array whose column
    standard deviations span more than a factor ``100`` between the largest
    and the median column: raw,
    unscaled columns such as ``load_wine``'s (0.1 to 1,700). A network
    trained on them learns mostly from the largest columns, and the labels
    it corrects are then often worse than the given ones. The message names
    the fix: scale X first, e.g. ``make_pipeline(StandardScaler(),
    NoisyLabelClassifier(...))``. A subclass of :class:`CorrectionWarning`,
    so filters on that class apply to it too.
    """


class DivergenceWarning(SknoisyWarning):
    """Training with a plain skorch ``criterion`` produced a non-finite loss.

    With a sknoisy ``loss`` a non-finite training loss stops the fit with a
    :class:`FloatingPointError`. With a plain skorch ``criterion`` (the
    drop-in mode of :class:`~sknoisy.NoisyLabelClassifier`) training goes on,
    as in skorch, and this warning says so once per ``fit`` or
    ``partial_fit`` call. The usual causes are a learning rate ``lr`` that is
    too high, extreme values in X, or a module whose output does not suit the
    criterion (``torch.nn.NLLLoss`` needs probabilities).
    """


class NoiseMatrixWarning(SknoisyWarning):
    """A noise matrix for loss correction is ill-conditioned or singular.

    Raised by ``loss="forward"`` and ``loss="backward"`` (and
    :class:`~sknoisy.losses.ForwardCorrectionLoss`,
    :class:`~sknoisy.losses.BackwardCorrectionLoss`) when the condition
    number of the matrix, given as ``noise_matrix`` or estimated, exceeds
    :data:`sknoisy.losses.MAX_CONDITION`: true classes whose noisy labels are
    distributed (nearly) alike cannot be told apart. Backward correction,
    which needs the inverse, then mixes the matrix with the identity
    (:func:`sknoisy.losses.regularized_transition`) instead of producing
    huge or non-finite losses; the message names the parameter.
    """


class NotInitializedError(_SkorchNotInitializedError, NotFittedError):
    """The estimator was used before ``initialize`` or ``fit``.

    Both skorch's :class:`skorch.exceptions.NotInitializedError` (what skorch
    code catches) and scikit-learn's
    :class:`~sklearn.exceptions.NotFittedError` (what scikit-learn code
    catches), with skorch's message.
    """


def _external_stacklevel():
    """``stacklevel`` that points at the first frame outside sknoisy and skorch."""
    import os
    import sys

    import skorch

    inside = tuple(
        os.path.dirname(os.path.abspath(mod.__file__)) + os.sep
        for mod in (sys.modules[__package__], skorch)
    )
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        inside
    ):
        frame, level = frame.f_back, level + 1
    return level


def _warn(message, category=None):
    """Warn with ``category`` (CorrectionWarning), pointing at the caller's code."""
    import warnings

    warnings.warn(
        message,
        category or CorrectionWarning,
        stacklevel=_external_stacklevel(),
    )
