"""Warnings and errors of sknoisy.

Every case where a method cannot deliver what its parameters promise is
reported with a warning class of this module, whose message names the
parameter to change. Filter them as usual::

    import warnings
    from sknoisy.exceptions import CorrectionWarning
    warnings.simplefilter("error", CorrectionWarning)
"""

__all__ = ["CorrectionWarning", "SknoisyWarning"]


class SknoisyWarning(UserWarning):
    """Base class of the warnings that sknoisy raises."""


class CorrectionWarning(SknoisyWarning):
    """Label correction did not do what its parameters promise.

    Raised at the end of a fit with ``label_correction`` when correction never
    started (too few epochs, a ``correction_start`` after the last epoch, or
    training stopped early), or when it ran for fewer epochs than
    ``correction_window``, so that the corrected labels rest on fewer epochs
    of outputs than asked for. The message names the parameter to change.
    The fitted estimator's ``correction_started_`` tells the two apart from a
    normal run in code.
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
